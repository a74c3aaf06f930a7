//! Which findings of one plan make one problem, as Alertmanager groups alerts and inhibits the
//! ones another explains.
//!
//! - A cluster condition (split brain, quorum lost, complete outage) is one problem: it takes in
//!   every member finding it explains (unreachable, offline, unobserved, ...) and the cluster's
//!   other troubles (no GTID superset, low fault tolerance) as evidence, and keeps the members it
//!   took down until each is back in the group, so their repair is part of it.
//! - Everything that keeps one member out of the group, or harms the group through it, is one
//!   problem per member, headed by its most telling finding (errant transactions explain why
//!   it is `OFFLINE`). A member incident already open when a cluster condition appears keeps its
//!   member, but says nothing new while the cluster incident speaks for it.
//! - A member that refuses grkeeper's credentials is its own problem even during a cluster
//!   condition: no state of the group explains it (it rather explains what grkeeper cannot
//!   see), and its remedy is the secret, not the group.
//! - Everything else (configuration drift, parameters, retention) is a problem of its own.
//!
//! Only findings of severity `warning` and above make problems. A problem whose member must
//! rejoin within a day or be rebuilt (`recoverability`) is critical.

use std::collections::BTreeSet;

use crate::model::MemberState;
use crate::plan::{Action, ActionKind, Finding, FindingKind, Guard, Plan, Refusal, Severity};
use crate::snapshot::Snapshot;

use super::{Incident, recoverability};

/// What a problem is about: how incidents are matched from one tick to the next.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scope {
    /// The cluster's condition.
    Cluster,
    /// One member.
    Member(String),
    /// One finding (of one instance, or of the cluster).
    Finding(FindingKind, Option<String>),
}

impl Scope {
    /// The scope of an incident kept in the journal.
    pub(crate) fn of(incident: &Incident) -> Scope {
        match (
            class_for(incident.kind, incident.instance.as_deref()),
            &incident.instance,
        ) {
            (Class::Condition(_), _) => Scope::Cluster,
            (Class::Member(_), Some(instance)) => Scope::Member(instance.clone()),
            _ => Scope::Finding(incident.kind, incident.instance.clone()),
        }
    }
}

/// One problem in one plan.
#[derive(Debug, Clone)]
pub(crate) struct Group<'p> {
    pub scope: Scope,
    /// The finding that heads it; `None` for a cluster incident whose members are still out
    /// without a finding of their own (rejoining, waiting for the group to expel them).
    pub lead: Option<&'p Finding>,
    /// The highest severity among its findings (a cluster incident with members still out is at
    /// least a warning).
    pub severity: Severity,
    /// Its findings, the lead first.
    pub findings: Vec<&'p Finding>,
    /// The instances it concerns.
    pub members: BTreeSet<String>,
    /// A member incident while a cluster condition speaks for it: nothing new is told.
    pub inhibited: bool,
}

impl Group<'_> {
    /// Whether an action of `kind` on `instance` (refused by `guard`, if it was) is this
    /// problem's: it repairs one of its findings, or the guard is one of its findings, on that
    /// instance or for the whole cluster; a cluster-wide action, or any action on one of its
    /// members, belongs to a cluster incident.
    pub fn concerns(&self, kind: ActionKind, instance: &str, guard: Option<Guard>) -> bool {
        if self.scope == Scope::Cluster
            && (kind.is_cluster_wide() || self.members.contains(instance))
        {
            return true;
        }
        self.findings.iter().any(|f| {
            (kind.repairs().contains(&f.kind) || guard.and_then(Guard::finding) == Some(f.kind))
                && f.instance.as_deref().is_none_or(|own| own == instance)
        })
    }

    /// Whether a planned `action` is this problem's: by [`Group::concerns`] on the instance it
    /// is taken on or, a sync step, on the joiner it prepares.
    pub fn claims(&self, action: &Action) -> bool {
        self.concerns(action.kind, &action.instance, None)
            || action
                .placeholders
                .as_ref()
                .is_some_and(|p| self.concerns(action.kind, &p.joiner, None))
    }

    /// The plan's refusals that are this problem's.
    pub fn refusals<'a>(&self, plan: &'a Plan) -> Vec<&'a Refusal> {
        plan.refused
            .iter()
            .filter(|r| self.concerns(r.action, &r.instance, Some(r.guard)))
            .collect()
    }
}

/// How a finding kind groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A condition of the whole cluster; the lower the rank, the more it explains.
    Condition(u8),
    /// Something that keeps a member out of the group or harms the group through it; the lower
    /// the rank, the more it explains (errant transactions explain why it stays `OFFLINE`).
    Member(u8),
    /// The cluster's trouble that a cluster condition explains when there is one.
    Evidence,
    /// A problem of its own.
    Own,
}

/// Exhaustive on purpose: a new finding kind does not compile without its place here.
fn class(kind: FindingKind) -> Class {
    use FindingKind::*;
    match kind {
        SplitBrain => Class::Condition(0),
        NoQuorum => Class::Condition(1),
        CompleteOutage => Class::Condition(2),
        ErrantGtids => Class::Member(0),
        PurgedTransactions => Class::Member(1),
        RebuildNeeded => Class::Member(2),
        GroupNameMismatch => Class::Member(3),
        LowerVersion => Class::Member(4),
        LocalGtids => Class::Member(5),
        Flapping => Class::Member(6),
        AccessDenied => Class::Member(7),
        MinorityPartition => Class::Member(8),
        StuckRecovering => Class::Member(9),
        ApplierLag => Class::Member(10),
        OfflineMode => Class::Member(11),
        MemberError => Class::Member(12),
        MemberStopped => Class::Member(13),
        UnobservedMember => Class::Member(14),
        MemberUnreachable => Class::Member(15),
        MemberOffline => Class::Member(16),
        InstanceChanging => Class::Member(17),
        NoGtidSuperset | TransactionsUnknown | FaultToleranceLow | UnknownMember
        | EndpointsFrozen => Class::Evidence,
        DuplicateServerUuid
        | EmptyInventory
        | SeedsDrift
        | ParameterPendingReboot
        | BinlogRetention
        | ExitStateActionDrift
        | VersionSkew
        | ControlPlaneError
        | Paused
        | MaintenanceWindowsOverlap
        | PendingMaintenance
        | AutoMinorVersionUpgradeMixed
        | EngineVersionsDiffer
        | StartedByRds
        | MaintenanceRolling
        | MaintenanceStalled
        | ActiveHeld => Class::Own,
    }
}

/// The class of a finding: a kind that is a cluster condition without an instance is one of
/// the member's with one (`no_quorum` on one member), and a member kind without an instance
/// (group names that differ across the cluster) is evidence.
fn class_of(finding: &Finding) -> Class {
    class_for(finding.kind, finding.instance.as_deref())
}

fn class_for(kind: FindingKind, instance: Option<&str>) -> Class {
    match (class(kind), instance) {
        (Class::Condition(rank), Some(_)) => Class::Member(rank.saturating_add(18)),
        (Class::Member(_), None) => Class::Evidence,
        (class, _) => class,
    }
}

/// Whether a cluster condition can explain a member finding of `kind`: every kind but grkeeper
/// being refused entry, which is about its credentials.
fn explained_by_the_group(kind: FindingKind) -> bool {
    kind != FindingKind::AccessDenied
}

/// Whether `finding` is a condition of the whole cluster.
pub(crate) fn is_condition(finding: &Finding) -> bool {
    matches!(class_of(finding), Class::Condition(_))
}

/// Whether a guard's refusal asks a person to act; the others only make grkeeper wait (a
/// cooldown, an action in progress, RDS busy with the instance), which is no news.
pub(crate) fn asks_a_person(guard: Guard) -> bool {
    use Guard::*;
    match guard {
        // Group Replication or the next observation settles these by itself.
        Cooldown | PendingAction | InstanceNotAvailable | EarlierBootstrap | UnreachableMember
        | AutoRejoin | StaleView | MemberNotBack => false,
        ObserveMode | Disabled | Paused | ClusterBudget | RebootBudget | ErrantGtids
        | PurgedTransactions | Version | GroupName | Majority | ToleranceFloor
        | UnobservedMember | NoGtidSuperset | ApprovalRequired | RebuildNeeded | OperatorStop
        | RepeatedFailure | Flapping | TransactionsUnknown | UnknownMember
        | DuplicateServerUuid | SplitBrain | LocalGtids | NoQuorum => true,
    }
}

/// The problems in `plan`, given the incidents `open` before it: a cluster group first (when
/// there is one), then member groups by instance, then the others in the planner's order.
pub(crate) fn groups<'p>(plan: &'p Plan, snapshot: &Snapshot, open: &[Incident]) -> Vec<Group<'p>> {
    let alerting = alerting(plan);
    let root = alerting
        .iter()
        .filter_map(|f| match class_of(f) {
            Class::Condition(rank) => Some((rank, *f)),
            _ => None,
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, f)| f);
    let open_cluster = open.iter().find(|i| Scope::of(i) == Scope::Cluster);
    let own_incident = |instance: &str| {
        open.iter()
            .any(|i| Scope::of(i) == Scope::Member(instance.to_owned()))
    };

    // The cluster incident's members: while the condition holds, every member (it concerns
    // them all); after it, those not back yet. Each leaves once it is back.
    let mut cluster_members: BTreeSet<String> =
        open_cluster.map(|i| i.members.clone()).unwrap_or_default();
    if root.is_some() {
        cluster_members.extend(snapshot.instances.iter().map(|i| i.id.clone()));
    }
    cluster_members.retain(|id| !back(plan, snapshot, id));
    let cluster_active = root.is_some() || !cluster_members.is_empty();

    let mut cluster: Vec<&Finding> = root.into_iter().collect();
    let mut members: Vec<(String, Vec<&Finding>)> = Vec::new();
    let mut own: Vec<&Finding> = Vec::new();
    for finding in alerting.iter().copied() {
        if root.is_some_and(|r| std::ptr::eq(r, finding)) {
            continue;
        }
        match (class_of(finding), finding.instance.as_deref()) {
            (Class::Condition(_) | Class::Evidence, _) if cluster_active => cluster.push(finding),
            (Class::Member(_), Some(instance)) => {
                if !own_incident(instance)
                    && explained_by_the_group(finding.kind)
                    && cluster_active
                    && (root.is_some() || cluster_members.contains(instance))
                {
                    cluster_members.insert(instance.to_owned());
                    cluster.push(finding);
                } else {
                    match members.iter_mut().find(|(id, _)| id == instance) {
                        Some((_, list)) => list.push(finding),
                        None => members.push((instance.to_owned(), vec![finding])),
                    }
                }
            }
            _ => own.push(finding),
        }
    }

    // A member whose rejoin deadline is near needs a person now, whatever its findings say.
    let deadlines = recoverability::by_member(snapshot);
    let urgent = |members: &BTreeSet<String>| {
        members.iter().any(|m| {
            deadlines
                .get(m)
                .is_some_and(|d| d.is_urgent(snapshot.observed_at))
        })
    };
    let mut groups = Vec::new();
    if cluster_active {
        let lead = root.or_else(|| most_telling(&cluster)).or_else(|| {
            // Members still out without an alerting finding: head it with their other findings.
            most_telling(
                &plan
                    .findings
                    .iter()
                    .filter(|f| {
                        f.instance
                            .as_ref()
                            .is_some_and(|i| cluster_members.contains(i))
                    })
                    .collect::<Vec<_>>(),
            )
        });
        let mut severity = highest(&cluster).max(Severity::Warning);
        if urgent(&cluster_members) {
            severity = Severity::Critical;
        }
        groups.push(Group {
            scope: Scope::Cluster,
            lead,
            severity,
            findings: ordered(lead, cluster),
            members: cluster_members,
            inhibited: false,
        });
    }
    members.sort_by(|a, b| a.0.cmp(&b.0));
    for (instance, findings) in members {
        let lead = most_telling(&findings);
        let members = BTreeSet::from([instance.clone()]);
        let severity = if urgent(&members) {
            Severity::Critical
        } else {
            highest(&findings)
        };
        groups.push(Group {
            scope: Scope::Member(instance),
            lead,
            severity,
            findings: ordered(lead, findings),
            members,
            inhibited: root.is_some(),
        });
    }
    for finding in own {
        groups.push(Group {
            scope: Scope::Finding(finding.kind, finding.instance.clone()),
            lead: Some(finding),
            severity: finding.severity,
            findings: vec![finding],
            members: finding.instance.iter().cloned().collect(),
            inhibited: false,
        });
    }
    groups
}

/// The plan's findings that make problems, one per kind and instance (the most severe wins),
/// in the planner's order.
fn alerting(plan: &Plan) -> Vec<&Finding> {
    let mut out: Vec<&Finding> = Vec::new();
    for finding in plan
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
    {
        match out
            .iter_mut()
            .find(|kept| kept.kind == finding.kind && kept.instance == finding.instance)
        {
            Some(kept) if finding.severity > kept.severity => *kept = finding,
            Some(_) => {}
            None => out.push(finding),
        }
    }
    out
}

/// The finding that explains the most: the lowest rank, then the most severe, then the first.
fn most_telling<'p>(findings: &[&'p Finding]) -> Option<&'p Finding> {
    findings
        .iter()
        .copied()
        .min_by_key(|f| (rank(f), std::cmp::Reverse(f.severity)))
}

fn highest(findings: &[&Finding]) -> Severity {
    findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info)
}

/// `lead` first, then the others by instance (the cluster's first), each instance's most
/// telling first.
fn ordered<'p>(lead: Option<&'p Finding>, findings: Vec<&'p Finding>) -> Vec<&'p Finding> {
    let mut rest: Vec<&Finding> = findings
        .into_iter()
        .filter(|f| lead.is_none_or(|l| !std::ptr::eq(l, *f)))
        .collect();
    rest.sort_by(|a, b| {
        a.instance
            .cmp(&b.instance)
            .then_with(|| rank(a).cmp(&rank(b)))
            .then_with(|| b.severity.cmp(&a.severity))
    });
    lead.into_iter().chain(rest).collect()
}

/// How much a finding explains: a cluster condition most, drift least.
fn rank(finding: &Finding) -> (u8, u8) {
    match class_of(finding) {
        Class::Condition(r) => (0, r),
        Class::Member(r) => (1, r),
        Class::Evidence => (2, 0),
        Class::Own => (3, 0),
    }
}

/// A member a cluster incident took down is back: `ONLINE` in its own view with no finding of
/// any severity about it that keeps it out (so not on a minority side), or no longer in the
/// inventory.
fn back(plan: &Plan, snapshot: &Snapshot, id: &str) -> bool {
    let Some(instance) = snapshot.instances.iter().find(|i| i.id == id) else {
        return true;
    };
    let online = instance
        .mysql
        .seen()
        .is_some_and(|r| r.own_state() == MemberState::Online);
    online
        && !plan
            .findings
            .iter()
            .any(|f| f.instance.as_deref() == Some(id) && matches!(class_of(f), Class::Member(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refusal is told in the incident of the finding its guard writes, even when the action
    /// it refused repairs none of that incident's findings (a rejoin repairs only
    /// `member_offline`); a guard that writes no finding of its own is told there only through
    /// the action.
    #[test]
    fn a_refusal_is_told_in_the_incident_of_the_finding_its_guard_writes() {
        let written = [
            (Guard::ErrantGtids, FindingKind::ErrantGtids),
            (Guard::LocalGtids, FindingKind::LocalGtids),
            (Guard::PurgedTransactions, FindingKind::PurgedTransactions),
            (Guard::Version, FindingKind::LowerVersion),
            (Guard::GroupName, FindingKind::GroupNameMismatch),
            (Guard::UnobservedMember, FindingKind::UnobservedMember),
            (Guard::NoGtidSuperset, FindingKind::NoGtidSuperset),
            (Guard::RebuildNeeded, FindingKind::RebuildNeeded),
            (Guard::Paused, FindingKind::Paused),
            (Guard::Flapping, FindingKind::Flapping),
            (Guard::TransactionsUnknown, FindingKind::TransactionsUnknown),
            (Guard::UnknownMember, FindingKind::UnknownMember),
            (Guard::DuplicateServerUuid, FindingKind::DuplicateServerUuid),
            (Guard::SplitBrain, FindingKind::SplitBrain),
        ];
        for (guard, kind) in written {
            let finding = Finding {
                kind,
                severity: Severity::Warning,
                instance: Some("orders-2".into()),
                message: String::new(),
            };
            let group = Group {
                scope: Scope::Finding(kind, Some("orders-2".into())),
                lead: Some(&finding),
                severity: Severity::Warning,
                findings: vec![&finding],
                members: BTreeSet::new(),
                inhibited: false,
            };
            assert!(
                group.concerns(ActionKind::Rejoin, "orders-2", Some(guard)),
                "{guard:?} not told with {kind:?}"
            );
            assert!(!group.concerns(ActionKind::Rejoin, "orders-3", Some(guard)));
            assert!(!group.concerns(ActionKind::Rejoin, "orders-2", Some(Guard::PendingAction)));
        }
    }
}

//! The safety invariants, each read from the snapshot on its own terms (never through the
//! planner's own picture), so that the planner and the test check each other. `docs/safety.md`
//! names the rule behind each one. `check_all` plans a snapshot and asserts every invariant.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::gtid::GtidSet;
use crate::model::{LastGrCall, MemberReport, MemberState, ViewMember};
use crate::plan::{
    Action, ActionKind, BootstrapPolicy, Guard, MaintenancePolicy, MaintenanceStep, Mode, Outcome,
    Plan, plan,
};
use crate::snapshot::{Approval, PastAction, Snapshot};

/// What the invariants read from a snapshot.
struct Reading<'s> {
    snapshot: &'s Snapshot,
    /// Instance id -> what was read of it now.
    read: BTreeMap<&'s str, &'s MemberReport>,
    /// Instance id -> its `server_uuid` as far as known: read now, else last read.
    identity: BTreeMap<&'s str, String>,
    /// Views of read members that are ONLINE with a majority by MySQL Shell's rule.
    quorum_views: Vec<&'s [ViewMember]>,
}

impl<'s> Reading<'s> {
    fn new(snapshot: &'s Snapshot) -> Self {
        let mut reading = Reading {
            snapshot,
            read: BTreeMap::new(),
            identity: BTreeMap::new(),
            quorum_views: Vec::new(),
        };
        for instance in &snapshot.instances {
            let id = instance.id.as_str();
            if let Some(seen) = snapshot.history.last_seen.get(id) {
                reading
                    .identity
                    .insert(id, seen.server_uuid.to_ascii_lowercase());
            }
            let Some(report) = instance.mysql.seen() else {
                continue;
            };
            reading.read.insert(id, report);
            reading
                .identity
                .insert(id, report.server_uuid.to_ascii_lowercase());
            let mine = |r: &&ViewMember| r.member_id == report.server_uuid;
            let counted: Vec<&ViewMember> = report
                .view
                .iter()
                .filter(|r| mine(r) || r.state != MemberState::Error)
                .collect();
            let reachable = counted
                .iter()
                .filter(|r| r.state != MemberState::Unreachable)
                .count();
            let online = report
                .view
                .iter()
                .find(mine)
                .is_some_and(|r| r.state == MemberState::Online);
            if online && reachable * 2 > counted.len() {
                reading.quorum_views.push(&report.view);
            }
        }
        reading
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.snapshot.observed_at
    }

    fn own_state(&self, id: &str) -> Option<MemberState> {
        let report = self.read.get(id)?;
        Some(
            report
                .view
                .iter()
                .find(|r| r.member_id == report.server_uuid)
                .map_or(MemberState::Offline, |r| r.state),
        )
    }

    fn live(state: MemberState) -> bool {
        matches!(state, MemberState::Online | MemberState::Recovering)
    }

    fn rds_status(&self, id: &str) -> Option<&'s str> {
        let instance = self.snapshot.instances.iter().find(|i| i.id == id)?;
        Some(instance.rds.seen()?.status.0.as_str())
    }

    /// RDS reports a status in which MySQL cannot run.
    fn down(&self, id: &str) -> bool {
        self.rds_status(id).is_some_and(|s| {
            [
                "stopped",
                "failed",
                "storage-full",
                "incompatible-parameters",
            ]
            .contains(&s)
        })
    }

    fn is_known(&self, member_id: &str) -> bool {
        self.identity
            .values()
            .any(|u| u.eq_ignore_ascii_case(member_id))
    }

    /// Every row of every read view.
    fn rows(&self) -> impl Iterator<Item = &'s ViewMember> + '_ {
        self.read.values().flat_map(|r| r.view.iter())
    }

    /// Transactions a read member holds: applied, or certified and queued.
    fn holds(&self, id: &str) -> GtidSet {
        self.read.get(id).map_or_else(GtidSet::new, |r| {
            r.channels
                .iter()
                .filter(|c| c.channel == "group_replication_applier")
                .fold(r.gtid_executed.clone(), |all, c| {
                    all.union(&c.received_transaction_set)
                })
        })
    }

    /// The unexpired bootstrap approvals that cover `seed` (any seed when `None`).
    fn bootstrap_approvals(&self, seed: Option<&str>) -> impl Iterator<Item = &'s Approval> {
        let now = self.now();
        self.snapshot.history.approvals.iter().filter(move |a| {
            a.action == ActionKind::Bootstrap
                && a.expires > now
                && match (a.instance.as_deref(), seed) {
                    (Some(only), Some(seed)) => only == seed,
                    _ => true,
                }
        })
    }

    /// An unexpired bootstrap approval that covers `seed` (any seed when `None`) and gives up
    /// `what`.
    fn gives_up(&self, seed: Option<&'s str>, what: &str) -> bool {
        self.bootstrap_approvals(seed)
            .any(|a| a.gives_up.iter().any(|g| g.eq_ignore_ascii_case(what)))
    }

    /// The group names the read members are configured for, as MySQL compares them (without
    /// case), of every read member or only of those ONLINE in a view with quorum.
    fn group_names(&self, only_quorum: bool) -> BTreeSet<String> {
        self.read
            .values()
            .filter(|r| {
                !only_quorum
                    || self.quorum_views.iter().any(|view| {
                        view.iter().any(|row| {
                            row.member_id.eq_ignore_ascii_case(&r.server_uuid)
                                && row.state == MemberState::Online
                        })
                    })
            })
            .filter_map(|r| r.settings.group_name.as_deref())
            .map(str::to_ascii_lowercase)
            .collect()
    }

    /// Actions journaled on `instance` (any when `None`) of a kind `kind` accepts, within `secs`
    /// before now (one journaled in the future counts as just taken).
    fn journaled<'r>(
        &'r self,
        instance: Option<&'r str>,
        secs: u64,
        kind: impl Fn(ActionKind) -> bool + 'r,
    ) -> impl Iterator<Item = &'s PastAction> + 'r {
        let now = self.now();
        let window = i64::try_from(secs)
            .ok()
            .and_then(chrono::TimeDelta::try_seconds);
        self.snapshot.history.actions.iter().filter(move |a| {
            instance.is_none_or(|i| a.instance == i)
                && kind(a.kind)
                && window.is_none_or(|w| now - a.at < w)
        })
    }

    /// A person stopped Group Replication on `instance`, or its procedure log cannot be read: its
    /// last call is a stop by another user than grkeeper's or, with grkeeper's user unknown, one
    /// not made within five minutes of grkeeper's last action on it being an expel.
    fn stopped_by_a_person(&self, instance: &str) -> bool {
        let call = match self.read.get(instance).map(|r| &r.last_gr_call) {
            Some(LastGrCall::Unreadable(_)) => return true,
            Some(LastGrCall::Call(call)) if call.is_stop() => call,
            _ => return false,
        };
        if let Some(user) = self.snapshot.db_user.as_deref() {
            return call.user() != user;
        }
        let Ok(at) = chrono::NaiveDateTime::parse_from_str(&call.at, "%Y-%m-%d %H:%M:%S%.f") else {
            return true;
        };
        let last = self
            .snapshot
            .history
            .actions
            .iter()
            .filter(|a| a.instance == instance)
            .max_by_key(|a| a.at);
        !last.is_some_and(|a| {
            a.kind == ActionKind::Expel
                && (at.and_utc() - a.at).abs() <= chrono::TimeDelta::minutes(5)
        })
    }

    /// The budget `guard` keeps for `kind` on `instance` is spent: `ClusterBudget`, disruptive
    /// actions that reached their target within the budget window; `RebootBudget`, reboots of
    /// `instance` itself (another member's do not count) within the reboot window;
    /// `RepeatedFailure`, failed `kind`s on `instance` within that window, as many as the reboot
    /// budget and at least one. Any other guard keeps no budget.
    fn spent(&self, guard: Guard, kind: ActionKind, instance: &str) -> bool {
        let policy = &self.snapshot.policy;
        let budget = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        let ran = |a: &&PastAction| a.outcome != Outcome::NotAttempted;
        let reboots = policy.reboot_window_secs;
        match guard {
            Guard::ClusterBudget => {
                self.journaled(None, policy.budget_window_secs, ActionKind::is_disruptive)
                    .filter(ran)
                    .count()
                    >= budget(policy.cluster_budget)
            }
            Guard::RebootBudget => {
                // A rolling-maintenance step restarts the instance too.
                self.journaled(Some(instance), reboots, |k| {
                    matches!(k, ActionKind::Reboot | ActionKind::Maintenance)
                })
                .filter(ran)
                .count()
                    >= budget(policy.reboot_budget)
            }
            Guard::RepeatedFailure => {
                self.journaled(Some(instance), reboots, |k| k == kind)
                    .filter(|a| a.outcome == Outcome::Failed)
                    .count()
                    >= budget(policy.reboot_budget.max(1))
            }
            _ => false,
        }
    }

    /// Taking out `instance` (by `kind`) would leave some read view that lists it with fewer than
    /// a majority of the inventory ONLINE (when it is ONLINE there, or for an expel), or with
    /// quorum lost: no more reachable members than half of those it counts.
    fn majority_lost_without(&self, instance: &str, kind: ActionKind) -> bool {
        let Some(uuid) = self.identity.get(instance) else {
            return true;
        };
        let majority = self.snapshot.instances.len() / 2 + 1;
        self.read.values().any(|report| {
            let view = &report.view;
            let Some(listed) = view
                .iter()
                .find(|row| row.member_id.eq_ignore_ascii_case(uuid))
                .map(|row| row.state)
            else {
                return false;
            };
            let count = |keep: &dyn Fn(MemberState) -> bool| {
                view.iter().filter(|row| keep(row.state)).count()
            };
            let online = count(&|s| s == MemberState::Online);
            let counted = count(&|s| s != MemberState::Error);
            let reachable = count(&|s| !matches!(s, MemberState::Error | MemberState::Unreachable));
            let after = online - usize::from(listed == MemberState::Online);
            let (counted, reachable) = match listed {
                MemberState::Error => (counted, reachable),
                MemberState::Unreachable => (counted - 1, reachable),
                _ => (counted - 1, reachable - 1),
            };
            ((listed == MemberState::Online || kind == ActionKind::Expel) && after < majority)
                || reachable * 2 <= counted
        })
    }

    /// Taking out `instance`, ONLINE in some read view, would leave that view tolerating fewer
    /// failures than the policy floor.
    fn below_floor_without(&self, instance: &str) -> bool {
        let Some(uuid) = self.identity.get(instance) else {
            // Its rows cannot be told: nothing to hold the refusal against.
            return true;
        };
        let floor = self.snapshot.policy.fault_tolerance_floor as usize;
        self.read.values().any(|report| {
            let online = |row: &ViewMember| row.state == MemberState::Online;
            report
                .view
                .iter()
                .any(|row| online(row) && row.member_id.eq_ignore_ascii_case(uuid))
                && {
                    let after = report.view.iter().filter(|r| online(r)).count() - 1;
                    after.saturating_sub(1) / 2 < floor
                }
        })
    }
}

/// A bootstrap, or a step toward one: an expel while no read member holds quorum (fencing a hung
/// minority, readying the seed, clearing a stale view). Returns the seed when known.
fn rebootstrapping<'p>(reading: &Reading<'_>, action: &'p Action) -> Option<Option<&'p str>> {
    match action.kind {
        ActionKind::Bootstrap => Some(Some(action.instance.as_str())),
        ActionKind::Expel if reading.quorum_views.is_empty() => Some(None),
        _ => None,
    }
}

/// Plans `snapshot` and checks every invariant.
pub(super) fn check_all(snapshot: &Snapshot) -> Result<(), TestCaseError> {
    let plan = plan(snapshot);
    let reading = Reading::new(snapshot);
    deterministic_and_in_any_history_order(snapshot, &plan)?;
    no_bootstrap_while_a_view_shows_a_live_member(&reading, &plan)?;
    no_rebootstrap_with_transactions_unknown(&reading, &plan)?;
    no_bootstrap_lacking_a_remembered_transaction(&reading, &plan)?;
    no_expel_or_bootstrap_beside_strangers(&reading, &plan)?;
    no_action_while_two_groups_are_live(&reading, &plan)?;
    no_second_bootstrap_before_the_first_is_proven_dead(&reading, &plan)?;
    no_action_leaves_fewer_online_members_than_a_majority(&reading, &plan)?;
    every_refusal_and_action_says_why(&plan)?;
    every_action_repairs_a_finding_it_reports(&plan)?;
    paused_or_observing_clusters_take_no_action(&reading, &plan)?;
    actions_target_available_inventory_instances_only(&reading, &plan)?;
    no_member_with_errant_gtids_is_rejoined(&reading, &plan)?;
    no_action_on_an_instance_sharing_its_server_uuid(&reading, &plan)?;
    bootstrap_starts_from_the_lowest_version_holding_everything(&reading, &plan)?;
    a_seed_in_error_is_readied_only_without_an_offline_equal(&reading, &plan)?;
    a_joiner_is_judged_by_every_member_of_the_group(&reading, &plan)?;
    no_membership_change_while_a_member_is_unreachable(&reading, &plan)?;
    no_expel_of_a_recovering_member_still_making_progress(&reading, &plan)?;
    no_reboot_cuts_across_an_auto_rejoin(&reading, &plan)?;
    a_stop_by_a_person_is_respected(&reading, &plan)?;
    the_operators_switches_are_obeyed(&reading, &plan)?;
    no_action_beyond_a_budget(&reading, &plan)?;
    no_member_joins_a_group_of_another_name(&reading, &plan)?;
    every_refusal_is_justified(&reading, &plan)?;
    no_member_rejoins_across_a_remembered_split_brain(&reading, &plan)?;
    placeholders_only_approved_own_missing_and_never_the_groups(&reading, &plan)?;
    a_roll_step_takes_one_member_out_at_a_time(&reading, &plan)?;
    Ok(())
}

/// A rolling-maintenance step (`docs/safety.md`, "Rolling maintenance") is taken only: while
/// every inventory member is `available`, reports itself `ONLINE` with its applier queue within
/// the policy's bound, and is listed `ONLINE` by every view that holds quorum (so no member is
/// out, the last step's member included); when the journal's last step that ran has an outcome
/// and what it applied is cleared on its member; with no split brain nor stranger remembered;
/// for something RDS holds for the member; and on a member with no pending member running a
/// newer version (the lowest-version members last).
fn a_roll_step_takes_one_member_out_at_a_time(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let Some(action) = plan
        .action
        .as_ref()
        .filter(|a| a.kind == ActionKind::Maintenance)
    else {
        return Ok(());
    };
    let snapshot = reading.snapshot;
    let policy = &snapshot.policy;
    for instance in &snapshot.instances {
        let id = instance.id.as_str();
        prop_assert_eq!(reading.rds_status(id), Some("available"), "{:#?}", plan);
        let report = reading.read.get(id).copied();
        prop_assert!(
            report.is_some_and(|r| r.own_state() == MemberState::Online
                && crate::plan::conditions::own_applier_queue(r) <= policy.maintenance_max_queue),
            "{} is not back: {:#?}",
            id,
            plan
        );
        let uuid = reading.identity.get(id);
        for view in &reading.quorum_views {
            prop_assert!(
                view.iter()
                    .any(|row| Some(&row.member_id.to_ascii_lowercase()) == uuid
                        && row.state == MemberState::Online),
                "a quorum view does not list {} ONLINE: {:#?}",
                id,
                plan
            );
        }
    }
    prop_assert!(!reading.quorum_views.is_empty(), "{:#?}", plan);
    let steps: Vec<&PastAction> = {
        let mut steps: Vec<&PastAction> = snapshot
            .history
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::Maintenance && a.outcome != Outcome::NotAttempted)
            .collect();
        steps.sort_by_key(|a| a.at);
        steps
    };
    if let Some(last) = steps.last() {
        prop_assert!(last.outcome != Outcome::Pending, "{:#?}", plan);
        let rds = snapshot
            .instances
            .iter()
            .find(|i| i.id == last.instance)
            .and_then(|i| i.rds.seen());
        let still = match (&last.maintenance, rds) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(MaintenanceStep::Reboot), Some(rds)) => {
                rds.parameter_apply_status.as_deref() != Some("in-sync")
                    && rds.parameter_apply_status.as_deref() != Some("applying")
            }
            (Some(MaintenanceStep::Apply(what)), Some(rds)) => match &rds.pending_maintenance {
                Some(crate::model::Observed::Seen(pending)) => {
                    pending.iter().any(|p| &p.action == what)
                }
                _ => true,
            },
        };
        prop_assert!(!still, "the last step's work is still pending: {:#?}", plan);
    }
    prop_assert!(
        plan.memory.split_brain.is_none() && plan.memory.strangers.is_empty(),
        "{:#?}",
        plan
    );
    let step = action.maintenance.clone();
    let rds = |id: &str| {
        snapshot
            .instances
            .iter()
            .find(|i| i.id == id)
            .and_then(|i| i.rds.seen())
    };
    let holds = |id: &str, step: &MaintenanceStep| {
        rds(id).is_some_and(|r| match step {
            MaintenanceStep::Reboot => {
                r.parameter_apply_status.as_deref() == Some("pending-reboot")
            }
            MaintenanceStep::Apply(what) => {
                matches!(
                    &r.pending_maintenance,
                    Some(crate::model::Observed::Seen(p)) if p.iter().any(|p| &p.action == what)
                ) && ["db-upgrade", "system-update"].contains(&what.as_str())
            }
        })
    };
    prop_assert!(
        step.as_ref().is_some_and(|s| holds(&action.instance, s)),
        "{:#?}",
        plan
    );
    let version = |id: &str| {
        rds(id)
            .and_then(|r| r.engine_version.as_deref())
            .map(triple)
    };
    let mine = version(&action.instance);
    for instance in &snapshot.instances {
        let pending = [
            MaintenanceStep::Reboot,
            MaintenanceStep::Apply("db-upgrade".into()),
            MaintenanceStep::Apply("system-update".into()),
        ]
        .iter()
        .any(|s| holds(&instance.id, s));
        if pending {
            prop_assert!(
                version(&instance.id) <= mine,
                "{} runs a newer version and is still pending: {:#?}",
                instance.id,
                plan
            );
        }
    }
    Ok(())
}

/// A placeholder is created only: with an unexpired approval of the sync naming the joiner, and
/// covering it when the approval names ranges; for GTIDs under a read member's own
/// `server_uuid` (the joiner's own on another member, a member's own on the joiner), never under
/// a group name any member is configured with; on an instance that holds none of them yet (so
/// no range is ever created twice); for a 9.7 joiner; while a view holds quorum.
fn placeholders_only_approved_own_missing_and_never_the_groups(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        let placeholders = action.placeholders.as_ref();
        prop_assert_eq!(
            action.kind == ActionKind::SyncGtids,
            placeholders.is_some(),
            "{:#?}",
            plan
        );
        let Some(placeholders) = placeholders else {
            continue;
        };
        let gtids = placeholders.gtids();
        let joiner = placeholders.joiner.as_str();
        let approved = reading.snapshot.history.approvals.iter().any(|a| {
            a.action == ActionKind::SyncGtids
                && a.expires > reading.now()
                && a.instance.as_deref() == Some(joiner)
                && a.gtids
                    .as_ref()
                    .is_none_or(|allowed| gtids.is_subset(allowed))
        });
        prop_assert!(approved, "placeholders without an approval: {:#?}", plan);
        let uuid = placeholders.uuid.to_ascii_lowercase();
        let group_name = reading
            .read
            .values()
            .filter_map(|r| r.settings.group_name.as_deref())
            .any(|name| name.eq_ignore_ascii_case(&uuid));
        prop_assert!(!group_name, "placeholders under a group name: {:#?}", plan);
        let owner = reading
            .read
            .iter()
            .find(|(_, r)| r.server_uuid.eq_ignore_ascii_case(&uuid))
            .map(|(id, _)| *id);
        let own = match owner {
            Some(owner) if action.instance == joiner => owner != joiner,
            Some(owner) => owner == joiner,
            None => false,
        };
        prop_assert!(
            own,
            "placeholders for GTIDs not the owner's own: {:#?}",
            plan
        );
        prop_assert!(
            !gtids.intersects(&reading.holds(&action.instance)),
            "placeholders {} the target already holds: {:#?}",
            gtids,
            plan
        );
        prop_assert!(
            reading
                .read
                .get(joiner)
                .is_some_and(|r| triple(&r.version).0 == 9 && triple(&r.version).1 == 7),
            "{:#?}",
            plan
        );
        prop_assert!(!reading.quorum_views.is_empty(), "{:#?}", plan);
    }
    Ok(())
}

fn deterministic_and_in_any_history_order(
    snapshot: &Snapshot,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        plan,
        &super::plan(snapshot),
        "planning is not deterministic"
    );
    // At most one action: `Plan::action` is an `Option`.
    // The journal's order is not trusted: the same actions in another order plan the same.
    let mut reordered = snapshot.clone();
    reordered.history.actions.reverse();
    prop_assert_eq!(
        plan,
        &super::plan(&reordered),
        "the plan depends on the order of history.actions"
    );
    Ok(())
}

fn no_bootstrap_while_a_view_shows_a_live_member(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    if reading.rows().any(|r| Reading::live(r.state)) {
        prop_assert!(
            plan.action.iter().all(|a| a.kind != ActionKind::Bootstrap),
            "bootstrap while a view shows a live member: {:#?}",
            plan
        );
    }
    Ok(())
}

/// Class 1: every member's transactions read now, or given up by an approval (and down).
fn no_rebootstrap_with_transactions_unknown(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        let Some(seed) = rebootstrapping(reading, action) else {
            continue;
        };
        for instance in &reading.snapshot.instances {
            let id = instance.id.as_str();
            if reading.read.contains_key(id) {
                continue;
            }
            prop_assert!(
                reading.down(id) && reading.gives_up(seed, id),
                "{:?} of {} with the transactions of {} unknown: {:#?}",
                action.kind,
                action.instance,
                id,
                plan
            );
        }
    }
    Ok(())
}

/// The seed holds every transaction of every member, read now or remembered by the journal
/// (its last reading, and what earlier readings held before a restore replaced its data), unless
/// an approval gives that member up: a member hidden behind another's `server_uuid`, or whose
/// data was overwritten, may have held the only copy.
fn no_bootstrap_lacking_a_remembered_transaction(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan
        .action
        .iter()
        .filter(|a| a.kind == ActionKind::Bootstrap)
    {
        let seed = action.instance.as_str();
        let seed_holds = reading.holds(seed);
        for instance in &reading.snapshot.instances {
            let id = instance.id.as_str();
            if reading.gives_up(Some(seed), id) {
                continue;
            }
            let mut remembered = reading.holds(id);
            if let Some(seen) = reading.snapshot.history.last_seen.get(id) {
                remembered = remembered
                    .union(&seen.gtid_executed)
                    .union(&seen.received)
                    .union(&seen.lost);
            }
            prop_assert!(
                remembered.is_subset(&seed_holds),
                "bootstrap of {} lacking {} of {}: {:#?}",
                seed,
                remembered.difference(&seed_holds),
                id,
                plan
            );
        }
    }
    Ok(())
}

/// Class 2: no expel or bootstrap while a view lists a member outside the inventory; no
/// re-bootstrap while one is remembered and not given up.
fn no_expel_or_bootstrap_beside_strangers(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let listed: Vec<&ViewMember> = reading
        .rows()
        .filter(|r| !reading.is_known(&r.member_id))
        .collect();
    for action in plan.action.iter() {
        if matches!(action.kind, ActionKind::Expel | ActionKind::Bootstrap) {
            prop_assert!(
                listed.is_empty(),
                "{:?} of {} while a view lists {}: {:#?}",
                action.kind,
                action.instance,
                listed[0].member_id,
                plan
            );
        }
        let Some(seed) = rebootstrapping(reading, action) else {
            continue;
        };
        for stranger in &reading.snapshot.history.strangers {
            let id = stranger.member_id.as_str();
            prop_assert!(
                reading.is_known(id) || reading.gives_up(seed, id),
                "{:?} of {} while {} is remembered: {:#?}",
                action.kind,
                action.instance,
                id,
                plan
            );
        }
    }
    Ok(())
}

/// Class 3: two live members whose views share no member are two groups: nothing is done.
fn no_action_while_two_groups_are_live(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let views: Vec<BTreeSet<String>> = reading
        .read
        .keys()
        .filter(|id| reading.own_state(id).is_some_and(Reading::live))
        .map(|id| {
            reading.read[id]
                .view
                .iter()
                .map(|r| r.member_id.to_ascii_lowercase())
                .collect()
        })
        .collect();
    let apart = views
        .iter()
        .enumerate()
        .any(|(i, a)| views[i + 1..].iter().any(|b| a.is_disjoint(b)));
    if apart {
        prop_assert!(
            plan.action.is_none(),
            "acted while two groups are live: {:#?}",
            plan
        );
    }
    Ok(())
}

/// Class 4: a journaled bootstrap blocks the next until an observation taken after it (allowing
/// for clock skew) shows its member out of any group.
fn no_second_bootstrap_before_the_first_is_proven_dead(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let skew = chrono::Duration::seconds(
        i64::try_from(reading.snapshot.policy.clock_skew_secs).unwrap_or(i64::MAX),
    );
    for action in plan.action.iter() {
        if rebootstrapping(reading, action).is_none() {
            continue;
        }
        for earlier in reading
            .snapshot
            .history
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::Bootstrap && a.outcome != Outcome::NotAttempted)
        {
            let id = earlier.instance.as_str();
            let after = reading.now() - skew > earlier.at;
            let out = match reading.own_state(id) {
                Some(state) => !Reading::live(state),
                None => reading.down(id),
            };
            prop_assert!(
                after && out,
                "{:?} of {} after the bootstrap of {} at {}: {:#?}",
                action.kind,
                action.instance,
                id,
                earlier.at,
                plan
            );
        }
    }
    Ok(())
}

/// Class 5 and its kin: an expel or a reboot leaves every quorum view that lists its target its
/// quorum, a majority ONLINE and the tolerance floor, whatever the target says of itself.
fn no_action_leaves_fewer_online_members_than_a_majority(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let majority = reading.snapshot.instances.len() / 2 + 1;
    let floor = reading.snapshot.policy.fault_tolerance_floor as usize;
    // A rejoin or a bootstrap only adds members (on a running member both fail with 3093);
    // an expel or a reboot takes its target out.
    let removing = plan.action.iter().filter(|a| {
        matches!(
            a.kind,
            ActionKind::Expel | ActionKind::Reboot | ActionKind::Maintenance
        )
    });
    for action in removing {
        // The rows that may be the target: its uuid when known; when not, any row no known
        // member accounts for.
        let target = reading.identity.get(action.instance.as_str());
        let is_target = |row: &ViewMember| match target {
            Some(uuid) => row.member_id.eq_ignore_ascii_case(uuid),
            None => !reading.is_known(&row.member_id),
        };
        for view in &reading.quorum_views {
            for row in view.iter().filter(|r| is_target(r)) {
                let online = view
                    .iter()
                    .filter(|r| r.state == MemberState::Online)
                    .count();
                let counted = view
                    .iter()
                    .filter(|r| r.state != MemberState::Error)
                    .count();
                let reachable = view
                    .iter()
                    .filter(|r| !matches!(r.state, MemberState::Error | MemberState::Unreachable))
                    .count();
                if row.state == MemberState::Online || action.kind == ActionKind::Expel {
                    let after = online - usize::from(row.state == MemberState::Online);
                    prop_assert!(
                        after >= majority,
                        "{} leaves {} ONLINE: {:#?}",
                        action.instance,
                        after,
                        plan
                    );
                    if row.state == MemberState::Online {
                        prop_assert!(after.saturating_sub(1) / 2 >= floor, "{:#?}", plan);
                    }
                }
                if row.state != MemberState::Error {
                    let reachable_after =
                        reachable - usize::from(row.state != MemberState::Unreachable);
                    prop_assert!(
                        reachable_after * 2 > counted - 1,
                        "{} breaks the view's quorum: {:#?}",
                        action.instance,
                        plan
                    );
                }
            }
        }
    }
    Ok(())
}

fn every_refusal_and_action_says_why(plan: &Plan) -> Result<(), TestCaseError> {
    let texts = plan
        .refused
        .iter()
        .map(|r| &r.reason)
        .chain(plan.action.iter().map(|a| &a.reason))
        .chain(plan.findings.iter().map(|f| &f.message));
    for text in texts {
        prop_assert!(!text.trim().is_empty());
        // A run of spaces is a source line break that lost its `\` continuation: the alert and
        // the log would show the text torn apart.
        prop_assert!(
            !text.contains("   "),
            "a text with a run of spaces: {text:?}"
        );
    }
    Ok(())
}

/// An action is taken for something the plan reports, so the incident about that finding tells
/// of it (`ActionKind::repairs`).
fn every_action_repairs_a_finding_it_reports(plan: &Plan) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        prop_assert!(
            plan.findings
                .iter()
                .any(|f| action.kind.repairs().contains(&f.kind)),
            "{:?} repairs none of the findings: {:#?}",
            action,
            plan
        );
    }
    Ok(())
}

fn paused_or_observing_clusters_take_no_action(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let snapshot = reading.snapshot;
    let paused = snapshot
        .history
        .paused
        .as_ref()
        .is_some_and(|p| p.until > snapshot.observed_at);
    if paused || snapshot.policy.mode == Mode::Observe {
        prop_assert!(plan.action.is_none(), "{:#?}", plan);
    }
    for action in plan.action.iter() {
        let paused = snapshot
            .history
            .paused_instances
            .get(&action.instance)
            .is_some_and(|p| p.until > snapshot.observed_at);
        prop_assert!(!paused, "{:#?}", plan);
    }
    Ok(())
}

fn actions_target_available_inventory_instances_only(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        prop_assert_eq!(
            reading.rds_status(&action.instance),
            Some("available"),
            "{:#?}",
            plan
        );
    }
    Ok(())
}

fn no_member_with_errant_gtids_is_rejoined(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter().filter(|a| a.kind == ActionKind::Rejoin) {
        // What the live group's ONLINE members hold, read from the members themselves.
        let online: BTreeSet<&String> = reading
            .quorum_views
            .iter()
            .copied()
            .flatten()
            .filter(|r| r.state == MemberState::Online)
            .map(|r| &r.member_id)
            .collect();
        let group = reading
            .read
            .iter()
            .filter(|(_, r)| online.contains(&r.server_uuid))
            .fold(GtidSet::new(), |acc, (id, _)| acc.union(&reading.holds(id)));
        prop_assert!(
            reading.holds(&action.instance).is_subset(&group),
            "{:#?}",
            plan
        );
    }
    Ok(())
}

fn no_action_on_an_instance_sharing_its_server_uuid(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        let Some(mine) = reading.identity.get(action.instance.as_str()) else {
            continue;
        };
        let twins = reading
            .identity
            .iter()
            .filter(|(id, uuid)| **id != action.instance && *uuid == mine)
            .count();
        prop_assert_eq!(twins, 0, "acted on a restored copy: {:#?}", plan);
    }
    // Nor a bootstrap of a third member beside twins (what they hold cannot be told apart)
    // unless a person approved it.
    let twins_exist = reading.identity.iter().any(|(id, uuid)| {
        reading
            .identity
            .iter()
            .any(|(other, u)| other != id && u == uuid)
    });
    let bootstraps = plan.action.iter().any(|a| {
        a.kind == ActionKind::Bootstrap
            && reading
                .bootstrap_approvals(Some(&a.instance))
                .next()
                .is_none()
    });
    prop_assert!(
        !(twins_exist && bootstraps),
        "bootstrapped beside twins without an approval: {:#?}",
        plan
    );
    Ok(())
}

/// `major.minor.patch` of a version text; unparsed versions last.
fn triple(text: &str) -> (u32, u32, u32) {
    let parts: Vec<u32> = text
        .split('.')
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(u32::MAX)
        })
        .collect();
    match parts.as_slice() {
        [a, b, c] => (*a, *b, *c),
        _ => (u32::MAX, u32::MAX, u32::MAX),
    }
}

/// The LTS series of a version: 8.4, and `x.7` from 9 on.
fn lts(version: (u32, u32, u32)) -> Option<(u32, u32)> {
    let (major, minor, _) = version;
    ((major, minor) == (8, 4) || (major >= 9 && minor == 7)).then_some((major, minor))
}

/// Group Replication counts every version of one LTS series as one when all of `versions` run it.
fn one_series(versions: &[(u32, u32, u32)]) -> bool {
    versions
        .first()
        .and_then(|v| lts(*v))
        .is_some_and(|first| versions.iter().all(|v| lts(*v) == Some(first)))
}

/// The version a join compares: the series when `one` (every member one LTS series), else the
/// full version.
fn version_key(text: &str, one: bool) -> (u32, u32, u32) {
    let version = triple(text);
    match lts(version) {
        Some((major, minor)) if one => (major, minor, 0),
        _ => version,
    }
}

fn bootstrap_starts_from_the_lowest_version_holding_everything(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan
        .action
        .iter()
        .filter(|a| a.kind == ActionKind::Bootstrap)
    {
        let id = action.instance.as_str();
        let Some(seed) = reading.read.get(id) else {
            return Err(TestCaseError::fail(format!("bootstrap of unread {id}")));
        };
        prop_assert_eq!(
            reading.own_state(id),
            Some(MemberState::Offline),
            "{:#?}",
            plan
        );
        prop_assert!(seed.settings.group_name.is_some(), "{:#?}", plan);
        let everything = reading.read.keys().fold(GtidSet::new(), |acc, other| {
            acc.union(&reading.holds(other))
        });
        prop_assert!(everything.is_subset(&reading.holds(id)), "{:#?}", plan);
        let read: Vec<(u32, u32, u32)> =
            reading.read.values().map(|r| triple(&r.version)).collect();
        let one = one_series(&read);
        let lower = reading.read.iter().find(|(other, report)| {
            everything.is_subset(&reading.holds(other))
                && version_key(&report.version, one) < version_key(&seed.version, one)
        });
        prop_assert!(
            lower.is_none(),
            "bootstrap of {} ({}) while {:?} holds everything too: {:#?}",
            id,
            seed.version,
            lower.map(|(o, r)| (o, &r.version)),
            plan
        );
    }
    Ok(())
}

/// Readying a seed in ERROR (stopping its Group Replication so it can bootstrap) takes a step
/// more than bootstrapping an OFFLINE member: it is not taken while an OFFLINE member that holds
/// every transaction too, of no higher version, could be the seed (available, its group name
/// known, not stopped by a person).
fn a_seed_in_error_is_readied_only_without_an_offline_equal(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    if !reading.quorum_views.is_empty() {
        return Ok(());
    }
    let everything = reading.read.keys().fold(GtidSet::new(), |acc, other| {
        acc.union(&reading.holds(other))
    });
    let holds_everything = |id: &str| everything.is_subset(&reading.holds(id));
    let read: Vec<(u32, u32, u32)> = reading.read.values().map(|r| triple(&r.version)).collect();
    let one = one_series(&read);
    for action in plan.action.iter().filter(|a| a.kind == ActionKind::Expel) {
        let id = action.instance.as_str();
        let Some(seed) = reading.read.get(id) else {
            continue;
        };
        // An ERROR member whose view still lists others live is stopped to clear that view.
        let stale = seed
            .view
            .iter()
            .any(|r| r.member_id != seed.server_uuid && Reading::live(r.state));
        if reading.own_state(id) != Some(MemberState::Error) || stale || !holds_everything(id) {
            continue;
        }
        let equal = reading.read.iter().find(|(other, report)| {
            **other != id
                && reading.own_state(other) == Some(MemberState::Offline)
                && holds_everything(other)
                && version_key(&report.version, one) <= version_key(&seed.version, one)
                && reading.rds_status(other) == Some("available")
                && report.settings.group_name.is_some()
                && (reading.snapshot.policy.rejoin_after_operator_stop
                    || !reading.stopped_by_a_person(other))
        });
        prop_assert!(
            equal.is_none(),
            "{} in ERROR readied as the seed while {:?} is OFFLINE and holds everything: {:#?}",
            id,
            equal.map(|(other, _)| other),
            plan
        );
    }
    Ok(())
}

/// A join is refused for its version only when Group Replication would refuse it, and planned
/// only when it would not: the plugin compares the joiner with every member of the group
/// (RECOVERING and UNREACHABLE ones too), never with the joiner's own earlier row nor with a row
/// in ERROR; older than the lowest of them is refused, unless the joiner and all of them run one
/// LTS series. Views may disagree, so each side is checked against some quorum view.
fn a_joiner_is_judged_by_every_member_of_the_group(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let refused_by = |id: &str, view: &[ViewMember]| -> Option<bool> {
        let joiner = reading.read.get(id)?;
        let group: Vec<&str> = view
            .iter()
            .filter(|r| r.state != MemberState::Error)
            .filter(|r| !r.member_id.eq_ignore_ascii_case(&joiner.server_uuid))
            .map(|r| r.version.as_str())
            .collect();
        let all: Vec<(u32, u32, u32)> = group
            .iter()
            .chain([&joiner.version.as_str()])
            .map(|v| triple(v))
            .collect();
        let one = one_series(&all);
        let lowest = group.iter().map(|v| version_key(v, one)).min()?;
        Some(version_key(&joiner.version, one) < lowest)
    };
    let judged = |id: &str, refused: bool| {
        reading
            .quorum_views
            .iter()
            .any(|view| refused_by(id, view) == Some(refused))
    };
    for refusal in plan
        .refused
        .iter()
        .filter(|r| r.guard == crate::plan::Guard::Version)
    {
        prop_assert!(
            judged(&refusal.instance, true),
            "{:?} of {} refused for a version every member of the group accepts: {:#?}",
            refusal.action,
            refusal.instance,
            plan
        );
    }
    for action in plan
        .action
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Rejoin | ActionKind::Reboot))
        .filter(|a| reading.read.contains_key(a.instance.as_str()))
    {
        prop_assert!(
            reading.quorum_views.is_empty() || judged(&action.instance, false),
            "{:?} of {}, which the group refuses for its version: {:#?}",
            action.kind,
            action.instance,
            plan
        );
    }
    Ok(())
}

fn no_membership_change_while_a_member_is_unreachable(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan
        .action
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Rejoin | ActionKind::Expel))
    {
        let target = reading.identity.get(action.instance.as_str());
        for row in reading
            .quorum_views
            .iter()
            .copied()
            .flatten()
            .filter(|r| r.state == MemberState::Unreachable)
        {
            prop_assert!(
                target.is_some_and(|t| row.member_id.eq_ignore_ascii_case(t)),
                "{:?} of {} while {} is UNREACHABLE: {:#?}",
                action.kind,
                action.instance,
                row.member_id,
                plan
            );
        }
    }
    Ok(())
}

fn no_expel_of_a_recovering_member_still_making_progress(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    if reading.quorum_views.is_empty() {
        return Ok(());
    }
    let deadline = reading.snapshot.policy.recovering_deadline_secs;
    for action in plan.action.iter().filter(|a| a.kind == ActionKind::Expel) {
        let id = action.instance.as_str();
        if reading.own_state(id) != Some(MemberState::Recovering) {
            continue;
        }
        let report = reading.read[id];
        // Without an earlier reading of this incarnation, the deadline alone decides.
        let Some(seen) = reading
            .snapshot
            .history
            .last_seen
            .get(id)
            .filter(|s| s.server_uuid.eq_ignore_ascii_case(&report.server_uuid))
        else {
            continue;
        };
        let stalled = seen.gtid_executed == report.gtid_executed
            && (reading.now() - seen.executed_since).num_seconds()
                > i64::try_from(deadline).unwrap_or(i64::MAX);
        prop_assert!(stalled, "expelled {} while it progresses: {:#?}", id, plan);
    }
    Ok(())
}

fn no_reboot_cuts_across_an_auto_rejoin(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter().filter(|a| a.kind == ActionKind::Reboot) {
        let Some(report) = reading.read.get(action.instance.as_str()) else {
            continue;
        };
        let newest = report
            .errors
            .iter()
            .filter(|e| e.data.contains("uto-rejoin procedure attempt"))
            .filter_map(|e| {
                let at = chrono::NaiveDateTime::parse_from_str(&e.logged, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()?
                    .and_utc();
                Some((at, e.data.as_str()))
            })
            .max_by_key(|(at, _)| *at);
        let Some((at, data)) = newest else { continue };
        let numbers: Vec<u64> = data
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        let running = match numbers.as_slice() {
            [attempt, tries, ..] => {
                !data.contains("finished") || (data.contains("not able") && attempt < tries)
            }
            _ => false,
        };
        let fresh = reading.now() - at <= chrono::Duration::minutes(10);
        prop_assert!(
            !(running && fresh),
            "rebooted {} during its auto-rejoin: {:#?}",
            action.instance,
            plan
        );
    }
    Ok(())
}

/// A member a person stopped Group Replication on is neither rejoined nor bootstrapped: told by
/// who made the stop when grkeeper's user is known, else by time (`Reading::stopped_by_a_person`).
fn a_stop_by_a_person_is_respected(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    if reading.snapshot.policy.rejoin_after_operator_stop {
        return Ok(());
    }
    for action in plan
        .action
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Rejoin | ActionKind::Bootstrap))
    {
        prop_assert!(
            !reading.stopped_by_a_person(&action.instance),
            "{:?} of {} that a person stopped: {:#?}",
            action.kind,
            action.instance,
            plan
        );
    }
    Ok(())
}

/// No rejoin, reboot or expel the policy switches off (an expel that readies a re-bootstrap is
/// the bootstrap policy's to allow), no bootstrap switched off, and under the approval policy none
/// without an unexpired approval that covers its seed.
fn the_operators_switches_are_obeyed(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let policy = &reading.snapshot.policy;
    let bootstrap = |seed: Option<&str>| match policy.bootstrap {
        BootstrapPolicy::Auto => true,
        BootstrapPolicy::Off => false,
        BootstrapPolicy::Approval => reading.bootstrap_approvals(seed).next().is_some(),
    };
    for action in plan.action.iter() {
        let allowed = match action.kind {
            ActionKind::Rejoin => policy.rejoin,
            ActionKind::Reboot => policy.reboot,
            // An expel toward a re-bootstrap is the bootstrap policy's to allow, any other the
            // expel switch's.
            ActionKind::Expel => match rebootstrapping(reading, action) {
                Some(_) => bootstrap(None),
                None => policy.expel,
            },
            ActionKind::Bootstrap => bootstrap(Some(&action.instance)),
            // No switch: its approval, which
            // `placeholders_only_approved_own_missing_and_never_the_groups` checks.
            ActionKind::SyncGtids => true,
            ActionKind::Maintenance => match policy.maintenance {
                MaintenancePolicy::Off => false,
                MaintenancePolicy::Auto => true,
                MaintenancePolicy::Approval => reading.snapshot.history.approvals.iter().any(|a| {
                    a.action == ActionKind::Maintenance
                        && a.expires > reading.now()
                        && a.instance.as_deref().is_none_or(|i| i == action.instance)
                }),
            },
        };
        prop_assert!(allowed, "{:?} against {:?}: {:#?}", action, policy, plan);
    }
    Ok(())
}

/// No action beyond a budget: a disruptive action only while the cluster budget has room, a
/// reboot only while its member's own reboot budget has room, a rejoin or sync call not retried
/// once it failed as often as the reboot budget allows.
fn no_action_beyond_a_budget(reading: &Reading<'_>, plan: &Plan) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        let kind = action.kind;
        let mut guards = Vec::new();
        if kind.is_disruptive() {
            guards.push(Guard::ClusterBudget);
        }
        match kind {
            ActionKind::Reboot | ActionKind::Maintenance => guards.push(Guard::RebootBudget),
            ActionKind::Rejoin | ActionKind::SyncGtids => guards.push(Guard::RepeatedFailure),
            _ => {}
        }
        for guard in guards {
            prop_assert!(
                !reading.spent(guard, kind, &action.instance),
                "{:?} beyond the {:?} budget: {:#?}",
                action,
                guard,
                plan
            );
        }
    }
    Ok(())
}

/// Members configured for different groups are never joined: no rejoin or reboot back into a
/// group whose ONLINE members are configured for another group name than the member, and no
/// bootstrap while the read members disagree (names compare without case, as MySQL's do).
fn no_member_joins_a_group_of_another_name(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        match action.kind {
            ActionKind::Bootstrap => {
                prop_assert!(reading.group_names(false).len() <= 1, "{:#?}", plan);
            }
            // A sync step prepares its joiner's rejoin.
            ActionKind::Rejoin | ActionKind::Reboot | ActionKind::SyncGtids => {
                let member = action
                    .placeholders
                    .as_ref()
                    .map_or(action.instance.as_str(), |p| p.joiner.as_str());
                let Some(mine) = reading
                    .read
                    .get(member)
                    .and_then(|r| r.settings.group_name.as_deref())
                else {
                    continue;
                };
                let group = reading.group_names(true);
                prop_assert!(
                    group.is_empty() || group.contains(&mine.to_ascii_lowercase()),
                    "{:?} of a member of group {} into {:?}: {:#?}",
                    action.kind,
                    mine,
                    group,
                    plan
                );
            }
            ActionKind::Expel | ActionKind::Maintenance => {}
        }
    }
    Ok(())
}

/// A refusal names a guard whose rule really holds, read from the snapshot: a switch that is off,
/// no approval, a pause, a spent budget, a recent action, a floor the action would cross, a stop by
/// a person, group names that differ. A guard that holds back more than its rule says (a repair
/// wrongly withheld) fails here as surely as one that lets an unsafe action through fails above.
fn every_refusal_is_justified(reading: &Reading<'_>, plan: &Plan) -> Result<(), TestCaseError> {
    let snapshot = reading.snapshot;
    let policy = &snapshot.policy;
    let now = reading.now();
    for refusal in &plan.refused {
        let instance = refusal.instance.as_str();
        let justified = match refusal.guard {
            Guard::ObserveMode => policy.mode == Mode::Observe,
            Guard::Disabled => match refusal.action {
                ActionKind::Rejoin => !policy.rejoin,
                ActionKind::Reboot => !policy.reboot,
                ActionKind::Expel => !policy.expel || policy.bootstrap == BootstrapPolicy::Off,
                ActionKind::Bootstrap => policy.bootstrap == BootstrapPolicy::Off,
                ActionKind::SyncGtids => false,
                ActionKind::Maintenance => policy.maintenance == MaintenancePolicy::Off,
            },
            Guard::ApprovalRequired if refusal.action == ActionKind::Maintenance => {
                policy.maintenance == MaintenancePolicy::Approval
                    && !snapshot.history.approvals.iter().any(|a| {
                        a.action == ActionKind::Maintenance
                            && a.expires > now
                            && a.instance.as_deref().is_none_or(|i| i == instance)
                    })
            }
            // A sync step's refusal names the instance it is taken on, not the joiner its
            // approval must name and cover: that side is checked on the actions.
            Guard::ApprovalRequired if refusal.action == ActionKind::SyncGtids => true,
            Guard::ApprovalRequired => {
                policy.bootstrap == BootstrapPolicy::Approval
                    && match refusal.action {
                        ActionKind::Bootstrap => {
                            reading.bootstrap_approvals(Some(instance)).next().is_none()
                        }
                        // An expel that readies a re-bootstrap needs the approval of its seed,
                        // which the refusal does not name: only one of any seed rules it out.
                        _ => reading
                            .bootstrap_approvals(None)
                            .all(|a| a.instance.is_some()),
                    }
            }
            Guard::Paused => {
                snapshot
                    .history
                    .paused
                    .as_ref()
                    .is_some_and(|p| p.until > now)
                    || snapshot
                        .history
                        .paused_instances
                        .iter()
                        // A sync step is held back for its joiner's pause too, which its
                        // refusal does not name.
                        .filter(|(id, _)| {
                            *id == instance || refusal.action == ActionKind::SyncGtids
                        })
                        .any(|(_, p)| p.until > now)
            }
            Guard::PendingAction => snapshot
                .history
                .actions
                .iter()
                .any(|a| a.outcome == Outcome::Pending),
            Guard::Cooldown => reading
                .journaled(Some(instance), policy.member_cooldown_secs, |_| true)
                .next()
                .is_some(),
            Guard::ClusterBudget | Guard::RebootBudget | Guard::RepeatedFailure => {
                reading.spent(refusal.guard, refusal.action, instance)
            }
            Guard::Majority => reading.majority_lost_without(instance, refusal.action),
            Guard::ToleranceFloor => reading.below_floor_without(instance),
            Guard::OperatorStop => {
                !policy.rejoin_after_operator_stop && reading.stopped_by_a_person(instance)
            }
            Guard::GroupName => {
                reading.group_names(false).len() > 1
                    || reading
                        .read
                        .get(instance)
                        .is_none_or(|r| r.settings.group_name.is_none())
            }
            _ => true,
        };
        prop_assert!(justified, "unjustified refusal {:?}: {:#?}", refusal, plan);
    }
    Ok(())
}

/// After a split brain, no member of one group is rejoined (or rebooted back) into a group that
/// holds a member of another, and nothing is re-bootstrapped, until a person approves each
/// rebuilt member's rejoin. A member no inventory instance has the `server_uuid` of any more is
/// forgotten, and so is the split once fewer than two groups keep members.
fn no_member_rejoins_across_a_remembered_split_brain(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let snapshot = reading.snapshot;
    let Some(split) = &snapshot.history.split_brain else {
        return Ok(());
    };
    let approved = |id: &str| {
        snapshot.history.approvals.iter().any(|a| {
            a.action == ActionKind::Rejoin
                && a.expires > reading.now()
                && a.instance.as_deref() == Some(id)
        })
    };
    // Some instance has the member's server_uuid and was not vouched for by name.
    let open = |uuid: &str| {
        reading
            .identity
            .iter()
            .any(|(id, known)| known.eq_ignore_ascii_case(uuid) && !approved(id))
    };
    let mut sides: Vec<BTreeSet<String>> = Vec::new();
    for side in &split.sides {
        let side: BTreeSet<String> = side
            .iter()
            .filter(|uuid| open(uuid))
            .map(|uuid| uuid.to_ascii_lowercase())
            .collect();
        if !side.is_empty() && !sides.contains(&side) {
            sides.push(side);
        }
    }
    if sides.len() < 2 {
        return Ok(());
    }
    let live: BTreeSet<String> = reading
        .quorum_views
        .iter()
        .copied()
        .flatten()
        .filter(|r| Reading::live(r.state))
        .map(|r| r.member_id.to_ascii_lowercase())
        .collect();
    for action in plan.action.iter() {
        if rebootstrapping(reading, action).is_some() {
            return Err(TestCaseError::fail(format!(
                "{:?} of {} while groups seen apart are remembered: {plan:#?}",
                action.kind, action.instance
            )));
        }
        // A sync step prepares its joiner's rejoin.
        let member = action
            .placeholders
            .as_ref()
            .map_or(action.instance.as_str(), |p| p.joiner.as_str());
        if !matches!(
            action.kind,
            ActionKind::Rejoin | ActionKind::Reboot | ActionKind::SyncGtids
        ) || approved(member)
        {
            continue;
        }
        let Some(uuid) = reading.identity.get(member) else {
            continue;
        };
        for side in sides.iter().filter(|side| side.contains(uuid)) {
            let across = sides
                .iter()
                .flatten()
                .filter(|other| !side.contains(*other))
                .find(|other| live.contains(*other));
            prop_assert!(
                across.is_none(),
                "{:?} of {} into a group holding {:?}, which was live apart from it: {:#?}",
                action.kind,
                member,
                across,
                plan
            );
        }
    }
    Ok(())
}

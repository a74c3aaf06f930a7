//! The pure decision engine: [`Snapshot`] (observation + policy + history + time) -> [`Plan`].
//!
//! No I/O, no clock, no async: the same snapshot always gives the same plan, so any tick can be
//! replayed offline (`grkeeper plan --snapshot`). A plan holds at most one action (its type says
//! so); the keeper acts, observes again and plans again, so every step is re-diagnosed on fresh
//! facts. The plan also carries what the keeper keeps in the journal for the next tick: the
//! condition labels ([`conditions`]) and the [`Memory`] ([`last_seen`], [`strangers`],
//! [`split_brain`]).

mod autorejoin;
mod checks;
pub mod conditions;
mod copies;
mod draft;
mod drift;
pub mod endpoints;
pub mod flapping;
mod guards;
pub mod last_seen;
mod local_gtids;
mod maintenance;
mod members;
mod picture;
mod playbook;
pub mod roll;
mod safety;
pub mod split_brain;
pub mod strangers;
#[cfg(test)]
mod tests;
mod version;
mod window;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// The planner's inputs besides the observation, named here too for the planner's own use.
pub use crate::snapshot::{
    ActionKind, ActiveMember, Approval, BootstrapPolicy, Condition, EndpointPolicy, History,
    LastSeen, MaintenancePolicy, MaintenanceStep, Mode, Outcome, PastAction, Pause, Placeholders,
    Policy, SplitBrain, Stranger,
};

use crate::snapshot::Snapshot;

/// The doctor judges grants by the same version rules.
pub(crate) use version::Version;

/// What to do now, what was noticed, what was not done and why, and what to remember.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// The cluster planned for.
    pub cluster: String,
    /// The cluster's health as observed.
    pub health: Health,
    /// The one action to take now, if any.
    pub action: Option<Action>,
    /// Everything worth telling a person, with a severity.
    pub findings: Vec<Finding>,
    /// Actions the situation called for that a guard stopped, each with the reason.
    pub refused: Vec<Refusal>,
    /// Each inventory instance's condition label as of this observation, and since when: the
    /// history's conditions carried forward ([`conditions::next`]), for the journal to keep.
    pub conditions: BTreeMap<String, Condition>,
    /// What the DNS names should resolve to, when the policy keeps names
    /// ([`endpoints`], `docs/endpoints.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<endpoints::Records>,
    /// How a rolling maintenance stands, when the policy allows one and there is one
    /// ([`roll`], `docs/maintenance.md`): done, the member waited for, what remains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll: Option<roll::Roll>,
    /// The rest of what the journal keeps after this observation. Not printed: it holds every
    /// member's GTID sets, which can be large (the journal's items show it).
    #[serde(skip)]
    #[schemars(skip)]
    pub memory: Memory,
}

/// What the journal keeps after an observation besides the conditions, for the next one to be
/// judged against: each instance as last read, the members outside the inventory the views
/// listed, and the groups seen apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    /// [`last_seen::next`].
    pub last_seen: BTreeMap<String, LastSeen>,
    /// [`strangers::next`].
    pub strangers: Vec<Stranger>,
    /// [`split_brain::next`].
    pub split_brain: Option<SplitBrain>,
    /// [`endpoints`]: the member the active name points at; the keeper keeps it once the
    /// records are published.
    pub active: Option<ActiveMember>,
}

/// Cluster health in MySQL Shell's terms, computed from the authoritative view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Overall status.
    pub status: ClusterStatus,
    /// Instances in the inventory.
    pub members: u32,
    /// `ONLINE` members of the group that holds quorum (0 without one).
    pub online: u32,
    /// Failures the group can tolerate: `(online - 1) / 2`.
    pub tolerance: u32,
}

/// Overall cluster status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    /// Every member ONLINE, tolerates at least one failure.
    Ok,
    /// A quorum group exists, some members are not in it, it tolerates a failure.
    OkPartial,
    /// Every member ONLINE but no failure can be tolerated (1 or 2 members).
    OkNoTolerance,
    /// A quorum group exists, some members missing, no failure can be tolerated.
    OkNoTolerancePartial,
    /// Members report a live group but none has a majority: writes hang.
    NoQuorum,
    /// No member reports a live group (views that still list members which themselves report
    /// otherwise are stale).
    CompleteOutage,
    /// Two live groups exist: two with quorum, or two live members whose views share no member.
    SplitBrain,
    /// The inventory has no instance: nothing to keep.
    Empty,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Action {
    /// What.
    pub kind: ActionKind,
    /// On which instance.
    pub instance: String,
    /// Why, in words a person on call understands.
    pub reason: String,
    /// For [`ActionKind::SyncGtids`]: the placeholders to create on `instance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholders: Option<Placeholders>,
    /// For [`ActionKind::Maintenance`]: what the step applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<MaintenanceStep>,
}

impl Action {
    /// `kind` on `instance`, for `reason`.
    pub fn new(kind: ActionKind, instance: impl Into<String>, reason: impl Into<String>) -> Self {
        Action {
            kind,
            instance: instance.into(),
            reason: reason.into(),
            placeholders: None,
            maintenance: None,
        }
    }
}

impl ActionKind {
    /// The findings an action of this kind repairs: an incident about one of them tells of the
    /// action, taken or refused.
    pub fn repairs(self) -> &'static [FindingKind] {
        match self {
            ActionKind::Rejoin => &[FindingKind::MemberOffline],
            ActionKind::Reboot => &[FindingKind::OfflineMode, FindingKind::MemberError],
            ActionKind::Expel => &[
                FindingKind::StuckRecovering,
                FindingKind::ApplierLag,
                FindingKind::MinorityPartition,
                FindingKind::NoQuorum,
                FindingKind::CompleteOutage,
            ],
            ActionKind::Bootstrap => &[FindingKind::CompleteOutage],
            ActionKind::SyncGtids => &[FindingKind::LocalGtids],
            ActionKind::Maintenance => &[
                FindingKind::PendingMaintenance,
                FindingKind::ParameterPendingReboot,
                FindingKind::MaintenanceStalled,
            ],
        }
    }
}

/// Something worth telling a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable kind, for incidents and filters.
    pub kind: FindingKind,
    /// How urgent.
    pub severity: Severity,
    /// The instance it is about, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// What was seen and what a person should do.
    pub message: String,
}

/// How urgent a finding is; `critical` pages a person.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record.
    Info,
    /// Needs attention in working hours.
    Warning,
    /// Needs a person now.
    Critical,
}

/// Stable finding kinds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Member reachable, GR `OFFLINE`, not in the group.
    MemberOffline,
    /// Member in `ERROR`.
    MemberError,
    /// Member refuses connections with an offline-mode error (3032; 6400 or 6401 on 9.x): its
    /// exit action ran.
    OfflineMode,
    /// Member's MySQL cannot be reached (timeout, refused, other error).
    MemberUnreachable,
    /// Instance stopped through RDS.
    MemberStopped,
    /// RDS is changing the instance (rebooting, upgrading, ...): waiting.
    InstanceChanging,
    /// Member `RECOVERING` past the deadline.
    StuckRecovering,
    /// Member's applier queue above the limit past the deadline.
    ApplierLag,
    /// Member `ONLINE` in a view without a majority.
    MinorityPartition,
    /// Live group without a majority.
    NoQuorum,
    /// No live group anywhere.
    CompleteOutage,
    /// Two live groups.
    SplitBrain,
    /// Member holds transactions the group does not.
    ErrantGtids,
    /// A 9.7 joiner, or the group's members, hold GTIDs under their own `server_uuid` the other
    /// side lacks (RDS initialization writes, or local writes): they block the join until
    /// placeholders are created in both directions.
    LocalGtids,
    /// Member lacks transactions every donor has purged: rebuild needed.
    PurgedTransactions,
    /// Complete outage and no member holds every other's transactions.
    NoGtidSuperset,
    /// Members whose transactions could not be read block an automatic re-bootstrap.
    TransactionsUnknown,
    /// A member whose state is unknown blocks a decision.
    UnobservedMember,
    /// Member read-only because it runs a newer version than the group's lowest.
    VersionSkew,
    /// Member older than the group's lowest version cannot join.
    LowerVersion,
    /// `group_replication_group_seeds` misses a member.
    SeedsDrift,
    /// Parameter group changes wait for a reboot.
    ParameterPendingReboot,
    /// Binlog retention below the policy: a dropped member may become unrecoverable.
    BinlogRetention,
    /// `exit_state_action` differs between members or from the policy.
    ExitStateActionDrift,
    /// `group_name` differs between members.
    GroupNameMismatch,
    /// A view lists (or listed) a member that is not in the inventory.
    UnknownMember,
    /// Two inventory instances report the same `server_uuid`.
    DuplicateServerUuid,
    /// The inventory has no instance for this cluster.
    EmptyInventory,
    /// grkeeper's database credentials are rejected.
    AccessDenied,
    /// `DescribeDBInstances` failed for an instance.
    ControlPlaneError,
    /// The cluster or a member is paused.
    Paused,
    /// The member fell into `ERROR` again after a reboot: rebuild needed.
    RebuildNeeded,
    /// The group tolerates fewer failures than the policy floor.
    FaultToleranceLow,
    /// The member keeps leaving the group: grkeeper stopped bringing it back automatically.
    Flapping,
    /// More members' maintenance windows are open at once than the group can lose.
    MaintenanceWindowsOverlap,
    /// RDS holds maintenance for the member (`DescribePendingMaintenanceActions`).
    PendingMaintenance,
    /// Automatic minor version upgrade is on for some members and off for others.
    AutoMinorVersionUpgradeMixed,
    /// Members run different engine versions.
    EngineVersionsDiffer,
    /// RDS started the instance by itself after seven days stopped (RDS-EVENT-0154).
    StartedByRds,
    /// A rolling maintenance is under way: what is done, which member it waits for, what is
    /// left.
    MaintenanceRolling,
    /// A member a rolling-maintenance step took down did not come back `ONLINE` and caught up
    /// in time: the roll stopped.
    MaintenanceStalled,
    /// No group holds quorum alone: the DNS names are frozen as they are.
    EndpointsFrozen,
    /// The active DNS name's member left the quorum group or stopped being writable, and no
    /// member can take the name.
    ActiveHeld,
}

/// An action the situation called for that a guard stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Refusal {
    /// The action that was not taken.
    pub action: ActionKind,
    /// On which instance.
    pub instance: String,
    /// The guard that stopped it.
    pub guard: Guard,
    /// Why, and what would unblock it.
    pub reason: String,
}

/// The guards that can stop an action.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// Policy mode is `observe`.
    ObserveMode,
    /// The policy switches this action off.
    Disabled,
    /// Cluster or member paused.
    Paused,
    /// The member was acted on too recently.
    Cooldown,
    /// The cluster used its disruptive-action budget.
    ClusterBudget,
    /// The member was rebooted too often.
    RebootBudget,
    /// An earlier action has no recorded outcome yet.
    PendingAction,
    /// The RDS instance is not `available`.
    InstanceNotAvailable,
    /// Member has errant GTIDs.
    ErrantGtids,
    /// A 9.7 joiner's join waits for placeholders of local GTIDs, in both directions.
    LocalGtids,
    /// No group holds quorum.
    NoQuorum,
    /// Every donor purged what the member lacks.
    PurgedTransactions,
    /// Version rules forbid the join.
    Version,
    /// Group names differ.
    GroupName,
    /// The action would leave fewer ONLINE members than a majority.
    Majority,
    /// The action would drop fault tolerance below the policy floor.
    ToleranceFloor,
    /// A member's state is unknown.
    UnobservedMember,
    /// No member holds a GTID superset.
    NoGtidSuperset,
    /// The policy requires an approval and none is recorded.
    ApprovalRequired,
    /// Rebooting already failed to bring it back.
    RebuildNeeded,
    /// A person stopped Group Replication on the member; the stop is respected.
    OperatorStop,
    /// The same action failed on the member too often: a person should look first.
    RepeatedFailure,
    /// The member left the group too often lately: a person should look before it is brought
    /// back again.
    Flapping,
    /// Some member's transactions were not read in this observation and no approval gives them up.
    TransactionsUnknown,
    /// A view lists, or once listed, a member outside the inventory that may be live.
    UnknownMember,
    /// A bootstrap is journaled and no observation since proves its group dead.
    EarlierBootstrap,
    /// Another inventory instance has the same `server_uuid`: views cannot tell them apart.
    DuplicateServerUuid,
    /// A member is UNREACHABLE in the group's view: the group cannot change its membership.
    UnreachableMember,
    /// Group Replication is rejoining the member by itself (auto-rejoin).
    AutoRejoin,
    /// A member's view still lists others live although they report otherwise.
    StaleView,
    /// Groups seen live apart (split brain) are remembered and a person has not reconciled them.
    SplitBrain,
    /// A member is out of the group, lagging, or busy in RDS: a rolling-maintenance step waits
    /// until every member is back.
    MemberNotBack,
}

impl Guard {
    /// The finding that explains this guard, when the planner writes one.
    pub fn finding(self) -> Option<FindingKind> {
        Some(match self {
            Guard::ErrantGtids => FindingKind::ErrantGtids,
            Guard::LocalGtids => FindingKind::LocalGtids,
            Guard::PurgedTransactions => FindingKind::PurgedTransactions,
            Guard::Version => FindingKind::LowerVersion,
            Guard::GroupName => FindingKind::GroupNameMismatch,
            Guard::UnobservedMember => FindingKind::UnobservedMember,
            Guard::NoGtidSuperset => FindingKind::NoGtidSuperset,
            Guard::RebuildNeeded => FindingKind::RebuildNeeded,
            Guard::Paused => FindingKind::Paused,
            Guard::Flapping => FindingKind::Flapping,
            Guard::TransactionsUnknown => FindingKind::TransactionsUnknown,
            Guard::UnknownMember => FindingKind::UnknownMember,
            Guard::DuplicateServerUuid => FindingKind::DuplicateServerUuid,
            Guard::SplitBrain => FindingKind::SplitBrain,
            _ => return None,
        })
    }
}

/// Plans the next step for the cluster in `snapshot`.
pub fn plan(snapshot: &Snapshot) -> Plan {
    let ctx = draft::Ctx::new(snapshot);
    let mut draft = draft::Draft::default();
    if ctx.picture.nodes.is_empty() {
        draft.note(
            FindingKind::EmptyInventory,
            Severity::Warning,
            None,
            format!(
                "No RDS instance carries the tag grkeeper:cluster={} (or the inventory lists none), \
                 so there is nothing to keep. Tag the cluster's instances, or remove the cluster \
                 from grkeeper's configuration.",
                snapshot.cluster
            ),
        );
        let decision = endpoints::decide(&ctx, &mut draft);
        return draft.finish(&ctx, decision);
    }
    members::note(&ctx, &mut draft);
    safety::note(&ctx, &mut draft);
    strangers::note(&ctx, &mut draft);
    split_brain::note(&ctx, &mut draft);
    match ctx.picture.health.status {
        ClusterStatus::SplitBrain => playbook::outage::split_brain(&ctx, &mut draft),
        ClusterStatus::CompleteOutage => playbook::outage::complete(&ctx, &mut draft),
        ClusterStatus::NoQuorum => playbook::outage::no_quorum(&ctx, &mut draft),
        // mutants: equivalent because an empty inventory returned above: the status is never
        // `Empty` here, and the arm only keeps the match from treating it as a quorum group's.
        ClusterStatus::Empty => {}
        // A group with quorum exists: cheapest repair first (a rejoin only adds a member).
        _ => {
            playbook::rejoin::consider(&ctx, &mut draft);
            playbook::reboot::consider(&ctx, &mut draft);
            playbook::expel::consider(&ctx, &mut draft);
            // Last: maintenance is never more urgent than a repair.
            draft.roll = roll::consider(&ctx, &mut draft);
        }
    }
    drift::note(&ctx, &mut draft);
    maintenance::note(&ctx, &mut draft);
    flapping::note(&ctx, &mut draft);
    let decision = endpoints::decide(&ctx, &mut draft);
    draft.finish(&ctx, decision)
}

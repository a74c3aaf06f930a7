//! The repairs grkeeper knows: what a plan chooses, the journal records and an approval names;
//! and, for the approval-gated sync of a 9.7 joiner's initialization GTIDs, the placeholders one
//! step creates.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::gtid::{GtidSet, Source};

/// The repairs grkeeper knows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// `CALL mysql.rds_group_replication_start(0)`.
    Rejoin,
    /// `RebootDBInstance`.
    Reboot,
    /// `CALL mysql.rds_group_replication_stop()`.
    Expel,
    /// `CALL mysql.rds_group_replication_start(1)`.
    Bootstrap,
    /// `CALL mysql.rds_group_replication_advance_gtid(begin, end, 'uuid')`: empty placeholders
    /// for GTIDs a 9.7 joiner and the group's members hold under their own `server_uuid`s, one
    /// range per step, only with an operator's approval naming the joiner ([`Placeholders`]).
    SyncGtids,
    /// One step of a rolling maintenance (`docs/maintenance.md`): `RebootDBInstance` for
    /// parameter changes waiting for a reboot, or `ApplyPendingMaintenanceAction` (opt-in
    /// `immediate`) for a system update or an engine minor upgrade, on one member at a time
    /// ([`MaintenanceStep`]).
    Maintenance,
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionKind::Rejoin => "rejoin",
            ActionKind::Reboot => "reboot",
            ActionKind::Expel => "expel",
            ActionKind::Bootstrap => "bootstrap",
            ActionKind::SyncGtids => "sync_gtids",
            ActionKind::Maintenance => "maintenance",
        })
    }
}

impl ActionKind {
    /// A bootstrap is about the whole cluster, whichever member it starts on.
    pub fn is_cluster_wide(self) -> bool {
        self == ActionKind::Bootstrap
    }

    /// Disruptive actions take from the cluster budget; a rejoin only adds a member, and a
    /// placeholder takes nobody out (its approval is its limit).
    pub fn is_disruptive(self) -> bool {
        !matches!(self, ActionKind::Rejoin | ActionKind::SyncGtids)
    }
}

/// What one rolling-maintenance step applies to its member.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceStep {
    /// `RebootDBInstance`: the parameter group's changes waiting for a reboot
    /// (`pending-reboot`) take effect.
    Reboot,
    /// `ApplyPendingMaintenanceAction` with opt-in `immediate` for this pending action
    /// (`system-update`, `db-upgrade`).
    Apply(String),
}

impl fmt::Display for MaintenanceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaintenanceStep::Reboot => f.write_str("reboot for pending parameters"),
            MaintenanceStep::Apply(action) => write!(f, "{action}"),
        }
    }
}

/// One `mysql.rds_group_replication_advance_gtid` call: empty placeholder transactions for the
/// GTIDs `uuid:begin-end`, created on the action's instance so that `joiner` can join. The
/// procedure commits them with binary logging off, so they stay on that instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Placeholders {
    /// The member whose join they prepare: the one the approval names.
    pub joiner: String,
    /// The `server_uuid` the GTIDs are under (lowercase): a member's own, never a group name.
    pub uuid: String,
    /// The first transaction number.
    pub begin: u64,
    /// The last transaction number.
    pub end: u64,
}

impl Placeholders {
    /// The GTIDs they create.
    pub fn gtids(&self) -> GtidSet {
        let mut set = GtidSet::new();
        let source = Source {
            uuid: self.uuid.to_ascii_lowercase(),
            tag: String::new(),
        };
        set.insert_interval(source, self.begin, self.end);
        set
    }

    /// The call that creates them.
    pub fn statement(&self) -> String {
        advance_gtid_call(self.begin, self.end, &self.uuid)
    }
}

/// `CALL mysql.rds_group_replication_advance_gtid(begin, end, 'uuid')`: RDS's procedure that
/// commits an empty transaction for each of `uuid:begin-end` not executed yet, binary logging
/// off. The one place its text is written, for grkeeper's calls and for the commands it tells
/// a person.
pub fn advance_gtid_call(begin: u64, end: u64, uuid: &str) -> String {
    format!("CALL mysql.rds_group_replication_advance_gtid({begin}, {end}, '{uuid}')")
}

impl fmt::Display for Placeholders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.begin == self.end {
            write!(f, "{}:{}", self.uuid, self.begin)
        } else {
            write!(f, "{}:{}-{}", self.uuid, self.begin, self.end)
        }
    }
}

//! The four repairs grkeeper knows: what a plan chooses, the journal records and an approval
//! names.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The four repairs grkeeper knows.
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
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionKind::Rejoin => "rejoin",
            ActionKind::Reboot => "reboot",
            ActionKind::Expel => "expel",
            ActionKind::Bootstrap => "bootstrap",
        })
    }
}

impl ActionKind {
    /// A bootstrap is about the whole cluster, whichever member it starts on.
    pub fn is_cluster_wide(self) -> bool {
        self == ActionKind::Bootstrap
    }

    /// Disruptive actions take from the cluster budget; a rejoin only adds a member.
    pub fn is_disruptive(self) -> bool {
        !matches!(self, ActionKind::Rejoin)
    }
}

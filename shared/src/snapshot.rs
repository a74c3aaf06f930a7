//! The snapshot document: everything the planner reads, versioned, so any tick can be replayed
//! offline: the observation, and the planner's other inputs, the [`Policy`] the cluster is kept
//! by and the [`History`] the journal keeps. Format and JSON Schema: `docs/snapshot.md`,
//! `docs/snapshot.schema.json`.

mod action;
mod history;
mod policy;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Instance;

pub use action::{ActionKind, MaintenanceStep, Placeholders, advance_gtid_call};
pub use history::{
    ActiveMember, Approval, BinlogSample, Condition, History, LastSeen, Outcome, PastAction, Pause,
    SplitBrain, Stranger,
};
pub use policy::{BootstrapPolicy, EndpointPolicy, MaintenancePolicy, Mode, Policy};

/// The only snapshot format this version reads and writes.
pub const FORMAT: u32 = 1;

/// One observation of one cluster, with the policy and history it was planned under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Always 1: the only format this version reads and writes.
    #[schemars(range(min = 1, max = 1))]
    pub format: u32,
    /// Cluster name (the inventory tag value).
    pub cluster: String,
    /// When the observation finished: the planner's "now".
    pub observed_at: DateTime<Utc>,
    /// Every inventory instance, in inventory order.
    pub instances: Vec<Instance>,
    /// The policy in force.
    #[serde(default)]
    pub policy: Policy,
    /// What the planner knows of the past.
    #[serde(default)]
    pub history: History,
    /// The database user grkeeper logs in as (its secret's `username`): a `mysql.rds_history`
    /// row by this user is grkeeper's own call, a row by any other user a person's. Unknown in
    /// older snapshots; then only the time of a journaled expel tells grkeeper's stops apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_user: Option<String>,
}

/// Why a snapshot document was rejected.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not JSON, or not the shape of a snapshot.
    #[error("not a grkeeper snapshot: {0}")]
    Json(#[from] serde_json::Error),
    /// A format this version does not read.
    #[error("snapshot format {found} is not supported (this grkeeper reads format {FORMAT})")]
    Format {
        /// The format the document declares.
        found: u32,
    },
    /// Two instances with the same id.
    #[error("instance {0:?} appears twice in the snapshot")]
    DuplicateInstance(String),
}

impl Snapshot {
    /// Parses and checks a snapshot document.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        // Read the format first so a future format gets a clear error, not a field error.
        #[derive(Deserialize)]
        struct Header {
            format: u32,
        }
        let header: Header = serde_json::from_str(text)?;
        if header.format != FORMAT {
            return Err(SnapshotError::Format {
                found: header.format,
            });
        }
        let snapshot: Snapshot = serde_json::from_str(text)?;
        let mut seen = std::collections::BTreeSet::new();
        for instance in &snapshot.instances {
            if !seen.insert(instance.id.as_str()) {
                return Err(SnapshotError::DuplicateInstance(instance.id.clone()));
            }
        }
        Ok(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Snapshots saved before the approval's `gives_up`, the policy's `clock_skew_secs`, the
    /// history's `last_seen` and `strangers` and `db_user` existed still parse, with defaults.
    #[test]
    fn an_older_snapshot_parses_with_the_new_fields_defaulted() {
        let old = r#"{
            "format": 1, "cluster": "orders", "observed_at": "2026-11-30T12:00:00Z",
            "instances": [],
            "policy": {"mode": "act", "bootstrap": "approval", "exit_state_action": null},
            "history": {"approvals": [{"action": "bootstrap", "instance": "orders-1",
                                       "expires": "2026-11-30T12:30:00Z", "by": "alice"}]}
        }"#;
        let snapshot = Snapshot::from_json(old).unwrap();
        assert!(snapshot.history.approvals[0].gives_up.is_empty());
        assert_eq!(snapshot.policy.clock_skew_secs, 60);
        assert!(snapshot.history.last_seen.is_empty() && snapshot.history.strangers.is_empty());
        assert_eq!(snapshot.db_user, None);
    }
}

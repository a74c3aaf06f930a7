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

pub use action::ActionKind;
pub use history::{Approval, BinlogSample, Condition, History, Outcome, PastAction, Pause};
pub use policy::{BootstrapPolicy, Mode, Policy};

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

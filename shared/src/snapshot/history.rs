//! What the planner knows of the past: recent actions, since when each member has been in its
//! current condition, pauses and approvals. The journal keeps it; the planner only reads it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ActionKind;

/// The past, as far as the planner needs it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct History {
    /// Recent actions on this cluster, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<PastAction>,
    /// Per instance: the condition it was last seen in and since when (see [`Condition`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, Condition>,
    /// The cluster is paused (observe and alert only) until this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<Pause>,
    /// Paused members (maintenance), by instance id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub paused_instances: BTreeMap<String, Pause>,
    /// Recorded operator approvals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// Per instance: when it was seen leaving the group (`ONLINE` one tick, out the next),
    /// oldest first, within the policy's flap window: what tells a flapping member.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub departures: BTreeMap<String, Vec<DateTime<Utc>>>,
    /// Per instance: how many transactions its `gtid_purged` held, sampled when it changed,
    /// oldest first: how fast donors purge what a member out of the group may still need.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub binlogs: BTreeMap<String, Vec<BinlogSample>>,
}

/// One member's purged transactions as one tick counted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BinlogSample {
    /// When.
    pub at: DateTime<Utc>,
    /// How many transactions `gtid_purged` held.
    pub purged: u64,
}

/// An action grkeeper took (or started: `outcome` pending) on a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PastAction {
    /// What was done.
    pub kind: ActionKind,
    /// On which instance.
    pub instance: String,
    /// When the intent was journaled.
    pub at: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Intent journaled, no outcome yet (the tick may have died mid-action).
    Pending,
    /// Verified: the member reached the expected state.
    Succeeded,
    /// The call failed or verification timed out.
    Failed,
    /// Nothing was done: the call was never sent or the API did not take it.
    NotAttempted,
}

/// A condition label for a member (e.g. `RECOVERING`, `lagging`) and when it was first seen.
/// The keeper updates these after every observation; the planner uses them for deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Condition {
    /// The label.
    pub state: String,
    /// First observation of this label without interruption.
    pub since: DateTime<Utc>,
}

/// A pause: observe and alert only, until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pause {
    /// When the pause expires by itself.
    pub until: DateTime<Utc>,
    /// Why (shown in alerts).
    #[serde(default)]
    pub reason: String,
    /// Who paused.
    #[serde(default)]
    pub by: String,
}

/// An operator's approval of an action that the policy does not allow automatically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Approval {
    /// The approved action kind.
    pub action: ActionKind,
    /// Restricts the approval to one instance; `None` approves any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The approval is void after this.
    pub expires: DateTime<Utc>,
    /// Who approved.
    #[serde(default)]
    pub by: String,
}

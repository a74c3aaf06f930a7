//! What the planner knows of the past: recent actions, since when each member has been in its
//! current condition, what each instance was last read as, the members outside the inventory
//! that views have listed, pauses and approvals. The journal keeps it; the planner only reads
//! it (`conditions::next`, `last_seen::next` and `strangers::next` say what to keep next).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::gtid::GtidSet;
use crate::model::Address;

use super::{ActionKind, MaintenanceStep, Placeholders};

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
    /// Per instance: what the last observation that could read it saw (see [`LastSeen`]). An
    /// instance that cannot be read now is judged by this, never by its RDS status.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub last_seen: BTreeMap<String, LastSeen>,
    /// Members outside the inventory that a view listed, remembered so that a stop (which wipes
    /// the views) cannot wipe the evidence that they exist (see [`Stranger`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub strangers: Vec<Stranger>,
    /// Groups seen live apart (split brain), remembered until a person reconciles them, so that
    /// a member of one is not rejoined into the other once the views no longer show the split
    /// (see [`SplitBrain`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_brain: Option<SplitBrain>,
    /// The member the active DNS name points at, and since when (see [`ActiveMember`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<ActiveMember>,
}

/// The member the active DNS name was last pointed at (`docs/endpoints.md`): it keeps the name
/// until it leaves the quorum group or stops being writable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActiveMember {
    /// The RDS instance.
    pub instance: String,
    /// When the name was pointed at it.
    pub since: DateTime<Utc>,
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
    /// For a [`ActionKind::SyncGtids`] step, the placeholders it created on `instance`: what
    /// verifying it reads back from the instance's `gtid_executed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholders: Option<Placeholders>,
    /// For a [`ActionKind::Maintenance`] step, what it applied: what the roll waits to see
    /// cleared on the member before the next step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<MaintenanceStep>,
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
    /// What a bootstrap may go ahead without: the instance ids whose transactions could not be
    /// read (stopped, failed) and the `server_uuid`s of remembered members outside the
    /// inventory. The approver accepts that whatever only they committed is given up, and
    /// vouches that they are down.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gives_up: Vec<String>,
    /// For a sync of initialization GTIDs: the only GTIDs it may create placeholders for, in
    /// either direction; `None` approves whatever the joiner's and the members' own GTIDs need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtids: Option<GtidSet>,
    /// The approval is void after this.
    pub expires: DateTime<Utc>,
    /// Who approved.
    #[serde(default)]
    pub by: String,
}

/// One instance as the last observation that read it saw it: its identity and its GTID sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LastSeen {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// Its `@@server_uuid` then: a view row with this id is this instance.
    pub server_uuid: String,
    /// Its `@@gtid_executed` then.
    pub gtid_executed: GtidSet,
    /// What the group had certified and queued on it then but it had maybe not applied (the
    /// applier channel's `RECEIVED_TRANSACTION_SET`).
    #[serde(default, skip_serializing_if = "GtidSet::is_empty")]
    pub received: GtidSet,
    /// Its `@@gtid_purged` then.
    #[serde(default, skip_serializing_if = "GtidSet::is_empty")]
    pub gtid_purged: GtidSet,
    /// The first reading at which `gtid_executed` had this value: how long it has not grown.
    pub executed_since: DateTime<Utc>,
    /// Transactions earlier readings of this instance held that this one no longer does: a
    /// snapshot restored into it, or a rebuild, replaced its data (its `server_uuid` may have
    /// changed too). They may exist on no member now, so no re-bootstrap starts from a seed
    /// lacking them unless an approval gives this instance up; forgotten once it is read
    /// `ONLINE` (a group took it back as it is).
    #[serde(default, skip_serializing_if = "GtidSet::is_empty")]
    pub lost: GtidSet,
    /// How it named itself then (its own view row's host and port, `@@hostname`): a view row
    /// under its `server_uuid` at another address is a copy of it running elsewhere.
    #[serde(default, skip_serializing_if = "Address::is_empty")]
    pub address: Address,
}

impl LastSeen {
    /// Every transaction it held when read: applied, or certified and queued.
    pub fn transactions(&self) -> GtidSet {
        self.gtid_executed.union(&self.received)
    }

    /// Every transaction this instance is remembered to have held, now or before its data was
    /// replaced: what a re-bootstrap's seed must hold unless the instance is given up.
    pub fn remembered(&self) -> GtidSet {
        self.transactions().union(&self.lost)
    }
}

/// A member a view listed that is no inventory instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Stranger {
    /// Its `MEMBER_ID` (`server_uuid`), lowercase.
    pub member_id: String,
    /// `MEMBER_HOST` as the view gave it.
    #[serde(default)]
    pub host: String,
    /// `MEMBER_PORT` as the view gave it.
    #[serde(default)]
    pub port: u16,
    /// First observation that listed it.
    pub first_seen: DateTime<Utc>,
    /// Last observation that listed it.
    pub last_seen: DateTime<Utc>,
}

/// Groups seen live at once apart from each other (split brain). Their members hold different
/// rows under the same GTID numbers, so once one group is stopped its members' sets can look
/// like subsets of the other's: rejoining them would merge the two silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SplitBrain {
    /// First observation that showed groups apart.
    pub first_seen: DateTime<Utc>,
    /// Last observation that showed them.
    pub last_seen: DateTime<Utc>,
    /// Each group as the views of its live members listed it: the `server_uuid`s (lowercase) of
    /// the inventory instances live in it. A member is forgotten once a person approves its
    /// rejoin or no inventory instance has its `server_uuid` any more (rebuilt, or gone).
    pub sides: Vec<Vec<String>>,
}

//! The cluster's memory between ticks: a lease that makes one tick the only actor, the action
//! journal (intent before acting, outcome after), condition labels, the planner's memory (each
//! instance as last read, strangers, a split brain), open incidents, pauses and approvals: [`LeaseStore`] and [`Journal`], with [`MemoryJournal`] beside them and the
//! `contract` every implementation must meet (the DynamoDB one is in `adapters::aws::dynamo`;
//! both keep the same `items`). Layout of the DynamoDB items: `docs/journal.md`.
//!
//! Every write a tick makes is fenced by its lease's epoch: a tick that lost its lease (it ran
//! past the expiry and another took over) cannot write, so it cannot record an action it must
//! not take. A retried or duplicated invocation reads the journal, finds any action left
//! `pending` and resumes (verifies) it instead of repeating it.

#[cfg(any(test, feature = "fixtures"))]
pub mod contract;
pub(crate) mod items;
mod memory;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Published;
use crate::plan::{Action, Memory};
use crate::ports::aws::AwsError;
use crate::ports::dns_zone::Change;
use crate::report::{AlertMessage, Incident};
use crate::snapshot::{
    ActionKind, Approval, BinlogSample, Condition, History, MaintenancePolicy, Outcome, PastAction,
    Pause, Policy,
};

pub use memory::MemoryJournal;

/// The right to act on one cluster, until `expires`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The cluster.
    pub cluster: String,
    /// Who holds it (unique per tick, e.g. the Lambda request id).
    pub owner: String,
    /// Increases on every acquisition: every fenced write names it.
    pub epoch: u64,
    /// When another tick may take it over (whole seconds).
    pub expires: DateTime<Utc>,
}

/// The answer to a lease request. "Held" is a normal outcome, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseGrant {
    /// The lease is ours.
    Acquired(Lease),
    /// Another tick holds it.
    Held {
        /// Its owner.
        owner: String,
        /// Until when.
        until: DateTime<Utc>,
    },
}

/// Identifies one journaled action: when its intent was recorded (milliseconds), what, and on
/// which instance. Derived from the action itself, so the keeper can name a pending action it
/// found in [`History`] (see [`ActionId::of`]) and re-recording the same intent is a no-op.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ActionId(String);

impl ActionId {
    /// The id of an action whose intent is recorded at `at`.
    pub fn new(at: DateTime<Utc>, kind: ActionKind, instance: &str) -> ActionId {
        ActionId(format!("{}#{kind}#{instance}", timestamp(at)))
    }

    /// The id of an action read back from the journal.
    pub fn of(past: &PastAction) -> ActionId {
        ActionId::new(past.at, past.kind, &past.instance)
    }

    /// The id of the DNS change batch stored under sort key `key`, for errors.
    pub(crate) fn dns(key: &str) -> ActionId {
        ActionId(key.to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a tick keeps for the next besides its actions, in one item written at once: each
/// instance's condition label and since when, when members left the group (the flap history),
/// and samples of each member's purged transactions (how fast donors purge). [`History`] holds them for the planner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracked {
    /// Instance -> label and since when.
    #[serde(default)]
    pub conditions: BTreeMap<String, Condition>,
    /// Instance -> when it left the group, oldest first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub departures: BTreeMap<String, Vec<DateTime<Utc>>>,
    /// Instance -> samples of its purged transactions, oldest first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub binlogs: BTreeMap<String, Vec<BinlogSample>>,
}

impl Tracked {
    /// The tracked parts of `history`.
    pub fn of(history: &History) -> Tracked {
        Tracked {
            conditions: history.conditions.clone(),
            departures: history.departures.clone(),
            binlogs: history.binlogs.clone(),
        }
    }
}

/// The alerting side of the journal: the open incidents, the alerts a tick decided on but
/// could not deliver (SNS unreachable), which the next tick sends first, and the alerts SNS
/// rejected for good, parked for a person to read. Incidents and the queue are saved together,
/// so a transition is never lost between "decided" and "delivered"; the whole stays within one
/// DynamoDB item ([`Alerting::bounded`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alerting {
    /// Open incidents.
    #[serde(default)]
    pub incidents: Vec<Incident>,
    /// Alerts not delivered yet, oldest first (bodies clipped to keep the item small).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undelivered: Vec<AlertMessage>,
    /// Alerts SNS rejected as they are (not retryable), oldest first: never sent again, so the
    /// queue never jams; `grkeeper status` shows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parked: Vec<Parked>,
}

/// An alert SNS would not take, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parked {
    /// The alert (its body clipped).
    pub message: AlertMessage,
    /// SNS's answer.
    pub error: String,
    /// When it was parked.
    pub at: DateTime<Utc>,
}

/// What [`Alerting::bounded`] had to leave out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shed {
    /// Undelivered alerts dropped, the oldest first.
    pub undelivered: usize,
    /// Parked alerts dropped, the oldest first.
    pub parked: usize,
}

/// Undelivered alerts kept at most, each body cut to [`UNDELIVERED_BODY_MAX`] (the summary and
/// the next step come first, the evidence last).
pub const UNDELIVERED_MAX: usize = 20;
/// See [`UNDELIVERED_MAX`].
pub const UNDELIVERED_BODY_MAX: usize = 16 * 1024;
/// Parked alerts kept at most, each body cut to [`PARKED_BODY_MAX`].
pub const PARKED_MAX: usize = 10;
/// See [`PARKED_MAX`].
pub const PARKED_BODY_MAX: usize = 8 * 1024;
/// An open incident keeps this many characters of its finding's message.
const INCIDENT_MESSAGE_MAX: usize = 1000;
/// The alerting item's JSON stays under this: DynamoDB items hold 400 KB, and an item takes
/// fewer bytes there than its JSON does.
pub const ALERTING_MAX_BYTES: usize = 300 * 1024;

impl Alerting {
    /// The same, cut to fit one journal item: bodies and incident messages clipped, at most
    /// [`UNDELIVERED_MAX`] undelivered and [`PARKED_MAX`] parked alerts (the newest), and then,
    /// while its JSON is over [`ALERTING_MAX_BYTES`], the oldest parked and then the oldest
    /// undelivered dropped, and incident messages cut shorter. The open incidents themselves are
    /// never dropped: without them a problem would be told as new again.
    pub fn bounded(mut self) -> (Alerting, Shed) {
        let mut shed = Shed::default();
        for incident in &mut self.incidents {
            incident.message = clip_chars(&incident.message, INCIDENT_MESSAGE_MAX);
        }
        for message in &mut self.undelivered {
            *message = message.clipped(UNDELIVERED_BODY_MAX);
        }
        for parked in &mut self.parked {
            parked.message = parked.message.clipped(PARKED_BODY_MAX);
            parked.error = clip_chars(&parked.error, INCIDENT_MESSAGE_MAX);
        }
        shed.undelivered = drop_oldest(&mut self.undelivered, UNDELIVERED_MAX);
        shed.parked = drop_oldest(&mut self.parked, PARKED_MAX);
        while self.size() > ALERTING_MAX_BYTES {
            if !self.parked.is_empty() {
                self.parked.remove(0);
                shed.parked += 1;
            } else if !self.undelivered.is_empty() {
                self.undelivered.remove(0);
                shed.undelivered += 1;
            } else {
                for incident in &mut self.incidents {
                    incident.message = clip_chars(&incident.message, 80);
                }
                break;
            }
        }
        (self, shed)
    }

    /// Its JSON's length in bytes.
    pub fn size(&self) -> usize {
        serde_json::to_vec(self).map_or(usize::MAX, |json| json.len())
    }
}

/// Keeps the last `max` of `items`; returns how many were dropped.
fn drop_oldest<T>(items: &mut Vec<T>, max: usize) -> usize {
    let dropped = items.len().saturating_sub(max);
    items.drain(..dropped);
    dropped
}

fn clip_chars(text: &str, max: usize) -> String {
    crate::model::untrusted::clean(text, max)
}

/// Who may act on a cluster: one tick at a time.
pub trait LeaseStore: Send + Sync {
    /// Takes the lease of `cluster` for `owner` until `now + ttl` if nobody holds it, it
    /// expired, or `owner` already holds it; the epoch increases on every take.
    fn acquire_lease(
        &self,
        cluster: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> impl Future<Output = Result<LeaseGrant, JournalError>> + Send;

    /// Extends a lease still ours (same owner and epoch) to `now + ttl`.
    fn renew_lease(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> impl Future<Output = Result<Lease, JournalError>> + Send;

    /// Gives the lease up at `now` if it is still ours; a lease already lost is not an error.
    fn release_lease(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;
}

/// What the keeper remembers about a cluster. Writes that take a [`Lease`] fail with
/// [`JournalError::LeaseLost`] once another tick has taken it over.
pub trait Journal: Send + Sync {
    /// The planner's past at `now`: actions journaled within `lookback` (see [`lookback`]) and
    /// every action still `pending` however old, conditions, unexpired pauses and approvals.
    fn history(
        &self,
        cluster: &str,
        now: DateTime<Utc>,
        lookback: Duration,
    ) -> impl Future<Output = Result<History, JournalError>> + Send;

    /// Records the intent to take `action`, before taking it; its outcome is `pending`.
    /// Recording the same intent again (same id) changes nothing and returns the same id.
    fn record_intent(
        &self,
        lease: &Lease,
        action: &Action,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ActionId, JournalError>> + Send;

    /// Records that the call of the action `id` is about to be made: from here on it may have
    /// run. An intent never marked was never sent (the tick stopped before: the reply of the
    /// intent's own write was lost, or the action was not attempted).
    fn mark_sent(
        &self,
        lease: &Lease,
        id: &ActionId,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// Whether the call of the journaled action `id` may have been made: its intent was marked
    /// sent (an intent recorded before marking existed counts as sent).
    fn sent(
        &self,
        cluster: &str,
        id: &ActionId,
    ) -> impl Future<Output = Result<bool, JournalError>> + Send;

    /// Records how the action `id` ended, after verifying it.
    fn record_outcome(
        &self,
        lease: &Lease,
        id: &ActionId,
        outcome: Outcome,
        detail: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// Replaces what the planner remembers of the cluster besides the conditions (each
    /// instance as last read, the members outside the inventory, the groups seen apart) with
    /// `memory`, given `before`, the memory as [`Journal::history`] read it: only what changed
    /// is written, and the record of an instance `memory` no longer has is deleted (it left the
    /// inventory). Each instance's record is written whole or not at all.
    fn save_memory(
        &self,
        lease: &Lease,
        memory: &Memory,
        before: &Memory,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// Replaces what the keeper tracks between ticks ([`Tracked`]): condition labels and
    /// departures from the group.
    fn save_tracked(
        &self,
        lease: &Lease,
        tracked: &Tracked,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// The open incidents and the undelivered alerts, as last saved.
    fn alerting(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Alerting, JournalError>> + Send;

    /// Journals a DNS change batch: with outcome `pending` it is the intent (refused as
    /// [`JournalError::IntentTaken`] if one with its time exists), otherwise the outcome of the
    /// intent journaled with the same `at`.
    fn record_dns_change(
        &self,
        lease: &Lease,
        change: &DnsChange,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// The DNS change batches journaled for `cluster`, oldest first.
    fn dns_changes(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Vec<DnsChange>, JournalError>> + Send;

    /// Replaces the open incidents (resolved ones are simply left out) and the undelivered
    /// alerts, in one write.
    fn save_alerting(
        &self,
        lease: &Lease,
        alerting: &Alerting,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// Pauses the cluster, or one instance of it, until `pause.until` (an operator command: no
    /// lease needed). A new pause replaces the previous one.
    fn pause(
        &self,
        cluster: &str,
        instance: Option<&str>,
        pause: &Pause,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// Ends a pause of the cluster or of one instance; ending none is not an error.
    fn resume(
        &self,
        cluster: &str,
        instance: Option<&str>,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// Records an operator's approval; a new approval of the same action and instance
    /// replaces the previous one.
    fn approve(
        &self,
        cluster: &str,
        approval: &Approval,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;
}

/// One change batch of the DNS records, journaled like an action: the intent (`pending`) before
/// the batch is sent, the outcome after (`docs/endpoints.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsChange {
    /// When the intent was journaled (the journal's resolution: milliseconds).
    pub at: DateTime<Utc>,
    /// `pending` until the batch is answered; then `succeeded`, `failed`, or `not_attempted`
    /// when Route 53 refused it unapplied (the records had changed since they were read).
    pub outcome: Outcome,
    /// Why: which member joined or left which name.
    pub reason: String,
    /// The batch.
    pub changes: Vec<Change>,
    /// Route 53's answer when it was not applied.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Where a deployment's functions publish the configuration they run with (at cold start) and
/// where the CLI reads it back before acting (`docs/journal.md`, item `deployment`): one per
/// table, so one per deployment.
pub trait DeploymentStore: Send + Sync {
    /// Replaces the published configuration.
    fn publish(
        &self,
        published: &Published,
    ) -> impl Future<Output = Result<(), JournalError>> + Send;

    /// The published configuration, if any function has published one.
    fn published(&self) -> impl Future<Output = Result<Option<Published>, JournalError>> + Send;
}

/// Why a journal call failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Another tick took the lease over: stop acting and writing.
    #[error("lease on cluster {cluster:?} lost: epoch {epoch} is no longer current")]
    LeaseLost {
        /// The cluster.
        cluster: String,
        /// The epoch this tick held.
        epoch: u64,
    },
    /// An outcome for an action whose intent was never recorded.
    #[error("no journaled action {id} on cluster {cluster:?}")]
    UnknownAction {
        /// The cluster.
        cluster: String,
        /// The action id.
        id: ActionId,
    },
    /// An intent with the same id is journaled already, by another lease epoch or with an
    /// outcome: only a retry of this tick's own pending intent is the same record.
    #[error(
        "action {id} on cluster {cluster:?} is journaled already by another tick or settled: \
         not recorded again, not taken"
    )]
    IntentTaken {
        /// The cluster.
        cluster: String,
        /// The action id.
        id: ActionId,
    },
    /// A stored item is not what this version writes.
    #[error("journal item {sk:?} of cluster {cluster:?} is unreadable: {reason}")]
    Corrupt {
        /// The cluster.
        cluster: String,
        /// The item's sort key.
        sk: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A record larger than the journal keeps.
    #[error(
        "journal item {sk:?} of cluster {cluster:?} would hold {bytes} bytes, more than the \
         {limit} the journal keeps"
    )]
    TooLarge {
        /// The cluster.
        cluster: String,
        /// The item's sort key.
        sk: String,
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The DynamoDB call failed; nothing was written.
    #[error("journal unavailable: {0}")]
    Aws(#[from] AwsError),
}

impl JournalError {
    /// Stable name for logs and metric dimensions.
    pub fn kind(&self) -> &'static str {
        match self {
            JournalError::LeaseLost { .. } => "lease_lost",
            JournalError::UnknownAction { .. } => "unknown_action",
            JournalError::IntentTaken { .. } => "intent_taken",
            JournalError::Corrupt { .. } => "journal_corrupt",
            JournalError::TooLarge { .. } => "journal_item_too_large",
            JournalError::Aws(error) => error.kind(),
        }
    }

    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            JournalError::Aws(error) => error.is_retryable(),
            _ => false,
        }
    }
}

/// How far back [`Journal::history`] must look for `policy`: its longest window (member
/// cooldown, cluster budget, reboot budget), and with rolling maintenance on, twice the time a
/// member has to come back from a step, so a roll that stopped is still told of for as long
/// again.
pub fn lookback(policy: &Policy) -> Duration {
    let roll = match policy.maintenance {
        MaintenancePolicy::Off => 0,
        _ => policy.maintenance_return_secs.saturating_mul(2),
    };
    let longest = policy
        .member_cooldown_secs
        .max(policy.budget_window_secs)
        .max(policy.reboot_window_secs)
        .max(roll);
    Duration::from_secs(longest)
}

/// The journal's time resolution: milliseconds, so an action's `at` reads back exactly as
/// recorded and its [`ActionId`] can be derived again.
pub(crate) fn journal_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(3)
}

/// RFC 3339 with milliseconds and `Z`: fixed width, so ids and sort keys sort by time.
fn timestamp(at: DateTime<Utc>) -> String {
    journal_time(at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_action_id_is_the_same_when_derived_again_from_its_history_entry() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
            + chrono::TimeDelta::nanoseconds(123_456_789);
        let recorded = ActionId::new(at, ActionKind::Rejoin, "db2");
        let read_back = PastAction {
            kind: ActionKind::Rejoin,
            instance: "db2".into(),
            at: journal_time(at),
            outcome: Outcome::Pending,
            placeholders: None,
            maintenance: None,
        };
        assert_eq!(ActionId::of(&read_back), recorded);
        assert_eq!(recorded.as_str(), "2026-11-30T12:00:00.123Z#rejoin#db2");
    }

    #[test]
    fn lookback_is_the_longest_policy_window() {
        let policy = Policy {
            member_cooldown_secs: 600,
            budget_window_secs: 3600,
            reboot_window_secs: 7200,
            ..Policy::default()
        };
        assert_eq!(lookback(&policy), Duration::from_secs(7200));
        let rolling = Policy {
            maintenance: MaintenancePolicy::Approval,
            maintenance_return_secs: 5000,
            ..policy
        };
        assert_eq!(lookback(&rolling), Duration::from_secs(10_000));
    }
}

//! What a tick tells people and other automation, decided and written without I/O: one incident
//! per problem (opened -> updated -> resolved) and a message only on a transition.
//!
//! [`reconcile`] turns the previous incidents and a plan into transitions, [`alert_message`]
//! turns a transition into a subject, attributes and a body with the evidence, and
//! [`runbook`] says what to do about each finding. [`topology`] builds the events other
//! automation follows, [`metrics`] a tick's CloudWatch metrics line. Delivering is the ports' job
//! ([`Notifier`](crate::ports::notifier::Notifier),
//! [`TopologyBus`](crate::ports::topology_bus::TopologyBus)); the journal keeps the
//! [`Incident`]s.

mod evidence;
#[cfg(test)]
pub(crate) mod fixtures;
mod incident;
mod message;
pub mod metrics;
pub mod runbook;
pub mod topology;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::plan::{FindingKind, Guard, Severity};
use crate::snapshot::ActionKind;

pub use evidence::ViewMatrix;
pub use incident::reconcile;
pub use message::{AlertMessage, alert_message};

/// One problem, from the tick that first saw it until the tick that no longer does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable for the incident's life: `<cluster>/<kind>/<instance or cluster>/<opened>`.
    pub id: String,
    /// The finding kind the incident is about.
    pub kind: FindingKind,
    /// The instance it is about; `None` for the whole cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The severity last published.
    pub severity: Severity,
    /// The finding's latest message.
    pub message: String,
    /// When it was opened.
    pub opened: DateTime<Utc>,
    /// When it was last published (opened or updated).
    pub updated: DateTime<Utc>,
    /// Every (action, guard) refusal already published for it, so a refusal is told once.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub refusals: BTreeSet<RefusalKey>,
}

/// A refusal as far as "is this news?" goes: its reason text may change every tick (a
/// countdown), the guard that blocks the action does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RefusalKey {
    /// The action refused.
    pub action: ActionKind,
    /// The guard that stopped it.
    pub guard: Guard,
}

/// One change of one incident: what a message is sent for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// Opened, updated or resolved.
    pub change: Change,
    /// The incident as it is after the change (for `resolved`, as it was last).
    pub incident: Incident,
    /// Why an `updated` transition happened; empty for the others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<Why>,
}

/// The incident lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A new problem.
    Opened,
    /// The problem changed in a way that matters.
    Updated,
    /// The problem is gone.
    Resolved,
}

/// What changed about an incident that is worth a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Why {
    /// The finding's severity changed.
    Severity {
        /// Before.
        from: Severity,
        /// Now.
        to: Severity,
    },
    /// grkeeper acted on it.
    ActionTaken {
        /// The action.
        action: ActionKind,
        /// On which instance.
        instance: String,
    },
    /// An action for it was refused for a reason not told before.
    NewRefusal(RefusalKey),
}

/// The snake_case name serde gives a unit variant (`member_offline`, `critical`, `rejoin`):
/// the one spelling used in ids, attributes and events.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::from("unknown"),
    }
}

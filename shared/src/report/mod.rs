//! What a tick tells people and other automation, decided and written without I/O: one incident
//! per problem (opened -> updated -> resolved), a message only when what a person should do
//! changes, and at most one message per incident per tick.
//!
//! [`reconcile`] groups a tick's findings into problems (`grouping`: Alertmanager's grouping and
//! inhibition: a cluster-level condition takes in the member findings it explains) and turns the
//! previous incidents and the tick's steps into transitions; [`alert_message`] turns a
//! transition into a subject, attributes (with a dedup key for paging services) and a body with
//! the evidence, where to look ([`Deployment`], `links`) and the next step; [`runbook`] says
//! what to do about each finding, step by step. [`topology`] builds the events other automation
//! follows, [`metrics`] a tick's CloudWatch metrics line. Delivering is the ports' job
//! ([`Notifier`](crate::ports::notifier::Notifier),
//! [`TopologyBus`](crate::ports::topology_bus::TopologyBus)); the journal keeps the
//! [`Incident`]s.

mod evidence;
#[cfg(test)]
pub(crate) mod fixtures;
mod grouping;
mod incident;
mod links;
mod message;
pub mod metrics;
pub mod recoverability;
pub mod runbook;
pub mod topology;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::plan::{Action, Finding, FindingKind, Guard, Plan, Refusal, Severity};
use crate::snapshot::{ActionKind, Outcome, Snapshot};

pub use evidence::ViewMatrix;
pub use incident::reconcile;
pub use links::Deployment;
pub use message::{AlertMessage, alert_message};

/// One problem, from the tick that first saw it until the tick that no longer does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable for the incident's life, and the dedup key paging services fold updates into:
    /// `<cluster>/<kind>/<instance or cluster>/<opened>`.
    pub id: String,
    /// What the incident is about: the cluster's condition for a cluster incident (complete
    /// outage, quorum lost, split brain), else the finding that heads it.
    pub kind: FindingKind,
    /// The instance it is about; `None` for the whole cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The finding that heads it now, when not `kind`: a cluster incident whose condition
    /// cleared while members it took down are still out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<FindingKind>,
    /// The severity last published.
    pub severity: Severity,
    /// The heading finding's latest message.
    pub message: String,
    /// The instances it concerns (for a cluster incident: the members it took down, until each
    /// is back in the group).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub members: BTreeSet<String>,
    /// When it was opened.
    pub opened: DateTime<Utc>,
    /// When it was last published (opened or updated).
    pub updated: DateTime<Utc>,
    /// Every refusal already published for it that asks a person to act, so it is told once.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub refusals: BTreeSet<RefusalKey>,
}

impl Incident {
    /// The finding kind that heads the incident now: what a person should act on.
    pub fn lead(&self) -> FindingKind {
        self.lead.unwrap_or(self.kind)
    }
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

/// One step of a tick, as reconciling needs it: what was observed, what was planned, and
/// whether the plan's action was taken (and how it ended).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The observation.
    pub snapshot: Snapshot,
    /// The plan made on it.
    pub plan: Plan,
    /// How the plan's action ended, when it was taken in this step.
    pub taken: Option<Outcome>,
}

/// An action grkeeper took during a tick, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taken {
    /// The action.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
}

/// What one tick changed about one incident: what a message is sent for. A tick sends at most
/// one per incident, whatever happened between its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// Opened, updated or resolved.
    pub change: Change,
    /// The incident as it is after the change (for `resolved`, as it was last).
    pub incident: Incident,
    /// Why an `updated` transition happened; empty for the others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<Why>,
    /// The actions grkeeper took for it during the tick.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Taken>,
    /// The findings it is made of (the heading one first), as last seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// The refusals that concern it, as last seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Refusal>,
    /// A `resolved` incident that the same tick opened: grkeeper repaired it before anyone had
    /// to hear of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub within_tick: bool,
}

/// The incident lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A new problem.
    Opened,
    /// What a person should do about it changed.
    Updated,
    /// The problem is gone.
    Resolved,
}

/// What changed about an incident that changes what a person should do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Why {
    /// It became more or less urgent.
    Severity {
        /// Before.
        from: Severity,
        /// Now.
        to: Severity,
    },
    /// Another finding heads it now (quorum lost became a complete outage; the cluster is
    /// back but members are still out).
    Lead {
        /// Before.
        from: FindingKind,
        /// Now.
        to: FindingKind,
    },
    /// An action grkeeper took for it failed.
    ActionFailed {
        /// The action.
        action: ActionKind,
        /// On which instance.
        instance: String,
    },
    /// An action for it was refused for a reason that needs a person, not told before.
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

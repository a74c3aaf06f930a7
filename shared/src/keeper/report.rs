//! What a tick reports: the Lambda's JSON output and the CLI's `tick` output.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::keeper::act::Verdict;
use crate::plan::Plan;
use crate::ports::journal::Parked;
use crate::report::Change;
use crate::snapshot::{ActionKind, Placeholders, Snapshot};

/// The result of one tick over the clusters its trigger concerns.
#[derive(Debug, Clone, Serialize)]
pub struct TickSummary {
    /// The trigger's kind (`rds_instance_event`, `schedule`, ...).
    pub trigger: String,
    /// Why no cluster was ticked, when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// One report per cluster.
    pub clusters: Vec<ClusterReport>,
}

impl TickSummary {
    /// True when some cluster's tick failed (the Lambda then reports an error, so the
    /// asynchronous invocation is retried and finally lands in the dead-letter queue).
    pub fn failed(&self) -> bool {
        self.clusters
            .iter()
            .any(|c| c.outcome == ClusterOutcome::Failed)
    }
}

/// How one cluster's tick went.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    /// The cluster.
    pub cluster: String,
    /// Ticked, skipped or failed.
    pub outcome: ClusterOutcome,
    /// The last plan: the cluster as the tick left it, with findings and refusals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Actions taken or resumed, with their verified outcome.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionReport>,
    /// Alerts published (or, in a dry run, that would be).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertReport>,
    /// Alerts SNS rejected during this tick, now parked in the journal.
    #[serde(skip_serializing_if = "is_zero")]
    pub alerts_parked: usize,
    /// Alerts parked in the journal (this tick's included), for a person to read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parked: Vec<ParkedReport>,
    /// Why the tick stopped short, or what went wrong on the way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The error that failed the tick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Stable kind of that error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<&'static str>,
    /// The last snapshot (not in the JSON output: the CLI saves it on request).
    #[serde(skip)]
    pub snapshot: Option<Snapshot>,
    /// The embedded-metric-format line the tick wrote, when it wrote one (not in the JSON).
    #[serde(skip)]
    pub metrics: Option<String>,
}

impl ClusterReport {
    pub(super) fn new(cluster: &str, outcome: ClusterOutcome) -> Self {
        ClusterReport {
            cluster: cluster.to_owned(),
            outcome,
            plan: None,
            actions: Vec::new(),
            alerts: Vec::new(),
            alerts_parked: 0,
            parked: Vec::new(),
            notes: Vec::new(),
            error: None,
            error_kind: None,
            snapshot: None,
            metrics: None,
        }
    }
}

/// How one cluster's tick ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterOutcome {
    /// Observed, planned and (unless a dry run) acted, journaled and alerted.
    Ticked,
    /// Observed and planned only.
    DryRun,
    /// Another tick holds the lease: nothing done.
    SkippedLeaseHeld,
    /// Stopped by an error; no action was taken after it.
    Failed,
}

/// An action this tick took (or verified for an earlier tick).
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    /// What.
    pub kind: ActionKind,
    /// On which instance.
    pub instance: String,
    /// Why the planner chose it.
    pub reason: String,
    /// A sync step's placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholders: Option<Placeholders>,
    /// How the verification ended.
    pub verdict: Verdict,
    /// One line for a person.
    pub summary: String,
    /// True when an earlier tick took it and this one only verified it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

/// An alert this tick published.
#[derive(Debug, Clone, Serialize)]
pub struct AlertReport {
    /// Opened, updated or resolved.
    pub change: Change,
    /// The incident.
    pub incident: String,
    /// The message subject.
    pub subject: String,
}

/// An alert SNS rejected, as the journal keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct ParkedReport {
    /// The message subject.
    pub subject: String,
    /// SNS's answer.
    pub error: String,
    /// When it was parked.
    pub at: DateTime<Utc>,
    /// The incident it was about.
    pub incident: String,
}

impl ParkedReport {
    pub(super) fn of(parked: &Parked) -> ParkedReport {
        ParkedReport {
            subject: parked.message.subject.clone(),
            error: parked.error.clone(),
            at: parked.at,
            incident: parked
                .message
                .attributes
                .get("incident")
                .cloned()
                .unwrap_or_default(),
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

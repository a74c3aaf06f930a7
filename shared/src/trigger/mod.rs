//! EventBridge input -> [`Trigger`]: which cluster or instance a tick was asked for, and why.
//!
//! [`from_value`] takes what the Lambda runtime hands over, read strictly ([`Input::checked`]);
//! [`parse`] takes bytes (the CLI, tests) and shares its implementation. Accepted inputs and
//! every error message are listed in `docs/events.md`; samples of each are in `events/`.
//!
//! Nothing here acts: an event names at most one resource, every name is checked against its
//! naming rules, and the caller still checks instance ids against the inventory (design:
//! "Nothing from an event is put into SQL"). No input makes this module panic.

mod direct;
mod envelope;
mod error;
mod input;
mod json;
mod names;
mod rds;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use envelope::Kind;

pub use error::TriggerError;
pub use input::{Input, MAX_INPUT_BYTES};
pub use names::{ClusterName, DbClusterId, InstanceId, ParameterGroupName};
pub use rds::{ClusterEvent, EventDetail, EventId, InstanceEvent, ParameterGroupEvent};

/// RDS DB instance event IDs that can change a member's availability, and so start a tick.
/// The EventBridge rule in `infra/template.yaml` matches exactly these (a test checks both agree).
pub const HANDLED_EVENT_IDS: &[&str] = &[
    // availability
    "RDS-EVENT-0004", // DB instance shutdown
    "RDS-EVENT-0006", // DB instance restarted
    "RDS-EVENT-0022", // error restarting mysql
    "RDS-EVENT-0221", // storage-full shutdown
    // notification
    "RDS-EVENT-0087", // DB instance stopped
    "RDS-EVENT-0088", // DB instance started
    "RDS-EVENT-0154", // started automatically after the maximum stopped time
    // failover
    "RDS-EVENT-0013", // Multi-AZ failover started
    "RDS-EVENT-0015", // Multi-AZ failover to standby complete
    "RDS-EVENT-0049", // Multi-AZ failover completed
    "RDS-EVENT-0050", // Multi-AZ activation started
    "RDS-EVENT-0051", // Multi-AZ activation completed
    "RDS-EVENT-0065", // recovered from partial failover
    // recovery
    "RDS-EVENT-0020", // recovery started
    "RDS-EVENT-0021", // recovery complete
    // failure
    "RDS-EVENT-0031", // instance failed
    "RDS-EVENT-0035", // incompatible parameters
    "RDS-EVENT-0036", // incompatible network
    "RDS-EVENT-0188", // upgrade impossible / rolled back
    // maintenance
    "RDS-EVENT-0026", // applying off-line patches
    "RDS-EVENT-0027", // finished applying off-line patches
    "RDS-EVENT-0047", // instance patched
    "RDS-EVENT-0266", // upgrade downtime started
    "RDS-EVENT-0267", // upgrade started
    "RDS-EVENT-0268", // upgrade finished
    "RDS-EVENT-0270", // upgrade failed and rolled back
];

/// Parameter group event: "Updated parameter `name` to `value`" (seeds, group name edits).
pub const PARAMETER_GROUP_EVENT_ID: &str = "RDS-EVENT-0037";

/// Why a tick was started. Serializes with a `kind` tag: `rds_instance_event`,
/// `rds_cluster_event`, `parameter_group_event`, `schedule`, `manual`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// "RDS DB Instance Event": tick the cluster the instance belongs to.
    RdsInstanceEvent(InstanceEvent),
    /// "RDS DB Cluster Event": never sent for GR clusters on RDS (no RDS cluster object).
    RdsClusterEvent(ClusterEvent),
    /// "RDS DB Parameter Group Event": a parameter group changed.
    ParameterGroupEvent(ParameterGroupEvent),
    /// The schedule, as an EventBridge "Scheduled Event" or the constant input.
    Schedule(Schedule),
    /// A person or a test asked for a sweep.
    Manual(Manual),
}

impl Trigger {
    /// The trigger's kind as `parse-event` prints it (`rds_instance_event`, `schedule`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::RdsInstanceEvent(_) => "rds_instance_event",
            Trigger::RdsClusterEvent(_) => "rds_cluster_event",
            Trigger::ParameterGroupEvent(_) => "parameter_group_event",
            Trigger::Schedule(_) => "schedule",
            Trigger::Manual(_) => "manual",
        }
    }
}

/// A scheduled sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// Only this cluster (constant input with `cluster`); `None`: every cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterName>,
    /// The envelope's `time`; the constant input has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
}

/// A manual sweep: `{"action": "sweep", "cluster"?: ..., "instance"?: ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manual {
    /// Only this cluster; `None` (and no `instance`): every cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterName>,
    /// The cluster of this instance (checked against `cluster` when both are given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<InstanceId>,
}

/// Parses a Lambda input given as JSON bytes.
pub fn parse(input: &[u8]) -> Result<Trigger, TriggerError> {
    from_value(Input::from_bytes(input)?.checked()?)
}

/// Parses a Lambda input as the runtime hands it over. The form is told by its keys: `action`
/// (manual), `grkeeper` (the schedule's constant input), else an EventBridge envelope.
pub fn from_value(input: &Value) -> Result<Trigger, TriggerError> {
    let root = json::Object::root(input)?;
    if root.has("action") {
        direct::manual(root)
    } else if root.has("grkeeper") {
        direct::schedule_input(root)
    } else if root.has("detail-type") || root.has("source") {
        event(&envelope::read(root)?)
    } else {
        Err(TriggerError::NotATrigger)
    }
}

/// The trigger an EventBridge event of a supported kind stands for.
fn event(event: &envelope::Envelope<'_>) -> Result<Trigger, TriggerError> {
    Ok(match event.kind {
        Kind::Instance => Trigger::RdsInstanceEvent(rds::instance_event(event)?),
        Kind::Cluster => Trigger::RdsClusterEvent(rds::cluster_event(event)?),
        Kind::ParameterGroup => Trigger::ParameterGroupEvent(rds::parameter_group_event(event)?),
        // The schedule's `detail` is empty and its rule ARN says nothing a tick needs.
        Kind::Schedule => Trigger::Schedule(Schedule {
            cluster: None,
            time: event.time,
        }),
    })
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

//! Inputs that are not EventBridge envelopes: a manual invocation and the schedule's constant
//! input. Both are grkeeper's own formats, so unknown fields are rejected: a misspelt `cluster`
//! must not silently widen a sweep to every cluster.

use super::error::{TriggerError, clip};
use super::json::Object;
use super::names::{ClusterName, InstanceId};
use super::{Manual, Schedule, Trigger};

/// `{"action": "sweep", "cluster"?: NAME, "instance"?: ID}`.
pub(super) fn manual(input: Object<'_>) -> Result<Trigger, TriggerError> {
    input.only(
        &["action", "cluster", "instance"],
        "a manual invocation",
        r#""action", "cluster", "instance""#,
    )?;
    expect(input, "action", "sweep", r#""sweep""#)?;
    let instance = match input.str("instance")? {
        Some(id) => Some(InstanceId::parse(id, "instance")?),
        None => None,
    };
    Ok(Trigger::Manual(Manual {
        cluster: cluster(input)?,
        instance,
    }))
}

/// `{"grkeeper": "schedule", "cluster"?: NAME}`: what a schedule target with a constant
/// `Input` (or an EventBridge Scheduler schedule) delivers instead of the envelope.
pub(super) fn schedule_input(input: Object<'_>) -> Result<Trigger, TriggerError> {
    input.only(
        &["grkeeper", "cluster"],
        "the schedule input",
        r#""grkeeper", "cluster""#,
    )?;
    expect(input, "grkeeper", "schedule", r#""schedule""#)?;
    Ok(Trigger::Schedule(Schedule {
        cluster: cluster(input)?,
        time: None,
    }))
}

/// Fails unless the required string field `name` is `wanted`.
fn expect(
    input: Object<'_>,
    name: &str,
    wanted: &str,
    expected: &'static str,
) -> Result<(), TriggerError> {
    let found = input.required_str(name)?;
    if found == wanted {
        Ok(())
    } else {
        Err(TriggerError::UnsupportedValue {
            field: input.path_of(name),
            value: clip(found),
            expected,
        })
    }
}

fn cluster(input: Object<'_>) -> Result<Option<ClusterName>, TriggerError> {
    match input.str("cluster")? {
        Some(name) => Ok(Some(ClusterName::parse(name, "cluster")?)),
        None => Ok(None),
    }
}

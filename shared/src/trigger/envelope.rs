//! EventBridge envelopes: which of the event kinds grkeeper reads one is, told by (`source`,
//! `detail-type`), and the fields every kind needs. Reading each kind's detail is `rds`'s job.
//!
//! Read from `serde_json::Value` rather than `aws_lambda_events`' `EventBridgeEvent`, so that
//! each failure names its field and an envelope-less input (a rule target's constant `Input`,
//! aws-lambda-rust-runtime issue #1064) is recognised instead of failing on `detail-type`.

use chrono::{DateTime, Utc};

use super::error::{TriggerError, clip};
use super::json::Object;

/// The envelope fields every supported event needs.
#[derive(Debug)]
pub(super) struct Envelope<'a> {
    /// Which supported event it is.
    pub kind: Kind,
    /// The whole event (for `resources`).
    pub root: Object<'a>,
    /// `detail-type`.
    pub detail_type: &'a str,
    /// `detail`.
    pub detail: Object<'a>,
    /// `time`: when EventBridge received the event.
    pub time: Option<DateTime<Utc>>,
}

/// Reads an EventBridge event of a supported (`source`, `detail-type`).
pub(super) fn read(root: Object<'_>) -> Result<Envelope<'_>, TriggerError> {
    let detail_type = root.required_str("detail-type")?;
    let source = root.required_str("source")?;
    let kind = match (source, detail_type) {
        ("aws.rds", "RDS DB Instance Event") => Kind::Instance,
        ("aws.rds", "RDS DB Cluster Event") => Kind::Cluster,
        ("aws.rds", "RDS DB Parameter Group Event") => Kind::ParameterGroup,
        ("aws.events", "Scheduled Event") => Kind::Schedule,
        _ => {
            return Err(TriggerError::UnsupportedEvent {
                event_source: clip(source),
                detail_type: clip(detail_type),
            });
        }
    };
    Ok(Envelope {
        kind,
        root,
        detail_type,
        detail: root.object("detail")?,
        time: root.time("time")?,
    })
}

/// The supported events.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Instance,
    Cluster,
    ParameterGroup,
    Schedule,
}

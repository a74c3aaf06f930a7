//! The RDS events grkeeper reads ("RDS DB Instance Event", "RDS DB Cluster Event", "RDS DB
//! Parameter Group Event"): which resource each is about, and what it says.
//!
//! The resource is named up to three times: `detail.SourceIdentifier` (sometimes missing,
//! sometimes `rds:`-prefixed), `detail.SourceArn` and the envelope's `resources`. Every one
//! present must name the same resource; a disagreement is an error, never resolved by guessing.
//! A prefixed `SourceIdentifier` is only checked against the ARNs, never used alone.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::envelope::Envelope;
use super::error::{TriggerError, clip};
use super::names::{DbClusterId, InstanceId, ParameterGroupName, rds_arn};

/// An "RDS DB Instance Event": something happened to one DB instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceEvent {
    /// The DB instance. Check it against the inventory before acting on its cluster.
    pub instance: InstanceId,
    /// What the event says.
    #[serde(flatten)]
    pub detail: EventDetail,
}

/// An "RDS DB Cluster Event" (Aurora or Multi-AZ DB cluster). GR clusters on RDS never emit
/// these: they are independent DB instances with no RDS cluster object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterEvent {
    /// The RDS DB cluster (not a grkeeper cluster name).
    pub db_cluster: DbClusterId,
    /// What the event says.
    #[serde(flatten)]
    pub detail: EventDetail,
}

/// An "RDS DB Parameter Group Event", such as RDS-EVENT-0037 "Updated parameter ...".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParameterGroupEvent {
    /// The DB parameter group.
    pub parameter_group: ParameterGroupName,
    /// What the event says.
    #[serde(flatten)]
    pub detail: EventDetail,
}

/// What an RDS event says beyond which resource it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDetail {
    /// `EventID`, absent in some older events (always serialized, `null` then).
    pub event_id: Option<EventId>,
    /// `EventCategories`, such as `availability`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// `Message`, for people: decide on `event_id`, never on the wording, which varies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Date`, or the envelope's `time` when `Date` is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// `Tags` of the resource when the event was sent (they may have changed since).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// An RDS event ID: `RDS-EVENT-` and 4 to 6 digits, such as `RDS-EVENT-0006`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct EventId(String);

impl EventId {
    /// The ID, as in [`super::HANDLED_EVENT_IDS`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(value: &str, field: &str) -> Result<Self, TriggerError> {
        let digits = value.strip_prefix("RDS-EVENT-").unwrap_or_default();
        if (4..=6).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(EventId(value.to_owned()))
        } else {
            Err(TriggerError::InvalidEventId {
                value: clip(value),
                field: field.to_owned(),
            })
        }
    }
}

/// The kind of resource an event is about, as its fields spell it.
#[derive(Debug)]
struct Source {
    /// For messages.
    what: &'static str,
    /// `detail.SourceType`.
    source_type: &'static str,
    /// The resource type in its ARN (`arn:...:rds:REGION:ACCOUNT:TYPE:NAME`).
    arn_type: &'static str,
}

/// Reads an "RDS DB Instance Event".
pub(super) fn instance_event(event: &Envelope<'_>) -> Result<InstanceEvent, TriggerError> {
    const SOURCE: Source = Source {
        what: "DB instance",
        source_type: "DB_INSTANCE",
        arn_type: "db",
    };
    Ok(InstanceEvent {
        instance: source_name(event, &SOURCE, InstanceId::parse)?,
        detail: event_detail(event)?,
    })
}

/// Reads an "RDS DB Cluster Event".
pub(super) fn cluster_event(event: &Envelope<'_>) -> Result<ClusterEvent, TriggerError> {
    const SOURCE: Source = Source {
        what: "DB cluster",
        source_type: "CLUSTER",
        arn_type: "cluster",
    };
    Ok(ClusterEvent {
        db_cluster: source_name(event, &SOURCE, DbClusterId::parse)?,
        detail: event_detail(event)?,
    })
}

/// Reads an "RDS DB Parameter Group Event".
pub(super) fn parameter_group_event(
    event: &Envelope<'_>,
) -> Result<ParameterGroupEvent, TriggerError> {
    const SOURCE: Source = Source {
        what: "parameter group",
        source_type: "DB_PARAM",
        arn_type: "pg",
    };
    Ok(ParameterGroupEvent {
        parameter_group: source_name(event, &SOURCE, ParameterGroupName::parse)?,
        detail: event_detail(event)?,
    })
}

fn event_detail(event: &Envelope<'_>) -> Result<EventDetail, TriggerError> {
    let detail = &event.detail;
    let event_id = match detail.str("EventID")? {
        Some(id) => Some(EventId::parse(id, &detail.path_of("EventID"))?),
        None => None,
    };
    Ok(EventDetail {
        event_id,
        categories: detail
            .strings("EventCategories")?
            .into_iter()
            .map(str::to_owned)
            .collect(),
        message: detail.str("Message")?.map(str::to_owned),
        time: detail.time("Date")?.or(event.time),
        tags: detail.string_map("Tags")?,
    })
}

/// One place the event names its resource: the field, its text as found, and the checked name.
struct Naming<T> {
    field: String,
    text: String,
    name: T,
}

/// The resource the event is about, from every field that names it (they must agree).
fn source_name<T: PartialEq>(
    event: &Envelope<'_>,
    source: &Source,
    parse: fn(&str, &str) -> Result<T, TriggerError>,
) -> Result<T, TriggerError> {
    let detail = &event.detail;
    if let Some(found) = detail.str("SourceType")?
        && found != source.source_type
    {
        return Err(TriggerError::Contradiction {
            field: detail.path_of("SourceType"),
            value: clip(found),
            other_field: "detail-type".into(),
            other_value: clip(event.detail_type),
        });
    }

    // Names usable on their own, in order of preference; then a prefixed SourceIdentifier,
    // which only has to agree with them.
    let mut namings = Vec::new();
    let mut prefixed = None;
    if let Some(text) = detail.str("SourceIdentifier")? {
        let field = detail.path_of("SourceIdentifier");
        match text.strip_prefix("rds:") {
            Some(rest) => prefixed = Some(naming(field.clone(), text, parse(rest, &field)?)),
            None => namings.push(naming(field.clone(), text, parse(text, &field)?)),
        }
    }
    if let Some(arn) = detail.str("SourceArn")? {
        let field = detail.path_of("SourceArn");
        let (kind, name) = rds_arn(arn).map_err(|reason| invalid_arn(arn, &field, reason))?;
        if kind != source.arn_type {
            let reason = format!("names a {:?} resource, not a {}", clip(kind), source.what);
            return Err(invalid_arn(arn, &field, reason));
        }
        namings.push(naming(field.clone(), arn, parse(name, &field)?));
    }
    for (index, arn) in event.root.strings("resources")?.into_iter().enumerate() {
        let field = format!("resources[{index}]");
        let (kind, name) = rds_arn(arn).map_err(|reason| invalid_arn(arn, &field, reason))?;
        // Other resource types may be listed beside the source; they do not name it.
        if kind == source.arn_type {
            namings.push(naming(field.clone(), arn, parse(name, &field)?));
        }
    }

    let mut namings = namings.into_iter();
    let first = namings
        .next()
        .ok_or(TriggerError::NoSource { what: source.what })?;
    if let Some(other) = namings
        .chain(prefixed)
        .find(|other| other.name != first.name)
    {
        return Err(TriggerError::Contradiction {
            field: first.field,
            value: first.text,
            other_field: other.field,
            other_value: other.text,
        });
    }
    Ok(first.name)
}

fn naming<T>(field: String, text: &str, name: T) -> Naming<T> {
    Naming {
        field,
        text: clip(text),
        name,
    }
}

fn invalid_arn(arn: &str, field: &str, reason: String) -> TriggerError {
    TriggerError::InvalidArn {
        value: clip(arn),
        field: field.to_owned(),
        reason,
    }
}

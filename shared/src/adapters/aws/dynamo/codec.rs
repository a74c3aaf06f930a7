//! Journal items in DynamoDB's attribute form: every item's JSON (its serde form) maps onto
//! native attributes (strings, numbers, maps, lists), so items read well in the console and the
//! mapping lives in one place.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};

use crate::ports::journal::JournalError;
use crate::ports::journal::items::{Item, partition};

/// The table's keys.
pub(crate) const PK: &str = "pk";
pub(crate) const SK: &str = "sk";

/// The attributes of `item` stored under (`cluster`, `sk`).
pub(crate) fn encode(
    cluster: &str,
    sk: &str,
    item: &Item,
) -> Result<HashMap<String, AttributeValue>, JournalError> {
    encode_at(&partition(cluster), cluster, sk, item)
}

/// The attributes of `item` stored under (`pk`, `sk`); `cluster` names it in errors.
pub(crate) fn encode_at(
    pk: &str,
    cluster: &str,
    sk: &str,
    item: &Item,
) -> Result<HashMap<String, AttributeValue>, JournalError> {
    let corrupt = |reason: String| JournalError::Corrupt {
        cluster: cluster.to_owned(),
        sk: sk.to_owned(),
        reason,
    };
    let Value::Object(fields) = item.to_json().map_err(|e| corrupt(e.to_string()))? else {
        return Err(corrupt("an item must be a JSON object".to_owned()));
    };
    let mut attributes: HashMap<String, AttributeValue> = fields
        .into_iter()
        .map(|(k, v)| (k, to_attribute(v)))
        .collect();
    attributes.insert(PK.to_owned(), AttributeValue::S(pk.to_owned()));
    attributes.insert(SK.to_owned(), AttributeValue::S(sk.to_owned()));
    Ok(attributes)
}

/// The item stored in `attributes` (keys included), with its sort key.
pub(crate) fn decode(
    cluster: &str,
    attributes: &HashMap<String, AttributeValue>,
) -> Result<(String, Item), JournalError> {
    let sk = match attributes.get(SK) {
        Some(AttributeValue::S(sk)) => sk.clone(),
        _ => String::new(),
    };
    let corrupt = |reason: String| JournalError::Corrupt {
        cluster: cluster.to_owned(),
        sk: sk.clone(),
        reason,
    };
    let mut fields = Map::new();
    for (name, value) in attributes.iter().filter(|(k, _)| *k != PK && *k != SK) {
        fields.insert(name.clone(), from_attribute(value).map_err(corrupt)?);
    }
    let item = Item::from_json(&sk, Value::Object(fields)).map_err(corrupt)?;
    Ok((sk, item))
}

/// JSON -> attribute. Numbers keep their decimal text, as DynamoDB stores them.
pub(crate) fn to_attribute(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(values) => AttributeValue::L(values.into_iter().map(to_attribute).collect()),
        Value::Object(fields) => AttributeValue::M(
            fields
                .into_iter()
                .map(|(k, v)| (k, to_attribute(v)))
                .collect(),
        ),
    }
}

/// Attribute -> JSON, for the attribute types the journal writes.
fn from_attribute(value: &AttributeValue) -> Result<Value, String> {
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(text) => Value::Number(number(text)?),
        AttributeValue::L(values) => Value::Array(
            values
                .iter()
                .map(from_attribute)
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::M(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), from_attribute(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => return Err(format!("unexpected attribute type {other:?}")),
    })
}

fn number(text: &str) -> Result<Number, String> {
    if let Ok(n) = text.parse::<i64>() {
        return Ok(n.into());
    }
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| format!("{text:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::journal::items::{LEASE, LeaseItem};

    #[test]
    fn an_item_reads_back_as_written() {
        let item = Item::Lease(LeaseItem {
            owner: "req-1".into(),
            epoch: 7,
            lease_until: 1_795_000_300,
        });
        let attributes = encode("orders", LEASE, &item).unwrap();
        assert_eq!(attributes[PK], AttributeValue::S("cluster#orders".into()));
        assert_eq!(attributes["epoch"], AttributeValue::N("7".into()));
        assert_eq!(
            decode("orders", &attributes).unwrap(),
            (LEASE.to_owned(), item)
        );
    }

    #[test]
    fn nested_values_map_onto_native_attributes_and_back() {
        let value = serde_json::json!({"a": [1, -2, 2.5, "x", null, true], "m": {"k": "v"}});
        let attribute = to_attribute(value.clone());
        assert!(
            matches!(&attribute, AttributeValue::M(m) if matches!(m["a"], AttributeValue::L(_)))
        );
        assert_eq!(from_attribute(&attribute).unwrap(), value);
    }

    #[test]
    fn an_item_of_another_shape_is_reported_as_corrupt_with_its_key() {
        let attributes = HashMap::from([
            (PK.to_owned(), AttributeValue::S("cluster#orders".into())),
            (SK.to_owned(), AttributeValue::S(LEASE.into())),
            ("owner".to_owned(), AttributeValue::Ss(vec!["x".into()])),
        ]);
        let error = decode("orders", &attributes).unwrap_err();
        assert_eq!(error.kind(), "journal_corrupt");
        assert!(error.to_string().contains("\"lease\""), "{error}");
    }

    /// An item's size as DynamoDB counts it against its 400 KB limit: each attribute's name
    /// (UTF-8 bytes) plus its value: strings by their UTF-8 bytes, numbers by about one byte per
    /// two digits plus one, booleans and nulls one byte, lists and maps 3 bytes plus one per
    /// element plus their elements (and, for a map, its keys). The AWS developer guide's rules,
    /// rounded up.
    fn dynamo_size(attributes: &HashMap<String, AttributeValue>) -> usize {
        fn value(v: &AttributeValue) -> usize {
            match v {
                AttributeValue::S(s) => s.len(),
                AttributeValue::N(n) => n.len().div_ceil(2) + 1,
                AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
                AttributeValue::L(items) => 3 + items.iter().map(|i| 1 + value(i)).sum::<usize>(),
                AttributeValue::M(map) => {
                    3 + map
                        .iter()
                        .map(|(k, i)| 1 + k.len() + value(i))
                        .sum::<usize>()
                }
                other => panic!("the journal writes no {other:?}"),
            }
        }
        attributes.iter().map(|(k, v)| k.len() + value(v)).sum()
    }

    mod alerting_item {
        use proptest::prelude::*;

        use super::*;
        use crate::plan::{FindingKind, Guard, Severity};
        use crate::ports::journal::items::{INCIDENTS, IncidentsItem};
        use crate::ports::journal::{ALERTING_MAX_BYTES, Alerting, Parked};
        use crate::report::{AlertMessage, Incident, RefusalKey};
        use crate::snapshot::ActionKind;

        fn at(secs: i64) -> chrono::DateTime<chrono::Utc> {
            crate::fixtures::at("2026-11-30T00:00:00Z") + chrono::TimeDelta::seconds(secs)
        }

        fn message(body: usize, n: usize) -> AlertMessage {
            AlertMessage {
                subject: format!("CRITICAL orders/orders-{n}: member offline"),
                body: "é".repeat(body / 2),
                attributes: ["severity", "cluster", "incident", "dedup_key", "action"]
                    .into_iter()
                    .map(|k| (k.to_owned(), format!("orders/member_offline/orders-{n}/x")))
                    .collect(),
            }
        }

        fn incident(n: usize, message: usize, refusals: usize) -> Incident {
            let guards = [
                Guard::Cooldown,
                Guard::ErrantGtids,
                Guard::Flapping,
                Guard::Paused,
            ];
            let actions = [ActionKind::Rejoin, ActionKind::Reboot, ActionKind::Expel];
            Incident {
                id: format!("orders/member_offline/orders-{n}/20261130T000000Z"),
                kind: FindingKind::MemberOffline,
                instance: Some(format!("orders-{n}")),
                lead: Some(FindingKind::ErrantGtids),
                severity: Severity::Critical,
                message: "m".repeat(message),
                members: (1..=9).map(|i| format!("orders-{i}")).collect(),
                opened: at(0),
                updated: at(60),
                refusals: (0..refusals)
                    .map(|i| RefusalKey {
                        action: actions[i % actions.len()],
                        guard: guards[i % guards.len()],
                    })
                    .collect(),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(24))]
            /// However much waits (a long SNS outage, many rejected alerts, huge bodies), the
            /// alerting item fits one DynamoDB item, keeps every open incident, and keeps the
            /// newest alerts.
            #[test]
            fn the_alerting_item_always_fits_one_dynamodb_item(
                incidents in prop::collection::vec((0usize..20_000, 0usize..12), 0..100),
                undelivered in prop::collection::vec(0usize..400_000, 0..40),
                parked in prop::collection::vec(0usize..400_000, 0..30),
            ) {
                let alerting = Alerting {
                    incidents: incidents
                        .iter()
                        .enumerate()
                        .map(|(n, (message, refusals))| incident(n, *message, *refusals))
                        .collect(),
                    undelivered: undelivered
                        .iter()
                        .enumerate()
                        .map(|(n, body)| message(*body, n))
                        .collect(),
                    parked: parked
                        .iter()
                        .enumerate()
                        .map(|(n, body)| Parked {
                            message: message(*body, n),
                            error: "SNS.Publish: request rejected: Invalid parameter".repeat(100),
                            at: at(i64::try_from(n).unwrap()),
                        })
                        .collect(),
                };
                let (bounded, shed) = alerting.clone().bounded();
                prop_assert!(bounded.size() <= ALERTING_MAX_BYTES, "{}", bounded.size());
                let item = Item::Incidents(IncidentsItem { alerting: bounded.clone() });
                let size = dynamo_size(&encode("orders", INCIDENTS, &item).unwrap());
                prop_assert!(size < 400_000, "{size} bytes");
                prop_assert_eq!(bounded.incidents.len(), alerting.incidents.len());
                prop_assert_eq!(
                    bounded.undelivered.len() + shed.undelivered,
                    alerting.undelivered.len()
                );
                prop_assert_eq!(bounded.parked.len() + shed.parked, alerting.parked.len());
                // The newest are the ones kept.
                if let (Some(kept), Some(newest)) = (bounded.undelivered.last(), alerting.undelivered.last()) {
                    prop_assert_eq!(&kept.subject, &newest.subject);
                }
            }
        }
    }
}

//! The template's EventBridge rules, checked by EventBridge itself (moto): which RDS events reach
//! grkeeper and which do not.
//!
//! Each test puts the template's pattern on a rule whose target is an SQS queue, puts
//! real-shaped events on the bus, and reads back what reached the queue. Every batch carries a
//! control event that must arrive, so a broken harness cannot pass a "does not match" test.
//! (`TestEventPattern` is not used: moto answers it with a silent false.)

use std::collections::BTreeSet;

use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use grkeeper::trigger::{HANDLED_EVENT_IDS, PARAMETER_GROUP_EVENT_ID};
use grkeeper_e2e::moto::{ACCOUNT_ID, Moto, REGION};
use serde_json::{Value, json};

use crate::template;

/// Kept instances: the template's `EventInstanceIds` in these tests ([`template::REQUIRED`]).
const KEPT: [&str; 3] = ["orders-1", "orders-2", "orders-3"];

/// The resolved `EventPattern` of one of the template's rules.
fn pattern(rule: &str) -> Value {
    template::resolved(&[]).resource(rule)["Properties"]["EventPattern"].clone()
}

#[test]
fn instance_rule_lists_exactly_the_event_ids_grkeeper_handles() {
    let listed = pattern("InstanceEventRule")["detail"]["EventID"].clone();
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "an EventID is listed twice: {listed:?}"
    );
    assert_eq!(
        unique,
        HANDLED_EVENT_IDS.iter().copied().collect::<BTreeSet<_>>()
    );
    assert_eq!(
        pattern("ParameterGroupEventRule")["detail"]["EventID"],
        json!([PARAMETER_GROUP_EVENT_ID])
    );
}

#[tokio::test]
async fn every_handled_event_of_a_kept_instance_reaches_the_function() {
    let bus = Bus::with_rule(&pattern("InstanceEventRule")).await;
    let mut events = Vec::new();
    for (n, event_id) in HANDLED_EVENT_IDS.iter().enumerate() {
        let instance = KEPT[n % KEPT.len()];
        // Both spellings of SourceIdentifier seen in AWS samples, with and without detail.Tags.
        for source_identifier in [instance.to_owned(), format!("rds:{instance}")] {
            events.push(instance_event(&source_identifier, event_id, true));
            events.push(instance_event(&source_identifier, event_id, false));
        }
    }
    let expected: BTreeSet<String> = events.iter().map(|e| e.label.clone()).collect();
    assert_eq!(bus.deliver(&events).await, expected);
}

#[tokio::test]
async fn events_of_instances_outside_the_kept_clusters_do_not_match() {
    let bus = Bus::with_rule(&pattern("InstanceEventRule")).await;
    let control = instance_event("orders-2", "RDS-EVENT-0006", false);
    let mut others = instance_event("billing-1", "RDS-EVENT-0006", true);
    others.detail["Tags"] = json!({"grkeeper:cluster": "billing"});
    let events = [
        control.clone(),
        others,
        instance_event("rds:billing-1", "RDS-EVENT-0004", false),
        // Names that only look like kept ones: the match is exact, never a prefix.
        instance_event("orders-10", "RDS-EVENT-0006", false),
        instance_event("orders", "RDS-EVENT-0006", false),
        instance_event("rds:orders-1-old", "RDS-EVENT-0006", false),
    ];
    assert_eq!(bus.deliver(&events).await, labels(&[&control]));
}

#[tokio::test]
async fn cluster_level_events_do_not_match() {
    let bus = Bus::with_rule(&pattern("InstanceEventRule")).await;
    let control = instance_event("orders-1", "RDS-EVENT-0006", false);
    // A DB cluster named like a kept instance, with a handled and a cluster-only EventID.
    let events = [
        control.clone(),
        cluster_event("orders-1", "RDS-EVENT-0006"),
        cluster_event("orders-1", "RDS-EVENT-0071"),
        cluster_event("rds:orders-1", "RDS-EVENT-0004"),
    ];
    assert_eq!(bus.deliver(&events).await, labels(&[&control]));
}

#[tokio::test]
async fn unhandled_event_ids_do_not_match() {
    let bus = Bus::with_rule(&pattern("InstanceEventRule")).await;
    let control = instance_event("orders-3", "RDS-EVENT-0088", true);
    let mut without_event_id = instance_event("orders-3", "RDS-EVENT-0006", false);
    without_event_id
        .detail
        .as_object_mut()
        .unwrap()
        .remove("EventID");
    without_event_id.label = "orders-3 without EventID".to_owned();
    let events = [
        control.clone(),
        instance_event("orders-3", "RDS-EVENT-0005", false), // created
        instance_event("orders-3", "RDS-EVENT-0155", true),  // minor upgrade available
        instance_event("orders-3", "RDS-EVENT-0222", false), // storage low
        instance_event("orders-3", PARAMETER_GROUP_EVENT_ID, false),
        without_event_id,
    ];
    assert_eq!(bus.deliver(&events).await, labels(&[&control]));
}

#[tokio::test]
async fn events_from_other_sources_do_not_match() {
    let bus = Bus::with_rule(&pattern("InstanceEventRule")).await;
    let control = instance_event("orders-1", "RDS-EVENT-0004", true);
    let mut events = vec![control.clone()];
    // grkeeper's own topology events must never loop back into it.
    for source in ["grkeeper", "aws.ec2", "custom.rds", "aws.rds.custom"] {
        let mut event = instance_event("orders-1", "RDS-EVENT-0004", true);
        event.source = source.to_owned();
        event.label = format!("{source} {}", event.label);
        events.push(event);
    }
    assert_eq!(bus.deliver(&events).await, labels(&[&control]));
}

#[tokio::test]
async fn parameter_group_rule_matches_parameter_changes_only() {
    let bus = Bus::with_rule(&pattern("ParameterGroupEventRule")).await;
    let change = parameter_group_event("gr-members", PARAMETER_GROUP_EVENT_ID);
    let events = [
        change.clone(),
        parameter_group_event("gr-members", "RDS-EVENT-0006"),
        instance_event("orders-1", PARAMETER_GROUP_EVENT_ID, false),
        instance_event("orders-1", "RDS-EVENT-0006", true),
    ];
    assert_eq!(bus.deliver(&events).await, labels(&[&change]));
}

/// EventBridge's limit on an event pattern, in characters.
const PATTERN_LIMIT: usize = 4096;

#[test]
fn fifty_instance_ids_of_thirty_characters_fit_in_the_instance_rule_as_deploy_md_says() {
    let ids: Vec<String> = (0..50)
        .map(|n| format!("orders-cluster-production-{n:04}"))
        .collect();
    assert!(ids.iter().all(|id| id.len() == 30));
    let stack = template::resolved(&[("EventInstanceIds", &ids.join(","))]);
    let pattern = stack.resource("InstanceEventRule")["Properties"]["EventPattern"].to_string();
    assert!(
        pattern.len() <= PATTERN_LIMIT,
        "{} characters: docs/deploy.md promises too much",
        pattern.len()
    );
}

/// Every RDS sample in `events/` and whether the instance rule delivers it to `rds-event`.
const SAMPLES: &[(&str, bool)] = &[
    ("rds-instance-shutdown.json", true),
    ("rds-instance-restarted.json", true),
    ("rds-instance-stopped.json", true),
    ("rds-instance-started.json", true),
    ("rds-instance-failover-completed-rds-prefix.json", true),
    // The rule matches detail.SourceIdentifier and detail.EventID: an event without one of
    // them never reaches rds-event (the sweep covers its instance within a minute).
    ("rds-instance-restarted-no-source-identifier.json", false),
    ("rds-instance-restarted-no-event-id.json", false),
    // Not instance events: a DB cluster's, and the parameter group rule's.
    ("rds-cluster-failover-completed.json", false),
    ("rds-parameter-group-updated.json", false),
];

#[tokio::test]
async fn every_rds_sample_event_reaches_the_function_or_not_as_documented() {
    let dir = grkeeper_e2e::tools::workspace_root().join("events");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("rds-") && name.ends_with(".json"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = SAMPLES.iter().map(|(f, _)| (*f).to_owned()).collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "every events/rds-*.json has an expected outcome here"
    );

    let bus = Bus::with_rule(&pattern("InstanceEventRule")).await;
    let events: Vec<Event> = SAMPLES.iter().map(|(file, _)| sample_event(file)).collect();
    let expected: BTreeSet<String> = SAMPLES
        .iter()
        .filter(|(_, reaches)| *reaches)
        .map(|(file, _)| (*file).to_owned())
        .collect();
    assert_eq!(bus.deliver(&events).await, expected);
}

/// A file of `events/` as an event to put on the bus, labelled with its file name.
fn sample_event(file: &str) -> Event {
    let input = grkeeper_e2e::harness::event(file).unwrap();
    let text = |key: &str| input[key].as_str().unwrap().to_owned();
    Event {
        label: file.to_owned(),
        source: text("source"),
        detail_type: text("detail-type"),
        resources: input["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(template::scalar)
            .collect(),
        detail: input["detail"].clone(),
    }
}

/// One event to put on the bus; `label` names it in assertions.
#[derive(Debug, Clone)]
struct Event {
    label: String,
    source: String,
    detail_type: String,
    resources: Vec<String>,
    detail: Value,
}

/// An "RDS DB Instance Event" as RDS sends it (`docs/events.md`, "RDS events").
fn instance_event(source_identifier: &str, event_id: &str, with_tags: bool) -> Event {
    let instance = source_identifier.trim_start_matches("rds:");
    let arn = format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:{instance}");
    let mut detail = json!({
        "EventCategories": ["availability"],
        "SourceType": "DB_INSTANCE",
        "SourceArn": arn,
        "Date": "2026-11-23T10:15:42.123Z",
        "Message": "DB instance restarted",
        "SourceIdentifier": source_identifier,
        "EventID": event_id,
    });
    if with_tags {
        let cluster = instance.rsplit_once('-').map_or(instance, |(c, _)| c);
        detail["Tags"] = json!({"grkeeper:cluster": cluster, "env": "prod"});
    }
    let tags = if with_tags { "tags" } else { "no tags" };
    Event {
        label: format!("{source_identifier} {event_id} {tags}"),
        source: "aws.rds".to_owned(),
        detail_type: "RDS DB Instance Event".to_owned(),
        resources: vec![arn],
        detail,
    }
}

/// An "RDS DB Cluster Event" (Aurora or Multi-AZ DB cluster), named `cluster`.
fn cluster_event(source_identifier: &str, event_id: &str) -> Event {
    let cluster = source_identifier.trim_start_matches("rds:");
    let arn = format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster:{cluster}");
    Event {
        label: format!("cluster {source_identifier} {event_id}"),
        source: "aws.rds".to_owned(),
        detail_type: "RDS DB Cluster Event".to_owned(),
        resources: vec![arn.clone()],
        detail: json!({
            "EventCategories": ["failover"],
            "SourceType": "CLUSTER",
            "SourceArn": arn,
            "Date": "2026-11-23T10:15:42.123Z",
            "Message": "Completed failover to DB instance",
            "SourceIdentifier": source_identifier,
            "EventID": event_id,
        }),
    }
}

/// An "RDS DB Parameter Group Event" for the parameter group `name`.
fn parameter_group_event(name: &str, event_id: &str) -> Event {
    let arn = format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:pg:{name}");
    Event {
        label: format!("parameter group {name} {event_id}"),
        source: "aws.rds".to_owned(),
        detail_type: "RDS DB Parameter Group Event".to_owned(),
        resources: vec![arn.clone()],
        detail: json!({
            "EventCategories": ["configuration change"],
            "SourceType": "DB_PARAM",
            "SourceArn": arn,
            "Date": "2026-11-23T10:15:42.123Z",
            "Message": "Updated parameter group_replication_group_seeds to a,b,c with apply method immediate",
            "SourceIdentifier": name,
            "EventID": event_id,
        }),
    }
}

fn labels(events: &[&Event]) -> BTreeSet<String> {
    events.iter().map(|e| e.label.clone()).collect()
}

/// The default bus of a fresh moto with one rule whose only target is an SQS queue.
struct Bus {
    _moto: Moto,
    events: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl Bus {
    async fn with_rule(pattern: &Value) -> Self {
        let moto = Moto::start().await.unwrap_or_else(|e| panic!("{e}"));
        let config = moto.sdk_config().await;
        let events = aws_sdk_eventbridge::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = sqs
            .create_queue()
            .queue_name("reached-the-target")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:reached-the-target");
        events
            .put_rule()
            .name("under-test")
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("EventBridge refused the pattern {pattern}: {e:?}"));
        let target = Target::builder()
            .id("queue")
            .arn(queue_arn)
            .build()
            .unwrap();
        let put = events
            .put_targets()
            .rule("under-test")
            .targets(target)
            .send()
            .await
            .unwrap();
        assert_eq!(put.failed_entry_count, 0, "{put:?}");
        Self {
            _moto: moto,
            events,
            sqs,
            queue_url,
        }
    }

    /// Puts `events` on the bus; returns the labels of those that reached the queue.
    async fn deliver(&self, events: &[Event]) -> BTreeSet<String> {
        let mut label_of_id = std::collections::BTreeMap::new();
        // PutEvents takes at most 10 entries.
        for batch in events.chunks(10) {
            let entries: Vec<PutEventsRequestEntry> = batch
                .iter()
                .map(|e| {
                    PutEventsRequestEntry::builder()
                        .source(&e.source)
                        .detail_type(&e.detail_type)
                        .set_resources(Some(e.resources.clone()))
                        .detail(e.detail.to_string())
                        .build()
                })
                .collect();
            let put = self
                .events
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .unwrap();
            assert_eq!(put.failed_entry_count, 0, "{put:?}");
            for (event, entry) in batch.iter().zip(put.entries()) {
                label_of_id.insert(entry.event_id().unwrap().to_owned(), event.label.clone());
            }
        }
        // moto delivers to the target during PutEvents, so the queue is complete now; the loop
        // is bounded by the number of events put.
        let mut reached = BTreeSet::new();
        for _ in 0..=events.len() {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            if received.messages().is_empty() {
                break;
            }
            for message in received.messages() {
                let envelope: Value = serde_json::from_str(message.body().unwrap()).unwrap();
                let id = envelope["id"].as_str().unwrap();
                let label = label_of_id
                    .get(id)
                    .unwrap_or_else(|| panic!("unknown event {envelope}"));
                assert!(reached.insert(label.clone()), "{label} arrived twice");
            }
        }
        reached
    }
}

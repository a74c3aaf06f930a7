//! Examples of every input form, every way an RDS event names its resource, and every error.

use serde_json::{Value, json};

use super::*;

/// A sample from `events/`, as JSON.
fn sample(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn instance_event(input: &Value) -> InstanceEvent {
    match from_value(input) {
        Ok(Trigger::RdsInstanceEvent(event)) => event,
        other => panic!("expected an instance event, got {other:?}"),
    }
}

fn error(input: &Value) -> String {
    from_value(input).unwrap_err().to_string()
}

/// The restarted sample with `edit` applied to its `detail`.
fn restarted_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut event = sample("rds-instance-restarted.json");
    edit(event["detail"].as_object_mut().unwrap());
    event
}

#[test]
fn restarted_event_names_the_instance_event_id_time_and_tags() {
    let event = instance_event(&sample("rds-instance-restarted.json"));
    assert_eq!(event.instance.as_str(), "orders-1");
    assert_eq!(event.detail.event_id.unwrap().as_str(), "RDS-EVENT-0006");
    assert_eq!(event.detail.categories, ["availability"]);
    assert_eq!(
        event.detail.message.as_deref(),
        Some("DB instance restarted")
    );
    assert_eq!(
        event.detail.time.unwrap().to_rfc3339(),
        "2025-03-04T10:15:42.123+00:00"
    );
    assert_eq!(event.detail.tags["grkeeper:cluster"], "orders");
}

#[test]
fn trigger_serializes_with_kind_instance_and_event_id() {
    let trigger = from_value(&sample("rds-instance-restarted-no-event-id.json")).unwrap();
    assert_eq!(
        serde_json::to_value(&trigger).unwrap(),
        json!({
            "kind": "rds_instance_event",
            "instance": "orders-2",
            "event_id": null,
            "categories": ["availability"],
            "message": "DB instance restarted",
            "time": "2025-03-04T12:21:03.118Z",
        })
    );
}

#[test]
fn source_identifier_with_rds_prefix_uses_the_arn_instance() {
    let event = instance_event(&sample("rds-instance-failover-completed-rds-prefix.json"));
    assert_eq!(event.instance.as_str(), "orders-2");
}

#[test]
fn missing_source_identifier_uses_the_source_arn() {
    let mut input = restarted_with(|detail| {
        detail.remove("SourceIdentifier");
        detail["SourceArn"] = json!("arn:aws:rds:us-east-1:123456789012:db:orders-2");
    });
    input["resources"] = json!([]);
    let event = instance_event(&input);
    assert_eq!(event.instance.as_str(), "orders-2");
}

#[test]
fn without_source_identifier_or_source_arn_the_resources_name_the_instance() {
    let mut event = restarted_with(|detail| {
        detail.remove("SourceIdentifier");
        detail.remove("SourceArn");
    });
    event["resources"] = json!([
        "arn:aws:rds:us-east-1:123456789012:pg:orders-gr",
        "arn:aws:rds:us-east-1:123456789012:db:orders-3",
    ]);
    assert_eq!(instance_event(&event).instance.as_str(), "orders-3");
}

#[test]
fn event_without_event_id_message_tags_or_date_still_parses() {
    let event = instance_event(&restarted_with(|detail| {
        for field in ["EventID", "Message", "Tags", "Date", "EventCategories"] {
            detail.remove(field);
        }
    }));
    assert_eq!(event.detail.event_id, None);
    assert_eq!(event.detail.message, None);
    assert!(event.detail.tags.is_empty());
    // Without `Date`, the envelope's `time` stands in.
    assert_eq!(
        event.detail.time.unwrap().to_rfc3339(),
        "2025-03-04T10:15:42+00:00"
    );
}

#[test]
fn null_optional_fields_count_as_missing() {
    let event = instance_event(&restarted_with(|detail| {
        for field in ["EventID", "Message", "Tags", "SourceIdentifier"] {
            detail[field] = Value::Null;
        }
    }));
    assert_eq!(event.instance.as_str(), "orders-1");
    assert_eq!(event.detail.event_id, None);
}

#[test]
fn source_identifier_that_disagrees_with_the_arn_is_an_error() {
    let input = sample("invalid/rds-instance-identifier-contradicts-arn.json");
    assert_eq!(
        error(&input),
        r#"detail.SourceIdentifier "orders-3" contradicts detail.SourceArn "arn:aws:rds:us-east-1:123456789012:db:orders-1""#
    );
}

#[test]
fn prefixed_source_identifier_that_disagrees_with_the_arn_is_an_error() {
    let input = restarted_with(|detail| detail["SourceIdentifier"] = json!("rds:orders-2"));
    assert_eq!(from_value(&input).unwrap_err().kind(), "contradiction");
}

#[test]
fn resources_that_disagree_with_the_source_arn_are_an_error() {
    let mut input = sample("rds-instance-restarted.json");
    input["resources"] = json!(["arn:aws:rds:us-east-1:123456789012:db:orders-9"]);
    assert_eq!(
        error(&input),
        r#"detail.SourceIdentifier "orders-1" contradicts resources[0] "arn:aws:rds:us-east-1:123456789012:db:orders-9""#
    );
}

#[test]
fn prefixed_source_identifier_alone_names_no_instance() {
    let input = sample("invalid/rds-instance-prefixed-identifier-only.json");
    assert_eq!(
        error(&input),
        r#"no DB instance named: detail.SourceIdentifier (without the "rds:" prefix), detail.SourceArn and resources give none"#
    );
}

#[test]
fn arns_of_every_partition_are_accepted() {
    for (partition, region) in [
        ("aws", "eu-west-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-us-gov", "us-gov-west-1"),
        ("aws-iso-b", "us-isob-east-1"),
    ] {
        let mut input = restarted_with(|detail| {
            detail.remove("SourceIdentifier");
            detail["SourceArn"] = json!(format!(
                "arn:{partition}:rds:{region}:123456789012:db:orders-1"
            ));
        });
        input["resources"] = json!([]);
        assert_eq!(
            instance_event(&input).instance.as_str(),
            "orders-1",
            "{partition}"
        );
    }
}

#[test]
fn malformed_arns_are_rejected_with_the_reason() {
    for (arn, reason) in [
        (
            "orders-1",
            "expected arn:PARTITION:rds:REGION:ACCOUNT:TYPE:NAME",
        ),
        (
            "arn:azure:rds:us-east-1:123456789012:db:orders-1",
            r#"unknown partition "azure""#,
        ),
        (
            "arn:aws:ec2:us-east-1:123456789012:db:orders-1",
            r#"service "ec2" is not rds"#,
        ),
        (
            "arn:aws:rds:US_EAST:123456789012:db:orders-1",
            r#"malformed region "US_EAST""#,
        ),
        (
            "arn:aws:rds:us-east-1:1234:db:orders-1",
            r#"account "1234" is not 12 digits"#,
        ),
        (
            "arn:aws:rds:us-east-1:123456789012:cluster:orders",
            r#"names a "cluster" resource, not a DB instance"#,
        ),
    ] {
        let input = restarted_with(|detail| detail["SourceArn"] = json!(arn));
        assert_eq!(
            error(&input),
            format!("invalid ARN {arn:?} in detail.SourceArn: {reason}")
        );
    }
}

#[test]
fn identifier_with_sql_in_it_is_rejected_naming_the_field() {
    let input = restarted_with(|detail| detail["SourceIdentifier"] = json!("x;DROP"));
    assert_eq!(
        error(&input),
        r#"invalid instance identifier "x;DROP" in detail.SourceIdentifier: character ';' is not allowed"#
    );
}

#[test]
fn instance_identifiers_follow_the_rds_naming_rules() {
    let long = "a".repeat(64);
    for (id, reason) in [
        ("", "it is empty"),
        (long.as_str(), "longer than 63 characters"),
        ("1orders", "must start with a letter"),
        ("-orders", "must start with a letter"),
        ("orders-", "must not end with a hyphen"),
        ("orders--1", "must not contain two consecutive hyphens"),
        ("orders_1", "character '_' is not allowed"),
        ("orders.1", "character '.' is not allowed"),
        ("ordérs", "character 'é' is not allowed"),
    ] {
        let input = json!({"action": "sweep", "instance": id});
        assert_eq!(
            error(&input),
            format!("invalid instance identifier {id:?} in instance: {reason}")
        );
    }
    let input = json!({"action": "sweep", "instance": "a".repeat(63)});
    assert!(from_value(&input).is_ok());
}

#[test]
fn instance_identifiers_are_lower_cased_as_rds_stores_them() {
    let input = restarted_with(|detail| detail["SourceIdentifier"] = json!("Orders-1"));
    assert_eq!(instance_event(&input).instance.as_str(), "orders-1");
}

#[test]
fn source_type_that_contradicts_the_detail_type_is_an_error() {
    let input = restarted_with(|detail| detail["SourceType"] = json!("CLUSTER"));
    assert_eq!(
        error(&input),
        r#"detail.SourceType "CLUSTER" contradicts detail-type "RDS DB Instance Event""#
    );
}

#[test]
fn event_id_must_be_rds_event_and_digits() {
    let input = restarted_with(|detail| detail["EventID"] = json!("RDS-EVENT-6"));
    assert_eq!(
        error(&input),
        r#"invalid event id "RDS-EVENT-6" in detail.EventID: expected "RDS-EVENT-" and 4 to 6 digits"#
    );
}

#[test]
fn wrongly_typed_fields_are_named_with_both_types() {
    let input = restarted_with(|detail| detail["EventCategories"] = json!("availability"));
    assert_eq!(
        error(&input),
        r#"field "detail.EventCategories" must be an array of strings, found a string"#
    );
    let input = restarted_with(|detail| detail["Tags"] = json!({"grkeeper:cluster": 1}));
    assert_eq!(
        error(&input),
        r#"field "detail.Tags" must be an object of strings, found a number"#
    );
}

#[test]
fn unparsable_date_is_an_error() {
    let input = restarted_with(|detail| detail["Date"] = json!("yesterday"));
    assert_eq!(from_value(&input).unwrap_err().kind(), "invalid_time");
}

#[test]
fn cluster_event_names_the_db_cluster() {
    let trigger = from_value(&sample("rds-cluster-failover-completed.json")).unwrap();
    let Trigger::RdsClusterEvent(event) = trigger else {
        panic!("expected a cluster event, got {trigger:?}");
    };
    assert_eq!(event.db_cluster.as_str(), "orders-aurora");
    assert_eq!(event.detail.event_id.unwrap().as_str(), "RDS-EVENT-0071");
}

#[test]
fn parameter_group_event_names_the_group_including_default_groups() {
    let trigger = from_value(&sample("rds-parameter-group-updated.json")).unwrap();
    let Trigger::ParameterGroupEvent(event) = trigger else {
        panic!("expected a parameter group event, got {trigger:?}");
    };
    assert_eq!(event.parameter_group.as_str(), "orders-gr");
    assert_eq!(
        event.detail.event_id.unwrap().as_str(),
        PARAMETER_GROUP_EVENT_ID
    );

    let mut input = sample("rds-parameter-group-updated.json");
    input["detail"]["SourceIdentifier"] = json!("default.mysql8.0");
    input["detail"]["SourceArn"] = json!("arn:aws:rds:us-east-1:123456789012:pg:default.mysql8.0");
    input["resources"] = json!([]);
    let Ok(Trigger::ParameterGroupEvent(event)) = from_value(&input) else {
        panic!("default parameter group rejected: {:?}", from_value(&input));
    };
    assert_eq!(event.parameter_group.as_str(), "default.mysql8.0");
}

#[test]
fn scheduled_event_envelope_is_a_schedule_of_every_cluster() {
    let trigger = from_value(&sample("schedule.json")).unwrap();
    assert_eq!(
        serde_json::to_value(&trigger).unwrap(),
        json!({"kind": "schedule", "time": "2025-03-04T10:16:00Z"})
    );
}

#[test]
fn constant_schedule_input_is_a_schedule() {
    assert_eq!(
        from_value(&json!({"grkeeper": "schedule"})).unwrap(),
        Trigger::Schedule(Schedule {
            cluster: None,
            time: None
        })
    );
    let trigger = from_value(&json!({"grkeeper": "schedule", "cluster": "orders"})).unwrap();
    assert_eq!(
        serde_json::to_value(&trigger).unwrap(),
        json!({"kind": "schedule", "cluster": "orders"})
    );
}

#[test]
fn constant_input_with_another_value_is_rejected() {
    assert_eq!(
        error(&json!({"grkeeper": "sweep"})),
        r#"unsupported value "sweep" in "grkeeper": expected "schedule""#
    );
}

#[test]
fn manual_sweep_without_cluster_means_every_cluster() {
    assert_eq!(
        from_value(&json!({"action": "sweep"})).unwrap(),
        Trigger::Manual(Manual {
            cluster: None,
            instance: None
        })
    );
    let trigger = from_value(&json!({"action": "sweep", "cluster": "orders_eu.1"})).unwrap();
    assert_eq!(
        serde_json::to_value(&trigger).unwrap(),
        json!({"kind": "manual", "cluster": "orders_eu.1"})
    );
}

#[test]
fn manual_invocation_with_a_misspelt_field_is_rejected() {
    assert_eq!(
        error(&sample("invalid/manual-misspelt-cluster.json")),
        r#"unexpected field "clustr" in a manual invocation: allowed fields are "action", "cluster", "instance""#
    );
}

#[test]
fn manual_action_other_than_sweep_is_rejected() {
    assert_eq!(
        error(&sample("invalid/manual-unknown-action.json")),
        r#"unsupported value "reboot" in "action": expected "sweep""#
    );
}

#[test]
fn ec2_event_is_unsupported_and_the_message_names_source_and_detail_type() {
    assert_eq!(
        error(&sample("invalid/ec2-state-change.json")),
        r#"unsupported event: source "aws.ec2", detail-type "EC2 Instance State-change Notification""#
    );
}

#[test]
fn envelope_without_detail_type_reports_the_missing_field() {
    assert_eq!(
        error(&sample("invalid/missing-detail-type.json")),
        r#"missing field "detail-type""#
    );
}

#[test]
fn supported_envelope_without_detail_reports_the_missing_field() {
    let mut input = sample("schedule.json");
    input.as_object_mut().unwrap().remove("detail");
    assert_eq!(error(&input), r#"missing field "detail""#);
}

#[test]
fn inputs_that_are_no_trigger_at_all_say_what_is_expected() {
    assert_eq!(
        from_value(&json!({"cluster": "orders"}))
            .unwrap_err()
            .kind(),
        "not_a_trigger"
    );
    assert_eq!(error(&json!([1])), "expected a JSON object, found an array");
    assert_eq!(parse(b"{\"action\"").unwrap_err().kind(), "not_json");
}

#[test]
fn error_messages_quote_hostile_values_on_one_line_and_clip_them() {
    let hostile = format!("aws.ec2\nFORGED LOG LINE {}", "x".repeat(500));
    let message = error(&json!({"source": hostile, "detail-type": "\r\u{2028}"}));
    assert!(!message.contains(['\n', '\r', '\u{2028}']), "{message}");
    assert!(message.len() < 250, "{message}");
    assert!(
        message.contains(r#"source "aws.ec2\nFORGED LOG LINE xxx"#),
        "{message}"
    );
}

#[test]
fn kind_is_the_json_kind_tag_for_every_sample_event() {
    let dir = format!("{}/../events", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let trigger = from_value(&sample(&name)).unwrap();
            let json = serde_json::to_value(&trigger).unwrap();
            assert_eq!(json["kind"], trigger.kind(), "{name}");
        }
    }
}

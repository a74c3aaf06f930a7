//! The AWS resources grkeeper uses, created in moto the way `infra/template.yaml` declares them:
//! tagged MySQL DB instances, the journal table, the alert topic, the topology bus, the members'
//! secret; the topic and the bus deliver to SQS queues a test reads back.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_eventbridge::types::Target;
use aws_sdk_rds::types::Tag;

use crate::harness::HarnessError;
use crate::queue::Queue;

/// The RDS tag key that groups instances into clusters (grkeeper's default).
pub const CLUSTER_TAG: &str = "grkeeper:cluster";

/// The DB parameter group the harness's members use: the settings RDS requires for Group
/// Replication that no `@@` variable shows (`infra/parameter-group.yaml`).
pub const MEMBER_PARAMETER_GROUP: &str = "grkeeper-members";

/// Creates [`MEMBER_PARAMETER_GROUP`] with Group Replication enabled and custom DNS resolution.
pub async fn member_parameter_group(rds: &aws_sdk_rds::Client) -> Result<(), HarnessError> {
    rds.create_db_parameter_group()
        .db_parameter_group_name(MEMBER_PARAMETER_GROUP)
        .db_parameter_group_family("mysql8.0")
        .description("grkeeper test members")
        .send()
        .await
        .map_err(|e| HarnessError::aws("RDS.CreateDBParameterGroup", e))?;
    let mut modify = rds
        .modify_db_parameter_group()
        .db_parameter_group_name(MEMBER_PARAMETER_GROUP);
    for name in ["rds.group_replication_enabled", "rds.custom_dns_resolution"] {
        modify = modify.parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name(name)
                .parameter_value("1")
                .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
                .build(),
        );
    }
    modify
        .send()
        .await
        .map_err(|e| HarnessError::aws("RDS.ModifyDBParameterGroup", e))?;
    Ok(())
}

/// Creates DB instance `id` (`available` at once in moto) with `engine`, `engine_version` when
/// given, `tags`, and the DB parameter group `parameter_group` when given.
pub async fn db_instance(
    rds: &aws_sdk_rds::Client,
    id: &str,
    engine: &str,
    engine_version: Option<&str>,
    tags: &[(&str, &str)],
    parameter_group: Option<&str>,
) -> Result<(), HarnessError> {
    let mut request = rds
        .create_db_instance()
        .db_instance_identifier(id)
        .set_db_parameter_group_name(parameter_group.map(str::to_owned))
        .db_instance_class("db.t3.micro")
        .engine(engine)
        .set_engine_version(engine_version.map(str::to_owned))
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-real-password");
    for (key, value) in tags {
        request = request.tags(Tag::builder().key(*key).value(*value).build());
    }
    request
        .send()
        .await
        .map_err(|e| HarnessError::aws("RDS.CreateDBInstance", e))?;
    Ok(())
}

/// The journal table: `pk`/`sk` strings, on demand, TTL on `expires_at` (`docs/journal.md`).
pub async fn journal_table(
    dynamodb: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), HarnessError> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    let invalid = |e: aws_sdk_dynamodb::error::BuildError| HarnessError::Setup(e.to_string());
    dynamodb
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute("pk").map_err(invalid)?)
        .attribute_definitions(attribute("sk").map_err(invalid)?)
        .key_schema(key("pk", KeyType::Hash).map_err(invalid)?)
        .key_schema(key("sk", KeyType::Range).map_err(invalid)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| HarnessError::aws("DynamoDB.CreateTable", e))?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name("expires_at")
        .enabled(true)
        .build()
        .map_err(invalid)?;
    dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| HarnessError::aws("DynamoDB.UpdateTimeToLive", e))?;
    Ok(())
}

/// SNS topic `name` with an SQS queue of the same name subscribed (SNS envelopes, not raw):
/// returns the topic ARN and the queue.
pub async fn topic_with_queue(
    config: &SdkConfig,
    name: &str,
) -> Result<(String, Queue), HarnessError> {
    let sns = aws_sdk_sns::Client::new(config);
    let topic = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|e| HarnessError::aws("SNS.CreateTopic", e))?;
    let topic_arn = topic.topic_arn().unwrap_or_default().to_owned();
    let queue = Queue::create(&aws_sdk_sqs::Client::new(config), name).await?;
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue.arn)
        .send()
        .await
        .map_err(|e| HarnessError::aws("SNS.Subscribe", e))?;
    Ok((topic_arn, queue))
}

/// A new SQS queue `name` subscribed to `topic_arn` with the subscription filter policy
/// `filter` (JSON, on the message attributes): what a subscriber with that filter receives.
pub async fn filtered_queue(
    config: &SdkConfig,
    topic_arn: &str,
    name: &str,
    filter: &str,
) -> Result<Queue, HarnessError> {
    let queue = Queue::create(&aws_sdk_sqs::Client::new(config), name).await?;
    aws_sdk_sns::Client::new(config)
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(&queue.arn)
        .attributes("FilterPolicyScope", "MessageAttributes")
        .attributes("FilterPolicy", filter)
        .send()
        .await
        .map_err(|e| HarnessError::aws("SNS.Subscribe", e))?;
    Ok(queue)
}

/// EventBridge bus `name` with a rule sending every `source: grkeeper` event to an SQS queue of
/// the same name: returns the queue.
pub async fn bus_with_queue(config: &SdkConfig, name: &str) -> Result<Queue, HarnessError> {
    let events = aws_sdk_eventbridge::Client::new(config);
    events
        .create_event_bus()
        .name(name)
        .send()
        .await
        .map_err(|e| HarnessError::aws("EventBridge.CreateEventBus", e))?;
    let queue = Queue::create(&aws_sdk_sqs::Client::new(config), name).await?;
    let rule = "grkeeper-everything";
    events
        .put_rule()
        .name(rule)
        .event_bus_name(name)
        .event_pattern(r#"{"source": ["grkeeper"]}"#)
        .send()
        .await
        .map_err(|e| HarnessError::aws("EventBridge.PutRule", e))?;
    let target = Target::builder()
        .id("queue")
        .arn(&queue.arn)
        .build()
        .map_err(|e| HarnessError::Setup(e.to_string()))?;
    events
        .put_targets()
        .rule(rule)
        .event_bus_name(name)
        .targets(target)
        .send()
        .await
        .map_err(|e| HarnessError::aws("EventBridge.PutTargets", e))?;
    Ok(queue)
}

/// Secret `name` in the shape of an RDS-managed secret; returns its ARN.
pub async fn member_secret(
    secrets: &aws_sdk_secretsmanager::Client,
    name: &str,
    username: &str,
    password: &str,
) -> Result<String, HarnessError> {
    let created = secrets
        .create_secret()
        .name(name)
        .secret_string(secret_json(username, password))
        .send()
        .await
        .map_err(|e| HarnessError::aws("SecretsManager.CreateSecret", e))?;
    Ok(created.arn().unwrap_or_default().to_owned())
}

/// `{"username": ..., "password": ..., "engine": "mysql"}`.
pub fn secret_json(username: &str, password: &str) -> String {
    serde_json::json!({"username": username, "password": password, "engine": "mysql"}).to_string()
}

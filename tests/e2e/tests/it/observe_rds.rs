//! The RDS and Secrets Manager adapters against moto: inventory by tag, DescribeDBInstances
//! records, reboot refusals, and credentials from a secret.

use grkeeper::adapters::aws::rds::AwsRds;
use grkeeper::adapters::aws::secrets_manager::SecretsManagerSource;
use grkeeper::config::Inventory;
use grkeeper::keeper::observe::inventory;
use grkeeper::ports::rds::{ClusterInventory, RdsControl, RdsError};
use grkeeper::ports::reboot::RdsReboot;
use grkeeper::ports::secrets::{SecretError, SecretSource};
use grkeeper_e2e::moto::Moto;
use grkeeper_e2e::resources;

const TAG: &str = resources::CLUSTER_TAG;

async fn create(rds: &aws_sdk_rds::Client, id: &str, engine: &str, cluster: Option<&str>) {
    let version = (engine == "mysql").then_some("8.0.36");
    let mut tags = vec![("team", "data")];
    tags.extend(cluster.map(|cluster| (TAG, cluster)));
    resources::db_instance(rds, id, engine, version, &tags, None)
        .await
        .unwrap();
}

/// moto with orders = db2, db1 (MySQL), billing = b1, an untagged MySQL instance and a tagged
/// PostgreSQL one.
async fn rds_with_instances() -> (Moto, aws_sdk_rds::Client) {
    let moto = Moto::start().await.unwrap();
    let client = aws_sdk_rds::Client::new(&moto.sdk_config().await);
    create(&client, "db2", "mysql", Some("orders")).await;
    create(&client, "db1", "mysql", Some("orders")).await;
    create(&client, "b1", "mysql", Some("billing")).await;
    create(&client, "loose", "mysql", None).await;
    create(&client, "pg1", "postgres", Some("orders")).await;
    (moto, client)
}

fn cluster(name: &str, ids: &[&str]) -> ClusterInventory {
    ClusterInventory {
        cluster: name.into(),
        instances: ids.iter().map(|id| id.to_string()).collect(),
    }
}

#[tokio::test]
async fn mysql_instances_are_grouped_into_clusters_by_their_tag() {
    let (_moto, client) = rds_with_instances().await;
    let rds = AwsRds::new(client);
    let source = Inventory::Tagged {
        tag_key: TAG.into(),
        clusters: None,
    };
    assert_eq!(
        inventory(&rds, &source).await.unwrap(),
        [
            cluster("billing", &["b1"]),
            cluster("orders", &["db1", "db2"])
        ]
    );
}

#[tokio::test]
async fn describe_reports_status_endpoint_version_and_tags_and_fails_unknown_ids() {
    let (_moto, client) = rds_with_instances().await;
    client
        .stop_db_instance()
        .db_instance_identifier("b1")
        .send()
        .await
        .unwrap();
    let rds = AwsRds::new(client);
    let described = rds
        .describe(&["db1".into(), "nope".into(), "b1".into()])
        .await
        .unwrap();
    let ids: Vec<&str> = described.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["db1", "nope", "b1"]);

    let db1 = described[0].1.seen().unwrap();
    assert!(db1.status.is_available(), "{db1:?}");
    assert!(
        db1.endpoint.as_deref().unwrap().starts_with("db1."),
        "{db1:?}"
    );
    assert_eq!(db1.port, Some(3306));
    assert_eq!(db1.engine_version.as_deref(), Some("8.0.36"));
    assert_eq!(db1.tags.get(TAG).map(String::as_str), Some("orders"));
    assert_eq!(db1.tags.get("team").map(String::as_str), Some("data"));

    assert_eq!(
        described[1].1.failed().map(String::as_str),
        Some("DescribeDBInstances does not know DB instance \"nope\"")
    );
    assert!(described[2].1.seen().unwrap().status.is_stopped());
}

#[tokio::test]
async fn rebooting_an_unknown_instance_is_not_found_and_a_known_one_is_accepted() {
    let (_moto, client) = rds_with_instances().await;
    let rds = AwsRds::new(client);
    let error = rds.reboot("nope").await.unwrap_err();
    assert!(
        matches!(&error, RdsError::NotFound { instance } if instance == "nope"),
        "{error:?}"
    );
    rds.reboot("db1").await.unwrap();
}

async fn secrets() -> (Moto, aws_sdk_secretsmanager::Client) {
    let moto = Moto::start().await.unwrap();
    let client = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
    (moto, client)
}

async fn put_secret(client: &aws_sdk_secretsmanager::Client, name: &str, text: &str) -> String {
    let created = client
        .create_secret()
        .name(name)
        .secret_string(text)
        .send()
        .await
        .unwrap();
    created.arn().unwrap().to_owned()
}

#[tokio::test]
async fn credentials_come_from_an_rds_style_json_secret() {
    let (_moto, client) = secrets().await;
    let arn = put_secret(
        &client,
        "grkeeper/members",
        r#"{"username": "grkeeper", "password": "s3cr3t!", "engine": "mysql"}"#,
    )
    .await;
    let credentials = SecretsManagerSource::new(client, arn)
        .credentials()
        .await
        .unwrap();
    assert_eq!(credentials.username, "grkeeper");
    assert_eq!(credentials.password.expose(), "s3cr3t!");
    assert!(!format!("{credentials:?}").contains("s3cr3t!"));
}

#[tokio::test]
async fn a_missing_secret_is_reported_as_not_found() {
    let (_moto, client) = secrets().await;
    let error = SecretsManagerSource::new(client, "grkeeper/none")
        .credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SecretError::NotFound { secret } if secret == "grkeeper/none"),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "secret grkeeper/none not found");
}

#[tokio::test]
async fn a_secret_without_a_password_is_malformed_and_never_quoted() {
    let (_moto, client) = secrets().await;
    put_secret(
        &client,
        "grkeeper/bad",
        r#"{"username": "grkeeper", "pass": "hunter2"}"#,
    )
    .await;
    let error = SecretsManagerSource::new(client, "grkeeper/bad")
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"secret grkeeper/bad: no "password" string field"#
    );
    assert!(!format!("{error:?}").contains("hunter2"));
}

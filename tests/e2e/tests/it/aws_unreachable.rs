//! AWS unreachable: the journal, the notifier and the topology bus, configured with grkeeper's
//! own timeouts and retries and pointed at a closed port, each fail fast with a typed,
//! retryable error, and "lease held" is never mistaken for it.

use std::time::{Duration, Instant};

use chrono::Utc;
use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::adapters::aws::eventbridge::EventBridgeBus;
use grkeeper::adapters::aws::sns::SnsNotifier;
use grkeeper::ports::journal::LeaseStore;
use grkeeper::ports::notifier::Notifier;
use grkeeper::ports::topology_bus::TopologyBus;
use grkeeper::report::AlertMessage;
use grkeeper_e2e::harness::closed_endpoint;
use grkeeper_e2e::moto::Moto;

/// Three attempts against a refused connection, with backoff, take well under this.
const FAST: Duration = Duration::from_secs(5);

#[tokio::test]
async fn every_adapter_fails_fast_and_retryably_when_aws_is_unreachable() {
    let moto = Moto::start().await.unwrap();
    let config = moto
        .config_loader()
        .endpoint_url(closed_endpoint().unwrap())
        .timeout_config(grkeeper::adapters::aws::timeouts())
        .retry_config(grkeeper::adapters::aws::retries())
        .load()
        .await;

    let started = Instant::now();
    let journal = DynamoJournal::new(aws_sdk_dynamodb::Client::new(&config), "grkeeper");
    let error = journal
        .acquire_lease("orders", "req-1", Utc::now(), Duration::from_secs(300))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "aws_unreachable", "{error}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());

    let started = Instant::now();
    let message = AlertMessage {
        subject: "CRITICAL orders/db2: member offline".into(),
        body: "db2 is OFFLINE".into(),
        attributes: [("severity".to_owned(), "critical".to_owned())].into(),
    };
    let notifier = SnsNotifier::new(
        aws_sdk_sns::Client::new(&config),
        "arn:aws:sns:us-east-1:123456789012:alerts",
    );
    let error = notifier.publish(&message).await.unwrap_err();
    assert_eq!(error.kind(), "aws_unreachable", "{error}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());

    let started = Instant::now();
    let bus = EventBridgeBus::new(aws_sdk_eventbridge::Client::new(&config), "default");
    let changes = crate::topology_eventbridge::first_sight(1);
    let error = bus.put(&changes).await.unwrap_err();
    assert_eq!(error.kind(), "aws_unreachable", "{error}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < FAST, "took {:?}", started.elapsed());
}

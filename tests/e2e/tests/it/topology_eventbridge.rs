//! The EventBridge bus against moto: topology events read back through a rule with an SQS
//! target, more than one `PutEvents` call's worth, and a bus that does not exist.

use std::collections::BTreeMap;

use grkeeper::adapters::aws::eventbridge::EventBridgeBus;
use grkeeper::fixtures::{ClusterBuilder, server_uuid};
use grkeeper::ports::topology_bus::{TopologyBus, TopologyError};
use grkeeper::report::topology::{TopologyEvent, member_changes};
use grkeeper::snapshot::Condition;
use grkeeper_e2e::harness::BUS;
use grkeeper_e2e::moto::Moto;
use grkeeper_e2e::resources::bus_with_queue;

/// `n` members of cluster `orders` seen for the first time: one `GR Member State Change` each.
pub fn first_sight(n: usize) -> Vec<TopologyEvent> {
    let snapshot = ClusterBuilder::healthy(n).build();
    let next: BTreeMap<String, Condition> = snapshot
        .instances
        .iter()
        .map(|i| {
            let condition = Condition {
                state: "ONLINE".into(),
                since: snapshot.observed_at,
            };
            (i.id.clone(), condition)
        })
        .collect();
    member_changes(&BTreeMap::new(), &next, &snapshot)
}

#[tokio::test]
async fn topology_events_reach_a_queue_through_a_rule_on_the_configured_bus() {
    let moto = Moto::start().await.unwrap();
    let config = moto.sdk_config().await;
    let queue = bus_with_queue(&config, BUS).await.unwrap();
    let events = aws_sdk_eventbridge::Client::new(&config);

    // 12 events: two PutEvents calls (at most 10 entries each).
    EventBridgeBus::new(events, BUS)
        .put(&first_sight(12))
        .await
        .unwrap();

    let received = queue.receive(12).await.unwrap();
    let mut members: Vec<(String, String)> = received
        .iter()
        .map(|event| {
            assert_eq!(event["source"], "grkeeper");
            assert_eq!(event["detail-type"], "GR Member State Change");
            assert_eq!(event["detail"]["cluster"], "orders");
            assert_eq!(event["detail"]["new_state"], "ONLINE");
            assert!(event["detail"].get("old_state").is_none(), "{event}");
            let field = |name: &str| event["detail"][name].as_str().unwrap().to_owned();
            (field("instance"), field("member_id"))
        })
        .collect();
    members.sort_unstable();
    let mut expected: Vec<(String, String)> = (1..=12)
        .map(|i| (format!("orders-{i}"), server_uuid(i)))
        .collect();
    expected.sort_unstable();
    assert_eq!(members, expected);
}

#[tokio::test]
async fn putting_events_on_a_bus_that_does_not_exist_is_a_clear_error() {
    let moto = Moto::start().await.unwrap();
    let events = aws_sdk_eventbridge::Client::new(&moto.sdk_config().await);
    let error = EventBridgeBus::new(events, "no-such-bus")
        .put(&first_sight(1))
        .await
        .unwrap_err();
    let TopologyError::Aws(aws) = &error else {
        panic!("expected an AWS error, got {error:?}");
    };
    assert_eq!(aws.code.as_deref(), Some("ResourceNotFoundException"));
    assert!(!error.is_retryable(), "{error}");
    assert!(
        error.to_string().contains("EventBridge.PutEvents"),
        "{error}"
    );
}

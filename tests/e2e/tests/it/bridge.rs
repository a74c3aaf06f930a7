//! The bridge in front of moto, through grkeeper's own RDS adapter and the SDK: reboots, stops
//! and starts reach the simulated members, RDS answers show the simulator's statuses, refused
//! transitions are RDS's errors, pending maintenance is applied (`ApplyPendingMaintenanceAction`,
//! which moto lacks) with RDS's answers and errors, every other service passes through, and
//! faults fail calls.

use std::time::Duration;

use gr_sim::{GtidSet, PendingMaintenance, Timing};
use grkeeper::adapters::aws::rds::AwsRds;
use grkeeper::adapters::aws::sns::SnsNotifier;
use grkeeper::ports::notifier::Notifier;
use grkeeper::ports::rds::{RdsControl, RdsError};
use grkeeper::ports::reboot::RdsReboot;
use grkeeper::report::AlertMessage;
use grkeeper_e2e::bridge::Failure;
use grkeeper_e2e::harness::{Harness, MEMBERS};

/// A reboot and a stop that last long enough to be seen `rebooting` and `stopping` on a busy
/// machine (a loaded 2-core CI runner can take seconds between the call and its answer, or the
/// next describe: with the fast timing's 60 ms stop, StopDBInstance answered `stopped`).
async fn slow_reboots() -> Harness {
    Harness::start_with(|config| {
        config.real_time(Timing {
            reboot: Duration::from_secs(10),
            stop: Duration::from_secs(5),
            start: Duration::from_secs(2),
            ..Timing::fast()
        })
    })
    .await
    .unwrap()
}

async fn status(rds: &AwsRds, id: &str) -> String {
    let described = rds.describe(&[id.to_owned()]).await.unwrap();
    described[0].1.seen().unwrap().status.0.clone()
}

#[tokio::test]
async fn a_reboot_through_the_rds_api_restarts_the_member_which_is_seen_rebooting() {
    let h = slow_reboots().await;
    h.sim.commit("orders-1", 3).unwrap();
    let committed = h.sim.truth().all_executed();
    let rds = AwsRds::new(aws_sdk_rds::Client::new(&h.bridged_aws().await));

    rds.reboot("orders-2").await.unwrap();
    assert_eq!(status(&rds, "orders-2").await, "rebooting");
    assert_eq!(status(&rds, "orders-1").await, "available");
    assert!(!h.sim.truth().member("orders-2").unwrap().up);

    let truth = h
        .wait_until("orders-2 ONLINE", |t| t.state("orders-2") == "ONLINE")
        .await
        .unwrap();
    assert_eq!(status(&rds, "orders-2").await, "available");
    assert!(!truth.split_brain());
    let executed: GtidSet = truth
        .member("orders-2")
        .unwrap()
        .gtid_executed
        .parse()
        .unwrap();
    assert!(committed.is_subset_of(&executed), "{truth:?}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);
}

#[tokio::test]
async fn a_stopped_instance_cannot_be_rebooted_and_comes_back_when_started() {
    let h = slow_reboots().await;
    let sdk = aws_sdk_rds::Client::new(&h.bridged_aws().await);
    let rds = AwsRds::new(sdk.clone());
    let stopped = sdk
        .stop_db_instance()
        .db_instance_identifier("orders-3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stopped.db_instance().unwrap().db_instance_status(),
        Some("stopping")
    );
    h.wait_until("orders-3 stopped", |t| {
        t.member("orders-3").unwrap().instance_status == gr_sim::InstanceStatus::Stopped
    })
    .await
    .unwrap();
    assert_eq!(status(&rds, "orders-3").await, "stopped");

    let refused = rds.reboot("orders-3").await.unwrap_err();
    let RdsError::InvalidState { instance, message } = &refused else {
        panic!("expected InvalidDBInstanceState, got {refused:?}");
    };
    assert_eq!(instance, "orders-3");
    assert!(message.contains("available"), "{message}");
    assert!(!h.sim.truth().member("orders-3").unwrap().up);

    sdk.start_db_instance()
        .db_instance_identifier("orders-3")
        .send()
        .await
        .unwrap();
    h.wait_until("orders-3 ONLINE", |t| t.state("orders-3") == "ONLINE")
        .await
        .unwrap();
    assert_eq!(status(&rds, "orders-3").await, "available");
}

#[tokio::test]
async fn instances_the_simulator_does_not_know_are_moto_s_alone() {
    let h = Harness::start().await.unwrap();
    let rds = AwsRds::new(aws_sdk_rds::Client::new(&h.bridged_aws().await));
    let missing = rds.reboot("orders-9").await.unwrap_err();
    assert!(matches!(missing, RdsError::NotFound { .. }), "{missing:?}");
    let inventory = rds.clusters_by_tag("grkeeper:cluster").await.unwrap();
    assert_eq!(inventory[0].cluster, "orders");
    assert_eq!(inventory[0].instances, MEMBERS);
}

#[tokio::test]
async fn a_throttled_operation_fails_as_throttling_after_the_sdk_retries_and_others_pass() {
    let h = Harness::start().await.unwrap();
    let rds = AwsRds::new(aws_sdk_rds::Client::new(&h.bridged_aws().await));
    h.bridge
        .fail("rds", Some("DescribeDBInstances"), Failure::Throttle);

    let error = rds.describe(&["orders-1".to_owned()]).await.unwrap_err();
    assert!(error.is_throttled(), "{error:?}");
    assert!(error.is_retryable());
    // grkeeper's retry policy: three attempts.
    assert_eq!(h.bridge.count("rds", "DescribeDBInstances"), 3);
    rds.reboot("orders-1").await.unwrap();

    h.bridge.heal();
    assert_eq!(status(&rds, "orders-2").await, "available");
}

#[tokio::test]
async fn a_dropped_connection_fails_a_service_as_unreachable_and_leaves_the_others() {
    let h = Harness::start().await.unwrap();
    let aws = h.bridged_aws().await;
    let topic_arn = h.env()["GRKEEPER_TOPIC_ARN"].clone();
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&aws), topic_arn);
    let message = AlertMessage {
        subject: "bridge test".into(),
        body: "through the bridge".into(),
        attributes: [("severity".to_owned(), "warning".to_owned())].into(),
    };
    h.bridge.fail("sns", None, Failure::Drop);

    let error = notifier.publish(&message).await.unwrap_err();
    assert_eq!(error.kind(), "aws_unreachable", "{error}");
    assert!(h.alerts().await.unwrap().is_empty());
    let rds = AwsRds::new(aws_sdk_rds::Client::new(&aws));
    assert_eq!(status(&rds, "orders-1").await, "available");

    h.bridge.heal();
    notifier.publish(&message).await.unwrap();
    let alerts = h.alerts().await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].subject, "bridge test");
    assert_eq!(alerts[0].attribute("severity"), "warning");
}

#[tokio::test]
async fn a_fault_set_to_pass_some_requests_fails_only_those_after_them() {
    let h = Harness::start().await.unwrap();
    let rds = AwsRds::new(aws_sdk_rds::Client::new(&h.bridged_aws().await));
    let ids = ["orders-1".to_owned()];
    let describe = || rds.describe(&ids);
    h.bridge
        .fail_after("rds", Some("DescribeDBInstances"), 2, Failure::Throttle);

    describe().await.unwrap();
    describe().await.unwrap();
    let error = describe().await.unwrap_err();
    assert!(error.is_throttled(), "{error:?}");
    // Other operations of the service are not counted, nor failed.
    rds.reboot("orders-1").await.unwrap();
    assert!(describe().await.unwrap_err().is_throttled());
}

#[tokio::test]
async fn a_lost_reply_still_makes_the_call_and_a_fault_for_the_next_requests_ends_after_them() {
    let h = slow_reboots().await;
    let rds = AwsRds::new(aws_sdk_rds::Client::new(&h.bridged_aws().await));
    h.bridge
        .fail_next("rds", Some("RebootDBInstance"), 1, Failure::Lost);
    let error = rds.reboot("orders-2").await.unwrap_err();
    // The reboot went through; the SDK's retry found it under way, as on RDS.
    assert!(matches!(error, RdsError::InvalidState { .. }), "{error:?}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 2);
    assert_eq!(status(&rds, "orders-2").await, "rebooting");

    let ids = ["orders-1".to_owned()];
    h.bridge
        .fail_next("rds", Some("DescribeDBInstances"), 3, Failure::Throttle);
    let before = h.bridge.count("rds", "DescribeDBInstances");
    // Three attempts, three throttles: the call fails; the next goes through.
    assert!(rds.describe(&ids).await.unwrap_err().is_throttled());
    assert_eq!(h.bridge.count("rds", "DescribeDBInstances"), before + 3);
    rds.describe(&ids).await.unwrap();
}

#[tokio::test]
async fn pending_maintenance_is_applied_through_the_rds_api_with_rds_s_answers_and_errors() {
    use aws_sdk_rds::error::ProvideErrorMetadata;
    let h = slow_reboots().await;
    let rds = h.sim.rds();
    rds.hold_maintenance("orders-2", PendingMaintenance::system_update())
        .unwrap();
    rds.hold_maintenance(
        "orders-2",
        PendingMaintenance::db_upgrade("8.0.40".parse().unwrap()),
    )
    .unwrap();
    rds.change_parameters("orders-3").unwrap();
    let client = aws_sdk_rds::Client::new(&h.bridged_aws().await);
    let arn = |id: &str| format!("arn:aws:rds:us-east-1:123456789012:db:{id}");
    let apply = |id: &str, action: &str, opt_in: &str| {
        client
            .apply_pending_maintenance_action()
            .resource_identifier(arn(id))
            .apply_action(action)
            .opt_in_type(opt_in)
            .send()
    };
    type ApplyError = aws_sdk_rds::error::SdkError<
        aws_sdk_rds::operation::apply_pending_maintenance_action::ApplyPendingMaintenanceActionError,
    >;
    let code = |e: ApplyError| {
        let service = e.into_service_error();
        (
            service.code().unwrap_or("").to_owned(),
            service.is_resource_not_found_fault(),
        )
    };
    assert_eq!(
        code(
            apply("orders-9", "system-update", "immediate")
                .await
                .unwrap_err()
        ),
        ("ResourceNotFoundFault".to_owned(), true)
    );
    assert_eq!(
        code(
            apply("orders-1", "db-upgrade", "immediate")
                .await
                .unwrap_err()
        )
        .0,
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            apply("orders-2", "db-upgrade", "whenever")
                .await
                .unwrap_err()
        )
        .0,
        "InvalidParameterValue"
    );

    let applied = apply("orders-2", "db-upgrade", "immediate").await.unwrap();
    let resource = applied.resource_pending_maintenance_actions().unwrap();
    assert_eq!(
        resource.resource_identifier(),
        Some(arn("orders-2").as_str())
    );
    let left: Vec<_> = resource
        .pending_maintenance_action_details()
        .iter()
        .filter_map(|d| d.action())
        .collect();
    assert_eq!(left, ["system-update"]);
    assert_eq!(
        h.bridge.calls().last().unwrap().instance.as_deref(),
        Some("orders-2")
    );
    // RDS works on it: the second action is refused until it is back.
    let busy = apply("orders-2", "system-update", "immediate")
        .await
        .unwrap_err();
    assert_eq!(code(busy).0, "InvalidDBInstanceState");

    let described = AwsRds::new(aws_sdk_rds::Client::new(&h.bridged_aws().await));
    let ids: Vec<String> = MEMBERS.iter().map(|m| (*m).to_owned()).collect();
    let seen = described.describe(&ids).await.unwrap();
    let record = |i: usize| seen[i].1.seen().unwrap().clone();
    assert_eq!(record(1).status.0, "upgrading");
    assert_eq!(
        record(2).parameter_apply_status.as_deref(),
        Some("pending-reboot")
    );
    assert_eq!(record(0).parameter_apply_status.as_deref(), Some("in-sync"));
    let pending = record(1).pending_maintenance.unwrap();
    let pending = pending.seen().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].action, "system-update");
    assert_eq!(h.bridge.count("rds", "ApplyPendingMaintenanceAction"), 5);
}

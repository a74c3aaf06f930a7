//! AWS failing under a tick, through the bridge: SNS, DynamoDB or Secrets Manager unreachable
//! (connections dropped) and RDS throttling. Each gives an error that says what failed, as the
//! Lambda runtime reports it, and never an unsafe action: nothing is done without the journal,
//! and an alert that could not be sent is sent by a later tick.

use gr_sim::Fault;
use grkeeper::lambda::{Function, HandlerError};
use grkeeper::wiring::InitError;
use grkeeper_e2e::bridge::Failure;
use grkeeper_e2e::harness::{Harness, event};
use grkeeper_e2e::invoke::{invoke, taken};
use lambda_runtime::Diagnostic;
use serde_json::Value;

/// The failed tick's summary carried by a `TickFailed` error, and the Lambda error type.
fn failed_tick(error: HandlerError) -> (String, Value) {
    let diagnostic = Diagnostic::from(error);
    let summary = diagnostic
        .error_message
        .strip_prefix("tick failed: ")
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("not a failed tick: {diagnostic:?}"));
    (diagnostic.error_type, summary)
}

/// A cluster whose member orders-1 came back from a restart OFFLINE with a transaction of its
/// own: it cannot rejoin, an errant-transactions alert is due.
async fn errant_after_restart() -> Harness {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.restart_with_errant_transactions("orders-1", 1)
        .await
        .unwrap();
    h
}

/// A cluster whose member orders-2 left into offline mode: it needs a reboot.
async fn needs_a_reboot() -> Harness {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();
    h
}

#[tokio::test]
async fn with_sns_unreachable_a_safe_rejoin_is_done_and_journaled_and_the_tick_fails_clearly() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.restart_offline("orders-1").await.unwrap();
    let committed = h.sim.truth().all_executed();
    h.bridge.fail("sns", None, Failure::Drop);
    let deps = h.cold_start(Function::RdsEvent).await.unwrap();
    let input = event("rds-instance-restarted.json").unwrap();

    let error = invoke(&deps, input.clone()).await.unwrap_err();

    let (error_type, summary) = failed_tick(error);
    assert_eq!(error_type, "TickFailed");
    let cluster = &summary["clusters"][0];
    assert_eq!(cluster["error_kind"], "aws_unreachable", "{summary:#}");
    assert!(
        cluster["error"].as_str().unwrap().contains("SNS.Publish"),
        "{summary:#}"
    );
    assert_eq!(taken(&summary), ["rejoin orders-1 verified"]);
    h.wait_converged(&committed).await.unwrap();
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["rejoin orders-1 succeeded"]
    );
    assert!(h.alerts().await.unwrap().is_empty());

    h.bridge.heal();
    let summary = invoke(&deps, input).await.unwrap();
    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(h.journaled_actions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_alert_sns_could_not_take_is_sent_by_the_next_tick() {
    let h = errant_after_restart().await;
    h.bridge.fail("sns", Some("Publish"), Failure::Drop);
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let input = event("schedule-constant-input-one-cluster.json").unwrap();

    let (_, summary) = failed_tick(invoke(&deps, input.clone()).await.unwrap_err());
    assert_eq!(summary["clusters"][0]["error_kind"], "aws_unreachable");
    assert!(h.alerts().await.unwrap().is_empty());

    h.bridge.heal();
    invoke(&deps, input).await.unwrap();
    let alerts = h.alerts().await.unwrap();
    assert!(
        alerts.iter().any(|a| a
            .attribute("incident")
            .starts_with("orders/errant_gtids/orders-1/")),
        "{alerts:#?}"
    );
    assert!(h.journaled_actions().await.unwrap().is_empty());
    assert_eq!(h.sim.truth().state("orders-1"), "OFFLINE");
}

#[tokio::test]
async fn an_alert_sns_rejects_for_good_is_parked_and_later_alerts_are_still_delivered() {
    // Two problems, two alerts: orders-1 holds errant transactions (it cannot rejoin), and
    // orders-3 refuses clients after its exit action ran (it needs a reboot).
    let h = errant_after_restart().await;
    h.sim
        .inject(Fault::OfflineMode {
            member: "orders-3".into(),
            on: true,
        })
        .unwrap();
    // SNS refuses the first message as invalid (as it does one too long); not retryable.
    h.bridge
        .fail_next("sns", Some("Publish"), 1, Failure::Reject);
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let input = event("schedule-constant-input-one-cluster.json").unwrap();

    let summary = invoke(&deps, input.clone()).await.unwrap();

    let cluster = &summary["clusters"][0];
    assert_eq!(cluster["outcome"], "ticked", "{summary:#}");
    assert_eq!(cluster["alerts_parked"], 1, "{summary:#}");
    let parked = cluster["parked"][0]["error"].as_str().unwrap();
    assert!(
        parked.contains("SNS.Publish: request rejected: Invalid parameter"),
        "{parked}"
    );
    assert!(
        cluster["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("parked")),
        "{summary:#}"
    );
    // The rejected alert's notice (same subject and attributes), then the next alert.
    let alerts = h.alerts().await.unwrap();
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let refused = cluster["parked"][0]["subject"].as_str().unwrap();
    assert_eq!(alerts[0].subject, refused);
    assert!(
        alerts[0].message.contains("SNS rejected the full text"),
        "{alerts:#?}"
    );
    assert_ne!(alerts[1].subject, refused);
    assert_eq!(h.bridge.count("sns", "Publish"), 3);
    // The journal keeps it for a person, not for a retry; the next alerts go out.
    let journal = h.journal().await.unwrap();
    let incidents = journal
        .iter()
        .find(|i| i["sk"] == "incidents")
        .expect("the alerting item");
    assert_eq!(
        incidents["parked"].as_array().unwrap().len(),
        1,
        "{incidents:#}"
    );
    assert!(incidents.get("undelivered").is_none(), "{incidents:#}");
    invoke(&deps, input).await.unwrap();
    assert_eq!(
        h.bridge.count("sns", "Publish"),
        3,
        "nothing new to say, and the parked alert is not sent again"
    );
}

#[tokio::test]
async fn with_dynamodb_unreachable_nothing_is_done_and_the_tick_fails_clearly() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.restart_offline("orders-1").await.unwrap();
    h.bridge.fail("dynamodb", None, Failure::Drop);
    let deps = h.cold_start(Function::RdsEvent).await.unwrap();

    let error = invoke(&deps, event("rds-instance-restarted.json").unwrap())
        .await
        .unwrap_err();

    let (error_type, summary) = failed_tick(error);
    assert_eq!(error_type, "TickFailed");
    let cluster = &summary["clusters"][0];
    assert_eq!(cluster["error_kind"], "aws_unreachable", "{summary:#}");
    assert!(
        cluster["error"].as_str().unwrap().contains("DynamoDB"),
        "{summary:#}"
    );
    assert!(taken(&summary).is_empty());
    assert_eq!(h.sim.truth().state("orders-1"), "OFFLINE");
    assert_eq!(h.bridge.count("sns", "Publish"), 0);
    assert!(h.journal().await.unwrap().is_empty());
}

#[tokio::test]
async fn with_secrets_manager_unreachable_the_cold_start_fails_naming_the_credentials() {
    let h = Harness::start().await.unwrap();
    h.bridge.fail("secretsmanager", None, Failure::Drop);

    let error = h.cold_start(Function::Sweep).await.unwrap_err();

    assert!(matches!(error, InitError::Secret(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.starts_with("database credentials: "), "{message}");
    assert!(
        message.contains("SecretsManager.GetSecretValue"),
        "{message}"
    );
    assert!(
        h.bridge
            .calls()
            .iter()
            .all(|c| c.service == "secretsmanager")
    );
}

#[tokio::test]
async fn with_describe_db_instances_throttled_the_tick_fails_as_throttled_before_any_action() {
    let h = needs_a_reboot().await;
    h.bridge
        .fail("rds", Some("DescribeDBInstances"), Failure::Throttle);
    let deps = h.cold_start(Function::Sweep).await.unwrap();

    let error = invoke(&deps, event("schedule.json").unwrap())
        .await
        .unwrap_err();

    assert!(matches!(error, HandlerError::Keeper(_)), "{error:?}");
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "Keeper.aws_throttled");
    assert!(
        diagnostic.error_message.contains("inventory"),
        "{diagnostic:?}"
    );
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 0);
    assert!(h.sim.truth().member("orders-2").unwrap().offline_mode);
    // Only the configuration the cold start published: nothing of the cluster.
    let journal = h.journal().await.unwrap();
    assert!(
        journal.iter().all(|item| item["pk"] == "deployment"),
        "{journal:#?}"
    );
}

#[tokio::test]
async fn a_throttled_reboot_is_journaled_as_not_attempted_alerted_and_not_repeated_at_once() {
    let h = needs_a_reboot().await;
    h.bridge
        .fail("rds", Some("RebootDBInstance"), Failure::Throttle);
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let input = event("schedule.json").unwrap();

    let summary = invoke(&deps, input.clone()).await.unwrap();

    assert_eq!(
        taken(&summary),
        ["reboot orders-2 not_attempted"],
        "{summary:#}"
    );
    let reported = summary["clusters"][0]["actions"][0]["summary"]
        .as_str()
        .unwrap();
    assert!(reported.contains("throttled"), "{reported}");
    // RDS did not take it: it spends no reboot budget and is no "rebooted in vain".
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-2 not_attempted"]
    );
    let truth = h.sim.truth();
    assert!(truth.member("orders-2").unwrap().offline_mode);
    assert!(!truth.split_brain());
    // Told as the offline-mode incident it is, with the reboot's outcome; a reboot RDS never
    // took is no sign that rebooting does not help, so no "rebuild needed" page.
    let alerts = h.alerts().await.unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a.subject == "WARNING orders/orders-2: offline mode"),
        "{alerts:#?}"
    );
    assert!(
        alerts.iter().all(|a| !a.subject.contains("rebuild needed")),
        "{alerts:#?}"
    );
    // The member's cooldown counts the attempt: the next tick does not hammer RDS.
    h.bridge.heal();
    let summary = invoke(&deps, input).await.unwrap();
    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(h.journaled_actions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_intent_whose_reply_was_lost_is_resumed_as_never_sent_not_as_a_failed_reboot() {
    let h = needs_a_reboot().await;
    // The tick's first transaction is the intent: DynamoDB stores it, its answer (and the SDK's
    // retries' answers) never come back, and the tick stops before the reboot.
    h.bridge
        .fail("dynamodb", Some("TransactWriteItems"), Failure::Lost);
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let input = event("schedule.json").unwrap();

    let (_, summary) = failed_tick(invoke(&deps, input.clone()).await.unwrap_err());

    assert_eq!(summary["clusters"][0]["error_kind"], "aws_unreachable");
    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-2 pending"],
        "the intent took effect"
    );
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 0);

    // The next tick finds the intent never marked sent: nothing ran, so nothing is verified and
    // nothing failed.
    h.bridge.heal();
    let summary = invoke(&deps, input).await.unwrap();
    let resumed = &summary["clusters"][0]["actions"][0];
    assert_eq!(resumed["resumed"], true, "{summary:#}");
    assert_eq!(resumed["verdict"], "not_attempted", "{summary:#}");
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-2 not_attempted"]
    );
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 0);
    assert!(h.sim.truth().member("orders-2").unwrap().offline_mode);
    let alerts = h.alerts().await.unwrap();
    assert!(
        alerts.iter().all(|a| !a.subject.contains("rebuild needed")),
        "{alerts:#?}"
    );
}

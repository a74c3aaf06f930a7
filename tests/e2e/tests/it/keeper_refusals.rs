//! What grkeeper must not do, end to end: a situation whose playbook action a guard refuses
//! (errant GTIDs, purged transactions, an expel that breaks the majority, an outage with a
//! member nobody can read) or that it cannot even look at (a wrong database password) ends with
//! an alert saying why and what to do, no action in the journal or on the simulator.

use std::time::Duration;

use gr_sim::{Fault, Timing};
use grkeeper::lambda::Function;
use grkeeper_e2e::harness::{Alert, Harness, event};
use grkeeper_e2e::invoke::{cold_start, invoke, refused, taken};

/// The alert that opened the incident of `kind` about `instance`; the action it names must be
/// the refused one.
fn refusal_alert<'a>(alerts: &'a [Alert], kind: &str, instance: &str) -> &'a Alert {
    let incident = format!("orders/{kind}/{instance}/");
    let alert = alerts
        .iter()
        .find(|a| a.attribute("incident").starts_with(&incident))
        .unwrap_or_else(|| panic!("no {kind} alert about {instance}: {alerts:#?}"));
    assert_eq!(alert.attribute("transition"), "opened", "{alert:#?}");
    assert_eq!(alert.attribute("action"), "refused", "{alert:#?}");
    alert
}

#[tokio::test]
async fn a_member_with_errant_transactions_is_not_rejoined_and_a_person_is_told_why() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    let errant = h
        .restart_with_errant_transactions("orders-1", 2)
        .await
        .unwrap();

    let deps = h.cold_start(Function::RdsEvent).await.unwrap();
    let summary = invoke(&deps, event("rds-instance-restarted.json").unwrap())
        .await
        .unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(refused(&summary), ["rejoin orders-1 errant_gtids"]);
    assert!(h.journaled_actions().await.unwrap().is_empty());
    let truth = h.sim.truth();
    assert_eq!(truth.state("orders-1"), "OFFLINE");
    assert_eq!(truth.majority_groups()[0].online, ["orders-2", "orders-3"]);
    let alerts = h.alerts().await.unwrap();
    let alert = refusal_alert(&alerts, "errant_gtids", "orders-1");
    assert_eq!(alert.attribute("severity"), "critical");
    let (uuid, _) = errant[0].rsplit_once(':').unwrap();
    assert!(alert.message.contains(uuid), "{}", alert.message);
}

#[tokio::test]
async fn a_member_whose_missing_transactions_every_donor_purged_is_not_rejoined() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.sim.crash("orders-2").unwrap();
    h.wait_until("orders-2 expelled", |t| {
        t.majority_groups()[0].view.len() == 2
    })
    .await
    .unwrap();
    h.sim.commit("orders-1", 20).unwrap();
    for donor in ["orders-1", "orders-3"] {
        h.sim
            .inject(Fault::PurgeBinlogs {
                member: donor.into(),
                upto: None,
            })
            .unwrap();
    }
    h.restart_offline("orders-2").await.unwrap();

    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let summary = invoke(&deps, event("manual-sweep-instance.json").unwrap())
        .await
        .unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(refused(&summary), ["rejoin orders-2 purged_transactions"]);
    assert!(h.journaled_actions().await.unwrap().is_empty());
    assert_eq!(h.sim.truth().state("orders-2"), "OFFLINE");
    let alerts = h.alerts().await.unwrap();
    let alert = refusal_alert(&alerts, "purged_transactions", "orders-2");
    assert!(alert.message.contains("Rebuild"), "{}", alert.message);
}

#[tokio::test]
async fn a_stuck_recovering_member_is_not_expelled_when_that_would_break_the_majority() {
    // Recovery lasts long enough for the member to be stuck past a one-second deadline.
    let h = Harness::start_with(|config| {
        config.real_time(Timing {
            recovery_base: Duration::from_secs(60),
            ..Timing::fast()
        })
    })
    .await
    .unwrap();
    h.sim.restart("orders-2").unwrap();
    h.wait_until("orders-2 RECOVERING", |t| {
        t.state("orders-2") == "RECOVERING"
    })
    .await
    .unwrap();
    // A clean stop leaves the group {orders-1, orders-2} with only orders-1 ONLINE.
    h.sim.rds().stop("orders-3").unwrap();
    h.wait_until("orders-3 stopped, orders-1 and orders-2 the group", |t| {
        t.member("orders-3").unwrap().instance_status == gr_sim::InstanceStatus::Stopped
            && t.majority_groups()
                .first()
                .is_some_and(|g| g.view == ["orders-1", "orders-2"])
    })
    .await
    .unwrap();
    let mut env = h.env();
    env.insert("GRKEEPER_EXPEL".into(), "on".into());
    env.insert("GRKEEPER_RECOVERING_DEADLINE_SECS".into(), "1".into());
    let deps = cold_start(Function::Sweep, &env, &h.bridged_aws().await)
        .await
        .unwrap();

    // The first tick notes since when it recovers; the second finds it past the deadline.
    let first = invoke(&deps, event("schedule.json").unwrap())
        .await
        .unwrap();
    assert!(taken(&first).is_empty(), "{first:#}");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let second = invoke(&deps, event("schedule.json").unwrap())
        .await
        .unwrap();

    assert!(taken(&second).is_empty(), "{second:#}");
    assert_eq!(refused(&second), ["expel orders-2 majority"]);
    assert!(h.journaled_actions().await.unwrap().is_empty());
    assert_eq!(h.sim.truth().state("orders-2"), "RECOVERING");
    let alerts = h.alerts().await.unwrap();
    refusal_alert(&alerts, "stuck_recovering", "orders-2");
}

#[tokio::test]
async fn after_a_complete_outage_no_group_is_bootstrapped_while_a_member_cannot_be_read() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.sim.inject(Fault::CompleteOutage).unwrap();
    for member in ["orders-1", "orders-2", "orders-3"] {
        h.restart_offline(member).await.unwrap();
    }
    // Up and "available" in RDS, but it never answers: it could be in a live group.
    h.sim
        .inject(Fault::Blackhole {
            member: "orders-3".into(),
            on: true,
        })
        .unwrap();

    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let summary = invoke(&deps, event("schedule.json").unwrap())
        .await
        .unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    let refusals = refused(&summary);
    assert_eq!(refusals.len(), 1, "{summary:#}");
    assert!(
        refusals[0].starts_with("bootstrap ") && refusals[0].ends_with(" unobserved_member"),
        "{refusals:?}"
    );
    assert!(h.journaled_actions().await.unwrap().is_empty());
    let truth = h.sim.truth();
    assert!(truth.groups.is_empty(), "{truth:#?}");
    let alerts = h.alerts().await.unwrap();
    assert!(
        alerts.iter().any(|a| a.attribute("severity") == "critical"
            && a.attribute("action") == "refused"
            && a.message.contains("orders-3")),
        "{alerts:#?}"
    );
}

#[tokio::test]
async fn a_wrong_database_password_is_a_clear_alert_and_nothing_is_done() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.restart_offline("orders-1").await.unwrap();
    h.put_secret("grkeeper", "not-the-password").await.unwrap();

    let deps = h.cold_start(Function::RdsEvent).await.unwrap();
    let summary = invoke(&deps, event("rds-instance-restarted.json").unwrap())
        .await
        .unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert!(h.journaled_actions().await.unwrap().is_empty());
    assert_eq!(h.sim.truth().state("orders-1"), "OFFLINE");
    let alerts = h.alerts().await.unwrap();
    let denied: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.attribute("incident").starts_with("orders/access_denied/"))
        .collect();
    assert_eq!(denied.len(), 3, "one per member: {alerts:#?}");
    for alert in denied {
        assert_eq!(alert.attribute("severity"), "critical", "{alert:#?}");
        assert!(alert.message.contains("1045"), "{}", alert.message);
        assert!(
            alert.message.contains("GRKEEPER_SECRET_ARN"),
            "{}",
            alert.message
        );
        assert!(
            !alert.message.contains("not-the-password"),
            "{}",
            alert.message
        );
    }
}

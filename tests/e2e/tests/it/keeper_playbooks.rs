//! Each playbook end to end: a fault injected into the simulated cluster, the matching real event
//! from `events/` (or a scheduled tick) handed to the function's handler, then the simulator's
//! ground truth (healed, no split brain, nothing lost), the journal read back from DynamoDB, the
//! alerts read back from SNS and the topology events read back from EventBridge.

use std::time::Duration;

use gr_sim::{Fault, Truth};
use grkeeper::lambda::Function;
use grkeeper_e2e::harness::{Alert, Harness, event};
use grkeeper_e2e::invoke::{cold_start, invoke, outcomes, taken};
use serde_json::Value;

/// The alerts whose subject names `instance` of cluster `orders`.
fn about<'a>(alerts: &'a [Alert], instance: &str) -> Vec<&'a Alert> {
    alerts
        .iter()
        .filter(|a| a.subject.contains(&format!("orders/{instance}:")))
        .collect()
}

/// The topology events of one detail type.
fn of_type<'a>(events: &'a [Value], detail_type: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["detail-type"] == detail_type)
        .collect()
}

fn online(truth: &Truth) -> Vec<String> {
    truth.majority_groups()[0].online.clone()
}

#[tokio::test]
async fn a_member_restarted_without_group_replication_is_rejoined_on_the_restart_event() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.sim.commit("orders-2", 5).unwrap();
    h.restart_offline("orders-1").await.unwrap();
    // Written while it is out: distributed recovery must bring these to it.
    h.sim.commit("orders-3", 5).unwrap();
    let committed = h.sim.truth().all_executed();

    let deps = h.cold_start(Function::RdsEvent).await.unwrap();
    let summary = invoke(&deps, event("rds-instance-restarted.json").unwrap())
        .await
        .unwrap();

    assert_eq!(outcomes(&summary), ["ticked"], "{summary:#}");
    assert_eq!(taken(&summary), ["rejoin orders-1 verified"], "{summary:#}");
    h.wait_converged(&committed).await.unwrap();
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["rejoin orders-1 succeeded"]
    );
    // Dropped and rejoined within the tick: one message, telling what grkeeper did.
    let alerts = h.alerts().await.unwrap();
    let told = about(&alerts, "orders-1");
    assert_eq!(told.len(), 1, "{alerts:#?}");
    assert_eq!(
        told[0].subject,
        "RESOLVED orders/orders-1: member offline (repaired)"
    );
    assert_eq!(told[0].attribute("transition"), "resolved");
    assert_eq!(told[0].attribute("action"), "rejoin");
    assert!(
        told[0]
            .message
            .contains("grkeeper did: rejoin orders-1 (succeeded)"),
        "{}",
        told[0].message
    );
    let events = h.topology_events().await.unwrap();
    let actions = of_type(&events, "GR Action");
    assert_eq!(actions.len(), 1, "{events:#?}");
    assert_eq!(actions[0]["detail"]["instance"], "orders-1");
    assert_eq!(actions[0]["detail"]["action"], "rejoin");
}

#[tokio::test]
async fn a_member_that_left_into_offline_mode_is_rebooted_through_rds_on_the_schedule() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();
    h.sim.commit("orders-1", 5).unwrap();
    let committed = h.sim.truth().all_executed();

    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let summary = invoke(&deps, event("schedule.json").unwrap())
        .await
        .unwrap();

    assert_eq!(taken(&summary), ["reboot orders-2 verified"], "{summary:#}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);
    let truth = h.wait_converged(&committed).await.unwrap();
    assert!(!truth.member("orders-2").unwrap().offline_mode);
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-2 succeeded"]
    );
    let alerts = h.alerts().await.unwrap();
    assert!(
        about(&alerts, "orders-2")
            .iter()
            .any(|a| a.attribute("action") == "reboot"),
        "{alerts:#?}"
    );
}

#[tokio::test]
async fn an_online_member_cut_off_in_a_minority_is_expelled_then_rejoined_once_the_network_heals() {
    let h = Harness::start().await.unwrap();
    h.sim.partition(&[&["orders-3"]]).unwrap();
    h.wait_until(
        "orders-3 ONLINE in a minority, orders-1 and orders-2 a majority",
        |t| {
            t.majority_groups().len() == 1
                && online(t) == ["orders-1", "orders-2"]
                && t.state("orders-3") == "ONLINE"
        },
    )
    .await
    .unwrap();
    let mut env = h.env();
    env.insert("GRKEEPER_EXPEL".into(), "on".into());
    env.insert("GRKEEPER_MEMBER_COOLDOWN_SECS".into(), "1".into());
    env.insert("GRKEEPER_PARTITION_DEADLINE_SECS".into(), "1".into());
    let deps = cold_start(Function::Sweep, &env, &h.bridged_aws().await)
        .await
        .unwrap();

    // The first tick sees the partition start; a blip shorter than the deadline is left alone.
    let summary = invoke(&deps, event("schedule-constant-input.json").unwrap())
        .await
        .unwrap();
    assert!(taken(&summary).is_empty(), "{summary:#}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let summary = invoke(&deps, event("schedule-constant-input.json").unwrap())
        .await
        .unwrap();
    assert_eq!(taken(&summary), ["expel orders-3 verified"], "{summary:#}");
    let truth = h.sim.truth();
    assert_eq!(truth.state("orders-3"), "OFFLINE");
    assert!(truth.member("orders-3").unwrap().super_read_only);
    assert_eq!(online(&truth), ["orders-1", "orders-2"]);
    assert!(!truth.split_brain());
    // The incident the partition opened is updated once: the member is out now (critical for
    // a moment, past its deadline, but the expel ended the hang within the tick: no page).
    let alerts = h.alerts().await.unwrap();
    let expelled = about(&alerts, "orders-3")
        .into_iter()
        .find(|a| a.attribute("action") == "expel")
        .unwrap_or_else(|| panic!("{alerts:#?}"));
    assert_eq!(expelled.attribute("transition"), "updated", "{expelled:#?}");
    assert_eq!(expelled.attribute("severity"), "warning", "{expelled:#?}");
    assert!(
        expelled
            .message
            .contains("grkeeper did: expel orders-3 (succeeded)"),
        "{}",
        expelled.message
    );
    assert!(
        !expelled.message.contains("Changed: severity"),
        "{}",
        expelled.message
    );

    h.sim.heal().unwrap();
    h.sim.commit("orders-1", 3).unwrap();
    let committed = h.sim.truth().all_executed();
    // Past the one-second member cooldown the expel started.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let summary = invoke(&deps, event("schedule-constant-input.json").unwrap())
        .await
        .unwrap();
    assert_eq!(taken(&summary), ["rejoin orders-3 verified"], "{summary:#}");
    h.wait_converged(&committed).await.unwrap();
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["expel orders-3 succeeded", "rejoin orders-3 succeeded"]
    );
}

#[tokio::test]
async fn after_a_complete_outage_the_group_is_bootstrapped_from_the_member_holding_every_transaction()
 {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.sim.crash("orders-3").unwrap();
    h.wait_until("orders-3 expelled", |t| {
        t.majority_groups()
            .first()
            .is_some_and(|g| g.view.len() == 2)
    })
    .await
    .unwrap();
    // orders-3 never gets these: it must not be the one the group restarts from.
    h.sim.commit("orders-1", 5).unwrap();
    let committed = h.sim.truth().all_executed();
    h.sim.inject(Fault::CompleteOutage).unwrap();
    for member in ["orders-1", "orders-2", "orders-3"] {
        h.restart_offline(member).await.unwrap();
    }
    assert!(h.sim.truth().groups.is_empty());

    let deps = h.cold_start(Function::RdsEvent).await.unwrap();
    let summary = invoke(&deps, event("rds-instance-started.json").unwrap())
        .await
        .unwrap();

    let actions = taken(&summary);
    assert_eq!(actions.len(), 3, "{summary:#}");
    assert!(
        ["bootstrap orders-1 verified", "bootstrap orders-2 verified"].contains(&&*actions[0]),
        "{actions:?}"
    );
    assert!(
        actions[1..]
            .iter()
            .all(|a| a.starts_with("rejoin ") && a.ends_with(" verified")),
        "{actions:?}"
    );
    h.wait_converged(&committed).await.unwrap();
    assert_eq!(h.journaled_actions().await.unwrap().len(), 3);
    // Down and repaired within the tick: one message, telling what grkeeper did; it pages
    // nobody, there is nothing left to do.
    let alerts = h.alerts().await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        alerts[0].subject,
        "RESOLVED orders: complete outage (repaired)"
    );
    assert_eq!(alerts[0].attribute("action"), "bootstrap");
    assert_eq!(alerts[0].attribute("severity"), "info");
    assert!(
        alerts[0]
            .message
            .contains("grkeeper did: bootstrap orders-"),
        "{}",
        alerts[0].message
    );
}

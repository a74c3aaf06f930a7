//! The unsafe classes of issue #19 end to end, on the simulator: a complete outage with a member
//! stopped through RDS, a member the inventory does not list, and a second group bootstrapped
//! on a partitioned member. In each, grkeeper takes no unsafe action (the simulator's ground
//! truth shows no group created by grkeeper and nothing lost), and the alerts read back from SNS
//! say what a person must do.

use std::time::Duration;

use chrono::Utc;
use gr_sim::Fault;
use grkeeper::lambda::Function;
use grkeeper::snapshot::{ActionKind, Approval};
use grkeeper_e2e::harness::{Alert, Harness, event};
use grkeeper_e2e::invoke::{cold_start, invoke, refused, taken};

/// The critical alerts among `alerts`.
fn critical(alerts: &[Alert]) -> Vec<&Alert> {
    alerts
        .iter()
        .filter(|a| a.attribute("severity") == "critical")
        .collect()
}

/// The one alert whose message says every one of `words`.
fn saying<'a>(alerts: &'a [Alert], words: &[&str]) -> &'a Alert {
    alerts
        .iter()
        .find(|a| words.iter().all(|w| a.message.contains(w)))
        .unwrap_or_else(|| panic!("no alert says {words:?}: {alerts:#?}"))
}

#[tokio::test]
async fn a_complete_outage_with_a_member_stopped_in_rds_waits_for_a_person_then_recovers() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let schedule = event("schedule.json").unwrap();
    // A healthy tick: grkeeper reads, and remembers, every member.
    assert!(taken(&invoke(&deps, schedule.clone()).await.unwrap()).is_empty());

    // A person stops orders-3 through RDS; the others commit on without it, then all crash and
    // come back with Group Replication OFFLINE.
    h.stop_instance("orders-3").await.unwrap();
    h.sim.commit("orders-1", 5).unwrap();
    h.sim.inject(Fault::CompleteOutage).unwrap();
    for member in ["orders-1", "orders-2"] {
        h.restart_offline(member).await.unwrap();
    }
    let committed = h.sim.truth().all_executed();

    let summary = invoke(&deps, schedule.clone()).await.unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(
        refused(&summary),
        ["bootstrap orders-1 transactions_unknown"],
        "{summary:#}"
    );
    assert!(h.journaled_actions().await.unwrap().is_empty());
    let truth = h.sim.truth();
    assert!(
        truth.groups.is_empty(),
        "no group was bootstrapped: {truth:#?}"
    );
    let alerts = h.alerts().await.unwrap();
    let alert = saying(
        &critical(&alerts).into_iter().cloned().collect::<Vec<_>>(),
        &[
            "orders-3 was last read at",
            "aws rds start-db-instance --db-instance-identifier orders-3",
            "grkeeper approve bootstrap --cluster orders --instance orders-1 --give-up orders-3",
        ],
    )
    .clone();
    assert_eq!(alert.attribute("action"), "refused", "{alert:#?}");

    // A person gives orders-3's transactions up: the group is bootstrapped from orders-1, which
    // holds everything the others do, and orders-2 rejoins it.
    h.approve(&Approval {
        action: ActionKind::Bootstrap,
        instance: None,
        gives_up: vec!["orders-3".into()],
        expires: Utc::now() + chrono::Duration::hours(1),
        by: "e2e".into(),
        gtids: None,
    })
    .await
    .unwrap();
    let summary = invoke(&deps, schedule.clone()).await.unwrap();
    assert_eq!(
        taken(&summary)[..2],
        ["bootstrap orders-1 verified", "rejoin orders-2 verified"],
        "{summary:#}"
    );
    let truth = h
        .wait_until("orders-1 and orders-2 ONLINE in one group", |t| {
            t.majority_groups()
                .first()
                .is_some_and(|g| g.online == ["orders-1", "orders-2"])
        })
        .await
        .unwrap();
    assert!(!truth.split_brain());
    assert!(
        committed.is_subset_of(&truth.majority_groups()[0].gtid_executed.parse().unwrap()),
        "nothing lost: {truth:#?}"
    );

    // The person starts orders-3 again: it comes back OFFLINE, holding nothing the group
    // lacks, and is rejoined.
    h.start_instance("orders-3").await.unwrap();
    let summary = invoke(&deps, schedule).await.unwrap();
    assert_eq!(taken(&summary), ["rejoin orders-3 verified"], "{summary:#}");
    h.wait_converged(&committed).await.unwrap();
}

#[tokio::test]
async fn members_outside_the_inventory_holding_the_majority_are_never_fenced_around() {
    // orders-4..7 are in the group, but no RDS instance of the inventory: grkeeper cannot read
    // them. A partition leaves its three members without quorum and the four it cannot see with
    // it: fencing "the hung minority" and bootstrapping one of them would start a second group.
    let outsiders = ["orders-4", "orders-5", "orders-6", "orders-7"];
    let h = Harness::start_with_outsiders(&outsiders, |config| config)
        .await
        .unwrap();
    h.sim
        .inject(Fault::Partition {
            sides: vec![vec![
                "orders-1".into(),
                "orders-2".into(),
                "orders-3".into(),
            ]],
        })
        .unwrap();
    h.wait_until("the outsiders' side holding the group alone", |t| {
        t.majority_groups()
            .first()
            .is_some_and(|g| g.online == outsiders)
    })
    .await
    .unwrap();
    let mut env = h.env();
    env.insert("GRKEEPER_EXPEL".into(), "on".into());
    env.insert("GRKEEPER_PARTITION_DEADLINE_SECS".into(), "1".into());
    let deps = cold_start(Function::Sweep, &env, &h.bridged_aws().await)
        .await
        .unwrap();
    let schedule = event("schedule.json").unwrap();

    // The first tick starts the partition's clock; the second is past its deadline.
    invoke(&deps, schedule.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let summary = invoke(&deps, schedule).await.unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    let refusals = refused(&summary);
    assert!(
        !refusals.is_empty() && refusals.iter().all(|r| r.ends_with(" unknown_member")),
        "{summary:#}"
    );
    assert!(h.journaled_actions().await.unwrap().is_empty());
    let truth = h.sim.truth();
    for member in ["orders-1", "orders-2", "orders-3"] {
        assert_eq!(truth.state(member), "ONLINE", "not fenced: {truth:#?}");
    }
    assert_eq!(truth.majority_groups().len(), 1, "{truth:#?}");
    assert_eq!(truth.majority_groups()[0].online, outsiders);
    let alerts = h.alerts().await.unwrap();
    let uuid = truth
        .member("orders-4")
        .unwrap()
        .server_uuid
        .to_ascii_lowercase();
    let alert = saying(&alerts, &[&uuid, ":3306", "no instance of the inventory"]);
    assert_eq!(alert.attribute("severity"), "critical", "{alert:#?}");
    assert!(
        alert.message.contains("grkeeper:cluster=orders"),
        "{}",
        alert.message
    );
}

#[tokio::test]
async fn a_second_group_bootstrapped_on_a_partitioned_member_is_never_merged_back() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let schedule = event("schedule.json").unwrap();
    assert!(taken(&invoke(&deps, schedule.clone()).await.unwrap()).is_empty());

    // orders-3 is cut off, expelled by the others, and a person bootstraps a group on it: two
    // groups write under the same GTID numbers, orders-3's fewer than the others'.
    h.sim
        .inject(Fault::Partition {
            sides: vec![vec!["orders-3".into()]],
        })
        .unwrap();
    h.wait_until("orders-1 and orders-2 the group without orders-3", |t| {
        t.majority_groups()
            .first()
            .is_some_and(|g| g.view == ["orders-1", "orders-2"])
    })
    .await
    .unwrap();
    h.bootstrap_by_hand("orders-3").await.unwrap();
    h.sim.inject(Fault::Heal).unwrap();
    h.sim.commit("orders-3", 3).unwrap();
    h.sim.commit("orders-1", 10).unwrap();
    let split = h.sim.truth();
    assert!(split.split_brain(), "{split:#?}");

    let summary = invoke(&deps, schedule.clone()).await.unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert!(refused(&summary).is_empty(), "{summary:#}");
    assert!(h.journaled_actions().await.unwrap().is_empty());
    assert_eq!(h.sim.truth().groups, split.groups, "nothing changed");
    let alerts = h.alerts().await.unwrap();
    let alert = saying(&alerts, &["Split brain", "grkeeper approve rejoin"]);
    assert_eq!(alert.attribute("severity"), "critical", "{alert:#?}");

    // A person stops orders-3 through RDS, without pausing grkeeper, and starts it again: it
    // comes back OFFLINE holding what looks like a subset of the group's GTIDs, with other rows
    // under the same numbers. grkeeper remembers the split and does not rejoin it.
    h.stop_instance("orders-3").await.unwrap();
    h.start_instance("orders-3").await.unwrap();
    h.wait_until("orders-3 OFFLINE", |t| t.state("orders-3") == "OFFLINE")
        .await
        .unwrap();
    let summary = invoke(&deps, schedule).await.unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(
        refused(&summary),
        ["rejoin orders-3 split_brain"],
        "{summary:#}"
    );
    assert!(h.journaled_actions().await.unwrap().is_empty());
    let truth = h.sim.truth();
    assert_eq!(truth.state("orders-3"), "OFFLINE");
    assert_eq!(truth.majority_groups().len(), 1, "{truth:#?}");
    assert_eq!(truth.majority_groups()[0].online, ["orders-1", "orders-2"]);
    let journal = h.journal().await.unwrap();
    assert!(
        journal.iter().any(|item| item["sk"] == "split_brain"),
        "{journal:#?}"
    );
}

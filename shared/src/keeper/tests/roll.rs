//! Rolling maintenance through the tick over in-memory adapters: one step per tick, the next
//! member only once the last is back, and a tick cut off mid-step (intent journaled but never
//! sent; sent but no outcome) resumed without repeating the step.

use super::*;
use crate::fixtures::pending_maintenance;
use crate::ports::reboot::RdsReboot;
use crate::snapshot::MaintenanceStep;

/// Three members, each with an engine upgrade pending, rolled automatically.
fn upgrading() -> TestKeeper {
    let held = (1..=3).fold(ClusterBuilder::healthy(3), |b, i| {
        b.rds(&format!("orders-{i}"), |r| {
            r.pending_maintenance = Some(Observed::Seen(vec![pending_maintenance("db-upgrade")]));
        })
    });
    let mut keeper = keeper(held.clone(), held);
    keeper.config = config(&[("GRKEEPER_MAINTENANCE", "auto")]);
    keeper
}

/// An earlier tick journaled the intent of orders-1's upgrade and died: after marking it sent
/// when `sent`, or before. Returns once its lease has expired.
async fn died_mid_step(keeper: &TestKeeper, sent: bool) {
    let now: DateTime<Utc> = Utc::now();
    let lease = earlier_tick(keeper, now).await;
    let action = Action {
        maintenance: Some(MaintenanceStep::Apply("db-upgrade".into())),
        ..Action::new(ActionKind::Maintenance, "orders-1", "test")
    };
    let id = keeper
        .journal
        .record_intent(&lease, &action, now)
        .await
        .unwrap();
    if sent {
        keeper.journal.mark_sent(&lease, &id).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

fn applied(keeper: &TestKeeper) -> Vec<String> {
    keeper.rds.applied().into_iter().map(|(id, _)| id).collect()
}

#[tokio::test]
async fn one_member_per_tick_and_the_next_only_once_the_last_is_back() {
    let keeper = upgrading();
    let summary = keeper.tick(&sweep(), &options("first")).await.unwrap();
    let report = &summary.clusters[0];
    assert_eq!(applied(&keeper), ["orders-1"], "{report:#?}");
    assert_eq!(report.actions.len(), 1, "{report:#?}");
    let roll = report.plan.as_ref().and_then(|p| p.roll.clone()).unwrap();
    assert_eq!(
        roll.current.map(|c| c.instance).as_deref(),
        Some("orders-1")
    );
    let journaled = history(&keeper).await.actions;
    assert_eq!(
        journaled[0].maintenance,
        Some(MaintenanceStep::Apply("db-upgrade".into()))
    );

    // Still upgrading: nothing more.
    keeper.tick(&sweep(), &options("second")).await.unwrap();
    assert_eq!(applied(&keeper), ["orders-1"]);

    // Back and caught up, the upgrade no longer pending: the next member.
    keeper.rds.set_status("orders-1", "available");
    keeper.tick(&sweep(), &options("third")).await.unwrap();
    assert_eq!(applied(&keeper), ["orders-1", "orders-2"]);
}

#[tokio::test]
async fn a_step_sent_by_a_tick_that_died_is_verified_not_repeated() {
    let keeper = upgrading();
    died_mid_step(&keeper, true).await;
    // The dead tick's call reached RDS.
    keeper
        .rds
        .apply_maintenance("orders-1", "db-upgrade")
        .await
        .unwrap();
    let summary = keeper.tick(&sweep(), &options("next")).await.unwrap();
    let report = &summary.clusters[0];
    assert_eq!(report.actions.len(), 1, "{report:#?}");
    assert!(report.actions[0].resumed, "{report:#?}");
    assert_eq!(applied(&keeper), ["orders-1"], "not applied again");
    assert_eq!(
        history(&keeper).await.actions[0].outcome,
        Outcome::Succeeded
    );
    // Once orders-1 is back, the roll goes on with orders-2, not orders-1 again.
    keeper.rds.set_status("orders-1", "available");
    keeper.tick(&sweep(), &options("after")).await.unwrap();
    assert_eq!(applied(&keeper), ["orders-1", "orders-2"]);
}

#[tokio::test]
async fn a_step_journaled_but_never_sent_is_not_attempted_and_taken_later() {
    let keeper = upgrading();
    died_mid_step(&keeper, false).await;
    let summary = keeper.tick(&sweep(), &options("next")).await.unwrap();
    let report = &summary.clusters[0];
    assert_eq!(
        report.actions[0].verdict,
        crate::keeper::act::Verdict::NotAttempted,
        "{report:#?}"
    );
    assert!(applied(&keeper).is_empty(), "{report:#?}");
    assert_eq!(
        history(&keeper).await.actions[0].outcome,
        Outcome::NotAttempted
    );
    // Nothing ran, so no other member is taken instead: the roll still starts with orders-1,
    // which waits for the member cooldown of the step never sent.
    let plan = report.plan.as_ref().unwrap();
    assert!(plan.action.is_none(), "{plan:#?}");
    assert!(
        plan.refused
            .iter()
            .any(|r| r.instance == "orders-1" && r.guard == crate::plan::Guard::Cooldown),
        "{plan:#?}"
    );
}

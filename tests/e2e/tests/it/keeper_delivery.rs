//! Events are delivered at least once, ticks overlap, and an invocation can die between an
//! action and its record: the same event handled five times at once, and ten ticks started at
//! once (ten cold-started function instances, as Lambda runs concurrent invocations), take the
//! action the fault needs exactly once; an action whose outcome was never journaled is verified
//! by the next tick, never taken again.

use futures_util::future::join_all;
use grkeeper::lambda::Function;
use grkeeper_e2e::bridge::Failure;
use grkeeper_e2e::harness::{Harness, event};
use grkeeper_e2e::invoke::{invoke, outcomes, taken};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_handled_five_times_at_once_reboots_the_member_once() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-1").await.unwrap();
    let committed = h.sim.truth().all_executed();
    let deps = h.cold_start(Function::RdsEvent).await.unwrap();
    let input = event("rds-instance-restarted.json").unwrap();

    // One warm function instance handling five deliveries concurrently: only the lease keeps
    // them from acting together (run one after another, the cooldown alone would).
    let summaries = join_all((0..5).map(|_| invoke(&deps, input.clone()))).await;

    let summaries: Vec<_> = summaries.into_iter().map(Result::unwrap).collect();
    let actions: Vec<String> = summaries.iter().flat_map(taken).collect();
    assert_eq!(actions, ["reboot orders-1 verified"], "{summaries:#?}");
    for summary in &summaries {
        let outcome = outcomes(summary);
        assert!(
            outcome == ["ticked"] || outcome == ["skipped_lease_held"],
            "{summary:#}"
        );
    }
    // They did overlap: at least one found the lease held by another.
    assert!(
        summaries
            .iter()
            .any(|s| outcomes(s) == ["skipped_lease_held"]),
        "{summaries:#?}"
    );
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-1 succeeded"]
    );
    h.wait_converged(&committed).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_ticks_started_at_once_reboot_the_member_once() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();
    let committed = h.sim.truth().all_executed();
    let instances = join_all((0..10).map(|_| h.cold_start(Function::Sweep))).await;
    let instances: Vec<_> = instances.into_iter().map(Result::unwrap).collect();
    let input = event("schedule.json").unwrap();

    let summaries = join_all(instances.iter().map(|deps| invoke(deps, input.clone()))).await;

    let summaries: Vec<_> = summaries.into_iter().map(Result::unwrap).collect();
    let actions: Vec<String> = summaries.iter().flat_map(taken).collect();
    assert_eq!(actions, ["reboot orders-2 verified"], "{summaries:#?}");
    let skipped = summaries
        .iter()
        .filter(|s| outcomes(s) == ["skipped_lease_held"])
        .count();
    // Ticks that start after the winner released the lease find nothing to do; most find it held.
    assert!(skipped >= 1, "{summaries:#?}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-2 succeeded"]
    );
    h.wait_converged(&committed).await.unwrap();
}

#[tokio::test]
async fn a_reboot_whose_outcome_was_never_journaled_is_verified_by_the_next_tick_not_repeated() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();
    let committed = h.sim.truth().all_executed();
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let input = event("schedule.json").unwrap();
    // A tick's first journal transaction records the intent, the second marks it sent right
    // before the reboot; the third, after it, would record its outcome: the invocation dies in
    // between, as on a timeout or a crash.
    h.bridge
        .fail_after("dynamodb", Some("TransactWriteItems"), 2, Failure::Drop);

    let failed = invoke(&deps, input.clone()).await;

    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-2 pending"]
    );

    h.bridge.heal();
    let summary = invoke(&deps, input).await.unwrap();

    assert_eq!(
        taken(&summary),
        ["reboot orders-2 verified (resumed)"],
        "{summary:#}"
    );
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["reboot orders-2 succeeded"]
    );
    h.wait_converged(&committed).await.unwrap();
}

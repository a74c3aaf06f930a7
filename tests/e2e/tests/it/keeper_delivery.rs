//! Events are delivered at least once, and ticks overlap: the same event handled five times, and
//! ten ticks started at once (ten cold-started function instances, as Lambda runs concurrent
//! invocations), take the action the fault needs exactly once.

use futures_util::future::join_all;
use grkeeper::lambda::Function;
use grkeeper_e2e::harness::{Harness, event};
use grkeeper_e2e::invoke::{invoke, outcomes, taken};

#[tokio::test]
async fn the_same_restart_event_handled_five_times_rejoins_the_member_once() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    h.restart_offline("orders-1").await.unwrap();
    h.sim.commit("orders-2", 5).unwrap();
    let committed = h.sim.truth().all_executed();
    let deps = h.cold_start(Function::RdsEvent).await.unwrap();
    let input = event("rds-instance-restarted.json").unwrap();

    let mut actions = Vec::new();
    for _ in 0..5 {
        let summary = invoke(&deps, input.clone()).await.unwrap();
        assert_eq!(outcomes(&summary), ["ticked"], "{summary:#}");
        actions.extend(taken(&summary));
    }

    assert_eq!(actions, ["rejoin orders-1 verified"]);
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["rejoin orders-1 succeeded"]
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

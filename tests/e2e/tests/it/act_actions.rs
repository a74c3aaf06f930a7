//! Each action executed by `grkeeper::keeper::act` on the simulator over TCP, its verification, and the
//! simulator's ground truth afterwards.

use std::time::Duration;

use gr_sim::{ExitStateAction, Fault, SimConfig, StartState, Timing};
use grkeeper::keeper::act::{Verdict, act};
use grkeeper::plan::Action;
use grkeeper::snapshot::ActionKind;

use crate::sim_members::Sim;

const CONNECT: Duration = Duration::from_secs(2);

fn action(kind: ActionKind, instance: &str) -> Action {
    Action::new(kind, instance, "integration test")
}

async fn fast(config: SimConfig) -> Sim {
    Sim::start(config.real_time(Timing::fast()), CONNECT).await
}

/// Runs `action` on a fresh observation of the cluster.
async fn run(sim: &Sim, kind: ActionKind, instance: &str) -> grkeeper::keeper::act::ActionResult {
    let observed = sim.observe().await;
    act(&action(kind, instance), &sim.context(&observed)).await
}

fn state_of(sim: &Sim, name: &str) -> String {
    sim.cluster.truth().state(name).to_owned()
}

#[tokio::test]
async fn an_expel_stops_the_member_and_a_rejoin_brings_it_back_online() {
    let sim = fast(SimConfig::with_members(3)).await;

    let expel = run(&sim, ActionKind::Expel, "db2").await;
    assert_eq!(expel.verdict, Verdict::Verified, "{expel:?}");
    let truth = sim.cluster.truth();
    assert_eq!(truth.state("db2"), "OFFLINE");
    assert!(
        truth.majority_groups()[0].online.iter().all(|m| m != "db2"),
        "{truth:?}"
    );

    let rejoin = run(&sim, ActionKind::Rejoin, "db2").await;
    assert_eq!(rejoin.verdict, Verdict::Verified, "{rejoin:?}");
    assert!(rejoin.procedure_message.is_some(), "{rejoin:?}");
    let truth = sim.cluster.truth();
    assert_eq!(truth.state("db2"), "ONLINE");
    assert_eq!(truth.majority_groups()[0].online.len(), 3, "{truth:?}");
    assert!(!truth.split_brain());
}

#[tokio::test]
async fn a_bootstrap_after_a_complete_stop_forms_a_group_of_one_that_others_can_join() {
    let sim = fast(SimConfig::with_members(3).start_state(StartState::Stopped)).await;
    let bootstrap = run(&sim, ActionKind::Bootstrap, "db1").await;
    assert_eq!(bootstrap.verdict, Verdict::Verified, "{bootstrap:?}");
    let truth = sim.cluster.truth();
    assert_eq!(truth.state("db1"), "ONLINE");
    assert_eq!(truth.majority_groups().len(), 1);

    let rejoin = run(&sim, ActionKind::Rejoin, "db2").await;
    assert_eq!(rejoin.verdict, Verdict::Verified, "{rejoin:?}");
    assert!(!sim.cluster.truth().split_brain());
}

#[tokio::test]
async fn after_every_member_went_to_error_a_bootstrap_and_a_rejoin_stop_gr_first_and_are_verified()
{
    let members = ["db1", "db2", "db3"];
    // Exit action READ_ONLY and no auto-rejoin: a member that leaves its group stays in ERROR,
    // connectable and super-read-only, until GR is stopped and started again.
    let config = SimConfig::with_members(3).all_members(|m| {
        m.exit_state_action = ExitStateAction::ReadOnly;
        m.autorejoin_tries = 0;
        m.unreachable_majority_timeout = 5;
    });
    let sim = fast(config).await;
    // No side holds a majority: every member leaves the group at its majority timeout.
    sim.cluster
        .partition(&[&["db1"], &["db2"], &["db3"]])
        .unwrap();
    sim.cluster
        .wait_for(Duration::from_secs(10), |t| {
            members.iter().all(|m| t.state(m) == "ERROR")
        })
        .await
        .unwrap();
    sim.cluster.heal().unwrap();

    let bootstrap = run(&sim, ActionKind::Bootstrap, "db1").await;
    assert_eq!(bootstrap.verdict, Verdict::Verified, "{bootstrap:?}");
    let truth = sim.cluster.truth();
    assert_eq!(truth.state("db1"), "ONLINE");
    assert_eq!(truth.state("db2"), "ERROR");
    assert_eq!(truth.majority_groups().len(), 1, "{truth:?}");

    let rejoin = run(&sim, ActionKind::Rejoin, "db2").await;
    assert_eq!(rejoin.verdict, Verdict::Verified, "{rejoin:?}");
    let truth = sim.cluster.truth();
    assert_eq!(truth.majority_groups()[0].online.len(), 2, "{truth:?}");
    assert!(!truth.split_brain());
}

#[tokio::test]
async fn a_reboot_brings_a_member_in_offline_mode_back() {
    let sim = fast(SimConfig::with_members(3)).await;
    sim.cluster
        .inject(Fault::ApplierError {
            member: "db3".into(),
        })
        .unwrap();
    sim.cluster
        .wait_for(Duration::from_secs(10), |t| {
            t.member("db3").is_some_and(|m| m.offline_mode)
        })
        .await
        .unwrap();

    let reboot = run(&sim, ActionKind::Reboot, "db3").await;
    assert_eq!(reboot.verdict, Verdict::Verified, "{reboot:?}");
    assert_eq!(reboot.rds_status.as_deref(), Some("available"));
    let truth = sim
        .cluster
        .wait_for(Duration::from_secs(10), |t| t.state("db3") == "ONLINE")
        .await
        .unwrap();
    assert!(!truth.member("db3").unwrap().offline_mode);
}

#[tokio::test]
async fn a_reboot_rds_answers_invalid_state_because_one_is_under_way_is_verified() {
    let sim = fast(SimConfig::with_members(3)).await;
    let observed = sim.observe().await;
    // Planned on `available`; then a reboot starts before ours arrives (RDS's own, or ours whose
    // reply the SDK lost before retrying).
    sim.cluster.rds().reboot("db3").unwrap();
    let result = act(&action(ActionKind::Reboot, "db3"), &sim.context(&observed)).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert!(
        result
            .error
            .as_deref()
            .unwrap_or("")
            .contains("cannot do that now"),
        "{result:?}"
    );
    assert_eq!(result.rds_status.as_deref(), Some("available"));
}

#[tokio::test]
async fn a_rejoin_with_errant_transactions_fails_with_the_error_log_as_evidence() {
    let sim = fast(SimConfig::with_members(3)).await;
    assert_eq!(
        run(&sim, ActionKind::Expel, "db2").await.verdict,
        Verdict::Verified
    );
    sim.cluster
        .inject(Fault::ErrantTransaction {
            member: "db2".into(),
            count: 2,
        })
        .unwrap();

    let rejoin = run(&sim, ActionKind::Rejoin, "db2").await;
    assert_eq!(rejoin.verdict, Verdict::Failed, "{rejoin:?}");
    assert!(
        rejoin.evidence.iter().any(|e| e.error_code == "MY-011526"),
        "{rejoin:?}"
    );
    assert_ne!(state_of(&sim, "db2"), "ONLINE");
    assert!(!sim.cluster.truth().split_brain());
}

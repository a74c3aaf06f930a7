//! `group_replication_exit_state_action` after an applier error, an expel, a majority loss and
//! a failed recovery, and what it does not do after a failed START or a failed start at boot.

use gr_sim::{ExitStateAction, Fault, Version};

use super::*;

fn applier_error(sim: &Cluster, name: &str) {
    sim.inject(Fault::ApplierError {
        member: name.to_string(),
    })
    .unwrap();
}

/// `name` took the OFFLINE_MODE exit action: ERROR with super_read_only, read_only and
/// offline_mode ON (read from the truth: offline mode refuses the master user, 3032); then
/// offline_mode is turned off as `assert_and_disable_offline_mode.inc` does, and the read-only
/// modes stay.
async fn offline_exit_then_turned_off(sim: &Cluster, name: &str) {
    let me = sim.truth().member(name).cloned().unwrap();
    assert_eq!(
        (
            me.state.as_deref(),
            me.super_read_only,
            me.read_only,
            me.offline_mode
        ),
        (Some("ERROR"), true, true, true)
    );
    assert_eq!(code(&connect_error(sim, name).await), 3032);
    sim.inject(Fault::OfflineMode {
        member: name.to_string(),
        on: false,
    })
    .unwrap();
    assert_eq!(modes(sim, name).await, (1, 1, 0));
}

fn version(text: &str) -> Version {
    text.parse().unwrap()
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_applier_error.test`, steps 1-1.1:
/// with READ_ONLY an applier error leaves the member alone in its table in ERROR, super-read-only,
/// and its peer's table no longer lists it.
#[tokio::test]
async fn applier_error_with_read_only_leaves_the_member_in_error_and_super_read_only() {
    let sim = start(suite(2)).await;
    applier_error(&sim, "db1");
    let own = members(&sim, "db1").await;
    assert_eq!(
        (own.len(), own[0].name.as_str(), own[0].state.as_str()),
        (1, "db1", "ERROR")
    );
    assert_eq!(modes(&sim, "db1").await, (1, 1, 0));
    assert_eq!(group_size(&sim, "db2").await, 1);
    assert_eq!(
        log_count(&sim, "db1", "The applier thread execution was aborted").await,
        1
    );
    assert_eq!(
        log_count(&sim, "db1", "automatically set into read only mode").await,
        1
    );
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_applier_error.test`, steps 2-4:
/// with ABORT_SERVER the applier error takes mysqld down; the peer lists no row for it; restarted
/// and started again it rejoins.
#[tokio::test]
async fn applier_error_with_abort_server_takes_the_server_down_until_restarted() {
    let sim = start(suite(2).member("db1", |m| {
        m.exit_state_action = ExitStateAction::AbortServer;
    }))
    .await;
    applier_error(&sim, "db1");
    assert!(is_down(&sim, "db1").await);
    let seen: Vec<String> = members(&sim, "db2")
        .await
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(seen, ["db2"]);
    restart(&sim, "db1").await;
    start_gr(&sim, "db1", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db2", "ONLINE").await, 2);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_applier_error_offline_mode.test`:
/// with OFFLINE_MODE the member goes ERROR, super_read_only, read_only and offline_mode ON; an open
/// session of a user without CONNECTION_ADMIN (RDS's master user) loses its connection and a new
/// one is refused (3032 on 8.0/8.4). The original reads the flags as root, which offline mode lets
/// in: here the ground truth reads them, then offline mode is turned off as the original's
/// `assert_and_disable_offline_mode.inc` does, and the rest is read over SQL.
#[tokio::test]
async fn applier_error_with_offline_mode_kills_sessions_and_refuses_new_ones() {
    let sim = start(suite(2).member("db1", |m| {
        m.exit_state_action = ExitStateAction::OfflineMode;
    }))
    .await;
    let mut open = connect(&sim, "db1").await;
    applier_error(&sim, "db1");
    let lost = bounded(open.query_drop("SELECT USER(), CURRENT_USER()"))
        .await
        .unwrap_err();
    assert!(!matches!(lost, mysql_async::Error::Server(_)), "{lost:?}");
    assert_eq!(group_size(&sim, "db2").await, 1);
    offline_exit_then_turned_off(&sim, "db1").await;
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("ERROR")
    );
    assert_eq!(
        log_count(&sim, "db1", "automatically set into offline mode").await,
        1
    );
    stop_gr(&sim, "db1").await;
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("OFFLINE")
    );
}

/// The same original's recorded result on a 9.x server: from 9.0 the refusal carries when
/// offline mode was set and Group Replication's reason, as `ER_SERVER_OFFLINE_MODE_REASON`
/// (6400), not 3032. Offline mode set without a reason
/// (as a person's `SET GLOBAL offline_mode` is modelled here) is still 3032.
#[tokio::test]
async fn on_9_x_offline_mode_after_an_applier_error_refuses_with_the_reason() {
    let sim = start(suite(2).all_members(|m| {
        m.version = version("9.7.0");
        m.exit_state_action = ExitStateAction::OfflineMode;
    }))
    .await;
    applier_error(&sim, "db1");
    let mysql_async::Error::Server(refused) = connect_error(&sim, "db1").await else {
        panic!("not a server error")
    };
    assert_eq!(refused.code, 6400, "{refused:?}");
    assert!(
        refused
            .message
            .starts_with("The server is currently in offline mode since 2026-01-01 ")
            && refused
                .message
                .ends_with(", reason: (GR) leave group on failure"),
        "{refused:?}"
    );
    sim.inject(Fault::OfflineMode {
        member: "db2".to_string(),
        on: true,
    })
    .unwrap();
    assert_eq!(code(&connect_error(&sim, "db2").await), 3032);
}

/// `mysql-test/suite/group_replication/t/gr_applier_error.test`: a duplicate-key applier error
/// puts the member in ERROR (the plugin's line in its log), and STOP then leaves it OFFLINE.
#[tokio::test]
async fn an_applier_error_is_error_then_offline_after_stop() {
    let sim = start(suite(2)).await;
    applier_error(&sim, "db2");
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("ERROR")
    );
    let log = repl_log(&sim, "db2").await;
    assert!(
        log.iter().any(|(code, data)| code == "MY-011451"
            && data.contains("Unable to process more transactions")),
        "{log:?}"
    );
    stop_gr(&sim, "db2").await;
    assert_eq!(
        members(&sim, "db2").await,
        [MemberRow {
            name: "db2".to_string(),
            state: "OFFLINE".to_string(),
            role: String::new(),
            version: "8.0.36".to_string(),
        }]
    );
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_member_expel.test`, steps 1-1.1
/// (SIGSTOP replaced by a partition): the rest settles on two members; the resumed member finds
/// itself expelled, ERROR and super-read-only; STOP and START bring it back.
#[tokio::test]
async fn member_expel_with_read_only_is_error_and_super_read_only_on_resume() {
    let sim = start(suite(3)).await;
    isolate(&sim, "db1");
    sim.advance(11 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db2").await, 2);
    assert_eq!(group_size(&sim, "db3").await, 2);
    sim.heal().unwrap();
    let own = members(&sim, "db1").await;
    assert_eq!(
        (own.len(), own[0].state.as_str(), own[0].role.as_str()),
        (1, "ERROR", "")
    );
    assert_eq!(modes(&sim, "db1").await, (1, 1, 0));
    assert_eq!(
        log_count(&sim, "db1", "Member was expelled from the group").await,
        1
    );
    stop_gr(&sim, "db1").await;
    start_gr(&sim, "db1", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 3);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_member_expel_mysql.test`: the
/// same expel over the MySQL communication stack (the one the simulator reports,
/// `MEMBER_COMMUNICATION_STACK` = MySQL): the peers keep two rows, the expelled one is ERROR.
#[tokio::test]
async fn member_expel_over_the_mysql_stack_is_the_same() {
    let sim = start(suite(3)).await;
    let mut db2 = connect(&sim, "db2").await;
    let stacks: Vec<String> = bounded(db2.query(
        "SELECT MEMBER_COMMUNICATION_STACK FROM performance_schema.replication_group_members",
    ))
    .await
    .unwrap();
    assert_eq!(stacks, ["MySQL", "MySQL", "MySQL"]);
    isolate(&sim, "db1");
    sim.advance(11 * SECOND).unwrap();
    sim.heal().unwrap();
    assert_eq!(group_size(&sim, "db2").await, 2);
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("ERROR")
    );
    assert_eq!(modes(&sim, "db1").await.0, 1);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_member_expel.test`, steps 2-4:
/// with ABORT_SERVER the expelled member aborts when it resumes; restarted and started it makes
/// the group three again.
#[tokio::test]
async fn member_expel_with_abort_server_aborts_on_resume() {
    let sim = start(suite(3).member("db1", |m| {
        m.exit_state_action = ExitStateAction::AbortServer;
    }))
    .await;
    isolate(&sim, "db1");
    sim.advance(11 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db2").await, 2);
    sim.heal().unwrap();
    assert!(is_down(&sim, "db1").await);
    restart(&sim, "db1").await;
    start_gr(&sim, "db1", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db1").await, 3);
    assert_eq!(count_in(&sim, "db2", "ONLINE").await, 3);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_member_expel_offline_mode.test`:
/// expelled with OFFLINE_MODE, the member is ERROR with super_read_only, read_only and offline_mode
/// all ON (read through the truth while offline mode refuses the master user, then over SQL once
/// it is turned off as the original does).
#[tokio::test]
async fn member_expel_with_offline_mode_sets_all_three_modes() {
    let sim = start(suite(3).member("db1", |m| {
        m.exit_state_action = ExitStateAction::OfflineMode;
    }))
    .await;
    isolate(&sim, "db1");
    sim.advance(11 * SECOND).unwrap();
    sim.heal().unwrap();
    offline_exit_then_turned_off(&sim, "db1").await;
    stop_gr(&sim, "db1").await;
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_majority_loss.test` (and its
/// `.cnf`: unreachable_majority_timeout 10 and no auto-rejoin on server 1), steps 1-2: when both
/// peers crash, server 1 stays ONLINE until the timeout runs out after the suspicion, then goes
/// ERROR and super-read-only; stopped and bootstrapped again it forms a group the restarted peers
/// join.
#[tokio::test]
async fn majority_loss_with_read_only_is_error_after_the_timeout_then_a_new_group_forms() {
    let sim = start(suite(3).member("db1", |m| m.unreachable_majority_timeout = 10)).await;
    sim.crash("db2").unwrap();
    sim.crash("db3").unwrap();
    sim.advance(14 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("ONLINE")
    );
    sim.advance(SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("ERROR")
    );
    assert_eq!(modes(&sim, "db1").await.0, 1);
    assert_eq!(
        log_count(
            &sim,
            "db1",
            "could not reach a majority of the members for more than 10 seconds"
        )
        .await,
        1
    );
    stop_gr(&sim, "db1").await;
    start_gr(&sim, "db1", true).await.unwrap();
    for name in ["db2", "db3"] {
        restart(&sim, name).await;
        start_gr(&sim, name, false).await.unwrap();
        sim.advance(2 * SECOND).unwrap();
    }
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 3);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_majority_loss.test`, steps 3-4:
/// with ABORT_SERVER the same majority loss takes server 1 down once the timeout runs out.
#[tokio::test]
async fn majority_loss_with_abort_server_takes_the_server_down() {
    let sim = start(suite(3).member("db1", |m| {
        m.unreachable_majority_timeout = 10;
        m.exit_state_action = ExitStateAction::AbortServer;
    }))
    .await;
    sim.crash("db2").unwrap();
    sim.crash("db3").unwrap();
    sim.advance(15 * SECOND).unwrap();
    assert!(is_down(&sim, "db1").await);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_majority_loss_offline_mode.test`
/// (`.cnf`: timeout 10 on server 1): in a group of two, the peer's crash leaves server 1 ERROR with
/// super_read_only and offline_mode ON; STOP leaves offline_mode alone.
#[tokio::test]
async fn majority_loss_with_offline_mode_is_error_read_only_and_offline() {
    let sim = start(suite(2).member("db1", |m| {
        m.unreachable_majority_timeout = 10;
        m.exit_state_action = ExitStateAction::OfflineMode;
    }))
    .await;
    sim.crash("db2").unwrap();
    sim.advance(15 * SECOND).unwrap();
    offline_exit_then_turned_off(&sim, "db1").await;
}

/// db2 stopped, the group moves on, every donor purged what it lacks: its next START fails in
/// distributed recovery (the nearest the simulator has to the original's clashing table).
async fn recovery_that_fails(cfg: SimConfig) -> Cluster {
    let sim = start(cfg).await;
    stop_gr(&sim, "db2").await;
    sim.commit("db1", 3).unwrap();
    sim.inject(Fault::PurgeBinlogs {
        member: "db1".to_string(),
        upto: None,
    })
    .unwrap();
    let started = start_gr(&sim, "db2", false).await.unwrap();
    assert!(started.contains("recovery is in progress"), "{started}");
    sim.advance(2 * SECOND).unwrap();
    sim
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_recovery.test`, steps 1-1.1: a
/// recovery error puts the joiner in ERROR, super-read-only, and out of its peer's table.
#[tokio::test]
async fn recovery_error_with_read_only_is_error_and_out_of_the_group() {
    let sim = recovery_that_fails(suite(2)).await;
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("ERROR")
    );
    assert_eq!(modes(&sim, "db2").await.0, 1);
    assert_eq!(group_size(&sim, "db1").await, 1);
    assert_eq!(
        log_count(&sim, "db2", "Fatal error during the incremental recovery").await,
        1
    );
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_recovery.test`, steps 2-3.1:
/// with ABORT_SERVER the recovery error takes the joiner down and the group does not list it.
#[tokio::test]
async fn recovery_error_with_abort_server_takes_the_joiner_down() {
    let sim = recovery_that_fails(suite(2).member("db2", |m| {
        m.exit_state_action = ExitStateAction::AbortServer;
    }))
    .await;
    assert!(is_down(&sim, "db2").await);
    let seen: Vec<String> = members(&sim, "db1")
        .await
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(seen, ["db1"]);
}

/// db1 runs a newer version (the original's debug point) and bootstraps; db2, older, is stopped.
async fn older_joiner(action: ExitStateAction) -> Cluster {
    let sim = start(
        suite(2)
            .start_state(gr_sim::StartState::Stopped)
            .member("db1", |m| m.version = version("8.0.37"))
            .member("db2", |m| m.exit_state_action = action),
    )
    .await;
    start_gr(&sim, "db1", true).await.unwrap();
    sim
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_start_gr_cmd.test`, steps 1-3 and
/// 4-5: START on a member the group refuses (its version is below the group's) fails with 3092
/// (ER_GROUP_REPLICATION_CONFIGURATION), leaves it OFFLINE alone in its table with super_read_only
/// as before and one "incompatible" log line per attempt; with ABORT_SERVER it still does not
/// abort. Then at the group's version (an upgrade, for the original's removed debug point) it
/// joins.
#[tokio::test]
async fn start_refused_by_the_group_is_3092_offline_without_exit_action() {
    let sim = older_joiner(ExitStateAction::ReadOnly).await;
    let before = modes(&sim, "db2").await.0;
    // The simulator set the cluster up by starting every member once: count from here.
    let incompatible = "Member version is incompatible with the group";
    let logged = log_count(&sim, "db2", incompatible).await;
    assert_eq!(start_gr(&sim, "db2", false).await, Err(3092));
    assert_eq!(
        members(&sim, "db2").await[0].state,
        "OFFLINE",
        "alone and OFFLINE"
    );
    assert_eq!(group_size(&sim, "db2").await, 1);
    assert_eq!(modes(&sim, "db2").await.0, before);
    assert_eq!(log_count(&sim, "db2", incompatible).await, logged + 1);
    assert_eq!(group_size(&sim, "db1").await, 1);
    assert_eq!(start_gr(&sim, "db2", false).await, Err(3092));
    assert_eq!(log_count(&sim, "db2", incompatible).await, logged + 2);

    sim.rds().upgrade("db2", version("8.0.37")).unwrap();
    sim.advance(31 * SECOND).unwrap();
    listening(&sim, "db2").await;
    start_gr(&sim, "db2", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 2);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_start_gr_cmd.test`, steps 4-5:
/// with ABORT_SERVER a refused START is still only an error: the server stays up, OFFLINE.
#[tokio::test]
async fn start_refused_by_the_group_does_not_abort_with_abort_server() {
    let sim = older_joiner(ExitStateAction::AbortServer).await;
    assert_eq!(start_gr(&sim, "db2", false).await, Err(3092));
    assert!(sim.truth().member("db2").unwrap().up);
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("OFFLINE")
    );
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_start_gr_cmd_offline_mode.test`:
/// with OFFLINE_MODE a refused START leaves offline_mode OFF and super_read_only as it was.
#[tokio::test]
async fn start_refused_by_the_group_leaves_offline_mode_off() {
    let sim = older_joiner(ExitStateAction::OfflineMode).await;
    let before = modes(&sim, "db2").await.0;
    assert_eq!(start_gr(&sim, "db2", false).await, Err(3092));
    assert_eq!(modes(&sim, "db2").await, (before, before, 0));
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("OFFLINE")
    );
    assert_eq!(group_size(&sim, "db1").await, 1);
}

/// db2 leaves, commits a transaction of its own, and restarts with start on boot: its join at
/// boot is refused.
async fn errant_restart(action: ExitStateAction) -> Cluster {
    let sim = start(suite(2).member("db2", |m| {
        m.start_on_boot = true;
        m.exit_state_action = action;
    }))
    .await;
    stop_gr(&sim, "db2").await;
    sim.inject(Fault::ErrantTransaction {
        member: "db2".to_string(),
        count: 1,
    })
    .unwrap();
    sim.restart("db2").unwrap();
    if action != ExitStateAction::AbortServer {
        listening(&sim, "db2").await;
    }
    sim.advance(SECOND).unwrap();
    sim
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_join_transaction_mismatch.test`,
/// steps 1-3: a member with transactions the group lacks, started at boot, stays OFFLINE and
/// super-read-only with the mismatch in its log; the group keeps one member.
#[tokio::test]
async fn errant_member_started_at_boot_stays_offline_and_super_read_only() {
    let sim = errant_restart(ExitStateAction::ReadOnly).await;
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("OFFLINE")
    );
    assert_eq!(modes(&sim, "db2").await.0, 1);
    assert_eq!(
        log_count(
            &sim,
            "db2",
            "This member has more executed transactions than those present in the group"
        )
        .await,
        1
    );
    assert_eq!(group_size(&sim, "db1").await, 1);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_join_transaction_mismatch.test`,
/// steps 4-5: the same refused start at boot with ABORT_SERVER aborts the server.
#[tokio::test]
async fn errant_member_started_at_boot_with_abort_server_aborts() {
    let sim = errant_restart(ExitStateAction::AbortServer).await;
    assert!(is_down(&sim, "db2").await);
    assert_eq!(group_size(&sim, "db1").await, 1);
}

/// `mysql-test/suite/group_replication/t/gr_exit_state_action_on_join_transaction_mismatch_offline_mode.test`:
/// with OFFLINE_MODE the refused start at boot does not take the exit action: offline_mode stays
/// OFF and the member OFFLINE. Once the group has the extra transaction too (RDS's remedy,
/// `rds_group_replication_advance_gtid`, for the original's RESET MASTER) it joins.
#[tokio::test]
async fn errant_member_started_at_boot_with_offline_mode_keeps_offline_mode_off() {
    let sim = errant_restart(ExitStateAction::OfflineMode).await;
    let mut db2 = connect(&sim, "db2").await;
    assert_eq!(flag(&mut db2, "@@offline_mode").await, 0);
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("OFFLINE")
    );
    let errant = sim.truth().member("db2").unwrap().server_uuid.clone();
    let mut db1 = connect(&sim, "db1").await;
    let sql = format!("CALL mysql.rds_group_replication_advance_gtid(1, 1, '{errant}')");
    call(&mut db1, &sql).await.unwrap();
    start_gr(&sim, "db2", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 2);
}

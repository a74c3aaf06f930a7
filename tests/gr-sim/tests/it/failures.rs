//! Failure scenarios on the manual clock: crash and expulsion, partitions and blocked writes,
//! exit state actions (offline mode 3032, read-only), auto-rejoin, applier errors.

use std::time::Duration;

use gr_sim::{Cluster, ExitStateAction, Fault, SimConfig};
use mysql_async::prelude::*;

use crate::support::*;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn crashed_member_is_unreachable_after_detection_then_expelled_after_the_expel_timeout() {
    let sim = cluster(3).await;
    sim.crash("db3").unwrap();
    let all_online = pairs(&[("db1", "ONLINE"), ("db2", "ONLINE"), ("db3", "ONLINE")]);
    assert_eq!(states(&sim, "db1").await, all_online, "not suspected yet");
    sim.advance(5 * SECOND).unwrap();
    let suspected = pairs(&[("db1", "ONLINE"), ("db2", "ONLINE"), ("db3", "UNREACHABLE")]);
    assert_eq!(states(&sim, "db1").await, suspected);
    assert_eq!(states(&sim, "db2").await, suspected);
    sim.advance(4 * SECOND).unwrap();
    assert_eq!(
        states(&sim, "db1").await,
        suspected,
        "expel timeout not over"
    );
    sim.advance(SECOND).unwrap();
    assert_eq!(
        states(&sim, "db1").await,
        pairs(&[("db1", "ONLINE"), ("db2", "ONLINE")])
    );
    assert_eq!(sim.truth().groups[0].view, ["db1", "db2"]);
    // The crashed member's port is closed.
    assert!(
        bounded(mysql_async::Conn::new(opts(&sim, "db3")))
            .await
            .is_err()
    );
    let mut conn = connect(&sim, "db1").await;
    let codes = column(
        &mut conn,
        "SELECT ERROR_CODE FROM performance_schema.error_log ORDER BY LOGGED",
    )
    .await;
    let unreachable = codes.iter().position(|c| c == "MY-011493").unwrap();
    let removed = codes.iter().position(|c| c == "MY-011499").unwrap();
    assert!(unreachable < removed);
}

#[tokio::test]
async fn a_survivor_of_two_crashes_keeps_them_unreachable_blocks_writes_and_cannot_readmit_them() {
    let sim = cluster(3).await;
    sim.crash("db2").unwrap();
    sim.crash("db3").unwrap();
    sim.advance(60 * SECOND).unwrap();
    let stuck = pairs(&[
        ("db1", "ONLINE"),
        ("db2", "UNREACHABLE"),
        ("db3", "UNREACHABLE"),
    ]);
    assert_eq!(states(&sim, "db1").await, stuck);
    assert!(!sim.truth().groups[0].has_majority);
    assert!(matches!(
        sim.commit("db1", 1),
        Err(gr_sim::SimError::NoQuorum(_))
    ));
    let mut conn = connect(&sim, "db1").await;
    let write = tokio::spawn(async move { conn.query_drop("INSERT INTO test.t VALUES (1)").await });
    // A restarted member cannot rejoin a group that still lists its old incarnation and has
    // no majority to change its view: it gives up after its join attempts and stays OFFLINE.
    sim.restart("db2").unwrap();
    sim.advance(60 * SECOND).unwrap();
    assert_eq!(sim.truth().state("db2"), "OFFLINE");
    assert_eq!(states(&sim, "db1").await, stuck);
    assert!(!write.is_finished());
}

#[tokio::test]
async fn minority_partition_shows_the_majority_unreachable_and_blocks_writes_until_healed() {
    let sim = cluster(3).await;
    sim.partition(&[&["db1"], &["db2", "db3"]]).unwrap();
    sim.advance(6 * SECOND).unwrap();
    let minority = pairs(&[
        ("db1", "ONLINE"),
        ("db2", "UNREACHABLE"),
        ("db3", "UNREACHABLE"),
    ]);
    assert_eq!(states(&sim, "db1").await, minority);
    assert_eq!(
        states(&sim, "db2").await,
        pairs(&[("db1", "UNREACHABLE"), ("db2", "ONLINE"), ("db3", "ONLINE")])
    );
    assert!(
        !sim.truth()
            .groups
            .iter()
            .find(|g| g.reachable == ["db1"])
            .unwrap()
            .has_majority
    );

    let mut conn = connect(&sim, "db1").await;
    let write = tokio::spawn(async move {
        let result = conn.query_drop("INSERT INTO test.t VALUES (1)").await;
        (result, conn)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!write.is_finished(), "a write in a minority hangs");
    let before = sim.truth().members[0].gtid_executed.clone();

    sim.heal().unwrap();
    let (result, _conn) = bounded(write).await.unwrap();
    result.unwrap();
    let group = "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251";
    assert_eq!(before, format!("{group}:1-3"));
    assert!(sim.truth().converged());
    assert_eq!(sim.truth().groups[0].gtid_executed, format!("{group}:1-4"));
}

#[tokio::test]
async fn expelled_minority_keeps_its_stale_view_then_learns_it_on_heal_and_rejoins() {
    let sim = cluster(3).await;
    sim.partition(&[&["db1"], &["db2", "db3"]]).unwrap();
    let mut conn = connect(&sim, "db1").await;
    let write = tokio::spawn(async move { conn.query_drop("INSERT INTO test.t VALUES (1)").await });
    sim.advance(20 * SECOND).unwrap();
    // The majority expelled db1; db1 does not know and keeps blocking.
    assert_eq!(
        states(&sim, "db2").await,
        pairs(&[("db2", "ONLINE"), ("db3", "ONLINE")])
    );
    assert_eq!(
        states(&sim, "db1").await,
        pairs(&[
            ("db1", "ONLINE"),
            ("db2", "UNREACHABLE"),
            ("db3", "UNREACHABLE")
        ])
    );
    assert!(!write.is_finished());

    sim.heal().unwrap();
    // It learns of the expulsion, rolls back the blocked write, and auto-rejoins at once.
    let err = bounded(write).await.unwrap().unwrap_err();
    assert_eq!(code(&err), 3100);
    assert_eq!(sim.truth().state("db1"), "RECOVERING");
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
    let mut conn = connect(&sim, "db1").await;
    let codes = column(
        &mut conn,
        "SELECT ERROR_CODE FROM performance_schema.error_log WHERE PRIO = 'Error'",
    )
    .await;
    assert!(
        codes.contains(&"MY-011495".to_string()),
        "majority lost: {codes:?}"
    );
    assert!(
        codes.contains(&"MY-011505".to_string()),
        "expelled: {codes:?}"
    );
}

/// Isolates `name`, lets the majority expel it, heals: the member learns it was expelled.
async fn expel(sim: &Cluster, name: &str) {
    let others: Vec<&str> = ["db1", "db2", "db3"]
        .into_iter()
        .filter(|n| *n != name)
        .collect();
    sim.partition(&[&[name], &others]).unwrap();
    sim.advance(11 * SECOND).unwrap();
    sim.heal().unwrap();
}

#[tokio::test]
async fn expelled_member_with_offline_mode_refuses_connections_with_3032() {
    let sim = Cluster::start(SimConfig::with_members(3).member("db3", |m| m.autorejoin_tries = 0))
        .await
        .unwrap();
    let mut open = connect(&sim, "db3").await;
    expel(&sim, "db3").await;
    let me = sim.truth().member("db3").cloned().unwrap();
    assert_eq!(
        (me.state.as_deref(), me.offline_mode, me.super_read_only),
        (Some("ERROR"), true, true)
    );
    let err = connect_error(&sim, "db3").await;
    let mysql_async::Error::Server(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.code, e.message.as_str()),
        (3032, "The server is currently in offline mode")
    );
    // The open session was killed when offline mode came on: the client finds its connection
    // lost, not an error reply (gr_exit_state_action_on_applier_error_offline_mode, step 4).
    let lost = bounded(open.query_drop("SELECT 1")).await.unwrap_err();
    assert!(!matches!(lost, mysql_async::Error::Server(_)), "{lost:?}");
}

#[tokio::test]
async fn expelled_member_with_read_only_exit_action_stays_connectable_in_error() {
    let sim = Cluster::start(SimConfig::with_members(3).member("db3", |m| {
        m.autorejoin_tries = 0;
        m.exit_state_action = ExitStateAction::ReadOnly;
    }))
    .await
    .unwrap();
    expel(&sim, "db3").await;
    let mut conn = connect(&sim, "db3").await;
    assert_eq!(states(&sim, "db3").await, pairs(&[("db3", "ERROR")]));
    assert_eq!(column(&mut conn, "SELECT @@super_read_only").await, ["1"]);
    assert_eq!(column(&mut conn, "SELECT @@offline_mode").await, ["0"]);
    assert_eq!(
        error_code(&mut conn, "INSERT INTO test.t VALUES (1)").await,
        1290
    );
    // The documented way back: stop, then start.
    assert_eq!(
        code(
            &call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
                .await
                .unwrap_err()
        ),
        3093
    );
    call(&mut conn, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
}

#[tokio::test]
async fn majority_timeout_then_failed_auto_rejoins_end_in_the_exit_action() {
    let sim = Cluster::start(SimConfig::with_members(3).member("db3", |m| {
        m.unreachable_majority_timeout = 3;
        m.autorejoin_tries = 2;
    }))
    .await
    .unwrap();
    sim.partition(&[&["db3"], &["db1", "db2"]]).unwrap();
    // The timeout counts from the suspicion, 5 s after contact was lost.
    sim.advance(7 * SECOND).unwrap();
    assert_eq!(sim.truth().state("db3"), "ONLINE");
    sim.advance(SECOND).unwrap();
    let me = sim.truth().member("db3").cloned().unwrap();
    assert_eq!(
        (me.state.as_deref(), me.auto_rejoin_pending),
        (Some("ERROR"), true)
    );
    let mut conn = connect(&sim, "db3").await;
    let stage: Vec<(String, i64, i64)> = bounded(conn.query(
        "SELECT EVENT_NAME, WORK_COMPLETED, WORK_ESTIMATED FROM performance_schema.events_stages_current \
         WHERE EVENT_NAME LIKE '%auto-rejoin%'",
    ))
    .await
    .unwrap();
    assert_eq!(
        stage,
        [(
            "stage/group_rpl/Undergoing auto-rejoin procedure".to_string(),
            1,
            0
        )]
    );
    assert!(!sim.truth().member("db3").unwrap().offline_mode);
    sim.advance(Duration::from_secs(300)).unwrap();
    let me = sim.truth().member("db3").cloned().unwrap();
    assert_eq!(
        (me.state.as_deref(), me.auto_rejoin_pending, me.offline_mode),
        (Some("ERROR"), false, true)
    );
}

#[tokio::test]
async fn an_applier_error_removes_the_member_and_takes_the_exit_action_without_rejoin() {
    let sim = Cluster::start(
        SimConfig::with_members(3).all_members(|m| m.exit_state_action = ExitStateAction::ReadOnly),
    )
    .await
    .unwrap();
    sim.inject(Fault::ApplierError {
        member: "db2".to_string(),
    })
    .unwrap();
    assert_eq!(
        states(&sim, "db1").await,
        pairs(&[("db1", "ONLINE"), ("db3", "ONLINE")])
    );
    let me = sim.truth().member("db2").cloned().unwrap();
    assert_eq!(
        (
            me.state.as_deref(),
            me.auto_rejoin_pending,
            me.super_read_only
        ),
        (Some("ERROR"), false, true)
    );
}

/// db3 crashes and is suspected; then db2 asks to leave with `rds_group_replication_stop()`.
/// Returns the cluster and the pending call's task.
async fn stop_db2_while_db3_is_suspected(
    cfg: SimConfig,
) -> (Cluster, tokio::task::JoinHandle<Option<String>>) {
    let sim = Cluster::start(cfg).await.unwrap();
    sim.crash("db3").unwrap();
    sim.advance(6 * SECOND).unwrap();
    let suspected = pairs(&[("db1", "ONLINE"), ("db2", "ONLINE"), ("db3", "UNREACHABLE")]);
    assert_eq!(states(&sim, "db1").await, suspected);
    let mut db2 = connect(&sim, "db2").await;
    let stop = tokio::spawn(async move {
        call(&mut db2, "CALL mysql.rds_group_replication_stop()")
            .await
            .unwrap()
    });
    // Time stands still on the manual clock: the leave can only be waiting, not slow.
    bounded(async {
        while sim.truth().state("db2") != "OFFLINE" {
            tokio::task::yield_now().await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!stop.is_finished(), "STOP waits for the view without db2");
    assert_eq!(states(&sim, "db2").await, pairs(&[("db2", "OFFLINE")]));
    assert_eq!(states(&sim, "db1").await, suspected, "db2 still listed");
    assert_eq!(sim.truth().groups[0].view, ["db1", "db2", "db3"]);
    (sim, stop)
}

#[tokio::test]
async fn a_stop_during_a_suspicion_waits_until_the_suspect_is_expelled_then_leaves() {
    let (sim, stop) = stop_db2_while_db3_is_suspected(SimConfig::with_members(3)).await;
    // db3 is expelled at 10 s; the pending leave then reconfigures the group at once.
    sim.advance(4 * SECOND).unwrap();
    let message = bounded(stop).await.unwrap();
    assert_eq!(
        message.as_deref(),
        Some("Group replication stopped successfully.")
    );
    assert_eq!(sim.truth().groups[0].view, ["db1"]);
    assert!(sim.truth().groups[0].has_majority);
    assert_eq!(states(&sim, "db1").await, pairs(&[("db1", "ONLINE")]));
}

#[tokio::test]
async fn a_stop_whose_view_never_comes_gives_up_after_60_seconds_and_leaves_a_minority() {
    let cfg = SimConfig::with_members(3).all_members(|m| m.member_expel_timeout = 3600);
    let (sim, stop) = stop_db2_while_db3_is_suspected(cfg).await;
    sim.advance(59 * SECOND).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!stop.is_finished());
    sim.advance(SECOND).unwrap();
    let message = bounded(stop).await.unwrap();
    assert_eq!(
        message.as_deref(),
        Some("Group replication stopped successfully.")
    );
    let mut db2 = connect(&sim, "db2").await;
    let warnings = column(
        &mut db2,
        "SELECT ERROR_CODE FROM performance_schema.error_log WHERE PRIO = 'Warning'",
    )
    .await;
    assert!(warnings.contains(&"MY-011648".to_string()), "{warnings:?}");
    // db2 left without a view: db1 now misses two of three members and has lost its majority.
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(
        states(&sim, "db1").await,
        pairs(&[
            ("db1", "ONLINE"),
            ("db2", "UNREACHABLE"),
            ("db3", "UNREACHABLE")
        ])
    );
    assert!(!sim.truth().groups[0].has_majority);
}

//! The RDS stored procedures through mysql_async: message rows, effects, errors.

use gr_sim::{Cluster, ExitStateAction, SimConfig, StartState};
use mysql_async::prelude::*;
use mysql_async::{Conn, Opts};

use crate::support::*;

#[tokio::test]
async fn stop_then_start_returns_message_rows_and_the_member_rejoins() {
    let sim = cluster(3).await;
    let mut conn = connect(&sim, "db2").await;
    let stopped = call(&mut conn, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    assert_eq!(
        stopped.as_deref(),
        Some("Group replication stopped successfully.")
    );
    assert_eq!(states(&sim, "db2").await, pairs(&[("db2", "OFFLINE")]));
    assert_eq!(
        states(&sim, "db1").await,
        pairs(&[("db1", "ONLINE"), ("db3", "ONLINE")])
    );
    assert_eq!(column(&mut conn, "SELECT @@super_read_only").await, ["1"]);
    assert_eq!(
        error_code(&mut conn, "INSERT INTO test.t VALUES (1)").await,
        1290
    );

    sim.commit("db1", 5).unwrap();
    let started = call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    assert!(
        started
            .unwrap()
            .starts_with("Group replication started and recovery is in progress.")
    );
    assert_eq!(
        states(&sim, "db2").await[2],
        ("db2".to_string(), "RECOVERING".to_string())
    );
    sim.advance(std::time::Duration::from_secs(2)).unwrap();
    assert_eq!(sim.truth().state("db2"), "ONLINE");
    assert_eq!(column(&mut conn, "SELECT @@super_read_only").await, ["0"]);
    assert!(sim.truth().converged());
    let history: Vec<String> = column(&mut conn, "SELECT action FROM mysql.rds_history").await;
    assert_eq!(
        history,
        [
            "stop group replication",
            "start group replication. bootstrap:0"
        ]
    );
}

#[tokio::test]
async fn a_person_s_own_account_is_recorded_as_the_caller_apart_from_the_master_user() {
    let sim = Cluster::start(SimConfig::with_members(3).operator("alice", "her-secret"))
        .await
        .unwrap();
    let person = Opts::from_url(&sim.operator_url("db2").unwrap()).unwrap();
    let mut conn = bounded(Conn::new(person)).await.unwrap();
    call(&mut conn, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    let mut master = connect(&sim, "db2").await;
    call(&mut master, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    let callers: Vec<String> =
        column(&mut master, "SELECT called_by_user FROM mysql.rds_history").await;
    assert_eq!(callers, ["alice@127.0.0.1", "admin@127.0.0.1"]);
}

#[tokio::test]
async fn start_on_a_running_member_is_error_3093() {
    let sim = cluster(2).await;
    let mut conn = connect(&sim, "db1").await;
    let err = call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap_err();
    assert_eq!(code(&err), 3093);
    let err = call(&mut conn, "CALL mysql.rds_group_replication_start(2)")
        .await
        .unwrap_err();
    assert_eq!(code(&err), 1231);
}

#[tokio::test]
async fn start_with_no_group_to_join_is_error_3097_with_a_gcs_log_line() {
    let sim = Cluster::start(SimConfig::with_members(2).start_state(StartState::Stopped))
        .await
        .unwrap();
    let mut conn = connect(&sim, "db2").await;
    let err = call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap_err();
    assert_eq!(code(&err), 3097);
    let log = column(
        &mut conn,
        "SELECT DATA FROM performance_schema.error_log WHERE ERROR_CODE = 'MY-011735'",
    )
    .await;
    assert!(log[0].contains("Error connecting to all peers"), "{log:?}");
    assert_eq!(sim.truth().state("db2"), "OFFLINE");
}

#[tokio::test]
async fn setup_from_fresh_instances_follows_the_aws_workflow() {
    // READ_ONLY exit action keeps db2 connectable after its failed recovery.
    let sim = Cluster::start(
        SimConfig::with_members(2)
            .start_state(StartState::Unconfigured)
            .all_members(|m| m.exit_state_action = ExitStateAction::ReadOnly),
    )
    .await
    .unwrap();
    let mut db1 = connect(&sim, "db1").await;
    let err = call(
        &mut db1,
        "CALL mysql.rds_group_replication_set_recovery_channel('pw')",
    )
    .await
    .unwrap_err();
    assert_eq!(code(&err), 3162);
    let created = call(
        &mut db1,
        "CALL mysql.rds_group_replication_create_user('pw')",
    )
    .await
    .unwrap();
    assert_eq!(
        created.as_deref(),
        Some("Group replication user created successfully.")
    );
    let altered = call(
        &mut db1,
        "CALL mysql.rds_group_replication_create_user('pw')",
    )
    .await
    .unwrap();
    assert!(
        altered
            .unwrap()
            .starts_with("Warning: Group replication user already exists")
    );
    assert_eq!(
        call(
            &mut db1,
            "CALL mysql.rds_group_replication_set_recovery_channel('pw')"
        )
        .await
        .unwrap(),
        None
    );
    let started = call(&mut db1, "CALL mysql.rds_group_replication_start(1)")
        .await
        .unwrap();
    assert_eq!(
        started.as_deref(),
        Some("Group replication started successfully.")
    );

    // db2 without the channel: it joins, but recovery cannot log in to a donor. It keeps trying
    // (10 donor attempts, 60 s apart with one donor) before it gives up in ERROR, as MySQL's
    // recovery does (gr_recovery_purged_donor_failover shows the joiner RECOVERING meanwhile).
    let mut db2 = connect(&sim, "db2").await;
    call(&mut db2, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    sim.advance(std::time::Duration::from_secs(2)).unwrap();
    assert_eq!(sim.truth().state("db2"), "RECOVERING");
    sim.advance(std::time::Duration::from_secs(9 * 60)).unwrap();
    assert_eq!(sim.truth().state("db2"), "ERROR");
    let channel: Vec<(String, i64)> = bounded(db2.query(
        "SELECT SERVICE_STATE, LAST_ERROR_NUMBER FROM performance_schema.replication_connection_status \
         WHERE CHANNEL_NAME = 'group_replication_applier'",
    ))
    .await
    .unwrap();
    assert_eq!(channel, [("OFF".to_string(), 0)]);

    // The documented fix: user and channel, stop, start again.
    call(
        &mut db2,
        "CALL mysql.rds_group_replication_create_user('pw')",
    )
    .await
    .unwrap();
    call(
        &mut db2,
        "CALL mysql.rds_group_replication_set_recovery_channel('pw')",
    )
    .await
    .unwrap();
    call(&mut db2, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    call(&mut db2, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    sim.advance(std::time::Duration::from_secs(2)).unwrap();
    assert!(sim.truth().converged(), "{:#?}", sim.truth());
}

#[tokio::test]
async fn advance_gtid_adds_empty_transactions_and_checks_its_arguments() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    for (args, expected) in [("0, 2", 1644), ("3, 2", 1644), ("1, 2, 'x'", 1318)] {
        let sql = if expected == 1318 {
            format!("CALL mysql.rds_group_replication_advance_gtid({args}, 'y')")
        } else {
            format!("CALL mysql.rds_group_replication_advance_gtid({args}, '{uuid}')")
        };
        assert_eq!(
            code(&call(&mut conn, &sql).await.unwrap_err()),
            expected,
            "{sql}"
        );
    }
    let sql = "CALL mysql.rds_group_replication_advance_gtid(1, 2, 'not-a-uuid')";
    assert_eq!(code(&call(&mut conn, sql).await.unwrap_err()), 1774);
    let sql = format!("CALL mysql.rds_group_replication_advance_gtid(1, 3, '{uuid}')");
    assert_eq!(call(&mut conn, &sql).await.unwrap(), None);
    let executed = column(&mut conn, "SELECT @@gtid_executed").await.remove(0);
    assert!(
        executed.starts_with(&format!("{uuid}:1-3,\n")),
        "{executed}"
    );
}

/// As the procedure's body does: `INT UNSIGNED` arguments (strict mode refuses what does not
/// fit), empty transactions committed with binary logging off (they stay on the member called),
/// GTIDs already executed skipped, one `mysql.rds_history` row per call.
#[tokio::test]
async fn advance_gtid_is_local_skips_executed_gtids_and_refuses_numbers_outside_int_unsigned() {
    let sim = cluster(2).await;
    let mut conn = connect(&sim, "db1").await;
    let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    for (args, expected) in [("-1, 2", 1264), ("1, 4294967296", 1264), ("NULL, 2", 1231)] {
        let sql = format!("CALL mysql.rds_group_replication_advance_gtid({args}, '{uuid}')");
        assert_eq!(
            code(&call(&mut conn, &sql).await.unwrap_err()),
            expected,
            "{sql}"
        );
    }
    for range in ["1, 3", "2, 5"] {
        let sql = format!("CALL mysql.rds_group_replication_advance_gtid({range}, '{uuid}')");
        assert_eq!(call(&mut conn, &sql).await.unwrap(), None);
    }
    let truth = sim.truth();
    let db1 = truth.member("db1").unwrap();
    assert!(
        db1.gtid_executed.starts_with(&format!("{uuid}:1-5,")),
        "{db1:?}"
    );
    assert!(!db1.gtid_purged.contains(uuid), "{db1:?}");
    let db2 = truth.member("db2").unwrap();
    assert!(!db2.gtid_executed.contains(uuid), "{db2:?}");
    let rows: Vec<(String, String)> =
        bounded(conn.query(
            "SELECT action, master_gtid FROM mysql.rds_history WHERE action = 'advance gtid'",
        ))
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            ("advance gtid".to_string(), format!("{uuid}:1-3")),
            ("advance gtid".to_string(), format!("{uuid}:2-5")),
        ]
    );
}

/// Placeholders are in no binary log: the group does not deliver them to the other members, and
/// no donor sends them to a joiner, which catches up on the group's transactions only.
#[tokio::test]
async fn placeholders_stay_on_the_member_they_were_made_on() {
    let sim = cluster(3).await;
    let mut db3 = connect(&sim, "db3").await;
    call(&mut db3, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    let sql = format!("CALL mysql.rds_group_replication_advance_gtid(1, 2, '{uuid}')");
    call(&mut connect(&sim, "db1").await, &sql).await.unwrap();
    sim.commit("db1", 4).unwrap();
    call(&mut db3, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    sim.advance(std::time::Duration::from_secs(2)).unwrap();
    let truth = sim.truth();
    assert_eq!(truth.state("db3"), "ONLINE");
    let group = "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251:1-7";
    for name in ["db2", "db3"] {
        assert_eq!(
            truth.member(name).unwrap().gtid_executed,
            group,
            "{truth:#?}"
        );
    }
    assert!(truth.member("db1").unwrap().gtid_executed.contains(uuid));
}

#[tokio::test]
async fn unknown_procedures_are_1305_and_missing_plugin_errors_come_from_the_bodies() {
    let sim = Cluster::start(SimConfig::with_members(1).all_members(|m| m.gr_enabled = false))
        .await
        .unwrap();
    let mut conn = connect(&sim, "db1").await;
    assert_eq!(
        code(&call(&mut conn, "CALL mysql.rds_nope()").await.unwrap_err()),
        1305
    );
    assert_eq!(
        code(
            &call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
                .await
                .unwrap_err()
        ),
        1644
    );
    assert_eq!(
        code(
            &call(
                &mut conn,
                "CALL mysql.rds_group_replication_create_user('p')"
            )
            .await
            .unwrap_err()
        ),
        1524
    );
    assert_eq!(
        error_code(&mut conn, "SELECT @@group_replication_group_name").await,
        1193
    );
    assert!(rows(&mut conn, probe::MEMBERS).await.is_empty());
}

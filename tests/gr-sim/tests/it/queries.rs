//! The statements grkeeper's probe sends (every one, with and without the plugin, before and after
//! a stop), and the SQL surface around them (variables, tables, WHERE / ORDER BY / LIMIT,
//! errors), through mysql_async.

use gr_sim::{Cluster, SimConfig, StartState};
use mysql_async::prelude::*;
use mysql_async::{Conn, Row};

use crate::support::*;

#[tokio::test]
async fn the_probe_variables_answer_as_rds_shows_them() {
    let sim = cluster(3).await;
    let mut conn = bounded(Conn::new(probe_opts(&sim, "db2"))).await.unwrap();
    let rows = rows(&mut conn, probe::IDENTITY).await;
    let row = &rows[0];
    let names: Vec<String> = row
        .columns_ref()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    assert_eq!(names[0], "@@server_uuid");
    assert_eq!(
        names[14],
        "@@group_replication_unreachable_majority_timeout"
    );
    let truth = sim.truth();
    let me = truth.member("db2").unwrap();
    let text = |i: usize| row.get::<String, _>(i).unwrap();
    let int = |i: usize| row.get::<i64, _>(i).unwrap();
    assert_eq!(text(0), me.server_uuid);
    assert_eq!(text(1), "ip-10-0-2-12");
    assert_eq!(int(2), 3306);
    assert_eq!(text(3), "8.0.36");
    assert_eq!((int(4), int(5), int(6)), (0, 0, 0));
    assert_eq!(text(7), me.gtid_executed);
    assert_eq!(text(8), "");
    assert_eq!(text(9), "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251");
    assert!(text(10).contains("db3.cgrsim0abcde.us-east-1.rds.amazonaws.com:3306"));
    assert_eq!(text(11), "OFFLINE_MODE");
    assert_eq!((int(12), int(13), int(14)), (3, 5, 0));
}

#[tokio::test]
async fn the_probe_tables_answer_with_every_member_online() {
    let sim = cluster(3).await;
    let mut conn = connect(&sim, "db1").await;
    let members: Vec<(String, String, i64, String, String, String)> =
        bounded(conn.query(probe::MEMBERS)).await.unwrap();
    assert_eq!(members.len(), 3);
    for (id, host, port, state, role, version) in &members {
        assert!(sim.truth().members.iter().any(|m| &m.server_uuid == id));
        assert!(host.starts_with("ip-10-0-"), "{host}");
        assert_eq!(
            (*port, state.as_str(), role.as_str(), version.as_str()),
            (3306, "ONLINE", "PRIMARY", "8.0.36")
        );
    }
    let stats = rows(&mut conn, probe::STATS).await;
    assert_eq!(stats.len(), 3);
    let view: String = stats[0].get(1).unwrap();
    assert_eq!(view, sim.truth().groups[0].view_id);
    let channels: Vec<(String, String, i64, String, String, String)> =
        bounded(conn.query(probe::CHANNELS)).await.unwrap();
    assert_eq!(channels[0].0, "group_replication_applier");
    assert_eq!(channels[0].1, "ON");
    assert_eq!(channels[0].5, sim.truth().groups[0].gtid_executed);
    assert_eq!(channels[1].0, "group_replication_recovery");
    assert_eq!((channels[1].1.as_str(), channels[1].2), ("OFF", 0));
    let log: Vec<(String, String, String, String)> =
        bounded(conn.query(probe::ERROR_LOG)).await.unwrap();
    assert!(log.len() > 3 && log.len() <= 20);
    assert!(log.windows(2).all(|w| w[0].0 > w[1].0), "newest first");
    assert!(log.iter().all(|(_, _, code, data)| code.starts_with("MY-0")
        && data.starts_with("Plugin group_replication reported: '")));
    let retention: Vec<Option<String>> =
        bounded(conn.query(probe::BINLOG_RETENTION)).await.unwrap();
    assert_eq!(retention, [None]);
    assert!(
        rows(&mut conn, probe::LAST_GR_CALL).await.is_empty(),
        "no procedure called yet"
    );
}

#[tokio::test]
async fn after_a_stop_every_probe_statement_answers_and_the_last_gr_call_names_the_caller() {
    let sim = cluster(3).await;
    let mut conn = bounded(Conn::new(probe_opts(&sim, "db2"))).await.unwrap();
    call(&mut conn, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    for sql in probe::SEQUENCE
        .into_iter()
        .chain([probe::IDENTITY_WITHOUT_GR])
    {
        assert!(!rows(&mut conn, sql).await.is_empty(), "{sql}");
    }
    let last: Vec<(String, String, String)> =
        bounded(conn.query(probe::LAST_GR_CALL)).await.unwrap();
    assert_eq!(
        last,
        [(
            "2026-01-01 00:00:00.000000".to_string(),
            "admin@127.0.0.1".to_string(),
            "stop group replication".to_string()
        )]
    );
}

#[tokio::test]
async fn without_the_plugin_the_probe_identity_fails_with_1193_and_its_fallback_answers() {
    let sim = Cluster::start(SimConfig::with_members(1).all_members(|m| m.gr_enabled = false))
        .await
        .unwrap();
    let mut conn = bounded(Conn::new(probe_opts(&sim, "db1"))).await.unwrap();
    assert_eq!(error_code(&mut conn, probe::IDENTITY).await, 1193);
    let identity = rows(&mut conn, probe::IDENTITY_WITHOUT_GR).await;
    assert_eq!(identity[0].columns_ref().len(), 9);
    let uuid: String = identity[0].get(0).unwrap();
    assert_eq!(uuid, sim.truth().members[0].server_uuid);
    for sql in &probe::SEQUENCE[1..] {
        let answer = rows(&mut conn, sql).await;
        // Only RDS's own table has a row: no GR tables, no Repl log lines, no GR procedure call.
        assert_eq!(!answer.is_empty(), *sql == probe::BINLOG_RETENTION, "{sql}");
    }
}

#[tokio::test]
async fn an_offline_member_shows_only_its_own_row_with_its_version_and_no_role() {
    // Never started since boot, and stopped after having run.
    for start in [StartState::Unconfigured, StartState::Stopped] {
        let sim = Cluster::start(SimConfig::with_members(2).start_state(start))
            .await
            .unwrap();
        let mut conn = connect(&sim, "db2").await;
        let members: Vec<(String, String, i64, String, String, String)> =
            bounded(conn.query(probe::MEMBERS)).await.unwrap();
        let me = sim.truth().member("db2").cloned().unwrap();
        assert_eq!(
            members,
            [(
                me.server_uuid,
                "ip-10-0-2-12".to_string(),
                3306,
                "OFFLINE".to_string(),
                String::new(),
                "8.0.36".to_string()
            )],
            "{start:?}"
        );
    }
}

#[tokio::test]
async fn several_variables_with_aliases_and_scopes_in_one_select() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    let rows = rows(
        &mut conn,
        "SELECT @@GLOBAL.read_only AS ro, @@session.autocommit, @@super_read_only sro, 'x', 7",
    )
    .await;
    let names: Vec<String> = rows[0]
        .columns_ref()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    assert_eq!(names, ["ro", "@@session.autocommit", "sro", "x", "7"]);
    let values: (i64, i64, i64, String, i64) = mysql_async::from_row(rows[0].clone());
    assert_eq!(values, (0, 1, 0, "x".to_string(), 7));
}

#[tokio::test]
async fn select_star_where_in_like_order_by_and_limit_work_on_the_tables() {
    let sim = cluster(3).await;
    let mut conn = connect(&sim, "db1").await;
    let all = rows(
        &mut conn,
        "SELECT * FROM performance_schema.replication_group_members",
    )
    .await;
    assert_eq!(all[0].columns_ref().len(), 8);
    let truth = sim.truth();
    let (a, c) = (&truth.members[0].server_uuid, &truth.members[2].server_uuid);
    let picked = column(
        &mut conn,
        &format!(
            "SELECT MEMBER_HOST FROM performance_schema.replication_group_members m \
             WHERE m.MEMBER_ID IN ('{a}', '{c}') AND (MEMBER_STATE = 'online' OR MEMBER_ROLE <> 'PRIMARY') \
             ORDER BY MEMBER_HOST DESC"
        ),
    )
    .await;
    assert_eq!(picked, ["ip-10-0-3-13", "ip-10-0-1-11"]);
    let limited = column(
        &mut conn,
        "SELECT MEMBER_HOST h FROM performance_schema.replication_group_members \
         WHERE MEMBER_HOST LIKE 'ip-10-0-%' ORDER BY h LIMIT 1, 1",
    )
    .await;
    assert_eq!(limited, ["ip-10-0-2-12"]);
    let none = rows(
        &mut conn,
        "SELECT * FROM performance_schema.error_log WHERE ERROR_CODE = 'MY-011526'",
    )
    .await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn unknown_tables_columns_variables_and_bad_syntax_get_mysql_errors() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    assert_eq!(
        error_code(&mut conn, "SELECT * FROM performance_schema.nope").await,
        1146
    );
    assert_eq!(
        error_code(&mut conn, "SELECT NOPE FROM performance_schema.error_log").await,
        1054
    );
    assert_eq!(
        error_code(
            &mut conn,
            "SELECT 1 FROM performance_schema.error_log WHERE nope = 1"
        )
        .await,
        1054
    );
    assert_eq!(
        error_code(&mut conn, "SELECT @@no_such_variable").await,
        1193
    );
    assert_eq!(error_code(&mut conn, "SELEC 1").await, 1064);
    assert_eq!(error_code(&mut conn, "SELECT * FROM t").await, 1046);
    assert_eq!(
        error_code(
            &mut conn,
            "SET GLOBAL group_replication_member_expel_timeout = 3"
        )
        .await,
        1227
    );
    let err = bounded(conn.query_drop("SELECT * FROM performance_schema.nope"))
        .await
        .unwrap_err();
    let mysql_async::Error::Server(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.code, e.state.as_str(), e.message.as_str()),
        (
            1146,
            "42S02",
            "Table 'performance_schema.nope' doesn't exist"
        )
    );
}

#[tokio::test]
async fn set_names_autocommit_and_user_variables_answer_ok() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    bounded(conn.query_drop("SET NAMES utf8mb4")).await.unwrap();
    bounded(conn.query_drop("SET @@session.autocommit = OFF"))
        .await
        .unwrap();
    assert_eq!(column(&mut conn, "SELECT @@autocommit").await, ["0"]);
    bounded(conn.query_drop("SET @x = 'hello'")).await.unwrap();
    assert_eq!(column(&mut conn, "SELECT @x").await, ["hello"]);
}

#[tokio::test]
async fn binlog_retention_is_set_with_rds_set_configuration() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    bounded(conn.query_drop("CALL mysql.rds_set_configuration('binlog retention hours', 168)"))
        .await
        .unwrap();
    assert_eq!(column(&mut conn, probe::BINLOG_RETENTION).await, ["168"]);
    let all: Vec<Row> = rows(
        &mut conn,
        "SELECT name, value, description FROM mysql.rds_configuration",
    )
    .await;
    assert_eq!(all.len(), 3);
}

#[tokio::test]
async fn a_write_commits_with_the_group_gtid_on_every_member() {
    let sim = cluster(3).await;
    let mut conn = connect(&sim, "db3").await;
    bounded(conn.query_drop("INSERT INTO test.t VALUES (1), (2)"))
        .await
        .unwrap();
    assert_eq!(conn.affected_rows(), 2);
    let group = "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251";
    for name in ["db1", "db2", "db3"] {
        let mut c = connect(&sim, name).await;
        assert_eq!(
            column(&mut c, "SELECT @@gtid_executed").await,
            [format!("{group}:1-4")]
        );
    }
    // A transaction: two writes, one GTID at COMMIT.
    bounded(conn.query_drop("BEGIN")).await.unwrap();
    bounded(conn.query_drop("UPDATE test.t SET a = 1"))
        .await
        .unwrap();
    bounded(conn.query_drop("DELETE FROM test.t"))
        .await
        .unwrap();
    bounded(conn.query_drop("COMMIT")).await.unwrap();
    assert_eq!(sim.truth().groups[0].gtid_executed, format!("{group}:1-5"));
}

#[tokio::test]
async fn gtid_sets_of_several_uuids_print_separated_by_comma_newline() {
    let sim = cluster(1).await;
    let errant = sim
        .inject(gr_sim::Fault::ErrantTransaction {
            member: "db1".to_string(),
            count: 2,
        })
        .unwrap();
    let mut conn = connect(&sim, "db1").await;
    let executed = column(&mut conn, "SELECT @@gtid_executed").await.remove(0);
    let uuid = sim.truth().members[0].server_uuid.clone();
    assert_eq!(errant, [format!("{uuid}:1"), format!("{uuid}:2")]);
    let group = "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251:1-3";
    let expected = if uuid.as_str() < group {
        format!("{uuid}:1-2,\n{group}")
    } else {
        format!("{group},\n{uuid}:1-2")
    };
    assert_eq!(executed, expected);
    let subset = column(
        &mut conn,
        &format!("SELECT GTID_SUBSET('{group}', @@gtid_executed)"),
    )
    .await;
    assert_eq!(subset, ["1"]);
}

#[tokio::test]
async fn with_autocommit_off_writes_commit_at_commit_or_when_autocommit_returns() {
    let sim = cluster(2).await;
    let mut conn = connect(&sim, "db1").await;
    let group = "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251";
    bounded(conn.query_drop("SET autocommit = 0"))
        .await
        .unwrap();
    bounded(conn.query_drop("INSERT INTO test.t VALUES (1)"))
        .await
        .unwrap();
    bounded(conn.query_drop("INSERT INTO test.t VALUES (2)"))
        .await
        .unwrap();
    assert_eq!(sim.truth().groups[0].gtid_executed, format!("{group}:1-3"));
    bounded(conn.query_drop("COMMIT")).await.unwrap();
    assert_eq!(sim.truth().groups[0].gtid_executed, format!("{group}:1-4"));
    bounded(conn.query_drop("INSERT INTO test.t VALUES (3)"))
        .await
        .unwrap();
    bounded(conn.query_drop("ROLLBACK")).await.unwrap();
    bounded(conn.query_drop("INSERT INTO test.t VALUES (4)"))
        .await
        .unwrap();
    bounded(conn.query_drop("SET autocommit = 1"))
        .await
        .unwrap();
    assert_eq!(sim.truth().groups[0].gtid_executed, format!("{group}:1-5"));
}

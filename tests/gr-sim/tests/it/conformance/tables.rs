//! The performance_schema tables grkeeper reads, held to `gr_perfschema` and to the plugin code
//! that fills them (`ps_information.cc`, `member_info.cc`).

use gr_sim::StartState;

use super::*;

const APPLIER: &str = "SELECT GROUP_NAME, SOURCE_UUID, THREAD_ID, SERVICE_STATE \
                       FROM performance_schema.replication_connection_status \
                       WHERE CHANNEL_NAME = 'group_replication_applier'";

type ApplierRow = (String, String, Option<i64>, String);

async fn applier(sim: &Cluster, name: &str) -> Vec<ApplierRow> {
    let mut conn = connect(sim, name).await;
    bounded(conn.query(APPLIER)).await.unwrap()
}

/// `mysql-test/suite/group_replication/t/gr_perfschema.test`: before GR ever started there is no
/// `group_replication_applier` row in `replication_connection_status`; once started there is one
/// (GROUP_NAME and SOURCE_UUID the group name, THREAD_ID NULL, SERVICE_STATE ON); after STOP it
/// stays, OFF.
#[tokio::test]
async fn the_applier_channel_appears_at_the_first_start_and_stays_after_stop() {
    let sim = start(suite(2).start_state(StartState::Unconfigured)).await;
    assert!(applier(&sim, "db1").await.is_empty());
    for name in ["db1", "db2"] {
        let mut conn = connect(&sim, name).await;
        call(
            &mut conn,
            "CALL mysql.rds_group_replication_create_user('pw')",
        )
        .await
        .unwrap();
        call(
            &mut conn,
            "CALL mysql.rds_group_replication_set_recovery_channel('pw')",
        )
        .await
        .unwrap();
    }
    assert!(applier(&sim, "db2").await.is_empty());
    start_gr(&sim, "db1", true).await.unwrap();
    start_gr(&sim, "db2", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    let group = "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251".to_string();
    for name in ["db1", "db2"] {
        assert_eq!(
            applier(&sim, name).await,
            [(group.clone(), group.clone(), None, "ON".to_string())],
            "{name}"
        );
    }
    for name in ["db2", "db1"] {
        stop_gr(&sim, name).await;
        assert_eq!(
            applier(&sim, name).await,
            [(group.clone(), group.clone(), None, "OFF".to_string())],
            "{name}"
        );
    }
}

/// Not a mysql-test original: `plugin/group_replication/src/ps_information.cc` and
/// `member_info.cc` (`get_member_role_string`). MEMBER_ROLE is PRIMARY (multi-primary) only while
/// the member's own status is ONLINE or RECOVERING, so an UNREACHABLE row keeps it; an OFFLINE or
/// ERROR member lists only itself, with an empty role and its version; the member-stats table of
/// an OFFLINE member holds its own id only, and VIEW_ID follows each view change.
#[tokio::test]
async fn member_rows_carry_role_and_version_as_the_plugin_fills_them() {
    let sim = start(suite(3)).await;
    let view = "SELECT VIEW_ID FROM performance_schema.replication_group_member_stats";
    let mut db1 = connect(&sim, "db1").await;
    let first: Vec<String> = bounded(db1.query(view)).await.unwrap();
    isolate(&sim, "db3");
    sim.advance(6 * SECOND).unwrap();
    let rows = members(&sim, "db1").await;
    let db3 = rows.iter().find(|r| r.name == "db3").unwrap();
    assert_eq!(
        (db3.state.as_str(), db3.role.as_str(), db3.version.as_str()),
        ("UNREACHABLE", "PRIMARY", "8.0.36")
    );
    sim.advance(5 * SECOND).unwrap();
    let second: Vec<String> = bounded(db1.query(view)).await.unwrap();
    assert_eq!(second.len(), 2);
    assert_ne!(first[0], second[0], "a new view after the expel");
    sim.heal().unwrap();
    assert_eq!(
        members(&sim, "db3").await,
        [MemberRow {
            name: "db3".to_string(),
            state: "ERROR".to_string(),
            role: String::new(),
            version: "8.0.36".to_string(),
        }]
    );
    stop_gr(&sim, "db3").await;
    assert_eq!(members(&sim, "db3").await[0].state, "OFFLINE");
    assert_eq!(members(&sim, "db3").await[0].version, "8.0.36");
    let mut db3 = connect(&sim, "db3").await;
    let stats: Vec<(String, Option<String>)> =
        bounded(db3.query(
            "SELECT MEMBER_ID, VIEW_ID FROM performance_schema.replication_group_member_stats",
        ))
        .await
        .unwrap();
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].0, sim.truth().member("db3").unwrap().server_uuid);
}

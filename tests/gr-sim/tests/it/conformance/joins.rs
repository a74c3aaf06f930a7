//! Joining: the version rules, distributed recovery (donors that purged or refuse the login,
//! writes refused while recovering or after recovery failed) and joining under load.

use gr_sim::{Fault, StartState, Version};

use super::*;

fn version(text: &str) -> Version {
    text.parse().unwrap()
}

fn executed(sim: &Cluster, name: &str) -> String {
    sim.truth().member(name).unwrap().gtid_executed.clone()
}

/// Changes the member's server version through an RDS engine version change (the originals flip
/// a debug point instead) and waits for it to be back.
async fn reinstall(sim: &Cluster, name: &str, to: &str) {
    sim.rds().upgrade(name, version(to)).unwrap();
    sim.advance(31 * SECOND).unwrap();
    listening(sim, name).await;
}

/// `mysql-test/suite/group_replication/t/gr_multiple_version_members.test`: a group is judged by
/// its lowest version. Base 8.0.36: server 1 at patch+1 bootstraps; server 2 at minor+1 joins
/// (read compatible, so super-read-only, with the log line); server 3 at the base version is
/// refused with 3092, then at major+1 joins; server 4 at minor+1 joins (8.0.16+: compared with the
/// lowest only); server 1 leaves and, back at the base version, is refused as the lowest is now
/// minor+1.
#[tokio::test]
async fn a_joiner_is_judged_by_the_lowest_version_in_the_group() {
    let sim = start(
        suite(4)
            .start_state(StartState::Stopped)
            .member("db1", |m| m.version = version("8.0.37"))
            .member("db2", |m| m.version = version("8.1.36"))
            .member("db3", |m| m.version = version("8.0.36"))
            .member("db4", |m| m.version = version("8.1.36")),
    )
    .await;
    // The simulator set the cluster up by starting every member once: count from here.
    let read_compatible = "Member version is read compatible with the group";
    let logged = log_count(&sim, "db2", read_compatible).await;
    start_gr(&sim, "db1", true).await.unwrap();
    sim.commit("db1", 1).unwrap();
    start_gr(&sim, "db2", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(executed(&sim, "db2"), executed(&sim, "db1"));
    assert_eq!(log_count(&sim, "db2", read_compatible).await, logged + 1);
    assert_eq!(modes(&sim, "db2").await.0, 1, "newer than the lowest");
    assert_eq!(modes(&sim, "db1").await.0, 0, "the lowest");

    assert_eq!(start_gr(&sim, "db3", false).await, Err(3092));
    reinstall(&sim, "db3", "9.0.36").await;
    start_gr(&sim, "db3", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(executed(&sim, "db3"), executed(&sim, "db1"));

    start_gr(&sim, "db4", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 4);

    stop_gr(&sim, "db1").await;
    reinstall(&sim, "db1", "8.0.36").await;
    assert_eq!(start_gr(&sim, "db1", false).await, Err(3092));
    assert_eq!(group_size(&sim, "db2").await, 3);
}

/// `mysql-test/suite/group_replication/t/gr_super_read_only_version_module.test`: a joiner with a
/// higher major version joins read-only: its writes fail with 1290
/// (ER_OPTION_PREVENTS_STATEMENT); STOP leaves it super-read-only (the original's
/// `stop_group_replication.inc` asserts it, then turns it off itself).
#[tokio::test]
async fn a_newer_major_version_joins_read_only() {
    let sim = start(
        suite(3)
            .start_state(StartState::Stopped)
            .member("db3", |m| m.version = version("9.0.36")),
    )
    .await;
    start_gr(&sim, "db1", true).await.unwrap();
    start_gr(&sim, "db2", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db1").await, 2);
    start_gr(&sim, "db3", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db3", "ONLINE").await, 3);
    let mut db3 = connect(&sim, "db3").await;
    assert_eq!(
        error_code(
            &mut db3,
            "CREATE TABLE test.t1 (i INT PRIMARY KEY NOT NULL)"
        )
        .await,
        1290
    );
    stop_gr(&sim, "db3").await;
}

/// `mysql-test/suite/group_replication/t/gr_recovery_purged_donor_failover.test`: one donor purged
/// what the joiner lacks, the other refuses its recovery login: the joiner stays RECOVERING,
/// trying them again; once the second donor accepts the login it recovers from it and is ONLINE
/// with the group's data.
#[tokio::test]
async fn recovery_fails_over_from_a_purged_donor_to_one_fixed_meanwhile() {
    let sim = start(suite(3)).await;
    stop_gr(&sim, "db3").await;
    sim.commit("db1", 1).unwrap();
    sim.inject(Fault::PurgeBinlogs {
        member: "db1".to_string(),
        upto: None,
    })
    .unwrap();
    let mut db2 = connect(&sim, "db2").await;
    let altered = call(
        &mut db2,
        "CALL mysql.rds_group_replication_create_user('another-password')",
    )
    .await
    .unwrap();
    assert!(altered.unwrap().contains("password altered"));
    start_gr(&sim, "db3", false).await.unwrap();
    sim.advance(120 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("RECOVERING")
    );
    call(
        &mut db2,
        "CALL mysql.rds_group_replication_create_user('rdsgrprepl-secret')",
    )
    .await
    .unwrap();
    sim.advance(60 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("ONLINE")
    );
    assert_eq!(executed(&sim, "db3"), executed(&sim, "db1"));
}

/// `mysql-test/suite/group_replication/t/gr_abort_query_on_plugin_error.test`: a joiner whose
/// recovery cannot log in to a donor ends in ERROR (after its retries), where writes fail with
/// 1290; with the channel fixed, STOP and START get it ONLINE, writes work and both members hold
/// the same GTIDs.
#[tokio::test]
async fn writes_fail_in_error_after_a_failed_recovery_and_work_once_fixed() {
    let sim = start(suite(2)).await;
    stop_gr(&sim, "db2").await;
    let mut db2 = connect(&sim, "db2").await;
    call(
        &mut db2,
        "CALL mysql.rds_group_replication_set_recovery_channel('wrong')",
    )
    .await
    .unwrap();
    start_gr(&sim, "db2", false).await.unwrap();
    sim.advance(600 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("ERROR")
    );
    assert_eq!(
        error_code(&mut db2, "INSERT INTO test.t1 (b) VALUES (1)").await,
        1290
    );
    stop_gr(&sim, "db2").await;
    call(
        &mut db2,
        "CALL mysql.rds_group_replication_set_recovery_channel('rdsgrprepl-secret')",
    )
    .await
    .unwrap();
    start_gr(&sim, "db2", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    bounded(db2.query_drop("INSERT INTO test.t1 (b) VALUES (1)"))
        .await
        .unwrap();
    assert_eq!(executed(&sim, "db2"), executed(&sim, "db1"));
}

/// `mysql-test/suite/group_replication/t/gr_abort_query_on_plugin_recovery.test`: while a joiner
/// is RECOVERING its writes fail with 1290 (super-read-only); once ONLINE they work and both
/// members hold the same GTIDs.
#[tokio::test]
async fn writes_fail_while_recovering_and_work_once_online() {
    let sim = start(suite(2)).await;
    stop_gr(&sim, "db2").await;
    sim.commit("db1", 5_000).unwrap();
    start_gr(&sim, "db2", false).await.unwrap();
    let mut db2 = connect(&sim, "db2").await;
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("RECOVERING")
    );
    assert_eq!(
        error_code(&mut db2, "INSERT INTO test.t1 (b) VALUES (1)").await,
        1290
    );
    sim.advance(7 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("ONLINE")
    );
    bounded(db2.query_drop("INSERT INTO test.t1 (b) VALUES (1)"))
        .await
        .unwrap();
    assert_eq!(executed(&sim, "db2"), executed(&sim, "db1"));
}

/// `mysql-test/suite/group_replication/t/gr_addmember_insert_on_nondonor.test`: a member joins
/// while 100 rows are inserted on another member; all three end ONLINE with the same GTIDs.
#[tokio::test]
async fn a_member_joining_under_writes_ends_with_every_transaction() {
    let sim = start(suite(3)).await;
    stop_gr(&sim, "db3").await;
    sim.commit("db1", 100).unwrap();
    start_gr(&sim, "db3", false).await.unwrap();
    assert_eq!(
        state_seen(&sim, "db1", "db3").await.as_deref(),
        Some("RECOVERING")
    );
    let mut db2 = connect(&sim, "db2").await;
    for row in 101..=200 {
        bounded(db2.query_drop(format!("INSERT INTO test.t1 VALUES ({row})")))
            .await
            .unwrap();
    }
    sim.advance(2 * SECOND).unwrap();
    for viewer in ["db1", "db2", "db3"] {
        assert_eq!(count_in(&sim, viewer, "ONLINE").await, 3, "{viewer}");
    }
    assert_eq!(executed(&sim, "db3"), executed(&sim, "db1"));
    assert_eq!(executed(&sim, "db3"), executed(&sim, "db2"));
}

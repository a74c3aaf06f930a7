//! A member left in a minority: its writes block, `unreachable_majority_timeout` ends the wait,
//! and a restarted peer cannot rejoin a group that has no majority to admit it.

use super::*;

/// `mysql-test/suite/group_replication/t/gr_network_partition_handling.test` (timeout 11): with
/// both peers crashed, server 1 shows them UNREACHABLE and a write on it blocks; when the timeout
/// runs out the member goes ERROR, super-read-only, and the blocked write fails with 3100
/// (ER_RUN_HOOK_ERROR).
#[tokio::test]
async fn a_blocked_write_fails_with_3100_when_the_minority_member_leaves() {
    let sim = start(suite(3).member("db1", |m| m.unreachable_majority_timeout = 11)).await;
    sim.crash("db2").unwrap();
    sim.crash("db3").unwrap();
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db1", "db2").await.as_deref(),
        Some("UNREACHABLE")
    );
    assert_eq!(
        state_seen(&sim, "db1", "db3").await.as_deref(),
        Some("UNREACHABLE")
    );
    let mut conn = connect(&sim, "db1").await;
    let write =
        tokio::spawn(async move { conn.query_drop("INSERT INTO test.t1 VALUES (2)").await });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(!write.is_finished(), "blocked without a majority");
    sim.advance(9 * SECOND).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(!write.is_finished(), "still blocked at 15 s");
    sim.advance(SECOND).unwrap();
    let failed = bounded(write).await.unwrap().unwrap_err();
    assert_eq!(code(&failed), 3100);
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("ERROR")
    );
    assert_eq!(modes(&sim, "db1").await.0, 1);
}

/// `mysql-test/suite/group_replication/t/gr_majority_loss_restart_mysql.test` (steps 0-4 of its
/// `suite/group_replication/include/gr_majority_loss_restart.inc`; the rest forces a membership
/// with `group_replication_force_members`, which RDS does not offer): in a group of two, server 2
/// crashes; a write on server 1 blocks; server 2, restarted with start on boot, is refused and
/// the group stays blocked.
#[tokio::test]
async fn a_restarted_member_cannot_rejoin_a_group_that_lost_its_majority() {
    let sim = start(suite(2).member("db2", |m| m.start_on_boot = true)).await;
    sim.crash("db2").unwrap();
    let mut conn = connect(&sim, "db1").await;
    let write =
        tokio::spawn(async move { conn.query_drop("INSERT INTO test.t1 VALUES (1)").await });
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db1", "db2").await.as_deref(),
        Some("UNREACHABLE")
    );
    restart(&sim, "db2").await;
    sim.advance(60 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("OFFLINE")
    );
    assert_eq!(
        members(&sim, "db1")
            .await
            .iter()
            .map(|r| (r.name.as_str(), r.state.as_str()))
            .collect::<Vec<_>>(),
        [("db1", "ONLINE"), ("db2", "UNREACHABLE")]
    );
    assert!(!write.is_finished(), "the write is still blocked");
    assert_eq!(start_gr(&sim, "db2", false).await, Err(3092));
}

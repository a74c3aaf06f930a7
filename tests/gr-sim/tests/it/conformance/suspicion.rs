//! Suspicions and `group_replication_member_expel_timeout`: UNREACHABLE rows, when a suspect is
//! expelled, what a member resuming before or after that sees, and joins meanwhile.

use super::*;

fn expel_timeout(seconds: u32) -> impl Fn(&mut gr_sim::MemberSpec) {
    move |m| m.member_expel_timeout = seconds
}

/// `(ONLINE rows, UNREACHABLE rows)` in `viewer`'s table.
async fn online_unreachable(sim: &Cluster, viewer: &str) -> (usize, usize) {
    (
        count_in(sim, viewer, "ONLINE").await,
        count_in(sim, viewer, "UNREACHABLE").await,
    )
}

async fn insert(sim: &Cluster, name: &str, row: u32) {
    let mut conn = connect(sim, name).await;
    bounded(conn.query_drop(format!("INSERT INTO test.t1 VALUES ({row})")))
        .await
        .unwrap();
}

fn executed(sim: &Cluster, name: &str) -> String {
    sim.truth().member(name).unwrap().gtid_executed.clone()
}

/// `mysql-test/suite/group_replication/t/gr_suspect_member_resumes.test`: with a 300 s expel
/// timeout a silent member stays listed UNREACHABLE while the other two keep committing; when it
/// comes back it is ONLINE again everywhere, the same incarnation, with what it missed.
#[tokio::test]
async fn a_suspect_back_before_the_expel_timeout_is_online_again_with_what_it_missed() {
    let sim = start(suite(3).all_members(expel_timeout(300))).await;
    isolate(&sim, "db3");
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db1").await, (2, 1));
    assert_eq!(online_unreachable(&sim, "db2").await, (2, 1));
    insert(&sim, "db2", 2).await;
    assert_eq!(executed(&sim, "db1"), executed(&sim, "db2"));
    sim.advance(4 * SECOND).unwrap();
    sim.heal().unwrap();
    for viewer in ["db1", "db2", "db3"] {
        assert_eq!(count_in(&sim, viewer, "ONLINE").await, 3, "{viewer}");
    }
    assert_eq!(executed(&sim, "db3"), executed(&sim, "db2"));
    assert_eq!(
        log_count(&sim, "db1", "has become unreachable").await,
        1,
        "one suspicion"
    );
    assert_eq!(log_count(&sim, "db1", "is reachable again").await, 1);
}

/// `mysql-test/suite/group_replication/t/gr_suspect_member_resumes_after_expel.test`: with a 5 s
/// expel timeout the silent member is UNREACHABLE, then expelled; the others commit on; when it
/// comes back it is alone in ERROR; STOP and START bring it back with what it missed.
#[tokio::test]
async fn a_suspect_back_after_the_expel_timeout_is_error_until_restarted() {
    let sim = start(suite(3).all_members(expel_timeout(5))).await;
    isolate(&sim, "db3");
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db1").await, (2, 1));
    assert_eq!(online_unreachable(&sim, "db2").await, (2, 1));
    sim.advance(5 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db1").await, 2);
    assert_eq!(group_size(&sim, "db2").await, 2);
    insert(&sim, "db2", 2).await;
    assert_eq!(executed(&sim, "db1"), executed(&sim, "db2"));
    sim.heal().unwrap();
    let own = members(&sim, "db3").await;
    assert_eq!((own.len(), own[0].state.as_str()), (1, "ERROR"));
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 2);
    assert_eq!(count_in(&sim, "db2", "ONLINE").await, 2);
    stop_gr(&sim, "db3").await;
    start_gr(&sim, "db3", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    for viewer in ["db1", "db2", "db3"] {
        assert_eq!(count_in(&sim, viewer, "ONLINE").await, 3, "{viewer}");
    }
    assert_eq!(executed(&sim, "db3"), executed(&sim, "db1"));
}

/// `mysql-test/suite/group_replication/t/gr_suspect_member_resumes_after_crash_join_retries.test`:
/// a crashed member that restarts with start on boot is still listed UNREACHABLE (its old self)
/// while the 20 s expel timeout runs; its join retries get it in once the old self is expelled:
/// three ONLINE, and super_read_only OFF on it.
#[tokio::test]
async fn a_crashed_member_starting_on_boot_gets_in_once_its_old_self_is_expelled() {
    let sim = start(
        suite(3)
            .all_members(expel_timeout(20))
            .member("db3", |m| m.start_on_boot = true),
    )
    .await;
    sim.crash("db3").unwrap();
    restart(&sim, "db3").await;
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db1").await, (2, 1));
    assert_eq!(online_unreachable(&sim, "db2").await, (2, 1));
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("OFFLINE")
    );
    sim.advance(21 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db3", "ONLINE").await, 3);
    let mut db3 = connect(&sim, "db3").await;
    assert_eq!(flag(&mut db3, "@@super_read_only").await, 0);
}

/// `mysql-test/suite/group_replication/t/gr_suspect_member_resumes_after_crash_mysql.test` (its
/// steps in `suite/group_replication/include/gr_suspect_member_resumes_after_crash.inc`): with a
/// 3600 s expel timeout a crashed and restarted member is UNREACHABLE to the others, who commit
/// on; its START fails with 3092 while its old self is listed; once expelled (the original lowers
/// the timeout, here the clock runs it out) START gets it back with what it missed.
#[tokio::test]
async fn start_is_refused_while_the_old_self_is_listed_then_succeeds() {
    let sim = start(suite(3).all_members(expel_timeout(3600))).await;
    sim.crash("db3").unwrap();
    restart(&sim, "db3").await;
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db1").await, (2, 1));
    insert(&sim, "db2", 2).await;
    assert_eq!(executed(&sim, "db1"), executed(&sim, "db2"));
    assert_eq!(start_gr(&sim, "db3", false).await, Err(3092));
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("OFFLINE")
    );
    sim.advance(3600 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db1").await, 2);
    start_gr(&sim, "db3", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    for viewer in ["db1", "db2", "db3"] {
        assert_eq!(count_in(&sim, viewer, "ONLINE").await, 3, "{viewer}");
    }
    assert_eq!(executed(&sim, "db3"), executed(&sim, "db2"));
}

/// `mysql-test/suite/group_replication/t/gr_suspect_member_statistics.test` (without its
/// `replication_group_communication_information` counters, which the simulator does not serve):
/// three times over, a crashed member is UNREACHABLE for the 15 s expel timeout, then gone, and
/// START brings it back; then the same for another member.
#[tokio::test]
async fn each_crash_is_unreachable_for_the_expel_timeout_then_expelled() {
    let sim = start(suite(3).all_members(expel_timeout(15))).await;
    for (name, rounds) in [("db3", 3), ("db2", 1)] {
        for _ in 0..rounds {
            sim.crash(name).unwrap();
            restart(&sim, name).await;
            sim.advance(6 * SECOND).unwrap();
            assert_eq!(online_unreachable(&sim, "db1").await, (2, 1));
            sim.advance(13 * SECOND).unwrap();
            assert_eq!(online_unreachable(&sim, "db1").await, (2, 1), "at 19 s");
            sim.advance(SECOND).unwrap();
            assert_eq!(group_size(&sim, "db1").await, 2);
            start_gr(&sim, name, false).await.unwrap();
            sim.advance(2 * SECOND).unwrap();
            for viewer in ["db1", "db2", "db3"] {
                assert_eq!(count_in(&sim, viewer, "ONLINE").await, 3, "{viewer}");
            }
        }
    }
}

/// `mysql-test/suite/group_replication/t/gr_majority_loss_restored_after_timeout.test`: four
/// members, expel timeout 30. Server 3 goes silent; 15 s later server 4 too, so the other two
/// have no majority and cannot expel server 3 when its suspicion times out. When server 4 is back,
/// server 3 is still listed UNREACHABLE, and a new suspicion, not the old one, decides: it is
/// expelled 30 s later; resumed, it finds itself in ERROR.
#[tokio::test]
async fn a_suspicion_that_timed_out_without_a_majority_starts_over_when_it_returns() {
    let sim = start(suite(4).all_members(expel_timeout(30))).await;
    sim.partition(&[&["db3"]]).unwrap();
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db2").await, (3, 1));
    sim.advance(9 * SECOND).unwrap();
    sim.partition(&[&["db3"], &["db4"]]).unwrap();
    sim.advance(6 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db2").await, (2, 2));
    // At 35 s server 3's first suspicion would have expelled it; without a majority it stays.
    sim.advance(14 * SECOND).unwrap();
    sim.partition(&[&["db3"]]).unwrap();
    assert_eq!(online_unreachable(&sim, "db2").await, (3, 1));
    sim.advance(29 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db2").await, (3, 1), "at 64 s");
    sim.advance(SECOND).unwrap();
    assert_eq!(group_size(&sim, "db2").await, 3);
    assert_eq!(count_in(&sim, "db2", "ONLINE").await, 3);
    sim.heal().unwrap();
    let own = members(&sim, "db3").await;
    assert_eq!((own.len(), own[0].state.as_str()), (1, "ERROR"));
}

/// `mysql-test/suite/group_replication/t/gr_join_with_suspect_member.test`: while server 3 is
/// suspected (expel timeout 300) server 4 cannot join: START fails with 3092 after
/// `Timeout on wait for view after joining group`, and server 3 is not expelled for it. Once
/// server 3 is expelled (the original sets the timeout to 0; here it runs out) server 4 joins, and
/// server 3, resumed, STOP and START, makes four ONLINE.
#[tokio::test]
async fn a_join_is_refused_while_a_member_is_suspected() {
    let sim = start(suite(4).all_members(expel_timeout(300))).await;
    stop_gr(&sim, "db4").await;
    sim.partition(&[&["db3"]]).unwrap();
    sim.advance(11 * SECOND).unwrap();
    assert_eq!(online_unreachable(&sim, "db1").await, (2, 1));
    assert_eq!(start_gr(&sim, "db4", false).await, Err(3092));
    assert_eq!(
        log_count(&sim, "db4", "Timeout on wait for view after joining group").await,
        1
    );
    assert_eq!(online_unreachable(&sim, "db1").await, (2, 1));
    sim.advance(300 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 2);
    assert_eq!(group_size(&sim, "db1").await, 2);
    start_gr(&sim, "db4", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    sim.heal().unwrap();
    stop_gr(&sim, "db3").await;
    start_gr(&sim, "db3", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 4);
}

/// `mysql-test/suite/group_replication/t/gr_member_expel_during_shutdown.test`: in a group of
/// five, server 5 crashes and server 4 restarts (cleanly, starting on boot) while server 5 is
/// being expelled: server 4 comes back ONLINE in a group of four ONLINE members.
#[tokio::test]
async fn a_member_restarting_while_another_is_expelled_comes_back_online() {
    let sim = start(suite(5).member("db4", |m| m.start_on_boot = true)).await;
    assert_eq!(count_in(&sim, "db4", "ONLINE").await, 5);
    sim.crash("db5").unwrap();
    sim.rds().reboot("db4").unwrap();
    sim.advance(40 * SECOND).unwrap();
    listening(&sim, "db4").await;
    assert_eq!(
        state_seen(&sim, "db4", "db4").await.as_deref(),
        Some("ONLINE")
    );
    assert_eq!(count_in(&sim, "db4", "ONLINE").await, 4);
    assert_eq!(group_size(&sim, "db1").await, 4);
}

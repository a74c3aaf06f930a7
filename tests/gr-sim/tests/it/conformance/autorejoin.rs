//! Auto-rejoin: when it runs, what the member shows while it retries (ERROR, super_read_only, the
//! `events_stages_current` stage), what it logs, and how it ends.
//!
//! The originals make attempts fail with debug points; here an attempt fails because the member is
//! still cut off, which needs it to leave while cut off: by `unreachable_majority_timeout`, the
//! other way into auto-rejoin.

use super::*;

const STAGE: &str = "SELECT EVENT_NAME, WORK_COMPLETED, WORK_ESTIMATED \
                     FROM performance_schema.events_stages_current WHERE EVENT_NAME LIKE '%auto-rejoin%'";

/// The auto-rejoin stage rows of `name`: (name, WORK_COMPLETED, WORK_ESTIMATED).
async fn stage(sim: &Cluster, name: &str) -> Vec<(String, i64, i64)> {
    let mut conn = connect(sim, name).await;
    bounded(conn.query(STAGE)).await.unwrap()
}

fn rejoin_stage(attempts: i64) -> Vec<(String, i64, i64)> {
    vec![(
        "stage/group_rpl/Undergoing auto-rejoin procedure".to_string(),
        attempts,
        0,
    )]
}

/// `mysql-test/suite/group_replication/t/gr_autorejoin_option.test`, step 3: with
/// `group_replication_autorejoin_tries` 0 an expelled member stays in ERROR and no auto-rejoin runs
/// (no stage, no attempt in the log).
#[tokio::test]
async fn without_tries_an_expelled_member_does_not_rejoin() {
    let sim = start(suite(3)).await;
    isolate(&sim, "db2");
    sim.advance(11 * SECOND).unwrap();
    sim.heal().unwrap();
    sim.advance(600 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("ERROR")
    );
    assert!(stage(&sim, "db2").await.is_empty());
    assert_eq!(
        log_count(&sim, "db2", "Started auto-rejoin procedure").await,
        0
    );
}

/// `mysql-test/suite/group_replication/t/gr_autorejoin_option.test`, steps 4-5: with tries the
/// process runs: the member is ERROR and super-read-only with one attempt counted in the stage
/// while the first attempt has failed; the next one, 5 minutes later, gets it back ONLINE and the
/// stage ends.
#[tokio::test]
async fn with_tries_the_member_retries_in_error_then_rejoins() {
    let sim = start(suite(3).member("db2", |m| {
        m.autorejoin_tries = 2;
        m.unreachable_majority_timeout = 3;
    }))
    .await;
    isolate(&sim, "db2");
    sim.advance(8 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("ERROR")
    );
    assert_eq!(stage(&sim, "db2").await, rejoin_stage(1));
    assert_eq!(modes(&sim, "db2").await, (1, 1, 0));
    assert_eq!(
        log_count(&sim, "db2", "Started auto-rejoin procedure attempt 1 of 2").await,
        1
    );
    sim.heal().unwrap();
    sim.advance(299 * SECOND).unwrap();
    assert_eq!(stage(&sim, "db2").await, rejoin_stage(1), "still waiting");
    sim.advance(SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db2", "db2").await.as_deref(),
        Some("RECOVERING")
    );
    assert!(stage(&sim, "db2").await.is_empty());
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db2", "ONLINE").await, 3);
    let log = repl_log(&sim, "db2").await;
    assert!(
        log.iter().any(|(code, data)| code == "MY-013375"
            && data.contains("attempt 2 of 2 finished. Member was able to join the group.")),
        "{log:?}"
    );
}

/// `mysql-test/suite/group_replication/t/gr_autorejoin_majority_loss_rejoin_successful.test`: a
/// member that left after a majority loss (timeout 10, one try) rejoins the group its peers
/// re-created meanwhile: RECOVERING on itself and on both peers, then ONLINE, three members.
#[tokio::test]
async fn after_a_majority_loss_the_member_rejoins_the_recreated_group() {
    // As in the original, server 3 finds the re-created group through server 2 only.
    let sim = start(
        suite(3)
            .member("db1", |m| {
                m.autorejoin_tries = 1;
                m.unreachable_majority_timeout = 10;
            })
            .member("db3", |m| m.seeds = Some(vec!["db2".to_string()])),
    )
    .await;
    sim.crash("db2").unwrap();
    sim.crash("db3").unwrap();
    sim.advance(SECOND).unwrap();
    restart(&sim, "db2").await;
    start_gr(&sim, "db2", true).await.unwrap();
    let mut db2 = connect(&sim, "db2").await;
    for row in 1..=4 {
        bounded(db2.query_drop(format!("INSERT INTO test.t1 VALUES ({row})")))
            .await
            .unwrap();
    }
    restart(&sim, "db3").await;
    start_gr(&sim, "db3", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db2", "ONLINE").await, 2);
    assert_eq!(count_in(&sim, "db3", "ONLINE").await, 2);

    sim.advance(12 * SECOND).unwrap();
    for viewer in ["db1", "db2", "db3"] {
        assert_eq!(
            state_seen(&sim, viewer, "db1").await.as_deref(),
            Some("RECOVERING"),
            "as {viewer} sees it"
        );
    }
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("ONLINE")
    );
    for viewer in ["db1", "db2", "db3"] {
        assert_eq!(count_in(&sim, viewer, "ONLINE").await, 3, "{viewer}");
    }
}

/// `mysql-test/suite/group_replication/t/gr_autorejoin_failure_during_mid_join.test`: when the
/// only attempt fails the member ends in ERROR, super-read-only, the auto-rejoin over (no stage)
/// and `MY-013375 ... attempt 1 of 1 finished. Member was not able to join the group.` logged.
#[tokio::test]
async fn a_failed_last_attempt_ends_in_error_with_the_finished_line() {
    let sim = start(suite(3).member("db1", |m| {
        m.autorejoin_tries = 1;
        m.unreachable_majority_timeout = 3;
    }))
    .await;
    isolate(&sim, "db1");
    sim.advance(8 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db1", "db1").await.as_deref(),
        Some("ERROR")
    );
    assert!(stage(&sim, "db1").await.is_empty());
    assert_eq!(modes(&sim, "db1").await, (1, 1, 0));
    let log = repl_log(&sim, "db1").await;
    assert!(
        log.iter().any(|(code, data)| code == "MY-013375"
            && data
                == "Plugin group_replication reported: 'Auto-rejoin procedure attempt 1 of 1 \
                    finished. Member was not able to join the group.'"),
        "{log:?}"
    );
    sim.heal().unwrap();
    // The group expels its old self 10 s after losing it; then it can start again.
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db2").await, 2);
    stop_gr(&sim, "db1").await;
    start_gr(&sim, "db1", false).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 3);
}

/// `mysql-test/suite/group_replication/t/gr_autorejoin_while_recovery_locked.test`: a member
/// thrown out while still RECOVERING goes ERROR; its attempts fail (here: it is still cut off),
/// the stage counting two after the second; it stays ERROR; once an attempt can succeed it gets
/// back ONLINE.
#[tokio::test]
async fn a_member_thrown_out_while_recovering_retries_then_gets_back_online() {
    let sim = start(suite(3).member("db3", |m| {
        m.autorejoin_tries = 3;
        m.unreachable_majority_timeout = 3;
    }))
    .await;
    stop_gr(&sim, "db3").await;
    // Enough to keep db3 recovering for a while (1 ms a transaction).
    sim.commit("db1", 20_000).unwrap();
    start_gr(&sim, "db3", false).await.unwrap();
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("RECOVERING")
    );
    isolate(&sim, "db3");
    sim.advance(11 * SECOND).unwrap();
    assert_eq!(group_size(&sim, "db1").await, 2);
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("ERROR")
    );
    sim.advance(300 * SECOND).unwrap();
    assert_eq!(stage(&sim, "db3").await, rejoin_stage(2));
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("ERROR")
    );
    sim.heal().unwrap();
    sim.advance(300 * SECOND).unwrap();
    sim.advance(30 * SECOND).unwrap();
    assert_eq!(
        state_seen(&sim, "db3", "db3").await.as_deref(),
        Some("ONLINE")
    );
    assert_eq!(count_in(&sim, "db1", "ONLINE").await, 3);
}

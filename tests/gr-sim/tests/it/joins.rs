//! Join scenarios on the manual clock: restarts (automatic and manual rejoin), refused joiners
//! (errant GTIDs, 9.7 initialization GTIDs, purged binlogs, older 8.0 versions), older 8.4
//! releases admitted, version skew,
//! recovery time, complete outage with re-bootstrap, and a split brain from a second bootstrap.

use std::time::Duration;

use gr_sim::{Cluster, Fault, GtidSet, SimConfig, StartState, Version};
use mysql_async::Conn;
use mysql_async::prelude::*;

use crate::support::*;

const SECOND: Duration = Duration::from_secs(1);

fn version(v: &str) -> Version {
    v.parse().unwrap()
}

#[tokio::test]
async fn restarted_member_comes_back_offline_then_rejoins_by_itself_once_its_old_self_is_expelled()
{
    let sim = cluster(3).await;
    sim.crash("db3").unwrap();
    sim.restart("db3").unwrap();
    sim.advance(SECOND).unwrap();
    let mut conn = connect(&sim, "db3").await;
    assert_eq!(states(&sim, "db3").await, pairs(&[("db3", "OFFLINE")]));
    let member: Vec<(String, String)> = bounded(conn.query(
        "SELECT MEMBER_ROLE, MEMBER_VERSION FROM performance_schema.replication_group_members",
    ))
    .await
    .unwrap();
    assert_eq!(member, [(String::new(), "8.0.36".to_string())]);
    assert_eq!(column(&mut conn, "SELECT @@super_read_only").await, ["1"]);
    let log = column(
        &mut conn,
        "SELECT DATA FROM performance_schema.error_log WHERE PRIO = 'Warning'",
    )
    .await;
    assert!(
        log.iter().any(|l| l.contains("Old incarnation found")),
        "{log:?}"
    );
    // Expelled at 10 s; the boot-time join retries every 5 s and gets in then.
    sim.advance(9 * SECOND).unwrap();
    assert_eq!(sim.truth().state("db3"), "RECOVERING");
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
}

#[tokio::test]
async fn restarted_member_without_start_on_boot_stays_offline_until_started_by_hand() {
    let sim = Cluster::start(SimConfig::with_members(3).member("db3", |m| m.start_on_boot = false))
        .await
        .unwrap();
    sim.crash("db3").unwrap();
    sim.restart("db3").unwrap();
    sim.advance(60 * SECOND).unwrap();
    assert_eq!(sim.truth().state("db3"), "OFFLINE");
    assert_eq!(sim.truth().groups[0].view, ["db1", "db2"]);
    let mut conn = connect(&sim, "db3").await;
    let message = call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    assert!(message.unwrap().contains("recovery is in progress"));
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
}

#[tokio::test]
async fn errant_joiner_is_refused_with_3092_and_an_error_log_line() {
    let sim = cluster(3).await;
    let mut db3 = connect(&sim, "db3").await;
    call(&mut db3, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    let errant = sim
        .inject(Fault::ErrantTransaction {
            member: "db3".to_string(),
            count: 1,
        })
        .unwrap();
    let err = call(&mut db3, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap_err();
    assert_eq!(code(&err), 3092);
    assert_eq!(sim.truth().state("db3"), "OFFLINE");
    let log: Vec<(String, String)> = bounded(db3.query(
        "SELECT ERROR_CODE, DATA FROM performance_schema.error_log WHERE SUBSYSTEM = 'Repl' \
         ORDER BY LOGGED DESC LIMIT 2",
    ))
    .await
    .unwrap();
    assert_eq!(log[0].0, "MY-011522");
    assert_eq!(log[1].0, "MY-011526");
    assert!(log[1].1.contains("This member has more executed transactions than those present in the group. Local transactions: "));
    assert!(log[1].1.contains(&errant[0]));

    // AWS's remedy: empty placeholder transactions on every other member, then start again.
    let (uuid, gno) = errant[0].split_once(':').unwrap();
    for name in ["db1", "db2"] {
        let mut conn = connect(&sim, name).await;
        let sql = format!("CALL mysql.rds_group_replication_advance_gtid({gno}, {gno}, '{uuid}')");
        call(&mut conn, &sql).await.unwrap();
    }
    call(&mut db3, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
}

/// RDS's 9.7 initialization GTIDs: members the cluster starts with were synced both ways as
/// AWS's setup procedure does; a new instance holding its own is refused (3092, MY-011526) until
/// every member holds placeholders for them, and then joins.
#[tokio::test]
async fn a_new_9_7_member_with_initialization_gtids_is_refused_until_the_members_hold_them() {
    let sim = Cluster::start(
        SimConfig::with_members(3)
            .all_members(|m| {
                m.version = version("9.7.0");
                m.initialization_gtids = 2;
            })
            .member("db3", |m| {
                m.initialization_gtids = 4;
                m.joins_at_start = false;
                m.start_on_boot = false;
            }),
    )
    .await
    .unwrap();
    let truth = sim.truth();
    let uuid = |name: &str| truth.member(name).unwrap().server_uuid.clone();
    for (member, other) in [("db1", "db2"), ("db2", "db1")] {
        let executed = &truth.member(member).unwrap().gtid_executed;
        assert!(
            executed.contains(&format!("{}:1-2", uuid(other))),
            "{truth:#?}"
        );
        assert!(!executed.contains(&uuid("db3")), "{truth:#?}");
    }
    assert_eq!(truth.state("db3"), "OFFLINE");

    let mut db3 = connect(&sim, "db3").await;
    let err = call(&mut db3, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap_err();
    assert_eq!(code(&err), 3092);
    let log: Vec<(String, String)> = bounded(db3.query(
        "SELECT ERROR_CODE, DATA FROM performance_schema.error_log WHERE SUBSYSTEM = 'Repl' \
         ORDER BY LOGGED DESC LIMIT 2",
    ))
    .await
    .unwrap();
    assert_eq!(log[1].0, "MY-011526");
    assert!(
        log[1].1.contains(&format!("{}:1-4", uuid("db3"))),
        "{log:?}"
    );

    let own = format!(
        "CALL mysql.rds_group_replication_advance_gtid(1, 4, '{}')",
        uuid("db3")
    );
    for name in ["db1", "db2"] {
        call(&mut connect(&sim, name).await, &own).await.unwrap();
        let theirs = format!(
            "CALL mysql.rds_group_replication_advance_gtid(1, 2, '{}')",
            uuid(name)
        );
        call(&mut db3, &theirs).await.unwrap();
    }
    call(&mut db3, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged(), "{:#?}", sim.truth());
}

#[tokio::test]
async fn a_member_not_on_9_7_cannot_be_given_initialization_gtids() {
    let refused = Cluster::start(SimConfig::with_members(1).all_members(|m| {
        m.initialization_gtids = 1;
    }))
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn joiner_whose_missing_transactions_were_purged_on_every_donor_ends_in_error() {
    let sim = cluster(3).await;
    let mut db3 = connect(&sim, "db3").await;
    call(&mut db3, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    sim.commit("db1", 10).unwrap();
    for name in ["db1", "db2"] {
        sim.inject(Fault::PurgeBinlogs {
            member: name.to_string(),
            upto: None,
        })
        .unwrap();
    }
    let message = call(&mut db3, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    assert!(message.unwrap().contains("recovery is in progress"));
    sim.advance(2 * SECOND).unwrap();
    let me = sim.truth().member("db3").cloned().unwrap();
    assert_eq!(
        (me.state.as_deref(), me.offline_mode),
        (Some("ERROR"), true)
    );
    assert_eq!(sim.truth().groups[0].view, ["db1", "db2"]);
    // Offline mode: grkeeper can only see it from the peers; the truth keeps the log line.
    assert_eq!(code(&connect_error(&sim, "db3").await), 3032);
    sim.inject(Fault::OfflineMode {
        member: "db3".to_string(),
        on: false,
    })
    .unwrap();
    let mut db3 = connect(&sim, "db3").await;
    let channel: Vec<(i64, String)> = bounded(db3.query(
        "SELECT LAST_ERROR_NUMBER, LAST_ERROR_MESSAGE FROM performance_schema.replication_connection_status \
         WHERE CHANNEL_NAME = 'group_replication_recovery'",
    ))
    .await
    .unwrap();
    assert_eq!(channel[0].0, 13114);
    assert!(channel[0].1.contains("purged required binary logs"));
    let codes = column(
        &mut db3,
        "SELECT ERROR_CODE FROM performance_schema.error_log",
    )
    .await;
    assert!(codes.contains(&"MY-013467".to_string()), "{codes:?}");
}

#[tokio::test]
async fn a_donor_that_kept_its_binlogs_lets_the_joiner_recover() {
    let sim = cluster(3).await;
    sim.inject(Fault::Crash {
        member: "db3".to_string(),
    })
    .unwrap();
    sim.advance(11 * SECOND).unwrap();
    let gtids = sim.commit("db1", 4).unwrap();
    let purged: GtidSet = gtids[0].parse().unwrap();
    sim.inject(Fault::PurgeBinlogs {
        member: "db1".to_string(),
        upto: Some(purged.to_string()),
    })
    .unwrap();
    sim.restart("db3").unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged(), "db2 still has every binlog");
    assert_eq!(
        sim.truth().member("db1").unwrap().gtid_purged,
        purged.to_string()
    );
}

/// `members` members; db2 left while db1 committed 1000 transactions, and has just started GR
/// again (RECOVERING, with db2's connection).
async fn db2_rejoining_1000_behind(members: usize) -> (Cluster, Conn) {
    let sim = cluster(members).await;
    let mut db2 = connect(&sim, "db2").await;
    call(&mut db2, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    sim.commit("db1", 1000).unwrap();
    call(&mut db2, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    (sim, db2)
}

#[tokio::test]
async fn recovery_time_grows_with_the_transactions_the_joiner_lacks() {
    let (sim, mut db2) = db2_rejoining_1000_behind(2).await;
    // Timing::rds(): 1 s base + 1 ms per missing transaction.
    sim.advance(Duration::from_millis(1900)).unwrap();
    assert_eq!(sim.truth().state("db2"), "RECOVERING");
    assert_eq!(column(&mut db2, "SELECT @@super_read_only").await, ["1"]);
    let mut db1 = connect(&sim, "db1").await;
    let uuid = sim.truth().member("db2").unwrap().server_uuid.clone();
    let queue = column(
        &mut db1,
        &format!(
            "SELECT COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE FROM \
             performance_schema.replication_group_member_stats WHERE MEMBER_ID = '{uuid}'"
        ),
    )
    .await;
    assert_eq!(queue, ["1000"]);
    sim.advance(Duration::from_millis(200)).unwrap();
    assert_eq!(sim.truth().state("db2"), "ONLINE");
}

/// Chaos seed 4458: a joiner certifies what the group commits while it recovers and queues it in
/// its applier channel; it applies those transactions once its recovery ends, even when every
/// member that had executed them has gone meanwhile (MySQL never drops a certified transaction).
/// The simulator used to hand them only to ONLINE members: the group lost them, and the member
/// that committed them was refused back for holding them (errant).
#[tokio::test]
async fn a_joiner_applies_what_it_certified_while_recovering_after_every_holder_left() {
    let (sim, mut db2) = db2_rejoining_1000_behind(3).await;
    assert_eq!(sim.truth().state("db2"), "RECOVERING");
    sim.partition(&[&["db1", "db2"]]).unwrap();
    let certified: GtidSet = sim.commit("db1", 5).unwrap().join(",").parse().unwrap();
    let received = column(
        &mut db2,
        "SELECT RECEIVED_TRANSACTION_SET FROM performance_schema.replication_connection_status \
         WHERE CHANNEL_NAME = 'group_replication_applier'",
    )
    .await;
    let received: GtidSet = received[0].parse().unwrap();
    assert!(
        certified.is_subset_of(&received),
        "{received} lacks {certified}"
    );
    sim.crash("db1").unwrap();
    sim.heal().unwrap();
    for _ in 0..600 {
        sim.advance(SECOND).unwrap();
        if sim.truth().state("db2") == "ONLINE" {
            break;
        }
    }
    let truth = sim.truth();
    assert_eq!(truth.state("db2"), "ONLINE", "{}", truth.summary());
    for name in ["db2", "db3"] {
        let executed: GtidSet = truth.member(name).unwrap().gtid_executed.parse().unwrap();
        assert!(
            certified.is_subset_of(&executed),
            "{name} lacks {certified}"
        );
    }
    // The member that committed them is no longer errant: it comes back by itself.
    sim.restart("db1").unwrap();
    for _ in 0..60 {
        sim.advance(SECOND).unwrap();
    }
    assert_eq!(
        sim.truth().state("db1"),
        "ONLINE",
        "{}",
        sim.truth().summary()
    );
    assert!(sim.truth().converged(), "{}", sim.truth().summary());
}

/// Chaos seed 948: a joiner whose only donor left before its recovery finished turned ONLINE
/// without the group's transactions, alone, and issued their GTIDs again. With no donor it
/// cannot recover: it stays RECOVERING while it looks for one, then ends in ERROR.
#[tokio::test]
async fn a_joiner_whose_every_donor_left_never_turns_online_without_the_group_transactions() {
    let (sim, _db2) = db2_rejoining_1000_behind(2).await;
    sim.advance(Duration::from_millis(500)).unwrap();
    assert_eq!(sim.truth().state("db2"), "RECOVERING");
    let mut db1 = connect(&sim, "db1").await;
    call(&mut db1, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    for _ in 0..3600 {
        sim.advance(SECOND).unwrap();
        assert_ne!(sim.truth().state("db2"), "ONLINE", "ONLINE without a donor");
    }
    assert_eq!(sim.truth().state("db2"), "ERROR");
    assert!(sim.commit("db2", 1).is_err(), "db2 took a write");
}

#[tokio::test]
async fn version_skew_makes_the_newer_member_read_only_and_refuses_an_older_joiner() {
    let sim = Cluster::start(
        SimConfig::with_members(3)
            .all_members(|m| m.version = version("8.0.37"))
            .member("db2", |m| m.version = version("8.0.38"))
            .member("db3", |m| m.version = version("8.0.36")),
    )
    .await
    .unwrap();
    // db3 is older than the group's lowest version (8.0 rule): refused at start.
    assert_eq!(sim.truth().state("db3"), "OFFLINE");
    let mut db3 = connect(&sim, "db3").await;
    let err = call(&mut db3, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap_err();
    assert_eq!(code(&err), 3092);
    let log = column(
        &mut db3,
        "SELECT DATA FROM performance_schema.error_log WHERE PRIO = 'Error'",
    )
    .await;
    assert!(
        log.iter()
            .any(|l| l.contains("Member version is incompatible with the group"))
    );
    // db2 is newer than the lowest (8.0.37): ONLINE but super-read-only.
    let mut db2 = connect(&sim, "db2").await;
    assert_eq!(sim.truth().state("db2"), "ONLINE");
    assert_eq!(column(&mut db2, "SELECT @@super_read_only").await, ["1"]);
    assert_eq!(
        error_code(&mut db2, "INSERT INTO test.t VALUES (1)").await,
        1290
    );
    let mut db1 = connect(&sim, "db1").await;
    assert_eq!(column(&mut db1, "SELECT @@super_read_only").await, ["0"]);
}

/// Starts `group` ONLINE and `joiner` stopped, then has the joiner call
/// `rds_group_replication_start(0)`; returns the cluster and the call's result.
async fn join_with_versions(
    group: &str,
    joiner: &str,
) -> (Cluster, Result<Option<String>, mysql_async::Error>) {
    let sim = Cluster::start(
        SimConfig::with_members(3)
            .all_members(|m| m.version = version(group))
            .member("db3", |m| m.version = version(joiner)),
    )
    .await
    .unwrap();
    let mut db3 = connect(&sim, "db3").await;
    if sim.truth().state("db3") != "OFFLINE" {
        call(&mut db3, "CALL mysql.rds_group_replication_stop()")
            .await
            .unwrap();
    }
    let started = call(&mut db3, "CALL mysql.rds_group_replication_start(0)").await;
    (sim, started)
}

#[tokio::test]
async fn an_8_4_0_joiner_is_admitted_into_an_8_4_2_group_and_writable() {
    let (sim, started) = join_with_versions("8.4.2", "8.4.0").await;
    assert!(
        started
            .unwrap()
            .unwrap()
            .contains("recovery is in progress")
    );
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
    let mut db3 = connect(&sim, "db3").await;
    assert_eq!(column(&mut db3, "SELECT @@super_read_only").await, ["0"]);
    bounded(db3.query_drop("INSERT INTO test.t VALUES (1)"))
        .await
        .unwrap();
    // Inside the 8.4 series patch releases count as one version: the newer members stay writable.
    assert!(sim.truth().members.iter().all(|m| !m.super_read_only));
}

#[tokio::test]
async fn an_8_0_35_joiner_is_refused_by_an_8_0_36_group_with_3092() {
    let (sim, started) = join_with_versions("8.0.36", "8.0.35").await;
    assert_eq!(code(&started.unwrap_err()), 3092);
    assert_eq!(sim.truth().state("db3"), "OFFLINE");
    assert_eq!(sim.truth().groups[0].view, ["db1", "db2"]);
}

#[tokio::test]
async fn rolling_upgrade_keeps_upgraded_members_read_only_until_the_last_old_one_leaves() {
    let sim = cluster(2).await;
    sim.rds().upgrade("db1", version("8.0.37")).unwrap();
    assert_eq!(sim.rds().status("db1").unwrap().as_str(), "upgrading");
    sim.advance(31 * SECOND).unwrap();
    let db1 = sim.truth().member("db1").cloned().unwrap();
    assert_eq!(
        (
            db1.version.as_str(),
            db1.state.as_deref(),
            db1.super_read_only
        ),
        ("8.0.37", Some("ONLINE"), true)
    );
    sim.rds().upgrade("db2", version("8.0.37")).unwrap();
    // db2 left cleanly: db1 now runs the lowest version and turns writable.
    assert!(!sim.truth().member("db1").unwrap().super_read_only);
    sim.advance(33 * SECOND).unwrap();
    assert!(sim.truth().converged());
    assert!(sim.truth().members.iter().all(|m| !m.super_read_only));
}

#[tokio::test]
async fn complete_outage_then_bootstrap_from_the_superset_member_and_rejoin_of_the_rest() {
    let sim = cluster(3).await;
    sim.crash("db3").unwrap();
    sim.advance(11 * SECOND).unwrap();
    let committed = sim.commit("db1", 2).unwrap();
    sim.inject(Fault::CompleteOutage).unwrap();
    for name in ["db1", "db2", "db3"] {
        sim.restart(name).unwrap();
    }
    // Each member tries its seeds 10 times, 5 s apart; nobody bootstraps.
    sim.advance(60 * SECOND).unwrap();
    let truth = sim.truth();
    assert!(truth.groups.is_empty());
    assert!(
        truth
            .members
            .iter()
            .all(|m| m.state.as_deref() == Some("OFFLINE") && m.super_read_only)
    );

    // Find the member whose gtid_executed contains every other one, over SQL.
    let mut sets = Vec::new();
    for name in ["db1", "db2", "db3"] {
        let mut conn = connect(&sim, name).await;
        let set: GtidSet = column(&mut conn, "SELECT @@gtid_executed").await[0]
            .parse()
            .unwrap();
        sets.push((name, set));
    }
    let superset = sets
        .iter()
        .find(|(_, s)| sets.iter().all(|(_, o)| o.is_subset_of(s)))
        .map(|(n, _)| *n)
        .unwrap();
    assert_ne!(superset, "db3", "db3 missed the last transactions");
    let mut boot = connect(&sim, superset).await;
    let started = call(&mut boot, "CALL mysql.rds_group_replication_start(1)")
        .await
        .unwrap();
    assert_eq!(
        started.as_deref(),
        Some("Group replication started successfully.")
    );
    for name in ["db1", "db2", "db3"].into_iter().filter(|n| *n != superset) {
        let mut conn = connect(&sim, name).await;
        call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
            .await
            .unwrap();
        sim.advance(2 * SECOND).unwrap();
    }
    let truth = sim.truth();
    assert!(truth.converged());
    let group: GtidSet = truth.groups[0].gtid_executed.parse().unwrap();
    for gtid in committed {
        let (uuid, gno) = gtid.split_once(':').unwrap();
        assert!(group.contains(uuid, gno.parse().unwrap()), "{gtid} lost");
    }
}

#[tokio::test]
async fn a_second_bootstrap_creates_a_split_brain_that_the_views_reveal() {
    let sim = Cluster::start(SimConfig::with_members(3).start_state(StartState::Stopped))
        .await
        .unwrap();
    let mut db1 = connect(&sim, "db1").await;
    let mut db2 = connect(&sim, "db2").await;
    call(&mut db1, "CALL mysql.rds_group_replication_start(1)")
        .await
        .unwrap();
    call(&mut db2, "CALL mysql.rds_group_replication_start(1)")
        .await
        .unwrap();
    let truth = sim.truth();
    assert!(truth.split_brain());
    assert_eq!(truth.groups.len(), 2);
    assert_eq!(truth.groups[0].group_name, truth.groups[1].group_name);
    // Both accept writes, with colliding GTIDs for different transactions.
    sim.commit("db1", 1).unwrap();
    sim.commit("db2", 1).unwrap();
    let view = "SELECT VIEW_ID FROM performance_schema.replication_group_member_stats";
    let (v1, v2) = (column(&mut db1, view).await, column(&mut db2, view).await);
    assert_ne!(v1, v2, "two views of the same group name");
    assert_eq!(states(&sim, "db1").await, pairs(&[("db1", "ONLINE")]));
    assert_eq!(states(&sim, "db2").await, pairs(&[("db2", "ONLINE")]));
}

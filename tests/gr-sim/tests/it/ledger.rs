//! What the simulator keeps for a checker, and the faults a chaos schedule needs: every
//! bootstrap with the members live at that moment, every GTID issued twice, a restored copy
//! sharing its original's `server_uuid`, a spare member that starts outside the group, a
//! reboot that takes as long as RDS makes it, and a crashed member's port kept for its return.

use std::time::Duration;

use gr_sim::{Cluster, Fault, InstanceStatus, SimConfig};
use mysql_async::prelude::*;

use crate::support::*;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_bootstrap_beside_a_live_group_and_the_gtids_both_groups_issue_are_on_record() {
    let sim = cluster(3).await;
    let first = sim.truth().bootstraps;
    assert_eq!(first.len(), 1, "the start: db1 bootstraps");
    assert!(first[0].live.is_empty());
    sim.partition(&[&["db1"]]).unwrap();
    let mut db1 = connect(&sim, "db1").await;
    for statement in [
        "CALL mysql.rds_group_replication_stop()",
        "CALL mysql.rds_group_replication_start(1)",
    ] {
        bounded(db1.query_drop(statement)).await.unwrap();
    }
    let truth = sim.truth();
    let second = &truth.bootstraps[1];
    assert_eq!((second.member.as_str(), second.incarnation), ("db1", 2));
    assert_eq!(second.live, ["db2:1", "db3:1"]);
    assert!(truth.reused_gtids.is_empty());

    let mine = sim.commit("db1", 1).unwrap();
    let theirs = sim.commit("db2", 1).unwrap();
    assert_eq!(
        mine, theirs,
        "both groups number their next transaction alike"
    );
    let reused = sim.truth().reused_gtids;
    assert_eq!(reused.len(), 1);
    assert_eq!(
        (reused[0].member.as_str(), &reused[0].gtids),
        ("db2", &theirs[0])
    );
}

#[tokio::test]
async fn a_restored_copy_has_its_original_s_uuid_and_data_and_the_group_refuses_it_while_the_original_is_in()
 {
    let config = SimConfig::with_members(4).member("db4", |m| m.joins_at_start = false);
    let sim = Cluster::start(config).await.unwrap();
    let truth = sim.truth();
    assert_eq!(truth.state("db4"), "OFFLINE");
    assert_eq!(truth.member("db4").unwrap().gtid_executed, "");
    assert_eq!(truth.groups[0].view, ["db1", "db2", "db3"]);

    sim.commit("db1", 2).unwrap();
    sim.inject(Fault::Restore {
        member: "db4".into(),
        from: "db2".into(),
    })
    .unwrap();
    let truth = sim.truth();
    let (copy, original) = (truth.member("db4").unwrap(), truth.member("db2").unwrap());
    assert_eq!(copy.server_uuid, original.server_uuid);
    assert_eq!(copy.gtid_executed, original.gtid_executed);
    // Its start at boot was refused: a member with its server_uuid is in the group.
    assert_eq!(truth.state("db4"), "OFFLINE");
    let mut db4 = connect(&sim, "db4").await;
    let codes = column(
        &mut db4,
        "SELECT ERROR_CODE FROM performance_schema.error_log WHERE PRIO = 'Error'",
    )
    .await;
    assert!(codes.contains(&"MY-011516".to_owned()), "{codes:?}");
    let start = "CALL mysql.rds_group_replication_start(0)";
    assert_eq!(error_code(&mut db4, start).await, 3092);

    // Once the original is expelled, the group takes the copy in its place.
    sim.crash("db2").unwrap();
    sim.advance(11 * SECOND).unwrap();
    bounded(db4.query_drop(start)).await.unwrap();
    sim.advance(2 * SECOND).unwrap();
    assert_eq!(sim.truth().state("db4"), "ONLINE");
}

#[tokio::test]
async fn a_reboot_lasts_as_long_as_rds_makes_it() {
    let sim = cluster(3).await;
    sim.rds().reboot_lasting("db3", 600 * SECOND).unwrap();
    sim.advance(599 * SECOND).unwrap();
    assert_eq!(sim.rds().status("db3").unwrap(), InstanceStatus::Rebooting);
    sim.advance(SECOND).unwrap();
    assert_eq!(sim.rds().status("db3").unwrap(), InstanceStatus::Available);
}

#[tokio::test]
async fn a_crashed_member_s_port_refuses_connections_and_stays_its_own_until_it_is_back() {
    let sim = cluster(3).await;
    let addr = sim.addr("db2").unwrap();
    sim.crash("db2").unwrap();
    // The listener closes as the member's task sees the crash.
    let refused = async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    };
    bounded(refused).await;
    // A client's socket (no SO_REUSEADDR, as an ephemeral port is bound) cannot take it.
    let client = tokio::net::TcpSocket::new_v4().unwrap();
    assert!(
        client.bind(addr).is_err(),
        "nothing else can take the port while db2 is down"
    );
    sim.restart("db2").unwrap();
    let mut db2 = bounded(async {
        loop {
            if let Ok(conn) = mysql_async::Conn::new(opts(&sim, "db2")).await {
                return conn;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(column(&mut db2, "SELECT @@hostname").await.len(), 1);
}

#[tokio::test]
async fn the_truth_s_summary_names_each_member_s_state_and_each_live_group() {
    let sim = cluster(3).await;
    sim.crash("db3").unwrap();
    sim.rds().reboot("db2").unwrap();
    let summary = sim.truth().summary();
    assert_eq!(
        summary,
        "db1 ONLINE, db2 DOWN (RDS rebooting), db3 DOWN; group #1 of [db1, db2, db3] with \
         [db1] ONLINE, no majority"
    );
}

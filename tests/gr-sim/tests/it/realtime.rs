//! The real-time clock (as the binary and end-to-end tests run it) and the network faults that
//! only real time shows: blackhole and latency.

use std::time::{Duration, Instant};

use gr_sim::{Cluster, Fault, InstanceStatus, SimConfig, Timing};
use mysql_async::Conn;
use mysql_async::prelude::*;

use crate::support::*;

async fn live(n: usize) -> Cluster {
    Cluster::start(SimConfig::with_members(n).real_time(Timing::fast()))
        .await
        .unwrap()
}

#[tokio::test]
async fn blackholed_member_makes_a_client_connect_time_out_without_hanging_the_test() {
    let sim = cluster(2).await;
    sim.inject(Fault::Blackhole {
        member: "db2".to_string(),
        on: true,
    })
    .unwrap();
    let started = Instant::now();
    let attempt =
        tokio::time::timeout(Duration::from_millis(300), Conn::new(opts(&sim, "db2"))).await;
    assert!(attempt.is_err(), "the connect should time out");
    assert!(started.elapsed() < Duration::from_secs(2));
    // The other member still answers.
    connect(&sim, "db1").await;
}

#[tokio::test]
async fn a_blackhole_also_silences_open_connections() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    sim.inject(Fault::Blackhole {
        member: "db1".to_string(),
        on: true,
    })
    .unwrap();
    let query = tokio::time::timeout(Duration::from_millis(300), conn.query_drop("SELECT 1")).await;
    assert!(query.is_err(), "the query should time out");
}

#[tokio::test]
async fn latency_delays_every_reply() {
    let sim = cluster(1).await;
    let mut conn = connect(&sim, "db1").await;
    sim.inject(Fault::Latency {
        member: "db1".to_string(),
        ms: 150,
    })
    .unwrap();
    let started = Instant::now();
    column(&mut conn, "SELECT 1").await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn in_real_time_a_crashed_member_is_expelled_and_a_reboot_brings_it_back() {
    let sim = live(3).await;
    sim.crash("db3").unwrap();
    sim.wait_for(Duration::from_secs(5), |t| {
        t.groups.first().is_some_and(|g| g.view == ["db1", "db2"])
    })
    .await
    .unwrap();
    sim.rds().reboot("db3").unwrap();
    assert_eq!(sim.rds().status("db3").unwrap(), InstanceStatus::Rebooting);
    let truth = sim
        .wait_for(Duration::from_secs(5), |t| t.converged())
        .await
        .unwrap();
    assert_eq!(
        truth.member("db3").unwrap().instance_status,
        InstanceStatus::Available
    );
    assert!(
        sim.advance(Duration::from_secs(1)).is_err(),
        "advance is for the manual clock"
    );
}

#[tokio::test]
async fn in_real_time_the_procedures_sleep_and_a_blocked_write_resumes_when_quorum_returns() {
    // A long expel timeout (300 × 10 ms) so the heal surely comes before the expulsion.
    let sim = Cluster::start(
        SimConfig::with_members(3)
            .real_time(Timing::fast())
            .all_members(|m| m.member_expel_timeout = 300),
    )
    .await
    .unwrap();
    let mut conn = connect(&sim, "db1").await;
    let started = Instant::now();
    call(&mut conn, "CALL mysql.rds_group_replication_stop()")
        .await
        .unwrap();
    assert!(started.elapsed() >= Timing::fast().proc_sleep);
    call(&mut conn, "CALL mysql.rds_group_replication_start(0)")
        .await
        .unwrap();
    sim.wait_for(Duration::from_secs(5), |t| t.converged())
        .await
        .unwrap();

    sim.partition(&[&["db1"], &["db2", "db3"]]).unwrap();
    let write = tokio::spawn(async move { conn.query_drop("INSERT INTO test.t VALUES (1)").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!write.is_finished());
    sim.heal().unwrap();
    bounded(write).await.unwrap().unwrap();
}

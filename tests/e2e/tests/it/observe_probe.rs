//! The MySQL member probe against the simulator over TCP: what it reads matches the simulator's
//! ground truth, and each failure is the right `ProbeError`, within its time bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gr_sim::{Fault, SimConfig, Timing};
use grkeeper::adapters::mysql::{ConnectSettings, MysqlMembers};
use grkeeper::config::{CaBundle, Tls};
use grkeeper::gtid::GtidSet;
use grkeeper::model::{MemberState, ProbeError};
use grkeeper::ports::member_probe::MemberProbe;
use grkeeper::ports::secrets::Credentials;

use crate::sim_members::Sim;

const CONNECT: Duration = Duration::from_secs(2);

fn state(text: &str) -> MemberState {
    serde_json::from_value(serde_json::json!(text)).unwrap()
}

/// These bounds, TLS off.
fn bounds(connect_timeout: Duration, query_timeout: Duration) -> ConnectSettings {
    ConnectSettings {
        connect_timeout,
        query_timeout,
        tls: Tls::Disabled,
    }
}

/// A probe of `sim` under `settings`.
fn probe_with(sim: &Sim, settings: ConnectSettings) -> MysqlMembers {
    MysqlMembers::new(
        settings,
        Credentials::new(sim.cluster.user(), sim.cluster.password()),
    )
}

fn latency(sim: &Sim, member: &str, ms: u64) {
    sim.cluster
        .inject(Fault::Latency {
            member: member.into(),
            ms,
        })
        .unwrap();
}

#[tokio::test]
async fn a_healthy_three_member_probe_matches_the_simulators_truth() {
    let sim = Sim::start(SimConfig::with_members(3), CONNECT).await;
    let truth = sim.cluster.truth();
    for name in ["db1", "db2", "db3"] {
        let report = sim.members.probe(&sim.endpoint(name)).await.unwrap();
        let real = truth.member(name).unwrap();
        assert_eq!(report.server_uuid, real.server_uuid);
        assert_eq!(report.version, real.version);
        assert_eq!(report.read_only, real.read_only);
        assert_eq!(report.super_read_only, real.super_read_only);
        assert!(!report.offline_mode);
        assert_eq!(
            report.gtid_executed,
            real.gtid_executed.parse::<GtidSet>().unwrap()
        );
        assert_eq!(
            report.gtid_purged,
            real.gtid_purged.parse::<GtidSet>().unwrap()
        );
        assert_eq!(report.own_state(), MemberState::Online);
        let view: Vec<(String, MemberState)> = report
            .view
            .iter()
            .map(|m| (m.member_id.clone(), m.state))
            .collect();
        let expected: Vec<(String, MemberState)> = real
            .view
            .iter()
            .map(|(member, s)| (sim.uuid(member), state(s)))
            .collect();
        assert_eq!(view, expected, "{name}");
        assert!(report.settings.group_name.is_some(), "{report:?}");
        assert_eq!(report.settings.group_seeds.len(), 3, "{report:?}");
        assert_eq!(
            report.settings.exit_state_action.as_deref(),
            Some("OFFLINE_MODE")
        );
        assert_eq!(report.stats.len(), 3, "{report:?}");
    }
}

#[tokio::test]
async fn a_member_in_offline_mode_refuses_the_probe_with_3032() {
    let sim = Sim::start(SimConfig::with_members(3), CONNECT).await;
    sim.cluster
        .inject(Fault::OfflineMode {
            member: "db2".into(),
            on: true,
        })
        .unwrap();
    let error = sim.members.probe(&sim.endpoint("db2")).await.unwrap_err();
    assert!(error.is_offline_mode(), "{error:?}");
}

#[tokio::test]
async fn a_kept_connection_cut_by_offline_mode_gives_3032_on_the_next_probe() {
    let sim = Sim::start(SimConfig::with_members(3), CONNECT).await;
    sim.members.probe(&sim.endpoint("db2")).await.unwrap();
    sim.cluster
        .inject(Fault::OfflineMode {
            member: "db2".into(),
            on: true,
        })
        .unwrap();
    let error = sim.members.probe(&sim.endpoint("db2")).await.unwrap_err();
    assert!(error.is_offline_mode(), "{error:?}");
}

#[tokio::test]
async fn a_wrong_password_is_access_denied_1045() {
    let sim = Sim::start(SimConfig::with_members(1), CONNECT).await;
    let wrong = Sim::with_credentials(
        Arc::clone(&sim.cluster),
        Credentials::new(sim.cluster.user(), "wrong"),
        CONNECT,
    );
    let error = wrong
        .members
        .probe(&wrong.endpoint("db1"))
        .await
        .unwrap_err();
    assert!(error.is_access_denied(), "{error:?}");
}

#[tokio::test]
async fn a_stopped_port_is_refused_at_once() {
    let sim = Sim::start(SimConfig::with_members(3), CONNECT).await;
    sim.cluster.crash("db3").unwrap();
    let started = Instant::now();
    let error = sim.members.probe(&sim.endpoint("db3")).await.unwrap_err();
    assert!(matches!(error, ProbeError::Refused { .. }), "{error:?}");
    assert!(started.elapsed() < CONNECT, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_blackholed_member_costs_about_the_connect_timeout_and_does_not_hold_back_the_others() {
    let connect = Duration::from_millis(800);
    let sim = Sim::start(SimConfig::with_members(3), connect).await;
    sim.cluster
        .inject(Fault::Blackhole {
            member: "db3".into(),
            on: true,
        })
        .unwrap();
    let started = Instant::now();
    let (healthy, blackholed) = tokio::join!(
        async {
            let report = sim.members.probe(&sim.endpoint("db1")).await;
            (report, started.elapsed())
        },
        async {
            let report = sim.members.probe(&sim.endpoint("db3")).await;
            (report, started.elapsed())
        },
    );
    assert!(healthy.0.is_ok(), "{:?}", healthy.0);
    assert!(
        healthy.1 < blackholed.1,
        "the healthy member answered first"
    );
    assert_eq!(
        blackholed.0.unwrap_err(),
        ProbeError::Timeout {
            during: "connect".into()
        }
    );
    // About the connect timeout: never less, and far from the minutes a TCP timeout takes.
    assert!(blackholed.1 >= connect, "{:?}", blackholed.1);
    assert!(blackholed.1 < connect * 5, "{:?}", blackholed.1);

    // The whole observation is bounded the same way, with every other member read.
    let started = Instant::now();
    let observed = sim.observe().await;
    assert!(started.elapsed() < connect * 5, "{:?}", started.elapsed());
    assert!(observed[0].mysql.seen().is_some() && observed[1].mysql.seen().is_some());
    assert!(matches!(
        observed[2].mysql.failed(),
        Some(ProbeError::Timeout { .. })
    ));
}

#[tokio::test]
async fn a_kept_connection_to_a_restarted_member_is_replaced_once() {
    let sim = Sim::start(
        SimConfig::with_members(3).real_time(Timing::fast()),
        CONNECT,
    )
    .await;
    let before = sim.members.probe(&sim.endpoint("db2")).await.unwrap();
    sim.cluster.restart("db2").unwrap();
    let after = sim.members.probe(&sim.endpoint("db2")).await.unwrap();
    assert_eq!(after.server_uuid, before.server_uuid);
}

#[tokio::test]
async fn a_member_without_group_replication_still_reports_what_it_can() {
    let config = SimConfig::with_members(2).member("db2", |m| m.gr_enabled = false);
    let sim = Sim::start(config, CONNECT).await;
    let report = sim.members.probe(&sim.endpoint("db2")).await.unwrap();
    assert_eq!(report.server_uuid, sim.uuid("db2"));
    assert_eq!(report.settings.group_name, None);
    assert!(report.settings.group_seeds.is_empty());
    assert_eq!(report.own_state(), MemberState::Offline);
}

#[tokio::test]
async fn new_credentials_replace_rejected_ones_without_a_new_probe_object() {
    let sim = Sim::start(SimConfig::with_members(1), CONNECT).await;
    let rotated = Sim::with_credentials(
        Arc::clone(&sim.cluster),
        Credentials::new(sim.cluster.user(), "before-rotation"),
        CONNECT,
    );
    let endpoint = rotated.endpoint("db1");
    assert!(
        rotated
            .members
            .probe(&endpoint)
            .await
            .unwrap_err()
            .is_access_denied()
    );
    rotated
        .members
        .set_credentials(Credentials::new(sim.cluster.user(), sim.cluster.password()));
    assert!(rotated.members.probe(&endpoint).await.is_ok());
}

#[tokio::test]
async fn verify_mode_refuses_a_member_that_offers_no_tls() {
    let sim = Sim::start(SimConfig::with_members(1), CONNECT).await;
    let members = MysqlMembers::new(
        ConnectSettings {
            connect_timeout: CONNECT,
            query_timeout: Duration::from_secs(5),
            tls: Tls::Verify(CaBundle::bundled().unwrap()),
        },
        Credentials::new(sim.cluster.user(), sim.cluster.password()),
    );
    let error = members.probe(&sim.endpoint("db1")).await.unwrap_err();
    assert!(matches!(error, ProbeError::Other { .. }), "{error:?}");
}

#[tokio::test]
async fn a_statement_that_times_out_is_named_by_its_short_name_not_its_sql() {
    let sim = Sim::start(SimConfig::with_members(1), CONNECT).await;
    // Replies slower than the query timeout, well within the connect timeout.
    let members = probe_with(
        &sim,
        bounds(Duration::from_secs(5), Duration::from_millis(200)),
    );
    latency(&sim, "db1", 500);
    let error = members.probe(&sim.endpoint("db1")).await.unwrap_err();
    assert_eq!(
        error,
        ProbeError::Timeout {
            during: "identity".into()
        }
    );
}

#[tokio::test]
async fn a_member_answering_every_statement_slowly_is_a_timeout_at_the_probe_deadline() {
    let sim = Sim::start(SimConfig::with_members(1), CONNECT).await;
    // Each reply (two for the handshake, one per statement) takes 400 ms: every one within its
    // own bound, but together far past the probe's.
    let settings = bounds(Duration::from_millis(1200), Duration::from_millis(700));
    let deadline = settings.probe_deadline();
    let members = probe_with(&sim, settings);
    latency(&sim, "db1", 400);
    let started = Instant::now();
    let error = members.probe(&sim.endpoint("db1")).await.unwrap_err();
    assert_eq!(
        error,
        ProbeError::Timeout {
            during: "probe".into()
        }
    );
    assert!(started.elapsed() < deadline * 2, "{:?}", started.elapsed());
}

//! Incidents end to end on the simulator, through the `grkeeper` binary's `tick` and `status`
//! against the harness (moto behind the RDS bridge): a member made to flap, donors purging the
//! binary logs a member out of the group needs, and a member whose error log a hostile server
//! filled; each shown in `status` and in the alerts read back from SNS.

use gr_sim::{Fault, GtidSet};
use grkeeper::model::untrusted::is_shown;
use grkeeper_e2e::harness::{Alert, CLUSTER, Harness};
use grkeeper_e2e::invoke::{refused, taken};
use serde_json::Value;

use crate::cluster_commands::{run, run_with};

/// A tick through the binary, with `env` added (a policy no deployed function runs with, hence
/// `--ignore-deployed-config`); its summary.
async fn tick(h: &Harness, env: &[(&str, &str)]) -> Value {
    let tick = run_with(h, env, &["tick", "--yes", "--ignore-deployed-config"]).await;
    assert_eq!(tick.code(), Some(0), "{tick:?}");
    serde_json::from_str(&tick.stdout).unwrap()
}

/// `grkeeper status`'s output; each test looks while a member is out, so the cluster is
/// degraded (exit 3).
async fn status(h: &Harness) -> String {
    let status = run(h, &["status"]).await;
    assert_eq!(status.code(), Some(3), "{status:?}");
    status.stdout
}

fn subjects(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.subject.as_str()).collect()
}

/// Whitespace collapsed: `status` wraps its paragraphs wherever the width falls.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_keeps_leaving_is_left_out_with_its_history_until_a_person_approves() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    // No cooldown: what stops grkeeper must be the flapping, not the pace.
    let env = [("GRKEEPER_MEMBER_COOLDOWN_SECS", "0")];
    tick(&h, &env).await;
    for _ in 0..2 {
        h.restart_offline("orders-2").await.unwrap();
        let summary = tick(&h, &env).await;
        assert_eq!(taken(&summary), ["rejoin orders-2 verified"], "{summary:#}");
    }
    h.restart_offline("orders-2").await.unwrap();

    let summary = tick(&h, &env).await;

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(
        refused(&summary),
        ["rejoin orders-2 flapping"],
        "{summary:#}"
    );
    assert_eq!(h.sim.truth().state("orders-2"), "OFFLINE");
    let shown = flat(&status(&h).await);
    assert!(
        shown.contains(
            "WARNING orders-2 flapping: orders-2 left the group 3 times in the last 3600s"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("grkeeper approve rejoin --cluster orders --instance orders-2"),
        "{shown}"
    );
    let alerts = h.alerts().await.unwrap();
    let last = alerts.last().unwrap();
    assert_eq!(
        last.subject,
        "WARNING orders/orders-2: flapping",
        "{:?}",
        subjects(&alerts)
    );
    assert!(
        last.message.contains("left the group 3 times"),
        "{}",
        last.message
    );
    assert!(
        last.message.contains("blocked by flapping"),
        "{}",
        last.message
    );
    assert!(
        last.message.contains("Procedure: Flapping"),
        "{}",
        last.message
    );

    let approve = run(
        &h,
        &[
            "approve",
            "rejoin",
            "--cluster",
            CLUSTER,
            "--instance",
            "orders-2",
        ],
    )
    .await;
    assert_eq!(approve.code(), Some(0), "{approve:?}");
    let summary = tick(&h, &env).await;
    assert_eq!(taken(&summary), ["rejoin orders-2 verified"], "{summary:#}");
    let alerts = h.alerts().await.unwrap();
    assert_eq!(subjects(&alerts), ["RESOLVED orders/orders-2: flapping"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn donors_purging_while_a_member_is_out_bring_its_rejoin_deadline_closer() {
    let h = Harness::start().await.unwrap();
    let written: Vec<String> = h.sim.commit("orders-1", 100).unwrap();
    tick(&h, &[]).await;
    // A DBA stops orders-2 (grkeeper leaves a deliberate stop alone); writes go on.
    h.stop_group_replication("orders-2").await.unwrap();
    h.sim.commit("orders-1", 20).unwrap();

    tick(&h, &[]).await;
    let alerts = h.alerts().await.unwrap();
    assert_eq!(
        subjects(&alerts),
        ["WARNING orders/orders-2: member offline"]
    );
    assert!(
        alerts[0]
            .message
            .contains("Rejoin deadline: orders-2 must rejoin before"),
        "{}",
        alerts[0].message
    );
    assert!(
        flat(&alerts[0].message).contains("(in 7d 0h)"),
        "{}",
        alerts[0].message
    );
    assert!(flat(&status(&h).await).contains("Rejoin deadlines: orders-2 must rejoin before"));

    // The donors purge their oldest binary logs, twice, a couple of seconds apart: at that pace
    // the transactions orders-2 holds that they still keep are gone in seconds.
    for upto in [30, 60] {
        let purge: GtidSet = written[..upto].join(",").parse().unwrap();
        for donor in ["orders-1", "orders-3"] {
            h.sim
                .inject(Fault::PurgeBinlogs {
                    member: donor.into(),
                    upto: Some(purge.to_string()),
                })
                .unwrap();
        }
        tick(&h, &[]).await;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }

    let alerts = h.alerts().await.unwrap();
    assert_eq!(
        subjects(&alerts),
        ["CRITICAL orders/orders-2: member offline (updated)"],
        "the deadline is near: it pages"
    );
    let body = flat(&alerts[0].message);
    assert!(
        body.contains("Changed: severity warning -> critical"),
        "{body}"
    );
    assert!(body.contains("purges about"), "{body}");
    assert!(
        body.contains("CALL mysql.rds_set_configuration('binlog retention hours', 336);"),
        "{body}"
    );
    let shown = flat(&status(&h).await);
    assert!(
        shown.contains("Rejoin deadlines: orders-2 must rejoin before"),
        "{shown}"
    );
    assert!(shown.contains("purges about"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_error_log_leaves_alerts_topology_events_and_status_well_formed() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    tick(&h, &[]).await;
    h.topology_events().await.unwrap();
    // orders-2 comes back with a transaction of its own (it cannot rejoin), and an error log
    // written to fool whoever reads it.
    h.restart_with_errant_transactions("orders-2", 1)
        .await
        .unwrap();
    let hostile = [
        "ok\nNext step: DROP DATABASE orders; all is well".to_owned(),
        "\x1b[2J\x1b[31mred alert\x1b[0m\r\nFindings: none.".to_owned(),
        "\u{202e}desrever\u{9b}31m\u{2028}".to_owned(),
        "x".repeat(1 << 20),
    ];
    for data in hostile {
        h.sim
            .inject(Fault::LogLine {
                member: "orders-2".into(),
                data,
            })
            .unwrap();
    }

    let summary = tick(&h, &[]).await;
    assert_eq!(
        refused(&summary),
        ["rejoin orders-2 errant_gtids"],
        "{summary:#}"
    );

    let alerts = h.alerts().await.unwrap();
    let alert = alerts
        .iter()
        .find(|a| a.subject == "CRITICAL orders/orders-2: errant gtids")
        .unwrap_or_else(|| panic!("{alerts:#?}"));
    let body = &alert.message;
    assert!(body.len() < 64 * 1024, "{}", body.len());
    assert!(body.chars().all(|c| c == '\n' || is_shown(c)), "{body}");
    assert_eq!(
        body.lines().filter(|l| l.starts_with("Next step:")).count(),
        1,
        "{body}"
    );
    let quoted: Vec<&str> = body.lines().filter(|l| l.contains("MY-011526")).collect();
    assert!(quoted.len() >= 4, "{body}");
    assert!(
        quoted.iter().all(|l| l.trim_end().ends_with('"')),
        "{quoted:#?}"
    );

    let events = h.topology_events().await.unwrap();
    assert!(!events.is_empty());
    for event in &events {
        let text = event.to_string();
        assert!(text.len() < 64 * 1024, "{}", text.len());
        assert!(strings(event).all(|s| s.chars().all(is_shown)), "{event:#}");
    }

    let shown = status(&h).await;
    assert!(shown.chars().all(|c| c == '\n' || is_shown(c)), "{shown}");
    assert_eq!(
        shown.lines().filter(|l| l.starts_with("Findings")).count(),
        1,
        "{shown}"
    );
    assert!(shown.len() < 64 * 1024, "{}", shown.len());
}

/// Every string in a JSON document, however deep.
fn strings(value: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match value {
        Value::String(s) => Box::new(std::iter::once(s.as_str())),
        Value::Array(items) => Box::new(items.iter().flat_map(strings)),
        Value::Object(map) => Box::new(
            map.iter()
                .flat_map(|(k, v)| std::iter::once(k.as_str()).chain(strings(v))),
        ),
        _ => Box::new(std::iter::empty()),
    }
}

//! A client nobody on the project wrote: Oracle's mysql-connector-python (pure Python, so the
//! EOF-packet protocol path: it does not set CLIENT_DEPRECATE_EOF), installed pinned by
//! `scripts/setup` into `.tools/py`.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use gr_sim::{Cluster, Fault};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::support::*;

fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".tools/py/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup to install mysql-connector-python",
        python.display()
    );
    python
}

/// Runs `statements` on member `name` through the Python client and returns its JSON answer.
async fn oracle(sim: &Cluster, name: &str, password: &str, statements: &[&str]) -> Value {
    let addr = sim.addr(name).unwrap();
    let plan = json!({
        "host": addr.ip().to_string(), "port": addr.port(), "user": sim.user(),
        "password": password, "statements": statements,
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/oracle_client.py");
    let child = spawn(Command::new(python()).arg(script));
    let output = output(child, plan.to_string().as_bytes(), BOUND)
        .await
        .expect("the python client hung");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Feeds `input` to the child and collects its output; None when `limit` passes first, and then
/// the child, dropped here, is killed.
async fn output(mut child: Child, input: &[u8], limit: Duration) -> Option<Output> {
    let run = async move {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input).await.unwrap();
        // Closing stdin ends the plan the script reads.
        drop(stdin);
        child.wait_with_output().await.unwrap()
    };
    tokio::time::timeout(limit, run).await.ok()
}

/// The process runs (a zombie has died and only waits to be reaped).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, fields)| !fields.starts_with('Z'))
    })
}

#[tokio::test]
async fn a_client_process_still_running_when_its_bound_fires_is_killed() {
    let child = spawn(Command::new("sleep").arg("30"));
    let pid = child.id().unwrap();
    assert!(alive(pid));
    assert!(
        output(child, b"", Duration::from_millis(50))
            .await
            .is_none()
    );
    // The kill signal is delivered asynchronously: allow it a bounded moment.
    for _ in 0..200 {
        if !alive(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("process {pid} outlived its bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_connector_runs_every_probe_statement_before_and_after_a_stop() {
    let sim = cluster(3).await;
    // The probe, its fallback identity, then the last GR call again once a stop recorded one.
    let mut statements = probe::SEQUENCE.to_vec();
    statements.extend([
        probe::IDENTITY_WITHOUT_GR,
        "CALL mysql.rds_group_replication_stop()",
        probe::LAST_GR_CALL,
    ]);
    let answer = oracle(&sim, "db1", "secret", &statements).await;
    let results = &answer["results"];
    let errors: Vec<&Value> = results
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["error"].is_null())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let vars = &results[0]["sets"][0];
    assert_eq!(vars["columns"][0], "@@server_uuid");
    let me = sim.truth().member("db1").cloned().unwrap();
    assert_eq!(vars["rows"][0][0], me.server_uuid.as_str());
    assert_eq!(vars["rows"][0][2], 3306, "integers arrive as integers");
    assert_eq!(vars["rows"][0][4], 0);
    assert_eq!(vars["rows"][0][7], me.gtid_executed.as_str());
    let members = &results[1]["sets"][0]["rows"];
    assert_eq!(members.as_array().unwrap().len(), 3);
    assert_eq!(members[0][3], "ONLINE");
    assert_eq!(results[2]["sets"][0]["rows"].as_array().unwrap().len(), 3);
    let applier = &results[3]["sets"][0]["rows"][0];
    assert_eq!(applier[1], "ON");
    assert_eq!(applier[5], me.gtid_executed.as_str());
    let log = &results[4]["sets"][0];
    assert_eq!(
        log["columns"],
        json!(["LOGGED", "PRIO", "ERROR_CODE", "DATA"])
    );
    assert!(
        log["rows"][0][0]
            .as_str()
            .unwrap()
            .starts_with("2026-01-01 00:00:00")
    );
    assert_eq!(results[5]["sets"][0]["rows"], json!([[null]]));
    assert_eq!(results[6]["sets"][0]["rows"], json!([]), "no call yet");
    assert_eq!(results[7]["sets"][0]["rows"][0][0], me.server_uuid.as_str());
    assert_eq!(
        results[9]["sets"][0]["rows"],
        json!([[
            "2026-01-01 00:00:00",
            "admin@127.0.0.1",
            "stop group replication"
        ]])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_connector_calls_the_stored_procedures_and_gets_their_errors() {
    let sim = cluster(3).await;
    let answer = oracle(
        &sim,
        "db2",
        "secret",
        &[
            "CALL mysql.rds_group_replication_stop()",
            "SELECT MEMBER_STATE FROM performance_schema.replication_group_members",
            "CALL mysql.rds_group_replication_start(0)",
            "CALL mysql.rds_group_replication_start(0)",
            "CALL mysql.rds_group_replication_create_user('pw')",
            "CALL mysql.rds_set_configuration('binlog retention hours', 168)",
            "INSERT INTO test.t VALUES (1)",
        ],
    )
    .await;
    let results = &answer["results"];
    assert_eq!(results[0]["sets"][0]["columns"], json!(["MESSAGE"]));
    assert_eq!(
        results[0]["sets"][0]["rows"],
        json!([["Group replication stopped successfully."]])
    );
    assert_eq!(results[1]["sets"][0]["rows"], json!([["OFFLINE"]]));
    let started = results[2]["sets"][0]["rows"][0][0].as_str().unwrap();
    assert!(
        started.starts_with("Group replication started"),
        "{started}"
    );
    assert_eq!(results[3]["error"]["errno"], 3093);
    assert_eq!(results[3]["error"]["sqlstate"], "HY000");
    assert!(
        results[4]["sets"][0]["rows"][0][0]
            .as_str()
            .unwrap()
            .starts_with("Warning: Group replication user already exists")
    );
    assert!(results[5]["error"].is_null());
    assert_eq!(
        results[6]["error"]["errno"], 1290,
        "still RECOVERING: super-read-only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_connector_sees_access_denied_and_offline_mode_errors() {
    let sim = cluster(2).await;
    let denied = oracle(&sim, "db1", "wrong", &[]).await;
    assert_eq!(denied["connect_error"]["errno"], 1045);
    assert_eq!(
        denied["connect_error"]["msg"],
        "Access denied for user 'admin'@'127.0.0.1' (using password: YES)"
    );
    sim.inject(Fault::OfflineMode {
        member: "db2".to_string(),
        on: true,
    })
    .unwrap();
    let offline = oracle(&sim, "db2", "secret", &[]).await;
    assert_eq!(offline["connect_error"]["errno"], 3032);
}

//! The commands that work on real clusters, on their success paths, against the end-to-end
//! harness (the simulated cluster `orders`, moto behind the RDS bridge) with the environment a
//! deployment would give them: `status` shows the members, a `pause` holds back the action a
//! `tick --dry-run` would take, and `approve` writes the item the planner reads.

use std::time::Duration;

use grkeeper::lambda::Function;
use grkeeper_e2e::harness::{CLUSTER, Harness};
use grkeeper_e2e::invoke::refused;
use serde_json::Value;

use crate::bounded::{Finished, grkeeper};

/// Each command is one observation of three fast members, or one DynamoDB write.
const BOUND: Duration = Duration::from_secs(60);

/// `grkeeper <args>` with the harness's environment (and no AWS profile files). It runs on a
/// blocking thread, so the simulator and the bridge keep serving it on the test's runtime.
pub(crate) async fn run(h: &Harness, args: &[&str]) -> Finished {
    run_with(h, &[], args).await
}

/// [`run`] with `changes` made to the harness's environment (the doctor's tests use it too).
pub(crate) async fn run_with(h: &Harness, changes: &[(&str, &str)], args: &[&str]) -> Finished {
    let mut env = h.env();
    for (name, value) in changes {
        env.insert((*name).into(), (*value).into());
    }
    for file in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
        env.insert(file.into(), "/nonexistent/grkeeper-test".into());
    }
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        grkeeper(&args, &env, BOUND)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_every_member_online_in_the_member_table() {
    let h = Harness::start().await.unwrap();

    let status = run(&h, &["status"]).await;

    assert_eq!(status.code(), Some(0), "{status:?}");
    let out = &status.stdout;
    assert!(
        out.starts_with("Cluster orders: OK (3 of 3 members ONLINE)"),
        "{out}"
    );
    // The member table: a header, then one row per instance.
    let mut lines = out
        .lines()
        .skip_while(|line| !line.starts_with("INSTANCE "));
    assert!(lines.next().is_some(), "no member table:\n{out}");
    for (member, row) in h.sim.names().iter().zip(lines) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[0], member, "{out}");
        assert!(
            cells.contains(&"available") && cells.contains(&"ONLINE"),
            "{row}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_exits_3_when_a_member_is_missing_and_prints_json_on_request() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();

    let status = run(&h, &["status", "--output", "json"]).await;

    assert_eq!(status.code(), Some(3), "degraded is exit 3: {status:?}");
    let clusters: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        clusters[0]["plan"]["health"]["status"], "ok_no_tolerance_partial",
        "{clusters:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_cluster_s_dry_run_tick_refuses_the_reboot_it_needs_as_paused() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();

    let pause = run(
        &h,
        &[
            "pause",
            "--cluster",
            CLUSTER,
            "--for",
            "1h",
            "--reason",
            "test",
        ],
    )
    .await;
    assert_eq!(pause.code(), Some(0), "{pause:?}");
    let tick = run(&h, &["tick", "--dry-run"]).await;

    assert_eq!(tick.code(), Some(0), "{tick:?}");
    let summary: Value = serde_json::from_str(&tick.stdout).unwrap();
    assert_eq!(refused(&summary), ["reboot orders-2 paused"], "{summary:#}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 0);
    assert!(h.sim.truth().member("orders-2").unwrap().offline_mode);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_bootstrap_writes_the_approval_the_planner_reads() {
    let h = Harness::start().await.unwrap();

    let stranger = "0000000A-1111-4222-8333-444444444444";
    let approve = run(
        &h,
        &[
            "approve",
            "bootstrap",
            "--cluster",
            CLUSTER,
            "--give-up",
            "orders-3",
            "--give-up",
            stranger,
            "--for",
            "1h",
        ],
    )
    .await;

    assert_eq!(approve.code(), Some(0), "{approve:?}");
    assert!(
        approve.stdout.starts_with(
            "approved bootstrap on any instance of cluster orders, giving up orders-3, \
             0000000a-1111-4222-8333-444444444444"
        ),
        "{}",
        approve.stdout
    );
    let journal = h.journal().await.unwrap();
    let approvals: Vec<&Value> = journal
        .iter()
        .filter(|item| {
            item["sk"]
                .as_str()
                .is_some_and(|sk| sk.starts_with("approval#"))
        })
        .collect();
    assert_eq!(approvals.len(), 1, "{journal:#?}");
    assert_eq!(approvals[0]["sk"], "approval#bootstrap#*", "{journal:#?}");
    assert_eq!(approvals[0]["action"], "bootstrap", "{journal:#?}");
    assert_eq!(
        approvals[0]["gives_up"],
        serde_json::json!(["orders-3", "0000000a-1111-4222-8333-444444444444"]),
        "{journal:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_sync_gtids_writes_the_approval_naming_the_member_and_its_ranges() {
    let h = Harness::start().await.unwrap();
    let gtids = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-3";

    let approve = run(
        &h,
        &[
            "approve",
            "sync-gtids",
            "--cluster",
            CLUSTER,
            "--instance",
            "orders-3",
            "--gtids",
            gtids,
            "--by",
            "alice",
        ],
    )
    .await;

    assert_eq!(approve.code(), Some(0), "{approve:?}");
    assert!(
        approve.stdout.starts_with(&format!(
            "approved sync_gtids on orders-3 of cluster orders, for {gtids} only until "
        )),
        "{}",
        approve.stdout
    );
    let journal = h.journal().await.unwrap();
    let approval = journal
        .iter()
        .find(|item| item["sk"] == "approval#sync_gtids#orders-3")
        .unwrap_or_else(|| panic!("{journal:#?}"));
    assert_eq!(approval["action"], "sync_gtids", "{approval:#}");
    assert_eq!(approval["instance"], "orders-3", "{approval:#}");
    assert_eq!(approval["gtids"], gtids, "{approval:#}");
    assert_eq!(approval["by"], "alice", "{approval:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tick_refuses_to_act_with_a_policy_the_deployed_functions_do_not_have() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();

    // No function has started yet: nothing says what the deployment runs with.
    let unpublished = run(&h, &["tick", "--yes"]).await;
    assert_eq!(unpublished.code(), Some(2), "{unpublished:?}");
    assert!(
        unpublished
            .one_line_of_stderr()
            .contains("no deployment has published its configuration in table grkeeper"),
        "{unpublished:?}"
    );

    // A cold start publishes the functions' configuration; the operator's differs in one switch.
    h.cold_start(Function::Sweep).await.unwrap();
    let differs = run_with(&h, &[("GRKEEPER_REBOOT", "off")], &["tick", "--yes"]).await;
    assert_eq!(differs.code(), Some(2), "{differs:?}");
    let line = differs.one_line_of_stderr();
    assert!(
        line.contains("policy.reboot: deployed true, here false")
            && line.contains("nothing was done"),
        "{line}"
    );
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 0);

    // Without a terminal to confirm on, acting needs --yes.
    let unconfirmed = run(&h, &["tick"]).await;
    assert_eq!(unconfirmed.code(), Some(2), "{unconfirmed:?}");
    assert!(unconfirmed.one_line_of_stderr().contains("pass --yes"));
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 0);

    // The deployment's own configuration acts.
    let same = run(&h, &["tick", "--yes"]).await;
    assert_eq!(same.code(), Some(0), "{same:?}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);
}

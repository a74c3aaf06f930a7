//! `grkeeper doctor` end to end: the simulated cluster `orders` and moto behind the RDS bridge,
//! with the environment a deployment gives the CLI. A healthy deployment passes (but for TLS,
//! which the simulator does not speak); each injected misconfiguration shows its failing line
//! and its fix.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{ApplyMethod, Parameter, Tag};
use grkeeper::lambda::Function;
use grkeeper::ports::reboot::CLAIM_TAG;
use grkeeper_e2e::harness::Harness;
use grkeeper_e2e::invoke;
use grkeeper_e2e::resources::MEMBER_PARAMETER_GROUP;
use serde_json::Value;

use crate::bounded::Finished;
use crate::cluster_commands::run_with;

/// `grkeeper doctor --output json` with the harness's environment and `changes`.
async fn doctor(h: &Harness, changes: &[(&str, &str)]) -> (Finished, Vec<Value>) {
    let run = run_with(h, changes, &["doctor", "--output", "json"]).await;
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("doctor prints JSON ({e}): {run:?}"));
    let checks = report["checks"].as_array().cloned().unwrap_or_default();
    (run, checks)
}

/// The deployment's functions have started once: their configuration is published, naming the
/// stack's EventInstanceIds.
async fn deployed(h: &Harness, event_instances: &str) {
    let mut env: BTreeMap<String, String> = h.env();
    env.insert("GRKEEPER_EVENT_INSTANCE_IDS".into(), event_instances.into());
    invoke::cold_start(Function::Sweep, &env, &h.bridged_aws().await)
        .await
        .unwrap();
}

/// The checks that did not pass: `(status, check, subject)`.
fn not_passed(checks: &[Value]) -> Vec<(String, String, String)> {
    checks
        .iter()
        .filter(|c| c["status"] != "pass")
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("status"), s("check"), s("subject"))
        })
        .collect()
}

fn find<'a>(checks: &'a [Value], check: &str, subject: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["check"] == check && c["subject"] == subject)
        .unwrap_or_else(|| panic!("no {check} check of {subject}: {checks:#?}"))
}

fn text(check: &Value, key: &str) -> String {
    check[key].as_str().unwrap_or_default().to_owned()
}

const ALL: &str = "orders-1,orders-2,orders-3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_deployment_passes_every_check_but_tls_which_the_simulator_lacks() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;

    let (run, checks) = doctor(&h, &[]).await;

    assert_eq!(
        not_passed(&checks),
        [("warn".into(), "tls".into(), "grkeeper".into())],
        "{checks:#?}"
    );
    assert_eq!(run.code(), Some(3), "a warning is exit 3: {run:?}");
    for member in ["orders-1", "orders-2", "orders-3"] {
        assert_eq!(find(&checks, "grants", member)["status"], "pass");
        assert_eq!(find(&checks, "login", member)["status"], "pass");
    }
    assert_eq!(find(&checks, "claim", "orders")["status"], "pass");
    assert_eq!(
        find(&checks, "published_config", "grkeeper")["status"],
        "pass"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_without_execute_on_the_start_procedure_fails_with_the_grant_to_run() {
    let h = Harness::start_with(|config| {
        config.grants(&[
            "GRANT USAGE ON *.* TO {account}",
            "GRANT SELECT ON `performance_schema`.* TO {account}",
            "GRANT SELECT ON `mysql`.`rds_history` TO {account}",
            "GRANT SELECT ON `mysql`.`rds_configuration` TO {account}",
            "GRANT EXECUTE ON PROCEDURE `mysql`.`rds_group_replication_stop` TO {account}",
            // The harness sets the binlog retention through this account.
            "GRANT EXECUTE ON PROCEDURE `mysql`.`rds_set_configuration` TO {account}",
        ])
    })
    .await
    .unwrap();
    deployed(&h, ALL).await;

    let (run, checks) = doctor(&h, &[]).await;

    assert_eq!(run.code(), Some(4), "a failure is exit 4: {run:?}");
    let grants = find(&checks, "grants", "orders-2");
    assert_eq!(grants["status"], "fail");
    assert!(
        text(grants, "message")
            .contains("lacks EXECUTE ON PROCEDURE mysql.rds_group_replication_start"),
        "{grants:#}"
    );
    let fix = text(grants, "fix");
    assert!(
        fix.contains(
            "GRANT EXECUTE ON PROCEDURE mysql.rds_group_replication_start TO 'grkeeper'@'%';"
        ),
        "{fix}"
    );
    assert!(
        fix.contains("unconfirmed"),
        "the output says RDS may refuse it: {fix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_with_the_wrong_password_fails_every_login_with_the_fix() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;
    h.put_secret("grkeeper", "not-the-password").await.unwrap();

    let (run, checks) = doctor(&h, &[]).await;

    assert_eq!(run.code(), Some(4), "{run:?}");
    let login = find(&checks, "login", "orders-1");
    assert_eq!(login["status"], "fail");
    assert!(text(login, "message").contains("1045"), "{login:#}");
    assert!(text(login, "fix").contains("the secret's username and password must match"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_that_do_not_start_group_replication_on_boot_warn() {
    let h = Harness::start_without_gr_on_boot().await.unwrap();
    deployed(&h, ALL).await;

    let (_, checks) = doctor(&h, &[]).await;

    let boot = find(&checks, "start_on_boot", "orders");
    assert_eq!(boot["status"], "warn", "{boot:#}");
    assert!(text(boot, "fix").contains("group_replication_start_on_boot to ON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_missing_from_event_instance_ids_fails() {
    let h = Harness::start().await.unwrap();
    deployed(&h, "orders-1,orders-2").await;

    let (_, checks) = doctor(&h, &[]).await;

    let events = find(&checks, "event_instances", "orders");
    assert_eq!(events["status"], "fail");
    assert!(
        text(events, "message").starts_with("orders-3 not in the stack's EventInstanceIds"),
        "{events:#}"
    );
    assert!(text(events, "fix").contains("add it to EventInstanceIds"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_another_deployment_claimed_fails() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;
    let rds = aws_sdk_rds::Client::new(h.aws());
    let arn = rds
        .describe_db_instances()
        .db_instance_identifier("orders-2")
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .db_instance_arn()
        .unwrap()
        .to_owned();
    rds.add_tags_to_resource()
        .resource_name(arn)
        .tags(
            Tag::builder()
                .key(CLAIM_TAG)
                .value("grkeeper-other")
                .build(),
        )
        .send()
        .await
        .unwrap();

    let (_, checks) = doctor(&h, &[]).await;

    let claim = find(&checks, "claim", "orders");
    assert_eq!(claim["status"], "fail");
    assert!(
        text(claim, "message").contains("deployment grkeeper-other keeps this cluster"),
        "{claim:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_policy_the_functions_do_not_run_with_fails() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;

    let (_, checks) = doctor(&h, &[("GRKEEPER_MODE", "observe")]).await;

    let published = find(&checks, "published_config", "grkeeper");
    assert_eq!(published["status"], "fail");
    assert!(
        text(published, "message").contains(r#"policy.mode: deployed "act", here "observe""#),
        "{published:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_binlog_retention_warns_with_the_call_that_fixes_it() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;
    grkeeper_demo::sim::run_statement(
        &h.sim,
        "orders-3",
        "CALL mysql.rds_set_configuration('binlog retention hours', 24)",
    )
    .await
    .unwrap();

    let (_, checks) = doctor(&h, &[]).await;

    let retention = find(&checks, "binlog_retention", "orders-3");
    assert_eq!(retention["status"], "warn", "{retention:#}");
    assert!(text(retention, "fix").contains("'binlog retention hours', 168"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_report_puts_each_fix_under_its_failing_line_and_a_misspelt_cluster_is_refused() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;
    h.put_secret("grkeeper", "not-the-password").await.unwrap();

    let text = run_with(&h, &[], &["doctor"]).await;

    assert_eq!(text.code(), Some(4), "{text:?}");
    let lines: Vec<&str> = text.stdout.lines().collect();
    let failing = lines
        .iter()
        .position(|l| l.starts_with("FAIL  login") && l.contains("orders-1: cannot log in"))
        .unwrap_or_else(|| panic!("no failing login line:\n{}", text.stdout));
    assert!(
        lines[failing + 1]
            .trim_start()
            .starts_with("fix: the secret's username and password must match"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.trim_end().ends_with("fail"),
        "a summary closes the report:\n{}",
        text.stdout
    );

    let misspelt = run_with(&h, &[], &["doctor", "--cluster", "ordres"]).await;
    assert_eq!(misspelt.code(), Some(2), "{misspelt:?}");
    assert!(
        misspelt
            .one_line_of_stderr()
            .contains(r#"cluster "ordres" is not kept by this deployment"#),
        "{misspelt:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_nothing_listens_for_fails_its_login_with_the_network_fix() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;
    // orders-3's SQL traffic goes to a port where nothing listens, as behind a closed security
    // group; the others are reached as before.
    let closed = grkeeper_e2e::harness::closed_endpoint().unwrap();
    let closed = closed.trim_start_matches("http://");
    let overrides: Vec<String> = h.env()["GRKEEPER_ENDPOINT_OVERRIDES"]
        .split(',')
        .map(|entry| match entry.split_once('=') {
            Some(("orders-3", _)) => format!("orders-3={closed}"),
            _ => entry.to_owned(),
        })
        .collect();

    let (run, checks) = doctor(
        &h,
        &[("GRKEEPER_ENDPOINT_OVERRIDES", overrides.join(",").as_str())],
    )
    .await;

    assert_eq!(run.code(), Some(4), "{run:?}");
    let login = find(&checks, "login", "orders-3");
    assert_eq!(login["status"], "fail", "{login:#}");
    assert!(text(login, "message").contains(closed), "{login:#}");
    assert!(
        text(login, "fix").contains("allow 3306 from the functions' security group"),
        "{login:#}"
    );
    assert_eq!(find(&checks, "login", "orders-1")["status"], "pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_group_without_group_replication_enabled_fails_with_its_name() {
    let h = Harness::start().await.unwrap();
    deployed(&h, ALL).await;
    aws_sdk_rds::Client::new(h.aws())
        .modify_db_parameter_group()
        .db_parameter_group_name(MEMBER_PARAMETER_GROUP)
        .parameters(
            Parameter::builder()
                .parameter_name("rds.group_replication_enabled")
                .parameter_value("0")
                .apply_method(ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let (run, checks) = doctor(&h, &[]).await;

    assert_eq!(run.code(), Some(4), "{run:?}");
    let group = find(&checks, "parameter_group", "orders-1");
    assert_eq!(group["status"], "fail", "{group:#}");
    assert_eq!(
        text(group, "message"),
        format!("rds.group_replication_enabled is 0 in {MEMBER_PARAMETER_GROUP}")
    );
    assert_eq!(
        text(group, "fix"),
        format!(
            "set rds.group_replication_enabled = 1 in {MEMBER_PARAMETER_GROUP}, then reboot the \
             member"
        )
    );
}

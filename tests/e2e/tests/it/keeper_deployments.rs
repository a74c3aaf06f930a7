//! Two deployments over one AWS account (one moto): the cluster `orders` is kept by the
//! harness's deployment (`grkeeper`, its members tagged `grkeeper:deployment=grkeeper`); a second
//! deployment (its own stack name and table) finds it claimed and refuses it with a clear error,
//! acting on nothing, and the metrics of the two carry their own `Deployment` dimension.

use grkeeper::config::Config;
use grkeeper::keeper::{ClusterOutcome, TickOptions};
use grkeeper::report::metrics::{DEPLOYMENT_DIMENSION, TICKS};
use grkeeper::trigger;
use grkeeper::wiring::Wired;
use grkeeper_e2e::harness::{Harness, TABLE};
use grkeeper_e2e::resources;
use serde_json::Value;

fn options(owner: &str) -> TickOptions {
    TickOptions {
        owner: owner.into(),
        dry_run: false,
        deadline: None,
        emit_metrics: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_deployment_is_refused_on_a_cluster_the_first_keeps_and_metrics_are_apart() {
    let h = Harness::start().await.unwrap();
    h.leave_into_offline_mode("orders-2").await.unwrap();
    let aws = h.bridged_aws().await;
    let first = h.env();
    let mut second = h.env();
    second.insert("GRKEEPER_DEPLOYMENT".into(), "grkeeper-b".into());
    second.insert("GRKEEPER_TABLE".into(), "grkeeper-b".into());
    resources::journal_table(&aws_sdk_dynamodb::Client::new(h.aws()), "grkeeper-b")
        .await
        .unwrap();
    let wire = |env: &std::collections::BTreeMap<String, String>| {
        let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
        Wired::new(config, &aws)
    };
    let a = wire(&first).await.unwrap();
    let b = wire(&second).await.unwrap();
    let sweep = trigger::parse(br#"{"action": "sweep", "cluster": "orders"}"#).unwrap();

    let refused = b.keeper.tick(&sweep, &options("b-1")).await.unwrap();

    let report = &refused.clusters[0];
    assert_eq!(report.outcome, ClusterOutcome::Failed, "{refused:?}");
    assert_eq!(report.error_kind, Some("kept_by_another_deployment"));
    let error = report.error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with(r#"cluster "orders" is kept by deployment "grkeeper" (tag grkeeper:deployment on orders-1)"#)
            && error.contains(r#"not by this deployment ("grkeeper-b"): refused"#),
        "{error}"
    );
    assert!(report.actions.is_empty());
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 0);
    assert_eq!(
        h.bridge.count("rds", "AddTagsToResource"),
        0,
        "no claim over another's"
    );
    assert!(h.sim.truth().member("orders-2").unwrap().offline_mode);

    let kept = a.keeper.tick(&sweep, &options("a-1")).await.unwrap();
    assert_eq!(kept.clusters[0].actions.len(), 1, "{kept:?}");
    assert_eq!(h.bridge.count("rds", "RebootDBInstance"), 1);

    // Each deployment's line carries its own dimension; only the keeper's counts a tick, so the
    // refused stack's "ticks not running" alarm is not kept green by the other's ticks.
    let line = |report: &grkeeper::keeper::ClusterReport| -> Value {
        serde_json::from_str(report.metrics.as_deref().expect("a metrics line")).unwrap()
    };
    let (of_b, of_a) = (line(&refused.clusters[0]), line(&kept.clusters[0]));
    assert_eq!(of_b[DEPLOYMENT_DIMENSION], "grkeeper-b");
    assert_eq!(of_a[DEPLOYMENT_DIMENSION], "grkeeper");
    assert!(of_b.get(TICKS).is_none(), "{of_b}");
    assert_eq!(of_a[TICKS], 1);
    // Nothing of the second deployment landed in the first one's journal.
    assert!(
        h.journal()
            .await
            .unwrap()
            .iter()
            .all(|item| item["pk"] != "deployment" || item["effective"]["deployment"] == "grkeeper"),
        "journal {TABLE}"
    );
}

//! The complete outage the demo shows, end to end through the functions: every mysqld of the
//! simulated cluster down, then back without a group. The alerts are read back from SQS
//! subscriptions of the alert topic: one takes everything (e-mail), the other has the paging
//! subscription's own filter policy, read from `infra/template.yaml`. One incident, at most three
//! messages, exactly one page; and every message says where to look.

use gr_sim::{Fault, Timing};
use grkeeper::lambda::Function;
use grkeeper_e2e::harness::{DEPLOYMENT, Harness, LOG_GROUP, MEMBERS, event};
use grkeeper_e2e::invoke::{invoke, taken};
use grkeeper_e2e::moto::{ACCOUNT_ID, REGION};

use crate::template;

/// The paging subscription's filter policy, as the stack creates it.
fn paging_filter() -> String {
    let stack = template::resolved(&[("PagingHttpsEndpoint", "https://pager.example.com/hook")]);
    stack.resource("AlertPagingSubscription")["Properties"]["FilterPolicy"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_outage_and_its_repair_send_at_most_three_messages_and_page_once() {
    let h = Harness::start().await.unwrap();
    let paging = h.subscribe("paging", &paging_filter()).await.unwrap();
    // orders-1 crashes; the others write on without it; then every member goes down.
    h.sim.crash("orders-1").unwrap();
    h.wait_until("orders-2 and orders-3 on without orders-1", |t| {
        t.majority_groups()
            .iter()
            .any(|g| g.online == ["orders-2", "orders-3"] && g.view.len() == 2)
    })
    .await
    .unwrap();
    h.sim.commit("orders-2", 25).unwrap();
    let committed = h.sim.truth().all_executed();
    h.sim.inject(Fault::CompleteOutage).unwrap();
    h.wait_until("every mysqld down", |t| t.members.iter().all(|m| !m.up))
        .await
        .unwrap();
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let input = event("schedule.json").unwrap();

    let unread = invoke(&deps, input.clone()).await.unwrap();
    assert!(taken(&unread).is_empty(), "{unread:#}");

    // RDS starts every mysqld again; each tries to join a group, finds none, and gives up.
    for member in MEMBERS {
        h.sim.restart(member).unwrap();
    }
    let timing = Timing::fast();
    tokio::time::sleep(timing.join_retry_interval * timing.join_attempts * 2).await;
    h.wait_until("every member back, OFFLINE", |t| {
        MEMBERS.iter().all(|m| t.state(m) == "OFFLINE")
    })
    .await
    .unwrap();
    let repaired = invoke(&deps, input).await.unwrap();
    assert_eq!(
        taken(&repaired),
        [
            "bootstrap orders-2 verified",
            "rejoin orders-1 verified",
            "rejoin orders-3 verified"
        ],
        "{repaired:#}"
    );
    h.wait_converged(&committed).await.unwrap();

    let alerts = h.alerts().await.unwrap();
    let paged = Harness::read_alerts(&paging).await.unwrap();
    assert!(
        (1..=3).contains(&alerts.len()),
        "{} messages: {alerts:#?}",
        alerts.len()
    );
    let incident = alerts[0].attribute("dedup_key");
    assert!(
        incident.starts_with("orders/complete_outage/cluster/"),
        "{alerts:#?}"
    );
    assert!(
        alerts.iter().all(|a| a.attribute("dedup_key") == incident),
        "one incident: {alerts:#?}"
    );
    assert_eq!(alerts[0].attribute("transition"), "opened");
    assert_eq!(alerts[0].attribute("severity"), "critical");
    assert_eq!(alerts.last().unwrap().attribute("transition"), "resolved");
    assert_eq!(paged.len(), 1, "exactly one page: {paged:#?}");
    assert_eq!(paged[0], alerts[0]);

    // Where to look: the account, Region and deployment, each member's console page, the logs.
    let body = &alerts[0].message;
    for expected in [
        format!("Where: account {ACCOUNT_ID}, region {REGION}, deployment {DEPLOYMENT}"),
        format!(
            "https://{REGION}.console.aws.amazon.com/rds/home?region={REGION}#database:id=orders-1;"
        ),
        format!("https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#logsV2:"),
        "Procedure: Complete outage".to_owned(),
        "grkeeper plan --snapshot".to_owned(),
    ] {
        assert!(body.contains(&expected), "missing {expected:?} in:\n{body}");
    }
    let group = LOG_GROUP.replace('/', "*2F");
    assert!(body.contains(&group), "the log group in the query: {body}");
    // Every message, the resolution too, says where it comes from, in its body and attributes.
    for alert in &alerts {
        assert!(
            alert.message.contains(&format!(
                "Where: account {ACCOUNT_ID}, region {REGION}, deployment {DEPLOYMENT}"
            )),
            "{alert:#?}"
        );
        assert_eq!(alert.attribute("account"), ACCOUNT_ID);
        assert_eq!(alert.attribute("region"), REGION);
        assert_eq!(alert.attribute("deployment"), DEPLOYMENT);
    }
    // The resolution tells what grkeeper did, and pages nobody.
    let resolved = &alerts.last().unwrap().message;
    assert!(
        resolved.contains("grkeeper did: bootstrap orders-2 (succeeded)"),
        "{resolved}"
    );
}

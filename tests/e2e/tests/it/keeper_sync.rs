//! A new MySQL 9.7 member whose RDS initialization GTIDs keep it out of the group, end to end: the
//! scheduled tick refuses its rejoin with the finding and the two-way `advance_gtid` calls, an
//! operator's approval (the journal item `grkeeper approve sync-gtids` writes) lets the next tick
//! create the placeholders one call per step and rejoin it, and a tick cut off between two calls
//! is resumed by the next one without repeating a call (counted in each member's
//! `mysql.rds_history`, over the wire).

use chrono::{Duration, Utc};
use gr_sim::{SimConfig, Version};
use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::lambda::Function;
use grkeeper::ports::journal::Journal;
use grkeeper::snapshot::{ActionKind, Approval};
use grkeeper_demo::sim::{Reply, run_statement};
use grkeeper_e2e::bridge::Failure;
use grkeeper_e2e::harness::{CLUSTER, Harness, TABLE, event};
use grkeeper_e2e::invoke::{invoke, refused, taken};

/// orders-1 and orders-2 run 9.7 with two initialization GTIDs each, synced both ways when the
/// cluster was set up; orders-3 is a new 9.7 instance with four of its own, Group Replication
/// never started, and nothing of the others' own.
fn new_9_7_member(config: SimConfig) -> SimConfig {
    let nine_seven: Version = "9.7.0".parse().unwrap();
    config
        .all_members(|m| {
            m.version = nine_seven;
            m.initialization_gtids = 2;
        })
        .member("orders-3", |m| {
            m.initialization_gtids = 4;
            m.joins_at_start = false;
            m.start_on_boot = false;
        })
}

/// The `advance_gtid` calls `member`'s `mysql.rds_history` records, as `uuid:begin-end`, sorted,
/// read one row at a time (the simulator's SQL has no `COUNT`).
async fn placeholder_calls(h: &Harness, member: &str) -> Vec<String> {
    let mut calls = Vec::new();
    for offset in 0..10 {
        let sql = format!(
            "SELECT master_gtid FROM mysql.rds_history WHERE action = 'advance gtid' \
             LIMIT 1 OFFSET {offset}"
        );
        match run_statement(&h.sim, member, &sql).await.unwrap() {
            Reply::Done(Some(gtids)) => calls.push(gtids),
            Reply::Done(None) => {
                calls.sort();
                return calls;
            }
            Reply::Error { code, message } => panic!("{member}: ERROR {code}: {message}"),
        }
    }
    panic!("{member}: more placeholder calls than expected: {calls:?}")
}

fn approval(gtids: Option<&str>) -> Approval {
    Approval {
        action: ActionKind::SyncGtids,
        instance: Some("orders-3".into()),
        gives_up: Vec::new(),
        gtids: gtids.map(|g| g.parse().unwrap()),
        expires: Utc::now() + Duration::hours(1),
        by: "alice".into(),
    }
}

#[tokio::test]
async fn a_new_9_7_member_is_refused_then_synced_on_approval_and_a_cut_tick_repeats_no_call() {
    let h = Harness::start_with(new_9_7_member).await.unwrap();
    let truth = h.sim.truth();
    let uuid = |name: &str| truth.member(name).unwrap().server_uuid.clone();
    let (joiner, one, two) = (uuid("orders-3"), uuid("orders-1"), uuid("orders-2"));
    let committed = truth.all_executed();
    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let input = event("schedule.json").unwrap();

    // Without an approval: refused, with the finding and every call a person would make.
    let summary = invoke(&deps, input.clone()).await.unwrap();
    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(
        refused(&summary),
        ["rejoin orders-3 local_gtids"],
        "{summary:#}"
    );
    let findings = summary["clusters"][0]["plan"]["findings"]
        .as_array()
        .unwrap();
    let finding = findings
        .iter()
        .find(|f| f["kind"] == "local_gtids")
        .unwrap_or_else(|| panic!("{summary:#}"));
    let message = finding["message"].as_str().unwrap();
    let call = |begin: u64, end: u64, uuid: &str| {
        format!("CALL mysql.rds_group_replication_advance_gtid({begin}, {end}, '{uuid}')")
    };
    for expected in [
        format!("on orders-1 (the joiner's): {}", call(1, 4, &joiner)),
        format!("on orders-2 (the joiner's): {}", call(1, 4, &joiner)),
        format!("on orders-3 (orders-1's own): {}", call(1, 2, &one)),
        format!("on orders-3 (orders-2's own): {}", call(1, 2, &two)),
        "diverges silently".to_string(),
        "grkeeper approve sync-gtids --cluster orders --instance orders-3".to_string(),
    ] {
        assert!(message.contains(&expected), "{expected}\n{message}");
    }
    let alerts = h.alerts().await.unwrap();
    assert!(
        alerts.iter().any(|a| a
            .attribute("incident")
            .starts_with("orders/local_gtids/orders-3/")),
        "{alerts:#?}"
    );
    for member in ["orders-1", "orders-2", "orders-3"] {
        assert!(placeholder_calls(&h, member).await.is_empty(), "{member}");
    }
    assert_eq!(h.sim.truth().state("orders-3"), "OFFLINE");

    // An approval naming other ranges does not cover the sync: still nothing created.
    let journal = DynamoJournal::new(aws_sdk_dynamodb::Client::new(h.aws()), TABLE);
    journal
        .approve(CLUSTER, &approval(Some(&format!("{joiner}:1-4"))))
        .await
        .unwrap();
    let summary = invoke(&deps, input.clone()).await.unwrap();
    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(
        refused(&summary),
        ["rejoin orders-3 local_gtids"],
        "{summary:#}"
    );

    // Approved in full. The tick dies after the first call, before its outcome is journaled (its
    // intent was the first journal transaction, the mark that it is sent the second, its outcome
    // would be the third).
    journal.approve(CLUSTER, &approval(None)).await.unwrap();
    h.bridge
        .fail_after("dynamodb", Some("TransactWriteItems"), 2, Failure::Drop);
    let failed = invoke(&deps, input.clone()).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        ["sync_gtids orders-1 pending"]
    );
    assert_eq!(
        placeholder_calls(&h, "orders-1").await,
        [format!("{joiner}:1-4")]
    );
    for member in ["orders-2", "orders-3"] {
        assert!(placeholder_calls(&h, member).await.is_empty(), "{member}");
    }

    // The next tick verifies the cut-off call from orders-1's gtid_executed, makes each other
    // call once, then rejoins the member.
    h.bridge.heal();
    let summary = invoke(&deps, input.clone()).await.unwrap();
    assert_eq!(
        taken(&summary),
        [
            "sync_gtids orders-1 verified (resumed)",
            "sync_gtids orders-2 verified",
            "sync_gtids orders-3 verified",
            "sync_gtids orders-3 verified",
            "rejoin orders-3 verified",
        ],
        "{summary:#}"
    );
    let truth = h.wait_converged(&committed).await.unwrap();
    assert!(!truth.member("orders-3").unwrap().super_read_only);
    assert_eq!(
        placeholder_calls(&h, "orders-1").await,
        [format!("{joiner}:1-4")]
    );
    assert_eq!(
        placeholder_calls(&h, "orders-2").await,
        [format!("{joiner}:1-4")]
    );
    let mut theirs = [format!("{one}:1-2"), format!("{two}:1-2")];
    theirs.sort();
    assert_eq!(placeholder_calls(&h, "orders-3").await, theirs);
    assert_eq!(
        h.journaled_actions().await.unwrap(),
        [
            "sync_gtids orders-1 succeeded",
            "sync_gtids orders-2 succeeded",
            "sync_gtids orders-3 succeeded",
            "sync_gtids orders-3 succeeded",
            "rejoin orders-3 succeeded",
        ]
    );
    // Nothing is left to do: no call is made again.
    let summary = invoke(&deps, input).await.unwrap();
    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert_eq!(placeholder_calls(&h, "orders-3").await.len(), 2);
}

#[tokio::test]
async fn an_approved_sync_waits_while_the_group_lacks_quorum() {
    let h = Harness::start_with(new_9_7_member).await.unwrap();
    // orders-2 unreachable from orders-1: a group of two with one member live has no majority.
    h.sim.partition(&[&["orders-2"]]).unwrap();
    h.wait_until("orders-1 without a majority", |t| {
        t.majority_groups().is_empty()
    })
    .await
    .unwrap();
    let journal = DynamoJournal::new(aws_sdk_dynamodb::Client::new(h.aws()), TABLE);
    journal.approve(CLUSTER, &approval(None)).await.unwrap();
    let deps = h.cold_start(Function::Sweep).await.unwrap();

    let summary = invoke(&deps, event("schedule.json").unwrap())
        .await
        .unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    for member in ["orders-1", "orders-2", "orders-3"] {
        assert!(placeholder_calls(&h, member).await.is_empty(), "{member}");
    }
    assert!(h.journaled_actions().await.unwrap().is_empty());
}

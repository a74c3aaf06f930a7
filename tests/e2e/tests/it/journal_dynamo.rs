//! The DynamoDB journal against moto: the journal contract (the same suite the memory journal
//! passes), the item layout `docs/journal.md` documents, and a missing table.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::plan::Action;
use grkeeper::ports::journal::{
    Alerting, Journal, JournalError, LeaseGrant, LeaseStore, Memory, contract,
};
use grkeeper::snapshot::{ActionKind, Approval, Condition, Outcome, Pause};
use grkeeper_e2e::harness::TABLE;
use grkeeper_e2e::moto::Moto;
use grkeeper_e2e::resources::journal_table;

/// The journal in a new table shaped as `infra/template.yaml` declares it, and the raw client.
async fn journal(moto: &Moto) -> (DynamoJournal, Client) {
    let client = Client::new(&moto.sdk_config().await);
    journal_table(&client, TABLE).await.unwrap();
    (DynamoJournal::new(client.clone(), TABLE), client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dynamodb_journal_keeps_the_journal_contract() {
    let moto = Moto::start().await.unwrap();
    let (journal, _) = journal(&moto).await;
    contract::run(&journal).await;
}

#[tokio::test]
async fn journal_items_have_the_documented_layout() {
    let moto = Moto::start().await.unwrap();
    let (journal, client) = journal(&moto).await;
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let LeaseGrant::Acquired(lease) = journal
        .acquire_lease("orders", "req-1", now, Duration::from_secs(300))
        .await
        .unwrap()
    else {
        panic!("the lease of a new cluster is free");
    };
    let action = Action {
        kind: ActionKind::Rejoin,
        instance: "db2".into(),
        reason: "OFFLINE".into(),
    };
    let id = journal.record_intent(&lease, &action, now).await.unwrap();
    journal
        .record_outcome(&lease, &id, Outcome::Succeeded, "ONLINE", now)
        .await
        .unwrap();
    let conditions = BTreeMap::from([(
        "db2".to_owned(),
        Condition {
            state: "ONLINE".into(),
            since: now,
        },
    )]);
    let memory = Memory {
        conditions,
        ..Memory::default()
    };
    journal.save_memory(&lease, &memory).await.unwrap();
    journal
        .save_alerting(&lease, &Alerting::default())
        .await
        .unwrap();
    let until = now + chrono::Duration::hours(1);
    let pause = Pause {
        until,
        reason: "maintenance".into(),
        by: "alice".into(),
    };
    journal.pause("orders", Some("db3"), &pause).await.unwrap();
    let approval = Approval {
        action: ActionKind::Bootstrap,
        instance: None,
        gives_up: Vec::new(),
        expires: until,
        by: "bob".into(),
    };
    journal.approve("orders", &approval).await.unwrap();

    let items: HashMap<String, HashMap<String, AttributeValue>> = client
        .query()
        .table_name(TABLE)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("cluster#orders".into()))
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|item| (item["sk"].as_s().unwrap().clone(), item.clone()))
        .collect();
    let mut keys: Vec<&str> = items.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "action#2026-11-30T00:00:00.000Z#rejoin#db2",
            "approval#bootstrap#*",
            "conditions",
            "incidents",
            "lease",
            "pause#db3",
        ]
    );
    let s = |sk: &str, name: &str| items[sk][name].as_s().unwrap().clone();
    let n = |sk: &str, name: &str| items[sk][name].as_n().unwrap().parse::<i64>().unwrap();
    let action_sk = format!("action#{id}");
    assert_eq!(s(&action_sk, "kind"), "rejoin");
    assert_eq!(s(&action_sk, "instance"), "db2");
    assert_eq!(s(&action_sk, "outcome"), "succeeded");
    assert_eq!(s(&action_sk, "detail"), "ONLINE");
    assert_eq!(n(&action_sk, "epoch"), 1);
    assert_eq!(n(&action_sk, "expires_at"), now.timestamp() + 30 * 86_400);
    assert_eq!(s("lease", "owner"), "req-1");
    assert_eq!(n("lease", "lease_until"), now.timestamp() + 300);
    assert!(
        !items["lease"].contains_key("expires_at"),
        "TTL must never delete the lease"
    );
    assert_eq!(n("pause#db3", "expires_at"), until.timestamp());
    assert_eq!(n("approval#bootstrap#*", "expires_at"), until.timestamp());
    let db2 = items["conditions"]["conditions"].as_m().unwrap()["db2"]
        .as_m()
        .unwrap();
    assert_eq!(db2["state"].as_s().unwrap(), "ONLINE");
}

#[tokio::test]
async fn a_missing_table_is_a_clear_error_that_retrying_does_not_fix() {
    let moto = Moto::start().await.unwrap();
    let journal = DynamoJournal::new(Client::new(&moto.sdk_config().await), "no-such-table");
    let error = journal
        .history("orders", Utc::now(), Duration::from_secs(3600))
        .await
        .unwrap_err();
    let JournalError::Aws(aws) = &error else {
        panic!("expected an AWS error, got {error:?}");
    };
    assert_eq!(aws.code.as_deref(), Some("ResourceNotFoundException"));
    assert_eq!(error.kind(), "aws_rejected");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("DynamoDB.Query"), "{error}");
}

//! The DynamoDB journal against moto: the journal contract (the same suite the memory journal
//! passes), the item layout `docs/journal.md` documents, and a missing table.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeZone, Utc};
use grkeeper::adapters::aws::dynamo::DynamoJournal;
use grkeeper::plan::{Action, Memory};
use grkeeper::ports::journal::{
    Alerting, Journal, JournalError, Lease, LeaseGrant, LeaseStore, Parked, Tracked, contract,
};
use grkeeper::report::AlertMessage;
use grkeeper::snapshot::{
    ActionKind, ActiveMember, Approval, Condition, LastSeen, Outcome, Pause, SplitBrain, Stranger,
};
use grkeeper_e2e::harness::TABLE;
use grkeeper_e2e::moto::Moto;
use grkeeper_e2e::resources::journal_table;

/// The journal in a new table shaped as `infra/template.yaml` declares it, and the raw client.
async fn journal(moto: &Moto) -> (DynamoJournal, Client) {
    let client = Client::new(&moto.sdk_config().await);
    journal_table(&client, TABLE).await.unwrap();
    (DynamoJournal::new(client.clone(), TABLE), client)
}

/// The first lease of cluster `orders`, taken at `now` by `req-1`.
async fn first_lease(journal: &DynamoJournal, now: DateTime<Utc>) -> Lease {
    match journal
        .acquire_lease("orders", "req-1", now, Duration::from_secs(300))
        .await
        .unwrap()
    {
        LeaseGrant::Acquired(lease) => lease,
        held => panic!("the lease of a new cluster is free: {held:?}"),
    }
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
    let lease = first_lease(&journal, now).await;
    let action = Action::new(ActionKind::Rejoin, "db2", "OFFLINE");
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
    let tracked = Tracked {
        conditions,
        ..Tracked::default()
    };
    journal.save_tracked(&lease, &tracked).await.unwrap();
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
        gtids: None,
    };
    journal.approve("orders", &approval).await.unwrap();
    let uuid = |i: u8| format!("0000000{i}-1111-4222-8333-444444444444");
    let memory = Memory {
        last_seen: BTreeMap::from([(
            "db2".to_owned(),
            LastSeen {
                at: now,
                server_uuid: uuid(2),
                gtid_executed: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee:1-100"
                    .parse()
                    .unwrap(),
                received: Default::default(),
                gtid_purged: Default::default(),
                executed_since: now,
                lost: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee:101-147"
                    .parse()
                    .unwrap(),
                address: grkeeper::model::Address {
                    view_host: "ip-10-0-1-11".into(),
                    hostname: "ip-10-0-1-11".into(),
                    port: Some(3306),
                },
            },
        )]),
        strangers: vec![Stranger {
            member_id: uuid(9),
            host: "ip-10-0-9-9".into(),
            port: 3306,
            first_seen: now,
            last_seen: now,
        }],
        split_brain: Some(SplitBrain {
            first_seen: now,
            last_seen: now,
            sides: vec![vec![uuid(1), uuid(2)], vec![uuid(3)]],
        }),
        active: Some(ActiveMember {
            instance: "db2".into(),
            since: now,
        }),
    };
    journal
        .save_memory(&lease, &memory, &Memory::default())
        .await
        .unwrap();

    let items = items(&client).await;
    let keys: Vec<&str> = items.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "action#2026-11-30T00:00:00.000Z#rejoin#db2",
            "active",
            "approval#bootstrap#*",
            "conditions",
            "incidents",
            "last_seen#db2",
            "lease",
            "pause#db3",
            "split_brain",
            "strangers",
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
    // One part holding the record's JSON; no TTL while the instance is in the inventory.
    assert_eq!(s("last_seen#db2", "instance"), "db2");
    assert_eq!(
        (n("last_seen#db2", "part"), n("last_seen#db2", "parts")),
        (0, 1)
    );
    let record: serde_json::Value = serde_json::from_str(&s("last_seen#db2", "record")).unwrap();
    assert_eq!(record["server_uuid"], uuid(2));
    assert_eq!(
        record["lost"],
        "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee:101-147"
    );
    assert!(!items["last_seen#db2"].contains_key("expires_at"));
    let strangers = items["strangers"]["strangers"].as_l().unwrap();
    assert_eq!(
        strangers[0].as_m().unwrap()["member_id"].as_s().unwrap(),
        &uuid(9)
    );
    let sides = items["split_brain"]["split_brain"].as_m().unwrap()["sides"]
        .as_l()
        .unwrap();
    assert_eq!(sides.len(), 2);
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

#[tokio::test]
async fn alerts_waiting_through_a_long_sns_outage_fit_one_dynamodb_item() {
    let moto = Moto::start().await.unwrap();
    let (journal, _) = journal(&moto).await;
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let lease = first_lease(&journal, now).await;
    let message = |n: usize| AlertMessage {
        subject: format!("CRITICAL orders/orders-{n}: member offline"),
        body: format!("alert {n}\n{}", "x".repeat(150 * 1024)),
        attributes: BTreeMap::from([("severity".to_owned(), "critical".to_owned())]),
    };
    let waiting = Alerting {
        incidents: Vec::new(),
        undelivered: (0..25).map(message).collect(),
        parked: (25..35)
            .map(|n| Parked {
                message: message(n),
                error: "SNS.Publish: request rejected: Invalid parameter".into(),
                at: now,
            })
            .collect(),
    };

    // As it is, DynamoDB refuses it (the item limit is real in the stand-in too).
    let refused = journal.save_alerting(&lease, &waiting).await.unwrap_err();
    assert!(
        refused.to_string().contains("size"),
        "{refused}: expected DynamoDB's item size error"
    );
    // Bounded, it is taken and reads back whole, with the newest alerts.
    let (bounded, shed) = waiting.bounded();
    assert!(shed.undelivered > 0 || shed.parked > 0, "{shed:?}");
    journal.save_alerting(&lease, &bounded).await.unwrap();
    let read = journal.alerting("orders").await.unwrap();
    assert_eq!(read, bounded);
    assert!(
        read.undelivered
            .last()
            .unwrap()
            .body
            .starts_with("alert 24\n")
    );
}

/// Cluster `orders`'s items as DynamoDB holds them, by sort key.
async fn items(client: &Client) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    client
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
        .collect()
}

/// The sort keys of cluster `orders`'s items.
async fn keys(client: &Client) -> Vec<String> {
    items(client).await.into_keys().collect()
}

#[tokio::test]
async fn a_large_record_is_kept_in_parts_that_a_smaller_one_and_forgetting_delete() {
    let moto = Moto::start().await.unwrap();
    let (journal, client) = journal(&moto).await;
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let lease = first_lease(&journal, now).await;
    // Transactions of 10,000 sources: some 470 KB of GTID set text.
    let record = |sources: u32| {
        let set: String = (0..sources)
            .map(|i| format!("{i:08x}-1111-4222-8333-444444444444:1-10:12-20,"))
            .collect();
        LastSeen {
            at: now,
            server_uuid: "00000001-1111-4222-8333-444444444444".into(),
            gtid_executed: set.trim_end_matches(',').parse().unwrap(),
            received: Default::default(),
            gtid_purged: Default::default(),
            executed_since: now,
            lost: Default::default(),
            address: Default::default(),
        }
    };
    let memory = |sources: u32| Memory {
        last_seen: BTreeMap::from([("db1".to_owned(), record(sources))]),
        ..Memory::default()
    };
    let (large, small) = (memory(10_000), memory(1));

    journal
        .save_memory(&lease, &large, &Memory::default())
        .await
        .unwrap();
    assert_eq!(
        keys(&client).await,
        ["last_seen#db1", "last_seen#db1#1", "lease"]
    );
    journal.save_memory(&lease, &small, &large).await.unwrap();
    assert_eq!(keys(&client).await, ["last_seen#db1", "lease"]);
    journal
        .save_memory(&lease, &Memory::default(), &small)
        .await
        .unwrap();
    assert_eq!(keys(&client).await, ["lease"]);
}

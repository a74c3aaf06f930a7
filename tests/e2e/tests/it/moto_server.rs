//! moto as the tests rely on it: conditional writes that race are decided one at a time, as
//! DynamoDB decides them. The lease tests (`keeper_delivery`) mean something only if they are.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;
use grkeeper_e2e::harness::TABLE;
use grkeeper_e2e::moto::Moto;
use grkeeper_e2e::resources::journal_table;

/// Races, and writers per race. moto serving requests concurrently let two writers win at
/// least one of these races in most runs (its update checks the condition, validates, then
/// writes, with no lock); served one at a time, never.
const RACES: usize = 200;
const WRITERS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_racing_conditional_updates_of_one_item_exactly_one_wins() {
    let moto = Moto::start().await.unwrap();
    let client = Client::new(&moto.sdk_config().await);
    journal_table(&client, TABLE).await.unwrap();
    let key = |race: usize| {
        [
            ("pk".to_owned(), AttributeValue::S(format!("race#{race}"))),
            ("sk".to_owned(), AttributeValue::S("lease".into())),
        ]
        .into()
    };

    for race in 0..RACES {
        client
            .put_item()
            .table_name(TABLE)
            .set_item(Some(key(race)))
            .item("epoch", AttributeValue::N("0".into()))
            .send()
            .await
            .unwrap();
        // Each writer takes epoch 0 -> 1, as a tick takes over a lease it saw at epoch 0.
        let updates = (0..WRITERS).map(|writer| {
            client
                .update_item()
                .table_name(TABLE)
                .set_key(Some(key(race)))
                .update_expression("SET epoch = :next, #owner = :me")
                .condition_expression("epoch = :seen")
                .expression_attribute_names("#owner", "owner")
                .expression_attribute_values(":seen", AttributeValue::N("0".into()))
                .expression_attribute_values(":next", AttributeValue::N("1".into()))
                .expression_attribute_values(":me", AttributeValue::S(format!("writer-{writer}")))
                .send()
        });
        let results = join_all(updates).await;
        let won = results.iter().filter(|r| r.is_ok()).count();
        for lost in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                lost.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()),
                "race {race}: {lost:?}"
            );
        }
        assert_eq!(won, 1, "race {race}: {won} writers took the same epoch");
    }
}

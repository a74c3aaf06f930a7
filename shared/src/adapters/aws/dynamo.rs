//! The journal on DynamoDB (`GRKEEPER_TABLE`): conditional writes give the lease its
//! exclusivity, and every fenced write is a transaction whose first step checks the lease epoch.
//! The rules themselves live in `ports::journal::items`, shared with the memory journal.

mod codec;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::config::Published;
use crate::plan::{Action, Memory};
use crate::ports::aws::AwsError;
use crate::ports::journal::items::{
    self, ConditionsItem, DEPLOYMENT_PK, DEPLOYMENT_SK, FENCE_CONDITION, FIRST_TAKE_CONDITION,
    IncidentsItem, Item, LeaseItem, TAKE_OVER_CONDITION, Write, action_key, epoch_secs, partition,
    pause_key, secs_after,
};
use crate::ports::journal::{
    ActionId, Alerting, DeploymentStore, Journal, JournalError, Lease, LeaseGrant, LeaseStore,
    Tracked, journal_time,
};
use crate::snapshot::{Approval, History, Outcome, Pause};

use codec::{PK, SK, decode, encode, encode_at, to_attribute};

/// Reads and conditional puts one acquisition may try before it reports the lease held.
const TAKE_ATTEMPTS: usize = 3;

const UPDATE_ITEM: &str = "DynamoDB.UpdateItem";
const TRANSACT: &str = "DynamoDB.TransactWriteItems";
const QUERY: &str = "DynamoDB.Query";
const GET_ITEM: &str = "DynamoDB.GetItem";
const PUT_ITEM: &str = "DynamoDB.PutItem";
const DELETE_ITEM: &str = "DynamoDB.DeleteItem";

/// The journal in one DynamoDB table (`pk`, `sk` strings; TTL on `expires_at`).
#[derive(Debug, Clone)]
pub struct DynamoJournal {
    client: Client,
    table: String,
}

/// How a fenced transaction ended when AWS answered.
enum Fenced {
    Written,
    /// The lease was current but the item's own condition failed.
    ItemConditionFailed,
}

impl DynamoJournal {
    /// A journal in `table`, over a client built once per cold start.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoJournal {
            client,
            table: table.into(),
        }
    }

    fn key(cluster: &str, sk: &str) -> HashMap<String, AttributeValue> {
        Self::key_at(&partition(cluster), sk)
    }

    fn key_at(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(pk.to_owned())),
            (SK.to_owned(), AttributeValue::S(sk.to_owned())),
        ])
    }

    /// Writes `write` only if `lease` is still current.
    async fn fenced(
        &self,
        lease: &Lease,
        write: TransactWriteItem,
    ) -> Result<Fenced, JournalError> {
        self.fenced_all(lease, vec![write]).await
    }

    /// Writes all of `writes`, in one transaction, only if `lease` is still current; an item
    /// condition failing is reported for the first write's.
    async fn fenced_all(
        &self,
        lease: &Lease,
        writes: Vec<TransactWriteItem>,
    ) -> Result<Fenced, JournalError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&lease.cluster, items::LEASE)))
            .condition_expression(FENCE_CONDITION)
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()))
            .expression_attribute_values(":epoch", AttributeValue::N(lease.epoch.to_string()))
            .build()
            .map_err(|e| AwsError::misconfigured(TRANSACT, e))?;
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(
                std::iter::once(TransactWriteItem::builder().condition_check(check).build())
                    .chain(writes)
                    .collect(),
            ))
            .send()
            .await;
        let error = match sent {
            Ok(_) => return Ok(Fenced::Written),
            Err(error) => error,
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            error.as_service_error()
        {
            let failed = |i: usize| {
                cancelled
                    .cancellation_reasons()
                    .get(i)
                    .and_then(|r| r.code())
                    == Some("ConditionalCheckFailed")
            };
            if failed(0) {
                return Err(lease_lost(lease));
            }
            if failed(1) {
                return Ok(Fenced::ItemConditionFailed);
            }
            // Cancelled for another reason (a conflicting transaction, throttling): classify
            // by that reason's code, not by the umbrella exception's.
            if let Some(reason) = cancelled
                .cancellation_reasons()
                .iter()
                .find(|r| r.code().is_some_and(|c| c != "None"))
            {
                let detail = reason
                    .message()
                    .unwrap_or("transaction cancelled")
                    .to_owned();
                return Err(AwsError::entry_failure(TRANSACT, reason.code(), detail).into());
            }
        }
        Err(AwsError::from_sdk(TRANSACT, error).into())
    }

    /// A transaction step that puts `item` at `sk`, under `condition` if any.
    fn put(
        &self,
        cluster: &str,
        sk: &str,
        item: &Item,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, JournalError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(cluster, sk, item)?))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .map_err(|e| AwsError::misconfigured(TRANSACT, e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Updates the journaled action `id` with `expression` if `lease` is still current; an action
    /// never journaled is [`JournalError::UnknownAction`].
    async fn update_action(
        &self,
        lease: &Lease,
        id: &ActionId,
        expression: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<(), JournalError> {
        let update = values
            .into_iter()
            .fold(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(Self::key(&lease.cluster, &action_key(id))))
                    .condition_expression("attribute_exists(sk)")
                    .update_expression(expression),
                |update, (name, value)| update.expression_attribute_values(name, value),
            )
            .build()
            .map_err(|e| AwsError::misconfigured(TRANSACT, e))?;
        match self
            .fenced(lease, TransactWriteItem::builder().update(update).build())
            .await?
        {
            Fenced::Written => Ok(()),
            Fenced::ItemConditionFailed => Err(JournalError::UnknownAction {
                cluster: lease.cluster.clone(),
                id: id.clone(),
            }),
        }
    }

    /// A transaction step that deletes the item at `sk` (absent is fine).
    fn delete(&self, cluster: &str, sk: &str) -> Result<TransactWriteItem, JournalError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(cluster, sk)))
            .build()
            .map_err(|e| AwsError::misconfigured(TRANSACT, e))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Sets the lease's expiry if `lease` is still current; `None` when it is not.
    async fn set_lease_until(
        &self,
        lease: &Lease,
        until: i64,
    ) -> Result<Option<Lease>, JournalError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&lease.cluster, items::LEASE)))
            .condition_expression(FENCE_CONDITION)
            .update_expression("SET lease_until = :until")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()))
            .expression_attribute_values(":epoch", AttributeValue::N(lease.epoch.to_string()))
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Some(
                LeaseItem {
                    owner: lease.owner.clone(),
                    epoch: lease.epoch,
                    lease_until: until,
                }
                .lease(&lease.cluster),
            )),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(AwsError::from_sdk(UPDATE_ITEM, e).into()),
        }
    }

    /// The item at `sk` of `cluster`, read consistently.
    async fn get(&self, cluster: &str, sk: &str) -> Result<Option<Item>, JournalError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(cluster, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(GET_ITEM, e))?;
        output
            .item()
            .map(|attributes| decode(cluster, attributes).map(|(_, item)| item))
            .transpose()
    }

    async fn read_lease(&self, cluster: &str) -> Result<Option<LeaseItem>, JournalError> {
        match self.get(cluster, items::LEASE).await? {
            None => Ok(None),
            Some(Item::Lease(lease)) => Ok(Some(lease)),
            Some(_) => Err(unexpected(cluster, items::LEASE)),
        }
    }

    /// Puts `taken` if the lease is still as `seen` (and still free at `now`); false when
    /// another tick changed it first.
    async fn take(
        &self,
        cluster: &str,
        seen: Option<&LeaseItem>,
        taken: &LeaseItem,
        now: DateTime<Utc>,
    ) -> Result<bool, JournalError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(
                cluster,
                items::LEASE,
                &Item::Lease(taken.clone()),
            )?));
        put = match seen {
            None => put.condition_expression(FIRST_TAKE_CONDITION),
            Some(seen) => put
                .condition_expression(TAKE_OVER_CONDITION)
                .expression_attribute_names("#owner", "owner")
                .expression_attribute_values(":epoch", AttributeValue::N(seen.epoch.to_string()))
                .expression_attribute_values(":now", AttributeValue::N(epoch_secs(now).to_string()))
                .expression_attribute_values(":owner", AttributeValue::S(taken.owner.clone())),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(AwsError::from_sdk(PUT_ITEM, e).into()),
        }
    }

    /// An unconditional, unfenced put: operator commands need no lease.
    async fn put_item(&self, cluster: &str, sk: &str, item: &Item) -> Result<(), JournalError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(cluster, sk, item)?))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(PUT_ITEM, e))?;
        Ok(())
    }
}

fn held(holder: &LeaseItem) -> LeaseGrant {
    LeaseGrant::Held {
        owner: holder.owner.clone(),
        until: items::at_secs(holder.lease_until),
    }
}

fn unexpected(cluster: &str, sk: &str) -> JournalError {
    JournalError::Corrupt {
        cluster: cluster.to_owned(),
        sk: sk.to_owned(),
        reason: "holds another kind of item".to_owned(),
    }
}

fn lease_lost(lease: &Lease) -> JournalError {
    JournalError::LeaseLost {
        cluster: lease.cluster.clone(),
        epoch: lease.epoch,
    }
}

impl LeaseStore for DynamoJournal {
    #[instrument(skip(self))]
    async fn acquire_lease(
        &self,
        cluster: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<LeaseGrant, JournalError> {
        // Read, then put conditioned on what was read (compare-and-swap on the epoch): a put
        // that loses a race fails its condition, and the next read shows the winner. A PutItem
        // rather than one conditional UpdateItem: moto (the test stand-in) applies concurrent
        // UpdateItems non-atomically, and grants a new lease twice about once in twenty races.
        let mut seen = self.read_lease(cluster).await?;
        for _ in 0..TAKE_ATTEMPTS {
            if let Some(holder) = seen.as_ref().filter(|h| !h.available_to(owner, now)) {
                return Ok(held(holder));
            }
            let taken = LeaseItem {
                owner: owner.to_owned(),
                epoch: seen.as_ref().map_or(0, |h| h.epoch) + 1,
                lease_until: secs_after(now, ttl),
            };
            if self.take(cluster, seen.as_ref(), &taken, now).await? {
                return Ok(LeaseGrant::Acquired(taken.lease(cluster)));
            }
            seen = self.read_lease(cluster).await?;
        }
        // Lost every race: someone else holds it now.
        Ok(seen.as_ref().map_or_else(
            || LeaseGrant::Held {
                owner: String::new(),
                until: now,
            },
            held,
        ))
    }

    #[instrument(skip(self))]
    async fn renew_lease(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Lease, JournalError> {
        self.set_lease_until(lease, secs_after(now, ttl))
            .await?
            .ok_or_else(|| lease_lost(lease))
    }

    #[instrument(skip(self))]
    async fn release_lease(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JournalError> {
        self.set_lease_until(lease, epoch_secs(now)).await.map(drop)
    }
}

impl Journal for DynamoJournal {
    #[instrument(skip(self))]
    async fn history(
        &self,
        cluster: &str,
        now: DateTime<Utc>,
        lookback: Duration,
    ) -> Result<History, JournalError> {
        let pages: Vec<_> = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition(cluster)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| AwsError::from_sdk(QUERY, e))?;
        let stored = pages
            .iter()
            .map(|attributes| decode(cluster, attributes).map(|(_, item)| item))
            .collect::<Result<Vec<Item>, JournalError>>()?;
        items::history(cluster, &stored, now, lookback)
    }

    #[instrument(skip(self, action), fields(kind = ?action.kind, instance = %action.instance))]
    async fn record_intent(
        &self,
        lease: &Lease,
        action: &Action,
        now: DateTime<Utc>,
    ) -> Result<ActionId, JournalError> {
        let (id, key, item) = Item::intent(lease, action, now);
        let pending = serde_json::to_value(Outcome::Pending)
            .map(to_attribute)
            .map_err(|e| JournalError::Corrupt {
                cluster: lease.cluster.clone(),
                sk: key.clone(),
                reason: e.to_string(),
            })?;
        // A retry of this tick's own pending record is the idempotent case (the first record
        // stands); the same id from another epoch, or settled, is refused.
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&lease.cluster, &key, &item)?))
            .condition_expression(
                "attribute_not_exists(sk) OR (#epoch = :epoch AND #outcome = :pending)",
            )
            .expression_attribute_names("#epoch", "epoch")
            .expression_attribute_names("#outcome", "outcome")
            .expression_attribute_values(":epoch", AttributeValue::N(lease.epoch.to_string()))
            .expression_attribute_values(":pending", pending)
            .build()
            .map_err(|e| AwsError::misconfigured(TRANSACT, e))?;
        match self
            .fenced(lease, TransactWriteItem::builder().put(put).build())
            .await?
        {
            Fenced::Written => Ok(id),
            Fenced::ItemConditionFailed => Err(JournalError::IntentTaken {
                cluster: lease.cluster.clone(),
                id,
            }),
        }
    }

    #[instrument(skip(self))]
    async fn mark_sent(&self, lease: &Lease, id: &ActionId) -> Result<(), JournalError> {
        self.update_action(
            lease,
            id,
            "SET sent = :sent",
            vec![(":sent", AttributeValue::Bool(true))],
        )
        .await
    }

    #[instrument(skip(self))]
    async fn sent(&self, cluster: &str, id: &ActionId) -> Result<bool, JournalError> {
        match self.get(cluster, &action_key(id)).await? {
            Some(Item::Action(recorded)) => Ok(recorded.sent),
            Some(_) => Err(unexpected(cluster, &action_key(id))),
            None => Err(JournalError::UnknownAction {
                cluster: cluster.to_owned(),
                id: id.clone(),
            }),
        }
    }

    #[instrument(skip(self))]
    async fn record_outcome(
        &self,
        lease: &Lease,
        id: &ActionId,
        outcome: Outcome,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), JournalError> {
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.map(to_attribute).map_err(|e| JournalError::Corrupt {
                cluster: lease.cluster.clone(),
                sk: action_key(id),
                reason: e.to_string(),
            })
        };
        let values = vec![
            (":outcome", json(serde_json::to_value(outcome))?),
            (":detail", AttributeValue::S(detail.to_owned())),
            (":finished", json(serde_json::to_value(journal_time(now)))?),
        ];
        self.update_action(
            lease,
            id,
            "SET outcome = :outcome, detail = :detail, finished_at = :finished",
            values,
        )
        .await
    }

    #[instrument(skip(self, memory), fields(instances = memory.last_seen.len()))]
    async fn save_memory(
        &self,
        lease: &Lease,
        memory: &Memory,
        before: &Memory,
    ) -> Result<(), JournalError> {
        for group in items::memory_writes(&lease.cluster, memory, before)? {
            let writes = group
                .iter()
                .map(|write| match write {
                    Write::Put(sk, item) => self.put(&lease.cluster, sk, item, None),
                    Write::Delete(sk) => self.delete(&lease.cluster, sk),
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.fenced_all(lease, writes).await?;
        }
        Ok(())
    }

    #[instrument(skip(self, tracked))]
    async fn save_tracked(&self, lease: &Lease, tracked: &Tracked) -> Result<(), JournalError> {
        let item = Item::Conditions(ConditionsItem {
            tracked: tracked.clone(),
        });
        let write = self.put(&lease.cluster, items::CONDITIONS, &item, None)?;
        self.fenced(lease, write).await.map(drop)
    }

    #[instrument(skip(self))]
    async fn alerting(&self, cluster: &str) -> Result<Alerting, JournalError> {
        match self.get(cluster, items::INCIDENTS).await? {
            None => Ok(Alerting::default()),
            Some(Item::Incidents(stored)) => Ok(stored.alerting),
            Some(_) => Err(unexpected(cluster, items::INCIDENTS)),
        }
    }

    #[instrument(skip(self, alerting), fields(open = alerting.incidents.len(), undelivered = alerting.undelivered.len()))]
    async fn save_alerting(&self, lease: &Lease, alerting: &Alerting) -> Result<(), JournalError> {
        let item = Item::Incidents(IncidentsItem {
            alerting: alerting.clone(),
        });
        let write = self.put(&lease.cluster, items::INCIDENTS, &item, None)?;
        self.fenced(lease, write).await.map(drop)
    }

    #[instrument(skip(self))]
    async fn pause(
        &self,
        cluster: &str,
        instance: Option<&str>,
        pause: &Pause,
    ) -> Result<(), JournalError> {
        let (key, item) = Item::pause(instance, pause);
        self.put_item(cluster, &key, &item).await
    }

    #[instrument(skip(self))]
    async fn resume(&self, cluster: &str, instance: Option<&str>) -> Result<(), JournalError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(cluster, &pause_key(instance))))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(DELETE_ITEM, e))?;
        Ok(())
    }

    #[instrument(skip(self))]
    async fn approve(&self, cluster: &str, approval: &Approval) -> Result<(), JournalError> {
        let (key, item) = Item::approval(approval);
        self.put_item(cluster, &key, &item).await
    }
}

impl DeploymentStore for DynamoJournal {
    #[instrument(skip(self, published), fields(deployment = %published.effective.deployment))]
    async fn publish(&self, published: &Published) -> Result<(), JournalError> {
        let item = Item::Deployment(Box::new(published.clone()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_at(
                DEPLOYMENT_PK,
                DEPLOYMENT_PK,
                DEPLOYMENT_SK,
                &item,
            )?))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(PUT_ITEM, e))?;
        Ok(())
    }

    #[instrument(skip(self))]
    async fn published(&self) -> Result<Option<Published>, JournalError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_at(DEPLOYMENT_PK, DEPLOYMENT_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(GET_ITEM, e))?;
        match output
            .item()
            .map(|a| decode(DEPLOYMENT_PK, a))
            .transpose()?
        {
            None => Ok(None),
            Some((_, Item::Deployment(published))) => Ok(Some(*published)),
            Some(_) => Err(unexpected(DEPLOYMENT_PK, DEPLOYMENT_SK)),
        }
    }
}

//! The journal in memory, for the demo, local runs and tests: the same items under the same keys
//! with the same rules as DynamoDB (`items`), so it gives the same answers. Clones share state.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Published;
use crate::plan::{Action, Memory};

use crate::snapshot::{Approval, History, Outcome, Pause};

use super::items::{
    self, ActionItem, ConditionsItem, DEPLOYMENT_PK, DEPLOYMENT_SK, ITEM_LIMIT, IncidentsItem,
    Item, LeaseItem, Write, action_key, at_secs, epoch_secs, partition, pause_key, secs_after,
};
use super::{
    ActionId, Alerting, DeploymentStore, Journal, JournalError, Lease, LeaseGrant, LeaseStore,
    Tracked, journal_time,
};

/// Partition key -> sort key -> item: the DynamoDB table's shape.
type Table = BTreeMap<String, BTreeMap<String, Item>>;

/// A journal that lives as long as the process.
#[derive(Debug, Clone, Default)]
pub struct MemoryJournal {
    table: Arc<Mutex<Table>>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on one cluster's items, atomically (as one DynamoDB request is).
    fn with_items<T>(&self, cluster: &str, f: impl FnOnce(&mut BTreeMap<String, Item>) -> T) -> T {
        self.with_partition(&partition(cluster), f)
    }

    /// Runs `f` on the items of partition `pk`, atomically.
    fn with_partition<T>(&self, pk: &str, f: impl FnOnce(&mut BTreeMap<String, Item>) -> T) -> T {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        f(table.entry(pk.to_owned()).or_default())
    }

    /// Runs `f` only if `lease` is still current, as the DynamoDB backend's condition check does.
    fn fenced<T>(
        &self,
        lease: &Lease,
        f: impl FnOnce(&mut BTreeMap<String, Item>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        self.with_items(&lease.cluster, |items| match items.get(items::LEASE) {
            Some(Item::Lease(current)) if current.fences(lease) => f(items),
            _ => Err(JournalError::LeaseLost {
                cluster: lease.cluster.clone(),
                epoch: lease.epoch,
            }),
        })
    }

    /// Changes the journaled action `id` if `lease` is still current; an action never journaled
    /// is [`JournalError::UnknownAction`].
    fn update_action(
        &self,
        lease: &Lease,
        id: &ActionId,
        change: impl FnOnce(&mut ActionItem),
    ) -> Result<(), JournalError> {
        self.fenced(lease, |items| match items.get_mut(&action_key(id)) {
            Some(Item::Action(recorded)) => {
                change(recorded);
                Ok(())
            }
            _ => Err(JournalError::UnknownAction {
                cluster: lease.cluster.clone(),
                id: id.clone(),
            }),
        })
    }
}

impl LeaseStore for MemoryJournal {
    async fn acquire_lease(
        &self,
        cluster: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<LeaseGrant, JournalError> {
        self.with_items(cluster, |items| {
            let previous = match items.get(items::LEASE) {
                Some(Item::Lease(current)) if !current.available_to(owner, now) => {
                    return Ok(LeaseGrant::Held {
                        owner: current.owner.clone(),
                        until: at_secs(current.lease_until),
                    });
                }
                Some(Item::Lease(current)) => current.epoch,
                _ => 0,
            };
            let taken = LeaseItem {
                owner: owner.to_owned(),
                epoch: previous + 1,
                lease_until: secs_after(now, ttl),
            };
            let lease = taken.lease(cluster);
            items.insert(items::LEASE.to_owned(), Item::Lease(taken));
            Ok(LeaseGrant::Acquired(lease))
        })
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Lease, JournalError> {
        self.fenced(lease, |items| {
            let renewed = LeaseItem {
                owner: lease.owner.clone(),
                epoch: lease.epoch,
                lease_until: secs_after(now, ttl),
            };
            let lease = renewed.lease(&lease.cluster);
            items.insert(items::LEASE.to_owned(), Item::Lease(renewed));
            Ok(lease)
        })
    }

    async fn release_lease(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JournalError> {
        let released = self.fenced(lease, |items| {
            if let Some(Item::Lease(current)) = items.get_mut(items::LEASE) {
                current.lease_until = epoch_secs(now);
            }
            Ok(())
        });
        match released {
            Err(JournalError::LeaseLost { .. }) => Ok(()),
            other => other,
        }
    }
}

impl Journal for MemoryJournal {
    async fn history(
        &self,
        cluster: &str,
        now: DateTime<Utc>,
        lookback: Duration,
    ) -> Result<History, JournalError> {
        self.with_items(cluster, |items| {
            items::history(cluster, items.values(), now, lookback)
        })
    }

    async fn record_intent(
        &self,
        lease: &Lease,
        action: &Action,
        now: DateTime<Utc>,
    ) -> Result<ActionId, JournalError> {
        let (id, key, item) = Item::intent(lease, action, now);
        self.fenced(lease, |items| match items.get(&key) {
            None => {
                items.insert(key, item);
                Ok(())
            }
            // A retry of this tick's own record, still pending: the first record stands.
            Some(Item::Action(recorded))
                if recorded.epoch == lease.epoch && recorded.outcome == Outcome::Pending =>
            {
                Ok(())
            }
            Some(_) => Err(JournalError::IntentTaken {
                cluster: lease.cluster.clone(),
                id: id.clone(),
            }),
        })?;
        Ok(id)
    }

    async fn mark_sent(&self, lease: &Lease, id: &ActionId) -> Result<(), JournalError> {
        self.update_action(lease, id, |recorded| recorded.sent = true)
    }

    async fn sent(&self, cluster: &str, id: &ActionId) -> Result<bool, JournalError> {
        self.with_items(cluster, |items| match items.get(&action_key(id)) {
            Some(Item::Action(recorded)) => Ok(recorded.sent),
            _ => Err(JournalError::UnknownAction {
                cluster: cluster.to_owned(),
                id: id.clone(),
            }),
        })
    }

    async fn record_outcome(
        &self,
        lease: &Lease,
        id: &ActionId,
        outcome: Outcome,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), JournalError> {
        self.update_action(lease, id, |recorded| {
            recorded.outcome = outcome;
            detail.clone_into(&mut recorded.detail);
            recorded.finished_at = Some(journal_time(now));
        })
    }

    async fn save_memory(
        &self,
        lease: &Lease,
        memory: &Memory,
        before: &Memory,
    ) -> Result<(), JournalError> {
        for group in items::memory_writes(&lease.cluster, memory, before)? {
            // DynamoDB refuses an item over its limit, and so does this journal.
            for write in &group {
                if let Write::Put(sk, item) = write {
                    let bytes = item.size(&lease.cluster, sk);
                    if bytes > ITEM_LIMIT {
                        return Err(JournalError::TooLarge {
                            cluster: lease.cluster.clone(),
                            sk: sk.clone(),
                            bytes,
                            limit: ITEM_LIMIT,
                        });
                    }
                }
            }
            self.fenced(lease, |items| {
                for write in group {
                    match write {
                        Write::Put(sk, item) => items.insert(sk, item),
                        Write::Delete(sk) => items.remove(&sk),
                    };
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    async fn save_tracked(&self, lease: &Lease, tracked: &Tracked) -> Result<(), JournalError> {
        self.fenced(lease, |items| {
            let item = Item::Conditions(ConditionsItem {
                tracked: tracked.clone(),
            });
            items.insert(items::CONDITIONS.to_owned(), item);
            Ok(())
        })
    }

    async fn alerting(&self, cluster: &str) -> Result<Alerting, JournalError> {
        Ok(
            self.with_items(cluster, |items| match items.get(items::INCIDENTS) {
                Some(Item::Incidents(stored)) => stored.alerting.clone(),
                _ => Alerting::default(),
            }),
        )
    }

    async fn save_alerting(&self, lease: &Lease, alerting: &Alerting) -> Result<(), JournalError> {
        self.fenced(lease, |items| {
            let item = Item::Incidents(IncidentsItem {
                alerting: alerting.clone(),
            });
            items.insert(items::INCIDENTS.to_owned(), item);
            Ok(())
        })
    }

    async fn pause(
        &self,
        cluster: &str,
        instance: Option<&str>,
        pause: &Pause,
    ) -> Result<(), JournalError> {
        let (key, item) = Item::pause(instance, pause);
        self.with_items(cluster, |items| items.insert(key, item));
        Ok(())
    }

    async fn resume(&self, cluster: &str, instance: Option<&str>) -> Result<(), JournalError> {
        self.with_items(cluster, |items| items.remove(&pause_key(instance)));
        Ok(())
    }

    async fn approve(&self, cluster: &str, approval: &Approval) -> Result<(), JournalError> {
        let (key, item) = Item::approval(approval);
        self.with_items(cluster, |items| items.insert(key, item));
        Ok(())
    }
}

impl DeploymentStore for MemoryJournal {
    async fn publish(&self, published: &Published) -> Result<(), JournalError> {
        let item = Item::Deployment(Box::new(published.clone()));
        self.with_partition(DEPLOYMENT_PK, |items| {
            items.insert(DEPLOYMENT_SK.to_owned(), item)
        });
        Ok(())
    }

    async fn published(&self) -> Result<Option<Published>, JournalError> {
        Ok(
            self.with_partition(DEPLOYMENT_PK, |items| match items.get(DEPLOYMENT_SK) {
                Some(Item::Deployment(published)) => Some((**published).clone()),
                _ => None,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_memory_journal_keeps_the_journal_contract() {
        super::super::contract::run(&MemoryJournal::new()).await;
    }
}

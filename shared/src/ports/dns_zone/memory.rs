//! A hosted zone in memory with Route 53's rules for a change batch: a delete must name an
//! existing record with exactly its values, a create must not collide with one, and a batch
//! that breaks either rule changes nothing. For tests and the demo.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Change, DnsError, DnsZone, Record};

/// Zones by id, each a list of records; every applied batch is kept, in order. Clones share
/// the same zones.
#[derive(Debug, Clone, Default)]
pub struct MemoryZone {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    zones: BTreeMap<String, Vec<Record>>,
    batches: Vec<Vec<Change>>,
}

impl MemoryZone {
    /// No zone, no record.
    pub fn new() -> Self {
        Self::default()
    }

    /// The batches applied so far, oldest first.
    pub fn batches(&self) -> Vec<Vec<Change>> {
        self.lock().batches.clone()
    }

    /// The records of `zone` now, sorted.
    pub fn all(&self, zone: &str) -> Vec<Record> {
        let mut records = self.lock().zones.get(zone).cloned().unwrap_or_default();
        records.sort();
        records
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DnsZone for MemoryZone {
    async fn records(&self, zone: &str, names: &[String]) -> Result<Vec<Record>, DnsError> {
        Ok(self
            .all(zone)
            .into_iter()
            .filter(|r| names.contains(&r.name))
            .collect())
    }

    async fn change(&self, zone: &str, changes: &[Change], _: &str) -> Result<(), DnsError> {
        let mut state = self.lock();
        let mut records = state.zones.get(zone).cloned().unwrap_or_default();
        for change in changes {
            match change {
                Change::Delete(record) => {
                    let Some(at) = records.iter().position(|r| r == record) else {
                        return Err(DnsError::Stale(format!("no record {record}")));
                    };
                    records.remove(at);
                }
                Change::Create(record) => {
                    if records.iter().any(|r| r.same_slot(record)) {
                        return Err(DnsError::Stale(format!("{record} exists already")));
                    }
                    records.push(record.clone());
                }
            }
        }
        state.zones.insert(zone.to_owned(), records);
        state.batches.push(changes.to_vec());
        Ok(())
    }
}

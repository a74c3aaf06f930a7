//! The DNS records applications connect through: [`DnsZone`] reads a hosted zone's records and
//! applies one change batch atomically; [`MemoryZone`] keeps them in memory with Route 53's rules
//! (the Route 53 implementation is in `adapters::aws::route53`).
//!
//! A batch is conditional by construction: a record is replaced by deleting it with the exact
//! values read (Route 53 refuses the whole batch when they no longer match) and creating the new
//! one (refused when it exists), so a batch built on a stale reading changes nothing.

mod memory;

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::ports::aws::AwsError;

pub use memory::MemoryZone;

/// One CNAME record: a simple one (`set_identifier` absent) or one of a weighted set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Record {
    /// Fully qualified name, lower case, with the final dot.
    pub name: String,
    /// The weighted record's identifier (grkeeper uses the instance id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_identifier: Option<String>,
    /// The weight of a weighted record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Seconds resolvers may cache it.
    pub ttl: i64,
    /// The name it is an alias of (the instance's endpoint address).
    pub value: String,
}

impl Record {
    /// The same record in the zone: name and set identifier (values aside).
    pub fn same_slot(&self, other: &Record) -> bool {
        self.name == other.name && self.set_identifier == other.set_identifier
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.set_identifier {
            Some(id) => write!(f, "{} [{id}] -> {}", self.name, self.value),
            None => write!(f, "{} -> {}", self.name, self.value),
        }
    }
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "record", rename_all = "snake_case")]
pub enum Change {
    /// Delete the record with exactly these values.
    Delete(Record),
    /// Create the record; it must not exist.
    Create(Record),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Delete(r) => write!(f, "delete {r}"),
            Change::Create(r) => write!(f, "create {r}"),
        }
    }
}

/// Reads and changes records in one hosted zone.
pub trait DnsZone: Send + Sync {
    /// Every CNAME record of `zone` named one of `names` (fully qualified, with the final dot).
    fn records(
        &self,
        zone: &str,
        names: &[String],
    ) -> impl Future<Output = Result<Vec<Record>, DnsError>> + Send;

    /// Applies `changes` as one batch: all or nothing.
    fn change(
        &self,
        zone: &str,
        changes: &[Change],
        comment: &str,
    ) -> impl Future<Output = Result<(), DnsError>> + Send;
}

/// Why the records could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The call failed (unreachable, throttled, denied, no such zone).
    #[error("Route 53: {0}")]
    Aws(#[from] AwsError),
    /// The batch was refused because the records are no longer what it was built on (a
    /// concurrent change, or a person's): nothing changed.
    #[error("the records changed since they were read, nothing was changed: {0}")]
    Stale(String),
}

impl DnsError {
    /// Stable name for logs and metric dimensions.
    pub fn kind(&self) -> &'static str {
        match self {
            DnsError::Aws(e) => e.kind(),
            DnsError::Stale(_) => "dns_records_stale",
        }
    }
}

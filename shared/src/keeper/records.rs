//! Publishing the DNS names the plan decided (`docs/endpoints.md`): read the records, change
//! what differs in one batch, journaled like an action (intent before, outcome after), and one
//! topology event per record added or removed.
//!
//! The batch is conditional: each replaced or removed record is deleted with exactly the values
//! read, so a batch built on a stale reading (a concurrent or retried tick that got there first,
//! or a person's edit) is refused whole and changes nothing. A retried tick reads the records
//! its predecessor changed and finds nothing left to do: one change per real transition.

use serde::Serialize;
use tracing::{info, warn};

use crate::plan::endpoints::Records;
use crate::plan::{ActiveMember, Plan};
use crate::ports::Ports;
use crate::ports::clock::Clock;
use crate::ports::dns_zone::{Change, DnsError, DnsZone, Record};
use crate::ports::journal::{DnsChange, Journal, JournalError, Lease};
use crate::report::topology::{EndpointChange, EndpointEvent, TopologyEvent};
use crate::snapshot::{Outcome, Snapshot};

use super::Keeper;

/// What publishing did, for the tick's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsReport {
    /// The changes of the batch, as text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// How the batch ended; absent when nothing had to change or the names are frozen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why the records could not be read or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the tick keeps after publishing: the active member to remember, the events, the report.
pub(super) struct Published {
    pub active: Option<ActiveMember>,
    pub events: Vec<TopologyEvent>,
    pub report: Option<DnsReport>,
}

/// Publishes `plan`'s records for `cluster` under `lease`; `before` is the active member the
/// journal remembered, kept unless the records now point at the plan's.
pub(super) async fn publish<P: Ports>(
    keeper: &Keeper<P>,
    lease: &Lease,
    plan: &Plan,
    snapshot: &Snapshot,
    before: Option<ActiveMember>,
) -> Result<Published, JournalError> {
    let unchanged = |report| Published {
        active: before.clone(),
        events: Vec::new(),
        report,
    };
    let (Some(dns), Some(Records::Desired { members, active })) =
        (&keeper.config.dns, &plan.records)
    else {
        return Ok(unchanged(None));
    };
    let cluster = plan.cluster.as_str();
    let names = [dns.members_name(cluster), dns.active_name(cluster)];
    let current = match keeper.dns.records(&dns.zone_id, &names).await {
        Ok(current) => current,
        Err(e) => return Ok(unchanged(Some(failure(cluster, &e)))),
    };
    let mut desired: Vec<Record> = members
        .iter()
        .map(|(instance, address)| Record {
            name: names[0].clone(),
            set_identifier: Some(instance.clone()),
            weight: Some(1),
            ttl: dns.ttl,
            value: address.clone(),
        })
        .collect();
    match active {
        Some(target) => desired.push(Record {
            name: names[1].clone(),
            set_identifier: None,
            weight: None,
            ttl: dns.ttl,
            value: target.address.clone(),
        }),
        // No member can take the active name: whatever it holds stays.
        None => desired.extend(current.iter().filter(|r| r.name == names[1]).cloned()),
    }
    let changes = diff(&current, &desired);
    if changes.is_empty() {
        return Ok(Published {
            active: plan.memory.active.clone(),
            events: Vec::new(),
            report: None,
        });
    }
    let reason = reason(&changes);
    let mut change = DnsChange {
        at: keeper.clock.now(),
        outcome: Outcome::Pending,
        reason: reason.clone(),
        changes: changes.clone(),
        detail: String::new(),
    };
    keeper.journal.record_dns_change(lease, &change).await?;
    let answer = keeper.dns.change(&dns.zone_id, &changes, &reason).await;
    change.outcome = match &answer {
        Ok(()) => Outcome::Succeeded,
        // Refused whole: nothing changed; the next tick reads again.
        Err(DnsError::Stale(_)) => Outcome::NotAttempted,
        Err(DnsError::Aws(_)) => Outcome::Failed,
    };
    if let Err(e) = &answer {
        change.detail = e.to_string();
    }
    keeper.journal.record_dns_change(lease, &change).await?;
    let mut report = DnsReport {
        changes: changes.iter().map(ToString::to_string).collect(),
        outcome: Some(change.outcome),
        error: None,
    };
    if let Err(e) = answer {
        report.error = failure(cluster, &e).error;
        return Ok(unchanged(Some(report)));
    }
    info!(cluster, %reason, "DNS records changed");
    Ok(Published {
        active: plan.memory.active.clone(),
        events: events(snapshot, &changes),
        report: Some(report),
    })
}

fn failure(cluster: &str, error: &DnsError) -> DnsReport {
    warn!(cluster, error = %error, kind = error.kind(), "DNS records not changed");
    DnsReport {
        changes: Vec::new(),
        outcome: None,
        error: Some(error.to_string()),
    }
}

/// The batch turning `current` into `desired`: every record not wanted as it is deleted with
/// its exact values, every wanted one missing is created. A record of the two names grkeeper
/// did not write (another set identifier) is deleted too: the names are grkeeper's.
pub(crate) fn diff(current: &[Record], desired: &[Record]) -> Vec<Change> {
    let deletes = current
        .iter()
        .filter(|r| !desired.contains(r))
        .cloned()
        .map(Change::Delete);
    let creates = desired
        .iter()
        .filter(|r| !current.contains(r))
        .cloned()
        .map(Change::Create);
    deletes.chain(creates).collect()
}

/// Who joined and who left, in words.
fn reason(changes: &[Change]) -> String {
    changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One event per member added to or removed from a name (a replaced record is one of each).
fn events(snapshot: &Snapshot, changes: &[Change]) -> Vec<TopologyEvent> {
    // The active record names no instance: the one whose endpoint it points at.
    let instance_at = |address: &str| {
        snapshot
            .instances
            .iter()
            .find(|i| {
                i.rds
                    .seen()
                    .and_then(|r| r.endpoint.as_deref())
                    .is_some_and(|e| e.eq_ignore_ascii_case(address))
            })
            .map_or_else(|| address.to_owned(), |i| i.id.clone())
    };
    changes
        .iter()
        .map(|change| {
            let (record, change) = match change {
                Change::Delete(r) => (r, EndpointChange::Removed),
                Change::Create(r) => (r, EndpointChange::Added),
            };
            TopologyEvent::Endpoint(EndpointEvent {
                cluster: snapshot.cluster.clone(),
                name: record.name.clone(),
                instance: record
                    .set_identifier
                    .clone()
                    .unwrap_or_else(|| instance_at(&record.value)),
                address: record.value.clone(),
                change,
            })
        })
        .collect()
}

//! What each instance was last read as: its `server_uuid` and GTID sets, kept across ticks so
//! that an instance that cannot be read now is still known (its row in a view, what it held
//! when last seen), so that a RECOVERING member's progress can be measured between ticks, and
//! so that what an instance held before its data was replaced (a restore) is not forgotten.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::gtid::GtidSet;
use crate::model::MemberState;
use crate::snapshot::Snapshot;

use super::LastSeen;
use super::picture::Node;

/// The records to keep after this observation: every instance read now gets a fresh one (its
/// `executed_since` kept while `gtid_executed` has not changed), an instance not read keeps its
/// last one, and instances no longer in the inventory are dropped. What an earlier reading held
/// and this one does not is kept as `lost` (see [`LastSeen::lost`]) until the instance is read
/// `ONLINE`.
pub fn next(snapshot: &Snapshot) -> BTreeMap<String, LastSeen> {
    let now = snapshot.observed_at;
    let previous = &snapshot.history.last_seen;
    snapshot
        .instances
        .iter()
        .filter_map(|instance| {
            let before = previous.get(&instance.id);
            let record = match instance.mysql.seen() {
                Some(report) => {
                    let uuid = report.server_uuid.to_ascii_lowercase();
                    let executed_since = before
                        .filter(|b| {
                            b.server_uuid.eq_ignore_ascii_case(&uuid)
                                && b.gtid_executed == report.gtid_executed
                        })
                        .map_or(now, |b| b.executed_since);
                    // Keyed by instance, never by uuid: a restore that changes the uuid (or
                    // copies a twin's) must not wipe what this instance held before.
                    let lost = match (before, report.own_state()) {
                        (_, MemberState::Online) | (None, _) => GtidSet::new(),
                        (Some(b), _) => b.remembered().difference(&report.known_transactions()),
                    };
                    LastSeen {
                        at: now,
                        server_uuid: uuid,
                        gtid_executed: report.gtid_executed.clone(),
                        received: report.received(),
                        gtid_purged: report.gtid_purged.clone(),
                        executed_since,
                        lost,
                        address: report.address(),
                    }
                }
                None => before?.clone(),
            };
            Some((instance.id.clone(), record))
        })
        .collect()
}

/// Whether a member read now is still applying transactions, judged against its last reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// No earlier reading of this incarnation to compare with.
    Unknown,
    /// `gtid_executed` changed since the reading at this time.
    Growing(DateTime<Utc>),
    /// `gtid_executed` has not changed since this time.
    StalledSince(DateTime<Utc>),
}

/// The progress of `node`'s `gtid_executed` since its last reading.
pub(crate) fn progress(node: &Node<'_>) -> Progress {
    let (Some(report), Some(before)) = (node.report, node.last_seen) else {
        return Progress::Unknown;
    };
    if !before.server_uuid.eq_ignore_ascii_case(&report.server_uuid) {
        return Progress::Unknown;
    }
    if before.gtid_executed == report.gtid_executed {
        Progress::StalledSince(before.executed_since)
    } else {
        Progress::Growing(before.at)
    }
}

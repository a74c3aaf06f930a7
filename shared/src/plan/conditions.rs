//! Condition labels: one short label per instance for what it is doing now (`ONLINE`,
//! `RECOVERING`, `ONLINE/LAGGING`, `ONLINE/MINORITY`, `OFFLINE_MODE`, ...), and since when. The planner needs the
//! "since" for deadlines (stuck recovering, lagging); the keeper saves the result in the journal
//! and publishes a topology event when a label changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::{Instance, MemberReport, Observed};

use super::Condition;

/// Label of a member whose applier queue is above the policy limit while ONLINE.
pub const LAGGING: &str = "ONLINE/LAGGING";
/// Label of a member ONLINE in a view without a majority (its side of a partition).
pub const MINORITY: &str = "ONLINE/MINORITY";
/// Label of an instance stopped through RDS.
pub const STOPPED: &str = "STOPPED";

/// The label for one instance as observed now.
pub fn label(instance: &Instance, applier_queue_limit: u64) -> String {
    if instance.rds.seen().is_some_and(|r| r.status.is_stopped()) {
        return STOPPED.into();
    }
    match &instance.mysql {
        Observed::Failed(e) if e.is_offline_mode() => "OFFLINE_MODE".into(),
        Observed::Failed(_) => "UNREACHABLE".into(),
        Observed::Seen(report) => {
            let state = report.own_state();
            let online = state == crate::model::MemberState::Online;
            if online && !report.has_quorum() {
                MINORITY.into()
            } else if online && own_applier_queue(report) > applier_queue_limit {
                LAGGING.into()
            } else {
                state.to_string()
            }
        }
    }
}

/// The member's own applier queue as its own stats row reports it.
pub fn own_applier_queue(report: &MemberReport) -> u64 {
    report
        .stats
        .iter()
        .find(|s| s.member_id.eq_ignore_ascii_case(&report.server_uuid))
        .map_or(0, |s| s.remote_in_applier_queue)
}

/// The conditions after an observation at `now`: an unchanged label keeps its `since`, a new
/// one starts now. Instances no longer in the inventory are dropped.
pub fn next(
    previous: &BTreeMap<String, Condition>,
    instances: &[Instance],
    applier_queue_limit: u64,
    now: DateTime<Utc>,
) -> BTreeMap<String, Condition> {
    instances
        .iter()
        .map(|instance| {
            let state = label(instance, applier_queue_limit);
            let since = previous
                .get(&instance.id)
                .filter(|c| c.state == state)
                .map_or(now, |c| c.since);
            (instance.id.clone(), Condition { state, since })
        })
        .collect()
}

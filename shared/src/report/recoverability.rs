//! How long a member out of the group can still rejoin: until every donor has purged the first
//! binary log it lacks. After that it must be rebuilt. The estimate, per donor (a member
//! `ONLINE` with quorum), from what the probe reads:
//!
//! - retention: RDS purges a binary log once it is older than the donor's `binlog retention
//!   hours`, and the first transaction the member lacks was written after it left, so that log
//!   lives at least until it left plus the retention;
//! - purge rate: the donor's `gtid_purged` grows between ticks (the journal keeps a few
//!   samples); at that pace it gets through the transactions the member holds and it still keeps
//!   (and then to the first one it lacks) in so much time.
//!
//! The earlier of the two is the donor's deadline; the member can rejoin until the latest
//! donor's. The time of a donor's oldest binary log cannot be read over SQL (`SHOW BINARY LOGS`
//! lists names and sizes only), so it does not take part (`docs/group-replication.md`).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::gtid::GtidSet;
use crate::model::{MemberReport, MemberState};
use crate::plan;
use crate::snapshot::{BinlogSample, Condition, History, Snapshot};

/// Samples kept per member.
const SAMPLES: usize = 12;
/// A deadline closer than this makes the member's incident critical.
pub const URGENT: TimeDelta = TimeDelta::hours(24);
/// RDS's highest `binlog retention hours` (90 days).
const MAX_RETENTION_HOURS: u32 = 2160;

/// Until when a member out of the group can rejoin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The member.
    pub instance: String,
    /// Rejoin before this, or rebuild.
    pub at: DateTime<Utc>,
    /// Why then, for a person: the donor that holds out longest and what its deadline rests on.
    pub basis: String,
    /// The retention to set on every donor to extend it (`binlog retention hours`).
    pub extend_to_hours: u32,
}

impl Deadline {
    /// One line for alerts and `status`.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        format!(
            "{} must rejoin before {} ({}), else it must be rebuilt: {}. To extend it, run on \
             every ONLINE member: CALL mysql.rds_set_configuration('binlog retention hours', {});",
            self.instance,
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            remaining(self.at - now),
            self.basis,
            self.extend_to_hours
        )
    }

    /// Whether it is close enough to need a person now.
    pub fn is_urgent(&self, now: DateTime<Utc>) -> bool {
        self.at - now < URGENT
    }
}

/// `in 6d 23h`, `in 42m`, or `passed`.
fn remaining(left: TimeDelta) -> String {
    if left <= TimeDelta::zero() {
        return "passed".to_owned();
    }
    let (days, hours, minutes) = (
        left.num_days(),
        left.num_hours() % 24,
        left.num_minutes() % 60,
    );
    match (days, hours) {
        (0, 0) => format!("in {}m", minutes.max(1)),
        (0, _) => format!("in {hours}h {minutes}m"),
        _ => format!("in {days}d {hours}h"),
    }
}

/// Adds a sample of each readable member's purged transactions to `history` when it changed
/// (or is the first), keeping the last few.
pub fn record(history: &mut History, snapshot: &Snapshot) {
    for instance in &snapshot.instances {
        let Some(report) = instance.mysql.seen() else {
            continue;
        };
        let sample = BinlogSample {
            at: snapshot.observed_at,
            purged: report.gtid_purged.count(),
        };
        let samples = history.binlogs.entry(instance.id.clone()).or_default();
        if samples
            .last()
            .is_none_or(|last| last.purged != sample.purged)
        {
            samples.push(sample);
            let excess = samples.len().saturating_sub(SAMPLES);
            samples.drain(..excess);
        }
    }
    history
        .binlogs
        .retain(|id, _| snapshot.instances.iter().any(|i| i.id == *id));
}

/// The deadline of every member out of the group while a group with donors exists.
pub fn deadlines(snapshot: &Snapshot) -> Vec<Deadline> {
    let donors: Vec<(&str, &MemberReport)> = snapshot
        .instances
        .iter()
        .filter_map(|i| Some((i.id.as_str(), i.mysql.seen()?)))
        .filter(|(_, r)| r.own_state() == MemberState::Online && r.has_quorum())
        .collect();
    if donors.is_empty() {
        return Vec::new();
    }
    // Each member's condition as of this observation, and since when (a member that just left
    // is out since now).
    let conditions = plan::conditions::next(
        &snapshot.history.conditions,
        &snapshot.instances,
        snapshot.policy.applier_queue_limit,
        snapshot.observed_at,
    );
    snapshot
        .instances
        .iter()
        .filter(|i| !donors.iter().any(|(id, _)| *id == i.id))
        .filter(|i| {
            i.mysql
                .seen()
                .is_none_or(|r| r.own_state() != MemberState::Recovering)
        })
        .filter_map(|i| {
            let left = left_at(&conditions, &i.id)?;
            let holds = i.mysql.seen().map(|r| &r.gtid_executed);
            let estimates: Vec<(DateTime<Utc>, String, u32)> = donors
                .iter()
                .filter_map(|(id, donor)| donor_deadline(snapshot, id, donor, left, holds))
                .collect();
            // The donor that holds out longest; the first in inventory order among equals.
            let (at, basis, retention) = estimates
                .into_iter()
                .reduce(|best, next| if next.0 > best.0 { next } else { best })?;
            Some(Deadline {
                instance: i.id.clone(),
                at,
                basis,
                extend_to_hours: retention.saturating_mul(2).clamp(168, MAX_RETENTION_HOURS),
            })
        })
        .collect()
}

/// When the member was first seen out of the group: since its current condition, when that is
/// not a group state.
fn left_at(conditions: &BTreeMap<String, Condition>, instance: &str) -> Option<DateTime<Utc>> {
    let condition = conditions.get(instance)?;
    let in_group = condition.state.starts_with("ONLINE") || condition.state == "RECOVERING";
    (!in_group).then_some(condition.since)
}

/// One donor's deadline for a member that left at `left` holding `holds` (when it could be
/// read): the earlier of the retention's and the purge rate's, with its reason and the
/// donor's retention.
fn donor_deadline(
    snapshot: &Snapshot,
    donor: &str,
    report: &MemberReport,
    left: DateTime<Utc>,
    holds: Option<&GtidSet>,
) -> Option<(DateTime<Utc>, String, u32)> {
    let retention = report.settings.binlog_retention_hours;
    let by_retention = retention.map(|hours| {
        let at = left + TimeDelta::hours(i64::from(hours));
        let why = if hours == 0 {
            format!("{donor} keeps binary logs no time at all (retention NULL)")
        } else {
            format!(
                "{donor} keeps binary logs {hours} hours and the member left at {}",
                stamp(left)
            )
        };
        (at, why)
    });
    let by_rate = holds.and_then(|holds| {
        let still_kept = holds
            .intersection(&report.gtid_executed)
            .difference(&report.gtid_purged)
            .count();
        // The samples the journal kept, and this observation's reading as the newest.
        let mut samples = snapshot
            .history
            .binlogs
            .get(donor)
            .cloned()
            .unwrap_or_default();
        samples.push(BinlogSample {
            at: snapshot.observed_at,
            purged: report.gtid_purged.count(),
        });
        let per_hour = purge_rate(&samples)?;
        let hours = still_kept as f64 / per_hour;
        let at = snapshot.observed_at + TimeDelta::seconds((hours * 3600.0).min(1e10) as i64);
        let why = format!(
            "{donor} purges about {} transactions an hour and keeps {still_kept} the member \
             holds before the first it lacks",
            per_hour.round()
        );
        Some((at, why))
    });
    let (at, why) = match (by_retention, by_rate) {
        (Some(r), Some(p)) => std::cmp::min_by_key(r, p, |(at, _)| *at),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => return None,
    };
    Some((at, why, retention.unwrap_or(0)))
}

/// Transactions purged per hour over the samples, when they show any purging.
fn purge_rate(samples: &[BinlogSample]) -> Option<f64> {
    let (first, last) = (samples.first()?, samples.last()?);
    let seconds = (last.at - first.at).num_milliseconds() as f64 / 1000.0;
    let purged = last.purged.checked_sub(first.purged)? as f64;
    (seconds > 0.0 && purged > 0.0).then(|| purged * 3600.0 / seconds)
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Deadlines by member, for grouping and messages.
pub(crate) fn by_member(snapshot: &Snapshot) -> BTreeMap<String, Deadline> {
    deadlines(snapshot)
        .into_iter()
        .map(|d| (d.instance.clone(), d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ClusterBuilder, GROUP, at};
    use crate::report::fixtures::purging_40_an_hour;

    /// orders-2 out since 11:00 with transactions 1-90; the donors hold 1-100.
    fn out_since_eleven() -> ClusterBuilder {
        ClusterBuilder::healthy(3)
            .gr_stopped("orders-2")
            .executed("orders-2", &format!("{GROUP}:1-90"))
            .condition_since("orders-2", "OFFLINE", "2026-11-30T11:00:00Z")
    }

    #[test]
    fn without_purging_the_deadline_is_when_it_left_plus_the_donors_retention() {
        let s = out_since_eleven().build();
        let d = deadlines(&s);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].instance, "orders-2");
        assert_eq!(d[0].at, at("2026-12-07T11:00:00Z"));
        assert_eq!(d[0].extend_to_hours, 336);
        assert!(!d[0].is_urgent(s.observed_at));
        assert_eq!(
            d[0].describe(s.observed_at),
            "orders-2 must rejoin before 2026-12-07T11:00:00Z (in 6d 23h), else it must be \
             rebuilt: orders-1 keeps binary logs 168 hours and the member left at \
             2026-11-30T11:00:00Z. To extend it, run on every ONLINE member: CALL \
             mysql.rds_set_configuration('binlog retention hours', 336);"
        );
    }

    #[test]
    fn donors_purging_bring_the_deadline_closer_and_make_it_urgent() {
        // orders-1 and orders-3 purged 1-40 in the last hour (40 an hour); orders-2 holds 1-90,
        // so 50 of its transactions are still kept: about 75 minutes left.
        let s = purging_40_an_hour(out_since_eleven()).build();
        let d = deadlines(&s);
        assert_eq!(d[0].at, at("2026-11-30T13:15:00Z"));
        assert!(d[0].is_urgent(s.observed_at));
        assert!(
            d[0].basis.contains("purges about 40 transactions an hour"),
            "{}",
            d[0].basis
        );
        assert!(d[0].describe(s.observed_at).contains("(in 1h 15m)"));
    }

    #[test]
    fn retention_null_means_the_deadline_has_come_and_an_unknown_retention_gives_none() {
        let none = out_since_eleven()
            .report("orders-1", |r| r.settings.binlog_retention_hours = Some(0))
            .report("orders-3", |r| r.settings.binlog_retention_hours = Some(0))
            .build();
        let d = deadlines(&none);
        assert_eq!(d[0].at, at("2026-11-30T11:00:00Z"));
        assert!(d[0].describe(none.observed_at).contains("(passed)"));
        let unknown = out_since_eleven()
            .report("orders-1", |r| r.settings.binlog_retention_hours = None)
            .report("orders-3", |r| r.settings.binlog_retention_hours = None)
            .build();
        assert!(deadlines(&unknown).is_empty());
    }

    #[test]
    fn a_member_in_the_group_or_joining_has_no_deadline_nor_does_any_without_donors() {
        assert!(deadlines(&ClusterBuilder::healthy(3).build()).is_empty());
        let joining = out_since_eleven().recovering("orders-2").build();
        assert!(deadlines(&joining).is_empty());
        let outage = out_since_eleven().complete_outage().build();
        assert!(deadlines(&outage).is_empty());
    }

    #[test]
    fn a_sample_is_kept_only_when_purged_transactions_changed() {
        let mut history = History::default();
        let s = ClusterBuilder::healthy(2)
            .purged("orders-1", &format!("{GROUP}:1-10"))
            .build();
        record(&mut history, &s);
        let mut later = s.clone();
        later.observed_at += TimeDelta::minutes(1);
        record(&mut history, &later);
        assert_eq!(history.binlogs["orders-1"].len(), 1);
        let purged_more = ClusterBuilder::healthy(2)
            .purged("orders-1", &format!("{GROUP}:1-20"))
            .at("2026-11-30T12:05:00Z")
            .build();
        record(&mut history, &purged_more);
        assert_eq!(
            history.binlogs["orders-1"],
            vec![
                BinlogSample {
                    at: s.observed_at,
                    purged: 10
                },
                BinlogSample {
                    at: at("2026-11-30T12:05:00Z"),
                    purged: 20
                }
            ]
        );
    }
}

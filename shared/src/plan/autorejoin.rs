//! Group Replication's own auto-rejoin, read from a member's error log: after an expulsion the
//! member shows itself `ERROR` and tries `group_replication_autorejoin_tries` times, 5 minutes
//! apart, logging `Started auto-rejoin procedure attempt N of M` and `Auto-rejoin procedure
//! attempt N of M finished. Member was [not] able to join the group.` A reboot while that runs
//! cuts across a repair GR is making by itself, so grkeeper waits for it to succeed or give up.

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::{ErrorLogEntry, MemberReport};

use super::checks::mysql_time;

/// The wait between two attempts (fixed in the plugin) plus the time an attempt may take: a
/// newest auto-rejoin line older than this is from a procedure that is over (the member was
/// restarted, or its log moved on).
const STALE: TimeDelta = TimeDelta::minutes(10);

/// An auto-rejoin procedure that is still running: attempt `attempt` of `tries`, last logged at
/// `logged` (as MySQL prints it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Running {
    pub attempt: u64,
    pub tries: u64,
    pub logged: String,
}

/// The auto-rejoin procedure running on the member as of `now`, if its newest auto-rejoin line
/// (by its `LOGGED` time, whatever the order of the list) says one is: an attempt started, or
/// one failed and more are left.
pub(crate) fn running(report: &MemberReport, now: DateTime<Utc>) -> Option<Running> {
    let (entry, logged, line) = report
        .errors
        .iter()
        .filter_map(|e| Some((e, mysql_time(&e.logged)?, parse(e)?)))
        .max_by_key(|(_, logged, _)| *logged)?;
    if now - logged > STALE {
        return None;
    }
    let running = match line {
        Line::Started { attempt, tries } => (attempt, tries),
        Line::Failed { attempt, tries } if attempt < tries => (attempt, tries),
        Line::Failed { .. } | Line::Joined => return None,
    };
    Some(Running {
        attempt: running.0,
        tries: running.1,
        logged: entry.logged.clone(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Started { attempt: u64, tries: u64 },
    Failed { attempt: u64, tries: u64 },
    Joined,
}

/// Reads one auto-rejoin line; any other line is `None`.
fn parse(entry: &ErrorLogEntry) -> Option<Line> {
    let text = entry.data.to_ascii_lowercase();
    let (_, rest) = text.split_once("auto-rejoin procedure attempt ")?;
    let mut words = rest.split_whitespace();
    let attempt = words.next()?.parse().ok()?;
    if words.next()? != "of" {
        return None;
    }
    let tries = words
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some(if !text.contains("finished") {
        Line::Started { attempt, tries }
    } else if text.contains("not able") {
        Line::Failed { attempt, tries }
    } else {
        Line::Joined
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ClusterBuilder, at};

    fn report(lines: &[(&str, &str)]) -> MemberReport {
        let snapshot = ClusterBuilder::healthy(1)
            .error_log("orders-1", lines)
            .build();
        snapshot.instances[0]
            .mysql
            .seen()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn the_newest_line_by_time_decides() {
        let now = at("2026-11-30T12:00:00Z");
        let started = "Started auto-rejoin procedure attempt 2 of 3";
        let failed = "Auto-rejoin procedure attempt 1 of 3 finished. Member was not able to join \
                      the group.";
        let joined = "Auto-rejoin procedure attempt 2 of 3 finished. Member was able to join the \
                      group.";
        let last = "Auto-rejoin procedure attempt 3 of 3 finished. Member was not able to join \
                    the group.";
        // Listed oldest first: the order of the list does not matter, the time does.
        let r = report(&[
            ("2026-11-30 11:50:00.000000", failed),
            ("2026-11-30 11:55:00.000000", started),
        ]);
        assert_eq!(
            running(&r, now),
            Some(Running {
                attempt: 2,
                tries: 3,
                logged: "2026-11-30 11:55:00.000000".into()
            })
        );
        let between = report(&[("2026-11-30 11:58:00", failed)]);
        assert_eq!(running(&between, now).map(|r| r.attempt), Some(1));
        for over in [joined, last] {
            assert_eq!(
                running(&report(&[("2026-11-30 11:58:00", over)]), now),
                None
            );
        }
        // An hour-old attempt is from a procedure that is over.
        assert_eq!(
            running(&report(&[("2026-11-30 11:00:00", started)]), now),
            None
        );
        assert_eq!(running(&report(&[("garbage", started)]), now), None);
        // Ten minutes is the plugin's wait plus an attempt: a line exactly that old may still be
        // from a running procedure (no reboot yet), one a second older is not.
        assert_eq!(
            running(&report(&[("2026-11-30 11:50:00", started)]), now).map(|r| r.attempt),
            Some(2)
        );
        assert_eq!(
            running(&report(&[("2026-11-30 11:49:59", started)]), now),
            None
        );
        assert_eq!(
            running(
                &report(&[(
                    "2026-11-30 11:58:00",
                    "Plugin group_replication reported: 'Member was expelled'"
                )]),
                now
            ),
            None
        );
    }
}

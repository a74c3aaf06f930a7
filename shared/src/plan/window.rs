//! RDS maintenance windows as arithmetic on the minutes of a week: reading
//! `PreferredMaintenanceWindow` (`ddd:hh24:mi-ddd:hh24:mi`, UTC), which windows are open at one
//! minute (a window may run across the end of the week), the next opening after a time, and a
//! staggered schedule in which no two windows are ever open together.

use std::fmt;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};

/// Minutes in a week.
pub(crate) const WEEK: u32 = 7 * DAY;
/// Minutes in a day.
pub(crate) const DAY: u32 = 24 * 60;
/// How RDS spells the days, from Monday (minute 0 of the week is Monday 00:00 UTC).
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Between two windows a staggered schedule puts on the same day: a member's maintenance may run
/// past its window's end, and it must be back in the group before the next one starts.
pub(crate) const GAP: u32 = 60;

/// A weekly window: `minutes` long from minute `start` of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Minutes since Monday 00:00 UTC, below [`WEEK`].
    pub start: u32,
    /// Length in minutes, from 1 to [`WEEK`] - 1.
    pub minutes: u32,
}

impl Window {
    /// Reads `ddd:hh24:mi-ddd:hh24:mi` (any case); `None` for anything else, and for a window
    /// that ends where it starts.
    pub fn parse(text: &str) -> Option<Window> {
        let (from, to) = text.trim().split_once('-')?;
        let (start, end) = (minute_of_week(from)?, minute_of_week(to)?);
        let minutes = (end + WEEK - start) % WEEK;
        (minutes > 0).then_some(Window { start, minutes })
    }

    /// Open during minute `minute` of the week.
    pub fn covers(self, minute: u32) -> bool {
        // mutants: equivalent because `minute + WEEK` for `minute % WEEK` is the same modulo WEEK
        // (the outer `%`); the inner one only keeps a minute near u32::MAX from overflowing, and
        // the planner asks only about a window's start, below WEEK.
        (minute % WEEK + WEEK - self.start) % WEEK < self.minutes
    }

    /// The first opening at or after `now`'s whole second.
    pub fn next_start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let second = now - TimeDelta::nanoseconds(i64::from(now.nanosecond()));
        let week_secs = i64::from(WEEK) * 60;
        let now_secs = i64::from(second.weekday().num_days_from_monday()) * 86_400
            + i64::from(second.num_seconds_from_midnight());
        second + TimeDelta::seconds((i64::from(self.start) * 60 - now_secs).rem_euclid(week_secs))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = (self.start + self.minutes) % WEEK;
        write!(f, "{}-{}", Spelled(self.start), Spelled(end))
    }
}

/// A minute of the week as RDS spells it: `sun:05:00`.
struct Spelled(u32);

impl fmt::Display for Spelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minute = self.0 % WEEK;
        let day = DAYS[(minute / DAY) as usize];
        write!(f, "{day}:{:02}:{:02}", minute % DAY / 60, minute % 60)
    }
}

fn minute_of_week(text: &str) -> Option<u32> {
    let mut parts = text.trim().split(':');
    let (day, hour, minute) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    let day = DAYS.iter().position(|d| d.eq_ignore_ascii_case(day))?;
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    (hour < 24 && minute < 60).then(|| day as u32 * DAY + hour * 60 + minute)
}

/// The most windows open at one minute, and which (their indexes, in order). Where several are
/// open together, one of them has just opened: only the openings need counting.
pub(crate) fn most_open_together(windows: &[Window]) -> Vec<usize> {
    windows
        .iter()
        .map(|opening| {
            (0..windows.len())
                .filter(|&i| windows[i].covers(opening.start))
                .collect::<Vec<usize>>()
        })
        .max_by_key(Vec::len)
        .unwrap_or_default()
}

/// A schedule in which no two of `windows` are ever open together, each keeping its length:
/// the first keeps its place, the others open at the same time on the following days (a quiet
/// hour stays a quiet hour), and past seven members, a second round [`GAP`] after the longest
/// window of the first. `None` when the windows are too long to fit that way (two rounds of the
/// longest and their gaps must fit in a day).
pub(crate) fn staggered(windows: &[Window]) -> Option<Vec<Window>> {
    let anchor = windows.first()?.start;
    let rounds = u32::try_from(windows.len().div_ceil(7)).ok()?;
    let longest = windows.iter().map(|w| w.minutes).max()?;
    if rounds * (longest + GAP) > DAY {
        return None;
    }
    Some(
        windows
            .iter()
            .zip(0u32..)
            .map(|(window, k)| Window {
                // mutants: equivalent because `(k + 7) * DAY` for `(k % 7) * DAY` is the same
                // modulo WEEK (seven days), which the start is taken in.
                start: (anchor + (k % 7) * DAY + (k / 7) * (longest + GAP)) % WEEK,
                minutes: window.minutes,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::at;

    fn w(text: &str) -> Window {
        Window::parse(text).unwrap()
    }

    #[test]
    fn reads_and_writes_rds_windows() {
        assert_eq!(
            w("mon:00:00-mon:00:30"),
            Window {
                start: 0,
                minutes: 30
            }
        );
        assert_eq!(w("Sun:23:45-mon:00:15").minutes, 30);
        assert_eq!(w("sun:23:45-mon:00:15").start, WEEK - 15);
        assert_eq!(w("sat:23:00-sun:01:00").to_string(), "sat:23:00-sun:01:00");
        assert_eq!(w("sun:23:45-mon:00:15").to_string(), "sun:23:45-mon:00:15");
        for bad in [
            "",
            "sun:05:00",
            "sun:05:00-sun:05:00",
            "xyz:05:00-sun:05:30",
            "sun:24:00-mon:00:30",
            "sun:05:60-sun:06:30",
            "sun:5:00-sun:05:30",
            "sun:05:00:00-sun:05:30",
        ] {
            assert_eq!(Window::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_window_across_the_end_of_the_week_covers_both_sides() {
        let wrap = w("sun:23:30-mon:00:30");
        assert!(wrap.covers(WEEK - 1) && wrap.covers(0) && wrap.covers(29));
        assert!(!wrap.covers(30) && !wrap.covers(WEEK - 31));
        let together = |other: &str| most_open_together(&[wrap, w(other)]).len();
        assert_eq!(together("mon:00:29-mon:01:00"), 2);
        assert_eq!(together("mon:00:30-mon:01:00"), 1);
        assert_eq!(together("sun:23:00-sun:23:30"), 1);
        assert_eq!(together("sun:23:00-sun:23:31"), 2);
    }

    #[test]
    fn the_next_opening_is_this_week_or_the_next() {
        // 2026-11-30 is a Monday.
        let window = w("sun:05:00-sun:05:30");
        assert_eq!(
            window.next_start(at("2026-11-30T12:00:00Z")),
            at("2026-12-06T05:00:00Z")
        );
        assert_eq!(
            window.next_start(at("2026-12-06T05:00:00Z")),
            at("2026-12-06T05:00:00Z")
        );
        assert_eq!(
            window.next_start(at("2026-12-06T05:00:00.5Z")),
            at("2026-12-06T05:00:00Z")
        );
        assert_eq!(
            window.next_start(at("2026-12-06T05:00:01Z")),
            at("2026-12-13T05:00:00Z")
        );
    }

    #[test]
    fn a_stagger_fits_two_rounds_of_the_longest_window_and_their_gaps_in_a_day() {
        // Whether a schedule came back, and then that no two of its windows share a minute.
        let of = |n: usize, minutes: u32| {
            let windows = vec![Window { start: 0, minutes }; n];
            staggered(&windows).map(|s| {
                (0..WEEK).all(|m| s.iter().filter(|w| w.covers(m)).count() <= 1) && s.len() == n
            })
        };
        assert_eq!(of(7, DAY - GAP), Some(true));
        assert_eq!(of(7, DAY - GAP + 1), None);
        assert_eq!(of(9, DAY / 2 - GAP), Some(true));
        assert_eq!(of(9, DAY / 2 - GAP + 1), None);
        assert_eq!(of(8, 30), Some(true));
        // A 24-minute window on day k+1 and the eighth's: the second round must not land on them.
        assert_eq!(of(8, 24), Some(true));
        // The second round opens GAP after the longest window of the first, on the same days.
        let second = staggered(
            &[Window {
                start: 0,
                minutes: 30,
            }; 9],
        )
        .map(|s| s[7..].to_vec());
        let round = |start| Window { start, minutes: 30 };
        assert_eq!(second, Some(vec![round(30 + GAP), round(DAY + 30 + GAP)]));
        assert_eq!(staggered(&[]), None);
    }
}

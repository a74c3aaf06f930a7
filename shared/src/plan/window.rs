//! RDS maintenance windows as arithmetic on the minutes of a week: reading
//! `PreferredMaintenanceWindow` (`ddd:hh24:mi-ddd:hh24:mi`, UTC), which windows are open at one
//! minute (a window may run across the end of the week), the next opening after a time, and a
//! staggered schedule in which no two windows are ever open together.

use std::fmt;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};

/// Minutes in a week.
pub(crate) const WEEK: u32 = 7 * DAY;
/// Minutes in a day.
const DAY: u32 = 24 * 60;
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
        (minute % WEEK + WEEK - self.start) % WEEK < self.minutes
    }

    /// The first opening at or after `now`.
    pub fn next_start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let week_secs = i64::from(WEEK) * 60;
        let now_secs = i64::from(now.weekday().num_days_from_monday()) * 86_400
            + i64::from(now.num_seconds_from_midnight());
        let wait = (i64::from(self.start) * 60 - now_secs).rem_euclid(week_secs);
        let subsecond = TimeDelta::nanoseconds(i64::from(now.nanosecond()));
        // From the whole second: a window opening this very second is "now", not next week.
        now + TimeDelta::seconds(wait)
            - if wait == 0 {
                TimeDelta::zero()
            } else {
                subsecond
            }
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
    if rounds > 1 && rounds * (longest + GAP) > DAY || longest + GAP > DAY {
        return None;
    }
    Some(
        windows
            .iter()
            .zip(0u32..)
            .map(|(window, k)| Window {
                start: (anchor + (k % 7) * DAY + (k / 7) * (longest + GAP)) % WEEK,
                minutes: window.minutes,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::fixtures::at;
    use crate::proptest_seed::config;

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
            window.next_start(at("2026-12-06T05:00:01Z")),
            at("2026-12-13T05:00:00Z")
        );
    }

    /// A window as RDS allows it: at least 30 minutes, here at most a day.
    fn window() -> impl Strategy<Value = Window> {
        (0..WEEK, 30..=DAY).prop_map(|(start, minutes)| Window { start, minutes })
    }

    /// Counts, minute by minute over the whole week, the windows open at once: what the
    /// arithmetic must agree with.
    fn most_open_by_brute_force(windows: &[Window]) -> usize {
        (0..WEEK)
            .map(|m| windows.iter().filter(|w| w.covers(m)).count())
            .max()
            .unwrap_or(0)
    }

    proptest! {
        #![proptest_config(config(300))]

        #[test]
        fn windows_read_back_as_they_are_written(window in (0..WEEK, 1..WEEK)
            .prop_map(|(start, minutes)| Window { start, minutes }))
        {
            prop_assert_eq!(Window::parse(&window.to_string()), Some(window));
        }

        #[test]
        fn overlap_is_a_shared_minute_across_the_week_end(a in window(), b in window()) {
            let shared = (0..WEEK).any(|m| a.covers(m) && b.covers(m));
            prop_assert_eq!(most_open_together(&[a, b]).len() == 2, shared);
            prop_assert_eq!(most_open_together(&[b, a]).len() == 2, shared);
        }

        #[test]
        fn the_most_open_together_are_counted_exactly(
            windows in proptest::collection::vec(window(), 0..=9),
        ) {
            let most = most_open_together(&windows);
            prop_assert_eq!(most.len(), most_open_by_brute_force(&windows));
            // The ones named are open together at some minute.
            prop_assert!((0..WEEK).any(|m| most.iter().all(|&i| windows[i].covers(m))));
        }

        #[test]
        fn a_staggered_schedule_never_opens_two_windows_together(
            windows in proptest::collection::vec(window(), 1..=9),
        ) {
            let longest = windows.iter().map(|w| w.minutes).max().unwrap();
            match staggered(&windows) {
                Some(schedule) => {
                    prop_assert_eq!(most_open_by_brute_force(&schedule), 1);
                    prop_assert_eq!(schedule[0], windows[0]);
                    for (old, new) in windows.iter().zip(&schedule) {
                        prop_assert_eq!(old.minutes, new.minutes);
                    }
                }
                None => prop_assert!(
                    windows.len() > 7 && 2 * (longest + GAP) > DAY || longest + GAP > DAY
                ),
            }
        }

        #[test]
        fn the_next_opening_is_within_a_week_and_opens_the_window(
            window in window(),
            offset in 0i64..(4 * 7 * 86_400),
        ) {
            let now = at("2026-11-30T00:00:00Z") + TimeDelta::seconds(offset);
            let next = window.next_start(now);
            prop_assert!(next >= now && next - now < TimeDelta::days(7));
            let minute = next.weekday().num_days_from_monday() * DAY
                + next.hour() * 60 + next.minute();
            prop_assert_eq!(minute, window.start);
            prop_assert_eq!(next.second(), 0);
        }
    }
}

//! `GRKEEPER_WATCH_*`: watch mode's schedule (`docs/endpoints.md`): when the ticks of one
//! watching sweep start.

use std::time::Duration;

use super::reader::Reader;

const INTERVAL: &str = "GRKEEPER_WATCH_INTERVAL_SECS";
const UNTIL: &str = "GRKEEPER_WATCH_UNTIL_SECS";

/// When the ticks of one watching invocation start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watch {
    /// Between the starts of two ticks.
    pub interval: Duration,
    /// No tick starts this long or later after the invocation started (before the next
    /// schedule, so invocations do not overlap).
    pub until: Duration,
}

impl Watch {
    /// The start of every tick, as an offset from the invocation's start: 0, the interval,
    /// twice the interval... while before `until`. A tick that runs late pushes none of these:
    /// the next one starts at its own offset, or at once if that has passed.
    pub fn offsets(&self) -> impl Iterator<Item = Duration> + '_ {
        let step = self.interval.max(Duration::from_millis(100));
        (0u32..)
            .map(move |n| step.saturating_mul(n))
            .take_while(|offset| *offset < self.until)
    }
}

/// `GRKEEPER_WATCH_INTERVAL_SECS` (unset or 0: off) and `GRKEEPER_WATCH_UNTIL_SECS` (default
/// 56): the ticks of a watching sweep must end before the next scheduled one starts.
pub(super) fn read(env: &mut Reader<'_>) -> Option<Watch> {
    let interval = env.number(INTERVAL, 0u64, "seconds as a whole number (0: off)");
    let until = env.number(UNTIL, 56u64, "seconds as a whole number below 60");
    if until == 0 || until >= 60 {
        env.problem(
            UNTIL,
            format!("expected seconds from 1 to 59 (the schedule fires every minute), got {until}"),
        );
    }
    if interval > 0 && interval >= until {
        env.problem(
            INTERVAL,
            format!("must be below {UNTIL} ({until}), got {interval}"),
        );
    }
    (interval > 0).then(|| Watch {
        interval: Duration::from_secs(interval),
        until: Duration::from_secs(until),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_start_every_interval_until_just_before_the_next_schedule() {
        let watch = Watch {
            interval: Duration::from_secs(5),
            until: Duration::from_secs(50),
        };
        let offsets: Vec<u64> = watch.offsets().map(|o| o.as_secs()).collect();
        assert_eq!(offsets, [0, 5, 10, 15, 20, 25, 30, 35, 40, 45]);
        let zero = Watch {
            interval: Duration::ZERO,
            until: Duration::from_secs(1),
        };
        assert_eq!(zero.offsets().count(), 10, "an interval is at least 100 ms");
    }
}

//! The demo's clock: the wall clock plus an offset the demo moves forward between acts. Each act
//! would otherwise be held back by the previous one's per-member cooldown and hourly budgets (the
//! default policy is kept as it is); the simulator itself keeps real time.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use grkeeper::ports::clock::Clock;

/// Real time, `ahead` seconds later.
#[derive(Debug, Default)]
pub struct DemoClock {
    ahead_secs: AtomicI64,
}

impl DemoClock {
    /// From now on, time reads `by` later than before.
    pub fn advance(&self, by: TimeDelta) {
        self.ahead_secs
            .fetch_add(by.num_seconds(), Ordering::SeqCst);
    }
}

impl Clock for DemoClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::seconds(self.ahead_secs.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_reads_that_much_later_than_the_wall_clock() {
        let clock = DemoClock::default();
        clock.advance(TimeDelta::hours(1));
        let ahead = clock.now() - Utc::now();
        assert!(
            ahead > TimeDelta::minutes(59) && ahead <= TimeDelta::hours(1),
            "{ahead}"
        );
    }
}

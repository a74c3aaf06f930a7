//! Where "now" comes from, and how the tick waits: [`Clock`]; [`SystemClock`] in production (the
//! demo moves its own forward; the chaos runner drives a simulated one). The planner never reads
//! a clock: the keeper puts the time in the snapshot.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where "now" comes from, and how the tick waits between two looks at a member.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Waits `duration` of this clock's time. Every wait of a tick whose length matters (the
    /// pause between two looks of a verification) goes through here and is measured with
    /// [`Clock::now`], so a simulated clock runs a tick on simulated time.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

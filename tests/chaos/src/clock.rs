//! grkeeper's clock in a schedule: the simulator's manual clock, read as a date, plus the skew a
//! fault sets. A tick's waits (the pauses of a verification) move the simulator's time, so the
//! tick runs in lockstep with the simulated cluster and no schedule waits in real time for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use gr_sim::Cluster;
use grkeeper::ports::clock::Clock;

/// Simulated time zero as a date (the simulator's manual epoch).
const EPOCH_SECS: i64 = 1_767_225_600;

/// The simulator's time as grkeeper reads it; clones share the skew.
#[derive(Debug, Clone)]
pub struct SimClock {
    sim: Arc<Cluster>,
    skew_secs: Arc<AtomicI64>,
}

impl SimClock {
    /// The clock of `sim`, without skew.
    pub fn new(sim: Arc<Cluster>) -> Self {
        SimClock {
            sim,
            skew_secs: Arc::new(AtomicI64::new(0)),
        }
    }

    /// From now on grkeeper's clock reads `secs` off the simulator's.
    pub fn skew(&self, secs: i64) {
        self.skew_secs.store(secs, Ordering::SeqCst);
    }

    /// The date of a simulated instant, without skew.
    pub fn date(at: Duration) -> DateTime<Utc> {
        DateTime::from_timestamp(EPOCH_SECS, 0).unwrap_or_default()
            + TimeDelta::from_std(at).unwrap_or(TimeDelta::MAX)
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        SimClock::date(self.sim.now()) + TimeDelta::seconds(self.skew_secs.load(Ordering::SeqCst))
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        let sim = Arc::clone(&self.sim);
        async move {
            // The manual clock always accepts an advance.
            let _ = sim.advance(duration);
            // Let the simulator's listeners see what changed before the next look.
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
        }
    }
}

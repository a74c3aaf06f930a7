//! Simulated time: a manual clock the tests advance, or the wall clock with a background task
//! that moves the group model from one timed event to the next.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::config::ClockMode;
use crate::shared::Shared;

/// Longest the real-time driver sleeps without looking (new timers also wake it).
const DRIVER_MAX_SLEEP: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub(crate) struct Clock {
    mode: ClockMode,
    origin: Instant,
}

impl Clock {
    pub fn new(mode: ClockMode) -> Self {
        Clock {
            mode,
            origin: Instant::now(),
        }
    }

    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// Wall time since start in real-time mode; None on the manual clock.
    pub fn elapsed(&self) -> Option<Duration> {
        match self.mode {
            ClockMode::RealTime => Some(self.origin.elapsed()),
            ClockMode::Manual => None,
        }
    }

    /// Waits `d` of simulated time inside a statement: really in real-time mode, not at all on
    /// the manual clock (whose time moves only when the test says so).
    pub async fn sleep(&self, d: Duration) {
        if self.mode == ClockMode::RealTime {
            tokio::time::sleep(d).await;
        }
    }
}

/// Real-time mode: keeps the model's time up with the wall clock, waking at each deadline.
pub(crate) fn spawn_driver(shared: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut changed = shared.subscribe();
        loop {
            let wait = shared
                .with(|w| w.next_deadline().map(|at| at.saturating_sub(w.now)))
                .unwrap_or(DRIVER_MAX_SLEEP)
                .clamp(Duration::from_millis(1), DRIVER_MAX_SLEEP);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                result = changed.changed() => if result.is_err() { return },
            }
        }
    })
}

//! Watch mode (`docs/endpoints.md`): the scheduled invocation keeps ticking every few seconds
//! until just before the next schedule, so a member lost between two sweeps leaves the DNS names
//! within the interval plus one tick instead of up to a minute later. Every watch tick is a whole
//! tick (lease, observation, plan, journal, records); the loop only decides when.

use std::time::Instant;

use tracing::info;

use crate::ports::Ports;
use crate::trigger::Trigger;

use crate::config::Watch;

use super::{Keeper, KeeperError, TickOptions, TickSummary};

impl<P: Ports> Keeper<P> {
    /// Ticks at every offset of `watch` from now while the invocation deadline allows; stops at
    /// the first tick that fails or cannot start. Returns the last tick's summary and how many
    /// ticks ran.
    pub async fn watch(
        &self,
        trigger: &Trigger,
        options: &TickOptions,
        watch: &Watch,
    ) -> Result<(TickSummary, usize), KeeperError> {
        let started = Instant::now();
        let mut last = None;
        let mut ticks = 0;
        for offset in watch.offsets() {
            let at = started + offset;
            // A tick must be able to finish before the invocation's own deadline.
            if options
                .deadline
                .is_some_and(|deadline| deadline.saturating_duration_since(at) < watch.interval)
            {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
            let summary = self.tick(trigger, options).await?;
            ticks += 1;
            let failed = summary.failed();
            last = Some(summary);
            if failed {
                break;
            }
        }
        info!(ticks, "watch done");
        match last {
            Some(summary) => Ok((summary, ticks)),
            // No tick fitted before the deadline: tick once anyway, as without watch mode.
            None => Ok((self.tick(trigger, options).await?, 1)),
        }
    }
}

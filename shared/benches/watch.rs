//! Watch mode's gain, in simulated time: how long a crashed member stays in the members DNS name
//! with the sweep alone (one tick a minute) and with watch mode (a tick every 5 s until 56 s into
//! the minute, the default). A crash is placed at every quarter second of a minute; the ticks start where the
//! schedule and `Watch::offsets` put them, each takes `TICK` (about what a sweep takes), and the
//! planner decides at each tick whether the name still holds the member. Printed: the worst and
//! the mean time from crash to record removal, and their ratio. It exits non-zero when watch
//! mode's worst case is over its bound, the interval plus one tick.
//!
//! Run with `cargo bench -p grkeeper --features fixtures --bench watch`.

use std::process::ExitCode;
use std::time::Duration;

use grkeeper::config::Watch;
use grkeeper::fixtures::ClusterBuilder;
use grkeeper::plan::endpoints::Records;
use grkeeper::plan::{EndpointPolicy, plan};

/// What one tick takes, from its start to the record change.
const TICK: Duration = Duration::from_secs(1);
const SCHEDULE: Duration = Duration::from_secs(60);
const MEMBER: &str = "orders-2";

/// The tick starts of the invocations scheduled at 0, 60, 120 s, with `watch` or without.
fn tick_starts(watch: Option<&Watch>) -> Vec<Duration> {
    (0u32..3)
        .flat_map(|n| {
            let invocation = SCHEDULE * n;
            let offsets: Vec<Duration> = match watch {
                Some(watch) => watch.offsets().collect(),
                None => vec![Duration::ZERO],
            };
            offsets.into_iter().map(move |o| invocation + o)
        })
        .collect()
}

/// Whether a tick of a cluster where `MEMBER` crashed leaves it out of the members name.
fn removed_at_tick(crashed: bool) -> bool {
    let builder =
        ClusterBuilder::healthy(3).policy(|p| p.endpoints = Some(EndpointPolicy::default()));
    let builder = if crashed {
        builder.crashed(MEMBER)
    } else {
        builder
    };
    match plan(&builder.build()).records {
        Some(Records::Desired { members, .. }) => !members.contains_key(MEMBER),
        _ => false,
    }
}

/// Crash -> removal for a crash at every quarter second of the first minute: (worst, mean).
fn removal(watch: Option<&Watch>) -> (Duration, Duration) {
    let ticks = tick_starts(watch);
    let crashes: Vec<Duration> = (0..240).map(|q| Duration::from_millis(250 * q)).collect();
    let delays: Vec<Duration> = crashes
        .iter()
        .map(|&crash| {
            let tick = ticks
                .iter()
                .find(|&&start| start >= crash && removed_at_tick(start >= crash))
                .copied()
                .unwrap_or(Duration::MAX - TICK);
            tick + TICK - crash
        })
        .collect();
    let worst = delays.iter().copied().max().unwrap_or_default();
    let total: Duration = delays.iter().sum();
    (worst, total / u32::try_from(delays.len()).unwrap_or(1))
}

fn main() -> ExitCode {
    assert!(
        !removed_at_tick(false),
        "a healthy member must be in the name"
    );
    let watch = Watch {
        interval: Duration::from_secs(5),
        until: Duration::from_secs(56),
    };
    let (once_worst, once_mean) = removal(None);
    let (watch_worst, watch_mean) = removal(Some(&watch));
    println!("crash -> removal from the members name (simulated time, a tick takes {TICK:?})");
    println!("{:<28} {:>10} {:>10}", "", "worst", "mean");
    println!(
        "{:<28} {:>9.1}s {:>9.1}s",
        "once a minute",
        once_worst.as_secs_f64(),
        once_mean.as_secs_f64()
    );
    println!(
        "{:<28} {:>9.1}s {:>9.1}s",
        "watch mode, every 5 s",
        watch_worst.as_secs_f64(),
        watch_mean.as_secs_f64()
    );
    println!(
        "watch / once a minute: worst {:.2}, mean {:.2}",
        watch_worst.as_secs_f64() / once_worst.as_secs_f64(),
        watch_mean.as_secs_f64() / once_mean.as_secs_f64()
    );
    let bound = watch.interval + TICK;
    if watch_worst > bound {
        eprintln!("watch mode's worst case {watch_worst:?} is over its bound {bound:?}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

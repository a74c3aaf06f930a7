//! Planner speed: every documented scenario (`docs/examples/*.snapshot.json`) planned many
//! times. A tick plans after every action, so planning must stay negligible next to one
//! member probe (milliseconds): the ratio printed is the time per plan over a 1 ms budget. It
//! exits non-zero when the slowest scenario is over budget, so `scripts/test` (which runs it in
//! the dev profile, where plans take about a tenth of it) fails on a real regression only. Each
//! plan is timed on its own and the median taken: on a machine other jobs share, a plan the
//! scheduler interrupts takes many times as long by the wall clock, and a mean (or one timing of
//! all rounds) would fail the budget for the load, not for the planner.
//!
//! Run with `cargo bench -p grkeeper --bench plan` (or `--profile dev` for a quick look).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use grkeeper::plan::plan;
use grkeeper::snapshot::Snapshot;

const BUDGET: Duration = Duration::from_millis(1);
const ROUNDS: u32 = 2_000;

fn main() -> ExitCode {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples");
    let mut scenarios: Vec<(String, Snapshot)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(".snapshot.json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            let snapshot = Snapshot::from_json(&text).unwrap_or_else(|e| panic!("{e}"));
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            (name.trim_end_matches(".snapshot.json").to_owned(), snapshot)
        })
        .collect();
    scenarios.sort_by(|a, b| a.0.cmp(&b.0));
    let mut worst = Duration::ZERO;
    println!("{:<40} {:>12} {:>10}", "scenario", "per plan", "of 1 ms");
    println!("(the median of {ROUNDS} plans each)");
    for (name, snapshot) in &scenarios {
        let mut times: Vec<Duration> = (0..ROUNDS)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(plan(std::hint::black_box(snapshot)));
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        let each = times[times.len() / 2];
        worst = worst.max(each);
        println!(
            "{name:<40} {:>10.1}µs {:>10.4}",
            each.as_secs_f64() * 1e6,
            each.as_secs_f64() / BUDGET.as_secs_f64()
        );
    }
    println!(
        "worst: {:.1}µs per plan, {:.4} of the budget",
        worst.as_secs_f64() * 1e6,
        worst.as_secs_f64() / BUDGET.as_secs_f64()
    );
    if worst > BUDGET {
        eprintln!("planning is over its {BUDGET:?} budget");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

//! CI's batch: seeds 1 to 500, in ten parts of fifty (the test runner spreads them over the
//! cores, and a part stays well within its time bound on a busy machine). Every schedule must
//! pass; a failure is shrunk and printed with the command that replays it.

use std::time::Duration;

use grkeeper_chaos::batch::{BatchOptions, run_batch};
use grkeeper_chaos::report::{Figures, failure};
use grkeeper_chaos::runner::RunOptions;
use grkeeper_chaos::schedule::generate;
use grkeeper_chaos::shrink::shrink;

/// Schedules per part.
const PART: u64 = 50;
/// Runs a shrink may make for a failure.
const SHRINK_RUNS: usize = 40;
/// A schedule's real-time bound in a part: a schedule takes under a second alone and a minute or
/// two on a busy machine; four minutes is well past that and well before nextest ends the part
/// (`.config/nextest.toml`: ten), so a hang is reported with its seed.
const HUNG_AFTER_IN_CI: Duration = Duration::from_secs(240);

fn part(n: u64) {
    let options = BatchOptions {
        first_seed: 1 + (n - 1) * PART,
        count: PART,
        jobs: 1,
        concurrent: 12,
        run: RunOptions::default(),
        progress: false,
        time_limit: None,
        hung_after: HUNG_AFTER_IN_CI,
    };
    let ran = run_batch(&options).unwrap();
    let figures = Figures::of(&ran, options.hung_after);
    println!("part {n}: {}", figures.summary());
    assert!(figures.not_run.is_empty(), "{:?}", figures.not_run);
    assert!(figures.hung.is_empty(), "hung: {:?}", figures.hung);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Each moto schedule takes its instances away at its end: a batch's moto holds none after.
    if let Some(moto) = options.run.moto.get() {
        let rds = aws_sdk_rds::Client::new(&runtime.block_on(moto.sdk_config()));
        let left = runtime
            .block_on(rds.describe_db_instances().send())
            .unwrap();
        assert!(left.db_instances().is_empty(), "{:?}", left.db_instances());
    }
    let mut failures = Vec::new();
    for outcome in ran.iter().flatten().filter(|o| o.failed()) {
        let schedule = generate(outcome.seed);
        let shrunk = runtime.block_on(shrink(
            &schedule,
            outcome,
            &RunOptions::default(),
            SHRINK_RUNS,
        ));
        failures.push(failure(outcome, &shrunk, None));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn seeds_1_to_50_break_no_invariant_and_converge_or_leave_an_incident() {
    part(1);
}

#[test]
fn seeds_51_to_100_break_no_invariant_and_converge_or_leave_an_incident() {
    part(2);
}

#[test]
fn seeds_101_to_150_break_no_invariant_and_converge_or_leave_an_incident() {
    part(3);
}

#[test]
fn seeds_151_to_200_break_no_invariant_and_converge_or_leave_an_incident() {
    part(4);
}

#[test]
fn seeds_201_to_250_break_no_invariant_and_converge_or_leave_an_incident() {
    part(5);
}

#[test]
fn seeds_251_to_300_break_no_invariant_and_converge_or_leave_an_incident() {
    part(6);
}

#[test]
fn seeds_301_to_350_break_no_invariant_and_converge_or_leave_an_incident() {
    part(7);
}

#[test]
fn seeds_351_to_400_break_no_invariant_and_converge_or_leave_an_incident() {
    part(8);
}

#[test]
fn seeds_401_to_450_break_no_invariant_and_converge_or_leave_an_incident() {
    part(9);
}

#[test]
fn seeds_451_to_500_break_no_invariant_and_converge_or_leave_an_incident() {
    part(10);
}

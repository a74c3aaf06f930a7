//! The batch's bound on one schedule: a schedule made to hang (it never ends once its stage is
//! up) is stopped after the bound and reported hung with its seed, in the figures and the
//! report, while the rest of the batch runs to its end.

use std::time::{Duration, Instant};

use grkeeper_chaos::batch::{BatchOptions, NotRun, run_batch};
use grkeeper_chaos::report::Figures;
use grkeeper_chaos::runner::RunOptions;

#[test]
fn a_schedule_still_running_after_the_bound_is_stopped_and_reported_hung_and_the_batch_goes_on() {
    // Seeds 1 and 3 take under a second alone; the bound leaves them ample room on a busy
    // machine, and is all the test waits for seed 2.
    let hung_after = Duration::from_secs(15);
    let options = BatchOptions {
        first_seed: 1,
        count: 3,
        jobs: 1,
        concurrent: 3,
        run: RunOptions {
            hang: Some(2),
            ..RunOptions::default()
        },
        progress: false,
        time_limit: None,
        hung_after,
    };
    let started = Instant::now();
    let ran = run_batch(&options).unwrap();
    assert!(started.elapsed() >= hung_after);
    assert_eq!(ran.len(), 3);
    assert!(
        matches!(&ran[1], Err(NotRun::Hung(2, after)) if *after == hung_after),
        "{:?}",
        ran[1]
    );
    let figures = Figures::of(&ran, hung_after);
    assert_eq!(figures.hung, [2]);
    assert_eq!(figures.schedules, 2, "seeds 1 and 3 ran to their end");
    assert!(figures.not_run.is_empty(), "{:?}", figures.not_run);
    assert!(!figures.clean(), "a hung schedule leaves the batch unclean");
    assert!(
        figures.summary().contains("0 not run, 1 hung"),
        "{}",
        figures.summary()
    );
    let report = figures.markdown("chaos", 1, started.elapsed());
    assert!(
        report.contains(
            "| hung (still running after 15 s of real time: stopped, unjudged) | 1 (seeds 2) |"
        ),
        "{report}"
    );
    assert!(report.contains("(seeds 1 to 3,"), "{report}");
}

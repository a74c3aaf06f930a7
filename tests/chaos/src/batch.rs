//! Many schedules at once: `jobs` threads, each a single-threaded runtime running `concurrent`
//! schedules side by side (a schedule mostly waits on loopback round trips and on the real
//! timeouts a blackholed or slow member costs, so a thread keeps several busy). moto starts
//! once, when the first schedule that needs it runs. A schedule still running after
//! [`BatchOptions::hung_after`] of real time is stopped and reported hung; the batch goes on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::runner::{Outcome, RunOptions, run};
use crate::schedule::generate;

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The first seed.
    pub first_seed: u64,
    /// How many schedules (seeds `first_seed..first_seed + count`).
    pub count: u64,
    /// Threads.
    pub jobs: usize,
    /// Schedules in flight per thread.
    pub concurrent: usize,
    /// Options of every run (a planted planner, moto).
    pub run: RunOptions,
    /// Print progress to standard error.
    pub progress: bool,
    /// Start no schedule after this much time: the batch ends with the seeds started so far (a
    /// run of consecutive seeds from `first_seed`).
    pub time_limit: Option<Duration>,
    /// A schedule still running after this much real time is stopped and reported hung.
    pub hung_after: Duration,
}

/// The default of [`BatchOptions::hung_after`]: a schedule takes seconds alone, about a minute
/// among a loaded 2-core machine's batch, a moto one a few minutes there; fifteen is far beyond
/// any of them and still lets a 10,000-schedule batch finish with a slot lost to a hang.
pub const HUNG_AFTER: Duration = Duration::from_secs(15 * 60);

/// A schedule of a batch that did not run to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRun {
    /// It could not be set up, or it panicked (a harness problem): the seed and why.
    Broken(u64, String),
    /// Still running after the batch's bound: stopped, with the seed and the bound.
    Hung(u64, Duration),
}

impl NotRun {
    /// The seed.
    pub fn seed(&self) -> u64 {
        match self {
            NotRun::Broken(seed, _) | NotRun::Hung(seed, _) => *seed,
        }
    }
}

/// One schedule of a batch: its outcome, or why it did not run to its end.
pub type Ran = Result<Outcome, NotRun>;

/// Runs the batch; the outcomes come back in seed order.
pub fn run_batch(options: &BatchOptions) -> Result<Vec<Ran>, String> {
    let started = Instant::now();
    let run_options = options.run.clone();
    let next = Arc::new(AtomicU64::new(options.first_seed));
    let results: Arc<Mutex<Vec<Ran>>> = Arc::new(Mutex::new(Vec::new()));
    let end = options.first_seed + options.count;
    let threads: Vec<_> = (0..options.jobs.max(1))
        .map(|_| {
            let (next, results, run_options) =
                (Arc::clone(&next), Arc::clone(&results), run_options.clone());
            let (concurrent, progress, total, hung_after) = (
                options.concurrent.max(1),
                options.progress,
                options.count,
                options.hung_after,
            );
            // Checked before a seed is taken, so every seed taken runs: the seeds run stay
            // consecutive.
            let deadline = options.time_limit.map(|limit| started + limit);
            std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    let mut running = JoinSet::new();
                    let mut seeds = HashMap::new();
                    loop {
                        while running.len() < concurrent {
                            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                                break;
                            }
                            let seed = next.fetch_add(1, Ordering::SeqCst);
                            if seed >= end {
                                break;
                            }
                            let options = run_options.clone();
                            let task = running.spawn(async move {
                                let schedule = generate(seed);
                                // Dropping a schedule stops it: its simulator, bridge and
                                // keeper go with it.
                                match tokio::time::timeout(hung_after, run(&schedule, &options))
                                    .await
                                {
                                    Ok(ran) => ran.map_err(|e| NotRun::Broken(seed, e.to_string())),
                                    Err(_) => Err(NotRun::Hung(seed, hung_after)),
                                }
                            });
                            seeds.insert(task.id(), seed);
                        }
                        let Some(done) = running.join_next_with_id().await else {
                            break;
                        };
                        let ran = match done {
                            // A passing schedule's step log is not needed: only a failure's is
                            // printed (10,000 logs would hold hundreds of megabytes).
                            Ok((_, Ok(mut outcome))) if !outcome.failed() => {
                                outcome.log = Vec::new();
                                Ok(outcome)
                            }
                            Ok((_, ran)) => ran,
                            Err(e) => {
                                let seed = seeds.get(&e.id()).copied().unwrap_or_default();
                                Err(NotRun::Broken(seed, format!("the run panicked: {e}")))
                            }
                        };
                        // Each failure named as it happens: a long batch's report comes only
                        // at its end, and a batch stopped early would lose it.
                        match (progress, &ran) {
                            (true, Err(NotRun::Hung(seed, after))) => eprintln!(
                                "chaos: seed {seed} hung: still running after {} s, stopped",
                                after.as_secs()
                            ),
                            (true, Err(NotRun::Broken(seed, why))) => {
                                eprintln!("chaos: seed {seed} not run: {why}")
                            }
                            (true, Ok(outcome)) if outcome.failed() => eprintln!(
                                "chaos: seed {} failed: {} violation(s), liveness {:?}",
                                outcome.seed,
                                outcome.violations.len(),
                                outcome.liveness
                            ),
                            _ => {}
                        }
                        let mut all = results.lock().unwrap_or_else(PoisonError::into_inner);
                        all.push(ran);
                        if progress && all.len() % 50 == 0 {
                            let failed = all
                                .iter()
                                .filter(|ran| ran.as_ref().map_or(true, Outcome::failed))
                                .count();
                            eprintln!(
                                "chaos: {} of {total} schedules, {failed} failed or not run \
                                 ({:.0} s)",
                                all.len(),
                                started.elapsed().as_secs_f64()
                            );
                        }
                    }
                });
            })
        })
        .collect();
    for thread in threads {
        thread
            .join()
            .map_err(|_| "a batch thread panicked".to_owned())?;
    }
    let mut all = std::mem::take(&mut *results.lock().unwrap_or_else(PoisonError::into_inner));
    all.sort_by_key(|ran| match ran {
        Ok(outcome) => outcome.seed,
        Err(not_run) => not_run.seed(),
    });
    Ok(all)
}

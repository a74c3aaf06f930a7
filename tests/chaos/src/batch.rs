//! Many schedules at once: `jobs` threads, each a single-threaded runtime running `concurrent`
//! schedules side by side (a schedule mostly waits on loopback round trips and on the real
//! timeouts a blackholed or slow member costs, so a thread keeps several busy). moto starts
//! once, when the first schedule that needs it runs.

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
}

/// One schedule of a batch: its outcome, or why it could not be set up (a harness problem).
pub type Ran = Result<Outcome, (u64, String)>;

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
            let (concurrent, progress, total) =
                (options.concurrent.max(1), options.progress, options.count);
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
                                run(&schedule, &options)
                                    .await
                                    .map_err(|e| (seed, e.to_string()))
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
                                Err((seed, format!("the run panicked: {e}")))
                            }
                        };
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
        Err((seed, _)) => *seed,
    });
    Ok(all)
}

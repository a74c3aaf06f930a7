//! Shrinking a failing schedule: the smallest set of its faults that still fails the same way
//! (delta debugging over the numbered faults; everything else in the schedule stays), and the
//! one command that replays it.

use crate::ports::UnsafePlanner;
use crate::runner::{Outcome, RunOptions, run};
use crate::schedule::{Schedule, generate};

/// A failing schedule, shrunk.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The faults kept (their numbers).
    pub keep: Vec<usize>,
    /// The shrunk schedule's outcome (it fails like the original).
    pub outcome: Outcome,
    /// Schedules run while shrinking.
    pub runs: usize,
}

impl Shrunk {
    /// A failure reported as it is, with every fault.
    pub fn unshrunk(outcome: &Outcome) -> Shrunk {
        Shrunk {
            keep: outcome.faults.iter().map(|(n, _)| *n).collect(),
            outcome: outcome.clone(),
            runs: 0,
        }
    }
}

/// The command that replays `seed` with only the faults `keep`.
pub fn replay_command(seed: u64, keep: &[usize], planner: Option<UnsafePlanner>) -> String {
    let keep: Vec<String> = keep.iter().map(ToString::to_string).collect();
    let planted = planner
        .map(|p| format!(" --unsafe-planner {}", p.name()))
        .unwrap_or_default();
    format!(
        "cargo run -p grkeeper-chaos --bin chaos -- --replay {seed} --keep {}{planted}",
        if keep.is_empty() {
            "none".to_owned()
        } else {
            keep.join(",")
        }
    )
}

/// The schedule `--replay seed --keep list` runs.
pub fn replayed(seed: u64, keep: Option<&[usize]>) -> Schedule {
    let schedule = generate(seed);
    match keep {
        Some(keep) => schedule.keep(keep),
        None => schedule,
    }
}

/// Shrinks `failing` (the outcome of `schedule`), running at most `budget` schedules.
pub async fn shrink(
    schedule: &Schedule,
    failing: &Outcome,
    options: &RunOptions,
    budget: usize,
) -> Shrunk {
    let target = failing.signature();
    let same = |outcome: &Outcome| outcome.signature().iter().any(|k| target.contains(k));
    let mut keep: Vec<usize> = schedule.faults().map(|(n, _)| n).collect();
    let mut best = failing.clone();
    let mut runs = 0;
    let mut chunks = 2;
    while keep.len() >= 2 && runs < budget {
        let size = keep.len().div_ceil(chunks);
        let mut reduced = false;
        for start in (0..keep.len()).step_by(size) {
            if runs >= budget {
                break;
            }
            let without: Vec<usize> = keep
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < start || *i >= start + size)
                .map(|(_, n)| *n)
                .collect();
            runs += 1;
            if let Ok(outcome) = run(&schedule.clone().keep(&without), options).await
                && same(&outcome)
            {
                keep = without;
                best = outcome;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if chunks >= keep.len() {
                break;
            }
            chunks = (chunks * 2).min(keep.len());
        }
    }
    if keep.len() == 1 && runs < budget {
        runs += 1;
        if let Ok(outcome) = run(&schedule.clone().keep(&[]), options).await
            && same(&outcome)
        {
            keep.clear();
            best = outcome;
        }
    }
    Shrunk {
        keep,
        outcome: best,
        runs,
    }
}

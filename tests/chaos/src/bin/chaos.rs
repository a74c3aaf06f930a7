//! `chaos`: runs random fault schedules against the simulator and judges them by its ground
//! truth (`docs/testing.md`, "Chaos").
//!
//! ```text
//! chaos --schedules 500 --seed 1                  # a batch; failures are shrunk and printed
//! chaos --schedules 10000 --seed 1 --report docs/reliability.md   # release build advised
//! chaos --replay 4711 --keep 2,5                  # one schedule, step by step
//! ```
//!
//! Exit status 1 when any schedule broke an invariant, failed to converge, could not be set up or
//! hung (still running after `--hung-after`: stopped, reported with its seed), 2 on bad usage or
//! a harness error of the batch itself.

use std::process::ExitCode;

use clap::Parser;
use grkeeper_chaos::batch::{BatchOptions, HUNG_AFTER, run_batch};
use grkeeper_chaos::ports::UnsafePlanner;
use grkeeper_chaos::report::{FIGURES_BEGIN, FIGURES_END, Figures, failure, splice};
use grkeeper_chaos::runner::{RunOptions, run};
use grkeeper_chaos::shrink::{Shrunk, replay_command, replayed, shrink};

/// Schedules one failure may run while it is shrunk.
const SHRINK_RUNS: usize = 80;

/// Runs seeded fault schedules against the simulated cluster and grkeeper's real tick.
#[derive(Debug, Parser)]
#[command(name = "chaos")]
struct Args {
    /// How many schedules to run.
    #[arg(long, default_value_t = 100)]
    schedules: u64,
    /// The first seed (schedules use seed, seed + 1, ...).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Threads (default: the machine's cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Schedules in flight per thread.
    #[arg(long, default_value_t = 12)]
    concurrent: usize,
    /// Replay one seed step by step instead of running a batch.
    #[arg(long, value_name = "SEED")]
    replay: Option<u64>,
    /// With --replay: keep only these faults (numbers as printed; `none` for none).
    #[arg(long, value_name = "N,N,...")]
    keep: Option<String>,
    /// Plant a deliberately unsafe planner (the checker's own test): bootstrap-instead-of-rejoin.
    #[arg(long, value_name = "NAME")]
    unsafe_planner: Option<String>,
    /// Write the batch's figures into this file (docs/reliability.md), between its figure
    /// markers.
    #[arg(long, value_name = "FILE")]
    report: Option<std::path::PathBuf>,
    /// Start no schedule after this many minutes; the batch and its report cover the seeds
    /// started by then.
    #[arg(long, value_name = "MINUTES")]
    minutes: Option<u64>,
    /// Report failures without shrinking them.
    #[arg(long)]
    no_shrink: bool,
    /// Stop a schedule still running after this many seconds of real time and report it hung
    /// (the batch goes on).
    #[arg(long, value_name = "SECONDS", default_value_t = HUNG_AFTER.as_secs())]
    hung_after: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let planner = match args.unsafe_planner.as_deref().map(UnsafePlanner::named) {
        None => None,
        Some(Some(planner)) => Some(planner),
        Some(None) => {
            eprintln!("chaos: unknown --unsafe-planner (known: bootstrap-instead-of-rejoin)");
            return ExitCode::from(2);
        }
    };
    let options = RunOptions {
        planner,
        ..RunOptions::default()
    };
    match args.replay {
        Some(seed) => replay(seed, args.keep.as_deref(), options),
        None => batch(&args, options),
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
}

fn replay(seed: u64, keep: Option<&str>, mut options: RunOptions) -> ExitCode {
    let keep: Option<Vec<usize>> = match keep {
        None => None,
        Some("none") => Some(Vec::new()),
        Some(list) => match list.split(',').map(str::parse).collect() {
            Ok(keep) => Some(keep),
            Err(e) => {
                eprintln!("chaos: --keep {list}: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let schedule = replayed(seed, keep.as_deref());
    println!(
        "seed {seed}: {} members ({}), exit action {:?}, autorejoin tries {}, GR started on \
         boot: {}, {:?} AWS side, policy {}",
        schedule.shape.inventory().len(),
        schedule
            .shape
            .members
            .iter()
            .map(|m| format!("{} {}", m.name, m.version))
            .collect::<Vec<_>>()
            .join(", "),
        schedule.shape.members[0].exit_action,
        schedule.shape.members[0].autorejoin_tries,
        schedule.shape.start_on_boot,
        schedule.aws,
        serde_json::to_string(&schedule.policy).unwrap_or_default()
    );
    options.verbose = true;
    let Some(runtime) = runtime() else {
        return ExitCode::from(2);
    };
    match runtime.block_on(run(&schedule, &options)) {
        Ok(outcome) => {
            for violation in &outcome.violations {
                println!("VIOLATION {violation}");
            }
            println!("liveness: {:?}", outcome.liveness);
            if outcome.failed() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("chaos: seed {seed} could not be set up: {e}");
            ExitCode::from(2)
        }
    }
}

fn batch(args: &Args, options: RunOptions) -> ExitCode {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let batch = BatchOptions {
        first_seed: args.seed,
        count: args.schedules,
        jobs,
        concurrent: args.concurrent,
        run: options.clone(),
        progress: true,
        time_limit: args.minutes.map(|m| std::time::Duration::from_secs(m * 60)),
        hung_after: std::time::Duration::from_secs(args.hung_after),
    };
    let started = std::time::Instant::now();
    let ran = match run_batch(&batch) {
        Ok(ran) => ran,
        Err(e) => {
            eprintln!("chaos: {e}");
            return ExitCode::from(2);
        }
    };
    let figures = Figures::of(&ran, batch.hung_after);
    if (ran.len() as u64) < args.schedules {
        println!(
            "time limit: {} of {} schedules started (seeds {} to {})",
            ran.len(),
            args.schedules,
            args.seed,
            (args.seed + ran.len() as u64).saturating_sub(1)
        );
    }
    // The figures and the failing seeds first: shrinking takes a run per try, and a batch cut
    // short while it shrinks still leaves its figures.
    println!(
        "{} ({:.0} s)",
        figures.summary(),
        started.elapsed().as_secs_f64()
    );
    let failed: Vec<_> = ran.iter().flatten().filter(|o| o.failed()).collect();
    for outcome in &failed {
        println!("failed seed {}: {:?}", outcome.seed, outcome.signature());
    }
    for (seed, why) in &figures.not_run {
        println!("NOT RUN seed {seed}: {why}");
    }
    for &seed in &figures.hung {
        let every: Vec<usize> = grkeeper_chaos::schedule::generate(seed)
            .faults()
            .map(|(n, _)| n)
            .collect();
        println!(
            "HUNG seed {seed}: still running after {} s, stopped; replay: {}",
            args.hung_after,
            replay_command(seed, &every, options.planner)
        );
    }
    if let Some(path) = &args.report
        && let Err(e) = write_report(args, path, &figures, started.elapsed())
    {
        eprintln!(
            "chaos: cannot write the figures into {}: {e}",
            path.display()
        );
        return ExitCode::from(2);
    }
    let Some(runtime) = runtime() else {
        return ExitCode::from(2);
    };
    for outcome in failed {
        let schedule = grkeeper_chaos::schedule::generate(outcome.seed);
        let shrunk = if args.no_shrink {
            Shrunk::unshrunk(outcome)
        } else {
            runtime.block_on(shrink(&schedule, outcome, &options, SHRINK_RUNS))
        };
        println!("{}", failure(outcome, &shrunk, options.planner));
    }
    if figures.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes the batch's figures into `path`, between its figure markers.
fn write_report(
    args: &Args,
    path: &std::path::Path,
    figures: &Figures,
    elapsed: std::time::Duration,
) -> Result<(), String> {
    // The profile this binary was built in: the figures' wall-clock time depends on it (an
    // optimized build is the chaos profile's, the one docs/reliability.md names).
    let profile = if cfg!(debug_assertions) {
        ""
    } else {
        " --profile chaos"
    };
    let limit = args
        .minutes
        .map_or(String::new(), |m| format!(" --minutes {m}"));
    let command = format!(
        "cargo run -p grkeeper-chaos{profile} --bin chaos -- --schedules {} --seed {} \
         --concurrent {}{limit} --report {}",
        args.schedules,
        args.seed,
        args.concurrent,
        path.display()
    );
    let figures = figures.markdown(&command, args.seed, elapsed);
    let document = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let document = splice(&document, &figures).ok_or_else(|| {
        format!("it has no lines {FIGURES_BEGIN} and {FIGURES_END} in that order")
    })?;
    std::fs::write(path, document).map_err(|e| e.to_string())
}

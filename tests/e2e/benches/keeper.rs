//! The function as Lambda runs it, measured: a release `sweep` binary (the package's) started
//! against a Lambda Runtime API stand-in (`grkeeper_e2e::runtime`), moto and simulated clusters
//! (`grkeeper_e2e::fleet`), every figure printed beside what it is compared with, as a ratio
//! measured in the same run:
//!
//! - cold start and peak RSS of one invocation against the Python baseline (`baseline.py`);
//! - a tick of 9 members against one of 3;
//! - 9 members each 50 ms away against one member 50 ms away (the probe is concurrent: about 1);
//! - a blackholed member against the connect timeout plus a 9-member tick (it costs one timeout:
//!   about 1), once the first tick that found it gone has delivered its alert;
//! - sweeps of 1, 10, 50 and 100 clusters of 3 to 9 members: time and peak RSS against the
//!   1-cluster sweep, per member, and each against the function's timeout.
//!
//! Markdown tables on stdout (`scripts/bench` puts them in docs/benchmarks.md). It exits
//! non-zero when a sweep fails, or the 100-cluster sweep takes over half the function timeout.
//! Environment: `GRKEEPER_BENCH_FUNCTION` (the release `sweep` binary), `GRKEEPER_BENCH_PYTHON`
//! (the baseline's interpreter, `.tools/baseline/bin/python3`), `GRKEEPER_BENCH_SWEEPS` (the
//! cluster counts, default `1,10,50,100`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use gr_sim::Fault;
use grkeeper_e2e::fleet::Fleet;
use grkeeper_e2e::harness::{CONNECT_TIMEOUT_MS, event};
use grkeeper_e2e::invoke::{FUNCTION_TIMEOUT, outcomes, taken};
use grkeeper_e2e::runtime::FunctionProcess;
use grkeeper_e2e::tools::workspace_root;
use serde_json::Value;

type Error = Box<dyn std::error::Error>;

/// Runs of each cold start and warm tick; the median is printed.
const RUNS: usize = 5;
/// The largest sweep must leave this share of the function's timeout unused.
const SWEEP_SHARE: f64 = 0.5;
const MIB: f64 = 1024.0 * 1024.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench keeper: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let function = PathBuf::from(required("GRKEEPER_BENCH_FUNCTION")?);
    let python = PathBuf::from(required("GRKEEPER_BENCH_PYTHON")?);
    let sweeps: Vec<usize> = std::env::var("GRKEEPER_BENCH_SWEEPS")
        .unwrap_or_else(|_| "1,10,50,100".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let logs = std::env::temp_dir().join(format!("grkeeper-bench-{}", std::process::id()));
    std::fs::create_dir_all(&logs)?;
    let bench = Bench {
        function,
        python,
        logs,
    };
    println!("| measure | grkeeper | compared with | ratio |");
    println!("|---|---|---|---|");
    bench.cold_start().await?;
    bench.ticks().await?;
    println!();
    bench.sweeps(&sweeps).await?;
    Ok(())
}

fn required(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set (scripts/bench sets it)").into())
}

struct Bench {
    function: PathBuf,
    python: PathBuf,
    logs: PathBuf,
}

impl Bench {
    /// The function started on `fleet`, waiting for its first invocation.
    async fn start(&self, fleet: &Fleet, python: bool) -> Result<FunctionProcess, Error> {
        let script = workspace_root().join("tests/e2e/benches/baseline.py");
        let (program, args): (&Path, Vec<&str>) = if python {
            (&self.python, vec![script.to_str().unwrap_or_default()])
        } else {
            (&self.function, vec![])
        };
        let log = self
            .logs
            .join(if python { "python.log" } else { "function.log" });
        Ok(FunctionProcess::start(program, &args, &fleet.env(), &log).await?)
    }

    /// Cold start and peak RSS of one sweep of a 3-member cluster, against the Python baseline.
    async fn cold_start(&self) -> Result<(), Error> {
        let fleet = Fleet::start(&[3]).await?;
        let schedule = event("schedule.json")?;
        let (mut cold, mut rss) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
        for _ in 0..RUNS {
            for (i, python) in [false, true].into_iter().enumerate() {
                let mut process = self.start(&fleet, python).await?;
                cold[i].push(process.cold_start().await?);
                let (answer, _) = process.invoke(&schedule).await?;
                expect_clusters(&answer, 1, python)?;
                rss[i].push(process.peak_rss()?);
            }
        }
        let [rust, python] = cold.map(median);
        row(
            "cold start (exec to first invocation request)",
            ms(rust),
            format!("{} Python", ms(python)),
            rust.as_secs_f64() / python.as_secs_f64(),
        );
        let [rust, python] = rss.map(median);
        row(
            "peak RSS, cold start and one sweep of 3 members",
            mib(rust),
            format!("{} Python", mib(python)),
            rust as f64 / python as f64,
        );
        Ok(())
    }

    /// Warm ticks: 9 members against 3; 50 ms round trips; a blackholed member.
    async fn ticks(&self) -> Result<(), Error> {
        let three = Fleet::start(&[3]).await?;
        let mut process = self.start(&three, false).await?;
        process.cold_start().await?;
        let tick3 = self.tick(&mut process, 1).await?;
        drop((process, three));

        let nine = Fleet::start(&[9]).await?;
        let sim = &nine.clusters[0];
        let mut process = self.start(&nine, false).await?;
        process.cold_start().await?;
        let tick9 = self.tick(&mut process, 1).await?;
        row(
            "tick of 9 members",
            ms(tick9),
            format!("{} for 3 members", ms(tick3)),
            tick9.as_secs_f64() / tick3.as_secs_f64(),
        );

        let latency = |member: &str, ms| Fault::Latency {
            member: member.to_owned(),
            ms,
        };
        let names = sim.names().to_vec();
        sim.inject(latency(&names[0], 50))?;
        let one_far = self.tick(&mut process, 1).await?;
        for name in &names[1..] {
            sim.inject(latency(name, 50))?;
        }
        let all_far = self.tick(&mut process, 1).await?;
        row(
            "tick of 9 members, each 50 ms away",
            ms(all_far),
            format!("{} with one member 50 ms away", ms(one_far)),
            all_far.as_secs_f64() / one_far.as_secs_f64(),
        );
        for name in &names {
            sim.inject(latency(name, 0))?;
        }

        sim.inject(Fault::Blackhole {
            member: names[0].clone(),
            on: true,
        })?;
        // The first tick that finds the member gone also has news to deliver (the alert, the
        // journal's new conditions, a topology event): AWS calls after the probe, not probe
        // time. The ticks after it, with nothing new to say, show what the probe costs.
        let (answer, first) = process.invoke(&event("schedule.json")?).await?;
        let actions = taken(&answer);
        let blackholed = self.tick(&mut process, 1).await?;
        let timeout = Duration::from_millis(CONNECT_TIMEOUT_MS);
        row(
            &format!(
                "tick of 9 members, one blackholed (actions: {}; the first such tick, alerting: {})",
                if actions.is_empty() {
                    "none".into()
                } else {
                    actions.join(", ")
                },
                ms(first)
            ),
            ms(blackholed),
            format!("{} connect timeout + {} tick of 9", ms(timeout), ms(tick9)),
            blackholed.as_secs_f64() / (timeout + tick9).as_secs_f64(),
        );
        Ok(())
    }

    /// The median of [`RUNS`] sweeps on a warm process, each expected to tick `clusters`.
    async fn tick(
        &self,
        process: &mut FunctionProcess,
        clusters: usize,
    ) -> Result<Duration, Error> {
        let schedule = event("schedule.json")?;
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let (answer, took) = process.invoke(&schedule).await?;
            expect_clusters(&answer, clusters, false)?;
            times.push(took);
        }
        Ok(median(times))
    }

    /// One sweep (the first after a cold start) of `n` clusters of 3..=9 members, for each `n`.
    async fn sweeps(&self, counts: &[usize]) -> Result<(), Error> {
        println!(
            "| clusters | members | sweep | peak RSS | sweep per member, against 1 cluster | RSS against 1 cluster | sweep against the {} s function timeout |",
            FUNCTION_TIMEOUT.as_secs()
        );
        println!("|---|---|---|---|---|---|---|");
        let mut first: Option<(f64, u64)> = None;
        let mut largest = Duration::ZERO;
        for &n in counts {
            let sizes: Vec<usize> = (0..n).map(|i| 3 + (i * 5) % 7).collect();
            let fleet = Fleet::start(&sizes).await?;
            let members = fleet.members();
            let mut process = self.start(&fleet, false).await?;
            process.cold_start().await?;
            let (answer, took) = process.invoke(&event("schedule.json")?).await?;
            expect_clusters(&answer, n, false)?;
            let rss = process.peak_rss()?;
            let per_member = took.as_secs_f64() / members as f64;
            let (base_per_member, base_rss) = *first.get_or_insert((per_member, rss));
            println!(
                "| {n} | {members} | {} | {} | {:.2} | {:.2} | {:.3} |",
                ms(took),
                mib(rss),
                per_member / base_per_member,
                rss as f64 / base_rss as f64,
                took.as_secs_f64() / FUNCTION_TIMEOUT.as_secs_f64()
            );
            largest = took;
        }
        let share = largest.as_secs_f64() / FUNCTION_TIMEOUT.as_secs_f64();
        println!();
        println!(
            "The largest sweep took {:.3} of the function's {} s timeout.",
            share,
            FUNCTION_TIMEOUT.as_secs()
        );
        if share > SWEEP_SHARE {
            return Err(format!("the largest sweep took over {SWEEP_SHARE} of the timeout").into());
        }
        Ok(())
    }
}

/// An error unless `answer` reports `clusters` clusters (a failed tick is an error answer).
fn expect_clusters(answer: &Value, clusters: usize, python: bool) -> Result<(), Error> {
    let got = if python {
        answer["clusters"].as_u64().map(|n| n as usize)
    } else {
        answer["clusters"].as_array().map(Vec::len)
    };
    if got != Some(clusters) {
        return Err(format!("expected {clusters} clusters ticked, got: {answer}").into());
    }
    // A cluster skipped (its lease held) or failed would make a sweep look fast.
    if !python && outcomes(answer).iter().any(|o| o != "ticked") {
        return Err(format!("a cluster was not ticked: {answer}").into());
    }
    Ok(())
}

fn row(measure: &str, value: String, against: String, ratio: f64) {
    println!("| {measure} | {value} | {against} | {ratio:.2} |");
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

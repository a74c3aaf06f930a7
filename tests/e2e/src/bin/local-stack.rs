//! `cargo run -p grkeeper-e2e --bin local-stack`: the end-to-end harness as a place to try
//! grkeeper by hand. It starts the simulated cluster `orders` (orders-1..3, MySQL protocol on
//! 127.0.0.1), moto behind the RDS bridge (a reboot through the AWS API restarts a simulated
//! member), every AWS resource grkeeper needs, and writes `target/local-stack.env` for
//! `cargo lambda watch --env-file` and the CLI. Faults are typed on stdin; Ctrl-C or `quit`
//! stops everything.

use std::error::Error;
use std::fmt::Write as _;

use gr_sim::Fault;
use grkeeper_e2e::harness::Harness;
use grkeeper_e2e::tools::workspace_root;
use tokio::io::{AsyncBufReadExt, BufReader};

const HELP: &str = "\
faults (type a line):
  offline M        M's applier fails: it leaves the group into offline mode (error 3032)
  stop-gr M        a person runs CALL mysql.rds_group_replication_stop() on M: grkeeper
                   leaves this deliberate stop alone (guard operator_stop)
  crash M          M's mysqld dies       restart M    it starts again
  outage           every member crashes (then `restart` each: they come back OFFLINE)
  truth            the simulator's ground truth as JSON
  help             this text             quit         stop everything";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    println!("starting the simulated cluster, moto and the RDS bridge ...");
    let harness = Harness::start().await?;
    let path = workspace_root().join("target/local-stack.env");
    let mut env = String::new();
    for (key, value) in harness.env() {
        writeln!(env, "{key}=\"{value}\"")?;
    }
    std::fs::create_dir_all(path.parent().unwrap_or(&workspace_root()))?;
    std::fs::write(&path, env)?;

    println!(
        "\nmembers (any MySQL client; user {} password {}):",
        harness.sim.user(),
        harness.sim.password()
    );
    for name in harness.sim.names() {
        println!("  {name}  {}", harness.sim.addr(name)?);
    }
    println!(
        "AWS stand-in (moto behind the RDS bridge): {}\ngrkeeper's environment: {}\n",
        harness.bridge.endpoint_url(),
        path.display()
    );
    println!("in another shell, from the repository root:");
    println!("  cargo lambda watch --env-file target/local-stack.env");
    println!("  cargo lambda invoke rds-event --data-file events/rds-instance-restarted.json");
    println!("  cargo lambda invoke sweep --data-file events/schedule.json");
    println!("  (set -a; . target/local-stack.env; cargo run -p grkeeper-cli -- status)\n");
    println!("{HELP}");

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line?,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let done = match words.as_slice() {
            [] => continue,
            ["quit" | "exit"] => break,
            ["help"] => {
                println!("{HELP}");
                continue;
            }
            ["truth"] => {
                println!("{}", serde_json::to_string_pretty(&harness.sim.truth())?);
                continue;
            }
            ["stop-gr", member] => harness.stop_group_replication(member).await.map(drop),
            ["offline", member] => harness.leave_into_offline_mode(member).await.map(drop),
            ["crash", member] => harness.sim.crash(member).map_err(Into::into),
            ["restart", member] => harness.sim.restart(member).map_err(Into::into),
            ["outage"] => harness
                .sim
                .inject(Fault::CompleteOutage)
                .map(drop)
                .map_err(Into::into),
            _ => {
                println!("not understood: {line:?}\n{HELP}");
                continue;
            }
        };
        match done {
            Ok(()) => println!("ok"),
            Err(e) => println!("failed: {e}"),
        }
    }
    println!("stopping");
    Ok(())
}

//! `gr-sim`: runs a simulated RDS for MySQL GR cluster in real time until Ctrl-C, printing each
//! member's address and credentials and the URL of the JSON control.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use gr_sim::{Auth, Cluster, ExitStateAction, SimConfig, StartState, Timing, Version};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TimingPreset {
    /// RDS durations (5 s detection, 5 s expel timeout, 2 s procedure sleep, 30 s reboot).
    Rds,
    /// About 100 times faster, for tests.
    Fast,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Start {
    Online,
    Stopped,
    Unconfigured,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthArg {
    CachingSha2,
    Native,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExitAction {
    ReadOnly,
    OfflineMode,
    AbortServer,
}

/// A simulated RDS for MySQL Group Replication cluster speaking the MySQL protocol.
#[derive(Debug, Parser)]
#[command(name = "gr-sim", version)]
struct Args {
    /// Number of members (named db1..dbN unless --names is given).
    #[arg(long, default_value_t = 3)]
    members: usize,
    /// Comma-separated RDS instance ids (overrides --members).
    #[arg(long, value_delimiter = ',')]
    names: Vec<String>,
    /// First SQL port (members use consecutive ports); 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    port_base: u16,
    /// Port of the JSON control; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    http_port: u16,
    #[arg(long, default_value = "admin")]
    user: String,
    #[arg(long, default_value = "secret")]
    password: String,
    /// Server version of every member.
    #[arg(long = "mysql-version", default_value = "8.0.36")]
    mysql_version: Version,
    /// Version of one member, as NAME=VERSION (repeatable).
    #[arg(long = "member-version", value_name = "NAME=VERSION")]
    member_versions: Vec<String>,
    #[arg(long, value_enum, default_value = "rds")]
    timing: TimingPreset,
    /// Failure detection time in milliseconds (overrides the preset).
    #[arg(long)]
    detection_ms: Option<u64>,
    /// Reboot duration in milliseconds (overrides the preset).
    #[arg(long)]
    reboot_ms: Option<u64>,
    /// The procedures' SLEEP in milliseconds (overrides the preset).
    #[arg(long)]
    proc_sleep_ms: Option<u64>,
    #[arg(long, value_enum, default_value = "online")]
    start: Start,
    #[arg(long, value_enum, default_value = "caching-sha2")]
    auth: AuthArg,
    /// group_replication_exit_state_action of every member.
    #[arg(long, value_enum, default_value = "offline-mode")]
    exit_state_action: ExitAction,
}

fn config(args: &Args) -> Result<SimConfig, String> {
    let names = if args.names.is_empty() {
        (1..=args.members).map(|i| format!("db{i}")).collect()
    } else {
        args.names.clone()
    };
    let mut timing = match args.timing {
        TimingPreset::Rds => Timing::rds(),
        TimingPreset::Fast => Timing::fast(),
    };
    let ms = Duration::from_millis;
    timing.failure_detection = args.detection_ms.map_or(timing.failure_detection, ms);
    timing.reboot = args.reboot_ms.map_or(timing.reboot, ms);
    timing.proc_sleep = args.proc_sleep_ms.map_or(timing.proc_sleep, ms);
    let exit = match args.exit_state_action {
        ExitAction::ReadOnly => ExitStateAction::ReadOnly,
        ExitAction::OfflineMode => ExitStateAction::OfflineMode,
        ExitAction::AbortServer => ExitStateAction::AbortServer,
    };
    let version = args.mysql_version;
    let mut cfg = SimConfig::new(names)
        .user(&args.user, &args.password)
        .real_time(timing)
        .port_base(args.port_base)
        .auth(match args.auth {
            AuthArg::CachingSha2 => Auth::CachingSha2Password,
            AuthArg::Native => Auth::NativePassword,
        })
        .start_state(match args.start {
            Start::Online => StartState::Online,
            Start::Stopped => StartState::Stopped,
            Start::Unconfigured => StartState::Unconfigured,
        })
        .all_members(|m| {
            m.version = version;
            m.exit_state_action = exit;
        });
    for pair in &args.member_versions {
        let (name, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("--member-version wants NAME=VERSION, got '{pair}'"))?;
        let v: Version = v.parse().map_err(|e| format!("{e}"))?;
        cfg = cfg.member(name, |m| m.version = v);
    }
    Ok(cfg)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let cfg = match config(&args) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("gr-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let mut sim = match Cluster::start(cfg).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("gr-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let control = match sim.serve_http(args.http_port).await {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("gr-sim: control port: {e}");
            return ExitCode::FAILURE;
        }
    };
    for name in sim.names().to_vec() {
        if let Ok(addr) = sim.addr(&name) {
            println!(
                "{name}\t{addr}\tuser={} password={}\tmysql -h {} -P {} -u {} -p{}",
                sim.user(),
                sim.password(),
                addr.ip(),
                addr.port(),
                sim.user(),
                sim.password()
            );
        }
    }
    println!("control\thttp://{control}  (GET /truth, POST /faults, POST /rds; see docs)");
    println!("serving until Ctrl-C");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("gr-sim: cannot wait for Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

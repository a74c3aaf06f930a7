//! `grkeeper plan --snapshot FILE`: replays the pure planner on a recorded snapshot.

use std::path::PathBuf;

use grkeeper::snapshot::Snapshot;

use crate::{Failure, print_json, read_input};

/// Arguments of `grkeeper plan`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper tick --dry-run --save-snapshot snapshots/\n  grkeeper plan --snapshot snapshots/orders.json"
)]
pub struct Args {
    /// Snapshot document (docs/snapshot.md), or - for stdin.
    #[arg(long)]
    snapshot: PathBuf,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let text = read_input(&args.snapshot)?;
    let snapshot = Snapshot::from_json(&text)
        .map_err(|e| Failure::BadInput(format!("{}: {e}", args.snapshot.display())))?;
    print_json(&grkeeper::plan::plan(&snapshot))
}

//! `grkeeper parse-event FILE|-`: shows how grkeeper reads a Lambda input event.

use std::path::PathBuf;

use crate::{Failure, print_json, read_input};

/// Arguments of `grkeeper parse-event`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper parse-event events/rds-instance-restarted.json\n  grkeeper parse-event - < event.json"
)]
pub struct Args {
    /// Event JSON file (samples in events/), or - for stdin.
    file: PathBuf,
}

/// Prints the trigger as JSON; an input the functions would reject is bad input (exit 2).
pub fn run(args: &Args) -> Result<(), Failure> {
    let text = read_input(&args.file)?;
    let trigger = grkeeper::trigger::parse(text.as_bytes())
        .map_err(|e| Failure::BadInput(format!("{}: {e}", args.file.display())))?;
    print_json(&trigger)
}

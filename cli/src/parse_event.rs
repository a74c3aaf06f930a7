//! `grkeeper parse-event FILE|-`: shows how grkeeper reads a Lambda input event.

use std::path::PathBuf;

use crate::Failure;

/// Arguments of `grkeeper parse-event`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Event JSON file, or - for stdin.
    file: PathBuf,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    Err(Failure::BadInput(format!(
        "{}: event parsing is not implemented yet",
        args.file.display()
    )))
}

//! `grkeeper`: the operator CLI. Each subcommand lives in its own module; this file only parses
//! the command line and maps failures to exit codes (2: bad input, 1: the operation failed).

mod parse_event;
mod plan;
mod schema;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keeps multi-primary MySQL Group Replication clusters on Amazon RDS healthy.
#[derive(Debug, Parser)]
#[command(name = "grkeeper", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the planner on a recorded snapshot and print the plan as JSON.
    Plan(plan::Args),
    /// Parse a Lambda input event (file, or - for stdin) and print the trigger as JSON.
    ParseEvent(parse_event::Args),
    /// Print the JSON Schema of the snapshot document.
    Schema,
}

/// A failure the CLI reports on one line of stderr.
#[derive(Debug)]
enum Failure {
    /// The input was unusable (exit 2).
    BadInput(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::ParseEvent(args) => parse_event::run(&args),
        Command::Schema => schema::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(message)) => {
            eprintln!("grkeeper: {message}");
            ExitCode::from(2)
        }
    }
}

/// Reads a file, or stdin for `-`.
fn read_input(path: &std::path::Path) -> Result<String, Failure> {
    use std::io::Read;
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text).map(|_| ()))
    };
    read.map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", path.display())))?;
    Ok(text)
}

/// Prints a value as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::BadInput(format!("cannot print result: {e}")))?;
    println!("{text}");
    Ok(())
}

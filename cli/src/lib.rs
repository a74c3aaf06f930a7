//! `grkeeper`: the operator CLI. Each subcommand lives in its own module; this file only parses
//! the command line and maps failures to exit codes (2: bad input, 1: the operation failed).
//! `src/main.rs` calls [`main`]; the demo (`tests/stage`, never shipped) borrows the rendering,
//! the tick options and the scope from here, so it shows and runs exactly what the CLI does.

mod approve;
mod deployed;
mod doctor;
mod environment;
mod expiry;
pub mod operator;
mod parse_event;
mod pause;
mod plan;
pub mod render;
mod resume;
mod runbook;
mod schema;
pub mod scope;
mod status;
mod tick;

use std::future::Future;
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
    /// Show each cluster's members, their views of each other and the findings.
    Status(status::Args),
    /// Run one tick (observe, plan, act, journal, alert) and print its summary as JSON.
    Tick(tick::Args),
    /// Check the deployment read-only: secret, TLS, logins, grants, parameters, tags, IAM reach.
    Doctor(doctor::Args),
    /// Stop grkeeper acting on a cluster or one instance for a while (it still observes and alerts).
    Pause(pause::Args),
    /// End a pause early.
    Resume(resume::Args),
    /// Allow an action the policy only takes with an operator's approval.
    Approve(approve::Args),
    /// Run the planner on a recorded snapshot and print the plan as JSON.
    Plan(plan::Args),
    /// Parse a Lambda input event (file, or - for stdin) and print the trigger as JSON.
    ParseEvent(parse_event::Args),
    /// Print the JSON Schema of the snapshot document.
    Schema,
    /// Print the procedures and every finding kind, what it means and what to do (Markdown).
    Runbook(runbook::Args),
}

/// A failure the CLI reports on one line of stderr.
#[derive(Debug)]
pub enum Failure {
    /// The input was unusable (exit 2).
    BadInput(String),
    /// The operation was attempted and failed (exit 1).
    Failed(String),
    /// The command printed its result, and its exit code tells the verdict (`status`: 3
    /// degraded, 4 down; `doctor`: 3 a warning, 4 a failure).
    Verdict(u8),
}

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// For a person.
    Text,
    /// For scripts.
    Json,
}

/// Parses the command line, runs the command, and maps its failure to the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    finish(match cli.command {
        Command::Status(args) => run_async(status::run(&args)),
        Command::Tick(args) => run_async(tick::run(&args)),
        Command::Doctor(args) => run_async(doctor::run(&args)),
        Command::Pause(args) => run_async(pause::run(&args)),
        Command::Resume(args) => run_async(resume::run(&args)),
        Command::Approve(args) => run_async(approve::run(&args)),
        Command::Plan(args) => plan::run(&args),
        Command::ParseEvent(args) => parse_event::run(&args),
        Command::Schema => schema::run(),
        Command::Runbook(args) => runbook::run(&args),
    })
}

/// The exit code of a command's result; a failure is printed first, as one line of stderr.
pub fn finish(result: Result<(), Failure>) -> ExitCode {
    let (code, message) = match result {
        Ok(()) => return ExitCode::SUCCESS,
        Err(Failure::BadInput(message)) => (2, message),
        Err(Failure::Failed(message)) => (1, message),
        Err(Failure::Verdict(code)) => return ExitCode::from(code),
    };
    eprintln!("grkeeper: {}", one_line(&message));
    ExitCode::from(code)
}

/// The longest failure line printed, in characters: an echoed input cannot flood a terminal.
const LINE_MAX: usize = 2000;

/// One line, whatever the cause's text holds (scripts read the first line of stderr): line
/// breaks become spaces, other control characters are escaped (an echoed input cannot move the
/// cursor or recolour a terminal), and the line is clipped to [`LINE_MAX`] characters.
fn one_line(message: &str) -> String {
    let joined = message.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let mut escaped = String::with_capacity(joined.len());
    for c in joined.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    match escaped.char_indices().nth(LINE_MAX) {
        Some((end, _)) => format!("{}...", &escaped[..end]),
        None => escaped,
    }
}

/// Runs an async subcommand on a runtime of its own; the synchronous ones need none.
pub fn run_async(command: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    environment::init_tracing();
    tokio::runtime::Runtime::new()
        .map_err(|e| Failure::Failed(format!("cannot start the async runtime: {e}")))?
        .block_on(command)
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

/// Prints a value as pretty JSON on stdout. A value that cannot be written as JSON is grkeeper's
/// own failure, not the operator's input.
fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Failed(format!("cannot print result: {e}")))?;
    println!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_result_that_cannot_be_printed_is_a_failure_not_bad_input() {
        // JSON object keys must be strings: a map keyed by pairs cannot be written.
        let unprintable = BTreeMap::from([((1, 2), "x")]);
        assert!(matches!(
            print_json(&unprintable),
            Err(Failure::Failed(message)) if message.starts_with("cannot print result")
        ));
    }
}

//! The `grkeeper` binary run with a bound ([`grkeeper_demo::bounded`]).

use std::time::Duration;

pub use grkeeper_demo::bounded::Finished;

/// `grkeeper <args>` with only the environment given (nothing inherited), within `bound`.
pub fn grkeeper(args: &[&str], env: &[(&str, &str)], bound: Duration) -> Finished {
    grkeeper_demo::bounded::run(env!("CARGO_BIN_EXE_grkeeper"), args, env, bound)
}

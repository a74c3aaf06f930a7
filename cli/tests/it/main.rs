//! Black-box tests of the `grkeeper` binary: one test binary (one link) with a module per
//! subcommand.
// Test helpers may panic with a message: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod aws_unreachable;
mod bounded;
mod cluster_commands;
mod doctor;
mod examples;
mod incidents;
mod operator_input;
mod parse_event;

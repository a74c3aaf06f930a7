//! grkeeper on a stage: the simulator (`gr-sim`) wired to grkeeper's real adapters, for the demo
//! and the end-to-end tests. Nothing shipped depends on this crate: the functions and the
//! operator CLI are built without the simulator (`scripts/check-layers` checks it).
//!
//! # Layout
//! - [`sim`]: the RDS side and endpoints of a simulated cluster, and statements typed into it.
//! - [`demo`]: the README's first command (`cargo run -p grkeeper-demo`): a simulated cluster
//!   through three failures and three repairs.
//! - [`bounded`]: a binary run with a time bound (the demo's and the CLI's black-box tests).

pub mod bounded;
pub mod demo;
pub mod sim;

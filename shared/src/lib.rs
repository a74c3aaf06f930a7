//! grkeeper keeps multi-primary MySQL Group Replication clusters on Amazon RDS for MySQL healthy.
//!
//! # Layout
//! The top-level modules are layers, listed bottom up: each one imports only modules listed
//! above it (`tests/it/layers.rs` checks it; `docs/design.md` explains the layers).
//!
//! - `proptest_seed` (tests only): the seed every property test draws its cases from.
//!
//! What a tick was asked and what it saw:
//! - [`gtid`]: GTID sets (parse, print, set arithmetic).
//! - [`model`]: what one observation saw (instances, members, views, endpoints).
//! - [`trigger`]: EventBridge input -> what a tick was asked for.
//! - [`snapshot`]: the versioned snapshot document the planner reads: the observation, the
//!   policy and the history.
//! - `fixtures` (tests and feature `fixtures`): chainable snapshot builders.
//!
//! Deciding, without I/O:
//! - [`plan`]: the pure decision engine: snapshot -> plan (at most one action, findings,
//!   refusals, the next condition labels).
//! - [`report`]: what a tick tells: incidents and their alert messages, the runbook, topology
//!   events, metrics.
//!
//! Talking to the world:
//! - [`config`]: environment -> validated configuration.
//! - [`ports`]: one trait per capability (RDS read and reboot, member probe and control, lease
//!   and journal, notifier, topology bus, secrets, clock), each with its in-memory
//!   implementation; [`ports::Ports`] names one implementation of each.
//! - [`adapters`]: the ports over AWS (RDS, DynamoDB, SNS, EventBridge, Secrets Manager) and
//!   MySQL.
//!
//! Running:
//! - [`keeper`]: one tick: lease -> observe -> plan -> act -> journal -> alert, over any
//!   [`ports::Ports`].
//! - [`wiring`]: environment -> configuration -> adapters -> keeper, once per cold start (the
//!   functions and the CLI).
//! - [`doctor`]: a read-only check of a deployment, one line per check with its fix.
//! - [`lambda`]: the handler: one invocation, one tick.

// Declared bottom up, as the layout lists them (one group each, so rustfmt keeps the order).
#[cfg(test)]
pub mod proptest_seed;

pub mod gtid;

pub mod model;

pub mod trigger;

pub mod snapshot;

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;

pub mod plan;

pub mod report;

pub mod config;

pub mod ports;

pub mod adapters;

pub mod keeper;

pub mod wiring;

pub mod doctor;

pub mod lambda;

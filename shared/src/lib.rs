//! grkeeper keeps multi-primary MySQL Group Replication clusters on Amazon RDS for MySQL healthy.
//!
//! # Layout
//! - [`model`]: what one observation saw (instances, members, views).
//! - [`gtid`]: GTID sets (parse, print, set arithmetic).
//! - [`snapshot`]: the versioned snapshot document the planner reads.
//! - [`plan`]: the pure decision engine: snapshot -> plan.
//! - `fixtures` (tests and feature `fixtures`): chainable snapshot builders.
//! - [`trigger`]: EventBridge input -> what a tick was asked for.
//! - [`aws`]: SDK client timeouts and retries; AWS failures classified (kind, retryable).
//! - [`alert`]: incidents (opened, updated, resolved) -> messages -> SNS or stdout.
//! - [`journal`]: lease, action journal, conditions, incidents, pauses (DynamoDB or memory).
//! - [`topology`]: member state changes, actions, incidents -> EventBridge events.
//! - [`metrics`]: one tick's CloudWatch metrics as embedded metric format log lines.
//! - [`config`]: environment -> validated configuration.
//! - [`observe`]: RDS and member probes -> the instances of a snapshot.
//! - [`act`]: one planned action, executed once and verified by observing again.
//! - [`keeper`]: one tick: lease -> observe -> plan -> act -> journal -> alert.
//! - [`lambda`]: cold start (config, clients, credentials) and one invocation.

pub mod adapters;
pub mod config;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod gtid;
pub mod keeper;
pub mod lambda;
pub mod model;
pub mod plan;
pub mod ports;
pub mod report;
pub mod snapshot;
pub mod trigger;
pub mod wiring;

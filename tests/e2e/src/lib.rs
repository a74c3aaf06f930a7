//! Harness for grkeeper's end-to-end tests: local stand-ins for AWS, and where the pinned tools are.
//!
//! # Layout
//! - [`tools`]: the workspace root and the pinned tools `scripts/setup` installs in `.tools/`.
//! - [`moto`]: a moto server on loopback (every AWS API the tests use) and SDK configs for it.
//! - [`bridge`]: an HTTP proxy in front of moto that runs RDS reboots/stops/starts on the
//!   simulator, shows its statuses, records every AWS call, and fails calls on demand.
//! - [`resources`]: grkeeper's AWS resources (tagged instances, table, topic, bus, secret) in moto.
//! - [`queue`]: an SQS queue to read back what SNS and EventBridge delivered.
//! - [`invoke`]: grkeeper's Lambda handler run in-process: cold start, then invocations.
//! - [`fleet`]: many simulated clusters under one deployment, for the sweep benchmarks.
//! - [`runtime`]: a function binary run against a Lambda Runtime API stand-in, measured.
//! - [`harness`]: one call starting the simulated cluster `orders`, moto, the resources and the
//!   bridge; grkeeper's environment for them; readers for alerts, journal and topology events.
//!
//! The tests themselves are one binary, `tests/it/main.rs`, with a module per subject.

pub mod bridge;
pub mod fleet;
pub mod harness;
pub mod invoke;
pub mod moto;
pub mod queue;
pub mod resources;
pub mod runtime;
pub mod tools;

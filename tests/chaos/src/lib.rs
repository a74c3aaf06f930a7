//! Chaos for grkeeper: random fault schedules against the simulator, judged by its ground truth
//! (`docs/reliability.md` has the figures, `docs/testing.md` the how).
//!
//! A seed draws a [`schedule::Schedule`]: a simulated cluster of 3, 5 or 9 members (8.0, 8.4,
//! or a mix), a policy, an AWS side (in memory, or moto through the e2e bridge), and steps:
//! faults, client writes, time passing. [`runner::run`] plays it against the real keeper tick
//! (a scheduled tick every simulated minute, a tick per RDS event, events late, duplicated,
//! concurrent or lost), the [`checker`] judges every step by the simulator's truth, and a failing
//! schedule is shrunk to the faults that matter ([`shrink`]) and printed with one command that
//! replays it. Nothing here ships: this crate is in the tests tree, and the library has no test
//! switch (the unsafe planner of the checker's own test is planted between the keeper and its
//! ports, [`ports::UnsafePlanner`]).
//!
//! # Layout
//! - [`rng`]: the seeded random stream.
//! - [`schedule`]: what a seed draws; which faults a person must fix.
//! - [`clock`]: grkeeper's clock on the simulator's time (the tick's waits move it).
//! - [`tap`], [`ports`]: the keeper's ports wrapped with faults and records.
//! - [`stage`]: the simulator and the keeper wired together, in memory or on moto.
//! - [`checker`]: the invariants, and what converged means.
//! - [`runner`]: one schedule, step by step.
//! - [`shrink`]: the smallest fault list that still fails; [`kept`]: the seeds kept in the
//!   repository (the failures found and fixed).
//! - [`batch`]: many schedules at once; [`report`]: their figures as `docs/reliability.md`.

pub mod batch;
pub mod checker;
pub mod clock;
pub mod kept;
pub mod ports;
pub mod report;
pub mod rng;
pub mod runner;
pub mod schedule;
pub mod shrink;
pub mod stage;
pub mod tap;

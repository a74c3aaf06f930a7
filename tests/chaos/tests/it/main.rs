//! The chaos runner in CI: a batch of 500 seeded schedules (in parts, so the test runner can
//! spread them over the cores), the regression seeds kept in the repository, the checker's own
//! test (a planted unsafe planner is caught and reported with a command that replays it), and
//! the batch's bound on one schedule (a hung schedule is stopped and reported with its seed).

// Test harness code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod batch;
mod hung;
mod regressions;
mod unsafe_planner;

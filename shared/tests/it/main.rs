//! Checks on the library's sources as a whole (one test binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod layers;
mod planner_is_pure;

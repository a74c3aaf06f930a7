//! grkeeper's integration tests: one binary (one link) with a module per subject.
// Test helpers may panic with a message: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod infra_functions;
mod infra_iam;
mod infra_rules;
mod observe_rds;
mod template;

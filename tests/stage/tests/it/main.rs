//! Black-box tests of the `demo` binary.
// Test helpers may panic with a message: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod demo;

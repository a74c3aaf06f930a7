//! Integration tests of the GR simulator, driven through real MySQL clients (mysql_async and
//! Oracle's mysql-connector-python), the control API and the `gr-sim` binary, and
//! (`conformance`) held to MySQL's own Group Replication test suite. One test binary keeps link
//! time down.

// Test harness code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;
mod conformance;
mod control;
mod failures;
mod joins;
mod ledger;
mod oracle;
mod procs;
mod queries;
mod rds_side;
mod realtime;
mod support;
mod wire;

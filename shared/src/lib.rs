//! grkeeper keeps multi-primary MySQL Group Replication clusters on Amazon RDS for MySQL healthy.
//!
//! # Layout
//! - [`gtid`]: GTID sets (parse, print, set arithmetic).
//! - [`trigger`]: EventBridge input -> what a tick was asked for.

pub mod gtid;
pub mod trigger;

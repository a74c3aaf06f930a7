//! grkeeper keeps multi-primary MySQL Group Replication clusters on Amazon RDS for MySQL healthy.
//!
//! # Layout
//! - [`trigger`]: EventBridge input -> what a tick was asked for.

pub mod trigger;

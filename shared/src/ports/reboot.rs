//! The RDS write side: `RebootDBInstance` ([`RdsReboot`]), how RDS brings back a member that
//! exited (offline mode, `ERROR`). [`MemoryRds`](crate::ports::rds::MemoryRds) implements it in
//! memory (the aws-sdk-rds one is `adapters::aws::rds`).

use std::future::Future;

use crate::ports::rds::RdsError;

/// The one RDS API call grkeeper changes anything with.
pub trait RdsReboot: Send + Sync {
    /// `RebootDBInstance`. RDS reboots only an `available` instance
    /// ([`RdsError::InvalidState`] otherwise).
    fn reboot(&self, id: &str) -> impl Future<Output = Result<(), RdsError>> + Send;
}

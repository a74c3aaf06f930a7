//! The RDS write side: `RebootDBInstance` ([`RdsReboot`]), how RDS brings back a member that
//! exited (offline mode, `ERROR`) and applies parameters waiting for a reboot;
//! `ApplyPendingMaintenanceAction`, a rolling-maintenance step; and the deployment's claim tag on the members it keeps
//! ([`CLAIM_TAG`]). [`MemoryRds`](crate::ports::rds::MemoryRds) implements it in memory (the
//! aws-sdk-rds one is `adapters::aws::rds`).

use std::future::Future;

use crate::ports::rds::RdsError;

/// The tag naming the deployment that keeps an instance: another deployment refuses its
/// cluster (`docs/deploy.md`, "Several deployments side by side").
pub const CLAIM_TAG: &str = "grkeeper:deployment";

/// The RDS API calls grkeeper changes anything with: the reboot, applying pending maintenance,
/// and its claim tag.
pub trait RdsReboot: Send + Sync {
    /// `RebootDBInstance`. RDS reboots only an `available` instance
    /// ([`RdsError::InvalidState`] otherwise).
    fn reboot(&self, id: &str) -> impl Future<Output = Result<(), RdsError>> + Send;

    /// `ApplyPendingMaintenanceAction` of `action` (`system-update`, `db-upgrade`) on the
    /// instance, opt-in `immediate`: RDS takes the instance down to apply it.
    fn apply_maintenance(
        &self,
        id: &str,
        action: &str,
    ) -> impl Future<Output = Result<(), RdsError>> + Send;

    /// Tags the instance [`CLAIM_TAG`]`=<deployment>` (`AddTagsToResource`).
    fn claim(
        &self,
        id: &str,
        deployment: &str,
    ) -> impl Future<Output = Result<(), RdsError>> + Send;
}

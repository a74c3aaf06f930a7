//! The RDS control plane of the simulated instances: RebootDBInstance, StopDBInstance,
//! StartDBInstance (and a minor version upgrade) mapped onto the members, the instance statuses
//! they pass through, AWS's error codes for invalid transitions, and the RDS events emitted.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::shared::Shared;
use crate::version::Version;

/// `DBInstanceStatus` values the simulator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceStatus {
    /// Running (mysqld may still have crashed: RDS does not notice at once).
    Available,
    /// RebootDBInstance in progress.
    Rebooting,
    /// StopDBInstance in progress.
    Stopping,
    /// Stopped: mysqld down until StartDBInstance.
    Stopped,
    /// StartDBInstance in progress.
    Starting,
    /// Minor version upgrade in progress.
    Upgrading,
}

impl InstanceStatus {
    /// The status as DescribeDBInstances prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Available => "available",
            InstanceStatus::Rebooting => "rebooting",
            InstanceStatus::Stopping => "stopping",
            InstanceStatus::Stopped => "stopped",
            InstanceStatus::Starting => "starting",
            InstanceStatus::Upgrading => "upgrading",
        }
    }
}

impl std::fmt::Display for InstanceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors the RDS API returns, with AWS's error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdsError {
    /// `DBInstanceNotFound`.
    #[error("DBInstanceNotFound: DBInstance {0} not found.")]
    NotFound(String),
    /// `InvalidDBInstanceState`: the call is not allowed in the current status.
    #[error("InvalidDBInstanceState: Instance {id} is not in {expected} state (it is {status}).")]
    InvalidState {
        /// Instance id.
        id: String,
        /// Its current status.
        status: InstanceStatus,
        /// The status the call requires.
        expected: &'static str,
    },
}

impl RdsError {
    pub(crate) fn invalid_state(id: &str, status: InstanceStatus, expected: &'static str) -> Self {
        RdsError::InvalidState {
            id: id.to_string(),
            status,
            expected,
        }
    }

    /// AWS's error code (`DBInstanceNotFound`, `InvalidDBInstanceState`).
    pub fn code(&self) -> &'static str {
        match self {
            RdsError::NotFound(_) => "DBInstanceNotFound",
            RdsError::InvalidState { .. } => "InvalidDBInstanceState",
        }
    }
}

/// An RDS event as EventBridge would carry it (`RDS-EVENT-0006` …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdsEvent {
    /// Simulated time of the event.
    #[serde(with = "millis")]
    pub at: Duration,
    /// Source instance id.
    pub instance: String,
    /// `RDS-EVENT-0004`, `-0006`, `-0087`, `-0088`.
    pub event_id: String,
    /// The event message.
    pub message: String,
}

/// One instance as DescribeDBInstances would show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// DBInstanceIdentifier.
    pub id: String,
    /// DBInstanceStatus.
    pub status: InstanceStatus,
    /// Endpoint.Address (the RDS DNS name; connect to `local_addr` instead).
    pub endpoint: String,
    /// Where the simulated member listens.
    pub local_addr: String,
    /// EngineVersion.
    pub engine_version: String,
    /// What RDS holds for it, as `DescribePendingMaintenanceActions` lists it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_maintenance: Vec<PendingMaintenance>,
}

/// One maintenance action RDS holds for an instance (`PendingMaintenanceActionDetails`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMaintenance {
    /// `Action`: `system-update`, `db-upgrade`, ...
    pub action: String,
    /// `Description`.
    pub description: String,
    /// `AutoAppliedAfterDate`, RFC 3339.
    pub auto_applied_after: Option<String>,
}

/// The RDS control plane of a running simulator (`Cluster::rds`).
#[derive(Debug, Clone, Copy)]
pub struct Rds<'a> {
    pub(crate) shared: &'a Shared,
}

impl Rds<'_> {
    fn transition(
        &self,
        id: &str,
        f: impl FnOnce(&mut crate::model::World, usize) -> Result<(), RdsError>,
    ) -> Result<(), RdsError> {
        self.shared.with(|w| {
            let m = w
                .index(id)
                .map_err(|_| RdsError::NotFound(id.to_string()))?;
            f(w, m)
        })
    }

    /// RebootDBInstance: `rebooting` (mysqld shut down cleanly), then `available` with GR
    /// starting by itself where the member starts on boot.
    pub fn reboot(&self, id: &str) -> Result<(), RdsError> {
        self.transition(id, |w, m| w.reboot_instance(m, None))
    }

    /// The same, down for `lasts` instead of `Timing::reboot`: a reboot RDS makes slow (a
    /// crash recovery, maintenance) or fast.
    pub fn reboot_lasting(&self, id: &str, lasts: Duration) -> Result<(), RdsError> {
        self.transition(id, |w, m| w.reboot_instance(m, Some(lasts)))
    }

    /// StopDBInstance: `stopping`, then `stopped`.
    pub fn stop(&self, id: &str) -> Result<(), RdsError> {
        self.transition(id, |w, m| w.stop_instance(m))
    }

    /// StartDBInstance: `starting`, then `available`.
    pub fn start(&self, id: &str) -> Result<(), RdsError> {
        self.transition(id, |w, m| w.start_instance(m))
    }

    /// ModifyDBInstance with a new EngineVersion, applied at once: `upgrading`, then
    /// `available` on the new version.
    pub fn upgrade(&self, id: &str, version: Version) -> Result<(), RdsError> {
        self.transition(id, |w, m| w.upgrade_instance(m, version))
    }

    /// RDS now holds `maintenance` for the instance (a new OS update, an engine minor version).
    pub fn hold_maintenance(
        &self,
        id: &str,
        maintenance: PendingMaintenance,
    ) -> Result<(), RdsError> {
        self.transition(id, |w, m| {
            w.members[m].pending_maintenance.push(maintenance);
            w.touch();
            Ok(())
        })
    }

    /// DBInstanceStatus of one instance.
    pub fn status(&self, id: &str) -> Result<InstanceStatus, RdsError> {
        self.shared.with(|w| {
            w.index(id)
                .map(|m| w.members[m].instance.status)
                .map_err(|_| RdsError::NotFound(id.to_string()))
        })
    }

    /// Every instance, as DescribeDBInstances lists them.
    pub fn describe(&self) -> Vec<InstanceInfo> {
        self.shared.with(|w| {
            w.members
                .iter()
                .zip(&self.shared.addrs)
                .map(|(m, addr)| InstanceInfo {
                    id: m.name.clone(),
                    status: m.instance.status,
                    endpoint: m.endpoint.clone(),
                    local_addr: addr.to_string(),
                    engine_version: m.version.to_string(),
                    pending_maintenance: m.pending_maintenance.clone(),
                })
                .collect()
        })
    }

    /// RDS events emitted so far, oldest first.
    pub fn events(&self) -> Vec<RdsEvent> {
        self.shared.with(|w| w.rds_events.clone())
    }
}

/// Durations as integer milliseconds in JSON.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

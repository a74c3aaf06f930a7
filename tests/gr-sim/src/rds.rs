//! The RDS control plane of the simulated instances: RebootDBInstance, StopDBInstance,
//! StartDBInstance, a minor version upgrade, the maintenance RDS holds
//! (`DescribePendingMaintenanceActions`, `ApplyPendingMaintenanceAction`) and parameter changes
//! waiting for a reboot, mapped onto the members; the instance statuses they pass through, AWS's
//! error codes for refused calls, and the RDS events emitted.

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
    /// Pending maintenance other than an engine upgrade (a system update) being applied.
    Maintenance,
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
            InstanceStatus::Maintenance => "maintenance",
        }
    }

    /// A transition that ends with mysqld up (or the instance stopped) is under way.
    pub(crate) fn is_restarting(self) -> bool {
        !matches!(self, InstanceStatus::Available | InstanceStatus::Stopped)
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
    /// `ResourceNotFoundFault` (ApplyPendingMaintenanceAction): no such resource.
    #[error("ResourceNotFoundFault: The specified resource ID {0} was not found.")]
    ResourceNotFound(String),
    /// `InvalidParameterValue`: ApplyPendingMaintenanceAction of an action RDS does not hold
    /// for the instance (RDS's exact code for this is not documented).
    #[error("InvalidParameterValue: {id} has no pending maintenance action {action}.")]
    NoPendingAction {
        /// Instance id.
        id: String,
        /// The action asked for.
        action: String,
    },
    /// `InvalidParameterValue`: an opt-in type other than `immediate`, `next-maintenance`,
    /// `undo-opt-in`.
    #[error(
        "InvalidParameterValue: Invalid value {0} for OptInType; valid values are immediate, \
         next-maintenance, undo-opt-in."
    )]
    InvalidOptIn(String),
}

impl RdsError {
    pub(crate) fn invalid_state(id: &str, status: InstanceStatus, expected: &'static str) -> Self {
        RdsError::InvalidState {
            id: id.to_string(),
            status,
            expected,
        }
    }

    /// AWS's error code (`DBInstanceNotFound`, `InvalidDBInstanceState`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            RdsError::NotFound(_) => "DBInstanceNotFound",
            RdsError::InvalidState { .. } => "InvalidDBInstanceState",
            RdsError::ResourceNotFound(_) => "ResourceNotFoundFault",
            RdsError::NoPendingAction { .. } | RdsError::InvalidOptIn(_) => "InvalidParameterValue",
        }
    }

    /// The HTTP status RDS answers it with: 404 for what does not exist, 400 otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            RdsError::NotFound(_) | RdsError::ResourceNotFound(_) => 404,
            _ => 400,
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
    /// `RDS-EVENT-0004`, `-0006`, `-0087`, `-0088`; for maintenance `-0026`/`-0027` (a system
    /// update), `-0266`/`-0267`/`-0268` (an engine upgrade).
    pub event_id: String,
    /// The event message.
    pub message: String,
}

impl RdsEvent {
    /// The event as EventBridge delivers it to a rule's target ("RDS DB Instance Event"), sent
    /// at `time`, in Region us-east-1 of account 123456789012 (moto's).
    pub fn eventbridge(&self, time: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
        let arn = format!("arn:aws:rds:us-east-1:123456789012:db:{}", self.instance);
        let category = match self.event_id.as_str() {
            "RDS-EVENT-0087" | "RDS-EVENT-0088" => "notification",
            "RDS-EVENT-0026" | "RDS-EVENT-0027" | "RDS-EVENT-0266" | "RDS-EVENT-0267"
            | "RDS-EVENT-0268" => "maintenance",
            _ => "availability",
        };
        serde_json::json!({
            "version": "0",
            "id": format!("gr-sim-{}-{}-{}", self.instance, self.event_id, self.at.as_millis()),
            "detail-type": "RDS DB Instance Event",
            "source": "aws.rds",
            "account": "123456789012",
            "time": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "region": "us-east-1",
            "resources": [arn],
            "detail": {
                "EventCategories": [category],
                "SourceType": "DB_INSTANCE",
                "SourceArn": arn,
                "Date": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "Message": self.message,
                "SourceIdentifier": self.instance,
                "EventID": self.event_id,
            }
        })
    }
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
    /// `DBParameterGroups[].ParameterApplyStatus`: `pending-reboot` while a parameter change
    /// waits for the next restart, else `in-sync`.
    pub parameter_apply_status: String,
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
    /// A `db-upgrade`'s engine version: mysqld comes back on it once the action is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_to: Option<Version>,
    /// `OptInStatus`: `next-maintenance` once opted in for the next window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_in_status: Option<String>,
}

impl PendingMaintenance {
    /// An operating-system update, as RDS describes one.
    pub fn system_update() -> Self {
        PendingMaintenance {
            action: "system-update".into(),
            description: "New Operating System update is available".into(),
            auto_applied_after: None,
            upgrade_to: None,
            opt_in_status: None,
        }
    }

    /// An engine minor-version upgrade to `version`.
    pub fn db_upgrade(version: Version) -> Self {
        PendingMaintenance {
            action: "db-upgrade".into(),
            description: format!("Upgrade to MySQL {version}"),
            auto_applied_after: None,
            upgrade_to: Some(version),
            opt_in_status: None,
        }
    }
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

    /// ApplyPendingMaintenanceAction of `action` with opt-in type `opt_in` (see
    /// `World::apply_maintenance`): `immediate` takes the instance down and brings it back with
    /// the action done. An unknown instance is `ResourceNotFoundFault`, as for an ARN RDS does
    /// not know.
    pub fn apply_maintenance(&self, id: &str, action: &str, opt_in: &str) -> Result<(), RdsError> {
        self.shared.with(|w| {
            let m = w
                .index(id)
                .map_err(|_| RdsError::ResourceNotFound(id.to_string()))?;
            w.apply_maintenance(m, action, opt_in)
        })
    }

    /// A static parameter of the instance's parameter group changed (apply method
    /// `pending-reboot`): `pending-reboot` until its next restart.
    pub fn change_parameters(&self, id: &str) -> Result<(), RdsError> {
        self.transition(id, |w, m| {
            w.members[m].instance.parameters_pending_reboot = true;
            w.touch();
            Ok(())
        })
    }

    /// From now on, restarts of the instance never end (`on`): it stays `rebooting`,
    /// `upgrading`... with mysqld down, a member that does not come back. Off, the restart under
    /// way ends at once.
    pub fn stays_down(&self, id: &str, on: bool) -> Result<(), RdsError> {
        self.transition(id, |w, m| {
            w.stay_down(m, on);
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
                    parameter_apply_status: if m.instance.parameters_pending_reboot {
                        "pending-reboot"
                    } else {
                        "in-sync"
                    }
                    .to_string(),
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

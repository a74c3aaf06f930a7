//! What one observation of a cluster saw, and nothing else: per RDS instance its control-plane
//! record and what its MySQL server reported (or why it could not be read).
//!
//! These types are the snapshot format (`docs/snapshot.md`): they serialize to the JSON that a
//! tick saves and that `grkeeper plan --snapshot` replays.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::gtid::GtidSet;

mod endpoint;
pub mod untrusted;

pub use endpoint::{Endpoint, EndpointOverrides};

use untrusted::SHOWN;

/// What was seen of one inventory instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Instance {
    /// RDS DB instance identifier (`DBInstanceIdentifier`).
    pub id: String,
    /// `DescribeDBInstances` for this instance.
    pub rds: Observed<RdsInstance, String>,
    /// The data plane: what the member's MySQL server reported about itself and its group.
    pub mysql: Observed<MemberReport, ProbeError>,
}

/// A reading that either succeeded or failed with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Observed<T, E> {
    /// The reading succeeded.
    Seen(T),
    /// The reading failed; the error says why.
    Failed(E),
}

impl<T, E> Observed<T, E> {
    /// The reading, if it succeeded.
    pub fn seen(&self) -> Option<&T> {
        match self {
            Observed::Seen(value) => Some(value),
            Observed::Failed(_) => None,
        }
    }

    /// The error, if the reading failed.
    pub fn failed(&self) -> Option<&E> {
        match self {
            Observed::Seen(_) => None,
            Observed::Failed(error) => Some(error),
        }
    }
}

/// The RDS control plane's record of an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RdsInstance {
    /// `DBInstanceStatus`.
    pub status: InstanceStatus,
    /// `Endpoint.Address`, absent while the instance is being created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `Endpoint.Port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `EngineVersion`, e.g. `8.0.36`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    /// `DBParameterGroups[].ParameterApplyStatus`: `in-sync`, `pending-reboot`, `applying`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_apply_status: Option<String>,
    /// `TagList` as a map.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// `PreferredMaintenanceWindow`, `ddd:hh24:mi-ddd:hh24:mi` in UTC (`sun:05:00-sun:05:30`):
    /// the weekly window in which RDS applies maintenance, taking the instance down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<String>,
    /// `AutoMinorVersionUpgrade`: RDS upgrades the engine's minor version by itself in the
    /// maintenance window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_minor_version_upgrade: Option<bool>,
    /// `DescribePendingMaintenanceActions` for this instance: what RDS will apply and when.
    /// Absent when it was not asked (older snapshots); failed with the reason (a missing
    /// `rds:DescribePendingMaintenanceActions` permission) when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_maintenance: Option<Observed<Vec<PendingMaintenance>, String>>,
}

/// One `PendingMaintenanceActionDetails` of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PendingMaintenance {
    /// `Action`: `system-update`, `db-upgrade`, `hardware-maintenance`,
    /// `ca-certificate-rotation`, ...
    pub action: String,
    /// `Description`, as RDS words it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `AutoAppliedAfterDate`: RDS applies it in the first maintenance window after this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_applied_after: Option<DateTime<Utc>>,
    /// `ForcedApplyDate`: RDS applies it on this date, whatever the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced_apply: Option<DateTime<Utc>>,
    /// `CurrentApplyDate`: when RDS will apply it, as far as RDS knows now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_apply: Option<DateTime<Utc>>,
    /// `OptInStatus`: `immediate`, `next-maintenance`, `undo-opt-in`, when someone opted in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_in_status: Option<String>,
}

/// `DBInstanceStatus` as RDS spells it (`available`, `rebooting`, `stopped`, ...). Kept as text:
/// RDS adds statuses over time and an unknown one must not break a tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct InstanceStatus(pub String);

impl InstanceStatus {
    /// Serving connections and accepting API actions.
    pub fn is_available(&self) -> bool {
        self.0 == "available"
    }

    /// Stopped through RDS.
    pub fn is_stopped(&self) -> bool {
        self.0 == "stopped"
    }

    /// Confirmed not running MySQL, so it cannot be in any group: stopped, failed (RDS could not
    /// recover it), shut down for full storage, or unable to start with its parameters.
    pub fn is_down(&self) -> bool {
        matches!(
            self.0.as_str(),
            "stopped" | "failed" | "storage-full" | "incompatible-parameters"
        )
    }

    /// RDS is already changing the instance (reboot, start, stop, maintenance, upgrade...): an
    /// action now would race it.
    pub fn is_changing(&self) -> bool {
        matches!(
            self.0.as_str(),
            "rebooting"
                | "starting"
                | "stopping"
                | "modifying"
                | "upgrading"
                | "maintenance"
                | "configuring-enhanced-monitoring"
                | "configuring-log-exports"
                | "renaming"
                | "resetting-master-credentials"
                | "backing-up"
                | "creating"
                | "deleting"
                | "moving-to-vpc"
                | "converting-to-vpc"
        )
    }
}

impl fmt::Display for InstanceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a member's MySQL server could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeError {
    /// The server answered with a MySQL error (3032 or 6400 offline mode, 1045 access denied,
    /// ...).
    Mysql {
        /// MySQL error number.
        code: u16,
        /// The server's message.
        message: String,
    },
    /// No answer within the connect or query timeout (blackholed, overloaded, network).
    Timeout {
        /// What timed out: `connect`, `ping`, the whole `probe`, a probe statement's short name
        /// (`identity`, `replication_group_members`, ...) or a procedure call.
        during: String,
    },
    /// The TCP connection was refused or reset: nothing listens (instance down or rebooting).
    Refused {
        /// The OS error text.
        message: String,
    },
    /// Anything else (DNS, TLS, protocol), with the client's message.
    Other {
        /// The client's message.
        message: String,
    },
}

/// The channel Group Replication applies the group's transactions through.
pub const APPLIER_CHANNEL: &str = "group_replication_applier";

/// MySQL error `ER_SERVER_OFFLINE_MODE`: the member is in offline mode (what 8.0 and 8.4
/// answer, and 9.x when nothing says why offline mode was set).
pub const ER_SERVER_OFFLINE_MODE: u16 = 3032;
/// MySQL 9.x `ER_SERVER_OFFLINE_MODE_REASON`: offline mode, with when and why it was set
/// ("... reason: (GR) leave group on failure" after Group Replication's exit action).
pub const ER_SERVER_OFFLINE_MODE_REASON: u16 = 6400;
/// MySQL 9.x `ER_SERVER_OFFLINE_MODE_USER`: offline mode, with when and by which user it was
/// set (early 9.x releases; later ones retired it).
pub const ER_SERVER_OFFLINE_MODE_USER: u16 = 6401;
/// Every error a member in offline mode refuses a client with, whatever its version.
pub const OFFLINE_MODE_ERRORS: [u16; 3] = [
    ER_SERVER_OFFLINE_MODE,
    ER_SERVER_OFFLINE_MODE_REASON,
    ER_SERVER_OFFLINE_MODE_USER,
];
/// MySQL error `ER_ACCESS_DENIED_ERROR`: wrong user or password.
pub const ER_ACCESS_DENIED: u16 = 1045;

impl ProbeError {
    /// The member refused us because it is in offline mode (its GR exit action ran), by any of
    /// the codes MySQL 8.0 to 9.x use for it ([`OFFLINE_MODE_ERRORS`]).
    pub fn is_offline_mode(&self) -> bool {
        matches!(self, ProbeError::Mysql { code, .. } if OFFLINE_MODE_ERRORS.contains(code))
    }

    /// Our credentials were rejected: a configuration problem, not a member problem.
    pub fn is_access_denied(&self) -> bool {
        matches!(self, ProbeError::Mysql { code, .. } if *code == ER_ACCESS_DENIED)
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The server's and the client's words are not grkeeper's: shown cleaned, the
            // server's quoted.
            ProbeError::Mysql { code, message } => {
                write!(f, "MySQL error {code}: {}", untrusted::quote(message))
            }
            ProbeError::Timeout { during } => {
                write!(f, "timed out during {}", untrusted::clean(during, SHOWN))
            }
            ProbeError::Refused { message } => {
                write!(
                    f,
                    "connection refused: {}",
                    untrusted::clean(message, SHOWN)
                )
            }
            ProbeError::Other { message } => f.write_str(&untrusted::clean(message, SHOWN)),
        }
    }
}

/// What one member's MySQL server reported about itself and about its group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemberReport {
    /// `@@server_uuid`: the member id in every `replication_group_members` view.
    pub server_uuid: String,
    /// `@@hostname` (RDS: an internal name such as `ip-10-0-1-11`, not the endpoint).
    pub hostname: String,
    /// `@@port`, when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `@@version`, e.g. `8.0.36`.
    pub version: String,
    /// `@@read_only`.
    pub read_only: bool,
    /// `@@super_read_only`.
    pub super_read_only: bool,
    /// `@@offline_mode`.
    pub offline_mode: bool,
    /// `@@gtid_executed`.
    pub gtid_executed: GtidSet,
    /// `@@gtid_purged`: what this member can no longer send to a joiner.
    pub gtid_purged: GtidSet,
    /// Group Replication settings this member runs with.
    pub settings: GrSettings,
    /// This member's own `performance_schema.replication_group_members`.
    pub view: Vec<ViewMember>,
    /// `performance_schema.replication_group_member_stats` as this member sees it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stats: Vec<MemberStats>,
    /// `replication_connection_status` of the GR applier and recovery channels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<ChannelStatus>,
    /// Recent `Repl` lines of `performance_schema.error_log`, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorLogEntry>,
    /// The last Group Replication procedure called on this member, from `mysql.rds_history`:
    /// tells a deliberate stop from a crash.
    #[serde(default, skip_serializing_if = "LastGrCall::is_none")]
    pub last_gr_call: LastGrCall,
}

/// How a member names itself, as it reported it: kept in the journal's memory so that a view
/// row under its `server_uuid` can be told from a copy of it running somewhere else while the
/// member itself cannot be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    /// `MEMBER_HOST` of its own row in its own view: `report_host`, else `@@hostname` (on RDS an
    /// internal name such as `ip-10-0-1-11`); empty when it listed no row of its own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub view_host: String,
    /// `@@hostname`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// `MEMBER_PORT` of its own row, else `@@port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

impl Address {
    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self.view_host.is_empty() && self.hostname.is_empty() && self.port.is_none()
    }
}

/// What `mysql.rds_history` says of the last `mysql.rds_group_replication_*` call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LastGrCall {
    /// No such call was ever recorded on this member.
    #[default]
    None,
    /// The last one.
    Call(GrCall),
    /// The table could not be read (a missing grant), so a deliberate stop cannot be told.
    Unreadable(String),
}

impl LastGrCall {
    /// True when no call was ever recorded.
    pub fn is_none(&self) -> bool {
        matches!(self, LastGrCall::None)
    }
}

/// One `mysql.rds_history` row written by a `mysql.rds_group_replication_*` procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GrCall {
    /// `action_timestamp`, as MySQL prints it.
    pub at: String,
    /// `called_by_user` (`user@host`).
    pub by: String,
    /// `action`, e.g. `stop group replication`, `start group replication. bootstrap:0`.
    pub action: String,
}

impl GrCall {
    /// `mysql.rds_group_replication_stop()` wrote this row.
    pub fn is_stop(&self) -> bool {
        self.action.starts_with("stop group replication")
    }

    /// The user part of `called_by_user` (the procedures record `USER()`, `user@client-host`;
    /// the client host of a Lambda changes from one invocation to the next).
    pub fn user(&self) -> &str {
        self.by
            .rsplit_once('@')
            .map_or(self.by.as_str(), |(user, _)| user)
    }
}

impl MemberReport {
    /// This member's own row in its own view: its GR state as it sees it.
    pub fn own_row(&self) -> Option<&ViewMember> {
        self.view.iter().find(|m| m.member_id == self.server_uuid)
    }

    /// How this member names itself: the host and port of its own row in its own view (what
    /// every other view lists it under), and `@@hostname`/`@@port`.
    pub fn address(&self) -> Address {
        let own = self.own_row();
        Address {
            view_host: own.map(|r| r.host.clone()).unwrap_or_default(),
            hostname: self.hostname.clone(),
            port: own.map(|r| r.port).filter(|p| *p != 0).or(self.port),
        }
    }

    /// This member's GR state as it reports it (`OFFLINE` when GR never started and no row).
    pub fn own_state(&self) -> MemberState {
        self.own_row().map_or(MemberState::Offline, |m| m.state)
    }

    /// Every transaction this member holds: `gtid_executed` and what the group certified and
    /// queued in its applier but it has not applied yet. A restart or a join must start from
    /// (and be checked against) these, not from `gtid_executed` alone
    /// (`docs/group-replication.md`, "Transactions").
    pub fn known_transactions(&self) -> GtidSet {
        self.gtid_executed.union(&self.received())
    }

    /// What the group certified and queued on this member's applier channel (maybe applied).
    pub fn received(&self) -> GtidSet {
        self.channels
            .iter()
            .filter(|c| c.channel == APPLIER_CHANNEL)
            .fold(GtidSet::new(), |all, c| {
                all.union(&c.received_transaction_set)
            })
    }

    /// The last Group Replication call, when one was read.
    pub fn gr_call(&self) -> Option<&GrCall> {
        match &self.last_gr_call {
            LastGrCall::Call(call) => Some(call),
            LastGrCall::None | LastGrCall::Unreadable(_) => None,
        }
    }

    /// MySQL Shell's quorum test on this member's own view (`docs/group-replication.md`, "Member
    /// states"): it is `ONLINE`, and
    /// the members it can reach are a strict majority of the listed ones, `ERROR` rows other than
    /// its own left out.
    pub fn has_quorum(&self) -> bool {
        let listed: Vec<&ViewMember> = self
            .view
            .iter()
            .filter(|m| m.member_id == self.server_uuid || m.state != MemberState::Error)
            .collect();
        let unreachable = listed
            .iter()
            .filter(|m| m.state == MemberState::Unreachable)
            .count();
        self.own_state() == MemberState::Online && (listed.len() - unreachable) * 2 > listed.len()
    }
}

/// The `group_replication_*` settings (and RDS binlog retention) a member runs with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GrSettings {
    /// `@@group_replication_group_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// `@@group_replication_group_seeds`, split on commas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_seeds: Vec<String>,
    /// `@@group_replication_exit_state_action`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_state_action: Option<String>,
    /// `@@group_replication_autorejoin_tries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autorejoin_tries: Option<u32>,
    /// `@@group_replication_member_expel_timeout` (seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_expel_timeout: Option<u32>,
    /// `@@group_replication_unreachable_majority_timeout` (seconds; 0 = wait forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_majority_timeout: Option<u32>,
    /// `binlog retention hours` from `mysql.rds_configuration` (NULL on RDS means "purge ASAP").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binlog_retention_hours: Option<u32>,
}

/// GR member states (`MEMBER_STATE`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MemberState {
    /// Fully synchronised, participating member.
    Online,
    /// Joined, doing distributed recovery.
    Recovering,
    /// Not in any group (stopped, never started, or about to join).
    Offline,
    /// Failed, not participating (also shown while auto-rejoining or after the exit action).
    Error,
    /// The viewer's failure detector suspects this member.
    Unreachable,
}

impl MemberState {
    /// States that mean "this row belongs to a live group".
    pub fn is_live(self) -> bool {
        matches!(self, MemberState::Online | MemberState::Recovering)
    }
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemberState::Online => "ONLINE",
            MemberState::Recovering => "RECOVERING",
            MemberState::Offline => "OFFLINE",
            MemberState::Error => "ERROR",
            MemberState::Unreachable => "UNREACHABLE",
        })
    }
}

/// One row of a member's `replication_group_members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ViewMember {
    /// `MEMBER_ID`: the member's `server_uuid`.
    pub member_id: String,
    /// `MEMBER_HOST`.
    #[serde(default)]
    pub host: String,
    /// `MEMBER_PORT`.
    #[serde(default)]
    pub port: u16,
    /// `MEMBER_STATE`.
    pub state: MemberState,
    /// `MEMBER_ROLE` (`PRIMARY`, `SECONDARY`, or empty).
    #[serde(default)]
    pub role: String,
    /// `MEMBER_VERSION`.
    #[serde(default)]
    pub version: String,
}

/// One row of `replication_group_member_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberStats {
    /// `MEMBER_ID`.
    pub member_id: String,
    /// `VIEW_ID`: changes on every membership change.
    #[serde(default)]
    pub view_id: String,
    /// `COUNT_TRANSACTIONS_IN_QUEUE`: waiting for certification.
    #[serde(default)]
    pub transactions_in_queue: u64,
    /// `COUNT_CONFLICTS_DETECTED`.
    #[serde(default)]
    pub conflicts_detected: u64,
    /// `COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE`: received, not yet applied (the lag).
    #[serde(default)]
    pub remote_in_applier_queue: u64,
    /// `COUNT_TRANSACTIONS_REMOTE_APPLIED`.
    #[serde(default)]
    pub remote_applied: u64,
    /// `COUNT_TRANSACTIONS_LOCAL_PROPOSED`.
    #[serde(default)]
    pub local_proposed: u64,
    /// `COUNT_TRANSACTIONS_LOCAL_ROLLBACK`.
    #[serde(default)]
    pub local_rollback: u64,
}

/// One row of `replication_connection_status` for a GR channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChannelStatus {
    /// `group_replication_applier` or `group_replication_recovery`.
    pub channel: String,
    /// `SERVICE_STATE`: `ON`, `OFF`, `CONNECTING`.
    pub service_state: String,
    /// `LAST_ERROR_NUMBER` (0 = none).
    #[serde(default)]
    pub last_error_number: u32,
    /// `LAST_ERROR_MESSAGE`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_error_message: String,
    /// `LAST_ERROR_TIMESTAMP` as MySQL prints it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_error_timestamp: String,
    /// `RECEIVED_TRANSACTION_SET`: on the applier channel, the transactions certified and
    /// queued here but maybe not applied yet.
    #[serde(default, skip_serializing_if = "GtidSet::is_empty")]
    pub received_transaction_set: GtidSet,
}

/// One `Repl` line of `performance_schema.error_log`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorLogEntry {
    /// `LOGGED` as MySQL prints it.
    pub logged: String,
    /// `PRIO`: `System`, `Error`, `Warning`, `Note`.
    pub prio: String,
    /// `ERROR_CODE`, e.g. `MY-011526`.
    pub error_code: String,
    /// `DATA`: the message.
    pub data: String,
}

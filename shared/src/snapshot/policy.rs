//! What the operator allows grkeeper to do for one cluster: [`Policy`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The rules one cluster is kept by. Every field has a safe default (`docs/configuration.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// `act`, or `observe`: plan and alert, never act.
    pub mode: Mode,
    /// Rejoin OFFLINE members with `rds_group_replication_start(0)`.
    pub rejoin: bool,
    /// Also rejoin (or bootstrap) a member whose Group Replication a person stopped with
    /// `rds_group_replication_stop()`. Off: a deliberate stop is respected and reported.
    pub rejoin_after_operator_stop: bool,
    /// Reboot members in offline mode or `ERROR` through `RebootDBInstance`.
    pub reboot: bool,
    /// Stop GR on members that harm the group. Off unless enabled per cluster.
    pub expel: bool,
    /// Re-bootstrap after a complete outage.
    pub bootstrap: BootstrapPolicy,
    /// No action may leave the group tolerating fewer failures than this.
    pub fault_tolerance_floor: u32,
    /// Minimum seconds between two actions on the same member.
    pub member_cooldown_secs: u64,
    /// At most this many disruptive actions per cluster per `budget_window_secs`.
    pub cluster_budget: u32,
    /// Window of the cluster budget, in seconds.
    pub budget_window_secs: u64,
    /// At most this many reboots of one member per `reboot_window_secs`.
    pub reboot_budget: u32,
    /// Window of the reboot budget, in seconds.
    pub reboot_window_secs: u64,
    /// A member `RECOVERING` longer than this is stuck.
    pub recovering_deadline_secs: u64,
    /// An applier queue above this, for longer than `lag_deadline_secs`, harms the group.
    pub applier_queue_limit: u64,
    /// See `applier_queue_limit`.
    pub lag_deadline_secs: u64,
    /// A member ONLINE on the minority side of a partition longer than this is fenced (stopped),
    /// so its hung writes fail and clients move; shorter blips heal by themselves.
    pub partition_deadline_secs: u64,
    /// Alert when a member keeps binlogs for fewer hours than this.
    pub min_binlog_retention_hours: u32,
    /// The expected `group_replication_exit_state_action`; `None`: members must only agree.
    pub exit_state_action: Option<String>,
    /// A member that left the group this many times within `flap_window_secs` is flapping: it
    /// is no longer brought back automatically until the window has passed since its oldest
    /// counted departure, or a person approves. 0 turns the check off.
    pub flap_limit: u32,
    /// See `flap_limit`.
    pub flap_window_secs: u64,
    /// How far apart the clocks of grkeeper's invocations may be, plus how long an observation
    /// takes: an observation counts as taken after a journaled bootstrap only when it finished
    /// this many seconds after the bootstrap's journaled time.
    pub clock_skew_secs: u64,
    /// Rolling maintenance (`docs/maintenance.md`): whether grkeeper applies what RDS holds
    /// pending, one member at a time.
    pub maintenance: MaintenancePolicy,
    /// A member a rolling-maintenance step took down that is not back `ONLINE` and caught up
    /// this many seconds after the step stops the roll with an incident.
    pub maintenance_return_secs: u64,
    /// A member counts as caught up for rolling maintenance when its applier queue holds at most
    /// this many transactions.
    pub maintenance_max_queue: u64,
    /// The DNS names applications connect through (`docs/endpoints.md`); absent: grkeeper keeps
    /// no names for this cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<EndpointPolicy>,
}

/// How the DNS names choose their members (`docs/endpoints.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointPolicy {
    /// A member whose applier queue holds more transactions than this is not caught up: it
    /// leaves the members name, and cannot take the active one (unless no member is caught up).
    pub max_queue: u64,
    /// A member whose condition changed less than this many seconds ago (it just came back) takes
    /// the active name only when no settled member can.
    pub hold_down_secs: u64,
}

impl Default for EndpointPolicy {
    fn default() -> Self {
        EndpointPolicy {
            max_queue: 1000,
            hold_down_secs: 300,
        }
    }
}

/// Whether grkeeper applies pending maintenance, one member at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaintenancePolicy {
    /// Never: the findings say what is pending and how to apply it by hand.
    Off,
    /// Each step only under an unexpired approval (`grkeeper approve maintenance`), for the
    /// member or for any.
    Approval,
    /// Whenever something is pending and every guard holds.
    Auto,
}

/// Whether grkeeper may act at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Plan and act.
    Act,
    /// Plan, journal and alert; refuse every action with the reason "observe mode".
    Observe,
}

/// When a complete outage may be repaired by re-bootstrapping the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BootstrapPolicy {
    /// Bootstrap as soon as every guard holds.
    Auto,
    /// Bootstrap only with an unexpired approval recorded (`grkeeper approve`).
    Approval,
    /// Never bootstrap; alert only.
    Off,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mode: Mode::Act,
            rejoin: true,
            rejoin_after_operator_stop: false,
            reboot: true,
            expel: false,
            bootstrap: BootstrapPolicy::Auto,
            fault_tolerance_floor: 0,
            member_cooldown_secs: 600,
            cluster_budget: 3,
            budget_window_secs: 3600,
            reboot_budget: 2,
            reboot_window_secs: 3600,
            recovering_deadline_secs: 1800,
            applier_queue_limit: 25_000,
            lag_deadline_secs: 600,
            partition_deadline_secs: 60,
            min_binlog_retention_hours: 168,
            exit_state_action: None,
            flap_limit: 3,
            flap_window_secs: 3600,
            clock_skew_secs: 60,
            maintenance: MaintenancePolicy::Off,
            maintenance_return_secs: 3600,
            maintenance_max_queue: 100,
            endpoints: None,
        }
    }
}

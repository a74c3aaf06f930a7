//! One simulated RDS for MySQL instance: what its server knows (GTIDs, variables, GR state,
//! error log) and what its RDS control plane shows.

use std::time::Duration;

use crate::config::{ExitStateAction, MemberSpec};
use crate::gtid::GtidSet;
use crate::model::errlog::Line;
use crate::rds::{InstanceStatus, PendingMaintenance};
use crate::version::Version;

/// The GR settings a member reads from its parameter group.
#[derive(Debug, Clone)]
pub(crate) struct GrConfig {
    pub group_name: String,
    pub seeds: String,
    pub exit_state_action: ExitStateAction,
    pub autorejoin_tries: u32,
    pub member_expel_timeout: u32,
    pub unreachable_majority_timeout: u32,
    pub consistency: String,
    pub start_on_boot: bool,
    /// `rds.group_replication_enabled`: the plugin is loaded.
    pub gr_enabled: bool,
}

/// The Group Replication plugin's state on one member.
#[derive(Debug, Clone)]
pub(crate) enum Gr {
    /// Not started since boot, stopped, or a failed START: own row only, OFFLINE.
    Offline,
    /// In a group (ONLINE or RECOVERING), with this member's own view of it.
    Active(Active),
    /// Left the group involuntarily: own row only, ERROR; maybe auto-rejoining.
    Error(ErrorState),
}

/// Membership of a running group member.
#[derive(Debug, Clone)]
pub(crate) struct Active {
    /// Which bootstrap created the group: two bootstraps are two groups even with one name.
    pub incarnation: u64,
    /// This stay in the group (a rejoin is a new one): transactions begun in an earlier stay
    /// are rolled back.
    pub membership: u64,
    pub view: View,
    pub phase: Phase,
    /// When this member found it cannot reach a majority of its view (its first suspicion of a
    /// missing peer).
    pub majority_lost_at: Option<Duration>,
    /// Whether the loss of majority was written to the error log.
    pub majority_loss_logged: bool,
    /// When STOP GROUP_REPLICATION asked to leave, while the leave waits for the group to install
    /// a view without this member: OFFLINE to itself, still a member to its peers.
    pub leaving_since: Option<Duration>,
}

/// The member's own progress inside its group.
#[derive(Debug, Clone)]
pub(crate) enum Phase {
    /// Distributed recovery until `until`. With a `failure` the joiner looks at its donors again
    /// then: `Purged` ends in ERROR at once; `Credentials` tries them again after the reconnect
    /// interval until `donor_attempts` reaches the retry count, and succeeds if one was fixed.
    Recovering {
        until: Duration,
        failure: Option<RecoveryFailure>,
        donor_attempts: u32,
    },
    Online,
}

/// Why distributed recovery cannot proceed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecoveryFailure {
    /// Every donor purged transactions the joiner lacks: no donor can ever serve it.
    Purged,
    /// Every donor that holds what the joiner lacks refuses its recovery channel's login (no
    /// credentials, or not those of the donor's `rdsgrprepladmin`): worth retrying.
    Credentials,
}

/// A group view: `tag:number` is the VIEW_ID MySQL shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct View {
    pub tag: u64,
    pub number: u32,
    pub members: Vec<usize>,
}

impl View {
    pub fn id(&self) -> String {
        format!("{}:{}", self.tag, self.number)
    }
}

/// An expelled member, possibly with auto-rejoin attempts left.
#[derive(Debug, Clone)]
pub(crate) struct ErrorState {
    pub rejoin: Option<Retry>,
}

/// A retried operation: the attempt to make next and when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    pub attempt: u32,
    pub next_at: Duration,
}

/// Priority column of `performance_schema.error_log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prio {
    System,
    Error,
    Warning,
}

impl Prio {
    pub fn as_str(self) -> &'static str {
        match self {
            Prio::System => "System",
            Prio::Error => "Error",
            Prio::Warning => "Warning",
        }
    }
}

/// One row of `performance_schema.error_log`.
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    pub at: Duration,
    pub line: Line,
}

/// The last error of the `group_replication_recovery` channel.
#[derive(Debug, Clone)]
pub(crate) struct ChannelError {
    pub number: u32,
    pub message: String,
    pub at: Duration,
}

/// One row of `mysql.rds_history`, appended by the RDS procedures.
#[derive(Debug, Clone)]
pub(crate) struct HistoryRow {
    pub at: Duration,
    pub user: String,
    pub action: String,
    pub version: String,
    pub gtid: Option<String>,
}

/// What the RDS control plane shows, and the transition in progress.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Instance {
    pub status: InstanceStatus,
    /// When the current transitional status ends.
    pub until: Option<Duration>,
    /// The event RDS emits when the current restart ends (`RDS-EVENT-0006` for a reboot).
    pub ends_with: (&'static str, &'static str),
    /// The parameter group has changes that wait for the next restart (`pending-reboot`).
    pub parameters_pending_reboot: bool,
    /// A test's switch: the restart under way never ends (the instance stays down).
    pub stays_down: bool,
}

/// RDS's event at the end of a reboot.
pub(crate) const RESTARTED: (&str, &str) = ("RDS-EVENT-0006", "DB instance restarted");

#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub name: String,
    pub uuid: String,
    pub hostname: String,
    pub endpoint: String,
    pub server_id: u32,
    pub version: Version,
    /// Version to run from the next boot (a minor version upgrade in progress).
    pub next_version: Option<Version>,
    /// mysqld is running.
    pub up: bool,
    /// Changes at every boot and shutdown; connections of an older boot are closed.
    pub boot: u64,
    pub executed: GtidSet,
    /// Certified by the group while this member was in it but not ONLINE (RECOVERING): queued
    /// in its applier channel's relay log, not applied yet. A member never drops a transaction
    /// it took part in certifying: it applies these when its recovery ends, or when its applier
    /// next starts (START GROUP_REPLICATION, a rejoin); until then its applier channel reports
    /// them received, and a join checks them like executed ones.
    pub received: GtidSet,
    pub purged: GtidSet,
    /// Executed with binary logging off (`advance_gtid`'s placeholders): in no binary log, so no
    /// donor can send them to a joiner.
    pub unlogged: GtidSet,
    pub gr: Gr,
    pub cfg: GrConfig,
    pub super_read_only: bool,
    pub read_only: bool,
    pub offline_mode: bool,
    /// Why and when `offline_mode` was turned on, when the server recorded it (Group
    /// Replication's exit action does): 9.x tells refused clients.
    pub offline_reason: Option<(Duration, String)>,
    /// Password of `rdsgrprepladmin@'%'` when the user exists.
    pub repl_user: Option<String>,
    /// Password stored for the `group_replication_recovery` channel.
    pub recovery_channel: Option<String>,
    /// The `group_replication_applier` channel exists: GR was started here at least once (it
    /// outlives STOP and restarts, `gr_perfschema`).
    pub applier_channel: bool,
    /// `mysql.rds_configuration`: name, value, description.
    pub rds_config: Vec<(String, Option<String>, String)>,
    pub history: Vec<HistoryRow>,
    pub log: Vec<LogEntry>,
    pub recovery_error: Option<ChannelError>,
    /// GR start at boot: the next join attempt.
    pub boot_join: Option<Retry>,
    pub blackhole: bool,
    pub latency: Duration,
    /// Remote transactions its applier has queued and not applied while ONLINE (a slow
    /// applier): what its stats row reports as its applier queue.
    pub backlog: u64,
    pub local_proposed: u64,
    pub remote_applied: u64,
    pub instance: Instance,
    /// What RDS holds for the instance (`DescribePendingMaintenanceActions`).
    pub pending_maintenance: Vec<PendingMaintenance>,
}

impl Member {
    pub fn new(index: usize, spec: &MemberSpec, seeds: String, group_name: &str) -> Self {
        Member {
            name: spec.name.clone(),
            uuid: server_uuid(&spec.name),
            hostname: format!("ip-10-0-{}-{}", 1 + index % 3, 11 + index),
            endpoint: endpoint(&spec.name),
            server_id: 1_000_000_000 + index as u32 * 7 + 1,
            version: spec.version,
            next_version: None,
            up: true,
            boot: 1,
            executed: initialization_gtids(spec),
            received: GtidSet::new(),
            purged: GtidSet::new(),
            unlogged: GtidSet::new(),
            gr: Gr::Offline,
            cfg: GrConfig {
                group_name: group_name.to_string(),
                seeds,
                exit_state_action: spec.exit_state_action,
                autorejoin_tries: spec.autorejoin_tries,
                member_expel_timeout: spec.member_expel_timeout,
                unreachable_majority_timeout: spec.unreachable_majority_timeout,
                consistency: spec.consistency.clone(),
                start_on_boot: spec.start_on_boot,
                gr_enabled: spec.gr_enabled,
            },
            super_read_only: spec.gr_enabled,
            read_only: spec.gr_enabled,
            offline_mode: false,
            offline_reason: None,
            repl_user: None,
            recovery_channel: None,
            applier_channel: false,
            rds_config: rds_configuration_defaults(),
            history: Vec::new(),
            log: Vec::new(),
            recovery_error: None,
            boot_join: None,
            blackhole: false,
            latency: Duration::ZERO,
            backlog: 0,
            local_proposed: 0,
            remote_applied: 0,
            instance: Instance {
                status: InstanceStatus::Available,
                until: None,
                ends_with: RESTARTED,
                parameters_pending_reboot: false,
                stays_down: false,
            },
            pending_maintenance: Vec::new(),
        }
    }

    /// Appends an error-log line; LOGGED strictly increases (1 µs apart at the same instant)
    /// so `ORDER BY LOGGED DESC` lists the newest first, as on a real server.
    pub fn log(&mut self, at: Duration, line: Line) {
        let at = match self.log.last() {
            Some(last) if last.at >= at => last.at + Duration::from_micros(1),
            _ => at,
        };
        self.log.push(LogEntry { at, line });
    }

    pub fn active(&self) -> Option<&Active> {
        match &self.gr {
            Gr::Active(active) => Some(active),
            _ => None,
        }
    }

    pub fn active_mut(&mut self) -> Option<&mut Active> {
        match &mut self.gr {
            Gr::Active(active) => Some(active),
            _ => None,
        }
    }

    /// Its place in a group as it sees it itself: none outside a group, and none while it waits
    /// to leave one (it shows itself OFFLINE then).
    pub fn in_group(&self) -> Option<&Active> {
        self.active().filter(|a| a.leaving_since.is_none())
    }

    pub fn is_online(&self) -> bool {
        self.in_group()
            .is_some_and(|a| matches!(a.phase, Phase::Online))
    }

    /// STOP GROUP_REPLICATION is waiting for the view without this member.
    pub fn is_leaving(&self) -> bool {
        self.active().is_some_and(|a| a.leaving_since.is_some())
    }

    /// The member's own MEMBER_STATE.
    pub fn state_name(&self) -> &'static str {
        match &self.gr {
            Gr::Error(_) => "ERROR",
            _ => self.in_group().map_or("OFFLINE", |a| a.phase.name()),
        }
    }

    /// Every transaction it holds: executed, and certified but queued ([`Member::received`]).
    pub fn known(&self) -> GtidSet {
        let mut known = self.executed.clone();
        known.union_with(&self.received);
        known
    }

    /// Its applier channel starts (or its recovery ends): what it queued is applied.
    pub fn apply_received(&mut self) {
        let queued = std::mem::take(&mut self.received);
        self.remote_applied += queued.subtract(&self.executed).count();
        self.executed.union_with(&queued);
    }

    /// Sets `super_read_only` and `read_only` together, as GR does (RDS keeps `read_only=0`).
    pub fn set_super_read_only(&mut self, on: bool) {
        self.super_read_only = on;
        self.read_only = on;
    }
}

impl Phase {
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Recovering { .. } => "RECOVERING",
            Phase::Online => "ONLINE",
        }
    }
}

/// What RDS wrote under the instance's own server_uuid while it created it.
fn initialization_gtids(spec: &MemberSpec) -> GtidSet {
    let mut executed = GtidSet::new();
    if spec.initialization_gtids > 0 {
        executed.add_range(&server_uuid(&spec.name), 1, spec.initialization_gtids);
    }
    executed
}

/// A stable, MySQL-looking server UUID derived from the instance id.
pub(crate) fn server_uuid(name: &str) -> String {
    let a = fnv(name.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv(name.as_bytes(), 0x8422_2325_cbf2_9ce4);
    format!(
        "{:08x}-{:04x}-11ee-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The RDS endpoint of an instance (what seeds and DescribeDBInstances name).
pub(crate) fn endpoint(name: &str) -> String {
    format!("{name}.cgrsim0abcde.us-east-1.rds.amazonaws.com")
}

fn rds_configuration_defaults() -> Vec<(String, Option<String>, String)> {
    [
        (
            "binlog retention hours",
            None,
            "binlog retention hours specifies the duration in hours before binary logs are \
             automatically deleted.",
        ),
        (
            "source delay",
            Some("0"),
            "source delay specifies replication delay in seconds between current instance and \
             its master.",
        ),
        (
            "target delay",
            Some("0"),
            "target delay specifies replication delay in seconds between current instance and \
             its future read-replica.",
        ),
    ]
    .into_iter()
    .map(|(n, v, d)| (n.to_string(), v.map(str::to_string), d.to_string()))
    .collect()
}

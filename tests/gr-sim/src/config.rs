//! How a simulated cluster is set up: members, credentials, clock, timing and start state.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::version::Version;

/// Every duration the group model uses, so real-time tests can shrink them to milliseconds.
///
/// Variables MySQL counts in seconds (`group_replication_member_expel_timeout`,
/// `group_replication_unreachable_majority_timeout`) keep their integer value in SQL and last
/// `value × gr_second` in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Silence before peers show a member UNREACHABLE (GR: about 5 s).
    pub failure_detection: Duration,
    /// Length of one "second" of a seconds-valued GR variable.
    pub gr_second: Duration,
    /// Least time a joiner stays RECOVERING.
    pub recovery_base: Duration,
    /// Extra RECOVERING time per transaction the joiner lacks.
    pub recovery_per_transaction: Duration,
    /// Pause of distributed recovery after every donor failed once
    /// (`group_replication_recovery_reconnect_interval`, GR: 60 s).
    pub recovery_reconnect_interval: Duration,
    /// Donor connection attempts before recovery gives up
    /// (`group_replication_recovery_retry_count`, GR: 10).
    pub recovery_retries: u32,
    /// RebootDBInstance (and a version upgrade): down time before MySQL answers again.
    pub reboot: Duration,
    /// StopDBInstance: `stopping` lasts this long before `stopped`.
    pub stop: Duration,
    /// StartDBInstance: `starting` lasts this long before `available`.
    pub start: Duration,
    /// The `DO SLEEP(2)` inside `rds_group_replication_start`/`_stop`.
    pub proc_sleep: Duration,
    /// Pause between auto-rejoin attempts (GR: 5 minutes).
    pub autorejoin_interval: Duration,
    /// Pause between join attempts of a member starting GR at boot (GR: 5 s).
    pub join_retry_interval: Duration,
    /// Join attempts of a member starting GR at boot before it gives up (GR: 10).
    pub join_attempts: u32,
    /// How long a leaving member waits for the view without it before it stops anyway (GR: 60 s,
    /// the plugin's `VIEW_MODIFICATION_TIMEOUT`).
    pub view_change_timeout: Duration,
}

impl Timing {
    /// The durations of a real RDS for MySQL 8.0 GR cluster.
    pub fn rds() -> Self {
        Timing {
            failure_detection: Duration::from_secs(5),
            gr_second: Duration::from_secs(1),
            recovery_base: Duration::from_secs(1),
            recovery_per_transaction: Duration::from_millis(1),
            recovery_reconnect_interval: Duration::from_secs(60),
            recovery_retries: 10,
            reboot: Duration::from_secs(30),
            stop: Duration::from_secs(30),
            start: Duration::from_secs(60),
            proc_sleep: Duration::from_secs(2),
            autorejoin_interval: Duration::from_secs(300),
            join_retry_interval: Duration::from_secs(5),
            join_attempts: 10,
            view_change_timeout: Duration::from_secs(60),
        }
    }

    /// The same shape scaled down about 100× for real-time tests (tens of milliseconds).
    pub fn fast() -> Self {
        Timing {
            failure_detection: Duration::from_millis(40),
            gr_second: Duration::from_millis(10),
            recovery_base: Duration::from_millis(20),
            recovery_per_transaction: Duration::from_micros(50),
            recovery_reconnect_interval: Duration::from_millis(600),
            recovery_retries: 10,
            reboot: Duration::from_millis(150),
            stop: Duration::from_millis(60),
            start: Duration::from_millis(150),
            proc_sleep: Duration::from_millis(20),
            autorejoin_interval: Duration::from_millis(100),
            join_retry_interval: Duration::from_millis(40),
            join_attempts: 10,
            view_change_timeout: Duration::from_millis(600),
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing::rds()
    }
}

/// Which clock drives the group model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// Time moves only when the test calls `Cluster::advance`; sleeps inside statements
    /// (the procedures' `SLEEP`) take no simulated time.
    #[default]
    Manual,
    /// A background task moves time with the wall clock.
    RealTime,
}

/// Authentication plugin the members name in their handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// `caching_sha2_password` (fast path: the scramble is checked, then `01 03` and OK).
    #[default]
    CachingSha2Password,
    /// `mysql_native_password`.
    NativePassword,
}

impl Auth {
    /// The plugin name sent on the wire.
    pub fn plugin_name(self) -> &'static str {
        match self {
            Auth::CachingSha2Password => "caching_sha2_password",
            Auth::NativePassword => "mysql_native_password",
        }
    }
}

/// `group_replication_exit_state_action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExitStateAction {
    /// Stay connectable in super-read-only (`ERROR` state).
    ReadOnly,
    /// Also set `offline_mode`: new connections get error 3032 (the RDS default).
    OfflineMode,
    /// Shut the server down.
    AbortServer,
}

impl ExitStateAction {
    /// The variable's value as MySQL prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitStateAction::ReadOnly => "READ_ONLY",
            ExitStateAction::OfflineMode => "OFFLINE_MODE",
            ExitStateAction::AbortServer => "ABORT_SERVER",
        }
    }
}

/// State of the cluster when `Cluster::start` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartState {
    /// Bootstrapped by the first member, every member ONLINE in one group.
    #[default]
    Online,
    /// Configured (replication user and recovery channel set everywhere) but GR stopped on
    /// every member: each shows only its own OFFLINE row and is super-read-only.
    Stopped,
    /// Fresh instances: GR stopped, no replication user, no recovery channel (AWS's setup procedure).
    Unconfigured,
}

/// One member: its RDS instance id and the settings of its parameter group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    /// RDS DB instance identifier, also the member's name in the simulator.
    pub name: String,
    /// Server version.
    pub version: Version,
    /// `group_replication_exit_state_action` (RDS default `OFFLINE_MODE`).
    pub exit_state_action: ExitStateAction,
    /// `group_replication_autorejoin_tries` (default 3).
    pub autorejoin_tries: u32,
    /// `group_replication_member_expel_timeout` in seconds (default 5).
    pub member_expel_timeout: u32,
    /// `group_replication_unreachable_majority_timeout` in seconds (default 0: wait forever).
    pub unreachable_majority_timeout: u32,
    /// `group_replication_consistency` (8.0 default `EVENTUAL`).
    pub consistency: String,
    /// Start GR by itself after a restart, as RDS members do after a reboot.
    pub start_on_boot: bool,
    /// Instance ids listed in `group_replication_group_seeds` (default: every member).
    pub seeds: Option<Vec<String>>,
    /// `rds.group_replication_enabled`: the plugin is loaded (default true).
    pub gr_enabled: bool,
    /// Transactions RDS wrote under the instance's own server_uuid while it created it
    /// (`uuid:1-N`; 9.7 only, default 0). Members the start state joins get placeholders for
    /// each other's first, as AWS's setup procedure makes them.
    pub initialization_gtids: u64,
    /// Joined when the cluster starts in `StartState::Online` (default true). False: an instance
    /// added later (or a configured spare outside the inventory), configured (replication user,
    /// recovery channel) but with Group Replication never started: OFFLINE, with no
    /// transactions, until someone starts it.
    pub joins_at_start: bool,
}

impl MemberSpec {
    fn new(name: String) -> Self {
        MemberSpec {
            name,
            version: Version {
                major: 8,
                minor: 0,
                patch: 36,
            },
            exit_state_action: ExitStateAction::OfflineMode,
            autorejoin_tries: 3,
            member_expel_timeout: 5,
            unreachable_majority_timeout: 0,
            consistency: "EVENTUAL".to_string(),
            start_on_boot: true,
            seeds: None,
            gr_enabled: true,
            initialization_gtids: 0,
            joins_at_start: true,
        }
    }
}

/// Builder for a simulated cluster; see the crate documentation for an example.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub(crate) members: Vec<MemberSpec>,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) operator: (String, String),
    pub(crate) repl_password: String,
    pub(crate) auth: Auth,
    pub(crate) clock: ClockMode,
    pub(crate) timing: Timing,
    pub(crate) start: StartState,
    pub(crate) port_base: u16,
    pub(crate) group_name: String,
    /// `SHOW GRANTS` of the account (`None`: the RDS master user's).
    pub(crate) grants: Option<Vec<String>>,
    /// Names given to `member` that are not members; `Cluster::start` refuses them.
    pub(crate) unknown: Vec<String>,
}

impl SimConfig {
    /// A cluster whose members have these RDS instance ids (1 to 9 of them).
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SimConfig {
            members: names
                .into_iter()
                .map(|n| MemberSpec::new(n.into()))
                .collect(),
            user: "admin".to_string(),
            password: "secret".to_string(),
            operator: ("dba".to_string(), "dba-secret".to_string()),
            repl_password: "rdsgrprepl-secret".to_string(),
            auth: Auth::default(),
            clock: ClockMode::Manual,
            timing: Timing::rds(),
            start: StartState::Online,
            port_base: 0,
            group_name: "9f0bd6a2-5d7f-11ee-b8ec-0ec88c43c251".to_string(),
            grants: None,
            unknown: Vec::new(),
        }
    }

    /// A cluster of `n` members named `db1` … `dbN`.
    pub fn with_members(n: usize) -> Self {
        SimConfig::new((1..=n).map(|i| format!("db{i}")))
    }

    /// The master user and password every member accepts.
    pub fn user(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = user.into();
        self.password = password.into();
        self
    }

    /// A second account every member accepts, a person's own (`dba` by default): what it calls
    /// is recorded under its name (`mysql.rds_history.called_by_user`), told apart from the
    /// master user's calls.
    pub fn operator(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.operator = (user.into(), password.into());
        self
    }

    /// The authentication plugin named in the handshake.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Run on the wall clock with these durations (the binary and end-to-end tests).
    pub fn real_time(mut self, timing: Timing) -> Self {
        self.clock = ClockMode::RealTime;
        self.timing = timing;
        self
    }

    /// Run on the manual clock (the default) with these durations.
    pub fn manual(mut self, timing: Timing) -> Self {
        self.clock = ClockMode::Manual;
        self.timing = timing;
        self
    }

    /// What the cluster looks like when `start` returns.
    pub fn start_state(mut self, start: StartState) -> Self {
        self.start = start;
        self
    }

    /// Listen on `base`, `base + 1`, … instead of free ports.
    pub fn port_base(mut self, base: u16) -> Self {
        self.port_base = base;
        self
    }

    /// `group_replication_group_name` of every member.
    pub fn group_name(mut self, uuid: impl Into<String>) -> Self {
        self.group_name = uuid.into();
        self
    }

    /// The account's grants instead of the RDS master user's: `SHOW GRANTS` prints these
    /// lines (with [`crate::ACCOUNT`] replaced by the quoted account), and `SELECT` from the
    /// simulated tables and `CALL` of the procedures are refused (1142, 1370) without them.
    pub fn grants<S: AsRef<str>>(mut self, lines: &[S]) -> Self {
        self.grants = Some(lines.iter().map(|l| l.as_ref().to_owned()).collect());
        self
    }

    /// Password of `rdsgrprepladmin` and of every recovery channel when pre-configured.
    pub fn replication_password(mut self, password: impl Into<String>) -> Self {
        self.repl_password = password.into();
        self
    }

    /// Changes the settings of one member (unknown names are reported by `Cluster::start`).
    pub fn member(mut self, name: &str, change: impl FnOnce(&mut MemberSpec)) -> Self {
        match self.members.iter_mut().find(|m| m.name == name) {
            Some(spec) => change(spec),
            None => self.unknown.push(name.to_string()),
        }
        self
    }

    /// Changes the settings of every member.
    pub fn all_members(mut self, change: impl Fn(&mut MemberSpec)) -> Self {
        self.members.iter_mut().for_each(change);
        self
    }

    /// Names of the configured members, in order.
    pub fn names(&self) -> Vec<String> {
        self.members.iter().map(|m| m.name.clone()).collect()
    }
}

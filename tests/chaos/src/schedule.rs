//! A schedule: the cluster a seed describes (members, versions, GR settings, the policy, which
//! AWS side), and the steps it goes through: faults, client writes, time passing. Everything is
//! drawn from the seed ([`generate`]); shrinking keeps a subset of the faults ([`Schedule::keep`])
//! and the rest of the schedule as it was.

use std::fmt;
use std::time::Duration;

use gr_sim::{ExitStateAction, Version};
use grkeeper::snapshot::{BootstrapPolicy, Mode, Policy};

use crate::rng::Rng;
use crate::stage::QUERY_TIMEOUT_MS;

/// Which AWS side the keeper talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aws {
    /// The in-memory ports (the journal passes the contract the DynamoDB one passes), wrapped in
    /// fault injectors.
    Memory,
    /// The real adapters against moto through the e2e bridge, which injects the faults.
    Moto,
}

/// One simulated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberShape {
    /// RDS instance id (and simulator member name).
    pub name: String,
    /// Server version at start.
    pub version: Version,
    /// `group_replication_exit_state_action`.
    pub exit_action: ExitStateAction,
    /// `group_replication_autorejoin_tries`.
    pub autorejoin_tries: u32,
    /// `group_replication_unreachable_majority_timeout` (seconds, 0: wait for ever).
    pub majority_timeout: u32,
    /// In the cluster's inventory (tagged). False: a stranger, configured with the group's name
    /// and seeds but outside grkeeper's inventory, OFFLINE until a person starts it.
    pub inventory: bool,
}

/// The cluster a schedule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The cluster's name (unique per seed, so schedules can share one moto).
    pub cluster: String,
    /// Every simulated instance, inventory members first.
    pub members: Vec<MemberShape>,
    /// GR starts by itself after a restart (RDS's behaviour is unconfirmed: both are run).
    pub start_on_boot: bool,
}

impl Shape {
    /// The inventory's instance ids.
    pub fn inventory(&self) -> Vec<String> {
        self.members
            .iter()
            .filter(|m| m.inventory)
            .map(|m| m.name.clone())
            .collect()
    }

    /// The stranger's id, if the schedule has one.
    pub fn stranger(&self) -> Option<&str> {
        self.members
            .iter()
            .find(|m| !m.inventory)
            .map(|m| m.name.as_str())
    }
}

/// Which port a call failure hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// DescribeDBInstances, tags, RebootDBInstance.
    Rds,
    /// The lease and journal (DynamoDB).
    Journal,
    /// Alerts (SNS).
    Notifier,
    /// Topology events (EventBridge).
    Bus,
    /// Member probes and procedure calls (MySQL).
    Members,
}

impl Port {
    /// The SigV4 service name the bridge matches (`mysql` for the members, which it never sees).
    pub fn service(self) -> &'static str {
        match self {
            Port::Rds => "rds",
            Port::Journal => "dynamodb",
            Port::Notifier => "sns",
            Port::Bus => "events",
            Port::Members => "mysql",
        }
    }
}

/// How an AWS call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AwsFailure {
    /// Throttled: nothing done.
    Throttle,
    /// A server error: nothing done.
    ServerError,
    /// The call went through, but its reply was lost: done, and the caller sees an error.
    LostReply,
}

/// The first `times` calls of a tick to `port` (of operation `op`, or any) fail as `failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallFailure {
    /// The port.
    pub port: Port,
    /// The operation (the port method's name), or any.
    pub op: Option<&'static str>,
    /// How they fail.
    pub failure: AwsFailure,
    /// How many.
    pub times: u32,
}

/// Where a tick is cut off (the function timing out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutPoint {
    /// At the tick's `n`-th port call, before it is made.
    BeforeCall(u32),
    /// At the tick's `n`-th port call, once it is made (its reply never read).
    AfterCall(u32),
    /// Once the intent of an action is journaled, before the action.
    AfterIntent,
    /// Once the action's call or reboot request is made, before its outcome is journaled.
    AfterAction,
    /// Once the outcome is journaled, before the lease is renewed.
    AfterOutcome,
}

/// How an RDS event reaches grkeeper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Once, at once.
    Once,
    /// Twice, one after the other.
    Twice,
    /// Twice at the same moment: two ticks run concurrently.
    Concurrent,
    /// Once, this many seconds late.
    Late(u64),
    /// Never.
    Lost,
}

/// One fault or operator act: the steps shrinking may drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// mysqld dies (RDS restarts it: at the latest when faults stop).
    Crash(String),
    /// mysqld starts again.
    Restart(String),
    /// RDS reboots the instance, down for this many seconds.
    RdsReboot(String, u64),
    /// StopDBInstance.
    RdsStop(String),
    /// StartDBInstance.
    RdsStart(String),
    /// The network splits: these members on one side, the others on the other.
    Partition(Vec<String>),
    /// The network heals.
    Heal,
    /// The member accepts connections and never answers (`true`), or answers again.
    Blackhole(String, bool),
    /// Every reply of the member comes this many milliseconds late.
    Slow(String, u64),
    /// The applier fails: ERROR, then the exit action (offline mode by default).
    ApplierError(String),
    /// A person stops Group Replication (`rds_group_replication_stop`).
    PersonStopsGr(String),
    /// A person starts it again (`rds_group_replication_start(0)`).
    PersonStartsGr(String),
    /// A transaction committed on the member alone, outside the group.
    Errant(String),
    /// The member purges every binary log it has.
    PurgeBinlogs(String),
    /// A minor version upgrade of the member.
    Upgrade(String, Version),
    /// Every mysqld dies at once.
    CompleteOutage,
    /// A person starts GR on the stranger: a member outside the inventory joins.
    StrangerJoins,
    /// RDS restores a snapshot of the second member into the first: same `server_uuid`.
    Restore(String, String),
    /// grkeeper's clock is this many seconds off from now on (between ticks).
    ClockSkew(i64),
    /// The next tick is cut off here.
    Cut(CutPoint),
    /// The next tick's calls fail.
    Calls(CallFailure),
    /// RDS sends this event about the member (an explicit extra event), delivered so.
    Event(String, &'static str, Delivery),
    /// Two scheduled ticks at once.
    ConcurrentTicks,
    /// A person pauses grkeeper on the cluster (`None`) or a member, for this many seconds.
    Pause(Option<String>, u64),
    /// A person ends the pauses.
    Resume,
    /// A person approves a bootstrap (for the approval policy).
    ApproveBootstrap,
}

impl Fault {
    /// The kind, as the reliability report counts faults.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Crash(_) => "crash",
            Fault::Restart(_) => "restart",
            Fault::RdsReboot(_, secs) if *secs > FAST_REBOOT => "rds reboot (slow)",
            Fault::RdsReboot(..) => "rds reboot (fast)",
            Fault::RdsStop(_) => "rds stop",
            Fault::RdsStart(_) => "rds start",
            Fault::Partition(_) => "partition",
            Fault::Heal => "heal",
            Fault::Blackhole(_, true) => "blackhole",
            Fault::Blackhole(_, false) => "blackhole ends",
            Fault::Slow(_, ms) if *ms > 0 => "slow member",
            Fault::Slow(..) => "slow member ends",
            Fault::ApplierError(_) => "applier error (ERROR, exit action)",
            Fault::PersonStopsGr(_) => "GR stopped by a person",
            Fault::PersonStartsGr(_) => "GR started by a person",
            Fault::Errant(_) => "errant transaction",
            Fault::PurgeBinlogs(_) => "binlog purge",
            Fault::Upgrade(..) => "version upgrade (skew)",
            Fault::CompleteOutage => "complete outage",
            Fault::StrangerJoins => "member outside the inventory joins",
            Fault::Restore(..) => "restored copy (same server_uuid)",
            Fault::ClockSkew(_) => "clock skew",
            Fault::Cut(_) => "tick cut off",
            Fault::Calls(calls) => match calls.failure {
                AwsFailure::LostReply => "reply lost after a call",
                AwsFailure::Throttle => "aws throttling",
                AwsFailure::ServerError => "aws or connection error",
            },
            Fault::Event(_, _, Delivery::Once) => "extra event",
            Fault::Event(_, _, Delivery::Twice) => "duplicated event",
            Fault::Event(_, _, Delivery::Concurrent) => "concurrent events",
            Fault::Event(_, _, Delivery::Late(_)) => "late event",
            Fault::Event(_, _, Delivery::Lost) => "lost event",
            Fault::ConcurrentTicks => "concurrent ticks",
            Fault::Pause(..) => "pause",
            Fault::Resume => "resume",
            Fault::ApproveBootstrap => "bootstrap approval",
        }
    }
}

/// Reboots up to this long (seconds) are fast ones.
const FAST_REBOOT: u64 = 60;

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Crash(m) => write!(f, "crash {m}"),
            Fault::Restart(m) => write!(f, "restart {m}"),
            Fault::RdsReboot(m, secs) => write!(f, "RDS reboots {m} ({secs} s down)"),
            Fault::RdsStop(m) => write!(f, "RDS stops {m}"),
            Fault::RdsStart(m) => write!(f, "RDS starts {m}"),
            Fault::Partition(side) => write!(f, "partition [{}] | the rest", side.join(", ")),
            Fault::Heal => write!(f, "heal the network"),
            Fault::Blackhole(m, on) => {
                write!(f, "blackhole {m} {}", if *on { "on" } else { "off" })
            }
            Fault::Slow(m, ms) => write!(f, "{m} answers {ms} ms late"),
            Fault::ApplierError(m) => write!(f, "applier error on {m}"),
            Fault::PersonStopsGr(m) => write!(f, "a person stops GR on {m}"),
            Fault::PersonStartsGr(m) => write!(f, "a person starts GR on {m}"),
            Fault::Errant(m) => write!(f, "errant transaction on {m}"),
            Fault::PurgeBinlogs(m) => write!(f, "{m} purges its binlogs"),
            Fault::Upgrade(m, v) => write!(f, "{m} upgraded to {v}"),
            Fault::CompleteOutage => write!(f, "complete outage"),
            Fault::StrangerJoins => write!(f, "a person starts GR on the stranger"),
            Fault::Restore(m, from) => write!(f, "a snapshot of {from} restored into {m}"),
            Fault::ClockSkew(secs) => write!(f, "grkeeper's clock {secs:+} s off"),
            Fault::Cut(point) => write!(f, "next tick cut off {point:?}"),
            Fault::Calls(CallFailure {
                port,
                op,
                failure,
                times,
            }) => write!(
                f,
                "next tick: {times} {} call(s){} {failure:?}",
                port.service(),
                op.map(|o| format!(" to {o}")).unwrap_or_default()
            ),
            Fault::Event(m, id, delivery) => write!(f, "event {id} about {m}, {delivery:?}"),
            Fault::ConcurrentTicks => write!(f, "two ticks at once"),
            Fault::Pause(None, secs) => write!(f, "pause the cluster for {secs} s"),
            Fault::Pause(Some(m), secs) => write!(f, "pause {m} for {secs} s"),
            Fault::Resume => write!(f, "resume"),
            Fault::ApproveBootstrap => write!(f, "approve a bootstrap"),
        }
    }
}

/// One step of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Fault number `.0` (its index in the generated list, which `--keep` names).
    Fault(usize, Fault),
    /// Simulated time passes; the schedule ticks every minute meanwhile.
    Wait(Duration),
    /// A client commits this many transactions on a writable member.
    Commit(u64),
}

/// A whole schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The seed it was drawn from.
    pub seed: u64,
    /// The cluster.
    pub shape: Shape,
    /// The policy grkeeper keeps it by.
    pub policy: Policy,
    /// The AWS side.
    pub aws: Aws,
    /// A person starts RDS-stopped instances again once the faults stop.
    pub person_starts_stopped: bool,
    /// The fault phase.
    pub steps: Vec<Step>,
}

impl Schedule {
    /// The faults, numbered.
    pub fn faults(&self) -> impl Iterator<Item = (usize, &Fault)> {
        self.steps.iter().filter_map(|step| match step {
            Step::Fault(n, fault) => Some((*n, fault)),
            _ => None,
        })
    }

    /// The same schedule with only the faults numbered in `keep`.
    pub fn keep(mut self, keep: &[usize]) -> Schedule {
        self.steps
            .retain(|step| !matches!(step, Step::Fault(n, _) if !keep.contains(n)));
        self
    }

    /// Whether grkeeper alone must bring every member back ONLINE once `faults` (those that took
    /// effect) stop: none left something only a person can fix (an errant transaction, purged
    /// binlogs, a stranger, a restored copy, a newer version, an instance left stopped, a
    /// person's stop of GR the policy respects and that no start of theirs undid), the policy
    /// lets it act, and no member is older than another (one that leaves a group of newer
    /// members can never join it again). A cluster left without a majority also needs the
    /// bootstrap to be allowed ([`Schedule::bootstrap_allowed`]) and members that stay up to be
    /// read ([`Schedule::members_stay_up_without_a_group`]).
    pub fn repairable<'f>(&self, faults: impl IntoIterator<Item = &'f Fault>) -> bool {
        if self.policy.mode == Mode::Observe {
            return false;
        }
        let mixed_versions = self
            .shape
            .members
            .windows(2)
            .any(|w| w[0].version != w[1].version);
        if mixed_versions {
            return false;
        }
        let mut stopped_by_person = Vec::new();
        for fault in faults {
            match fault {
                Fault::Errant(_)
                | Fault::PurgeBinlogs(_)
                | Fault::Upgrade(..)
                | Fault::StrangerJoins
                | Fault::Restore(..) => return false,
                Fault::RdsStop(_) if !self.person_starts_stopped => return false,
                Fault::PersonStopsGr(m) => stopped_by_person.push(m.clone()),
                Fault::PersonStartsGr(m) => stopped_by_person.retain(|s| s != m),
                _ => {}
            }
        }
        stopped_by_person.is_empty() || self.policy.rejoin_after_operator_stop
    }

    /// Whether a member whose start at boot finds no group stays up (OFFLINE, readable): not with
    /// `ABORT_SERVER`, which shuts it down then, and again each time RDS restarts it. Without a
    /// group, grkeeper then never reads every member, cannot tell which holds every transaction,
    /// and must not bootstrap: a person sets another exit action and restarts them.
    pub fn members_stay_up_without_a_group(&self) -> bool {
        self.shape
            .members
            .iter()
            .all(|m| m.exit_action != ExitStateAction::AbortServer)
    }

    /// Whether the policy lets grkeeper bootstrap on its own: `auto`, or `approval` with an
    /// approval recorded.
    pub fn bootstrap_allowed(&self) -> bool {
        match self.policy.bootstrap {
            BootstrapPolicy::Auto => true,
            BootstrapPolicy::Approval => self
                .faults()
                .any(|(_, f)| matches!(f, Fault::ApproveBootstrap)),
            BootstrapPolicy::Off => false,
        }
    }
}

/// Members of each size, and how often (3 most, 9 least: a 9-member schedule costs three
/// times a 3-member one).
const SIZES: [(usize, u64); 3] = [(3, 55), (5, 35), (9, 10)];

/// One in this many schedules runs against moto through the bridge.
pub const MOTO_ONE_IN: u64 = 50;

/// Draws the schedule of `seed`.
pub fn generate(seed: u64) -> Schedule {
    let mut rng = Rng::new(seed);
    let shape = shape(seed, &mut rng);
    let policy = policy(&mut rng, shape.inventory().len());
    let aws = if rng.below(MOTO_ONE_IN) == 0 {
        Aws::Moto
    } else {
        Aws::Memory
    };
    let person_starts_stopped = rng.chance(80);
    let steps = steps(&mut rng, &shape, &policy);
    Schedule {
        seed,
        shape,
        policy,
        aws,
        person_starts_stopped,
        steps,
    }
}

fn weighted<T: Copy>(rng: &mut Rng, choices: &[(T, u64)]) -> T {
    let total: u64 = choices.iter().map(|(_, w)| w).sum();
    let mut draw = rng.below(total);
    for &(choice, weight) in choices {
        if draw < weight {
            return choice;
        }
        draw -= weight;
    }
    choices[0].0
}

fn version(major: u16, minor: u16, patch: u16) -> Version {
    Version {
        major,
        minor,
        patch,
    }
}

fn shape(seed: u64, rng: &mut Rng) -> Shape {
    let size = weighted(rng, &SIZES);
    let cluster = format!("c{seed}");
    // 8.0 only, 8.4 only, or a mix (lowest first: the first member bootstraps at start, and a
    // member older than the group cannot join it).
    let mut versions: Vec<Version> = match weighted(rng, &[(0, 70), (1, 15), (2, 15)]) {
        0 => vec![version(8, 0, 36); size],
        1 => vec![version(8, 4, 3); size],
        _ => (0..size)
            .map(|_| {
                *rng.pick(&[version(8, 0, 36), version(8, 0, 39), version(8, 4, 3)])
                    .unwrap_or(&version(8, 0, 36))
            })
            .collect(),
    };
    versions.sort();
    let exit_action = weighted(
        rng,
        &[
            (ExitStateAction::OfflineMode, 80),
            (ExitStateAction::ReadOnly, 15),
            (ExitStateAction::AbortServer, 5),
        ],
    );
    let autorejoin_tries = if rng.chance(25) { 0 } else { 3 };
    let majority_timeout = if rng.chance(30) { 60 } else { 0 };
    let mut members: Vec<MemberShape> = versions
        .into_iter()
        .enumerate()
        .map(|(i, version)| MemberShape {
            name: format!("{cluster}-{}", i + 1),
            version,
            exit_action,
            autorejoin_tries,
            majority_timeout,
            inventory: true,
        })
        .collect();
    if size < 9 && rng.chance(15) {
        let lowest = members[0].version;
        members.push(MemberShape {
            name: format!("{cluster}-x"),
            version: lowest,
            exit_action,
            autorejoin_tries,
            majority_timeout,
            inventory: false,
        });
    }
    Shape {
        cluster,
        members,
        start_on_boot: rng.chance(75),
    }
}

fn policy(rng: &mut Rng, size: usize) -> Policy {
    let bootstrap = weighted(
        rng,
        &[
            (BootstrapPolicy::Auto, 80),
            (BootstrapPolicy::Approval, 15),
            (BootstrapPolicy::Off, 5),
        ],
    );
    let expel = rng.chance(40);
    let rejoin_after_operator_stop = rng.chance(20);
    let fault_tolerance_floor = u32::from(size >= 5 && rng.chance(30));
    let mode = if rng.chance(3) {
        Mode::Observe
    } else {
        Mode::Act
    };
    Policy {
        mode,
        bootstrap,
        expel,
        rejoin_after_operator_stop,
        fault_tolerance_floor,
        ..Policy::default()
    }
}

/// The fault phase: a first tick on the healthy cluster, then faults with writes and time
/// between them.
fn steps(rng: &mut Rng, shape: &Shape, policy: &Policy) -> Vec<Step> {
    let count = weighted(
        rng,
        &[
            (1, 10),
            (2, 20),
            (3, 20),
            (4, 15),
            (6, 15),
            (8, 12),
            (12, 8),
        ],
    );
    let mut steps = vec![Step::Wait(Duration::from_secs(60)), Step::Commit(10)];
    let mut numbered = 0;
    for _ in 0..count {
        for fault in faults(rng, shape, policy) {
            steps.push(Step::Fault(numbered, fault));
            numbered += 1;
        }
        if rng.chance(60) {
            steps.push(Step::Commit(rng.between(1, 20)));
        }
        steps.push(Step::Wait(Duration::from_secs(
            *rng.pick(&[0, 5, 20, 45, 90, 180, 400]).unwrap_or(&60),
        )));
    }
    steps.push(Step::Wait(Duration::from_secs(120)));
    steps
}

/// One fault, with what usually follows it (a restart after a crash, the heal after a
/// partition...), each its own numbered fault so shrinking can drop it.
fn faults(rng: &mut Rng, shape: &Shape, policy: &Policy) -> Vec<Fault> {
    let inventory = shape.inventory();
    let member = |rng: &mut Rng| rng.pick(&inventory).cloned().unwrap_or_default();
    let later = |rng: &mut Rng, fault: Fault, percent: u64| -> Vec<Fault> {
        if rng.chance(percent) {
            vec![fault]
        } else {
            Vec::new()
        }
    };
    let kinds: &[(u32, u64)] = &[
        (0, 14), // crash
        (1, 8),  // RDS reboot
        (2, 4),  // RDS stop
        (3, 10), // partition
        (4, 4),  // blackhole
        (5, 4),  // slow
        (6, 9),  // applier error
        (7, 4),  // person stops GR
        (8, 2),  // errant
        (9, 2),  // purge
        (10, 2), // upgrade
        (11, 5), // complete outage
        (12, 3), // stranger, or a restored copy
        (13, 4), // clock skew
        (14, 7), // cut
        (15, 9), // AWS
        (16, 5), // events
        (17, 2), // concurrent ticks
        (18, 2), // pause
    ];
    match weighted(rng, kinds) {
        0 => {
            let m = member(rng);
            let mut out = vec![Fault::Crash(m.clone())];
            out.extend(later(rng, Fault::Restart(m), 70));
            out
        }
        1 => {
            let secs = if rng.chance(70) { 30 } else { 600 };
            vec![Fault::RdsReboot(member(rng), secs)]
        }
        2 => {
            let m = member(rng);
            let mut out = vec![Fault::RdsStop(m.clone())];
            out.extend(later(rng, Fault::RdsStart(m), 60));
            out
        }
        3 => {
            let side_len = rng.between(1, u64::try_from(inventory.len() - 1).unwrap_or(1));
            let side = rng
                .subset(inventory.len(), usize::try_from(side_len).unwrap_or(1))
                .into_iter()
                .map(|i| inventory[i].clone())
                .collect();
            let mut out = vec![Fault::Partition(side)];
            out.extend(later(rng, Fault::Heal, 70));
            out
        }
        4 => {
            let m = member(rng);
            let mut out = vec![Fault::Blackhole(m.clone(), true)];
            out.extend(later(rng, Fault::Blackhole(m, false), 60));
            out
        }
        5 => {
            let m = member(rng);
            // A little late, or later than grkeeper's query timeout.
            let ms = if rng.chance(50) {
                40
            } else {
                QUERY_TIMEOUT_MS + 100
            };
            let mut out = vec![Fault::Slow(m.clone(), ms)];
            out.extend(later(rng, Fault::Slow(m, 0), 60));
            out
        }
        6 => vec![Fault::ApplierError(member(rng))],
        7 => {
            let m = member(rng);
            let mut out = vec![Fault::PersonStopsGr(m.clone())];
            out.extend(later(rng, Fault::PersonStartsGr(m), 60));
            out
        }
        8 => vec![Fault::Errant(member(rng))],
        9 => vec![Fault::PurgeBinlogs(member(rng))],
        10 => {
            let m = member(rng);
            let current = shape
                .members
                .iter()
                .find(|s| s.name == m)
                .map_or(version(8, 0, 36), |s| s.version);
            let newer = Version {
                patch: current.patch + 1,
                ..current
            };
            vec![Fault::Upgrade(m, newer)]
        }
        11 => vec![Fault::CompleteOutage],
        12 => {
            let from = member(rng);
            match shape.stranger() {
                Some(_) if rng.chance(50) => vec![Fault::StrangerJoins],
                Some(stranger) => vec![Fault::Restore(stranger.to_owned(), from)],
                None => {
                    let onto = member(rng);
                    if onto == from {
                        vec![Fault::ApplierError(onto)]
                    } else {
                        vec![Fault::Restore(onto, from)]
                    }
                }
            }
        }
        13 => {
            let secs = i64::try_from(rng.between(1, 900)).unwrap_or(60);
            vec![Fault::ClockSkew(if rng.chance(50) { secs } else { -secs })]
        }
        14 => {
            let point = match rng.below(5) {
                0 => CutPoint::BeforeCall(u32::try_from(rng.between(1, 40)).unwrap_or(1)),
                1 => CutPoint::AfterCall(u32::try_from(rng.between(1, 40)).unwrap_or(1)),
                2 => CutPoint::AfterIntent,
                3 => CutPoint::AfterAction,
                _ => CutPoint::AfterOutcome,
            };
            // A cut matters when the tick acts: make the next tick have something to do.
            vec![Fault::ApplierError(member(rng)), Fault::Cut(point)]
        }
        15 => {
            let port = weighted(
                rng,
                &[
                    (Port::Journal, 40),
                    (Port::Rds, 25),
                    (Port::Notifier, 12),
                    (Port::Bus, 8),
                    (Port::Members, 15),
                ],
            );
            let op = match port {
                Port::Journal => *rng
                    .pick(&[
                        None,
                        Some("record_intent"),
                        Some("record_outcome"),
                        Some("acquire_lease"),
                    ])
                    .unwrap_or(&None),
                Port::Rds => *rng
                    .pick(&[None, Some("describe"), Some("reboot")])
                    .unwrap_or(&None),
                Port::Members => Some("call"),
                _ => None,
            };
            let failure = weighted(
                rng,
                &[
                    (AwsFailure::Throttle, 40),
                    (AwsFailure::ServerError, 25),
                    (AwsFailure::LostReply, 35),
                ],
            );
            let times = u32::try_from(rng.between(1, 3)).unwrap_or(1);
            let mut out = Vec::new();
            if rng.chance(60) {
                out.push(Fault::ApplierError(member(rng)));
            }
            out.push(Fault::Calls(CallFailure {
                port,
                op,
                failure,
                times,
            }));
            out
        }
        16 => {
            let m = member(rng);
            let id = *rng
                .pick(&[
                    "RDS-EVENT-0006",
                    "RDS-EVENT-0004",
                    "RDS-EVENT-0087",
                    "RDS-EVENT-0088",
                ])
                .unwrap_or(&"RDS-EVENT-0006");
            let delivery = match rng.below(4) {
                0 => Delivery::Twice,
                1 => Delivery::Concurrent,
                2 => Delivery::Late(rng.between(30, 900)),
                _ => Delivery::Once,
            };
            vec![Fault::Event(m, id, delivery)]
        }
        17 => vec![Fault::ApplierError(member(rng)), Fault::ConcurrentTicks],
        _ => {
            let target = if rng.chance(50) {
                None
            } else {
                Some(member(rng))
            };
            let mut out = vec![Fault::Pause(target, rng.between(120, 1800))];
            out.extend(later(rng, Fault::Resume, 30));
            if policy.bootstrap == BootstrapPolicy::Approval && rng.chance(50) {
                out.push(Fault::ApproveBootstrap);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_draws_the_same_schedule() {
        for seed in 0..50 {
            assert_eq!(generate(seed), generate(seed));
        }
        assert_ne!(generate(1), generate(2));
    }

    #[test]
    fn keeping_faults_keeps_them_and_the_rest_of_the_schedule() {
        let schedule = (0..100)
            .map(generate)
            .find(|s| s.faults().count() >= 3)
            .expect("a schedule with three faults");
        let numbers: Vec<usize> = schedule.faults().map(|(n, _)| n).collect();
        let kept = schedule.clone().keep(&numbers[1..2]);
        assert_eq!(
            kept.faults().map(|(n, _)| n).collect::<Vec<_>>(),
            [numbers[1]]
        );
        let others = |s: &Schedule| {
            s.steps
                .iter()
                .filter(|step| !matches!(step, Step::Fault(..)))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(others(&kept), others(&schedule));
    }

    #[test]
    fn the_seeds_cover_every_size_both_aws_sides_and_a_stranger() {
        let schedules: Vec<Schedule> = (0..400).map(generate).collect();
        for size in [3, 5, 9] {
            assert!(
                schedules.iter().any(|s| s.shape.inventory().len() == size),
                "{size}"
            );
        }
        assert!(schedules.iter().any(|s| s.aws == Aws::Moto));
        assert!(schedules.iter().any(|s| s.shape.stranger().is_some()));
        let repairable = |s: &Schedule| s.repairable(s.faults().map(|(_, f)| f));
        assert!(schedules.iter().any(|s| !repairable(s)));
        assert!(schedules.iter().filter(|s| repairable(s)).count() > 200);
    }

    #[test]
    fn an_errant_transaction_is_for_a_person_to_fix_and_a_crash_is_not() {
        let mut schedule = generate(1);
        schedule.policy = Policy::default();
        for member in &mut schedule.shape.members {
            member.version = version(8, 0, 36);
        }
        let crash = Fault::Crash("c1-1".into());
        assert!(schedule.repairable([&crash]));
        assert!(!schedule.repairable([&crash, &Fault::Errant("c1-1".into())]));
    }

    #[test]
    fn a_person_s_stop_is_undone_only_by_a_start_that_took_effect() {
        let mut schedule = generate(1);
        schedule.policy = Policy::default();
        for member in &mut schedule.shape.members {
            member.version = version(8, 0, 36);
        }
        let (stop, start) = (
            Fault::PersonStopsGr("c1-1".into()),
            Fault::PersonStartsGr("c1-1".into()),
        );
        assert!(!schedule.repairable([&stop]));
        assert!(schedule.repairable([&stop, &start]));
        // The start failed (no group to join): only the stop took effect.
        assert!(!schedule.repairable([&stop]));
        assert!(schedule.members_stay_up_without_a_group());
        schedule.shape.members[0].exit_action = ExitStateAction::AbortServer;
        assert!(!schedule.members_stay_up_without_a_group());
    }
}

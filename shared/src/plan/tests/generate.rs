//! Random snapshots for the properties. `scenario` is a consistent cluster from the fixture model
//! with faults, partitions, random views noise and random history, then `extras` on top (journal
//! memory, strangers, restored copies, who stopped GR, auto-rejoin logs). The others aim at one
//! unsafe class each, so that it comes up in most cases instead of by luck: `outage` (unread
//! members, approvals, remembered strangers, journaled bootstraps with clock skew, versions,
//! stale views), `second_group` (a group bootstrapped apart), `counted_exited` (members that
//! left but some view still counts) and `local_gtids` (a new 9.7 member whose initialization
//! GTIDs and the group's keep it out, with approvals of the sync or not), `rolls` (rolling
//! maintenance with members mid-roll).

use proptest::prelude::*;

use crate::fixtures::{ClusterBuilder, GROUP, at, pending_maintenance, server_uuid};
use crate::gtid::GtidSet;
use crate::model::PendingMaintenance;
use crate::model::{
    GrCall, LastGrCall, MemberState, OFFLINE_MODE_ERRORS, Observed, ProbeError, ViewMember,
};
use crate::plan::{
    ActionKind, Approval, BootstrapPolicy, Condition, History, LastSeen, MaintenancePolicy,
    MaintenanceStep, Mode, Outcome, PastAction, Pause, Policy, SplitBrain, Stranger, conditions,
};
use crate::snapshot::Snapshot;

/// "Now" in every generated snapshot.
pub(super) const NOW: &str = "2026-11-30T12:00:00Z";

fn now() -> chrono::DateTime<chrono::Utc> {
    at(NOW)
}

fn ago(secs: i64) -> chrono::DateTime<chrono::Utc> {
    now() - chrono::Duration::seconds(secs)
}

#[derive(Debug, Clone)]
enum Fault {
    Stopped,
    Error,
    OfflineMode(u16),
    Crashed,
    Timeout,
    Recovering,
    RdsStatus(&'static str),
    Errant,
    Behind(u64),
    Purged(u64),
    Lagging,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::Stopped),
        2 => Just(Fault::Error),
        2 => prop::sample::select(OFFLINE_MODE_ERRORS.to_vec()).prop_map(Fault::OfflineMode),
        2 => Just(Fault::Crashed),
        1 => Just(Fault::Timeout),
        2 => Just(Fault::Recovering),
        1 => prop::sample::select(vec!["rebooting", "stopped", "modifying", "failed"])
            .prop_map(Fault::RdsStatus),
        1 => Just(Fault::Errant),
        2 => (1u64..100).prop_map(Fault::Behind),
        1 => (1u64..100).prop_map(Fault::Purged),
        1 => Just(Fault::Lagging),
    ]
}

fn apply(b: ClusterBuilder, m: &str, i: usize, fault: Fault) -> ClusterBuilder {
    match fault {
        Fault::Stopped => b.gr_stopped(m),
        Fault::Error => b.error_state(m),
        Fault::OfflineMode(code) => b.offline_mode_with(m, code),
        Fault::Crashed => b.crashed(m),
        Fault::Timeout => b.unreadable(
            m,
            ProbeError::Timeout {
                during: "connect".into(),
            },
            false,
        ),
        Fault::Recovering => b.recovering(m),
        Fault::RdsStatus(s) => b.rds_status(m, s),
        Fault::Errant => b.executed(m, &format!("{GROUP}:1-100,{}:1-3", server_uuid(i))),
        Fault::Behind(k) => b.executed(m, &format!("{GROUP}:1-{k}")),
        Fault::Purged(k) => b.purged(m, &format!("{GROUP}:1-{k}")),
        Fault::Lagging => b.applier_queue(m, 1_000_000).condition_since(
            m,
            conditions::LAGGING,
            "2026-11-29T00:00:00Z",
        ),
    }
}

#[derive(Debug, Clone)]
struct Noise {
    viewer: usize,
    member: usize,
    state: Option<MemberState>,
}

fn state() -> impl Strategy<Value = MemberState> {
    prop::sample::select(vec![
        MemberState::Online,
        MemberState::Recovering,
        MemberState::Offline,
        MemberState::Error,
        MemberState::Unreachable,
    ])
}

fn noise() -> impl Strategy<Value = Noise> {
    (0usize..9, 0usize..10, prop::option::of(state())).prop_map(|(viewer, member, state)| Noise {
        viewer,
        member,
        state,
    })
}

/// Replaces (or, with `None`, removes) the `member`-th member's row (1-based) in the view of the
/// `viewer`-th instance (0-based); `member` beyond the cluster's size is a member outside the
/// inventory.
pub(super) fn set_row(
    snapshot: &mut Snapshot,
    viewer: usize,
    member: usize,
    state: Option<MemberState>,
) {
    if let Observed::Seen(report) = &mut snapshot.instances[viewer].mysql {
        let uuid = server_uuid(member);
        report.view.retain(|row| row.member_id != uuid);
        if let Some(state) = state {
            report.view.push(ViewMember {
                member_id: uuid,
                host: "ip-10-0-9-9".into(),
                port: 3306,
                state,
                role: String::new(),
                version: "8.0.36".into(),
            });
        }
    }
}

/// A cluster of 1-9 members with faults, maybe a partition or a split, noise in the views,
/// random policy, history and extras, and sometimes a mix of versions.
pub(super) fn scenario() -> impl Strategy<Value = Snapshot> {
    (
        (
            1usize..=9,
            prop::collection::vec((0usize..9, fault()), 0..8),
            prop::option::of(prop::collection::btree_set(0usize..9, 1..4)),
            any::<bool>(),
            prop::collection::vec(noise(), 0..4),
            any::<bool>(),
        ),
        policy_strategy(),
        history_strategy(),
        extras(),
        prop::option::weighted(0.3, versions()),
    )
        .prop_map(
            |((n, faults, side, split, noise, outage), policy, history, extras, versions)| {
                let id = |i: usize| format!("orders-{}", i % n + 1);
                let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
                for (i, version) in versions.iter().flatten().take(n).enumerate() {
                    b = b.version(&id(i), version);
                }
                if outage {
                    b = b.complete_outage();
                }
                for (i, fault) in faults {
                    b = apply(b, &id(i), i % n + 1, fault);
                }
                if let Some(side) = side {
                    let members: Vec<String> = side.iter().map(|&i| id(i)).collect();
                    let members: Vec<&str> = members.iter().map(String::as_str).collect();
                    b = if split {
                        b.split_brain(&members)
                    } else {
                        b.partition(&members)
                    };
                }
                // The faults' own conditions (a lagging member's) over the random history's.
                let mut snapshot = b
                    .history(|h| {
                        let faults = std::mem::replace(h, history);
                        h.conditions.extend(faults.conditions);
                    })
                    .build();
                for noise in noise {
                    set_row(
                        &mut snapshot,
                        noise.viewer % n,
                        noise.member % (n + 1) + 1,
                        noise.state,
                    );
                }
                extras.apply(&mut snapshot);
                snapshot
            },
        )
}

fn policy_strategy() -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec![
            BootstrapPolicy::Auto,
            BootstrapPolicy::Approval,
            BootstrapPolicy::Off,
        ]),
        0u32..3,
        0u32..4,
        any::<bool>(),
        0u32..3,
        prop::sample::select(vec![0u64, 60, 600]),
        // Rejoin and reboot switched off now and then.
        prop::sample::select(vec![true, true, true, false]),
        prop::sample::select(vec![true, true, true, false]),
    )
        .prop_map(
            |(observe, expel, bootstrap, floor, budget, huge, reboots, skew, rejoin, reboot)| {
                Policy {
                    mode: if observe { Mode::Observe } else { Mode::Act },
                    rejoin,
                    reboot,
                    expel,
                    bootstrap,
                    fault_tolerance_floor: floor,
                    cluster_budget: budget,
                    reboot_budget: reboots,
                    member_cooldown_secs: if huge { u64::MAX } else { 600 },
                    recovering_deadline_secs: if huge { u64::MAX } else { 60 },
                    clock_skew_secs: skew,
                    ..Policy::default()
                }
            },
        )
}

/// A policy that lets grkeeper act in most cases, so the focused generators reach the guards
/// that matter to their class instead of stopping at observe mode or a spent budget.
fn acting_policy() -> impl Strategy<Value = Policy> {
    (
        prop::sample::select(vec![Mode::Act, Mode::Act, Mode::Act, Mode::Observe]),
        prop::sample::select(vec![
            BootstrapPolicy::Auto,
            BootstrapPolicy::Auto,
            BootstrapPolicy::Approval,
            BootstrapPolicy::Off,
        ]),
        prop::sample::select(vec![true, true, false]),
        1u32..4,
        0u32..3,
        prop::sample::select(vec![0u64, 60, 600]),
        prop::sample::select(vec![60u64, 1800]),
        // A fault tolerance floor now and then, so the floor's arithmetic decides.
        prop_oneof![3 => Just(0u32), 1 => 1u32..3],
    )
        .prop_map(
            |(mode, bootstrap, expel, budget, reboots, skew, deadline, floor)| Policy {
                mode,
                bootstrap,
                expel,
                fault_tolerance_floor: floor,
                cluster_budget: budget,
                reboot_budget: reboots,
                clock_skew_secs: skew,
                recovering_deadline_secs: deadline,
                ..Policy::default()
            },
        )
}

fn action() -> impl Strategy<Value = PastAction> {
    (
        prop::sample::select(vec![
            ActionKind::Rejoin,
            ActionKind::Reboot,
            ActionKind::Expel,
            ActionKind::Bootstrap,
            ActionKind::SyncGtids,
            ActionKind::Maintenance,
        ]),
        1usize..=9,
        // Up to two hours ago, or up to ten minutes ahead (a writer's clock ahead of this one).
        -600i64..7200,
        prop::sample::select(vec![
            Outcome::Pending,
            Outcome::Succeeded,
            Outcome::Failed,
            Outcome::NotAttempted,
        ]),
    )
        .prop_map(|(kind, i, secs, outcome)| PastAction {
            kind,
            instance: format!("orders-{i}"),
            at: ago(secs),
            outcome,
            placeholders: None,
            maintenance: None,
        })
}

fn approval() -> impl Strategy<Value = Approval> {
    (
        prop::option::of(1usize..=9),
        prop::collection::btree_set(1usize..=11, 0..5),
        // Some expire at the very second of the observation: no longer valid.
        prop_oneof![1 => Just(0i64), 9 => -600i64..3600],
    )
        .prop_map(|(instance, gives_up, expires)| Approval {
            action: ActionKind::Bootstrap,
            instance: instance.map(|i| format!("orders-{i}")),
            // Instance ids, and the uuids of members 10 and 11 (outside any inventory).
            gives_up: gives_up
                .into_iter()
                .map(|i| {
                    if i <= 9 {
                        format!("orders-{i}")
                    } else {
                        server_uuid(i)
                    }
                })
                .collect(),
            expires: ago(-expires),
            by: "alice".into(),
            gtids: None,
        })
}

fn history_strategy() -> impl Strategy<Value = History> {
    (
        prop::collection::vec(action(), 0..4),
        prop::option::of(-3600i64..3600),
        prop::option::of(1usize..=9),
        prop::collection::vec(approval(), 0..2),
        any::<bool>(),
    )
        .prop_map(|(actions, pause, recovering_since, approvals, minority)| {
            let mut history = History {
                actions,
                paused: pause.map(|s| Pause {
                    until: ago(-s),
                    reason: "maintenance".into(),
                    by: "ops".into(),
                }),
                approvals,
                ..History::default()
            };
            // Members ONLINE without quorum have been so past the partition deadline: the
            // fence toward a re-bootstrap is decided, not only waited for.
            if minority {
                for i in 1..=9 {
                    history.conditions.insert(
                        format!("orders-{i}"),
                        Condition {
                            state: conditions::MINORITY.into(),
                            since: ago(5 * 3600),
                        },
                    );
                }
            }
            if let Some(i) = recovering_since {
                history.conditions.insert(
                    format!("orders-{i}"),
                    Condition {
                        state: "RECOVERING".into(),
                        since: ago(5 * 3600),
                    },
                );
            }
            history
        })
}

/// What the journal remembers of a member: its identity and a `gtid_executed` (`group:1-k`),
/// unchanged since `since` seconds ago.
#[derive(Debug, Clone)]
struct Memory {
    member: usize,
    executed: u64,
    since: i64,
}

fn memory() -> impl Strategy<Value = Memory> {
    let executed = prop_oneof![2 => Just(100u64), 1 => 1u64..=100];
    (1usize..=9, executed, 0i64..7200).prop_map(|(member, executed, since)| Memory {
        member,
        executed,
        since,
    })
}

/// Layers over any snapshot: journal memory, remembered strangers, a remembered split brain and
/// rejoin approvals, a restored copy, who stopped or started GR last, auto-rejoin logs,
/// grkeeper's database user, a member configured for another group (or for the same one spelled
/// in capitals).
#[derive(Debug, Clone, Default)]
pub(super) struct Extras {
    memories: Vec<Memory>,
    strangers: Vec<(usize, i64)>,
    split: Option<Split>,
    twin: Option<(usize, usize)>,
    stops: Vec<(usize, bool, i64, bool)>,
    autorejoin: Vec<(usize, u64, u64, bool, i64)>,
    db_user: bool,
    renamed: Option<(usize, bool)>,
}

/// A remembered split brain: each member's side (0 or 1, anything else none), members whose
/// remembered `server_uuid` is an older incarnation's (rebuilt since), and rejoin approvals
/// (instance, or any; seconds until they expire, negative when they have).
#[derive(Debug, Clone)]
struct Split {
    sides: Vec<u8>,
    rebuilt: Vec<usize>,
    approvals: Vec<(Option<usize>, i64)>,
}

fn split() -> impl Strategy<Value = Split> {
    (
        prop::collection::vec(0u8..3, 9),
        prop::collection::vec(1usize..=9, 0..2),
        prop::collection::vec(
            (prop::option::weighted(0.8, 1usize..=9), -600i64..3600),
            0..3,
        ),
    )
        .prop_map(|(sides, rebuilt, approvals)| Split {
            sides,
            rebuilt,
            approvals,
        })
}

impl Split {
    fn apply(&self, snapshot: &mut Snapshot) {
        let n = snapshot.instances.len();
        let member = |i: usize| (i - 1) % n + 1;
        let uuid = |i: usize| {
            if self.rebuilt.iter().any(|&r| member(r) == i) {
                server_uuid(20 + i)
            } else {
                server_uuid(i)
            }
        };
        let side = |s: u8| -> Vec<String> {
            (1..=n)
                .filter(|&i| self.sides[i - 1] == s)
                .map(uuid)
                .collect()
        };
        let sides: Vec<Vec<String>> = [side(0), side(1)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        snapshot.history.split_brain = Some(SplitBrain {
            first_seen: ago(3600),
            last_seen: ago(1800),
            sides,
        });
        for &(instance, expires) in &self.approvals {
            snapshot.history.approvals.push(Approval {
                action: ActionKind::Rejoin,
                instance: instance.map(|i| format!("orders-{}", member(i))),
                gives_up: Vec::new(),
                expires: ago(-expires),
                by: "alice".into(),
                gtids: None,
            });
        }
    }
}

pub(super) fn extras() -> impl Strategy<Value = Extras> {
    (
        prop::collection::vec(memory(), 0..5),
        prop::option::weighted(0.2, split()),
        // Mostly members outside any inventory (10, 11); sometimes one that has been tagged
        // into the cluster since.
        prop::collection::vec(
            (prop_oneof![3 => 10usize..=11, 1 => 1usize..=9], 0i64..7200),
            0..2,
        ),
        prop::option::weighted(0.1, (1usize..=9, 1usize..=9)),
        // The last GR call: mostly a stop, sometimes a start (the member left the group since).
        prop::collection::vec(
            (
                1usize..=9,
                any::<bool>(),
                -600i64..7200,
                prop::bool::weighted(0.75),
            ),
            0..3,
        ),
        prop::collection::vec(
            (1usize..=9, 1u64..=4, 1u64..=4, any::<bool>(), 0i64..1200),
            0..2,
        ),
        any::<bool>(),
        prop::option::weighted(0.15, (1usize..=9, any::<bool>())),
    )
        .prop_map(
            |(memories, split, strangers, twin, stops, autorejoin, db_user, renamed)| Extras {
                memories,
                strangers,
                split,
                twin,
                stops,
                autorejoin,
                db_user,
                renamed,
            },
        )
}

impl Extras {
    pub(super) fn apply(&self, snapshot: &mut Snapshot) {
        let n = snapshot.instances.len();
        let history = &mut snapshot.history;
        for m in &self.memories {
            let member = (m.member - 1) % n + 1;
            history.last_seen.insert(
                format!("orders-{member}"),
                LastSeen {
                    at: ago(m.since / 2),
                    server_uuid: server_uuid(member),
                    gtid_executed: set(&format!("{GROUP}:1-{}", m.executed)),
                    received: GtidSet::new(),
                    gtid_purged: GtidSet::new(),
                    executed_since: ago(m.since),
                    lost: GtidSet::new(),
                    address: Default::default(),
                },
            );
        }
        for &(member, secs) in &self.strangers {
            let member = if member <= 9 {
                (member - 1) % n + 1
            } else {
                member
            };
            history.strangers.push(Stranger {
                member_id: server_uuid(member),
                host: format!("ip-10-0-9-{member}"),
                port: 3306,
                first_seen: ago(secs + 60),
                last_seen: ago(secs),
            });
        }
        if let Some(split) = &self.split {
            split.apply(snapshot);
        }
        snapshot.db_user = self.db_user.then(|| "grkeeper".to_string());
        for &(member, by_grkeeper, secs, stop) in &self.stops {
            let by = if by_grkeeper {
                "grkeeper@10.0.9.9"
            } else {
                "admin@10.0.3.7"
            };
            if let Observed::Seen(report) = &mut snapshot.instances[(member - 1) % n].mysql {
                report.last_gr_call = LastGrCall::Call(GrCall {
                    at: ago(secs).format("%Y-%m-%d %H:%M:%S").to_string(),
                    by: by.into(),
                    action: if stop {
                        "stop group replication"
                    } else {
                        "start group replication. bootstrap:0"
                    }
                    .into(),
                });
            }
        }
        for &(member, attempt, tries, finished, secs) in &self.autorejoin {
            let data = if finished {
                format!(
                    "Auto-rejoin procedure attempt {attempt} of {tries} finished. Member was not \
                     able to join the group."
                )
            } else {
                format!("Started auto-rejoin procedure attempt {attempt} of {tries}")
            };
            if let Observed::Seen(report) = &mut snapshot.instances[(member - 1) % n].mysql {
                report.errors.push(crate::model::ErrorLogEntry {
                    logged: ago(secs).format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                    prio: "System".into(),
                    error_code: "MY-011735".into(),
                    data,
                });
            }
        }
        if let Some((member, same)) = self.renamed
            && let Observed::Seen(report) = &mut snapshot.instances[(member - 1) % n].mysql
        {
            report.settings.group_name = Some(if same {
                GROUP.to_ascii_uppercase()
            } else {
                server_uuid(30)
            });
        }
        if let Some((copy, original)) = self.twin {
            let (copy, original) = ((copy - 1) % n + 1, (original - 1) % n + 1);
            if copy != original {
                make_twin(snapshot, copy, original);
            }
        }
    }
}

/// The `copy`-th member reports the `original`-th's `server_uuid` (a restored copy), and views
/// list it under that id.
fn make_twin(snapshot: &mut Snapshot, copy: usize, original: usize) {
    let (from, to) = (server_uuid(copy), server_uuid(original));
    for instance in &mut snapshot.instances {
        if let Observed::Seen(report) = &mut instance.mysql {
            if report.server_uuid == from {
                report.server_uuid.clone_from(&to);
            }
            for row in &mut report.view {
                if row.member_id == from {
                    row.member_id.clone_from(&to);
                }
            }
        }
    }
    if let Some(seen) = snapshot
        .history
        .last_seen
        .get_mut(&format!("orders-{copy}"))
    {
        seen.server_uuid = to;
    }
}

fn set(text: &str) -> GtidSet {
    text.parse().unwrap_or_default()
}

/// How one member of an outage was left.
#[derive(Debug, Clone)]
enum Left {
    /// Read, GR OFFLINE, holding `group:1-k`.
    Offline(u64),
    /// Read, GR in ERROR, holding `group:1-k`.
    Error(u64),
    /// Stopped through RDS (not read).
    Stopped,
    /// RDS `failed` or `storage-full`, refusing connections (not read).
    Down(&'static str),
    /// RDS available but the probe timed out (not read, may be live).
    Timeout,
    /// Offline mode (3032).
    OfflineMode,
}

fn left() -> impl Strategy<Value = Left> {
    prop_oneof![
        5 => (98u64..=100).prop_map(Left::Offline),
        1 => (98u64..=100).prop_map(Left::Error),
        2 => Just(Left::Stopped),
        1 => prop::sample::select(vec!["failed", "storage-full"]).prop_map(Left::Down),
        1 => Just(Left::Timeout),
        1 => Just(Left::OfflineMode),
    ]
}

fn version() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "8.0.36", "8.0.36", "8.0.37", "8.0.35", "8.4.2", "8.4.3", "9.7.0", "9.7.1",
    ])
}

/// The versions of a cluster: one series (8.0, 8.4 or 9.7) or an upgrade between two (8.0 to
/// 8.4, 8.4 to 9.7), each member at a random release of either.
fn versions() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::select(vec![
        vec!["8.0.35", "8.0.36", "8.0.37"],
        vec!["8.4.1", "8.4.2", "8.4.3"],
        vec!["9.7.0", "9.7.1", "9.7.2"],
        vec!["8.0.36", "8.0.37", "8.4.2", "8.4.3"],
        vec!["8.4.2", "8.4.3", "9.7.0", "9.7.1"],
    ])
    .prop_flat_map(|releases| prop::collection::vec(prop::sample::select(releases), 9))
}

/// A complete outage of 1-9 members left in various ways, with versions, journal memory,
/// approvals (some giving members up), remembered strangers, journaled bootstraps (some in the
/// future of this clock), maybe a stale view and a missing group name.
pub(super) fn outage() -> impl Strategy<Value = Snapshot> {
    (
        (
            prop::collection::vec((left(), version()), 1..=9),
            prop::collection::vec(approval(), 0..3),
            prop::collection::vec((1usize..=9, -300i64..3600, any::<bool>()), 0..2),
            prop::option::of((1usize..=9, 1usize..=10, state())),
            prop::option::weighted(0.1, 1usize..=9),
        ),
        acting_policy(),
        extras(),
        prop::option::of(1usize..=9),
        prop::option::weighted(0.3, restored()),
    )
        .prop_map(
            |(
                (members, approvals, bootstraps, stale, nameless),
                policy,
                extras,
                recent,
                restored,
            )| {
                let n = members.len();
                let id = |i: usize| format!("orders-{}", (i - 1) % n + 1);
                let refused = || ProbeError::Refused {
                    message: "Connection refused (os error 111)".into(),
                };
                let mut b = ClusterBuilder::healthy(n)
                    .complete_outage()
                    .policy(|p| *p = policy);
                for (i, (left, version)) in members.iter().enumerate() {
                    let m = format!("orders-{}", i + 1);
                    b = b.version(&m, version);
                    b = match left {
                        Left::Offline(k) => b.executed(&m, &format!("{GROUP}:1-{k}")),
                        Left::Error(k) => b.executed(&m, &format!("{GROUP}:1-{k}")).error_state(&m),
                        Left::Stopped => {
                            b.rds_status(&m, "stopped").unreadable(&m, refused(), false)
                        }
                        Left::Down(status) => {
                            b.rds_status(&m, status).unreadable(&m, refused(), false)
                        }
                        Left::Timeout => b.unreadable(
                            &m,
                            ProbeError::Timeout {
                                during: "connect".into(),
                            },
                            false,
                        ),
                        Left::OfflineMode => b.offline_mode(&m),
                    };
                }
                if let Some(i) = nameless {
                    b = b.report(&id(i), |r| r.settings.group_name = None);
                }
                if let Some(i) = recent {
                    // The last observation that read it.
                    b = b.last_seen(&id(i), "2026-11-30T11:55:00Z", &format!("{GROUP}:1-101"));
                }
                let mut snapshot = b
                    .history(|h| {
                        h.approvals = approvals;
                        for (i, secs, succeeded) in bootstraps {
                            h.actions.push(PastAction {
                                kind: ActionKind::Bootstrap,
                                instance: id(i),
                                at: ago(secs),
                                outcome: if succeeded {
                                    Outcome::Succeeded
                                } else {
                                    Outcome::Failed
                                },
                                placeholders: None,
                                maintenance: None,
                            });
                        }
                    })
                    .build();
                if let Some((viewer, member, state)) = stale {
                    // A view that still lists a member (10: one outside the inventory).
                    let member = if member == 10 {
                        n + 1
                    } else {
                        (member - 1) % n + 1
                    };
                    set_row(&mut snapshot, (viewer - 1) % n, member, Some(state));
                }
                extras.apply(&mut snapshot);
                if let Some(restored) = restored {
                    restored.apply(&mut snapshot);
                }
                snapshot
            },
        )
}

/// A member whose data was replaced before the outage (a snapshot restored into it): the
/// journal remembers it holding transactions no member holds now (`group:99-upto`), the only
/// copy of them gone.
#[derive(Debug, Clone)]
struct Restored {
    /// The replaced member (1-based, wrapped to the cluster).
    copy: usize,
    /// Whose snapshot it now is: it shares that member's `server_uuid` (itself: its own older
    /// snapshot, keeping its uuid).
    original: usize,
    /// The last remembered transaction, beyond every member's `group:1-100`.
    upto: u64,
    /// The journal's record is from after the restore (the new uuid, what was taken away kept
    /// as `lost`) rather than from before it (the old uuid holding it all).
    recorded_after: bool,
}

fn restored() -> impl Strategy<Value = Restored> {
    (1usize..=9, 1usize..=9, 101u64..=110, any::<bool>()).prop_map(
        |(copy, original, upto, recorded_after)| Restored {
            copy,
            original,
            upto,
            recorded_after,
        },
    )
}

impl Restored {
    fn apply(&self, snapshot: &mut Snapshot) {
        let n = snapshot.instances.len();
        let (copy, original) = ((self.copy - 1) % n + 1, (self.original - 1) % n + 1);
        if copy != original {
            make_twin(snapshot, copy, original);
        }
        let (server_uuid, executed, lost) = if self.recorded_after {
            (
                server_uuid(original),
                set(&format!("{GROUP}:1-98")),
                set(&format!("{GROUP}:99-{}", self.upto)),
            )
        } else {
            (
                server_uuid(copy),
                set(&format!("{GROUP}:1-{}", self.upto)),
                GtidSet::new(),
            )
        };
        snapshot.history.last_seen.insert(
            format!("orders-{copy}"),
            LastSeen {
                at: ago(600),
                server_uuid,
                gtid_executed: executed,
                received: GtidSet::new(),
                gtid_purged: GtidSet::new(),
                executed_since: ago(900),
                lost,
                address: Default::default(),
            },
        );
    }
}

/// A group with quorum and, apart from it, a group bootstrapped separately: one to three of its
/// members, maybe one of them crashed (so it lacks quorum), with faults and noise elsewhere.
pub(super) fn second_group() -> impl Strategy<Value = Snapshot> {
    (
        3usize..=9,
        prop::collection::btree_set(0usize..9, 1..=3),
        any::<bool>(),
        prop::collection::vec((0usize..9, fault()), 0..3),
        prop::collection::vec(noise(), 0..3),
        policy_strategy(),
    )
        .prop_map(|(n, apart, crashed, faults, noise, policy)| {
            let id = |i: usize| format!("orders-{}", i % n + 1);
            let apart: Vec<String> = apart.iter().map(|&i| id(i)).collect();
            let apart: Vec<&str> = apart.iter().map(String::as_str).collect();
            let mut b = ClusterBuilder::healthy(n)
                .policy(|p| *p = policy)
                .split_brain(&apart);
            if crashed && apart.len() > 1 {
                b = b.crashed(apart[0]);
            }
            for (i, fault) in faults {
                b = apply(b, &id(i), i % n + 1, fault);
            }
            let mut snapshot = b.build();
            for noise in noise {
                set_row(
                    &mut snapshot,
                    noise.viewer % n,
                    noise.member % (n + 1) + 1,
                    noise.state,
                );
            }
            snapshot
        })
}

/// 3-9 members, some exited (ERROR, offline mode, some of them auto-rejoining) or crashed,
/// maybe a partition, and views that still list the exited members in any state: the group may
/// count a member that reports itself out (a joiner whose compatibility check failed is ERROR to
/// itself, OFFLINE to its peers).
pub(super) fn counted_exited() -> impl Strategy<Value = Snapshot> {
    (
        3usize..=9,
        prop::collection::vec((0usize..9, 0u8..3), 1..4),
        prop::option::of(prop::collection::btree_set(0usize..9, 1..4)),
        prop::collection::vec((0usize..9, 0usize..9, state()), 0..5),
        acting_policy(),
        prop::collection::vec(memory(), 0..3),
        prop::collection::vec(
            (1usize..=9, 1u64..=4, 1u64..=4, any::<bool>(), 0i64..1200),
            0..3,
        ),
    )
        .prop_map(|(n, exits, side, rows, policy, memories, autorejoin)| {
            let id = |i: usize| format!("orders-{}", i % n + 1);
            let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
            for (i, how) in exits {
                b = match how {
                    0 => b.error_state(&id(i)),
                    1 => b.offline_mode(&id(i)),
                    _ => b.crashed(&id(i)),
                };
            }
            if let Some(side) = side {
                let members: Vec<String> = side.iter().map(|&i| id(i)).collect();
                let members: Vec<&str> = members.iter().map(String::as_str).collect();
                b = b.partition(&members);
            }
            let mut snapshot = b.build();
            for (viewer, member, state) in rows {
                set_row(&mut snapshot, viewer % n, member % n + 1, Some(state));
            }
            Extras {
                memories,
                autorejoin,
                ..Extras::default()
            }
            .apply(&mut snapshot);
            snapshot
        })
}

/// 3-9 members, some RECOVERING for a random while, the journal's last reading of them behind
/// or equal to what they hold now (unchanged for a random while), maybe others crashed.
pub(super) fn recovering() -> impl Strategy<Value = Snapshot> {
    (
        3usize..=9,
        prop::collection::vec((0usize..9, 0i64..7200, memory()), 1..3),
        prop::collection::vec(0usize..9, 0..2),
        acting_policy(),
    )
        .prop_map(|(n, recovering, crashed, policy)| {
            let id = |i: usize| format!("orders-{}", i % n + 1);
            let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
            let mut memories = Vec::new();
            for (i, since, memory) in recovering {
                let since = ago(since).to_rfc3339();
                b = b
                    .recovering(&id(i))
                    .condition_since(&id(i), "RECOVERING", &since);
                memories.push(Memory {
                    member: i % n + 1,
                    ..memory
                });
            }
            for i in crashed {
                b = b.crashed(&id(i));
            }
            let mut snapshot = b.build();
            Extras {
                memories,
                ..Extras::default()
            }
            .apply(&mut snapshot);
            snapshot
        })
}

/// 2-9 members, one ONLINE but lagging behind its applier queue past the deadline (an expel takes
/// out a member the group counts ONLINE, so the majority and the tolerance floor decide), maybe
/// others faulted, under an acting policy with a tolerance floor now and then.
pub(super) fn lagging() -> impl Strategy<Value = Snapshot> {
    (
        2usize..=9,
        0usize..9,
        prop::collection::vec((0usize..9, fault()), 0..3),
        acting_policy(),
    )
        .prop_map(|(n, lagging, faults, policy)| {
            let id = |i: usize| format!("orders-{}", i % n + 1);
            let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
            b = apply(b, &id(lagging), lagging % n + 1, Fault::Lagging);
            for (i, fault) in faults.into_iter().filter(|(i, _)| i % n != lagging % n) {
                b = apply(b, &id(i), i % n + 1, fault);
            }
            b.build()
        })
}

/// 2-9 members, some with Group Replication stopped by grkeeper's user or by a person at a
/// random time, grkeeper's expels journaled at random times, its database user known or not.
pub(super) fn stopped() -> impl Strategy<Value = Snapshot> {
    (
        2usize..=9,
        prop::collection::vec((0usize..9, any::<bool>(), -600i64..7200), 1..3),
        prop::collection::vec((0usize..9, -600i64..7200), 0..3),
        acting_policy(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(n, stops, expels, policy, db_user, outage)| {
            let id = |i: usize| format!("orders-{}", i % n + 1);
            let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
            if outage {
                b = b.complete_outage();
            }
            for (i, person, secs) in &stops {
                let by = if *person {
                    "admin@10.0.3.7"
                } else {
                    "grkeeper@10.0.9.9"
                };
                let time = ago(*secs).format("%Y-%m-%d %H:%M:%S").to_string();
                b = b.stopped_by(&id(*i), by, &time);
            }
            if db_user {
                b = b.db_user("grkeeper");
            }
            b.history(|h| {
                h.actions = expels
                    .iter()
                    .map(|(i, secs)| PastAction {
                        kind: ActionKind::Expel,
                        instance: id(*i),
                        at: ago(*secs),
                        outcome: Outcome::Succeeded,
                        placeholders: None,
                        maintenance: None,
                    })
                    .collect();
            })
            .build()
        })
}

/// What is odd about a 9.7 joiner besides its initialization GTIDs.
#[derive(Debug, Clone, Copy)]
enum Twist {
    /// Errant GTIDs under the group name too.
    Errant,
    /// Local GTIDs with a tag (advance_gtid cannot create those).
    Tagged,
    /// Local GTIDs numbered beyond advance_gtid's `INT UNSIGNED`.
    Huge,
    /// Its own server_uuid is the group's name.
    GroupName,
}

fn twist() -> impl Strategy<Value = Twist> {
    prop::sample::select(vec![
        Twist::Errant,
        Twist::Tagged,
        Twist::Huge,
        Twist::GroupName,
    ])
}

/// An approval of a sync: for the joiner, another member or any (0, 1, 2), expiring in
/// `expires` seconds (some at the very second of the observation: no longer valid), allowing no
/// ranges in particular, exactly the initialization GTIDs, only the joiner's own, or far more
/// (0 to 3).
#[derive(Debug, Clone, Copy)]
pub(super) struct SyncApproval {
    whom: u8,
    expires: i64,
    ranges: u8,
}

fn sync_approval() -> impl Strategy<Value = SyncApproval> {
    prop_oneof![
        3 => (Just(0u8), 60i64..3600, 0u8..4),
        1 => (0u8..3, -600i64..3600, 0u8..4),
        1 => (Just(0u8), Just(0i64), 0u8..4),
    ]
    .prop_map(|(whom, expires, ranges)| SyncApproval {
        whom,
        expires,
        ranges,
    })
}

/// A 9.7 group of 2-6 members set up by AWS's procedure and a new member, the last, with its
/// own initialization GTIDs; some placeholders already made either way; sometimes a twist on
/// the joiner or a version that is not 9.7; random approvals of the sync (mostly for the joiner),
/// faults elsewhere, an acting policy.
pub(super) fn local_gtids() -> impl Strategy<Value = Snapshot> {
    (
        (
            2usize..=6,
            1u64..=4,
            1u64..=4,
            prop::collection::vec(any::<bool>(), 12),
            prop::option::weighted(0.3, twist()),
            prop::option::weighted(0.15, version()),
        ),
        prop::collection::vec(sync_approval(), 0..3),
        prop::collection::vec((0usize..7, fault()), 0..2),
        acting_policy(),
        prop::collection::vec(action(), 0..2),
    )
        .prop_map(
            |((n, k, j, done, twist, version), approvals, faults, policy, actions)| {
                let size = n + 1;
                let joiner = format!("orders-{size}");
                let own = |i: usize, count: u64| format!("{}:1-{count}", server_uuid(i));
                let mut b = (1..=size)
                    .fold(ClusterBuilder::healthy(size), |b, i| {
                        b.version(&format!("orders-{i}"), "9.7.1")
                    })
                    .policy(|p| *p = policy)
                    .initialization_gtids_synced(k)
                    .new_member_with_initialization_gtids(&joiner, j);
                // Placeholders made before this observation, either way.
                for i in 1..=n {
                    let member = format!("orders-{i}");
                    if done[i - 1] {
                        b = b.report(&member, |r| {
                            r.gtid_executed = r.gtid_executed.union(&set(&own(size, j)));
                        });
                    }
                    if done[6 + i - 1] {
                        b = b.report(&joiner, |r| {
                            r.gtid_executed = r.gtid_executed.union(&set(&own(i, k)));
                        });
                    }
                }
                b = match twist {
                    None => b,
                    Some(Twist::Errant) => b.report(&joiner, |r| {
                        r.gtid_executed = r.gtid_executed.union(&set(&format!("{GROUP}:101")));
                    }),
                    Some(Twist::Tagged) => b.report(&joiner, |r| {
                        let tagged = format!("{}:init:1-2", server_uuid(size));
                        r.gtid_executed = r.gtid_executed.union(&set(&tagged));
                    }),
                    Some(Twist::Huge) => b.report(&joiner, |r| {
                        let huge = format!("{}:4294967290-4294967300", server_uuid(size));
                        r.gtid_executed = r.gtid_executed.union(&set(&huge));
                    }),
                    Some(Twist::GroupName) => b.report(&joiner, |r| {
                        r.server_uuid = GROUP.to_string();
                        r.gtid_executed = set(&format!("{GROUP}:1-100,{GROUP}:101-103"));
                    }),
                };
                if let Some(version) = version {
                    b = b.version(&joiner, version);
                }
                for (i, fault) in faults {
                    let i = i % n + 1;
                    b = apply(b, &format!("orders-{i}"), i, fault);
                }
                let everything = (1..=size)
                    .map(|i| own(i, if i == size { j } else { k }))
                    .collect::<Vec<_>>()
                    .join(",");
                let mut snapshot = b
                    .history(|h| {
                        h.actions = actions;
                        for a in &approvals {
                            h.approvals.push(Approval {
                                action: ActionKind::SyncGtids,
                                instance: match a.whom {
                                    0 => Some(joiner.clone()),
                                    1 => Some("orders-1".into()),
                                    _ => None,
                                },
                                gives_up: Vec::new(),
                                expires: ago(-a.expires),
                                by: "alice".into(),
                                gtids: match a.ranges {
                                    0 => None,
                                    1 => Some(set(&everything)),
                                    2 => Some(set(&own(size, j))),
                                    _ => Some(set(&(1..=11)
                                        .map(|i| own(i, 10))
                                        .collect::<Vec<_>>()
                                        .join(","))),
                                },
                            });
                        }
                    })
                    .build();
                snapshot.history.actions.sort_by_key(|a| a.at);
                snapshot
            },
        )
}

/// 3-9 members of versions 8.0.35-8.4.3, one joiner (OFFLINE, or in ERROR with its peers still
/// listing it OFFLINE as after a refused join), the others ONLINE, RECOVERING or UNREACHABLE in
/// the group's view (fewer UNREACHABLE than would cost it quorum): the plugin compares the
/// joiner with every one of them.
pub(super) fn joiners() -> impl Strategy<Value = Snapshot> {
    (
        3usize..=9,
        prop::collection::vec((version(), 0u8..5), 9),
        version(),
        any::<bool>(),
        acting_policy(),
    )
        .prop_map(|(n, others, joiner_version, in_error, policy)| {
            let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
            let mut unreachable = 0;
            for (i, (version, state)) in others.iter().take(n).enumerate().skip(1) {
                let m = format!("orders-{}", i + 1);
                b = b.version(&m, version);
                b = match state {
                    0 => b.recovering(&m),
                    // UNREACHABLE in every view, while the group keeps its quorum.
                    1 if (unreachable + 1) * 2 < n - 1 => {
                        unreachable += 1;
                        b.crashed(&m)
                    }
                    _ => b,
                };
            }
            b = b.version("orders-1", joiner_version);
            b = if in_error {
                b.error_state("orders-1")
            } else {
                b.gr_stopped("orders-1")
            };
            let mut snapshot = b.build();
            if in_error {
                // A join the group refused: ERROR to itself, OFFLINE to its peers.
                for instance in &mut snapshot.instances[1..] {
                    if let Observed::Seen(report) = &mut instance.mysql
                        && report.own_state().is_live()
                    {
                        report.view.push(ViewMember {
                            member_id: server_uuid(1),
                            host: "ip-10-0-1-11".into(),
                            port: 3306,
                            state: MemberState::Offline,
                            role: String::new(),
                            version: joiner_version.into(),
                        });
                    }
                }
            }
            snapshot
        })
}

/// After a split brain: the groups remembered apart, one of them live now (or none: a complete
/// outage), the other's members back OFFLINE (stopped through RDS, or by a person), in ERROR, in
/// offline mode or down, holding what look like subsets of the live group's transactions; rejoin
/// approvals for some, members rebuilt since.
pub(super) fn after_split_brain() -> impl Strategy<Value = Snapshot> {
    (
        3usize..=9,
        split(),
        any::<bool>(),
        prop::collection::vec((0u8..6, 90u64..=100), 9),
        prop::option::weighted(0.2, Just(())),
        acting_policy(),
        any::<bool>(),
    )
        .prop_map(
            |(n, mut split, keep_second, apart, outage, policy, after_stop)| {
                // Both sides hold a member.
                split.sides[0] = 0;
                split.sides[1] = 1;
                let kept = u8::from(keep_second);
                let mut b = ClusterBuilder::healthy(n)
                    .policy(|p| {
                        *p = policy;
                        p.rejoin_after_operator_stop = after_stop;
                    })
                    .db_user("grkeeper");
                if outage.is_some() {
                    b = b.complete_outage();
                }
                for i in 1..=n {
                    let side = split.sides[i - 1];
                    if side > 1 || side == kept {
                        continue;
                    }
                    let m = format!("orders-{i}");
                    let (how, k) = apart[i - 1];
                    b = b.executed(&m, &format!("{GROUP}:1-{k}"));
                    b = match how {
                        0 | 1 => b.gr_stopped(&m),
                        2 => b.stopped_by(&m, "admin@10.0.3.7", "2026-11-30 11:30:00"),
                        3 => b.error_state(&m),
                        4 => b.offline_mode(&m),
                        _ => b.rds_status(&m, "stopped").unreadable(
                            &m,
                            ProbeError::Refused {
                                message: "Connection refused (os error 111)".into(),
                            },
                            false,
                        ),
                    };
                }
                let mut snapshot = b.build();
                split.apply(&mut snapshot);
                snapshot
            },
        )
}

/// How the original of a restored copy is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Original {
    Online,
    Crashed,
    OfflineMode,
    GrStopped,
}

/// Where a restored copy of a member runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placed {
    /// No copy: the views list the original (its host in another name form, maybe).
    Nowhere,
    /// Outside the inventory at [`COPY_HOST`], `ONLINE` in the group in the original's place.
    Outside,
    /// Another inventory instance reports the original's `server_uuid`.
    Inside,
}

/// Where a copy outside the inventory runs.
pub(super) const COPY_HOST: &str = "ip-10-0-9-77";

/// A snapshot with a member, maybe a copy of it, and what the generator put where.
#[derive(Debug, Clone)]
pub(super) struct CopyCase {
    pub snapshot: Snapshot,
    pub original: String,
    pub placed: Placed,
    pub left: Original,
    /// The journal remembers the address the original reported.
    pub remembered: bool,
}

/// 3-9 members; one of them (the original) online, crashed, in offline mode or with GR
/// stopped, its address remembered or not; a copy of it outside the inventory that joined in its
/// place (the original then out of the group), a copy inside the inventory, or none; the
/// original's row in the other members' views under its host as it named itself, in upper case,
/// or fully qualified.
pub(super) fn copies() -> impl Strategy<Value = CopyCase> {
    (
        3usize..=9,
        0usize..9,
        1usize..9,
        prop::sample::select(vec![
            Placed::Nowhere,
            Placed::Outside,
            Placed::Outside,
            Placed::Inside,
        ]),
        prop::sample::select(vec![
            Original::Online,
            Original::Crashed,
            Original::OfflineMode,
            Original::GrStopped,
        ]),
        any::<bool>(),
        0u8..3,
        acting_policy(),
    )
        .prop_map(|(n, o, shift, placed, left, remembered, form, policy)| {
            let original = o % n + 1;
            let id = format!("orders-{original}");
            let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
            if remembered {
                b = b.last_seen(&id, "2026-11-30T11:50:00Z", &format!("{GROUP}:1-100"));
            }
            // The group refuses a copy while the original is in it.
            let left = match (placed, left) {
                (Placed::Outside, Original::Online) => Original::GrStopped,
                (_, left) => left,
            };
            b = match left {
                Original::Online => b,
                Original::Crashed if placed == Placed::Outside => b.unreadable(
                    &id,
                    ProbeError::Refused {
                        message: "Connection refused (os error 111)".into(),
                    },
                    false,
                ),
                Original::Crashed => b.crashed(&id),
                Original::OfflineMode => b.offline_mode(&id),
                Original::GrStopped => b.gr_stopped(&id),
            };
            b = match placed {
                Placed::Nowhere => b,
                Placed::Outside => b.copy_outside(&id, COPY_HOST),
                Placed::Inside => {
                    let twin = (original - 1 + shift % (n - 1) + 1) % n + 1;
                    b.same_uuid_as(&format!("orders-{twin}"), original)
                }
            };
            let mut snapshot = b.build();
            let hostname = format!("ip-10-0-1-{}", 10 + original);
            for instance in snapshot.instances.iter_mut().filter(|i| i.id != id) {
                if let Observed::Seen(report) = &mut instance.mysql {
                    for row in report.view.iter_mut().filter(|r| r.host == hostname) {
                        row.host = match form {
                            0 => hostname.clone(),
                            1 => hostname.to_ascii_uppercase(),
                            _ => format!("{hostname}.ec2.internal"),
                        };
                    }
                }
            }
            CopyCase {
                snapshot,
                original: id,
                placed,
                left,
                remembered,
            }
        })
}

/// What RDS holds for one member in a roll: a pending engine upgrade, a system update, another
/// action a roll only tells of, parameters waiting for a reboot, and its engine version.
#[derive(Debug, Clone)]
struct Held {
    upgrade: bool,
    update: bool,
    other: bool,
    reboot: bool,
    version: &'static str,
}

fn held() -> impl Strategy<Value = Held> {
    (
        prop::bool::weighted(0.4),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.4),
        prop::sample::select(vec!["8.0.35", "8.0.36", "8.0.36", "8.4.2", "8.4.3"]),
    )
        .prop_map(|(upgrade, update, other, reboot, version)| Held {
            upgrade,
            update,
            other,
            reboot,
            version,
        })
}

/// A rolling-maintenance step an earlier tick journaled: on which member, what, when, how it
/// ended.
fn roll_step() -> impl Strategy<Value = PastAction> {
    (
        1usize..=9,
        prop::sample::select(vec![
            Some(MaintenanceStep::Reboot),
            Some(MaintenanceStep::Apply("db-upgrade".into())),
            Some(MaintenanceStep::Apply("system-update".into())),
            None,
        ]),
        -60i64..9000,
        prop::sample::select(vec![
            Outcome::Succeeded,
            Outcome::Succeeded,
            Outcome::Failed,
            Outcome::NotAttempted,
            Outcome::Pending,
        ]),
    )
        .prop_map(|(i, maintenance, secs, outcome)| PastAction {
            kind: ActionKind::Maintenance,
            instance: format!("orders-{i}"),
            at: ago(secs),
            outcome,
            placeholders: None,
            maintenance,
        })
}

/// Rolling maintenance under way (`roll`): 1-9 members, each with random pending maintenance
/// and versions, a few members mid-roll or otherwise out (RDS busy, OFFLINE, lagging, crashed,
/// recovering, pending actions unreadable), journaled steps on random members with random
/// outcomes, the maintenance policy off, by approval (granted or not, for one member or any) or
/// automatic, fault tolerance floors, paused members or clusters, and now and then a split brain
/// or a stranger remembered.
pub(super) fn rolls() -> impl Strategy<Value = Snapshot> {
    (
        (
            1usize..=9,
            prop::collection::vec(held(), 9),
            prop::collection::vec((0usize..9, fault()), 0..3),
            prop::collection::vec(0usize..9, 0..2),
            prop::collection::vec(roll_step(), 0..4),
        ),
        (
            prop::sample::select(vec![
                MaintenancePolicy::Off,
                MaintenancePolicy::Approval,
                MaintenancePolicy::Auto,
                MaintenancePolicy::Auto,
            ]),
            prop::option::of((prop::option::of(1usize..=9), -600i64..3600)),
            prop_oneof![3 => Just(0u32), 1 => 1u32..3],
            prop::option::weighted(0.15, (any::<bool>(), 1usize..=9)),
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.1),
            prop::sample::select(vec![0u64, 100, 100_000]),
        ),
    )
        .prop_map(
            |(
                (n, held, faults, unreadable, steps),
                (maintenance, approval, floor, pause, split, stranger, max_queue),
            )| {
                let id = |i: usize| format!("orders-{}", i % n + 1);
                let mut b = ClusterBuilder::healthy(n).policy(|p| {
                    p.maintenance = maintenance;
                    p.fault_tolerance_floor = floor;
                    p.maintenance_max_queue = max_queue;
                    p.maintenance_return_secs = 3600;
                });
                for (i, h) in held.iter().take(n).enumerate() {
                    let h = h.clone();
                    b = b.version(&id(i), h.version).rds(&id(i), move |r| {
                        let pending: Vec<PendingMaintenance> = [
                            (h.upgrade, "db-upgrade"),
                            (h.update, "system-update"),
                            (h.other, "ca-certificate-rotation"),
                        ]
                        .into_iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, action)| pending_maintenance(action))
                        .collect();
                        r.pending_maintenance = Some(Observed::Seen(pending));
                        if h.reboot {
                            r.parameter_apply_status = Some("pending-reboot".into());
                        }
                    });
                }
                for i in unreadable {
                    b = b.rds(&id(i), |r| {
                        r.pending_maintenance = Some(Observed::Failed("AccessDenied".into()));
                    });
                }
                for (i, fault) in faults {
                    b = apply(b, &id(i), i % n + 1, fault);
                }
                if stranger {
                    b = b.remembered_stranger(10, NOW, NOW);
                }
                let mut snapshot = b
                    .history(|h| {
                        h.actions = steps;
                        if let Some((instance, expires)) = approval {
                            h.approvals.push(Approval {
                                action: ActionKind::Maintenance,
                                instance: instance.map(|i| format!("orders-{i}")),
                                gives_up: Vec::new(),
                                gtids: None,
                                expires: ago(-expires),
                                by: "alice".into(),
                            });
                        }
                        let paused = Pause {
                            until: ago(-600),
                            reason: "maintenance".into(),
                            by: "alice".into(),
                        };
                        match pause {
                            Some((true, _)) => h.paused = Some(paused),
                            Some((false, i)) => {
                                h.paused_instances.insert(format!("orders-{i}"), paused);
                            }
                            None => {}
                        }
                    })
                    .build();
                if split && n > 1 {
                    snapshot.history.split_brain = Some(SplitBrain {
                        first_seen: ago(7200),
                        last_seen: ago(3600),
                        sides: vec![vec![server_uuid(1)], vec![server_uuid(n)]],
                    });
                }
                snapshot
            },
        )
}

//! Random snapshots for the properties. `scenario` is a consistent cluster from the fixture model
//! with faults, partitions, random views noise and random history, then `extras` on top (journal
//! memory, strangers, restored copies, who stopped GR, auto-rejoin logs). The others aim at one
//! unsafe class each, so that it comes up in most cases instead of by luck: `outage` (unread
//! members, approvals, remembered strangers, journaled bootstraps with clock skew, versions,
//! stale views), `second_group` (a group bootstrapped apart) and `counted_exited` (members that
//! left but some view still counts).

use proptest::prelude::*;

use crate::fixtures::{ClusterBuilder, GROUP, at, server_uuid};
use crate::gtid::GtidSet;
use crate::model::{GrCall, LastGrCall, MemberState, Observed, ProbeError, ViewMember};
use crate::plan::{
    ActionKind, Approval, BootstrapPolicy, Condition, History, LastSeen, Mode, Outcome, PastAction,
    Pause, Policy, Stranger, conditions,
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
    OfflineMode,
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
        2 => Just(Fault::OfflineMode),
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
        Fault::OfflineMode => b.offline_mode(m),
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

/// A cluster of 1-9 members with faults, maybe a partition or a split, noise in the views, and
/// random policy, history and extras.
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
    )
        .prop_map(
            |((n, faults, side, split, noise, outage), policy, history, extras)| {
                let id = |i: usize| format!("orders-{}", i % n + 1);
                let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
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
                let mut snapshot = b.history(|h| *h = history).build();
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
    )
        .prop_map(
            |(observe, expel, bootstrap, floor, budget, huge, reboots, skew)| Policy {
                mode: if observe { Mode::Observe } else { Mode::Act },
                expel,
                bootstrap,
                fault_tolerance_floor: floor,
                cluster_budget: budget,
                reboot_budget: reboots,
                member_cooldown_secs: if huge { u64::MAX } else { 600 },
                recovering_deadline_secs: if huge { u64::MAX } else { 60 },
                clock_skew_secs: skew,
                ..Policy::default()
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
    )
        .prop_map(
            |(mode, bootstrap, expel, budget, reboots, skew, deadline)| Policy {
                mode,
                bootstrap,
                expel,
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
        })
}

fn approval() -> impl Strategy<Value = Approval> {
    (
        prop::option::of(1usize..=9),
        prop::collection::btree_set(1usize..=11, 0..5),
        -600i64..3600,
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
        })
}

fn history_strategy() -> impl Strategy<Value = History> {
    (
        prop::collection::vec(action(), 0..4),
        prop::option::of(-3600i64..3600),
        prop::option::of(1usize..=9),
        prop::collection::vec(approval(), 0..2),
    )
        .prop_map(|(actions, pause, recovering_since, approvals)| {
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

/// Layers over any snapshot: journal memory, remembered strangers, a restored copy, who stopped
/// GR where, auto-rejoin logs, grkeeper's database user.
#[derive(Debug, Clone)]
pub(super) struct Extras {
    memories: Vec<Memory>,
    strangers: Vec<(usize, i64)>,
    twin: Option<(usize, usize)>,
    stops: Vec<(usize, bool, i64)>,
    autorejoin: Vec<(usize, u64, u64, bool, i64)>,
    db_user: bool,
}

pub(super) fn extras() -> impl Strategy<Value = Extras> {
    (
        prop::collection::vec(memory(), 0..5),
        // Mostly members outside any inventory (10, 11); sometimes one that has been tagged
        // into the cluster since.
        prop::collection::vec(
            (prop_oneof![3 => 10usize..=11, 1 => 1usize..=9], 0i64..7200),
            0..2,
        ),
        prop::option::weighted(0.1, (1usize..=9, 1usize..=9)),
        prop::collection::vec((1usize..=9, any::<bool>(), -600i64..7200), 0..3),
        prop::collection::vec(
            (1usize..=9, 1u64..=4, 1u64..=4, any::<bool>(), 0i64..1200),
            0..2,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(memories, strangers, twin, stops, autorejoin, db_user)| Extras {
                memories,
                strangers,
                twin,
                stops,
                autorejoin,
                db_user,
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
        snapshot.db_user = self.db_user.then(|| "grkeeper".to_string());
        for &(member, by_grkeeper, secs) in &self.stops {
            let by = if by_grkeeper {
                "grkeeper@10.0.9.9"
            } else {
                "admin@10.0.3.7"
            };
            if let Observed::Seen(report) = &mut snapshot.instances[(member - 1) % n].mysql {
                report.last_gr_call = LastGrCall::Call(GrCall {
                    at: ago(secs).format("%Y-%m-%d %H:%M:%S").to_string(),
                    by: by.into(),
                    action: "stop group replication".into(),
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
        "8.0.36", "8.0.36", "8.0.37", "8.0.35", "8.4.2", "8.4.3",
    ])
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
                strangers: Vec::new(),
                twin: None,
                stops: Vec::new(),
                autorejoin,
                db_user: false,
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
                strangers: Vec::new(),
                twin: None,
                stops: Vec::new(),
                autorejoin: Vec::new(),
                db_user: false,
            }
            .apply(&mut snapshot);
            snapshot
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
                    })
                    .collect();
            })
            .build()
        })
}

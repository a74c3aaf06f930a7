//! Planner tests: a few situations spelled out, then the safety invariants as properties over
//! thousands of random snapshots (consistent ones from the fixture model, with random noise in
//! the views so disagreeing members are covered too). The documented examples in
//! `docs/examples/` are checked through the CLI in `cli/tests/`.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::fixtures::{ClusterBuilder, GROUP, at, server_uuid};
use crate::model::{MemberState, Observed, ProbeError, ViewMember};

fn one_action(plan: &Plan) -> (ActionKind, &str) {
    let Some(action) = &plan.action else {
        panic!("no action: {plan:#?}")
    };
    (action.kind, action.instance.as_str())
}

fn guards_of(plan: &Plan) -> Vec<Guard> {
    plan.refused.iter().map(|r| r.guard).collect()
}

#[test]
fn a_healthy_cluster_needs_nothing() {
    let plan = plan(&ClusterBuilder::healthy(3).build());
    assert!(
        plan.action.is_none() && plan.refused.is_empty(),
        "{plan:#?}"
    );
    assert!(plan.findings.is_empty(), "{plan:#?}");
    assert_eq!(plan.health.status, ClusterStatus::Ok);
    assert_eq!((plan.health.online, plan.health.tolerance), (3, 1));
}

#[test]
fn a_member_that_restarted_before_being_expelled_waits_for_the_expulsion() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .restarted_before_expel("orders-2")
            .build(),
    );
    assert!(plan.action.is_none(), "{plan:#?}");
    assert!(
        plan.findings
            .iter()
            .any(|f| f.kind == FindingKind::MemberOffline && f.severity == Severity::Info)
    );
}

#[test]
fn rejoin_is_chosen_before_a_reboot_and_only_one_action_is_planned() {
    let plan = plan(
        &ClusterBuilder::healthy(5)
            .offline_mode("orders-4")
            .gr_stopped("orders-5")
            .build(),
    );
    assert_eq!(one_action(&plan), (ActionKind::Rejoin, "orders-5"));
}

#[test]
fn a_joiner_newer_than_the_group_is_rejoined_with_a_read_only_warning() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .gr_stopped("orders-3")
            .version("orders-3", "8.0.37")
            .build(),
    );
    assert_eq!(one_action(&plan), (ActionKind::Rejoin, "orders-3"));
    assert!(plan.action.unwrap().reason.contains("read-only"));
}

#[test]
fn an_older_joiner_is_refused_on_8_0() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .gr_stopped("orders-3")
            .version("orders-3", "8.0.35")
            .build(),
    );
    assert!(plan.action.is_none());
    assert_eq!(guards_of(&plan), vec![Guard::Version]);
}

#[test]
fn a_pending_action_blocks_every_new_one() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .gr_stopped("orders-3")
            .history(|h| {
                h.actions.push(PastAction {
                    kind: ActionKind::Reboot,
                    instance: "orders-1".into(),
                    at: at("2026-11-30T11:59:00Z"),
                    outcome: Outcome::Pending,
                });
            })
            .build(),
    );
    assert_eq!(guards_of(&plan), vec![Guard::PendingAction]);
}

#[test]
fn the_cluster_budget_stops_disruptive_actions_but_not_rejoins() {
    let busy = |b: ClusterBuilder| {
        b.history(|h| {
            for (i, minute) in ["10", "20", "30"].iter().enumerate() {
                h.actions.push(PastAction {
                    kind: ActionKind::Reboot,
                    instance: format!("orders-{}", i + 3),
                    at: at(&format!("2026-11-30T11:{minute}:00Z")),
                    outcome: Outcome::Succeeded,
                });
            }
        })
    };
    let reboot = plan(&busy(ClusterBuilder::healthy(5).offline_mode("orders-1")).build());
    assert_eq!(guards_of(&reboot), vec![Guard::ClusterBudget]);
    let rejoin = plan(&busy(ClusterBuilder::healthy(5).gr_stopped("orders-1")).build());
    assert_eq!(one_action(&rejoin), (ActionKind::Rejoin, "orders-1"));
}

#[test]
fn bootstrap_waits_for_an_approval_when_the_policy_asks_for_one() {
    let outage = || {
        ClusterBuilder::healthy(3)
            .complete_outage()
            .policy(|p| p.bootstrap = BootstrapPolicy::Approval)
    };
    let waiting = plan(&outage().build());
    assert_eq!(guards_of(&waiting), vec![Guard::ApprovalRequired]);
    let approved = plan(
        &outage()
            .history(|h| {
                h.approvals.push(Approval {
                    action: ActionKind::Bootstrap,
                    instance: None,
                    expires: at("2026-11-30T13:00:00Z"),
                    by: "alice".into(),
                });
            })
            .build(),
    );
    assert_eq!(one_action(&approved), (ActionKind::Bootstrap, "orders-1"));
}

#[test]
fn an_outage_with_a_member_in_offline_mode_reboots_it_before_any_bootstrap() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .complete_outage()
            .offline_mode("orders-2")
            .build(),
    );
    assert_eq!(one_action(&plan), (ActionKind::Reboot, "orders-2"));
    assert_eq!(guards_of(&plan), vec![Guard::UnobservedMember]);
}

#[test]
fn conditions_keep_their_start_while_the_label_is_unchanged() {
    let snapshot = ClusterBuilder::healthy(2)
        .recovering("orders-2")
        .condition_since("orders-2", "RECOVERING", "2026-11-30T10:00:00Z")
        .condition_since("orders-1", "OFFLINE", "2026-11-30T10:00:00Z")
        .build();
    let next = conditions::next(
        &snapshot.history.conditions,
        &snapshot.instances,
        25_000,
        snapshot.observed_at,
    );
    assert_eq!(next["orders-2"].since, at("2026-11-30T10:00:00Z"));
    assert_eq!(next["orders-1"].state, "ONLINE");
    assert_eq!(next["orders-1"].since, snapshot.observed_at);
}

// ---- properties ----------------------------------------------------------------------------

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

#[derive(Debug, Clone)]
struct Noise {
    viewer: usize,
    member: usize,
    state: Option<MemberState>,
}

fn noise() -> impl Strategy<Value = Noise> {
    (
        0usize..9,
        0usize..10,
        prop::option::of(prop::sample::select(vec![
            MemberState::Online,
            MemberState::Recovering,
            MemberState::Offline,
            MemberState::Error,
            MemberState::Unreachable,
        ])),
    )
        .prop_map(|(viewer, member, state)| Noise {
            viewer,
            member,
            state,
        })
}

fn scenario() -> impl Strategy<Value = crate::snapshot::Snapshot> {
    (
        1usize..=9,
        prop::collection::vec((0usize..9, fault()), 0..8),
        prop::option::of(prop::collection::btree_set(0usize..9, 1..4)),
        any::<bool>(),
        prop::collection::vec(noise(), 0..4),
        policy_strategy(),
        history_strategy(),
        any::<bool>(),
    )
        .prop_map(|(n, faults, side, split, noise, policy, history, outage)| {
            let id = |i: usize| format!("orders-{}", i % n + 1);
            let mut b = ClusterBuilder::healthy(n).policy(|p| *p = policy);
            if outage {
                b = b.complete_outage();
            }
            for (i, fault) in faults {
                let m = id(i);
                b = match fault {
                    Fault::Stopped => b.gr_stopped(&m),
                    Fault::Error => b.error_state(&m),
                    Fault::OfflineMode => b.offline_mode(&m),
                    Fault::Crashed => b.crashed(&m),
                    Fault::Timeout => b.unreadable(
                        &m,
                        ProbeError::Timeout {
                            during: "connect".into(),
                        },
                        false,
                    ),
                    Fault::Recovering => b.recovering(&m),
                    Fault::RdsStatus(s) => b.rds_status(&m, s),
                    Fault::Errant => {
                        b.executed(&m, &format!("{GROUP}:1-100,{}:1-3", server_uuid(i % n + 1)))
                    }
                    Fault::Behind(k) => b.executed(&m, &format!("{GROUP}:1-{k}")),
                    Fault::Purged(k) => b.purged(&m, &format!("{GROUP}:1-{k}")),
                    Fault::Lagging => b.applier_queue(&m, 1_000_000).condition_since(
                        &m,
                        conditions::LAGGING,
                        "2026-11-29T00:00:00Z",
                    ),
                };
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
                let viewer = noise.viewer % n;
                if let Observed::Seen(report) = &mut snapshot.instances[viewer].mysql {
                    let uuid = server_uuid(noise.member % (n + 1) + 1);
                    report.view.retain(|row| row.member_id != uuid);
                    if let Some(state) = noise.state {
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
            snapshot
        })
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
    )
        .prop_map(|(observe, expel, bootstrap, floor, budget, huge)| Policy {
            mode: if observe { Mode::Observe } else { Mode::Act },
            expel,
            bootstrap,
            fault_tolerance_floor: floor,
            cluster_budget: budget,
            member_cooldown_secs: if huge { u64::MAX } else { 600 },
            recovering_deadline_secs: if huge { u64::MAX } else { 60 },
            ..Policy::default()
        })
}

fn history_strategy() -> impl Strategy<Value = History> {
    let action = (
        prop::sample::select(vec![
            ActionKind::Rejoin,
            ActionKind::Reboot,
            ActionKind::Expel,
            ActionKind::Bootstrap,
        ]),
        1usize..=9,
        0i64..7200,
        prop::sample::select(vec![Outcome::Pending, Outcome::Succeeded, Outcome::Failed]),
    )
        .prop_map(|(kind, i, ago, outcome)| PastAction {
            kind,
            instance: format!("orders-{i}"),
            at: at("2026-11-30T12:00:00Z") - chrono::Duration::seconds(ago),
            outcome,
        });
    (
        prop::collection::vec(action, 0..3),
        prop::option::of(-3600i64..3600),
        prop::option::of(1usize..=9),
        any::<bool>(),
    )
        .prop_map(|(actions, pause, recovering_since, approval)| {
            let now = at("2026-11-30T12:00:00Z");
            let mut history = History {
                actions,
                paused: pause.map(|s| Pause {
                    until: now + chrono::Duration::seconds(s),
                    reason: "maintenance".into(),
                    by: "ops".into(),
                }),
                ..History::default()
            };
            if let Some(i) = recovering_since {
                history.conditions.insert(
                    format!("orders-{i}"),
                    Condition {
                        state: "RECOVERING".into(),
                        since: now - chrono::Duration::hours(5),
                    },
                );
            }
            if approval {
                history.approvals.push(Approval {
                    action: ActionKind::Bootstrap,
                    instance: None,
                    expires: now + chrono::Duration::hours(1),
                    by: "alice".into(),
                });
            }
            history
        })
}

/// An independent reading of the snapshot, for the invariants: which uuids the readable members
/// are, and the views of members that are ONLINE with a majority by MySQL Shell's rule.
struct Reading {
    uuid_of: std::collections::BTreeMap<String, String>,
    quorum_views: Vec<Vec<ViewMember>>,
    any_live_row: bool,
}

fn read(snapshot: &crate::snapshot::Snapshot) -> Reading {
    let mut reading = Reading {
        uuid_of: Default::default(),
        quorum_views: Vec::new(),
        any_live_row: false,
    };
    for instance in &snapshot.instances {
        let Observed::Seen(report) = &instance.mysql else {
            continue;
        };
        reading
            .uuid_of
            .insert(instance.id.clone(), report.server_uuid.clone());
        let own = report
            .view
            .iter()
            .find(|r| r.member_id == report.server_uuid);
        let counted: Vec<&ViewMember> = report
            .view
            .iter()
            .filter(|r| r.member_id == report.server_uuid || r.state != MemberState::Error)
            .collect();
        let reachable = counted
            .iter()
            .filter(|r| r.state != MemberState::Unreachable)
            .count();
        if own.is_some_and(|r| r.state == MemberState::Online) && reachable * 2 > counted.len() {
            reading.quorum_views.push(report.view.clone());
        }
        reading.any_live_row |= report
            .view
            .iter()
            .any(|r| matches!(r.state, MemberState::Online | MemberState::Recovering));
    }
    reading
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn planning_is_deterministic_and_takes_at_most_one_action(snapshot in scenario()) {
        let first = plan(&snapshot);
        prop_assert_eq!(&first, &plan(&snapshot));
        // At most one action, disruptive or not: `Plan::action` is an `Option`.
    }

    #[test]
    fn no_bootstrap_while_any_view_shows_a_live_member(snapshot in scenario()) {
        let plan = plan(&snapshot);
        if read(&snapshot).any_live_row {
            prop_assert!(
                plan.action.iter().all(|a| a.kind != ActionKind::Bootstrap),
                "{:#?}", plan
            );
        }
    }

    #[test]
    fn bootstrap_only_when_every_member_was_read_or_is_down(snapshot in scenario()) {
        let plan = plan(&snapshot);
        if plan.action.iter().any(|a| a.kind == ActionKind::Bootstrap) {
            for instance in &snapshot.instances {
                // Down through RDS: a status in which MySQL cannot run.
                let down = instance.rds.seen().is_some_and(|r| {
                    ["stopped", "failed", "storage-full", "incompatible-parameters"]
                        .contains(&r.status.0.as_str())
                });
                prop_assert!(instance.mysql.seen().is_some() || down, "{:#?}", plan);
            }
        }
    }

    #[test]
    fn no_action_leaves_fewer_online_members_than_a_majority(snapshot in scenario()) {
        let plan = plan(&snapshot);
        let reading = read(&snapshot);
        let majority = snapshot.instances.len() / 2 + 1;
        let floor = snapshot.policy.fault_tolerance_floor as usize;
        // A rejoin or a bootstrap only adds members (on a running member both fail with 3093);
        // an expel or a reboot takes its target out.
        let removing = plan.action.iter()
            .filter(|a| matches!(a.kind, ActionKind::Expel | ActionKind::Reboot));
        let read_uuids: BTreeSet<&String> = reading.uuid_of.values().collect();
        for action in removing {
            // The rows that may be the target: its uuid when it was read; when it was not, any
            // ONLINE row no read member accounts for.
            let is_target = |row: &ViewMember| match reading.uuid_of.get(&action.instance) {
                Some(uuid) => &row.member_id == uuid,
                None => row.state == MemberState::Online && !read_uuids.contains(&row.member_id),
            };
            for view in &reading.quorum_views {
                let Some(target) = view.iter().find(|r| is_target(r)) else { continue };
                let online = view.iter().filter(|r| r.state == MemberState::Online).count();
                let counted = view.iter().filter(|r| r.state != MemberState::Error).count();
                let reachable = view.iter()
                    .filter(|r| !matches!(r.state, MemberState::Error | MemberState::Unreachable))
                    .count();
                if target.state == MemberState::Online {
                    let after = online - 1;
                    prop_assert!(after >= majority, "{} leaves {} ONLINE: {:#?}", action.instance, after, plan);
                    prop_assert!(after.saturating_sub(1) / 2 >= floor, "{:#?}", plan);
                }
                if target.state != MemberState::Error {
                    let reachable_after = reachable - usize::from(target.state != MemberState::Unreachable);
                    prop_assert!(reachable_after * 2 > counted - 1, "{} breaks the view's quorum: {:#?}", action.instance, plan);
                }
            }
        }
    }

    #[test]
    fn every_refusal_and_action_says_why(snapshot in scenario()) {
        let plan = plan(&snapshot);
        prop_assert!(plan.refused.iter().all(|r| !r.reason.trim().is_empty()));
        prop_assert!(plan.action.iter().all(|a| !a.reason.trim().is_empty()));
        prop_assert!(plan.findings.iter().all(|f| !f.message.trim().is_empty()));
    }

    #[test]
    fn paused_or_observing_clusters_take_no_action(snapshot in scenario()) {
        let plan = plan(&snapshot);
        let paused = snapshot.history.paused.as_ref().is_some_and(|p| p.until > snapshot.observed_at);
        if paused || snapshot.policy.mode == Mode::Observe {
            prop_assert!(plan.action.is_none(), "{:#?}", plan);
        }
    }

    #[test]
    fn actions_target_available_inventory_instances_only(snapshot in scenario()) {
        let plan = plan(&snapshot);
        let ids: BTreeSet<&str> = snapshot.instances.iter().map(|i| i.id.as_str()).collect();
        if let Some(action) = &plan.action {
            prop_assert!(ids.contains(action.instance.as_str()));
            let instance = snapshot.instances.iter().find(|i| i.id == action.instance);
            let available = instance
                .and_then(|i| i.rds.seen())
                .is_some_and(|r| r.status.is_available());
            prop_assert!(available, "{:#?}", plan);
        }
    }

    #[test]
    fn no_member_with_errant_gtids_is_rejoined(snapshot in scenario()) {
        let plan = plan(&snapshot);
        let reading = read(&snapshot);
        for action in plan.action.iter().filter(|a| a.kind == ActionKind::Rejoin) {
            let joiner = snapshot.instances.iter()
                .find(|i| i.id == action.instance)
                .and_then(|i| i.mysql.seen())
                .map(|r| r.gtid_executed.clone())
                .unwrap_or_default();
            // What the live group's ONLINE members hold, read from the members themselves.
            let online: BTreeSet<&String> = reading.quorum_views.iter().flatten()
                .filter(|r| r.state == MemberState::Online)
                .map(|r| &r.member_id)
                .collect();
            let group = snapshot.instances.iter()
                .filter_map(|i| i.mysql.seen())
                .filter(|r| online.contains(&r.server_uuid))
                .fold(crate::gtid::GtidSet::new(), |acc, r| acc.union(&r.gtid_executed));
            prop_assert!(joiner.is_subset(&group), "{:#?}", plan);
        }
    }
}

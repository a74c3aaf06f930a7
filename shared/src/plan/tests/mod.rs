//! Planner tests: situations spelled out (here and in `situations`), the counterexamples random
//! testing found (`regressions`), and the safety invariants (`invariants`, read from the snapshot
//! independently of the planner) as properties over thousands of random snapshots from the
//! generators (`generate`, `properties`). The documented examples in `docs/examples/` are
//! checked through the CLI in `cli/tests/`.

mod copies;
mod decisions;
mod drift;
mod endpoints;
mod generate;
mod invariants;
mod maintenance;
mod mysql_9_7;
mod properties;
mod regressions;
mod retries;
mod roll;
mod situations;
mod twins;
mod versions;

use super::*;
use crate::fixtures::{ClusterBuilder, at};
use crate::proptest_seed::config;

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

/// The fault tolerance warning starts below the floor, not at it: three ONLINE members tolerate
/// one failure, which a floor of one accepts and a floor of two does not.
#[test]
fn the_tolerance_warning_starts_below_the_floor() {
    let warned = |floor: u32| {
        let plan = plan(
            &ClusterBuilder::healthy(3)
                .policy(|p| p.fault_tolerance_floor = floor)
                .build(),
        );
        plan.findings
            .iter()
            .any(|f| f.kind == FindingKind::FaultToleranceLow)
    };
    assert!(!warned(1), "a tolerance at the floor is enough");
    assert!(warned(2), "a tolerance below the floor is warned of");
}

/// A member whose own applier queue stays above the limit carries the LAGGING label, and past
/// the deadline it is expelled (when expel is on): flow control slows every writer to its pace.
#[test]
fn a_member_lagging_past_the_deadline_is_expelled() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .applier_queue("orders-3", 1_000_000)
            .condition_since("orders-3", conditions::LAGGING, "2026-11-30T10:00:00Z")
            .policy(|p| p.expel = true)
            .build(),
    );
    assert_eq!(plan.conditions["orders-3"].state, conditions::LAGGING);
    assert_eq!(one_action(&plan), (ActionKind::Expel, "orders-3"));
}

/// The LAGGING label starts above the applier queue limit, not at it.
#[test]
fn a_queue_at_the_limit_is_not_lagging() {
    let label = |queue: u64| {
        plan(
            &ClusterBuilder::healthy(3)
                .applier_queue("orders-3", queue)
                .policy(|p| p.applier_queue_limit = 100)
                .build(),
        )
        .conditions["orders-3"]
            .state
            .clone()
    };
    assert_eq!(label(100), "ONLINE");
    assert_eq!(label(101), conditions::LAGGING);
}

/// The label (journaled, published as a topology event) tells a member in offline mode, whose
/// exit action locked clients out, from one that cannot be reached at all.
#[test]
fn offline_mode_and_unreachable_members_are_labelled_apart() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .offline_mode("orders-2")
            .crashed("orders-3")
            .build(),
    );
    assert_eq!(plan.conditions["orders-2"].state, "OFFLINE_MODE");
    assert_eq!(plan.conditions["orders-3"].state, "UNREACHABLE");
}

/// A member that cannot be read is called unreachable only while RDS reports it running: one
/// RDS has stopped, or is busy with (rebooting), is expected to be out of reach, and its own
/// finding says why.
#[test]
fn a_member_rds_has_stopped_or_is_busy_with_is_not_called_unreachable() {
    let kinds = |status: &str| -> Vec<FindingKind> {
        plan(
            &ClusterBuilder::healthy(3)
                .crashed("orders-3")
                .rds_status("orders-3", status)
                .build(),
        )
        .findings
        .iter()
        .filter(|f| f.instance.as_deref() == Some("orders-3"))
        .map(|f| f.kind)
        .collect()
    };
    assert!(kinds("available").contains(&FindingKind::MemberUnreachable));
    for (status, why) in [
        ("stopped", FindingKind::MemberStopped),
        ("rebooting", FindingKind::InstanceChanging),
    ] {
        let kinds = kinds(status);
        assert!(kinds.contains(&why), "{status}: {kinds:?}");
        assert!(
            !kinds.contains(&FindingKind::MemberUnreachable),
            "{status}: {kinds:?}"
        );
    }
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
    assert!(plan.action.as_ref().unwrap().reason.contains("read-only"));
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
                    placeholders: None,
                    maintenance: None,
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
                    placeholders: None,
                    maintenance: None,
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
                    gives_up: Vec::new(),
                    expires: at("2026-11-30T13:00:00Z"),
                    by: "alice".into(),
                    gtids: None,
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

//! Rolling maintenance spelled out: off by default, the order (newer versions first, the lowest
//! last), one member at a time (the last step's member back, caught up and its work cleared
//! before the next), a member that does not come back stopping the roll with an incident, the
//! guards (majority, fault tolerance floor, approval, pause, budgets), and what the plan shows.
//! The random side is `properties::rolling_maintenance_keeps_every_invariant`.

use super::*;
use crate::fixtures::pending_maintenance as pending;
use crate::model::Observed;
use crate::plan::roll::RollStep;

/// `n` members, each holding `actions` pending (and parameters waiting for a reboot when
/// `reboot`), rolled automatically.
fn holding(n: usize, actions: &[&str], reboot: bool) -> ClusterBuilder {
    let actions: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
    (1..=n)
        .fold(ClusterBuilder::healthy(n), |b, i| {
            let actions = actions.clone();
            b.rds(&format!("orders-{i}"), move |r| {
                r.pending_maintenance =
                    Some(Observed::Seen(actions.iter().map(|a| pending(a)).collect()));
                if reboot {
                    r.parameter_apply_status = Some("pending-reboot".into());
                }
            })
        })
        .policy(|p| p.maintenance = MaintenancePolicy::Auto)
}

fn step(instance: &str, step: MaintenanceStep, at: &str, outcome: Outcome) -> PastAction {
    PastAction {
        kind: ActionKind::Maintenance,
        instance: instance.into(),
        at: crate::fixtures::at(at),
        outcome,
        placeholders: None,
        maintenance: Some(step),
    }
}

fn reboot() -> MaintenanceStep {
    MaintenanceStep::Reboot
}

fn upgrade() -> MaintenanceStep {
    MaintenanceStep::Apply("db-upgrade".into())
}

fn steps(roll: &[RollStep]) -> Vec<String> {
    roll.iter().map(ToString::to_string).collect()
}

#[test]
fn rolling_maintenance_is_off_unless_the_policy_allows_it() {
    let snapshot = holding(3, &["db-upgrade"], true)
        .policy(|p| p.maintenance = MaintenancePolicy::Off)
        .build();
    let plan = plan(&snapshot);
    assert!(plan.action.is_none() && plan.roll.is_none(), "{plan:#?}");
    assert!(plan.refused.is_empty(), "{plan:#?}");
}

#[test]
fn a_roll_takes_the_first_member_and_shows_every_step_in_order() {
    let plan = plan(&holding(3, &["db-upgrade"], true).build());
    let action = plan.action.clone().expect("a step");
    assert_eq!(
        (action.kind, action.instance.as_str(), action.maintenance),
        (ActionKind::Maintenance, "orders-1", Some(upgrade()))
    );
    let roll = plan.roll.expect("a roll");
    assert!(roll.done.is_empty() && roll.current.is_none());
    assert_eq!(
        steps(&roll.remaining),
        [
            "orders-1 (db-upgrade)",
            "orders-1 (reboot for pending parameters)",
            "orders-2 (db-upgrade)",
            "orders-2 (reboot for pending parameters)",
            "orders-3 (db-upgrade)",
            "orders-3 (reboot for pending parameters)",
        ]
    );
    assert!(
        plan.findings
            .iter()
            .any(|f| f.kind == FindingKind::MaintenanceRolling),
        "{:#?}",
        plan.findings
    );
}

#[test]
fn members_on_newer_versions_go_first_and_the_lowest_last() {
    let snapshot = holding(3, &["db-upgrade"], false)
        .version("orders-1", "8.0.35")
        .version("orders-3", "8.0.37")
        .build();
    let plan = plan(&snapshot);
    assert_eq!(one_action(&plan), (ActionKind::Maintenance, "orders-3"));
    assert_eq!(
        steps(&plan.roll.expect("a roll").remaining),
        [
            "orders-3 (db-upgrade)",
            "orders-2 (db-upgrade)",
            "orders-1 (db-upgrade)"
        ]
    );
}

#[test]
fn the_next_member_waits_until_the_last_one_is_back_with_its_step_cleared() {
    let base = || {
        holding(3, &[], true).history(|h| {
            h.actions.push(step(
                "orders-1",
                reboot(),
                "2026-11-30T11:50:00Z",
                Outcome::Succeeded,
            ))
        })
    };
    // Still rebooting: no step, the roll says whom it waits for.
    let plan_rebooting = plan(&base().rds_status("orders-1", "rebooting").build());
    assert!(plan_rebooting.action.is_none(), "{plan_rebooting:#?}");
    let roll = plan_rebooting.roll.clone().expect("a roll");
    assert_eq!(
        roll.current.as_ref().map(ToString::to_string).as_deref(),
        Some("orders-1 (reboot for pending parameters)")
    );
    assert!(!roll.stalled);
    assert_eq!(
        steps(&roll.remaining),
        [
            "orders-2 (reboot for pending parameters)",
            "orders-3 (reboot for pending parameters)"
        ]
    );
    // Back ONLINE but RDS has not applied the parameters yet (the reboot not started): waits.
    let plan_pending = plan(&base().build());
    assert!(plan_pending.action.is_none(), "{plan_pending:#?}");
    // Back but lagging: waits.
    let lagging = base()
        .rds("orders-1", |r| {
            r.parameter_apply_status = Some("in-sync".into())
        })
        .applier_queue("orders-1", 5000);
    assert!(plan(&lagging.build()).action.is_none());
    // Back, caught up, cleared: the next member.
    let back = base().rds("orders-1", |r| {
        r.parameter_apply_status = Some("in-sync".into())
    });
    let plan_back = plan(&back.build());
    assert_eq!(
        one_action(&plan_back),
        (ActionKind::Maintenance, "orders-2")
    );
    let roll = plan_back.roll.expect("a roll");
    assert_eq!(
        steps(&roll.done),
        ["orders-1 (reboot for pending parameters)"]
    );
    assert_eq!(
        steps(&roll.remaining),
        [
            "orders-2 (reboot for pending parameters)",
            "orders-3 (reboot for pending parameters)"
        ]
    );
}

#[test]
fn a_member_that_does_not_come_back_in_time_stops_the_roll_with_an_incident() {
    let snapshot = holding(3, &["db-upgrade"], false)
        .history(|h| {
            h.actions.push(step(
                "orders-2",
                upgrade(),
                "2026-11-30T10:30:00Z",
                Outcome::Succeeded,
            ))
        })
        .rds_status("orders-2", "upgrading")
        .build();
    let plan = plan(&snapshot);
    assert!(plan.action.is_none(), "{plan:#?}");
    let stalled: Vec<&Finding> = plan
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::MaintenanceStalled)
        .collect();
    assert_eq!(stalled.len(), 1, "{plan:#?}");
    assert_eq!(stalled[0].severity, Severity::Critical);
    assert!(
        stalled[0].message.contains("orders-2") && stalled[0].message.contains("3600s"),
        "{}",
        stalled[0].message
    );
    assert!(plan.roll.expect("a roll").stalled);
    // Within the bound it only waits.
    let early = holding(3, &["db-upgrade"], false)
        .history(|h| {
            h.actions.push(step(
                "orders-2",
                upgrade(),
                "2026-11-30T11:30:00Z",
                Outcome::Succeeded,
            ))
        })
        .rds_status("orders-2", "upgrading")
        .build();
    let plan = crate::plan::plan(&early);
    assert!(
        plan.findings
            .iter()
            .all(|f| f.kind != FindingKind::MaintenanceStalled),
        "{plan:#?}"
    );
}

#[test]
fn a_step_never_takes_the_majority_or_the_tolerance_floor() {
    let two = plan(&holding(2, &["system-update"], false).build());
    assert!(two.action.is_none(), "{two:#?}");
    assert_eq!(guards_of(&two), [Guard::Majority]);
    let floor = plan(
        &holding(3, &["system-update"], false)
            .policy(|p| p.fault_tolerance_floor = 1)
            .build(),
    );
    assert_eq!(guards_of(&floor), [Guard::ToleranceFloor]);
    let five = plan(
        &holding(5, &["system-update"], false)
            .policy(|p| p.fault_tolerance_floor = 1)
            .build(),
    );
    assert_eq!(one_action(&five), (ActionKind::Maintenance, "orders-1"));
}

#[test]
fn a_member_out_holds_every_step() {
    let plan = plan(
        &holding(5, &["system-update"], false)
            .gr_stopped("orders-4")
            .policy(|p| p.rejoin = false)
            .build(),
    );
    assert!(plan.action.is_none(), "{plan:#?}");
    assert!(
        guards_of(&plan).contains(&Guard::MemberNotBack),
        "{plan:#?}"
    );
}

#[test]
fn approval_pause_and_observe_hold_a_step() {
    let approval = |instance: Option<&str>| Approval {
        action: ActionKind::Maintenance,
        instance: instance.map(str::to_owned),
        gives_up: Vec::new(),
        gtids: None,
        expires: crate::fixtures::at("2026-11-30T13:00:00Z"),
        by: "alice".into(),
    };
    let by_approval = || {
        holding(3, &["system-update"], false)
            .policy(|p| p.maintenance = MaintenancePolicy::Approval)
    };
    assert_eq!(
        guards_of(&plan(&by_approval().build())),
        [Guard::ApprovalRequired]
    );
    let other = by_approval().history(|h| h.approvals.push(approval(Some("orders-2"))));
    assert_eq!(guards_of(&plan(&other.build())), [Guard::ApprovalRequired]);
    let any = by_approval().history(|h| h.approvals.push(approval(None)));
    assert_eq!(
        one_action(&plan(&any.build())),
        (ActionKind::Maintenance, "orders-1")
    );
    let paused = holding(3, &["system-update"], false).history(|h| {
        h.paused_instances.insert(
            "orders-1".into(),
            Pause {
                until: crate::fixtures::at("2026-11-30T13:00:00Z"),
                reason: "by hand".into(),
                by: "alice".into(),
            },
        );
    });
    assert_eq!(guards_of(&plan(&paused.build())), [Guard::Paused]);
    let observe = holding(3, &["system-update"], false).policy(|p| p.mode = Mode::Observe);
    assert_eq!(guards_of(&plan(&observe.build())), [Guard::ObserveMode]);
}

#[test]
fn a_finished_roll_shows_what_was_done_and_no_step() {
    let plan = plan(
        &ClusterBuilder::healthy(3)
            .policy(|p| p.maintenance = MaintenancePolicy::Auto)
            .history(|h| {
                h.actions.push(step(
                    "orders-1",
                    reboot(),
                    "2026-11-30T11:00:00Z",
                    Outcome::Succeeded,
                ))
            })
            .build(),
    );
    assert!(plan.action.is_none());
    let roll = plan.roll.expect("a roll");
    assert!(roll.current.is_none() && roll.remaining.is_empty());
    assert_eq!(
        steps(&roll.done),
        ["orders-1 (reboot for pending parameters)"]
    );
}

#[test]
fn actions_rds_only_tells_of_are_not_rolled() {
    let plan = plan(&holding(3, &["ca-certificate-rotation"], false).build());
    assert!(plan.action.is_none() && plan.roll.is_none(), "{plan:#?}");
}

#[test]
fn the_bounds_are_inclusive_a_queue_at_the_limit_and_a_step_at_the_deadline() {
    // An applier queue of exactly GRKEEPER_MAINTENANCE_MAX_QUEUE is caught up.
    let at_limit = holding(3, &["system-update"], false).applier_queue("orders-2", 100);
    assert_eq!(
        one_action(&plan(&at_limit.build())),
        (ActionKind::Maintenance, "orders-1")
    );
    let above = holding(3, &["system-update"], false).applier_queue("orders-2", 101);
    assert_eq!(guards_of(&plan(&above.build())), [Guard::MemberNotBack]);
    // A member out for exactly GRKEEPER_MAINTENANCE_RETURN_SECS is waited for, one second more
    // stops the roll.
    let out_since = |at: &str| {
        let snapshot = holding(3, &["db-upgrade"], false)
            .history(|h| {
                h.actions
                    .push(step("orders-2", upgrade(), at, Outcome::Succeeded))
            })
            .rds_status("orders-2", "upgrading")
            .build();
        plan(&snapshot).roll.expect("a roll").stalled
    };
    assert!(!out_since("2026-11-30T11:00:00Z"));
    assert!(out_since("2026-11-30T10:59:59Z"));
}

#[test]
fn only_maintenance_steps_that_ran_make_the_roll() {
    let other = |kind: ActionKind, outcome: Outcome| PastAction {
        maintenance: None,
        kind,
        ..step("orders-3", reboot(), "2026-11-30T11:30:00Z", outcome)
    };
    let snapshot = ClusterBuilder::healthy(3)
        .policy(|p| p.maintenance = MaintenancePolicy::Auto)
        .history(|h| {
            h.actions.push(step(
                "orders-1",
                reboot(),
                "2026-11-30T11:00:00Z",
                Outcome::Succeeded,
            ));
            h.actions
                .push(other(ActionKind::Rejoin, Outcome::Succeeded));
            h.actions.push(step(
                "orders-2",
                reboot(),
                "2026-11-30T11:40:00Z",
                Outcome::NotAttempted,
            ));
        })
        .build();
    let roll = plan(&snapshot).roll.expect("a roll");
    assert_eq!(
        steps(&roll.done),
        ["orders-1 (reboot for pending parameters)"]
    );
    assert!(roll.current.is_none());
}

#[test]
fn a_member_back_offline_from_its_step_is_rejoined_without_waiting_for_the_cooldown() {
    let snapshot = holding(3, &[], false)
        .history(|h| {
            h.actions.push(step(
                "orders-1",
                reboot(),
                "2026-11-30T11:55:00Z",
                Outcome::Succeeded,
            ))
        })
        .gr_stopped("orders-1")
        .build();
    let plan = plan(&snapshot);
    assert_eq!(one_action(&plan), (ActionKind::Rejoin, "orders-1"));
}

#[test]
fn the_rolling_finding_lists_what_is_done_next_and_left() {
    let plan = plan(&holding(2, &["db-upgrade"], true).build());
    let told: Vec<&str> = plan
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::MaintenanceRolling)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        told,
        [
            "Rolling maintenance: done nothing; next orders-1 (db-upgrade); then orders-1 (reboot \
          for pending parameters), orders-2 (db-upgrade), orders-2 (reboot for pending \
          parameters)."
        ]
    );
}

/// A member RDS still works on (its status not `available`) is not back, ONLINE, caught up and
/// its step cleared as it may be: the roll waits for the last step's member in that state, and
/// no step starts while any member is in it.
#[test]
fn a_member_rds_still_works_on_is_not_back() {
    let stepped = holding(3, &["db-upgrade"], false)
        .rds("orders-1", |r| {
            r.pending_maintenance = Some(Observed::Seen(vec![]))
        })
        .history(|h| {
            h.actions.push(step(
                "orders-1",
                upgrade(),
                "2026-11-30T11:50:00Z",
                Outcome::Succeeded,
            ))
        })
        .rds_status("orders-1", "upgrading")
        .build();
    let p = plan(&stepped);
    assert!(p.action.is_none(), "{p:#?}");
    let roll = p.roll.clone().expect("a roll");
    assert_eq!(
        roll.current.as_ref().map(ToString::to_string).as_deref(),
        Some("orders-1 (db-upgrade)"),
        "{p:#?}"
    );
    assert!(
        p.findings
            .iter()
            .any(|f| f.kind == FindingKind::MaintenanceRolling
                && f.instance.as_deref() == Some("orders-1")
                && f.message.contains("RDS reports it upgrading")),
        "{p:#?}"
    );
    // No step journaled: another member RDS works on holds the first step.
    let p = plan(
        &holding(3, &["system-update"], false)
            .rds_status("orders-3", "modifying")
            .build(),
    );
    assert!(p.action.is_none(), "{p:#?}");
    assert_eq!(
        p.refused
            .iter()
            .map(|r| (r.action, r.instance.as_str(), r.guard))
            .collect::<Vec<_>>(),
        [(ActionKind::Maintenance, "orders-1", Guard::MemberNotBack)],
        "{p:#?}"
    );
}

/// A step waits while a split brain is remembered, though the views no longer show it: a roll
/// is chosen, never needed, and takes members down. (A remembered member outside the inventory
/// is kept while a group holds quorum only as long as a view lists it, and then
/// `strangers::none_in_views` refuses the step first.)
#[test]
fn no_step_while_a_split_brain_is_remembered() {
    let refused = |builder: ClusterBuilder| {
        let p = plan(&builder.build());
        assert!(p.action.is_none(), "{p:#?}");
        p.refused
            .iter()
            .map(|r| (r.action, r.instance.clone(), r.guard))
            .collect::<Vec<_>>()
    };
    let step = |guard| vec![(ActionKind::Maintenance, "orders-1".to_owned(), guard)];
    let split = holding(3, &["db-upgrade"], false).history(|h| {
        h.split_brain = Some(SplitBrain {
            first_seen: crate::fixtures::at("2026-11-30T10:00:00Z"),
            last_seen: crate::fixtures::at("2026-11-30T10:30:00Z"),
            sides: vec![
                vec![
                    crate::fixtures::server_uuid(1),
                    crate::fixtures::server_uuid(2),
                ],
                vec![crate::fixtures::server_uuid(3)],
            ],
        });
    });
    assert_eq!(refused(split), step(Guard::SplitBrain));
}

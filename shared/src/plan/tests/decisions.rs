//! What the playbooks and guards decide at the boundaries mutation testing (`scripts/mutants`,
//! see `docs/testing.md`) found no other test pinning down: one situation each, the decision
//! (action, refusal, finding kind, severity and member) asserted whole.

use crate::fixtures::{ClusterBuilder, at};
use crate::model::ProbeError;
use crate::plan::conditions::MINORITY;
use crate::plan::{
    ActionKind, FindingKind, Guard, Outcome, PastAction, Pause, Plan, Severity, plan,
};

fn action(plan: &Plan) -> Option<(ActionKind, &str)> {
    plan.action.as_ref().map(|a| (a.kind, a.instance.as_str()))
}

/// The findings of `kind`: (member, severity).
fn findings(plan: &Plan, kind: FindingKind) -> Vec<(Option<&str>, Severity)> {
    plan.findings
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| (f.instance.as_deref(), f.severity))
        .collect()
}

/// A member ONLINE on the minority side of a partition is fenced once the partition outlasts
/// its deadline (a warning before), while the majority carries on; a member outside the group
/// that is not ONLINE is no minority partition.
#[test]
fn a_minority_member_is_fenced_past_the_deadline_and_only_it() {
    let partitioned = |since: &str| {
        ClusterBuilder::healthy(5)
            .partition(&["orders-5"])
            .condition_since("orders-5", MINORITY, since)
            .policy(|p| p.expel = true)
            .build()
    };
    // The deadline is 60 s; partitioned for an hour.
    let late = plan(&partitioned("2026-11-30T11:00:00Z"));
    assert_eq!(
        action(&late),
        Some((ActionKind::Expel, "orders-5")),
        "{late:#?}"
    );
    assert_eq!(
        findings(&late, FindingKind::MinorityPartition),
        vec![(Some("orders-5"), Severity::Critical)]
    );
    // For 30 s: a warning, nothing fenced.
    let early = plan(&partitioned("2026-11-30T11:59:30Z"));
    assert_eq!(action(&early), None, "{early:#?}");
    assert_eq!(
        findings(&early, FindingKind::MinorityPartition),
        vec![(Some("orders-5"), Severity::Warning)]
    );
    // OFFLINE outside the group: rejoined, no partition.
    let stopped = plan(&ClusterBuilder::healthy(3).gr_stopped("orders-3").build());
    assert_eq!(action(&stopped), Some((ActionKind::Rejoin, "orders-3")));
    assert_eq!(findings(&stopped, FindingKind::MinorityPartition), vec![]);
}

/// The group lost quorum: the one member still ONLINE is fenced toward a re-bootstrap once the
/// partition deadline passed, the members out of any group (and only they) named as such; with a
/// member that cannot be read and is not down among them, nothing is fenced.
#[test]
fn a_hung_minority_is_fenced_only_when_every_other_member_is_proven_out() {
    let lost = || {
        ClusterBuilder::healthy(3)
            .partition(&["orders-1"])
            .gr_stopped("orders-2")
            .gr_stopped("orders-3")
            .condition_since("orders-1", MINORITY, "2026-11-30T11:00:00Z")
    };
    let p = plan(&lost().build());
    assert_eq!(action(&p), Some((ActionKind::Expel, "orders-1")), "{p:#?}");
    let reason = &p
        .action
        .as_ref()
        .map(|a| a.reason.clone())
        .unwrap_or_default();
    assert!(
        reason.contains("orders-2, orders-3 are out of any group"),
        "{reason}"
    );
    assert!(p.refused.is_empty(), "{p:#?}");
    let unread = plan(
        &lost()
            .unreadable(
                "orders-3",
                ProbeError::Timeout {
                    during: "connect".into(),
                },
                false,
            )
            .build(),
    );
    assert_eq!(action(&unread), None, "{unread:#?}");
    assert_eq!(
        unread
            .refused
            .iter()
            .map(|r| (r.guard, r.instance.as_str()))
            .collect::<Vec<_>>(),
        vec![(Guard::UnobservedMember, "orders-1")]
    );
    assert_eq!(
        findings(&unread, FindingKind::UnobservedMember),
        vec![(Some("orders-3"), Severity::Critical)]
    );
}

/// A member back in ERROR after its reboot 20 minutes ago (past the cooldown, within the reboot
/// budget) is not rebooted again: a critical "rebuild needed" and the refusal say why.
#[test]
fn a_member_that_left_again_after_its_reboot_is_not_rebooted_again() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .error_state("orders-3")
            .history(|h| {
                h.actions.push(PastAction {
                    kind: ActionKind::Reboot,
                    instance: "orders-3".into(),
                    at: at("2026-11-30T11:40:00Z"),
                    outcome: Outcome::Succeeded,
                    placeholders: None,
                    maintenance: None,
                });
            })
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    assert_eq!(
        p.refused
            .iter()
            .map(|r| (r.action, r.guard, r.instance.as_str()))
            .collect::<Vec<_>>(),
        vec![(ActionKind::Reboot, Guard::RebuildNeeded, "orders-3")]
    );
    assert_eq!(
        findings(&p, FindingKind::RebuildNeeded),
        vec![(Some("orders-3"), Severity::Critical)]
    );
}

/// A pause holds until its very second: at `until` it is over, a second before it still holds
/// (the cluster's and a member's alike).
#[test]
fn a_pause_is_over_at_its_very_second() {
    let paused = |until: &str, member: bool| {
        let pause = Pause {
            until: at(until),
            reason: "maintenance".into(),
            by: "ops".into(),
        };
        let p = plan(
            &ClusterBuilder::healthy(3)
                .gr_stopped("orders-3")
                .history(|h| {
                    if member {
                        h.paused_instances.insert("orders-3".into(), pause);
                    } else {
                        h.paused = Some(pause);
                    }
                })
                .build(),
        );
        let taken = action(&p).map(|(kind, instance)| (kind, instance.to_string()));
        (taken, p.refused.iter().map(|r| r.guard).collect::<Vec<_>>())
    };
    for member in [false, true] {
        assert_eq!(
            paused("2026-11-30T12:00:00Z", member),
            (Some((ActionKind::Rejoin, "orders-3".to_string())), vec![])
        );
        assert_eq!(
            paused("2026-11-30T12:00:01Z", member),
            (None, vec![Guard::Paused])
        );
    }
}

/// A member's reboot budget counts its own restarts only: two other members rebooted in the
/// window leave a member in ERROR its budget of two, and two restarts of its own (rolling
/// maintenance steps, so that no reboot of it was in vain) spend it.
#[test]
fn the_reboot_budget_counts_the_members_own_reboots_only() {
    let rebooted = |kind: ActionKind, whom: [&str; 2]| {
        let p = plan(
            &ClusterBuilder::healthy(5)
                .error_state("orders-3")
                .history(|h| {
                    for (instance, at_) in whom.iter().zip(["11:20", "11:30"]) {
                        h.actions.push(PastAction {
                            kind,
                            instance: (*instance).into(),
                            at: at(&format!("2026-11-30T{at_}:00Z")),
                            outcome: Outcome::Succeeded,
                            placeholders: None,
                            maintenance: None,
                        });
                    }
                })
                .build(),
        );
        let taken = action(&p).map(|(kind, instance)| (kind, instance.to_string()));
        (taken, p.refused.iter().map(|r| r.guard).collect::<Vec<_>>())
    };
    assert_eq!(
        rebooted(ActionKind::Reboot, ["orders-1", "orders-2"]),
        (Some((ActionKind::Reboot, "orders-3".to_string())), vec![])
    );
    assert_eq!(
        rebooted(ActionKind::Maintenance, ["orders-3", "orders-3"]).1,
        vec![Guard::RebootBudget]
    );
}

/// A member acted on within the cooldown waits for it: a rejoin that failed five minutes ago is
/// not tried again yet, nor is a member rejoined five minutes ago rebooted; only a verified
/// step's follow-up is exempt (the rejoin of a member a verified reboot brought back OFFLINE).
#[test]
fn the_cooldown_holds_back_all_but_a_verified_steps_follow_up() {
    let after = |builder: ClusterBuilder, kind: ActionKind, outcome: Outcome| {
        let p = plan(
            &builder
                .history(|h| {
                    h.actions.push(PastAction {
                        kind,
                        instance: "orders-3".into(),
                        at: at("2026-11-30T11:55:00Z"),
                        outcome,
                        placeholders: None,
                        maintenance: None,
                    });
                })
                .build(),
        );
        let taken = action(&p).map(|(kind, instance)| (kind, instance.to_string()));
        let refused: Vec<(ActionKind, Guard)> =
            p.refused.iter().map(|r| (r.action, r.guard)).collect();
        (taken, refused)
    };
    let stopped = || ClusterBuilder::healthy(3).gr_stopped("orders-3");
    let error = || ClusterBuilder::healthy(3).error_state("orders-3");
    assert_eq!(
        after(stopped(), ActionKind::Rejoin, Outcome::Failed),
        (None, vec![(ActionKind::Rejoin, Guard::Cooldown)])
    );
    assert_eq!(
        after(error(), ActionKind::Rejoin, Outcome::Succeeded),
        (None, vec![(ActionKind::Reboot, Guard::Cooldown)])
    );
    assert_eq!(
        after(stopped(), ActionKind::Reboot, Outcome::Succeeded),
        (Some((ActionKind::Rejoin, "orders-3".to_string())), vec![])
    );
    // The seed grkeeper stopped Group Replication on (readying it) is then bootstrapped.
    let outage = || ClusterBuilder::healthy(3).complete_outage();
    let expelled = plan(
        &outage()
            .history(|h| {
                h.actions.push(PastAction {
                    kind: ActionKind::Expel,
                    instance: "orders-1".into(),
                    at: at("2026-11-30T11:55:00Z"),
                    outcome: Outcome::Succeeded,
                    placeholders: None,
                    maintenance: None,
                });
            })
            .build(),
    );
    assert_eq!(
        action(&expelled),
        Some((ActionKind::Bootstrap, "orders-1")),
        "{expelled:#?}"
    );
}

/// The cooldown is a window of its length: an action exactly that long ago is out of it.
#[test]
fn an_action_exactly_a_cooldown_ago_no_longer_holds_back() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .gr_stopped("orders-3")
            .history(|h| {
                h.actions.push(PastAction {
                    kind: ActionKind::Rejoin,
                    instance: "orders-3".into(),
                    // The cooldown is 600 s.
                    at: at("2026-11-30T11:50:00Z"),
                    outcome: Outcome::Failed,
                    placeholders: None,
                    maintenance: None,
                });
            })
            .build(),
    );
    assert_eq!(action(&p), Some((ActionKind::Rejoin, "orders-3")), "{p:#?}");
}

/// A deadline is passed once a condition lasted longer than it: a member carrying the label for
/// exactly the deadline is not acted on yet, a second more is (the partition deadline's fence,
/// the lag and recovery deadlines' expel alike).
#[test]
fn a_condition_exactly_its_deadline_old_is_not_overdue_yet() {
    // Observed at 12:00:00; the deadlines are 60 s (partition), 600 s (lag), 1800 s (recovery).
    let lagging = crate::plan::conditions::LAGGING;
    let cases = [
        (MINORITY, "2026-11-30T11:59:00Z", "2026-11-30T11:58:59Z"),
        (lagging, "2026-11-30T11:50:00Z", "2026-11-30T11:49:59Z"),
        ("RECOVERING", "2026-11-30T11:30:00Z", "2026-11-30T11:29:59Z"),
    ];
    let situation = |label: &str| {
        let builder = ClusterBuilder::healthy(5);
        match label {
            MINORITY => builder.partition(&["orders-5"]),
            "RECOVERING" => builder.recovering("orders-5"),
            _ => builder.applier_queue("orders-5", 1_000_000),
        }
    };
    for (label, exactly, past) in cases {
        let since = |time: &str| {
            plan(
                &situation(label)
                    .condition_since("orders-5", label, time)
                    .policy(|p| p.expel = true)
                    .build(),
            )
        };
        let on_time = since(exactly);
        assert_eq!(on_time.conditions["orders-5"].state, label, "{on_time:#?}");
        assert_eq!(action(&on_time), None, "{label}: {on_time:#?}");
        let late = since(past);
        assert_eq!(
            action(&late),
            Some((ActionKind::Expel, "orders-5")),
            "{label}: {late:#?}"
        );
    }
}

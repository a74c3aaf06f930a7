//! The lifecycle: one incident per problem, a message only when what a person should do
//! changes, at most one per incident per tick; with hand-written plans and with the planner's
//! own findings for the failures the demo shows.

use proptest::prelude::*;

use super::*;
use crate::fixtures::ClusterBuilder;
use crate::plan::{FindingKind, Guard, Plan, Severity};
use crate::report::fixtures::{action, finding, plan, planned, refusal, step, taken};
use crate::snapshot::ActionKind;

fn changes(transitions: &[Transition]) -> Vec<(Change, FindingKind, Option<String>)> {
    transitions
        .iter()
        .map(|t| (t.change, t.incident.kind, t.incident.instance.clone()))
        .collect()
}

fn offline(instance: &str) -> Plan {
    plan(
        vec![finding(
            FindingKind::MemberOffline,
            Severity::Warning,
            Some(instance),
        )],
        None,
        vec![],
    )
}

#[test]
fn a_new_warning_finding_opens_an_incident_and_an_info_finding_does_not() {
    let p = plan(
        vec![
            finding(FindingKind::MemberOffline, Severity::Warning, Some("db2")),
            finding(FindingKind::Paused, Severity::Info, None),
        ],
        None,
        vec![],
    );
    let (transitions, open) = reconcile(&[], &[step(p, 0)]);
    assert_eq!(
        changes(&transitions),
        vec![(
            Change::Opened,
            FindingKind::MemberOffline,
            Some("db2".into())
        )]
    );
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, "orders/member_offline/db2/20261130T000000Z");
    assert_eq!(open[0].members, BTreeSet::from(["db2".to_owned()]));
}

#[test]
fn a_steady_state_publishes_nothing_after_the_first_message() {
    let p = plan(
        vec![finding(
            FindingKind::ErrantGtids,
            Severity::Critical,
            Some("db2"),
        )],
        None,
        vec![refusal(
            ActionKind::Rejoin,
            "db2",
            Guard::ErrantGtids,
            "errant: 1-5",
        )],
    );
    let (_, open) = reconcile(&[], &[step(p.clone(), 0)]);
    let mut later = p;
    later.refused[0].reason = "errant: 1-6 (the text changes, the guard does not)".into();
    let (transitions, still_open) = reconcile(&open, &[step(later, 60)]);
    assert!(transitions.is_empty(), "{transitions:?}");
    assert_eq!(still_open.len(), 1);
    assert_eq!(still_open[0].updated, at(0));
}

fn at(secs: i64) -> DateTime<Utc> {
    crate::report::fixtures::at(secs)
}

#[test]
fn a_severity_change_updates_the_incident() {
    let warn = plan(
        vec![finding(
            FindingKind::ApplierLag,
            Severity::Warning,
            Some("db3"),
        )],
        None,
        vec![],
    );
    let (_, open) = reconcile(&[], &[step(warn.clone(), 0)]);
    let mut crit = warn;
    crit.findings[0].severity = Severity::Critical;
    let (transitions, open) = reconcile(&open, &[step(crit, 60)]);
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0].change, Change::Updated);
    assert_eq!(
        transitions[0].why,
        vec![Why::Severity {
            from: Severity::Warning,
            to: Severity::Critical
        }]
    );
    assert_eq!(open[0].severity, Severity::Critical);
    assert_eq!(open[0].updated, at(60));
}

#[test]
fn changes_the_steps_of_one_tick_undo_are_not_told_and_the_others_net() {
    let lag = |severity: Severity| {
        plan(
            vec![finding(FindingKind::ApplierLag, severity, Some("db3"))],
            None,
            vec![],
        )
    };
    let (_, open) = reconcile(&[], &[step(lag(Severity::Warning), 0)]);
    // Critical for one step, warning again by the end of the tick: nothing to tell.
    let (undone, open) = reconcile(
        &open,
        &[
            step(lag(Severity::Critical), 60),
            step(lag(Severity::Warning), 62),
        ],
    );
    assert!(undone.is_empty(), "{undone:#?}");
    assert_eq!(open[0].severity, Severity::Warning);
    // Warning to critical and back, then the member is offline (another lead) and critical:
    // one update, from the first state to the last.
    let mut offline = lag(Severity::Critical);
    offline.findings[0].kind = FindingKind::ErrantGtids;
    let (netted, _) = reconcile(
        &open,
        &[
            step(lag(Severity::Critical), 120),
            step(lag(Severity::Warning), 122),
            step(offline, 124),
        ],
    );
    assert_eq!(netted.len(), 1, "{netted:#?}");
    assert_eq!(netted[0].change, Change::Updated);
    assert_eq!(
        netted[0].why,
        vec![
            Why::Severity {
                from: Severity::Warning,
                to: Severity::Critical
            },
            Why::Lead {
                from: FindingKind::ApplierLag,
                to: FindingKind::ErrantGtids
            }
        ]
    );
}

#[test]
fn an_action_that_works_is_told_with_the_next_message_and_a_failed_one_updates() {
    let (_, open) = reconcile(&[], &[step(offline("db2"), 0)]);
    let mut acting = offline("db2");
    acting.action = Some(action(ActionKind::Rejoin, "db2"));
    // Taken, but the member is still out (verification pending): nothing new to do.
    let (quiet, open) = reconcile(&open, &[taken(acting.clone(), 60, Outcome::Succeeded)]);
    assert!(quiet.is_empty(), "{quiet:?}");
    let (failed, _) = reconcile(&open, &[taken(acting, 120, Outcome::Failed)]);
    assert_eq!(
        failed[0].why,
        vec![Why::ActionFailed {
            action: ActionKind::Rejoin,
            instance: "db2".into()
        }]
    );
    assert_eq!(failed[0].actions.len(), 1);
}

#[test]
fn a_refusal_that_needs_a_person_updates_once_and_a_wait_never() {
    let cooling = plan(
        vec![finding(
            FindingKind::MemberOffline,
            Severity::Warning,
            Some("db2"),
        )],
        None,
        vec![refusal(
            ActionKind::Rejoin,
            "db2",
            Guard::Cooldown,
            "5 min left",
        )],
    );
    let (_, open) = reconcile(&[], &[step(cooling.clone(), 0)]);
    assert!(open[0].refusals.is_empty(), "a cooldown is no news");
    let mut budget = cooling.clone();
    budget.refused = vec![refusal(
        ActionKind::Rejoin,
        "db2",
        Guard::ClusterBudget,
        "3/3",
    )];
    let (first, open) = reconcile(&open, &[step(budget.clone(), 60)]);
    assert_eq!(
        first[0].why,
        vec![Why::NewRefusal(RefusalKey {
            action: ActionKind::Rejoin,
            guard: Guard::ClusterBudget
        })]
    );
    let (back_to_cooldown, open) = reconcile(&open, &[step(cooling, 120)]);
    assert!(back_to_cooldown.is_empty(), "{back_to_cooldown:?}");
    let (budget_again, _) = reconcile(&open, &[step(budget, 180)]);
    assert!(budget_again.is_empty(), "told once: {budget_again:?}");
}

#[test]
fn a_finding_that_is_gone_resolves_its_incident_and_a_relapse_is_a_new_incident() {
    let sick = plan(
        vec![finding(
            FindingKind::MemberError,
            Severity::Critical,
            Some("db1"),
        )],
        None,
        vec![],
    );
    let healthy = plan(vec![], None, vec![]);
    let (_, open) = reconcile(&[], &[step(sick.clone(), 0)]);
    let (resolved, open) = reconcile(&open, &[step(healthy, 60)]);
    assert_eq!(
        changes(&resolved),
        vec![(
            Change::Resolved,
            FindingKind::MemberError,
            Some("db1".into())
        )]
    );
    assert!(!resolved[0].within_tick);
    assert!(open.is_empty());
    let (relapse, open) = reconcile(&open, &[step(sick, 120)]);
    assert_eq!(relapse[0].change, Change::Opened);
    assert_ne!(open[0].id, resolved[0].incident.id);
}

#[test]
fn a_finding_that_falls_to_info_resolves_its_incident() {
    let warn = plan(
        vec![finding(FindingKind::SeedsDrift, Severity::Warning, None)],
        None,
        vec![],
    );
    let (_, open) = reconcile(&[], &[step(warn.clone(), 0)]);
    let mut info = warn;
    info.findings[0].severity = Severity::Info;
    let (transitions, open) = reconcile(&open, &[step(info, 60)]);
    assert_eq!(transitions[0].change, Change::Resolved);
    assert!(open.is_empty());
}

#[test]
fn duplicate_findings_for_one_problem_make_one_incident_with_the_highest_severity() {
    let p = plan(
        vec![
            finding(
                FindingKind::MemberUnreachable,
                Severity::Warning,
                Some("db2"),
            ),
            finding(
                FindingKind::MemberUnreachable,
                Severity::Critical,
                Some("db2"),
            ),
        ],
        None,
        vec![],
    );
    let (transitions, open) = reconcile(&[], &[step(p, 0)]);
    assert_eq!(transitions.len(), 1);
    assert_eq!(open[0].severity, Severity::Critical);
}

#[test]
fn what_keeps_one_member_out_is_one_incident_headed_by_its_cause() {
    let p = plan(
        vec![
            finding(FindingKind::MemberOffline, Severity::Warning, Some("db2")),
            finding(FindingKind::ErrantGtids, Severity::Critical, Some("db2")),
            finding(FindingKind::SeedsDrift, Severity::Warning, Some("db2")),
        ],
        None,
        vec![refusal(
            ActionKind::Rejoin,
            "db2",
            Guard::ErrantGtids,
            "errant",
        )],
    );
    let (transitions, _) = reconcile(&[], &[step(p, 0)]);
    assert_eq!(
        changes(&transitions),
        vec![
            (Change::Opened, FindingKind::ErrantGtids, Some("db2".into())),
            (Change::Opened, FindingKind::SeedsDrift, Some("db2".into())),
        ]
    );
    assert_eq!(transitions[0].incident.severity, Severity::Critical);
    assert_eq!(transitions[0].findings.len(), 2);
    assert_eq!(transitions[0].refused.len(), 1);
    assert!(transitions[1].refused.is_empty());
}

#[test]
fn a_member_dropped_and_rejoined_within_one_tick_is_one_resolved_message_with_the_action() {
    let out = ClusterBuilder::healthy(3).gr_stopped("orders-2");
    let mut first = planned(out, 0);
    assert_eq!(
        first.plan.action.as_ref().map(|a| a.kind),
        Some(ActionKind::Rejoin)
    );
    first.taken = Some(Outcome::Succeeded);
    let (transitions, open) = reconcile(&[], &[first, planned(ClusterBuilder::healthy(3), 5)]);
    assert_eq!(
        changes(&transitions),
        vec![(
            Change::Resolved,
            FindingKind::MemberOffline,
            Some("orders-2".into())
        )]
    );
    assert!(transitions[0].within_tick);
    assert_eq!(transitions[0].actions[0].action.kind, ActionKind::Rejoin);
    assert!(open.is_empty());
}

/// The demo's third act: every mysqld down (nothing can be read), then every member back
/// OFFLINE and repaired step by step in the next tick.
fn outage_unread() -> Step {
    let timeout = crate::model::ProbeError::Refused {
        message: "Connection refused (os error 111)".into(),
    };
    let mut cluster = ClusterBuilder::healthy(3);
    for id in ["orders-1", "orders-2", "orders-3"] {
        cluster = cluster.unreadable(id, timeout.clone(), false);
    }
    planned(cluster, 0)
}

fn repaired_step_by_step() -> Vec<Step> {
    let mut bootstrap = planned(
        ClusterBuilder::healthy(3)
            .complete_outage()
            .executed("orders-1", &format!("{}:1-90", crate::fixtures::GROUP)),
        3600,
    );
    assert_eq!(
        bootstrap.plan.action.as_ref().map(|a| a.kind),
        Some(ActionKind::Bootstrap),
        "{:#?}",
        bootstrap.plan
    );
    bootstrap.taken = Some(Outcome::Succeeded);
    let mut rejoin = planned(
        ClusterBuilder::healthy(3)
            .gr_stopped("orders-1")
            .gr_stopped("orders-3")
            .executed("orders-1", &format!("{}:1-90", crate::fixtures::GROUP)),
        3602,
    );
    rejoin.taken = Some(Outcome::Succeeded);
    let mut last_rejoin = planned(ClusterBuilder::healthy(3).gr_stopped("orders-3"), 3604);
    last_rejoin.taken = Some(Outcome::Succeeded);
    vec![
        bootstrap,
        rejoin,
        last_rejoin,
        planned(ClusterBuilder::healthy(3), 3606),
    ]
}

#[test]
fn a_complete_outage_takes_in_its_member_findings_and_pages_once_until_repaired() {
    let first = outage_unread();
    assert!(
        first
            .plan
            .findings
            .iter()
            .filter(|f| f.instance.is_some() && f.severity >= Severity::Warning)
            .count()
            >= 3,
        "the planner reports each member too: {:#?}",
        first.plan.findings
    );
    let (opened, open) = reconcile(&[], &[first]);
    assert_eq!(
        changes(&opened),
        vec![(Change::Opened, FindingKind::CompleteOutage, None)]
    );
    let incident = &opened[0].incident;
    assert_eq!(incident.severity, Severity::Critical);
    assert_eq!(incident.members.len(), 3);
    assert!(opened[0].findings.len() >= 4, "{:#?}", opened[0].findings);

    let (repaired, open) = reconcile(&open, &repaired_step_by_step());
    assert_eq!(
        changes(&repaired),
        vec![(Change::Resolved, FindingKind::CompleteOutage, None)]
    );
    // It ends as it was told: the outage, critical, with the three members it took down.
    assert_eq!(repaired[0].incident, *incident);
    let actions: Vec<(ActionKind, &str)> = repaired[0]
        .actions
        .iter()
        .map(|t| (t.action.kind, t.action.instance.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            (ActionKind::Bootstrap, "orders-2"),
            (ActionKind::Rejoin, "orders-1"),
            (ActionKind::Rejoin, "orders-3"),
        ]
    );
    assert!(open.is_empty());
}

#[test]
fn a_repair_cut_short_keeps_the_members_in_the_outage_incident_until_they_are_back() {
    let (_, open) = reconcile(&[], &[outage_unread()]);
    let steps = repaired_step_by_step();
    let (cut_short, open) = reconcile(&open, &steps[..2]);
    assert_eq!(cut_short.len(), 1, "{cut_short:#?}");
    let update = &cut_short[0];
    assert_eq!(update.change, Change::Updated);
    assert_eq!(update.incident.kind, FindingKind::CompleteOutage);
    assert_eq!(update.incident.lead(), FindingKind::MemberOffline);
    assert_eq!(update.incident.severity, Severity::Warning);
    assert_eq!(
        update.incident.members,
        BTreeSet::from(["orders-1".to_owned(), "orders-3".to_owned()])
    );
    let (rest, open) = reconcile(&open, &steps[2..]);
    assert_eq!(
        changes(&rest),
        vec![(Change::Resolved, FindingKind::CompleteOutage, None)]
    );
    assert!(open.is_empty());
}

#[test]
fn a_member_incident_open_before_an_outage_keeps_quiet_during_it_and_resolves_after() {
    let crashed = planned(ClusterBuilder::healthy(3).crashed("orders-1"), 0);
    let (opened, open) = reconcile(&[], &[crashed]);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].incident.instance.as_deref(), Some("orders-1"));
    let (outage, open) = reconcile(&open, &[outage_unread()]);
    assert_eq!(
        changes(&outage),
        vec![(Change::Opened, FindingKind::CompleteOutage, None)],
        "the member's incident says nothing new while the outage speaks for it"
    );
    assert_eq!(open.len(), 2);
    let (repaired, open) = reconcile(&open, &repaired_step_by_step());
    assert_eq!(
        repaired.iter().map(|t| t.change).collect::<Vec<_>>(),
        vec![Change::Resolved, Change::Resolved]
    );
    assert!(open.is_empty());
}

#[test]
fn members_refusing_grkeepers_credentials_stay_their_own_incidents_beside_the_outage_it_sees() {
    let denied = crate::model::ProbeError::Mysql {
        code: 1045,
        message: "Access denied for user 'grkeeper'@'10.0.0.5' (using password: YES)".into(),
    };
    let mut cluster = ClusterBuilder::healthy(3);
    for id in ["orders-1", "orders-2", "orders-3"] {
        cluster = cluster.unreadable(id, denied.clone(), false);
    }
    let (opened, _) = reconcile(&[], &[planned(cluster, 0)]);
    let kinds = changes(&opened);
    assert!(
        kinds.contains(&(Change::Opened, FindingKind::CompleteOutage, None)),
        "{kinds:?}"
    );
    for id in ["orders-1", "orders-2", "orders-3"] {
        assert!(
            kinds.contains(&(Change::Opened, FindingKind::AccessDenied, Some(id.into()))),
            "the credentials, not the group, keep {id} out of sight: {kinds:?}"
        );
    }
    let outage = &opened[0];
    assert!(
        outage
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::AccessDenied),
        "{:#?}",
        outage.findings
    );
}

/// Findings a random tick may hold: cluster conditions, member troubles and drift.
fn any_finding() -> impl Strategy<Value = Finding> {
    let kinds = prop::sample::select(vec![
        FindingKind::CompleteOutage,
        FindingKind::NoQuorum,
        FindingKind::NoGtidSuperset,
        FindingKind::MemberOffline,
        FindingKind::MemberUnreachable,
        FindingKind::UnobservedMember,
        FindingKind::ErrantGtids,
        FindingKind::SeedsDrift,
        FindingKind::FaultToleranceLow,
    ]);
    let instance = prop::sample::select(vec![None, Some("orders-1"), Some("orders-2")]);
    let severity =
        prop::sample::select(vec![Severity::Info, Severity::Warning, Severity::Critical]);
    (kinds, instance, severity)
        .prop_map(|(kind, instance, severity)| finding(kind, severity, instance))
}

proptest! {
    #[test]
    fn every_tick_tells_each_incident_at_most_once_and_keeps_the_books_straight(
        ticks in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(any_finding(), 0..6), 1..4),
            1..6,
        ),
    ) {
        let mut open: Vec<Incident> = Vec::new();
        let mut secs = 0;
        for tick in ticks {
            let steps: Vec<Step> = tick
                .into_iter()
                .map(|findings| {
                    secs += 1;
                    step(plan(findings, None, vec![]), secs)
                })
                .collect();
            let (transitions, next) = reconcile(&open, &steps);
            let ids: BTreeSet<&str> = transitions.iter().map(|t| t.incident.id.as_str()).collect();
            prop_assert_eq!(ids.len(), transitions.len(), "one message per incident per tick");
            for t in &transitions {
                let was_open = open.iter().any(|i| i.id == t.incident.id);
                let is_open = next.iter().any(|i| i.id == t.incident.id);
                match t.change {
                    Change::Opened => prop_assert!(!was_open && is_open),
                    Change::Updated => prop_assert!(was_open && is_open),
                    Change::Resolved => prop_assert!(!is_open && (was_open || t.within_tick)),
                }
            }
            for incident in &open {
                let told = transitions.iter().any(|t| t.incident.id == incident.id);
                let kept = next.iter().any(|i| i.id == incident.id);
                prop_assert!(kept || told, "an incident never disappears unannounced");
            }
            let scopes: Vec<Scope> = next.iter().map(Scope::of).collect();
            let distinct: BTreeSet<&Scope> = scopes.iter().collect();
            prop_assert_eq!(distinct.len(), scopes.len(), "one incident per problem");
            open = next;
        }
    }
}

#[test]
fn a_member_out_is_critical_once_its_donors_are_about_to_purge_what_it_lacks() {
    use crate::report::fixtures::purging_40_an_hour;
    let out = || {
        ClusterBuilder::healthy(3)
            .stopped_by("orders-2", "admin@10.0.3.7", "2026-11-30 11:00:00")
            .executed("orders-2", &format!("{}:1-90", crate::fixtures::GROUP))
            .condition_since("orders-2", "OFFLINE", "2026-11-30T11:00:00Z")
    };
    let (opened, open) = reconcile(&[], &[planned(out(), 12 * 3600)]);
    assert_eq!(opened[0].incident.severity, Severity::Warning);
    // The donors start purging: at 40 an hour, the 50 transactions orders-2 holds that they
    // still keep last 75 minutes.
    let purging = purging_40_an_hour(out());
    let (updated, _) = reconcile(&open, &[planned(purging, 12 * 3600 + 60)]);
    assert_eq!(updated.len(), 1, "{updated:#?}");
    assert_eq!(
        updated[0].why,
        vec![Why::Severity {
            from: Severity::Warning,
            to: Severity::Critical
        }]
    );
}

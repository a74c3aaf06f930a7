//! The incident lifecycle as a pure function: the previous incidents and a plan in, the
//! transitions to publish and the incidents to keep out. Only a change that matters makes a
//! transition, so a steady state, however bad, publishes nothing after its first message.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::plan::{Action, Finding, FindingKind, Plan, Refusal, Severity};

use crate::snapshot::ActionKind;

use super::{Change, Incident, RefusalKey, Transition, Why, wire_name};

/// What identifies a problem across ticks: its finding kind and the instance it is about.
type Key = (FindingKind, Option<String>);

/// Decides what to publish for `plan` given the incidents open before it, at `now`.
///
/// A warning or critical finding with no open incident opens one; an open incident is updated
/// when its severity changes, an action is taken for it, or an action for it is refused by a
/// guard not told before; an incident whose finding is gone (or fell to `info`) is resolved and
/// dropped. Returns the transitions in a stable order and the incidents still open.
pub fn reconcile(
    previous: &[Incident],
    plan: &Plan,
    now: DateTime<Utc>,
) -> (Vec<Transition>, Vec<Incident>) {
    let mut open: BTreeMap<Key, &Incident> = previous
        .iter()
        .map(|incident| ((incident.kind, incident.instance.clone()), incident))
        .collect();
    let mut transitions = Vec::new();
    let mut next = Vec::new();

    for (key, finding) in alerting_findings(plan) {
        let (actions, refusals) = related(plan, finding.kind, finding.instance.as_deref());
        let refusal_keys: BTreeSet<RefusalKey> = refusals.iter().map(|r| refusal_key(r)).collect();
        let incident = match open.remove(&key) {
            None => {
                let incident = Incident {
                    id: incident_id(&plan.cluster, &key, now),
                    kind: finding.kind,
                    instance: finding.instance.clone(),
                    severity: finding.severity,
                    message: finding.message.clone(),
                    opened: now,
                    updated: now,
                    refusals: refusal_keys,
                };
                transitions.push(Transition {
                    change: Change::Opened,
                    incident: incident.clone(),
                    why: Vec::new(),
                });
                incident
            }
            Some(before) => {
                let mut why = Vec::new();
                if before.severity != finding.severity {
                    why.push(Why::Severity {
                        from: before.severity,
                        to: finding.severity,
                    });
                }
                why.extend(actions.iter().map(|a| Why::ActionTaken {
                    action: a.kind,
                    instance: a.instance.clone(),
                }));
                why.extend(
                    refusal_keys
                        .difference(&before.refusals)
                        .map(|k| Why::NewRefusal(*k)),
                );
                let mut incident = before.clone();
                incident.severity = finding.severity;
                incident.message = finding.message.clone();
                incident.refusals.extend(refusal_keys);
                if !why.is_empty() {
                    incident.updated = now;
                    transitions.push(Transition {
                        change: Change::Updated,
                        incident: incident.clone(),
                        why,
                    });
                }
                incident
            }
        };
        next.push(incident);
    }

    // What is left was open before and is not seen any more.
    transitions.extend(open.into_values().map(|incident| Transition {
        change: Change::Resolved,
        incident: incident.clone(),
        why: Vec::new(),
    }));
    (transitions, next)
}

/// The plan's findings that warrant an incident, one per key (the most severe wins), in the
/// order the planner gave them.
fn alerting_findings(plan: &Plan) -> Vec<(Key, Finding)> {
    let mut out: Vec<(Key, Finding)> = Vec::new();
    for finding in plan
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
    {
        let key = (finding.kind, finding.instance.clone());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, kept)) if finding.severity > kept.severity => *kept = finding.clone(),
            Some(_) => {}
            None => out.push((key, finding.clone())),
        }
    }
    out
}

/// The planned actions and refusals an incident of `kind` about `instance` answers for: the
/// actions that repair that kind of problem, and the refusals of those actions or by a guard
/// that finding explains; on its member (or, a sync step, preparing its join), or anywhere for a
/// cluster incident and for cluster-wide actions (a bootstrap concerns the whole cluster,
/// whichever member it starts on).
pub(crate) fn related<'p>(
    plan: &'p Plan,
    kind: FindingKind,
    instance: Option<&str>,
) -> (Vec<&'p Action>, Vec<&'p Refusal>) {
    let concerns = |action: ActionKind, target: &str| {
        action.is_cluster_wide() || instance.is_none_or(|own| own == target)
    };
    (
        plan.action
            .iter()
            .filter(|a| a.kind.repairs().contains(&kind))
            .filter(|a| a.kind.is_cluster_wide() || instance.is_none_or(|own| a.concerns(own)))
            .collect(),
        plan.refused
            .iter()
            .filter(|r| r.action.repairs().contains(&kind) || r.guard.finding() == Some(kind))
            .filter(|r| concerns(r.action, &r.instance))
            .collect(),
    )
}

fn refusal_key(refusal: &Refusal) -> RefusalKey {
    RefusalKey {
        action: refusal.action,
        guard: refusal.guard,
    }
}

fn incident_id(cluster: &str, (kind, instance): &Key, opened: DateTime<Utc>) -> String {
    format!(
        "{cluster}/{}/{}/{}",
        wire_name(kind),
        instance.as_deref().unwrap_or("cluster"),
        opened.format("%Y%m%dT%H%M%SZ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Guard;
    use crate::report::fixtures::{action, at, finding, plan, refusal};
    use crate::snapshot::ActionKind;

    fn changes(transitions: &[Transition]) -> Vec<(Change, FindingKind, Option<String>)> {
        transitions
            .iter()
            .map(|t| (t.change, t.incident.kind, t.incident.instance.clone()))
            .collect()
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
        let (transitions, open) = reconcile(&[], &p, at(0));
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
        let (_, open) = reconcile(&[], &p, at(0));
        let mut later = p.clone();
        later.refused[0].reason = "errant: 1-6 (the text changes, the guard does not)".into();
        let (transitions, still_open) = reconcile(&open, &later, at(60));
        assert!(transitions.is_empty(), "{transitions:?}");
        assert_eq!(still_open.len(), 1);
        assert_eq!(still_open[0].updated, at(0));
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
        let (_, open) = reconcile(&[], &warn, at(0));
        let mut crit = warn.clone();
        crit.findings[0].severity = Severity::Critical;
        let (transitions, open) = reconcile(&open, &crit, at(60));
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
    fn an_action_taken_for_an_incident_updates_it_every_time() {
        let seen = plan(
            vec![finding(
                FindingKind::MemberOffline,
                Severity::Warning,
                Some("db2"),
            )],
            None,
            vec![],
        );
        let (_, open) = reconcile(&[], &seen, at(0));
        let mut acting = seen.clone();
        acting.action = Some(action(ActionKind::Rejoin, "db2"));
        let (first, open) = reconcile(&open, &acting, at(60));
        let (second, _) = reconcile(&open, &acting, at(120));
        for transitions in [first, second] {
            assert_eq!(
                transitions
                    .iter()
                    .map(|t| t.why.clone())
                    .collect::<Vec<_>>(),
                vec![vec![Why::ActionTaken {
                    action: ActionKind::Rejoin,
                    instance: "db2".into()
                }]]
            );
        }
    }

    #[test]
    fn a_refusal_by_a_new_guard_updates_once() {
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
        let (_, open) = reconcile(&[], &cooling, at(0));
        let mut budget = cooling.clone();
        budget.refused = vec![refusal(
            ActionKind::Rejoin,
            "db2",
            Guard::ClusterBudget,
            "3/3",
        )];
        let (first, open) = reconcile(&open, &budget, at(60));
        assert_eq!(
            first[0].why,
            vec![Why::NewRefusal(RefusalKey {
                action: ActionKind::Rejoin,
                guard: Guard::ClusterBudget
            })]
        );
        let (back_to_cooldown, _) = reconcile(&open, &cooling, at(120));
        assert!(back_to_cooldown.is_empty(), "{back_to_cooldown:?}");
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
        let (_, open) = reconcile(&[], &sick, at(0));
        let (resolved, open) = reconcile(&open, &healthy, at(60));
        assert_eq!(
            changes(&resolved),
            vec![(
                Change::Resolved,
                FindingKind::MemberError,
                Some("db1".into())
            )]
        );
        assert!(open.is_empty());
        let (relapse, open) = reconcile(&open, &sick, at(120));
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
        let (_, open) = reconcile(&[], &warn, at(0));
        let mut info = warn.clone();
        info.findings[0].severity = Severity::Info;
        let (transitions, open) = reconcile(&open, &info, at(60));
        assert_eq!(transitions[0].change, Change::Resolved);
        assert!(open.is_empty());
    }

    #[test]
    fn actions_and_refusals_belong_to_the_incidents_they_repair_or_explain() {
        let p = plan(
            vec![
                finding(FindingKind::CompleteOutage, Severity::Critical, None),
                finding(FindingKind::ErrantGtids, Severity::Critical, Some("db3")),
            ],
            Some(action(ActionKind::Bootstrap, "db1")),
            vec![refusal(
                ActionKind::Rejoin,
                "db3",
                Guard::ErrantGtids,
                "errant",
            )],
        );
        let (cluster_actions, cluster_refusals) = related(&p, FindingKind::CompleteOutage, None);
        assert_eq!(cluster_actions.len(), 1);
        assert!(cluster_refusals.is_empty());
        let (member_actions, member_refusals) = related(&p, FindingKind::ErrantGtids, Some("db3"));
        assert!(member_actions.is_empty());
        assert_eq!(member_refusals.len(), 1);
        // A rejoin does not repair a binlog retention problem on the same member.
        let (drift_actions, drift_refusals) =
            related(&p, FindingKind::BinlogRetention, Some("db3"));
        assert!(drift_actions.is_empty() && drift_refusals.is_empty());
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
        let (transitions, open) = reconcile(&[], &p, at(0));
        assert_eq!(transitions.len(), 1);
        assert_eq!(open[0].severity, Severity::Critical);
    }
}

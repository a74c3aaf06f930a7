//! A transition as a message: a subject SNS accepts (ASCII, under 100 characters), the
//! attributes subscribers filter on, and a body with the evidence and the next step.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::model::Instance;
use crate::plan::Plan;
use crate::snapshot::Snapshot;

use super::evidence::{ViewMatrix, error_lines, gtid_lines};
use super::incident::related;
use super::runbook::next_step;
use super::{Change, Transition, Why, wire_name};

/// SNS: "must be less than 100 characters long".
pub const SUBJECT_MAX: usize = 99;
/// SNS accepts 256 KiB per message, attributes included; the body keeps well under it.
pub const BODY_MAX: usize = 200 * 1024;

/// One alert, ready for any [`Notifier`](crate::ports::notifier::Notifier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMessage {
    /// One line: severity, where, what.
    pub subject: String,
    /// The evidence and the next step, as plain text.
    pub body: String,
    /// `severity`, `cluster`, `incident`, `action`, `transition`: what subscriptions filter on.
    pub attributes: BTreeMap<String, String>,
}

/// Writes the message for `transition`, with the evidence from the plan and snapshot it came from.
pub fn alert_message(transition: &Transition, plan: &Plan, snapshot: &Snapshot) -> AlertMessage {
    let incident = &transition.incident;
    let (actions, refusals) = related(plan, incident.kind, incident.instance.as_deref());
    let action = match (actions.first(), refusals.is_empty()) {
        (Some(taken), _) => taken.kind.to_string(),
        (None, false) => "refused".to_owned(),
        (None, true) => "none".to_owned(),
    };
    let attributes = BTreeMap::from([
        ("severity".to_owned(), wire_name(&incident.severity)),
        ("cluster".to_owned(), plan.cluster.clone()),
        ("incident".to_owned(), incident.id.clone()),
        ("action".to_owned(), action),
        ("transition".to_owned(), wire_name(&transition.change)),
    ]);

    let title = wire_name(&incident.kind).replace('_', " ");
    let place = match &incident.instance {
        Some(instance) => format!("{}/{instance}", plan.cluster),
        None => plan.cluster.clone(),
    };
    let subject = match transition.change {
        Change::Opened => format!("{} {place}: {title}", shout(&incident.severity)),
        Change::Updated => format!("{} {place}: {title} (updated)", shout(&incident.severity)),
        Change::Resolved => format!("RESOLVED {place}: {title}"),
    };

    let mut body = String::new();
    let _ = writeln!(body, "{subject}");
    let _ = writeln!(body, "Incident: {}", incident.id);
    let _ = writeln!(
        body,
        "Opened {}, observed {}",
        incident.opened.to_rfc3339(),
        snapshot.observed_at.to_rfc3339()
    );
    let _ = writeln!(
        body,
        "Cluster: {}, {} of {} members ONLINE, tolerates {} failure(s)",
        wire_name(&plan.health.status),
        plan.health.online,
        plan.health.members,
        plan.health.tolerance
    );
    body.push('\n');
    match transition.change {
        Change::Resolved => {
            let _ = writeln!(body, "Resolved: the finding is no longer seen.");
            let _ = writeln!(body, "It was: {}", incident.message);
        }
        Change::Opened | Change::Updated => {
            let _ = writeln!(body, "Finding: {}", incident.message);
            for why in &transition.why {
                let _ = writeln!(body, "Changed: {}", describe(why));
            }
            if actions.is_empty() && refusals.is_empty() {
                let _ = writeln!(body, "Action: none planned.");
            }
            for a in &actions {
                let _ = writeln!(
                    body,
                    "Action taken: {} {}: {}",
                    a.kind, a.instance, a.reason
                );
            }
            for r in &refusals {
                let _ = writeln!(
                    body,
                    "Not done: {} {}, blocked by {}: {}",
                    r.action,
                    r.instance,
                    wire_name(&r.guard),
                    r.reason
                );
            }
            let _ = writeln!(body, "\nNext step: {}", next_step(incident.kind));
        }
    }

    let concerned: Vec<&Instance> = snapshot
        .instances
        .iter()
        .filter(|i| incident.instance.as_deref().is_none_or(|own| own == i.id))
        .collect();
    let _ = writeln!(
        body,
        "\nMember views (row: observer, column: member as that observer sees it):\n{}",
        ViewMatrix::new(&snapshot.instances).render()
    );
    section(
        &mut body,
        "GTID differences",
        gtid_lines(&snapshot.instances, &concerned),
    );
    section(
        &mut body,
        "Recent Repl error-log lines",
        error_lines(&concerned),
    );

    AlertMessage {
        subject: subject_line(&subject),
        body: bounded_body(body),
        attributes,
    }
}

fn shout<T: Serialize>(value: &T) -> String {
    wire_name(value).to_ascii_uppercase()
}

fn describe(why: &Why) -> String {
    match why {
        Why::Severity { from, to } => format!("severity {} -> {}", wire_name(from), wire_name(to)),
        Why::ActionTaken { action, instance } => {
            format!("action taken: {action} {instance}")
        }
        Why::NewRefusal(key) => {
            format!("{} refused by guard {}", key.action, wire_name(&key.guard))
        }
    }
}

fn section(body: &mut String, title: &str, lines: Vec<String>) {
    if !lines.is_empty() {
        let _ = writeln!(body, "\n{title}:");
        for line in lines {
            let _ = writeln!(body, "  {line}");
        }
    }
}

/// SNS subjects are printable ASCII without line breaks: anything else becomes `?` (a space for
/// whitespace), and a long subject is cut with `...`.
fn subject_line(text: &str) -> String {
    let ascii: String = text
        .chars()
        .map(|c| match c {
            ' '..='~' => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect();
    if ascii.len() <= SUBJECT_MAX {
        ascii
    } else {
        format!("{}...", clip(&ascii, SUBJECT_MAX - 3))
    }
}

fn bounded_body(body: String) -> String {
    bounded(body, BODY_MAX)
}

/// `body` cut to at most `max` bytes on a character boundary, marked when cut.
fn bounded(body: String, max: usize) -> String {
    const MARK: &str = "\n[truncated]";
    if body.len() <= max {
        body
    } else {
        format!("{}{MARK}", clip(&body, max.saturating_sub(MARK.len())))
    }
}

impl AlertMessage {
    /// The same message with its body cut to `max` bytes (the evidence at the end goes first),
    /// small enough to wait in the journal for a later delivery.
    pub fn clipped(&self, max: usize) -> AlertMessage {
        AlertMessage {
            body: bounded(self.body.clone(), max),
            ..self.clone()
        }
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn clip(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ClusterBuilder, GROUP};
    use crate::model::ErrorLogEntry;
    use crate::plan::{FindingKind, Guard, Severity};
    use crate::report::fixtures::{action, at, finding, plan, refusal};
    use crate::report::{Incident, RefusalKey, reconcile};
    use crate::snapshot::ActionKind;

    fn healthy() -> Snapshot {
        ClusterBuilder::healthy(3).build()
    }

    fn opened(p: &Plan) -> Transition {
        reconcile(&[], p, at(0)).0.remove(0)
    }

    #[test]
    fn the_subject_is_printable_ascii_under_100_characters_whatever_the_cluster_is_called() {
        let mut p = plan(
            vec![finding(
                FindingKind::MemberOffline,
                Severity::Warning,
                Some("orders-2"),
            )],
            None,
            vec![],
        );
        p.cluster = format!("bestellungen-é-\n{}", "ü".repeat(120));
        let message = alert_message(&opened(&p), &p, &healthy());
        assert!(message.subject.len() < 100, "{}", message.subject.len());
        assert!(message.subject.chars().all(|c| (' '..='~').contains(&c)));
        assert!(message.subject.starts_with("WARNING bestellungen-?- ???"));
        assert!(message.subject.ends_with("..."));
    }

    #[test]
    fn clipping_never_splits_a_character() {
        assert_eq!(clip("aé", 2), "a");
        assert_eq!(clip("aé", 3), "aé");
        assert_eq!(clip("abc", 10), "abc");
    }

    #[test]
    fn a_long_body_is_cut_under_the_sns_limit_on_a_character_boundary() {
        let body = bounded_body("ü".repeat(BODY_MAX));
        assert!(body.len() <= BODY_MAX);
        assert!(body.ends_with("[truncated]"));
    }

    #[test]
    fn attributes_carry_severity_cluster_incident_action_and_transition() {
        let p = plan(
            vec![finding(
                FindingKind::MemberOffline,
                Severity::Critical,
                Some("orders-2"),
            )],
            Some(action(ActionKind::Rejoin, "orders-2")),
            vec![],
        );
        let t = opened(&p);
        let message = alert_message(&t, &p, &healthy());
        let expected: BTreeMap<String, String> = [
            ("severity", "critical"),
            ("cluster", "orders"),
            ("incident", t.incident.id.as_str()),
            ("action", "rejoin"),
            ("transition", "opened"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(message.attributes, expected);
        assert_eq!(message.subject, "CRITICAL orders/orders-2: member offline");
    }

    #[test]
    fn the_body_carries_views_gtid_differences_log_lines_refusals_and_the_next_step() {
        let s = ClusterBuilder::healthy(3)
            .gr_stopped("orders-2")
            .executed("orders-2", &format!("{GROUP}:1-90"))
            .report("orders-2", |r| {
                r.errors.push(ErrorLogEntry {
                    logged: "2026-11-30 00:00:00".into(),
                    prio: "Error".into(),
                    error_code: "MY-011526".into(),
                    data: "Plugin group_replication reported: 'Error on opening a connection'"
                        .into(),
                });
            })
            .build();
        let p = plan(
            vec![finding(
                FindingKind::MemberOffline,
                Severity::Warning,
                Some("orders-2"),
            )],
            None,
            vec![refusal(
                ActionKind::Rejoin,
                "orders-2",
                Guard::Cooldown,
                "rejoined 2 min ago",
            )],
        );
        let body = alert_message(&opened(&p), &p, &s).body;
        for expected in [
            "Finding: MemberOffline seen",
            "Not done: rejoin orders-2, blocked by cooldown: rejoined 2 min ago",
            "Next step: grkeeper rejoins it",
            "orders-2     -            OFFLINE      -",
            &format!("orders-2 missing: {GROUP}:91-100"),
            "orders-2 2026-11-30 00:00:00 Error MY-011526: \"Plugin group_replication",
        ] {
            assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
        }
    }

    #[test]
    fn an_update_says_what_changed_and_a_resolution_says_it_is_over() {
        let p = plan(
            vec![finding(
                FindingKind::MemberOffline,
                Severity::Warning,
                Some("orders-2"),
            )],
            None,
            vec![],
        );
        let before = Incident {
            refusals: [RefusalKey {
                action: ActionKind::Rejoin,
                guard: Guard::Cooldown,
            }]
            .into(),
            ..opened(&p).incident
        };
        let mut acting = p.clone();
        acting.action = Some(action(ActionKind::Rejoin, "orders-2"));
        let (updates, _) = reconcile(std::slice::from_ref(&before), &acting, at(60));
        let update = alert_message(&updates[0], &acting, &healthy());
        assert_eq!(
            update.subject,
            "WARNING orders/orders-2: member offline (updated)"
        );
        assert!(
            update
                .body
                .contains("Changed: action taken: rejoin orders-2"),
            "{}",
            update.body
        );

        let nothing = plan(vec![], None, vec![]);
        let (resolutions, _) = reconcile(&[before], &nothing, at(120));
        let resolved = alert_message(&resolutions[0], &nothing, &healthy());
        assert_eq!(resolved.subject, "RESOLVED orders/orders-2: member offline");
        assert_eq!(resolved.attributes["transition"], "resolved");
        assert!(
            resolved
                .body
                .contains("Resolved: the finding is no longer seen.")
        );
    }
}

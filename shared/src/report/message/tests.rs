//! Messages: what SNS accepts, what subscribers filter on, and a body a person can act on.

use super::*;
use crate::fixtures::{ClusterBuilder, GROUP};
use crate::model::ErrorLogEntry;
use crate::model::untrusted::is_shown;
use crate::plan::{FindingKind, Guard, Severity};
use crate::report::fixtures::{action, finding, plan, planned, refusal, step};
use crate::report::{Incident, RefusalKey, reconcile};
use crate::snapshot::{ActionKind, Outcome, Snapshot};

fn deployment() -> Deployment {
    Deployment {
        name: Some("grkeeper-prod".into()),
        log_group: Some("/aws/lambda/grkeeper-prod-sweep".into()),
        ..Deployment::from_arn("arn:aws:sns:eu-west-1:123456789012:grkeeper-alerts")
    }
}

const TICK: &str = "8f14e45f-ceea-467f-a9d2-5c0c1b2d3e4f";

/// The message for the only transition of one tick of `steps` from nothing open.
fn first(steps: Vec<Step>) -> (Transition, AlertMessage) {
    let (mut transitions, _) = reconcile(&[], &steps);
    assert_eq!(transitions.len(), 1, "{transitions:#?}");
    let transition = transitions.remove(0);
    let message = alert_message(&transition, steps.last().unwrap(), &deployment(), TICK);
    (transition, message)
}

fn offline_with(snapshot: Snapshot, refused: Vec<crate::plan::Refusal>) -> Step {
    Step {
        plan: plan(
            vec![finding(
                FindingKind::MemberOffline,
                Severity::Warning,
                Some("orders-2"),
            )],
            None,
            refused,
        ),
        snapshot,
        taken: None,
    }
}

#[test]
fn the_subject_is_printable_ascii_under_100_characters_whatever_the_cluster_is_called() {
    let mut s = offline_with(ClusterBuilder::healthy(3).build(), vec![]);
    s.plan.cluster = format!("bestellungen-é-\n{}", "ü".repeat(120));
    let (_, message) = first(vec![s]);
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
fn attributes_carry_severity_cluster_incident_dedup_key_action_transition_and_where() {
    let mut s = offline_with(ClusterBuilder::healthy(3).build(), vec![]);
    s.plan.findings[0].severity = Severity::Critical;
    s.plan.action = Some(action(ActionKind::Rejoin, "orders-2"));
    s.taken = Some(Outcome::Failed);
    let (t, message) = first(vec![s]);
    let expected: BTreeMap<String, String> = [
        ("severity", "critical"),
        ("cluster", "orders"),
        ("incident", t.incident.id.as_str()),
        ("dedup_key", t.incident.id.as_str()),
        ("action", "rejoin"),
        ("transition", "opened"),
        ("account", "123456789012"),
        ("region", "eu-west-1"),
        ("deployment", "grkeeper-prod"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(message.attributes, expected);
    // SNS drops a message with more than 10 on its way to a raw-delivery SQS subscription.
    assert!(message.attributes.len() <= 10);
    assert_eq!(message.subject, "CRITICAL orders/orders-2: member offline");
}

#[test]
fn the_body_has_the_evidence_the_next_step_its_procedure_and_where_to_look() {
    let s = ClusterBuilder::healthy(3)
        .gr_stopped("orders-2")
        .executed("orders-2", &format!("{GROUP}:1-90"))
        .report("orders-2", |r| {
            r.errors.push(ErrorLogEntry {
                logged: "2026-11-30 00:00:00".into(),
                prio: "Error".into(),
                error_code: "MY-011526".into(),
                data: "Plugin group_replication reported: 'Error on opening a connection'".into(),
            });
        })
        .build();
    let (_, message) = first(vec![offline_with(
        s,
        vec![refusal(
            ActionKind::Rejoin,
            "orders-2",
            Guard::Cooldown,
            "rejoined 2 min ago",
        )],
    )]);
    let body = &message.body;
    for expected in [
        "Where: account 123456789012, region eu-west-1, deployment grkeeper-prod",
        "Finding: MemberOffline seen",
        "Not done: rejoin orders-2, blocked by cooldown: rejoined 2 min ago",
        "Next step: grkeeper rejoins it",
        "Procedure: Member out of the group (`grkeeper runbook member-out-of-the-group`, \
         https://github.com/grkeeper/grkeeper/blob/main/docs/runbook.md#member-out-of-the-group)",
        "RDS console, orders-2: https://eu-west-1.console.aws.amazon.com/rds/home?region=eu-west-1\
         #database:id=orders-2;is-cluster=false",
        &format!("This tick's logs ({TICK}): https://eu-west-1.console.aws.amazon.com/cloudwatch/"),
        "`grkeeper plan --snapshot snapshot.json`",
        "orders-2     -            OFFLINE      -",
        &format!("orders-2 missing: {GROUP}:91-100"),
        "orders-2 2026-11-30 00:00:00 Error MY-011526: \"Plugin group_replication reported: \
         'Error on opening a connection'\"",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
}

#[test]
fn a_tick_run_outside_lambda_says_where_its_logs_are() {
    let s = offline_with(ClusterBuilder::healthy(3).build(), vec![]);
    let (transitions, _) = reconcile(&[], std::slice::from_ref(&s));
    let message = alert_message(&transitions[0], &s, &Deployment::default(), "cli@host:42");
    assert!(
        message
            .body
            .contains("Where: account unknown, region unknown, deployment unknown")
    );
    assert!(
        message
            .body
            .contains("This tick (cli@host:42) ran outside Lambda")
    );
    assert!(!message.body.contains("console.aws"));
    for unknown in ["account", "region", "deployment"] {
        assert!(!message.attributes.contains_key(unknown), "{unknown}");
    }
}

#[test]
fn an_update_says_what_changed_and_a_resolution_says_it_is_over() {
    let s = offline_with(ClusterBuilder::healthy(3).build(), vec![]);
    let (opened, _) = reconcile(&[], std::slice::from_ref(&s));
    let before = Incident {
        refusals: [RefusalKey {
            action: ActionKind::Rejoin,
            guard: Guard::Cooldown,
        }]
        .into(),
        ..opened[0].incident.clone()
    };
    let mut refused = s.clone();
    refused.plan.refused = vec![refusal(
        ActionKind::Rejoin,
        "orders-2",
        Guard::OperatorStop,
        "a person stopped it",
    )];
    refused.snapshot.observed_at += chrono::TimeDelta::seconds(60);
    let (updates, _) = reconcile(
        std::slice::from_ref(&before),
        std::slice::from_ref(&refused),
    );
    let update = alert_message(&updates[0], &refused, &deployment(), TICK);
    assert_eq!(
        update.subject,
        "WARNING orders/orders-2: member offline (updated)"
    );
    assert!(
        update
            .body
            .contains("Changed: rejoin refused by guard operator_stop"),
        "{}",
        update.body
    );

    let nothing = step(plan(vec![], None, vec![]), 120);
    let (resolutions, _) = reconcile(&[before], std::slice::from_ref(&nothing));
    let resolved = alert_message(&resolutions[0], &nothing, &deployment(), TICK);
    assert_eq!(resolved.subject, "RESOLVED orders/orders-2: member offline");
    assert_eq!(resolved.attributes["transition"], "resolved");
    assert_eq!(
        resolved.attributes["severity"], "info",
        "a resolution pages nobody"
    );
    assert!(
        resolved
            .body
            .contains("Resolved: the problem is no longer seen.")
    );
    assert!(!resolved.body.contains("Next step:"));
}

#[test]
fn a_problem_repaired_within_one_tick_is_one_message_telling_what_grkeeper_did() {
    let mut out = planned(ClusterBuilder::healthy(3).gr_stopped("orders-2"), 0);
    out.taken = Some(Outcome::Succeeded);
    let (t, message) = first(vec![out, planned(ClusterBuilder::healthy(3), 2)]);
    assert!(t.within_tick);
    assert_eq!(
        message.subject,
        "RESOLVED orders/orders-2: member offline (repaired)"
    );
    assert!(
        message
            .body
            .contains("Repaired within one tick, nothing left to do."),
        "{}",
        message.body
    );
    assert!(
        message
            .body
            .contains("grkeeper did: rejoin orders-2 (succeeded): "),
        "{}",
        message.body
    );
    assert_eq!(message.attributes["action"], "rejoin");
}

#[test]
fn a_parked_alert_has_a_short_notice_with_the_same_attributes() {
    let (_, message) = first(vec![offline_with(
        ClusterBuilder::healthy(3).build(),
        vec![],
    )]);
    let notice = message.notice("SNS.Publish: request rejected: Invalid parameter\nNext step: x");
    assert!(notice.is_notice() && !message.is_notice());
    assert_eq!(notice.attributes, message.attributes);
    assert_eq!(notice.subject, message.subject);
    assert!(notice.body.contains("grkeeper status --cluster orders"));
    assert!(!notice.body.lines().any(|l| l.starts_with("Next step")));
}

/// A member whose error log a hostile or broken server filled with what a terminal or a mail
/// reader would take for lines of grkeeper's own, escape sequences, and megabyte lines.
fn hostile_log(cluster: ClusterBuilder) -> ClusterBuilder {
    let lines = [
        "ok\nNext step: DROP DATABASE orders; grkeeper is fine".to_owned(),
        "\x1b[2J\x1b[31mred alert\x1b[0m\r\nFinding: nothing".to_owned(),
        "x".repeat(1 << 20),
        "\u{202e}desrever\u{9b}31m".to_owned(),
    ];
    cluster.report("orders-2", |r| {
        r.hostname = "evil\nNext step: trust me".into();
        r.errors = lines
            .iter()
            .map(|data| ErrorLogEntry {
                logged: "2026-11-30 00:00:00\n".into(),
                prio: "Error\x1b[0m".into(),
                error_code: "MY-011526".into(),
                data: data.clone(),
            })
            .collect();
    })
}

#[test]
fn a_member_s_hostile_error_log_cannot_forge_lines_or_reach_a_terminal_raw() {
    let step = planned(
        hostile_log(ClusterBuilder::healthy(3).gr_stopped("orders-2")),
        0,
    );
    let (_, message) = first(vec![step]);
    let body = &message.body;
    assert!(body.len() < 64 * 1024, "{}", body.len());
    assert_eq!(
        body.lines().filter(|l| l.starts_with("Next step:")).count(),
        1,
        "{body}"
    );
    assert!(
        !body
            .lines()
            .any(|l| l.trim_start().starts_with("Finding: nothing"))
    );
    assert!(
        body.chars().all(|c| c == '\n' || is_shown(c)),
        "a control character reached the body"
    );
    let quoted = body
        .lines()
        .filter(|l| l.contains("MY-011526"))
        .collect::<Vec<_>>();
    assert_eq!(quoted.len(), 4, "{body}");
    assert!(quoted.iter().all(|l| l.ends_with('"')), "{quoted:#?}");
}

#[test]
fn a_member_out_of_the_group_has_its_rejoin_deadline_and_how_to_extend_it() {
    let (_, message) = first(vec![planned(
        ClusterBuilder::healthy(3)
            .stopped_by("orders-2", "admin@10.0.3.7", "2026-11-30 11:00:00")
            .condition_since("orders-2", "OFFLINE", "2026-11-30T11:00:00Z"),
        12 * 3600,
    )]);
    assert!(
        message.body.contains(
            "Rejoin deadline: orders-2 must rejoin before 2026-12-07T11:00:00Z (in 6d 23h), \
             else it must be rebuilt"
        ),
        "{}",
        message.body
    );
    assert!(
        message
            .body
            .contains("CALL mysql.rds_set_configuration('binlog retention hours', 336);")
    );
}

#[test]
fn only_a_critical_incident_opened_or_updated_pages() {
    let message = |severity: &str, transition: &str| AlertMessage {
        subject: String::new(),
        body: String::new(),
        attributes: [("severity", severity), ("transition", transition)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    assert!(message("critical", "opened").pages());
    assert!(message("critical", "updated").pages());
    assert!(!message("critical", "resolved").pages());
    assert!(!message("warning", "opened").pages());
}

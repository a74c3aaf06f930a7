//! A transition as a message: a subject SNS accepts (ASCII, under 100 characters), the
//! attributes subscriptions filter on (with the incident id as the dedup key paging services fold
//! updates into), and a body a person can act on at night: what is wrong, what grkeeper did and
//! did not do, the next step and its procedure, where to look (the account, Region and
//! deployment, each member's RDS console page, the tick's logs and how to replay its snapshot),
//! and the evidence.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::model::Instance;
use crate::model::untrusted::clean;
use crate::plan::Severity;

use super::evidence::{ViewMatrix, error_lines, gtid_lines};
use super::links::Deployment;
use super::recoverability;
use super::runbook::{next_step, procedure_link};
use super::{Change, Step, Transition, Why, wire_name};

/// SNS: "must be less than 100 characters long".
pub const SUBJECT_MAX: usize = 99;
/// SNS accepts 256 KiB per message, attributes included; the body keeps well under it.
pub const BODY_MAX: usize = 200 * 1024;
/// At most this many characters of one finding or reason (they quote members' words).
const LINE_MAX: usize = 4000;

/// One alert, ready for any [`Notifier`](crate::ports::notifier::Notifier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMessage {
    /// One line: severity, where, what.
    pub subject: String,
    /// The evidence and the next step, as plain text.
    pub body: String,
    /// `severity` (of this message: `info` for a resolution), `cluster`, `incident`,
    /// `dedup_key`, `action`, `transition` and, when known, `account`, `region` and `deployment`:
    /// what subscriptions filter on. At most 10: SNS drops a message with more on its way to an
    /// SQS subscription with raw message delivery.
    pub attributes: BTreeMap<String, String>,
}

/// Writes the message for `transition`, decided on `step` (the tick's last), for a tick with id
/// `tick` in `deployment`.
pub fn alert_message(
    transition: &Transition,
    step: &Step,
    deployment: &Deployment,
    tick: &str,
) -> AlertMessage {
    let incident = &transition.incident;
    let plan = &step.plan;
    let snapshot = &step.snapshot;
    let action = match (transition.actions.first(), transition.refused.is_empty()) {
        (Some(taken), _) => taken.action.kind.to_string(),
        (None, false) => "refused".to_owned(),
        (None, true) => "none".to_owned(),
    };
    // How urgent this message is: a resolution needs nobody, whatever the incident was.
    let severity = match transition.change {
        Change::Resolved => Severity::Info,
        Change::Opened | Change::Updated => incident.severity,
    };
    let mut attributes = BTreeMap::from([
        ("severity".to_owned(), wire_name(&severity)),
        ("cluster".to_owned(), plan.cluster.clone()),
        ("incident".to_owned(), incident.id.clone()),
        ("dedup_key".to_owned(), incident.id.clone()),
        ("action".to_owned(), action),
        ("transition".to_owned(), wire_name(&transition.change)),
    ]);
    // Where it comes from, as far as known: one paging service may take several accounts.
    for (name, value) in [
        ("account", &deployment.account),
        ("region", &deployment.region),
        ("deployment", &deployment.name),
    ] {
        if let Some(value) = value {
            attributes.insert(name.to_owned(), value.clone());
        }
    }

    let title = wire_name(&incident.kind).replace('_', " ");
    let place = match &incident.instance {
        Some(instance) => format!("{}/{instance}", plan.cluster),
        None => plan.cluster.clone(),
    };
    let subject = match transition.change {
        Change::Opened => format!("{} {place}: {title}", shout(&incident.severity)),
        Change::Updated => format!("{} {place}: {title} (updated)", shout(&incident.severity)),
        Change::Resolved if transition.within_tick => {
            format!("RESOLVED {place}: {title} (repaired)")
        }
        Change::Resolved => format!("RESOLVED {place}: {title}"),
    };

    let mut body = String::new();
    let _ = writeln!(body, "{subject}");
    let _ = writeln!(
        body,
        "Incident {} (the dedup key), opened {}",
        incident.id,
        stamp(incident.opened)
    );
    let _ = writeln!(body, "Where: {}", deployment.describe());
    let _ = writeln!(
        body,
        "Cluster {}: {}, {} of {} members ONLINE, tolerates {} failure(s); observed {}",
        plan.cluster,
        wire_name(&plan.health.status),
        plan.health.online,
        plan.health.members,
        plan.health.tolerance,
        stamp(snapshot.observed_at)
    );
    body.push('\n');
    match transition.change {
        Change::Resolved if transition.within_tick => {
            let _ = writeln!(
                body,
                "Repaired within one tick, nothing left to do. It was: {}",
                clean(&incident.message, LINE_MAX)
            );
        }
        Change::Resolved => {
            let _ = writeln!(body, "Resolved: the problem is no longer seen.");
            let _ = writeln!(body, "It was: {}", clean(&incident.message, LINE_MAX));
        }
        Change::Opened | Change::Updated => {
            let _ = writeln!(body, "Finding: {}", clean(&incident.message, LINE_MAX));
            for why in &transition.why {
                let _ = writeln!(body, "Changed: {}", describe(why));
            }
            // The findings it took in: the most telling per member (they come in that order),
            // every one about the cluster.
            let mut members_told = std::collections::BTreeSet::new();
            let also: Vec<String> = transition
                .findings
                .iter()
                .filter(|f| f.message != incident.message)
                .filter(|f| {
                    f.instance
                        .as_ref()
                        .is_none_or(|i| members_told.insert(i.clone()))
                })
                .map(|f| {
                    format!(
                        "{} {}: {}",
                        f.instance.as_deref().unwrap_or(&plan.cluster),
                        wire_name(&f.kind).replace('_', " "),
                        clean(&f.message, LINE_MAX)
                    )
                })
                .collect();
            section(&mut body, "Also seen (part of this incident)", also);
            let deadlines = recoverability::by_member(snapshot);
            for member in &incident.members {
                if let Some(deadline) = deadlines.get(member) {
                    let _ = writeln!(
                        body,
                        "Rejoin deadline: {}",
                        deadline.describe(snapshot.observed_at)
                    );
                }
            }
        }
    }
    for taken in &transition.actions {
        let _ = writeln!(
            body,
            "grkeeper did: {} {} ({}): {}",
            taken.action.kind,
            taken.action.instance,
            wire_name(&taken.outcome).replace('_', " "),
            clean(&taken.action.reason, LINE_MAX)
        );
    }
    if transition.change != Change::Resolved {
        for r in &transition.refused {
            let _ = writeln!(
                body,
                "Not done: {} {}, blocked by {}: {}",
                r.action,
                r.instance,
                wire_name(&r.guard),
                clean(&r.reason, LINE_MAX)
            );
        }
        if transition.actions.is_empty() && transition.refused.is_empty() {
            let _ = writeln!(body, "Action: none planned.");
        }
        let _ = writeln!(body, "\nNext step: {}", next_step(incident.lead()));
        let _ = writeln!(body, "Procedure: {}", procedure_link(incident.lead()));
    }

    let _ = writeln!(body, "\nWhere to look:");
    for member in &incident.members {
        if let Some(url) = deployment.rds_console(member) {
            let _ = writeln!(body, "  RDS console, {member}: {url}");
        }
    }
    match deployment.logs_insights(tick, snapshot.observed_at) {
        Some(url) => {
            let _ = writeln!(body, "  This tick's logs ({tick}): {url}");
        }
        None => {
            let _ = writeln!(
                body,
                "  This tick ({tick}) ran outside Lambda: its logs are where it ran."
            );
        }
    }
    let _ = writeln!(
        body,
        "  Replay: the tick logged the snapshot it decided on (\"planned on this snapshot\", \
         tick {tick}); save that line's snapshot field as snapshot.json and run \
         `grkeeper plan --snapshot snapshot.json`."
    );

    let concerned: Vec<&Instance> = snapshot
        .instances
        .iter()
        .filter(|i| incident.members.contains(&i.id))
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

fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn shout<T: Serialize>(value: &T) -> String {
    wire_name(value).to_ascii_uppercase()
}

fn describe(why: &Why) -> String {
    match why {
        Why::Severity { from, to } => format!("severity {} -> {}", wire_name(from), wire_name(to)),
        Why::Lead { from, to } => format!(
            "now {} (was {})",
            wire_name(to).replace('_', " "),
            wire_name(from).replace('_', " ")
        ),
        Why::ActionFailed { action, instance } => format!("{action} {instance} failed"),
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

/// The second line of a notice that stands for a parked alert.
const NOTICE: &str = "SNS rejected the full text of this alert";

impl AlertMessage {
    /// A short stand-in for this message, which SNS rejected with `error`: the same subject and
    /// attributes (so a page still pages), and where to read the full text.
    pub fn notice(&self, error: &str) -> AlertMessage {
        let cluster = self.attributes.get("cluster").map_or("", String::as_str);
        let incident = self.attributes.get("incident").map_or("", String::as_str);
        AlertMessage {
            subject: self.subject.clone(),
            body: format!(
                "{}\n{NOTICE} ({}).\nIt is parked in grkeeper's journal: `grkeeper status \
                 --cluster {cluster}` shows it.\nIncident {incident}\n",
                self.subject,
                clean(error, LINE_MAX)
            ),
            attributes: self.attributes.clone(),
        }
    }

    /// Whether it needs a person now: the paging subscription's filter policy in
    /// `infra/template.yaml` (`severity` critical, `transition` opened or updated), which the
    /// end-to-end tests apply through SNS itself. A resolution never pages.
    pub fn pages(&self) -> bool {
        let attribute = |name: &str| self.attributes.get(name).map(String::as_str);
        attribute("severity") == Some("critical")
            && matches!(attribute("transition"), Some("opened" | "updated"))
    }

    /// Whether this is the notice of a parked alert.
    pub fn is_notice(&self) -> bool {
        self.body
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with(NOTICE))
    }

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
mod tests;

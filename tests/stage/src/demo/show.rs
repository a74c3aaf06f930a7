//! How the demo prints: headings, narration, and each tick's decisions, actions, alerts and
//! the resulting status (the same rendering as `grkeeper status`).

use std::collections::BTreeMap;

use grkeeper::keeper::ClusterReport;
use grkeeper::model::EndpointOverrides;
use grkeeper::report::AlertMessage;
use grkeeper::report::topology::TopologyEvent;
use grkeeper_cli::render::{self, WIDTH, indent, wrap};

/// An act's title.
pub fn heading(title: &str) {
    println!(
        "\n━━━━ {title} {}",
        "━".repeat(WIDTH.saturating_sub(title.len() + 6))
    );
}

/// A paragraph of narration; its leading spaces indent every line of it.
pub fn say(text: &str) {
    let body = text.trim_start();
    let lead = &text[..text.len() - body.len()];
    println!("{lead}{}", wrap(body, WIDTH - lead.len(), lead));
}

/// A step within an act.
pub fn step(title: &str) {
    println!("\n▸ {title}");
}

/// What a dry run decided: the plan's action and refusals with their reasons, and the findings.
pub fn decided(report: &ClusterReport) {
    match &report.plan {
        Some(plan) => {
            println!("{}", indent(&render::decisions(plan), "  "));
            println!("{}", indent(&render::findings(plan), "  "));
        }
        None => println!("  (no plan: {})", report.notes.join("; ")),
    }
}

/// What a tick did: each action with its verified outcome, and anything that stopped it short.
pub fn acted(report: &ClusterReport) {
    if report.actions.is_empty() {
        println!("  no action taken");
    }
    for action in &report.actions {
        let verdict = serde_json::to_value(action.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_ascii_uppercase))
            .unwrap_or_default();
        let text = format!(
            "{} {} → {verdict}: {}",
            action.kind, action.instance, action.summary
        );
        println!("  {}", wrap(&text, WIDTH - 2, "    "));
    }
    for note in &report.notes {
        println!("  note: {}", wrap(note, WIDTH - 8, "        "));
    }
}

/// The topology events a tick put on the bus, counted by detail-type.
pub fn events(events: &[TopologyEvent]) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for event in events {
        *counts.entry(event.detail_type()).or_default() += 1;
    }
    let counts: Vec<String> = counts
        .iter()
        .map(|(kind, n)| format!("{n} × {kind}"))
        .collect();
    if !counts.is_empty() {
        println!("  topology events put on the bus: {}", counts.join(", "));
    }
}

/// The alerts a tick published: subject, attributes, and the body without what the terminal
/// shows anyway or what only a person paged at night needs (see [`SKIPPED`]).
pub fn alerts(messages: &[AlertMessage]) {
    if messages.is_empty() {
        println!("  none (nothing changed that a person must hear about)");
    }
    for message in messages {
        let attribute = |name: &str| message.attributes.get(name).map_or("?", String::as_str);
        println!(
            "  ✉ {}\n    [severity {}, {}, action {}{}]",
            message.subject,
            attribute("severity"),
            attribute("transition"),
            attribute("action"),
            if message.pages() { ", PAGES" } else { "" }
        );
        for line in body(&message.body) {
            let text = line.trim_start();
            let lead = " ".repeat(line.len() - text.len());
            let wrapped = wrap(text, WIDTH - 6 - lead.len(), &format!("    │ {lead}  "));
            println!("{}", format!("    │ {lead}{wrapped}").trim_end());
        }
    }
}

/// What an act sent: how many alerts, how many of them page (the template's paging filter:
/// critical, opened or updated), and how many incidents they were about.
pub fn tally(act: &str, messages: &[AlertMessage]) {
    let pages = messages.iter().filter(|m| m.pages()).count();
    let incidents: std::collections::BTreeSet<&str> = messages
        .iter()
        .filter_map(|m| m.attributes.get("incident").map(String::as_str))
        .collect();
    say(&format!(
        "  {act}: {} alert(s) about {} incident(s), {pages} of them paging.",
        messages.len(),
        incidents.len()
    ));
}

/// What the demo leaves out of an alert body: the subject (printed above it), the incident's id
/// line, where to look (console links, the logs, the replay), the view matrix (the status after
/// the tick shows it) and the error-log lines. Each but the id line is a section that runs to
/// the next blank line.
const SKIPPED: [&str; 3] = [
    "Where to look:",
    "Member views",
    "Recent Repl error-log lines",
];

/// The body's lines worth reading in a terminal: no subject, no id line, none of [`SKIPPED`],
/// no blank line at the end.
fn body(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut skipping = false;
    for line in text.lines().skip(1) {
        if line.starts_with("Incident ") {
            continue;
        }
        if SKIPPED.iter().any(|s| line.starts_with(s)) {
            skipping = true;
            continue;
        }
        if skipping {
            skipping = !line.trim().is_empty();
            continue;
        }
        lines.push(line.trim_end().to_owned());
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// The cluster after a tick, as `grkeeper status` prints it.
pub fn status(report: &ClusterReport, overrides: &EndpointOverrides) {
    if let (Some(snapshot), Some(plan)) = (&report.snapshot, &report.plan) {
        println!(
            "{}",
            indent(&render::cluster(snapshot, plan, overrides), "  ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_body_keeps_the_finding_actions_and_gtids_but_not_the_matrix_or_log_lines() {
        let text = "WARNING orders/orders-2: member offline\nIncident x, opened t\n\
                    Cluster: ok\n\nFinding: f\n\nWhere to look:\n  RDS console\n\n\
                    Member views (row: observer):\n   orders-1\norders-1 ONLINE\n\n\
                    GTID differences:\n  orders-2 missing: a:1-3\n\n\
                    Recent Repl error-log lines:\n  orders-2 line\n";
        assert_eq!(
            body(text),
            [
                "Cluster: ok",
                "",
                "Finding: f",
                "",
                "GTID differences:",
                "  orders-2 missing: a:1-3",
            ]
        );
    }
}

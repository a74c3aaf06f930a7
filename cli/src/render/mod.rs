//! A cluster as a person reads it, laid out like MySQL Shell's `cluster.status()`: the status
//! and tolerance in Shell's words, a table of members, every member's view of every other (the
//! N×N matrix alerts carry, [`ViewMatrix`]), the findings by severity, each member's rejoin
//! deadline, and what grkeeper would do.
//! `status` and the demo print the same thing.

mod health;
mod table;

use grkeeper::keeper::ParkedReport;
use grkeeper::model::untrusted::{self, SHOWN};
use grkeeper::model::{EndpointOverrides, Instance, MemberState};
use grkeeper::plan::Plan;
use grkeeper::report::{ViewMatrix, recoverability, wire_name};
use grkeeper::snapshot::Snapshot;

pub use table::wrap;

/// Paragraphs wrap here.
pub const WIDTH: usize = 100;
/// A GTID set's short form is cut after this many characters.
const GTID_WIDTH: usize = 44;
/// At most this many characters of one finding or reason.
const LINE_MAX: usize = 4000;

/// Everything about one cluster: header, members, views, findings, plan.
pub fn cluster(snapshot: &Snapshot, plan: &Plan, overrides: &EndpointOverrides) -> String {
    [
        header(plan),
        members(snapshot, overrides),
        views(snapshot),
        findings(plan),
        deadlines(snapshot),
        roll(plan),
        decisions(plan),
    ]
    .into_iter()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join("\n\n")
}

/// Until when each member out of the group can still rejoin (`recoverability`); empty when
/// none is out.
pub fn deadlines(snapshot: &Snapshot) -> String {
    let lines: Vec<String> = recoverability::deadlines(snapshot)
        .iter()
        .map(|d| {
            format!(
                "  {}",
                wrap(&d.describe(snapshot.observed_at), WIDTH - 2, "    ")
            )
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("Rejoin deadlines:\n{}", lines.join("\n"))
}

/// `Cluster orders: OK (3 of 3 members ONLINE)` and Shell's status text.
pub fn header(plan: &Plan) -> String {
    let health = &plan.health;
    format!(
        "Cluster {}: {} ({} of {} members ONLINE)\n{}",
        plan.cluster,
        health::word(health.status),
        health.online,
        health.members,
        health::text(health)
    )
}

/// One row per instance: where it is, what RDS and the member itself say, and why it could not
/// be read.
pub fn members(snapshot: &Snapshot, overrides: &EndpointOverrides) -> String {
    let rows: Vec<Vec<String>> = snapshot
        .instances
        .iter()
        .map(|instance| member_row(instance, overrides))
        .collect();
    table::table(
        &[
            "INSTANCE",
            "ENDPOINT",
            "RDS",
            "GR STATE",
            "ROLE",
            "MODE",
            "VERSION",
            "GTIDS",
            "GTID_EXECUTED",
            "ERROR",
        ],
        &rows,
    )
}

fn member_row(instance: &Instance, overrides: &EndpointOverrides) -> Vec<String> {
    let rds = instance.rds.seen();
    let report = instance.mysql.seen();
    let own = report.and_then(|r| r.own_row());
    let state = report.map(|r| r.own_state());
    // Shell's mode: R/W only for an ONLINE member that accepts writes.
    let mode = match (state, report) {
        (Some(MemberState::Online), Some(r)) if !r.super_read_only && !r.read_only => "R/W",
        (Some(MemberState::Online), _) => "R/O",
        _ => "n/a",
    };
    let mut errors = Vec::new();
    if let Some(error) = instance.rds.failed() {
        errors.push(format!("RDS: {error}"));
    }
    if let Some(error) = instance.mysql.failed() {
        errors.push(error.to_string());
    }
    // Every cell but the id (checked against RDS's naming rules) may hold what a member said.
    [
        instance.id.clone(),
        overrides
            .resolve(&instance.id, rds)
            .map_or_else(|| "-".to_owned(), |e| e.to_string()),
        rds.map_or_else(|| "?".to_owned(), |r| r.status.to_string()),
        state.map_or_else(|| "-".to_owned(), |s| s.to_string()),
        own.map(|m| m.role.clone())
            .filter(|role| !role.is_empty())
            .unwrap_or_else(|| "-".to_owned()),
        mode.to_owned(),
        report
            .map(|r| r.version.clone())
            .or_else(|| rds.and_then(|r| r.engine_version.clone()))
            .unwrap_or_else(|| "-".to_owned()),
        report.map_or_else(|| "-".to_owned(), |r| r.gtid_executed.count().to_string()),
        report.map_or_else(|| "-".to_owned(), |r| short_gtids(&r.gtid_executed)),
        errors.join("; "),
    ]
    .into_iter()
    .map(|cell| untrusted::clean(&cell, SHOWN))
    .collect()
}

/// `9f0bd6a2…:1-120,3e11fa47…:1-2`: each source's UUID cut to its first 8 digits.
fn short_gtids(set: &grkeeper::gtid::GtidSet) -> String {
    if set.is_empty() {
        return "(none)".to_owned();
    }
    let text: Vec<String> = set
        .to_string()
        .split(',')
        .map(|entry| {
            let entry = entry.trim();
            match (entry.get(..8), entry.get(36..)) {
                (Some(head), Some(rest)) => format!("{head}…{rest}"),
                _ => entry.to_owned(),
            }
        })
        .collect();
    let text = text.join(",");
    if text.chars().count() > GTID_WIDTH {
        let cut: String = text.chars().take(GTID_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// The N×N matrix of what each member's `replication_group_members` says of each other.
pub fn views(snapshot: &Snapshot) -> String {
    let matrix = ViewMatrix::new(&snapshot.instances).render();
    format!(
        "Views (row: observer; column: member as that observer sees it):\n{}",
        indent(&matrix, "  ")
    )
}

/// Findings, most severe first.
pub fn findings(plan: &Plan) -> String {
    if plan.findings.is_empty() {
        return "Findings: none.".to_owned();
    }
    let mut sorted: Vec<_> = plan.findings.iter().collect();
    sorted.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.instance.cmp(&b.instance))
    });
    let lines: Vec<String> = sorted
        .iter()
        .map(|f| {
            let severity = wire_name(&f.severity).to_ascii_uppercase();
            let place = f.instance.as_deref().unwrap_or(&plan.cluster);
            let text = format!(
                "{severity} {place} {}: {}",
                wire_name(&f.kind).replace('_', " "),
                line(&f.message)
            );
            format!("  {}", wrap(&text, WIDTH - 2, "    "))
        })
        .collect();
    format!("Findings:\n{}", lines.join("\n"))
}

/// A rolling maintenance as a plan of steps: done, the member waited for, what remains in the
/// order it is taken; empty without one.
pub fn roll(plan: &Plan) -> String {
    let Some(roll) = &plan.roll else {
        return String::new();
    };
    let stamp = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or_else(String::new, |at| {
            format!(
                " at {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        })
    };
    let mut lines: Vec<String> = roll
        .done
        .iter()
        .map(|s| format!("  done      {}{}", line(&s.to_string()), stamp(s.at)))
        .collect();
    if let Some(current) = &roll.current {
        let word = if roll.stalled { "STALLED" } else { "current" };
        lines.push(format!(
            "  {word:<9} {}{}: waiting for it to be back ONLINE and caught up",
            line(&current.to_string()),
            stamp(current.at)
        ));
    }
    for (n, step) in roll.remaining.iter().enumerate() {
        let word = if n == 0 && roll.current.is_none() {
            "next"
        } else {
            "remaining"
        };
        lines.push(format!("  {word:<9} {}", line(&step.to_string())));
    }
    if roll.current.is_none() && roll.remaining.is_empty() {
        lines.push("  nothing pending: the roll is complete".to_owned());
    }
    format!(
        "Rolling maintenance (one member at a time):\n{}",
        lines.join("\n")
    )
}

/// What the plan would do, and what it refused and why.
pub fn decisions(plan: &Plan) -> String {
    let mut lines = Vec::new();
    if let Some(action) = &plan.action {
        let text = format!(
            "do {} {}: {}",
            action.kind,
            action.instance,
            line(&action.reason)
        );
        lines.push(format!("  {}", wrap(&text, WIDTH - 2, "    ")));
    }
    for refusal in &plan.refused {
        let text = format!(
            "refused {} {} (guard {}): {}",
            refusal.action,
            refusal.instance,
            wire_name(&refusal.guard),
            line(&refusal.reason)
        );
        lines.push(format!("  {}", wrap(&text, WIDTH - 2, "    ")));
    }
    if lines.is_empty() {
        return "Plan: nothing to do.".to_owned();
    }
    format!("Plan:\n{}", lines.join("\n"))
}

/// The alerts SNS rejected for good and the journal keeps: read them here, since no subscriber
/// got them whole.
pub fn parked(parked: &[ParkedReport]) -> String {
    if parked.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = parked
        .iter()
        .map(|p| {
            let text = format!(
                "{} {} ({}): {}",
                p.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                p.subject,
                p.incident,
                line(&p.error)
            );
            format!("  {}", wrap(&text, WIDTH - 2, "    "))
        })
        .collect();
    format!(
        "Alerts SNS rejected (parked in the journal, not sent again):\n{}",
        lines.join("\n")
    )
}

/// A finding or a reason as one line: they may quote what a member said.
fn line(text: &str) -> String {
    untrusted::clean(text, LINE_MAX)
}

/// `text` with every line starting with `prefix`.
pub fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}").trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use grkeeper::fixtures::{ClusterBuilder, GROUP, server_uuid};
    use grkeeper::model::ProbeError;
    use grkeeper::plan;

    use super::*;

    fn rendered(builder: ClusterBuilder) -> String {
        let snapshot = builder.build();
        cluster(
            &snapshot,
            &plan::plan(&snapshot),
            &EndpointOverrides::default(),
        )
    }

    #[test]
    fn a_healthy_cluster_reads_like_mysql_shell_with_every_member_r_w() {
        let text = rendered(ClusterBuilder::healthy(3));
        assert!(text.starts_with(
            "Cluster orders: OK (3 of 3 members ONLINE)\n\
             Cluster is ONLINE and can tolerate up to ONE failure."
        ));
        let row = text.lines().find(|l| l.starts_with("orders-2")).unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "orders-2",
                "orders-2.abcdefghijkl.us-east-1.rds.amazonaws.com:3306",
                "available",
                "ONLINE",
                "PRIMARY",
                "R/W",
                "8.0.36",
                "100",
                "aaaaaaaa…:1-100",
            ]
        );
        assert!(text.contains("Findings: none.") && text.contains("Plan: nothing to do."));
    }

    #[test]
    fn a_stopped_member_shows_in_the_table_the_matrix_the_findings_and_the_plan() {
        let text = rendered(
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .executed("orders-2", &format!("{GROUP}:1-90")),
        );
        assert!(text.contains("OK_NO_TOLERANCE_PARTIAL (2 of 3 members ONLINE)"));
        assert!(text.contains("1 member is not active."));
        let row = text.lines().find(|l| l.starts_with("orders-2")).unwrap();
        assert!(row.contains(" OFFLINE ") && row.contains(" n/a ") && row.contains(" 90 "));
        assert!(
            text.contains("\n  orders-2     -            OFFLINE      -\n"),
            "{text}"
        );
        assert!(
            text.contains("\n  WARNING orders-2 member offline: orders-2 is reachable"),
            "{text}"
        );
        assert!(text.contains("  do rejoin orders-2: "), "{text}");
    }

    #[test]
    fn an_unreadable_member_shows_why_in_the_error_column() {
        let error = ProbeError::Mysql {
            code: 3032,
            message: "The server is currently in offline mode".into(),
        };
        let text = rendered(ClusterBuilder::healthy(3).unreadable("orders-3", error, false));
        let row = text.lines().find(|l| l.starts_with("orders-3")).unwrap();
        assert!(
            row.ends_with("MySQL error 3032: \"The server is currently in offline mode\""),
            "{row}"
        );
        assert!(row.contains(" - "), "{row}");
    }

    #[test]
    fn gtid_sets_are_shortened_to_the_uuid_prefix_and_cut() {
        let set = format!("{GROUP}:1-100,{}:1-3", server_uuid(2))
            .parse()
            .unwrap();
        assert_eq!(short_gtids(&set), "00000002…:1-3,aaaaaaaa…:1-100");
        assert_eq!(short_gtids(&grkeeper::gtid::GtidSet::new()), "(none)");
        let many = (1..=9)
            .map(|i| format!("{}:1-5", server_uuid(i)))
            .collect::<Vec<_>>()
            .join(",")
            .parse()
            .unwrap();
        assert_eq!(short_gtids(&many).chars().count(), GTID_WIDTH);
    }

    #[test]
    fn a_member_out_of_the_group_shows_its_rejoin_deadline() {
        let text = rendered(
            ClusterBuilder::healthy(3)
                .stopped_by("orders-2", "admin@10.0.3.7", "2026-11-30 11:00:00")
                .condition_since("orders-2", "OFFLINE", "2026-11-30T11:00:00Z"),
        );
        assert!(
            text.contains(
                "Rejoin deadlines:\n  orders-2 must rejoin before 2026-12-07T11:00:00Z (in 6d 23h)"
            ),
            "{text}"
        );
        assert!(!rendered(ClusterBuilder::healthy(3)).contains("Rejoin deadlines"));
    }

    #[test]
    fn what_a_hostile_member_says_cannot_break_the_status_lines() {
        let text = rendered(
            ClusterBuilder::healthy(3)
                .error_state("orders-2")
                .report("orders-2", |r| {
                    r.version = "8.0.36\n\x1b[2Jfake row".into();
                    r.errors = vec![grkeeper::model::ErrorLogEntry {
                        logged: "2026-11-30 00:00:00".into(),
                        prio: "Error".into(),
                        error_code: "MY-011526".into(),
                        data: format!("boom\nFindings: none.\x1b[31m{}", "x".repeat(1 << 20)),
                    }];
                })
                .unreadable(
                    "orders-3",
                    ProbeError::Mysql {
                        code: 1045,
                        message: "denied\r\nPlan: nothing to do.".into(),
                    },
                    false,
                ),
        );
        assert!(
            text.chars().all(|c| c == '\n' || untrusted::is_shown(c)),
            "a control character reached the terminal"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("Plan: nothing to do.")),
            "{text}"
        );
        assert_eq!(
            text.lines().filter(|l| l.starts_with("Findings")).count(),
            1,
            "{text}"
        );
        assert!(text.len() < 64 * 1024, "{}", text.len());
    }

    #[test]
    fn parked_alerts_are_listed_with_why_sns_rejected_them() {
        assert_eq!(parked(&[]), "");
        let text = parked(&[ParkedReport {
            subject: "CRITICAL orders: complete outage".into(),
            error: "SNS.Publish: request rejected: Invalid parameter".into(),
            at: grkeeper::fixtures::at("2026-11-30T03:12:00Z"),
            incident: "orders/complete_outage/cluster/20261130T031200Z".into(),
        }]);
        assert!(text.starts_with("Alerts SNS rejected"), "{text}");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(
            "2026-11-30T03:12:00Z CRITICAL orders: complete outage \
             (orders/complete_outage/cluster/20261130T031200Z): SNS.Publish"
        ));
    }
}

//! The evidence an alert carries, as text: the N×N view matrix (what each member sees of each
//! other), the GTID differences that decide whether a member may rejoin, and recent `Repl`
//! error-log lines.

use std::fmt::Write as _;

use crate::gtid::GtidSet;
use crate::model::untrusted::{SHOWN, clean, quote};
use crate::model::{Instance, MemberReport, MemberState, Observed};

/// Lines of a member's error log an alert quotes.
const ERROR_LINES: usize = 5;

/// Every member's view side by side: rows are observers, columns are members, each cell is the
/// state the row's observer gives the column's member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewMatrix {
    /// Column labels: inventory instance ids, then member ids no instance reported.
    pub columns: Vec<String>,
    /// One row per inventory instance.
    pub rows: Vec<MatrixRow>,
}

/// One observer's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// The observing instance.
    pub observer: String,
    /// Its view, or why it could not be read.
    pub cells: Result<Vec<Cell>, String>,
}

/// What one observer's view says of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Listed in this state.
    State(MemberState),
    /// Not listed.
    Absent,
    /// The column's instance could not be read, so its member id (and its row in any view) is
    /// unknown: it may be one of the member-id columns.
    Unknown,
}

impl ViewMatrix {
    /// Builds the matrix from one observation. Members are matched to instances by
    /// `server_uuid`, never by host name.
    pub fn new(instances: &[Instance]) -> ViewMatrix {
        let mut columns: Vec<String> = instances.iter().map(|i| i.id.clone()).collect();
        let mut column_ids: Vec<Option<String>> = instances
            .iter()
            .map(|i| i.mysql.seen().map(|r| r.server_uuid.to_ascii_lowercase()))
            .collect();
        for report in instances.iter().filter_map(|i| i.mysql.seen()) {
            for member in &report.view {
                let id = member.member_id.to_ascii_lowercase();
                if !column_ids.iter().flatten().any(|known| *known == id) {
                    columns.push(clean(&id, SHOWN));
                    column_ids.push(Some(id));
                }
            }
        }
        let rows = instances
            .iter()
            .map(|instance| MatrixRow {
                observer: instance.id.clone(),
                cells: match &instance.mysql {
                    Observed::Failed(error) => Err(error.to_string()),
                    Observed::Seen(report) => Ok(column_ids
                        .iter()
                        .map(|id| match id {
                            None => Cell::Unknown,
                            Some(id) => state_seen_by(report, id).map_or(Cell::Absent, Cell::State),
                        })
                        .collect()),
                },
            })
            .collect();
        ViewMatrix { columns, rows }
    }

    /// A table in aligned columns: `-` where the observer's view does not list the member, `?`
    /// where the member's id is unknown.
    pub fn render(&self) -> String {
        const GAP: usize = 2;
        let state_width = MemberState::Unreachable.to_string().len();
        let width = |label: &String| label.chars().count().max(state_width) + GAP;
        let first = self
            .rows
            .iter()
            .map(|r| width(&r.observer))
            .max()
            .unwrap_or(GAP);
        let widths: Vec<usize> = self.columns.iter().map(width).collect();
        let mut out = format!("{:first$}", "");
        for (column, w) in self.columns.iter().zip(&widths) {
            let _ = write!(out, "{column:w$}");
        }
        for row in &self.rows {
            let _ = write!(out, "\n{:first$}", row.observer);
            match &row.cells {
                Err(error) => {
                    let _ = write!(out, "(not read: {error})");
                }
                Ok(cells) => {
                    for (cell, w) in cells.iter().zip(&widths) {
                        let text = match cell {
                            Cell::State(state) => state.to_string(),
                            Cell::Absent => "-".to_owned(),
                            Cell::Unknown => "?".to_owned(),
                        };
                        let _ = write!(out, "{text:w$}");
                    }
                }
            }
        }
        out.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn state_seen_by(report: &MemberReport, member_id: &str) -> Option<MemberState> {
    report
        .view
        .iter()
        .find(|m| m.member_id.eq_ignore_ascii_case(member_id))
        .map(|m| m.state)
}

/// GTID differences of the `concerned` instances, one line each that says something: against
/// the members ONLINE in their own view when there are any (errant, missing, and missing but
/// purged on every such donor), else against everything any member holds (who lacks what).
pub(crate) fn gtid_lines(instances: &[Instance], concerned: &[&Instance]) -> Vec<String> {
    let reports = || instances.iter().filter_map(|i| i.mysql.seen());
    let donors: Vec<&MemberReport> = reports()
        .filter(|r| r.own_state() == MemberState::Online)
        .collect();
    let mut lines = Vec::new();
    let mut line = |id: &str, what: &str, set: &GtidSet| {
        if !set.is_empty() {
            lines.push(format!("{id} {what}: {}", one_line(set)));
        }
    };
    if donors.is_empty() {
        let everything = reports().fold(GtidSet::new(), |acc, r| acc.union(&r.gtid_executed));
        for instance in concerned {
            if let Some(report) = instance.mysql.seen() {
                let lacks = everything.difference(&report.gtid_executed);
                line(&instance.id, "lacks what other members hold", &lacks);
            }
        }
    } else {
        let group = donors
            .iter()
            .fold(GtidSet::new(), |acc, r| acc.union(&r.gtid_executed));
        let purged_everywhere = donors
            .iter()
            .skip(1)
            .fold(donors[0].gtid_purged.clone(), |acc, r| {
                acc.intersection(&r.gtid_purged)
            });
        for instance in concerned {
            let Some(report) = instance.mysql.seen() else {
                continue;
            };
            let missing = group.difference(&report.gtid_executed);
            line(
                &instance.id,
                "errant (the group does not have them)",
                &report.gtid_executed.difference(&group),
            );
            line(&instance.id, "missing", &missing);
            line(
                &instance.id,
                "missing and purged on every ONLINE donor",
                &missing.intersection(&purged_everywhere),
            );
        }
    }
    lines
}

/// The newest `Repl` error-log lines of the `concerned` instances.
pub(crate) fn error_lines(concerned: &[&Instance]) -> Vec<String> {
    concerned
        .iter()
        .filter_map(|i| i.mysql.seen().map(|r| (i, r)))
        .flat_map(|(instance, report)| {
            report.errors.iter().take(ERROR_LINES).map(|e| {
                format!(
                    "{} {} {} {}: {}",
                    instance.id,
                    clean(&e.logged, SHOWN),
                    clean(&e.prio, SHOWN),
                    clean(&e.error_code, SHOWN),
                    quote(&e.data)
                )
            })
        })
        .collect()
}

/// MySQL prints long GTID sets over several lines; an alert line keeps them on one.
fn one_line(set: &GtidSet) -> String {
    set.to_string().replace('\n', "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ClusterBuilder, GROUP, server_uuid};
    use crate::model::{ErrorLogEntry, ProbeError};

    #[test]
    fn the_matrix_shows_each_observer_s_view_of_each_member() {
        let timeout = ProbeError::Timeout {
            during: "connect".into(),
        };
        let s = ClusterBuilder::healthy(3)
            .gr_stopped("orders-2")
            .unreadable("orders-3", timeout, true)
            .build();
        let expected = [
            "             orders-1     orders-2     orders-3     00000003-1111-4222-8333-444444444444",
            "orders-1     ONLINE       -            ?            UNREACHABLE",
            "orders-2     -            OFFLINE      ?            -",
            "orders-3     (not read: timed out during connect)",
        ]
        .join("\n");
        assert_eq!(ViewMatrix::new(&s.instances).render(), expected);
    }

    #[test]
    fn a_member_id_no_instance_reported_gets_its_own_column() {
        let s = ClusterBuilder::healthy(2).crashed("orders-2").build();
        let matrix = ViewMatrix::new(&s.instances);
        assert_eq!(
            matrix.columns,
            vec!["orders-1".to_owned(), "orders-2".to_owned(), server_uuid(2)]
        );
        assert_eq!(
            matrix.rows[0].cells,
            Ok(vec![
                Cell::State(MemberState::Online),
                Cell::Unknown,
                Cell::State(MemberState::Unreachable)
            ])
        );
    }

    #[test]
    fn gtid_lines_name_errant_missing_and_purged_transactions() {
        let s = ClusterBuilder::healthy(3)
            .purged("orders-1", &format!("{GROUP}:1-50"))
            .purged("orders-3", &format!("{GROUP}:1-60"))
            .gr_stopped("orders-2")
            .executed("orders-2", &format!("{GROUP}:1-10,{}:1-3", server_uuid(2)))
            .build();
        let lines = gtid_lines(&s.instances, &[&s.instances[1]]);
        assert_eq!(
            lines,
            vec![
                format!(
                    "orders-2 errant (the group does not have them): {}:1-3",
                    server_uuid(2)
                ),
                format!("orders-2 missing: {GROUP}:11-100"),
                format!("orders-2 missing and purged on every ONLINE donor: {GROUP}:11-50"),
            ]
        );
    }

    #[test]
    fn without_an_online_member_gtid_lines_say_who_lacks_what() {
        let s = ClusterBuilder::healthy(2)
            .complete_outage()
            .executed("orders-2", &format!("{GROUP}:1-90"))
            .build();
        let concerned: Vec<&Instance> = s.instances.iter().collect();
        assert_eq!(
            gtid_lines(&s.instances, &concerned),
            vec![format!(
                "orders-2 lacks what other members hold: {GROUP}:91-100"
            )]
        );
    }

    #[test]
    fn error_lines_quote_the_newest_lines_of_the_concerned_members() {
        let s = ClusterBuilder::healthy(3)
            .gr_stopped("orders-2")
            .report("orders-2", |r| {
                r.errors = (0..8)
                    .map(|n| ErrorLogEntry {
                        logged: format!("2026-11-30 00:00:0{n}"),
                        prio: "Error".into(),
                        error_code: "MY-011526".into(),
                        data: format!("line {n}"),
                    })
                    .collect();
            })
            .build();
        let lines = error_lines(&[&s.instances[1]]);
        assert_eq!(lines.len(), ERROR_LINES);
        assert_eq!(
            lines[0],
            "orders-2 2026-11-30 00:00:00 Error MY-011526: \"line 0\""
        );
    }
}

//! The figures of a batch ([`Figures`]) as a one-screen summary and as `docs/reliability.md`,
//! and the text that reports one failing schedule (seed, shrunk faults, replay command).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::batch::{NotRun, Ran};
use crate::checker::Liveness;
use crate::ports::UnsafePlanner;
use crate::runner::{Outcome, QUIET_TICKS};
use crate::schedule::Aws;
use crate::shrink::{Shrunk, replay_command};

/// What a batch did, added up.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Schedules run to the end.
    pub schedules: u64,
    /// Of which on moto through the bridge.
    pub on_moto: u64,
    /// Schedules by inventory size.
    pub sizes: BTreeMap<usize, u64>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u64>,
    /// Actions that reached the cluster, by kind.
    pub actions: BTreeMap<&'static str, u64>,
    /// Ticks run.
    pub ticks: u64,
    /// Violations, by invariant.
    pub violations: BTreeMap<&'static str, u64>,
    /// Seeds with a violation.
    pub violating: Vec<u64>,
    /// Seeds with a liveness failure.
    pub liveness_failures: Vec<u64>,
    /// Schedules grkeeper had to repair alone, and those that converged.
    pub repairable: u64,
    /// Converged schedules: ticks and simulated seconds from the end of the faults.
    pub converged: Vec<(u32, u64)>,
    /// Schedules a person must finish, ended with an open incident.
    pub incidents: u64,
    /// Seeds that could not be set up (a harness problem), with why.
    pub not_run: Vec<(u64, String)>,
    /// Seeds still running after the batch's bound on one schedule, stopped unjudged.
    pub hung: Vec<u64>,
    /// That bound.
    pub hung_after: Duration,
}

impl Figures {
    /// Adds up a batch run with `hung_after` as its bound on one schedule.
    pub fn of(ran: &[Ran], hung_after: Duration) -> Figures {
        let mut figures = Figures {
            hung_after,
            ..Figures::default()
        };
        for result in ran {
            match result {
                Ok(outcome) => figures.add(outcome),
                Err(NotRun::Broken(seed, why)) => figures.not_run.push((*seed, why.clone())),
                Err(NotRun::Hung(seed, _)) => figures.hung.push(*seed),
            }
        }
        figures
    }

    fn add(&mut self, outcome: &Outcome) {
        self.schedules += 1;
        if outcome.aws == Aws::Moto {
            self.on_moto += 1;
        }
        *self.sizes.entry(outcome.members).or_default() += 1;
        for (_, fault) in &outcome.faults {
            *self.faults.entry(fault.kind()).or_default() += 1;
        }
        for (kind, count) in &outcome.actions {
            *self.actions.entry(kind).or_default() += u64::from(*count);
        }
        self.ticks += u64::from(outcome.ticks);
        for violation in &outcome.violations {
            *self.violations.entry(violation.kind()).or_default() += 1;
        }
        if !outcome.violations.is_empty() {
            self.violating.push(outcome.seed);
        }
        if outcome.repairable {
            self.repairable += 1;
        }
        match &outcome.liveness {
            Liveness::Converged { ticks, secs } => self.converged.push((*ticks, *secs)),
            Liveness::Incident(_) => self.incidents += 1,
            Liveness::Failed(_) => self.liveness_failures.push(outcome.seed),
        }
    }

    /// Total violations.
    pub fn violation_count(&self) -> u64 {
        self.violations.values().sum()
    }

    /// Nothing failed and every schedule ran to its end.
    pub fn clean(&self) -> bool {
        self.violating.is_empty()
            && self.liveness_failures.is_empty()
            && self.not_run.is_empty()
            && self.hung.is_empty()
    }

    /// A few lines for a terminal.
    pub fn summary(&self) -> String {
        let (ticks, secs) = self.distributions();
        format!(
            "{} schedules ({} on moto), {} ticks: {} violations in {} schedules, {} liveness \
             failures, {} not run, {} hung; converged {} (ticks to converge {}; simulated \
             seconds {}), ended with an incident {}",
            self.schedules,
            self.on_moto,
            self.ticks,
            self.violation_count(),
            self.violating.len(),
            self.liveness_failures.len(),
            self.not_run.len(),
            self.hung.len(),
            self.converged.len(),
            ticks.line(),
            secs.line(),
            self.incidents
        )
    }

    fn distributions(&self) -> (Distribution, Distribution) {
        let ticks = self.converged.iter().map(|(t, _)| u64::from(*t)).collect();
        let secs = self.converged.iter().map(|(_, s)| *s).collect();
        (Distribution::of(ticks), Distribution::of(secs))
    }

    /// The figures section of `docs/reliability.md`, with the command and seeds that produced
    /// them and the wall-clock time they took.
    pub fn markdown(&self, command: &str, first_seed: u64, elapsed: Duration) -> String {
        let started = self.schedules + self.not_run.len() as u64 + self.hung.len() as u64;
        let last = (first_seed + started).saturating_sub(1);
        let mut md = String::new();
        let _ = writeln!(
            md,
            "Generated by `{command}` (seeds {first_seed} to {last}, {:.0} minutes of wall-clock \
             time); the lines between the two markers are rewritten by each run.\n",
            elapsed.as_secs_f64() / 60.0
        );
        let _ = writeln!(md, "### Outcome\n");
        let _ = writeln!(md, "| | |\n|---|---|");
        let rows = [
            ("schedules run", self.schedules.to_string()),
            (
                "on the real AWS adapters (moto, through the bridge)",
                self.on_moto.to_string(),
            ),
            (
                "clusters of 3 / 5 / 9 members",
                [3, 5, 9]
                    .map(|n| self.sizes.get(&n).copied().unwrap_or(0).to_string())
                    .join(" / "),
            ),
            ("ticks run", self.ticks.to_string()),
            ("invariant violations", self.violation_count().to_string()),
            (
                "liveness failures",
                self.liveness_failures.len().to_string(),
            ),
            (
                "schedules grkeeper had to repair alone",
                self.repairable.to_string(),
            ),
            (
                "converged (every member ONLINE in one group)",
                self.converged.len().to_string(),
            ),
            (
                "left for a person, with an open incident saying what to do",
                self.incidents.to_string(),
            ),
            ("not run (harness errors)", self.not_run.len().to_string()),
            (
                &hung_row(self.hung_after),
                if self.hung.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{} (seeds {})", self.hung.len(), seeds(&self.hung))
                },
            ),
        ];
        for (what, value) in rows {
            let _ = writeln!(md, "| {what} | {value} |");
        }
        if !self.violations.is_empty() {
            let _ = writeln!(md, "\n### Violations\n\n| invariant | count |\n|---|---|");
            for (kind, count) in &self.violations {
                let _ = writeln!(md, "| {kind} | {count} |");
            }
            let _ = writeln!(md, "\nSeeds: {}", seeds(&self.violating));
        }
        if !self.liveness_failures.is_empty() {
            let _ = writeln!(
                md,
                "\nLiveness failures, seeds: {}",
                seeds(&self.liveness_failures)
            );
        }
        let (ticks, secs) = self.distributions();
        let _ = writeln!(
            md,
            "\n### Time to converge once the faults stop\n\nScheduled ticks (one a minute) and \
             simulated seconds from the end of the faults to every member ONLINE in one group \
             (bound: {QUIET_TICKS} ticks).\n"
        );
        let _ = writeln!(
            md,
            "| | min | median | 90th | 99th | max |\n|---|---|---|---|---|---|"
        );
        let _ = writeln!(md, "| ticks | {} |", ticks.cells());
        let _ = writeln!(md, "| simulated seconds | {} |", secs.cells());
        let _ = writeln!(md, "\n### Faults injected\n\n| fault | count |\n|---|---|");
        for (kind, count) in &self.faults {
            let _ = writeln!(md, "| {kind} | {count} |");
        }
        let _ = writeln!(
            md,
            "\n### Actions that reached the cluster\n\n| action | count |\n|---|---|"
        );
        for (kind, count) in &self.actions {
            let _ = writeln!(md, "| {kind} | {count} |");
        }
        md
    }
}

/// The line that opens the generated figures in `docs/reliability.md`.
pub const FIGURES_BEGIN: &str = "<!-- chaos figures: begin -->";
/// The line that closes them.
pub const FIGURES_END: &str = "<!-- chaos figures: end -->";

/// `document` with the lines between its two figure markers replaced by `figures`: the rest of
/// `docs/reliability.md` (what is judged, the faults, how to replay) is written by hand. `None`
/// when the markers are missing or out of order.
pub fn splice(document: &str, figures: &str) -> Option<String> {
    let begin = document.find(FIGURES_BEGIN)? + FIGURES_BEGIN.len();
    let end = begin + document.get(begin..)?.find(FIGURES_END)?;
    Some(format!(
        "{}\n{}{}",
        document.get(..begin)?,
        figures,
        document.get(end..)?
    ))
}

/// The report's row of hung schedules, naming the bound.
fn hung_row(after: Duration) -> String {
    format!(
        "hung (still running after {} s of real time: stopped, unjudged)",
        after.as_secs()
    )
}

fn seeds(seeds: &[u64]) -> String {
    seeds
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quantiles of a sample.
#[derive(Debug, Clone)]
struct Distribution(Vec<u64>);

impl Distribution {
    fn of(mut values: Vec<u64>) -> Self {
        values.sort_unstable();
        Distribution(values)
    }

    fn at(&self, q: f64) -> Option<u64> {
        if self.0.is_empty() {
            return None;
        }
        let last = self.0.len() - 1;
        // Nearest rank: the value below which a fraction q of the sample lies.
        let rank = (q * last as f64).round() as usize;
        self.0.get(rank.min(last)).copied()
    }

    fn cells(&self) -> String {
        [0.0, 0.5, 0.9, 0.99, 1.0]
            .map(|q| self.at(q).map_or("-".to_owned(), |v| v.to_string()))
            .join(" | ")
    }

    fn line(&self) -> String {
        match (self.at(0.5), self.at(0.99), self.at(1.0)) {
            (Some(median), Some(p99), Some(max)) => {
                format!("median {median}, 99th {p99}, max {max}")
            }
            _ => "none".to_owned(),
        }
    }
}

/// What a failing schedule prints: its seed, what broke, the shrunk fault list and the one
/// command that replays it.
pub fn failure(original: &Outcome, shrunk: &Shrunk, planner: Option<UnsafePlanner>) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "FAILED seed {}:", original.seed);
    for violation in &shrunk.outcome.violations {
        let _ = writeln!(text, "  violation: {violation}");
    }
    if let Liveness::Failed(why) = &shrunk.outcome.liveness {
        let _ = writeln!(text, "  liveness: {why}");
    }
    let _ = writeln!(
        text,
        "  faults ({} of {}, shrunk in {} runs):",
        shrunk.outcome.faults.len(),
        original.faults.len(),
        shrunk.runs
    );
    for (n, fault) in &shrunk.outcome.faults {
        let _ = writeln!(text, "    {n}: {fault}");
    }
    let _ = writeln!(
        text,
        "  replay: {}",
        replay_command(original.seed, &shrunk.keep, planner)
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_replace_only_the_lines_between_the_markers() {
        let document = format!(
            "# Title\n\nby hand\n{FIGURES_BEGIN}\nold figures\n{FIGURES_END}\nmore by hand\n"
        );
        let spliced = splice(&document, "new figures\n").unwrap();
        assert_eq!(
            spliced,
            format!(
                "# Title\n\nby hand\n{FIGURES_BEGIN}\nnew figures\n{FIGURES_END}\nmore by hand\n"
            )
        );
        assert_eq!(splice(&spliced, "new figures\n").unwrap(), spliced);
        assert_eq!(splice("no markers", "x"), None);
        assert_eq!(
            splice(&format!("{FIGURES_END}\n{FIGURES_BEGIN}"), "x"),
            None
        );
    }
}

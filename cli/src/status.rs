//! `grkeeper status [--cluster NAME] [--output text|json]`: each cluster as the keeper sees it
//! now. It is a dry-run tick (the functions' own observation and planner, no lease, no action,
//! nothing sent) printed for a person: status and tolerance, members, views, findings, rejoin
//! deadlines, what a tick would do, and the alerts SNS rejected (parked in the journal). Its exit
//! code tells healthy (0), degraded (3) and down (4) apart.

use grkeeper::keeper::{ClusterOutcome, ClusterReport};
use grkeeper::plan::ClusterStatus;
use serde_json::json;

use crate::{Failure, Output, environment, operator, print_json, render, scope};

/// Arguments of `grkeeper status`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 every cluster healthy (OK), 3 degraded (a member missing \
                         or no failure tolerated), 4 down (no quorum, complete outage, split \
                         brain), 1 a cluster could not be observed, 2 bad input.\n\n\
                         Examples:\n  grkeeper status\n  grkeeper status --cluster orders \
                         --output json | jq '.[0].plan.health'"
)]
pub struct Args {
    /// Only this cluster (default: every cluster the configuration keeps).
    #[arg(long)]
    cluster: Option<String>,
    /// Tables for a person, or each cluster's plan and snapshot as JSON.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// The same as --output json.
    #[arg(long, hide = true)]
    json: bool,
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let trigger = scope::sweep(args.cluster.as_deref(), None)?;
    let keeper = environment::keeper().await?;
    let summary = keeper
        .tick(&trigger, &operator::tick_options(true))
        .await
        .map_err(environment::keeper_failure)?;
    if summary.clusters.is_empty() {
        return Err(Failure::Failed(summary.note.unwrap_or_else(|| {
            "no cluster to show: the inventory is empty".to_owned()
        })));
    }
    if args.json || args.output == Output::Json {
        let clusters: Vec<_> = summary
            .clusters
            .iter()
            .map(|c| json!({"cluster": c.cluster, "plan": c.plan, "snapshot": c.snapshot, "parked": c.parked, "error": c.error}))
            .collect();
        print_json(&clusters)?;
    } else {
        let shown: Vec<String> = summary
            .clusters
            .iter()
            .map(|report| show(report, &keeper.config.endpoint_overrides))
            .collect();
        println!("{}", shown.join("\n\n"));
    }
    let unobserved: Vec<String> = summary.clusters.iter().filter_map(unobserved).collect();
    if !unobserved.is_empty() {
        return Err(Failure::Failed(unobserved.join("; ")));
    }
    let worst = summary
        .clusters
        .iter()
        .filter_map(|c| c.plan.as_ref())
        .map(|plan| verdict(plan.health.status))
        .max()
        .unwrap_or(0);
    match worst {
        0 => Ok(()),
        code => Err(Failure::Verdict(code)),
    }
}

/// The exit code of one cluster's status: 0 healthy, 3 degraded, 4 down.
fn verdict(status: ClusterStatus) -> u8 {
    match status {
        ClusterStatus::Ok => 0,
        ClusterStatus::OkPartial
        | ClusterStatus::OkNoTolerance
        | ClusterStatus::OkNoTolerancePartial => 3,
        ClusterStatus::NoQuorum
        | ClusterStatus::CompleteOutage
        | ClusterStatus::SplitBrain
        | ClusterStatus::Empty => 4,
    }
}

fn show(report: &ClusterReport, overrides: &grkeeper::model::EndpointOverrides) -> String {
    let cluster = match (&report.snapshot, &report.plan) {
        (Some(snapshot), Some(plan)) => render::cluster(snapshot, plan, overrides),
        _ => format!(
            "Cluster {}: not observed: {}",
            report.cluster,
            report.error.as_deref().unwrap_or("no observation")
        ),
    };
    match render::parked(&report.parked) {
        parked if parked.is_empty() => cluster,
        parked => format!("{cluster}\n\n{parked}"),
    }
}

/// Why nothing could be observed of a cluster: its tick failed, or not one instance could be
/// read from RDS or MySQL.
fn unobserved(report: &ClusterReport) -> Option<String> {
    if report.outcome == ClusterOutcome::Failed {
        let error = report.error.as_deref().unwrap_or("failed");
        return Some(format!("cluster {}: {error}", report.cluster));
    }
    let snapshot = report.snapshot.as_ref()?;
    let read = snapshot
        .instances
        .iter()
        .any(|i| i.rds.seen().is_some() || i.mysql.seen().is_some());
    (!read).then(|| {
        format!(
            "cluster {}: no instance could be read (see the ERROR column)",
            report.cluster
        )
    })
}

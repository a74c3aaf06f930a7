//! `grkeeper tick [--dry-run] [--cluster NAME] [--save-snapshot DIR]`: one tick through the same
//! `Keeper::tick` the functions run, started as a manual sweep, its summary printed as JSON.
//! `--dry-run` takes no lease, acts on nothing and sends nothing. `--save-snapshot` writes each
//! cluster's last snapshot to `DIR/<cluster>.json`, replayable with `grkeeper plan --snapshot`.

use std::path::{Path, PathBuf};

use grkeeper::keeper::{ClusterOutcome, TickSummary};

use crate::{Failure, environment, operator, print_json, scope};

/// Arguments of `grkeeper tick`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Observe and plan only: no lease, no action, no journal write, no alert.
    #[arg(long)]
    dry_run: bool,
    /// Only this cluster (default: every cluster the configuration keeps).
    #[arg(long)]
    cluster: Option<String>,
    /// Write each cluster's last snapshot to DIR/<cluster>.json.
    #[arg(long, value_name = "DIR")]
    save_snapshot: Option<PathBuf>,
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let trigger = scope::sweep(args.cluster.as_deref(), None)?;
    let keeper = environment::keeper().await?;
    let summary = keeper
        .tick(&trigger, &operator::tick_options(args.dry_run))
        .await
        .map_err(environment::keeper_failure)?;
    print_json(&summary)?;
    if let Some(dir) = &args.save_snapshot {
        save_snapshots(&summary, dir)?;
    }
    let failed: Vec<String> = summary
        .clusters
        .iter()
        .filter(|c| c.outcome == ClusterOutcome::Failed)
        .map(|c| {
            format!(
                "cluster {}: {}",
                c.cluster,
                c.error.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(format!(
            "tick failed: {}",
            failed.join("; ")
        )))
    }
}

fn save_snapshots(summary: &TickSummary, dir: &Path) -> Result<(), Failure> {
    let cannot = |path: &Path, e: &dyn std::fmt::Display| {
        Failure::Failed(format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| cannot(dir, &e))?;
    for report in &summary.clusters {
        let Some(snapshot) = &report.snapshot else {
            continue;
        };
        let path = dir.join(format!("{}.json", report.cluster));
        let text = serde_json::to_string_pretty(snapshot).map_err(|e| cannot(&path, &e))?;
        std::fs::write(&path, text + "\n").map_err(|e| cannot(&path, &e))?;
        eprintln!("snapshot of {} saved to {}", report.cluster, path.display());
    }
    Ok(())
}

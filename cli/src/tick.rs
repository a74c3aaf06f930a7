//! `grkeeper tick [--dry-run] [--cluster NAME] [--save-snapshot DIR]`: one tick through the same
//! `Keeper::tick` the functions run, started as a manual sweep, its summary printed as JSON.
//! `--dry-run` takes no lease, acts on nothing and sends nothing. `--save-snapshot` writes each
//! cluster's last snapshot to `DIR/<cluster>.json`, replayable with `grkeeper plan --snapshot`.
//! A tick that may act first checks the local configuration against the deployment's published
//! one (`deployed`), then shows what it would do and asks (or takes `--yes`).

use std::path::{Path, PathBuf};

use grkeeper::keeper::{ClusterOutcome, TickSummary};

use crate::{Failure, deployed, environment, operator, print_json, scope};

/// Arguments of `grkeeper tick`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper tick --dry-run\n  grkeeper tick --cluster orders\n  grkeeper tick --cluster orders --yes --save-snapshot snapshots/"
)]
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
    /// Act without asking (scripts); without it, a tick that may act shows its plan and asks.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Act even when the local configuration differs from the deployment's published one.
    #[arg(long)]
    ignore_deployed_config: bool,
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let trigger = scope::sweep(args.cluster.as_deref(), None)?;
    let keeper = environment::keeper().await?;
    if !args.dry_run {
        if !args.ignore_deployed_config {
            deployed::check(&keeper).await?;
        }
        if !args.yes {
            confirm(&keeper, &trigger).await?;
        }
    }
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

/// Shows what a tick would do now and asks whether to go ahead; refuses without a terminal to
/// ask on (pass `--yes` there).
async fn confirm(
    keeper: &grkeeper::wiring::LambdaKeeper,
    trigger: &grkeeper::trigger::Trigger,
) -> Result<(), Failure> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(Failure::BadInput(
            "tick acts on the clusters and there is no terminal to confirm on: pass --yes (or \
             --dry-run to see what it would do)"
                .into(),
        ));
    }
    let preview = keeper
        .tick(trigger, &operator::tick_options(true))
        .await
        .map_err(environment::keeper_failure)?;
    let planned: Vec<String> = preview
        .clusters
        .iter()
        .filter_map(|c| {
            let action = c.plan.as_ref()?.action.as_ref()?;
            Some(format!(
                "  {}: {} {} ({})",
                c.cluster, action.kind, action.instance, action.reason
            ))
        })
        .collect();
    if planned.is_empty() {
        eprintln!("grkeeper: nothing to do now; the tick only observes, journals and alerts");
    } else {
        eprintln!("grkeeper: a tick now would take:\n{}", planned.join("\n"));
    }
    eprint!("Run the tick (each action is observed and planned again first)? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Failed(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::Failed("not confirmed: nothing was done".into()))
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

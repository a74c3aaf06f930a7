//! `grkeeper pause --cluster NAME [--instance ID] --for DURATION --reason TEXT [--by WHO]`:
//! maintenance. Until the pause expires (or `grkeeper resume`), every tick still observes,
//! journals and alerts, but refuses every action on the cluster (or the instance), saying why.

use grkeeper::ports::journal::Journal;
use grkeeper::snapshot::Pause;

use crate::{Failure, environment, expiry, operator, scope};

/// Arguments of `grkeeper pause`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper pause --cluster orders --for 2h --reason \"minor upgrade\"\n  grkeeper pause --cluster orders --instance orders-2 --for 30m --reason \"parameter change\""
)]
pub struct Args {
    /// The cluster.
    #[arg(long)]
    cluster: String,
    /// Only this instance of it.
    #[arg(long)]
    instance: Option<String>,
    /// How long: 30m, 2h, 1h30m, 1d (at most 30 days).
    #[arg(long = "for", value_name = "DURATION")]
    duration: String,
    /// Why, shown in every alert and refusal meanwhile.
    #[arg(long)]
    reason: String,
    /// Who pauses (default: $USER@host).
    #[arg(long)]
    by: Option<String>,
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let (cluster, instance) = scope::names(&args.cluster, args.instance.as_deref())?;
    let until = expiry::until(&args.duration)?;
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(Failure::BadInput(
            "--reason is empty: say why, it is shown in every alert meanwhile".into(),
        ));
    }
    let pause = Pause {
        until,
        reason: reason.to_owned(),
        by: args.by.clone().unwrap_or_else(operator::who),
    };
    let journal = environment::journal().await?;
    journal
        .pause(&cluster, instance.as_deref(), &pause)
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    let what = match &instance {
        Some(instance) => format!("{instance} of cluster {cluster}"),
        None => format!("cluster {cluster}"),
    };
    println!(
        "paused {what} until {} by {}: grkeeper observes and alerts but takes no action ({})",
        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        pause.by,
        pause.reason
    );
    Ok(())
}

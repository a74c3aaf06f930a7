//! `grkeeper approve bootstrap|rejoin --cluster NAME [--instance ID] [--for DURATION] [--by WHO]`:
//! the approval a policy with `GRKEEPER_BOOTSTRAP=approval` waits for, or that lets grkeeper
//! bring a flapping member back before its flap window has passed (each refusal names its exact
//! command). The next tick that finds every other guard holding takes the action; the approval
//! lapses after `--for` (default 1h) so an old one cannot approve a later, different problem.

use grkeeper::ports::journal::Journal;
use grkeeper::snapshot::{ActionKind, Approval};

use crate::{Failure, environment, expiry, operator, scope};

/// Arguments of `grkeeper approve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The action to allow.
    action: Approvable,
    /// The cluster.
    #[arg(long)]
    cluster: String,
    /// Only on this instance (default: whichever the planner chooses).
    #[arg(long)]
    instance: Option<String>,
    /// How long the approval stands: 30m, 2h, 1d (at most 30 days).
    #[arg(long = "for", value_name = "DURATION", default_value = "1h")]
    duration: String,
    /// Who approves (default: $USER@host).
    #[arg(long)]
    by: Option<String>,
}

/// Actions a policy may hold back for an approval.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Approvable {
    /// Re-bootstrap the group after a complete outage.
    Bootstrap,
    /// Bring a flapping member back (rejoin or reboot it) although it keeps leaving.
    Rejoin,
}

impl Approvable {
    fn kind(self) -> ActionKind {
        match self {
            Approvable::Bootstrap => ActionKind::Bootstrap,
            Approvable::Rejoin => ActionKind::Rejoin,
        }
    }
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let (cluster, instance) = scope::names(&args.cluster, args.instance.as_deref())?;
    let approval = Approval {
        action: args.action.kind(),
        instance,
        expires: expiry::until(&args.duration)?,
        by: args.by.clone().unwrap_or_else(operator::who),
    };
    let journal = environment::journal().await?;
    journal
        .approve(&cluster, &approval)
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    println!(
        "approved {} on {} of cluster {cluster} until {} by {}",
        approval.action,
        approval.instance.as_deref().unwrap_or("any instance"),
        approval
            .expires
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        approval.by
    );
    Ok(())
}

//! `grkeeper approve bootstrap --cluster NAME [--instance ID] [--give-up ID_OR_UUID]...
//! [--for DURATION] [--by WHO]`: the approval a policy with `GRKEEPER_BOOTSTRAP=approval` waits
//! for, and the one that lets a re-bootstrap go ahead without members whose transactions could
//! not be read (`--give-up` an instance id) or a member outside the inventory the views once
//! listed (`--give-up` its server_uuid). The refusal names the exact command. The next tick
//! that finds every bootstrap guard holding takes it; the approval lapses after `--for`
//! (default 1h) so an old one cannot bootstrap a later, different outage.

use grkeeper::ports::journal::Journal;
use grkeeper::snapshot::{ActionKind, Approval};

use crate::{Failure, environment, expiry, operator, scope};

/// Arguments of `grkeeper approve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper approve bootstrap --cluster orders\n  grkeeper approve bootstrap --cluster orders --instance orders-1 --give-up orders-3 --for 30m"
)]
pub struct Args {
    /// The action to allow.
    action: Approvable,
    /// The cluster.
    #[arg(long)]
    cluster: String,
    /// Only on this instance (default: whichever the planner chooses).
    #[arg(long)]
    instance: Option<String>,
    /// Bootstrap without this member: an instance whose transactions could not be read, or the
    /// server_uuid of a member outside the inventory. Whatever only it committed is given up.
    #[arg(long = "give-up", value_name = "ID_OR_UUID")]
    give_up: Vec<String>,
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
}

impl Approvable {
    fn kind(self) -> ActionKind {
        match self {
            Approvable::Bootstrap => ActionKind::Bootstrap,
        }
    }
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let (cluster, instance) = scope::names(&args.cluster, args.instance.as_deref())?;
    let gives_up = args
        .give_up
        .iter()
        .map(|member| given_up(&cluster, member))
        .collect::<Result<Vec<_>, _>>()?;
    let approval = Approval {
        action: args.action.kind(),
        instance,
        gives_up,
        expires: expiry::until(&args.duration)?,
        by: args.by.clone().unwrap_or_else(operator::who),
    };
    let journal = environment::journal().await?;
    journal
        .approve(&cluster, &approval)
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    let without = if approval.gives_up.is_empty() {
        String::new()
    } else {
        format!(", giving up {}", approval.gives_up.join(", "))
    };
    println!(
        "approved {} on {} of cluster {cluster}{without} until {} by {}",
        approval.action,
        approval.instance.as_deref().unwrap_or("any instance"),
        approval
            .expires
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        approval.by
    );
    Ok(())
}

/// A `--give-up` value: a server_uuid (lowercase), or an instance id by the naming rules.
fn given_up(cluster: &str, member: &str) -> Result<String, Failure> {
    let uuid = member.len() == 36
        && member.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if uuid {
        return Ok(member.to_ascii_lowercase());
    }
    let bad = |why: String| Failure::BadInput(format!("--give-up {member:?}: {why}"));
    match scope::names(cluster, Some(member)) {
        Ok((_, Some(instance))) => Ok(instance),
        Ok((_, None)) => Err(bad("not an instance id or a server_uuid".into())),
        Err(Failure::BadInput(why) | Failure::Failed(why)) => Err(bad(why)),
        Err(Failure::Verdict(code)) => Err(bad(format!("exit {code}"))),
    }
}

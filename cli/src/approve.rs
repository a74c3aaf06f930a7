//! `grkeeper approve bootstrap --cluster NAME [--instance ID] [--give-up ID_OR_UUID]...
//! [--for DURATION] [--by WHO]`: the approval a policy with `GRKEEPER_BOOTSTRAP=approval` waits
//! for, and the one that lets a re-bootstrap go ahead without members whose transactions could
//! not be read (`--give-up` an instance id) or a member outside the inventory the views once
//! listed (`--give-up` its server_uuid).
//!
//! `grkeeper approve rejoin --cluster NAME --instance ID`: a person vouches for one member, so
//! grkeeper may bring it back although it keeps leaving (flapping, before its flap window has
//! passed), or after a split brain once it was rebuilt from the kept group (and forgets it was
//! on the other side).
//!
//! `grkeeper approve sync-gtids --cluster NAME --instance ID [--gtids SET] [--for DURATION]
//! [--by WHO]`: lets grkeeper create empty placeholders for the local GTIDs that keep a 9.7
//! member out of the group, in both directions, then rejoin it; `--gtids` allows those GTIDs
//! only. It must name the member: the approver vouches that its local transactions changed no
//! replicated data.
//!
//! `grkeeper approve maintenance --cluster NAME [--instance ID] [--for DURATION] [--by WHO]`:
//! with `GRKEEPER_MAINTENANCE=approval`, lets grkeeper take the steps of a rolling maintenance
//! (one member at a time, under every guard) on the member, or on any, while it stands.
//!
//! The refusal names the exact command. The next tick that finds every other guard holding acts;
//! the approval lapses after `--for` (default 1h) so an old one cannot act on a later, different
//! situation.

use grkeeper::gtid::GtidSet;
use grkeeper::ports::journal::Journal;
use grkeeper::snapshot::{ActionKind, Approval};

use crate::{Failure, environment, expiry, operator, scope};

/// Arguments of `grkeeper approve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper approve bootstrap --cluster orders\n  grkeeper approve bootstrap --cluster orders --instance orders-1 --give-up orders-3 --for 30m\n  grkeeper approve rejoin --cluster orders --instance orders-2\n  grkeeper approve sync-gtids --cluster orders --instance orders-4\n  grkeeper approve maintenance --cluster orders --for 4h"
)]
pub struct Args {
    /// The action to allow.
    action: Approvable,
    /// The cluster.
    #[arg(long)]
    cluster: String,
    /// Only on this instance (default: whichever the planner chooses); a sync must name it.
    #[arg(long)]
    instance: Option<String>,
    /// Bootstrap without this member: an instance whose transactions could not be read, or the
    /// server_uuid of a member outside the inventory. Whatever only it committed is given up.
    #[arg(long = "give-up", value_name = "ID_OR_UUID")]
    give_up: Vec<String>,
    /// Sync only these GTIDs (a GTID set, e.g. 'uuid:1-3,uuid2:1-2'); default: whatever the
    /// member's and the group's own GTIDs need.
    #[arg(long, value_name = "SET")]
    gtids: Option<String>,
    /// How long the approval stands: 30m, 2h, 1d (at most 30 days).
    #[arg(long = "for", value_name = "DURATION", default_value = "1h")]
    duration: String,
    /// Who approves (default: $USER@host).
    #[arg(long)]
    by: Option<String>,
}

/// Actions a policy or a safety rule may hold back for an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Approvable {
    /// Re-bootstrap the group after a complete outage.
    Bootstrap,
    /// Create placeholders for a 9.7 member's and the group's local GTIDs, then rejoin it.
    SyncGtids,
    /// Bring one member back although it keeps leaving (flapping), or, after a split brain, once
    /// rebuilt from the kept group. Needs --instance.
    Rejoin,
    /// Take rolling-maintenance steps (one member at a time) while the approval stands.
    Maintenance,
}

impl Approvable {
    fn kind(self) -> ActionKind {
        match self {
            Approvable::Bootstrap => ActionKind::Bootstrap,
            Approvable::SyncGtids => ActionKind::SyncGtids,
            Approvable::Rejoin => ActionKind::Rejoin,
            Approvable::Maintenance => ActionKind::Maintenance,
        }
    }
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let approval = approval(args)?;
    let cluster = scope::names(&args.cluster, None)?.0;
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
    let only = approval
        .gtids
        .as_ref()
        .map(|gtids| format!(", for {gtids} only"))
        .unwrap_or_default();
    println!(
        "approved {} on {} of cluster {cluster}{without}{only} until {} by {}",
        approval.action,
        approval.instance.as_deref().unwrap_or("any instance"),
        approval
            .expires
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        approval.by
    );
    Ok(())
}

/// The approval the arguments describe, every name and set checked; the options that belong to
/// the other action are refused rather than ignored.
fn approval(args: &Args) -> Result<Approval, Failure> {
    let (cluster, instance) = scope::names(&args.cluster, args.instance.as_deref())?;
    let bad = |why: &str| Err(Failure::BadInput(why.to_owned()));
    let gtids = match (args.action, &args.gtids) {
        (Approvable::SyncGtids, _) if instance.is_none() => {
            return bad("approve sync-gtids needs --instance: the member whose join it prepares");
        }
        (Approvable::SyncGtids, _) if !args.give_up.is_empty() => {
            return bad("--give-up belongs to approve bootstrap, not sync-gtids");
        }
        (Approvable::Rejoin, _) if instance.is_none() => {
            return bad(
                "approve rejoin needs --instance: each member of the other group is rebuilt, \
                 and vouched for, on its own",
            );
        }
        (Approvable::Rejoin, _) if !args.give_up.is_empty() => {
            return bad("--give-up belongs to approve bootstrap, not rejoin");
        }
        (Approvable::Bootstrap, Some(_)) => {
            return bad("--gtids belongs to approve sync-gtids, not bootstrap");
        }
        (Approvable::Rejoin, Some(_)) => {
            return bad("--gtids belongs to approve sync-gtids, not rejoin");
        }
        (Approvable::Maintenance, _) if !args.give_up.is_empty() => {
            return bad("--give-up belongs to approve bootstrap, not maintenance");
        }
        (Approvable::Maintenance, Some(_)) => {
            return bad("--gtids belongs to approve sync-gtids, not maintenance");
        }
        (_, None) => None,
        (_, Some(text)) => Some(
            text.parse::<GtidSet>()
                .map_err(|e| Failure::BadInput(format!("--gtids: {e}")))?,
        ),
    };
    let gives_up = args
        .give_up
        .iter()
        .map(|member| given_up(&cluster, member))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Approval {
        action: args.action.kind(),
        instance,
        gives_up,
        expires: expiry::until(&args.duration)?,
        by: args.by.clone().unwrap_or_else(operator::who),
        gtids,
    })
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

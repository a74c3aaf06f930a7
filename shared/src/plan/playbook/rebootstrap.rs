//! What must hold before the group is re-bootstrapped from `seed`, or a step toward that is
//! taken (fencing a hung minority, stopping Group Replication on the seed or on a member whose
//! view is stale): a bootstrap is the one action that can lose committed transactions or create
//! a second live group, so
//! - no split brain is remembered that a person has not reconciled;
//! - no member outside the inventory is remembered from the views and unaccounted for;
//! - every inventory member's transactions were read in this observation, or an approval
//!   names the ones given up (a member stopped or failed in RDS may hold commits the others
//!   lack: its RDS status says nothing of its transactions);
//! - no bootstrap is journaled that this observation, taken after it, does not prove dead.

use crate::plan::draft::{Ctx, Draft};
use crate::plan::guards::{Block, approvals, block, outcome_name, stamp, window};
use crate::plan::picture::{Node, names};
use crate::plan::{ActionKind, FindingKind, Guard, Outcome, Severity, split_brain, strangers};

pub(crate) fn allowed(ctx: &Ctx<'_>, draft: &mut Draft, seed: &str) -> Result<(), Block> {
    split_brain::none_remembered(ctx)?;
    strangers::none_remembered(ctx, draft, seed)?;
    transactions_known(ctx, draft, seed)?;
    nothing_remembered_lacking(ctx, draft, seed)?;
    no_earlier_bootstrap(ctx)
}

/// Whether an unexpired bootstrap approval for `seed` gives up instance `id`.
fn given_up(ctx: &Ctx<'_>, seed: &str, id: &str) -> bool {
    approvals(ctx.snapshot, ActionKind::Bootstrap, seed)
        .any(|a| a.gives_up.iter().any(|g| g.eq_ignore_ascii_case(id)))
}

/// The seed holds every transaction the journal remembers on any member not given up.
fn nothing_remembered_lacking(ctx: &Ctx<'_>, draft: &mut Draft, seed: &str) -> Result<(), Block> {
    let picture = &ctx.picture;
    let seed_holds = picture
        .node(seed)
        .map(|n| n.transactions().0)
        .unwrap_or_default();
    let lacking: Vec<(&Node<'_>, String)> = picture
        .nodes
        .iter()
        .filter(|n| !given_up(ctx, seed, n.id))
        .filter_map(|n| {
            let seen = n.last_seen?;
            let missing = seen.remembered().difference(&seed_holds);
            (!missing.is_empty()).then(|| {
                let now = n.report.map_or_else(
                    || "it could not be read now".to_string(),
                    |r| {
                        format!(
                            "it now reports server_uuid {} holding {}",
                            r.server_uuid,
                            r.known_transactions()
                        )
                    },
                );
                let was = format!(
                    "{} was read at {} as server_uuid {} holding {}{}",
                    n.id,
                    stamp(seen.at),
                    seen.server_uuid,
                    seen.transactions(),
                    if seen.lost.is_empty() {
                        String::new()
                    } else {
                        format!(" and earlier {}", seen.lost)
                    }
                );
                (n, format!("{was}; {now}; {seed} lacks {missing}"))
            })
        })
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    let nodes: Vec<&Node<'_>> = lacking.iter().map(|(n, _)| *n).collect();
    let give_up: String = nodes
        .iter()
        .map(|n| format!(" --give-up {}", n.id))
        .collect();
    let details: Vec<&str> = lacking.iter().map(|(_, d)| d.as_str()).collect();
    draft.note(
        FindingKind::NoGtidSuperset,
        Severity::Critical,
        None,
        format!(
            "No member holds every transaction the group committed: {}. A member's data was \
             replaced (a snapshot restored into it, or a rebuild), or it lost transactions, and \
             no member read now holds what it had, so a re-bootstrap from {seed} would lose \
             them. Find them (the replaced instance's earlier snapshot or binary logs, \
             re-applied on {seed}), or, if they may be lost, approve it: `grkeeper approve \
             bootstrap --cluster {} --instance {seed}{give_up}`.",
            details.join("; "),
            ctx.snapshot.cluster,
        ),
    );
    Err(block(
        Guard::NoGtidSuperset,
        format!(
            "{seed} lacks transactions the journal remembers on {} (its data was replaced \
             since); re-apply them on {seed}, or approve giving them up: `grkeeper approve \
             bootstrap --cluster {} --instance {seed}{give_up}`",
            names(&nodes),
            ctx.snapshot.cluster,
        ),
    ))
}

/// Every inventory member was read now, or an unexpired bootstrap approval for `seed` gives up
/// each one that was not.
fn transactions_known(ctx: &Ctx<'_>, draft: &mut Draft, seed: &str) -> Result<(), Block> {
    let picture = &ctx.picture;
    let unread: Vec<&Node<'_>> = picture
        .nodes
        .iter()
        .filter(|n| n.report.is_none())
        .collect();
    if unread.is_empty() {
        return Ok(());
    }
    let gives_up = |id: &str, given: &[String]| given.iter().any(|g| g.eq_ignore_ascii_case(id));
    if let Some(approval) = approvals(ctx.snapshot, ActionKind::Bootstrap, seed)
        .find(|a| unread.iter().all(|n| gives_up(n.id, &a.gives_up)))
    {
        draft.note(
            FindingKind::TransactionsUnknown,
            Severity::Warning,
            None,
            format!(
                "{} could not be read; {} approved giving up whatever only {} committed \
                 (approval valid until {}), so the group is re-bootstrapped without {}.",
                names(&unread),
                approval.by,
                if unread.len() == 1 { "it" } else { "they" },
                stamp(approval.expires),
                if unread.len() == 1 { "it" } else { "them" },
            ),
        );
        return Ok(());
    }
    let seed_holds = picture
        .node(seed)
        .map(|n| n.transactions().0)
        .unwrap_or_default();
    let last_seen: Vec<String> = unread
        .iter()
        .map(|n| match n.last_seen {
            Some(seen) => {
                let held = seen.transactions();
                let verdict = if held.is_subset(&seed_holds) {
                    format!("all of which {seed} holds")
                } else {
                    format!("{seed} lacks {}", held.difference(&seed_holds))
                };
                format!(
                    "{} was last read at {} holding {held} ({verdict}), and may have committed \
                     more since",
                    n.id,
                    stamp(seen.at)
                )
            }
            None => format!("{} has never been read by grkeeper", n.id),
        })
        .collect();
    let unblock: Vec<String> = unread.iter().map(|n| how_to_read(n)).collect();
    let give_up: String = unread
        .iter()
        .map(|n| format!(" --give-up {}", n.id))
        .collect();
    draft.note(
        FindingKind::TransactionsUnknown,
        Severity::Critical,
        None,
        format!(
            "The group cannot be re-bootstrapped automatically: the transactions of {} are \
             unknown (not read in this observation), and {} may hold commits the others lack. \
             {}. Bootstrapping without {} would give those commits up, and a member that \
             rejoins later with different rows under the same GTIDs diverges silently. To go \
             on: {}; or, if what only {} committed may be lost, approve it: `grkeeper approve \
             bootstrap --cluster {} --instance {seed}{give_up}`.",
            names(&unread),
            if unread.len() == 1 { "it" } else { "they" },
            last_seen.join("; "),
            if unread.len() == 1 { "it" } else { "them" },
            unblock.join("; "),
            if unread.len() == 1 { "it" } else { "they" },
            ctx.snapshot.cluster,
        ),
    );
    Err(block(
        Guard::TransactionsUnknown,
        format!(
            "the transactions of {} were not read in this observation; make {} readable (the \
             finding says how), or approve giving {} up: `grkeeper approve bootstrap --cluster \
             {} --instance {seed}{give_up}`",
            names(&unread),
            if unread.len() == 1 { "it" } else { "them" },
            if unread.len() == 1 { "it" } else { "them" },
            ctx.snapshot.cluster,
        ),
    ))
}

/// How a person makes an unread instance readable.
fn how_to_read(node: &Node<'_>) -> String {
    let id = node.id;
    match node.rds.map(|r| r.status.0.as_str()) {
        Some("stopped") => {
            format!("start {id} (`aws rds start-db-instance --db-instance-identifier {id}`)")
        }
        Some("storage-full") => format!(
            "give {id} more storage (`aws rds modify-db-instance --db-instance-identifier {id} \
             --allocated-storage <GiB> --apply-immediately`)"
        ),
        Some("incompatible-parameters") => format!(
            "fix {id}'s DB parameter group, then reboot it (`aws rds reboot-db-instance \
             --db-instance-identifier {id}`)"
        ),
        Some(status) if node.is_offline_mode() => {
            format!("let grkeeper reboot {id} out of offline mode (RDS: {status})")
        }
        Some(status) => format!(
            "bring {id} back (RDS reports it {status}; see the RDS console's events for it) \
             and make it readable by grkeeper"
        ),
        None => format!("make {id} known to RDS and readable by grkeeper"),
    }
}

/// No bootstrap (pending, succeeded, or failed: a timed-out one may have worked) is journaled
/// unless this observation was taken after it, allowing for clock skew, and shows its member out
/// of any group: read and not ONLINE/RECOVERING, or down in RDS.
fn no_earlier_bootstrap(ctx: &Ctx<'_>) -> Result<(), Block> {
    let now = ctx.snapshot.observed_at;
    let skew = window(ctx.snapshot.policy.clock_skew_secs);
    for earlier in ctx
        .actions()
        .rev()
        .filter(|a| a.kind == ActionKind::Bootstrap && a.outcome != Outcome::NotAttempted)
    {
        let after = earlier
            .at
            .checked_add_signed(skew)
            .is_some_and(|settled| now > settled);
        let node = ctx.picture.node(&earlier.instance);
        let out = node.is_some_and(|n| match n.own_state() {
            Some(state) => !state.is_live(),
            None => n.is_down(),
        });
        if after && out {
            continue;
        }
        let id = &earlier.instance;
        let why = if !after {
            format!(
                "this observation (finished {}) is not later than that plus the {}s clock-skew \
                 allowance (GRKEEPER_CLOCK_SKEW_SECS); the next tick looks again",
                stamp(now),
                ctx.snapshot.policy.clock_skew_secs
            )
        } else {
            format!(
                "{id} could not be read now, so the group it started may be live; make it \
                 readable, or stop it (`aws rds stop-db-instance --db-instance-identifier {id}`)"
            )
        };
        return Err(block(
            Guard::EarlierBootstrap,
            format!(
                "{id} was bootstrapped at {} ({}); a second bootstrap would create a second group \
                 if that one is live: {why}",
                stamp(earlier.at),
                outcome_name(earlier.outcome)
            ),
        ));
    }
    Ok(())
}

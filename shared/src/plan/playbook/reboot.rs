//! Reboot: a member in offline mode (error 3032, 6400 on 9.x) or in `ERROR` ->
//! `RebootDBInstance`, which is how RDS brings an exited member back; it rejoins by itself after
//! the restart. If it was rebooted recently and is back in this state, a reboot will not help:
//! rebuild needed. While Group Replication's own auto-rejoin is still trying, grkeeper waits for
//! it.

use crate::model::MemberState;
use crate::plan::autorejoin;
use crate::plan::checks::{available, keeps_majority};
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::guards::{Block, block, ran, recent, stamp, window};
use crate::plan::picture::Node;
use crate::plan::{ActionKind, FindingKind, Guard, Severity};

use super::join;

/// Reboots exited members while a group with quorum exists to take them back.
pub(crate) fn consider(ctx: &Ctx<'_>, draft: &mut Draft) {
    if ctx.picture.quorum_group().is_none() {
        return;
    }
    for node in &ctx.picture.nodes {
        let exited = node.is_offline_mode() || node.own_state() == Some(MemberState::Error);
        // Views still listing it live disagree with the member itself: wait for them to settle.
        if !exited || ctx.picture.listed_states(node).iter().any(|s| s.is_live()) {
            continue;
        }
        let reason = format!(
            "{} left the group ({}); a reboot restarts it and it rejoins by itself",
            node.id,
            if node.is_offline_mode() {
                "offline mode"
            } else {
                "ERROR state"
            }
        );
        propose(ctx, draft, node, reason);
    }
}

/// Proposes a reboot of `node` after the checks every reboot needs.
pub(crate) fn propose(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>, reason: String) {
    // RDS already restarting or changing it: nothing to decide, the member finding says so.
    if node.rds.is_some_and(|r| r.status.is_changing()) {
        return;
    }
    // Whatever the member says of itself, the group may still count it: rebooting it must leave
    // every view that does its quorum.
    let data = not_rebooted_in_vain(ctx, draft, node)
        .and_then(|()| available(node))
        .and_then(|()| not_auto_rejoining(ctx, node))
        .and_then(|()| keeps_majority(ctx, ActionKind::Reboot, node))
        .and_then(|()| match node.report {
            // An observed ERROR member with errant or purged GTIDs would only fail again.
            // mutants: equivalent because a member read now is proposed only by `consider`,
            // which returns without a quorum group (the outage reboots only members in offline
            // mode, which cannot be read); the guard holds should one come another way.
            Some(_) if ctx.picture.quorum_group().is_some() => {
                join::check(ctx, draft, node).map(|_| ())
            }
            _ => Ok(()),
        });
    draft.consider(
        ctx,
        Candidate::new(ActionKind::Reboot, node.id, reason),
        data,
    );
}

/// Group Replication is still rejoining the member by itself: a reboot would cut across it.
fn not_auto_rejoining(ctx: &Ctx<'_>, node: &Node<'_>) -> Result<(), Block> {
    let Some(running) = node
        .report
        .and_then(|r| autorejoin::running(r, ctx.snapshot.observed_at))
    else {
        return Ok(());
    };
    Err(block(
        Guard::AutoRejoin,
        format!(
            "Group Replication is rejoining {} by itself (auto-rejoin attempt {} of {}, logged \
             {}); grkeeper waits for it to succeed or give up (attempts are 5 minutes apart) \
             before rebooting it. To stop waiting, run CALL mysql.rds_group_replication_stop() \
             on it",
            node.id, running.attempt, running.tries, running.logged
        ),
    ))
}

/// A member back in offline mode or ERROR after a recent reboot needs a person and a rebuild.
fn not_rebooted_in_vain(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Result<(), Block> {
    let snapshot = ctx.snapshot;
    let Some(last) = recent(
        ctx.actions(),
        snapshot.observed_at,
        window(snapshot.policy.reboot_window_secs),
    )
    .filter(|a| a.instance == node.id && ran(a))
    .last()
    .filter(|a| a.kind == ActionKind::Reboot) else {
        return Ok(());
    };
    draft.note(
        FindingKind::RebuildNeeded,
        Severity::Critical,
        Some(node.id),
        format!(
            "{} was rebooted at {} and has left the group again. Another reboot will not help: \
             read its error log (performance_schema.error_log, subsystem Repl), then rebuild it \
             from a healthy member (point-in-time restore) or fix the cause.",
            node.id,
            stamp(last.at)
        ),
    );
    Err(block(
        Guard::RebuildNeeded,
        format!(
            "{} left the group again after the reboot at {}: read its error log, then rebuild \
             it from a healthy member (point-in-time restore) or fix the cause",
            node.id,
            stamp(last.at)
        ),
    ))
}

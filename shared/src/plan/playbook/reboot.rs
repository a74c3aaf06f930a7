//! Reboot: a member in offline mode (error 3032) or in `ERROR` -> `RebootDBInstance`, which is
//! how RDS brings an exited member back; it rejoins by itself after the restart. If it was
//! rebooted recently and is back in this state, a reboot will not help: rebuild needed.

use crate::model::MemberState;
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
    // A member that could not be read may be one the group still counts ONLINE (its row has a
    // uuid no read instance has): then rebooting it must leave the group its quorum.
    let listed = (node.report.is_none() && ctx.picture.unread_online_in_quorum_group())
        .then_some(MemberState::Online);
    let data = not_rebooted_in_vain(ctx, draft, node)
        .and_then(|()| available(node))
        .and_then(|()| keeps_majority(ctx, ActionKind::Reboot, node.id, listed))
        .and_then(|()| match node.report {
            // An observed ERROR member with errant or purged GTIDs would only fail again.
            Some(_) if ctx.picture.quorum_group().is_some() => {
                join::check(ctx, draft, node).map(|_| ())
            }
            _ => Ok(()),
        });
    draft.consider(
        ctx.snapshot,
        Candidate::new(ActionKind::Reboot, node.id, reason),
        data,
    );
}

/// A member back in offline mode or ERROR after a recent reboot needs a person and a rebuild.
fn not_rebooted_in_vain(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Result<(), Block> {
    let snapshot = ctx.snapshot;
    let Some(last) = recent(
        &snapshot.history.actions,
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
            "{} left the group again after the reboot at {}",
            node.id,
            stamp(last.at)
        ),
    ))
}

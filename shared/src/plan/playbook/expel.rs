//! Expel: stop Group Replication (`rds_group_replication_stop()`) on a member that harms the
//! group: stuck `RECOVERING`, an applier queue that throttles everyone through flow control, or
//! an `ONLINE` member cut off in a minority partition whose writes hang. Only while a group with
//! quorum carries on, one member at a time, and only if the group keeps its majority and the
//! policy's fault tolerance afterwards.

use crate::model::MemberState;
use crate::plan::conditions::LAGGING;
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::guards::{Block, available, block, stamp, window};
use crate::plan::picture::Node;
use crate::plan::{ActionKind, FindingKind, Guard, Severity};

pub(crate) fn consider(ctx: &Ctx<'_>, draft: &mut Draft) {
    let Some(group) = ctx.picture.quorum_group() else {
        return;
    };
    for node in &ctx.picture.nodes {
        let in_group = ctx.picture.state_in_quorum_group(node);
        let harm = if node.own_state() == Some(MemberState::Online)
            && !group.viewers.contains(&node.index)
        {
            Some((
                FindingKind::MinorityPartition,
                Severity::Critical,
                format!(
                    "{} is ONLINE in a partition without quorum: writes on it hang while the \
                     majority carries on without it",
                    node.id
                ),
            ))
        } else if in_group == Some(MemberState::Recovering) {
            overdue(
                ctx,
                node,
                "RECOVERING",
                ctx.snapshot.policy.recovering_deadline_secs,
            )
            .map(|since| {
                (
                    FindingKind::StuckRecovering,
                    Severity::Warning,
                    format!(
                        "{} has been RECOVERING since {since}, past the {}s deadline",
                        node.id, ctx.snapshot.policy.recovering_deadline_secs
                    ),
                )
            })
        } else if in_group == Some(MemberState::Online) {
            overdue(ctx, node, LAGGING, ctx.snapshot.policy.lag_deadline_secs).map(|since| {
                (
                    FindingKind::ApplierLag,
                    Severity::Warning,
                    format!(
                        "{}'s applier queue has been above {} transactions since {since}; flow \
                         control slows every writer down to its pace",
                        node.id, ctx.snapshot.policy.applier_queue_limit
                    ),
                )
            })
        } else {
            None
        };
        let Some((kind, severity, what)) = harm else {
            continue;
        };
        draft.note(kind, severity, Some(node.id), format!("{what}."));
        let reason = format!(
            "{what}; stopping Group Replication on it leaves it super-read-only and out of the \
             group"
        );
        let data = available(node).and_then(|()| keeps_majority(ctx, node));
        draft.consider(
            ctx.snapshot,
            Candidate::new(ActionKind::Expel, node.id, reason),
            data,
        );
    }
}

/// When the member has carried `label` for longer than `deadline_secs`, since when.
fn overdue(ctx: &Ctx<'_>, node: &Node<'_>, label: &str, deadline_secs: u64) -> Option<String> {
    let condition = ctx.conditions.get(node.id).filter(|c| c.state == label)?;
    let age = ctx.snapshot.observed_at - condition.since;
    (age > window(deadline_secs)).then(|| stamp(condition.since))
}

/// After stopping `node`, the quorum group must keep a majority of the inventory ONLINE and the
/// policy's fault tolerance.
fn keeps_majority(ctx: &Ctx<'_>, node: &Node<'_>) -> Result<(), Block> {
    let online = ctx.picture.health.online;
    let after = if ctx.picture.online_in_quorum_group(node) {
        online.saturating_sub(1)
    } else {
        online
    };
    let majority = ctx.picture.majority();
    if after < majority {
        return Err(block(
            Guard::Majority,
            format!(
                "stopping {} would leave {after} ONLINE members, fewer than a majority ({majority}) \
                 of the {} instances",
                node.id, ctx.picture.health.members
            ),
        ));
    }
    let floor = ctx.snapshot.policy.fault_tolerance_floor;
    let tolerance = after.saturating_sub(1) / 2;
    if tolerance < floor {
        return Err(block(
            Guard::ToleranceFloor,
            format!(
                "stopping {} would leave the group tolerating {tolerance} failures, below the \
                 policy floor of {floor}",
                node.id
            ),
        ));
    }
    Ok(())
}

//! Expel: stop Group Replication (`rds_group_replication_stop()`) on a member that harms the
//! group: stuck `RECOVERING`, an applier queue that throttles everyone through flow control, or
//! an `ONLINE` member cut off in a minority partition whose writes hang. Only while a group with
//! quorum carries on, one member at a time, and only if the group keeps its majority and the
//! policy's fault tolerance afterwards.

use crate::model::MemberState;
use crate::plan::checks::{available, keeps_majority};
use crate::plan::conditions::{LAGGING, MINORITY};
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::{ActionKind, FindingKind, Severity};

pub(crate) fn consider(ctx: &Ctx<'_>, draft: &mut Draft) {
    let Some(group) = ctx.picture.quorum_group() else {
        return;
    };
    for node in &ctx.picture.nodes {
        let in_group = ctx.picture.state_in_quorum_group(node);
        let harm = if node.own_state() == Some(MemberState::Online)
            && !group.viewers.contains(&node.index)
        {
            let deadline = ctx.snapshot.policy.partition_deadline_secs;
            match ctx.overdue(node, MINORITY, deadline) {
                Some(since) => Some((
                    FindingKind::MinorityPartition,
                    Severity::Critical,
                    format!(
                        "{} has been ONLINE in a partition without quorum since {since}: writes \
                         on it hang while the majority carries on without it",
                        node.id
                    ),
                )),
                None => {
                    // A short blip heals by itself; fencing waits for the deadline.
                    draft.note(
                        FindingKind::MinorityPartition,
                        Severity::Warning,
                        Some(node.id),
                        format!(
                            "{} is ONLINE in a partition without quorum; if it lasts {deadline}s \
                             it is fenced (when expel is on)",
                            node.id
                        ),
                    );
                    None
                }
            }
        } else if in_group == Some(MemberState::Recovering) {
            ctx.overdue(
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
            ctx.overdue(node, LAGGING, ctx.snapshot.policy.lag_deadline_secs)
                .map(|since| {
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
        let listed = if ctx.picture.online_in_quorum_group(node) {
            Some(MemberState::Online)
        } else {
            in_group
        };
        let data =
            available(node).and_then(|()| keeps_majority(ctx, ActionKind::Expel, node.id, listed));
        draft.consider(
            ctx.snapshot,
            Candidate::new(ActionKind::Expel, node.id, reason),
            data,
        );
    }
}

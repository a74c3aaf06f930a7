//! Expel: stop Group Replication (`rds_group_replication_stop()`) on a member that harms the
//! group: stuck `RECOVERING`, an applier queue that throttles everyone through flow control, or
//! an `ONLINE` member cut off in a minority partition whose writes hang. Only while a group with
//! quorum carries on, one member at a time, and only if the group keeps its majority and the
//! policy's fault tolerance afterwards. A RECOVERING member is expelled only once it stopped
//! making progress.

use crate::model::MemberState;
use crate::plan::checks::{available, keeps_majority};
use crate::plan::conditions::{LAGGING, MINORITY};
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::guards::{stamp, window};
use crate::plan::last_seen::{Progress, progress};
use crate::plan::picture::Node;
use crate::plan::{ActionKind, FindingKind, Severity};

/// What harm a member does: the finding's kind, severity and text.
type Harm = (FindingKind, Severity, String);

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
            stuck(ctx, draft, node)
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
        let data = available(node).and_then(|()| keeps_majority(ctx, ActionKind::Expel, node));
        draft.consider(
            ctx,
            Candidate::new(ActionKind::Expel, node.id, reason),
            data,
        );
    }
}

/// A member RECOVERING past the deadline harms the group only if it stopped making progress:
/// its `gtid_executed` has not grown for the deadline either, measured against the journal's
/// last reading, so one still applying is left to finish. Without an earlier reading of this
/// incarnation progress cannot be measured, and the deadline alone decides.
fn stuck(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Option<Harm> {
    let deadline = ctx.snapshot.policy.recovering_deadline_secs;
    let since = ctx.overdue(node, "RECOVERING", deadline)?;
    let id = node.id;
    let wait = |draft: &mut Draft, why: String| {
        draft.note(
            FindingKind::StuckRecovering,
            Severity::Info,
            Some(id),
            format!(
                "{id} has been RECOVERING since {since}, past the {deadline}s deadline, {why}."
            ),
        );
        None
    };
    let advice = "check the group_replication_recovery channel's last error and the donors' \
                  binary logs";
    match progress(node) {
        Progress::Unknown => Some((
            FindingKind::StuckRecovering,
            Severity::Warning,
            format!(
                "{id} has been RECOVERING since {since}, past the {deadline}s deadline (grkeeper \
                 has no earlier reading of it to tell whether it still applies transactions; \
                 {advice})"
            ),
        )),
        Progress::Growing(before) => wait(
            draft,
            format!(
                "but its gtid_executed grew since {}: it is still applying, and is not expelled",
                stamp(before)
            ),
        ),
        Progress::StalledSince(stalled)
            if ctx.snapshot.observed_at - stalled <= window(deadline) =>
        {
            wait(
                draft,
                format!(
                    "and its gtid_executed has not grown since {}; it is expelled if that lasts \
                     {deadline}s",
                    stamp(stalled)
                ),
            )
        }
        Progress::StalledSince(stalled) => Some((
            FindingKind::StuckRecovering,
            Severity::Warning,
            format!(
                "{id} has been RECOVERING since {since}, past the {deadline}s deadline, and its \
                 gtid_executed has not grown since {}: its recovery is stuck ({advice})",
                stamp(stalled)
            ),
        )),
    }
}

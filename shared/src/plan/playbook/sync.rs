//! Sync: a 9.7 joiner that local GTIDs alone keep out of the group (`local_gtids`) ->
//! `mysql.rds_group_replication_advance_gtid` on one instance, one range per step, then the
//! normal guarded rejoin. Never without an operator's approval naming the joiner (and, if it
//! names ranges, covering every placeholder still missing): the GTIDs cannot tell RDS's
//! initialization writes from errant local writes, and placeholders for writes that changed
//! replicated data make the data diverge silently. Each step is planned from what the fresh
//! observation still lacks, so a range once created is never planned again.

use crate::plan::checks::available;
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::guards::{Block, block, stamp, sync_approval};
use crate::plan::local_gtids::{LocalGtids, PLACEHOLDERS_PER_CALL};
use crate::plan::picture::Node;
use crate::plan::{ActionKind, FindingKind, Guard, Severity};

/// The finding: every gap with its range, the calls a person would make, and the warning.
pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft, local: &LocalGtids<'_>) {
    let joiner = local.joiner;
    let gaps: Vec<String> = local
        .gaps
        .iter()
        .map(|gap| {
            format!(
                "{}'s own {} missing on {}",
                gap.owner, gap.gtids, gap.target
            )
        })
        .collect();
    draft.note(
        FindingKind::LocalGtids,
        Severity::Warning,
        Some(joiner),
        format!(
            "Local GTIDs block the join of {joiner}: it runs MySQL 9.7, and it and the group's \
             ONLINE members hold GTIDs under their own server_uuid that the other side lacks \
             ({}). RDS writes such transactions while it creates a 9.7 instance (initialization \
             GTIDs), but errant local writes look the same; Group Replication refuses the join \
             (error 3092, MY-011526 in the error log). If these transactions changed no \
             replicated data, create empty placeholders for them in both directions, one call \
             each: {} Then start Group Replication on {joiner} (CALL \
             mysql.rds_group_replication_start(0)). Placeholders are empty transactions: if \
             these transactions did change replicated data, the data diverges silently; if in \
             doubt, rebuild {joiner} from a healthy member (point-in-time restore) instead. \
             grkeeper makes these calls itself, one per step, once a person approves: {}.",
            gaps.join("; "),
            local.commands().join(" "),
            approve_command(ctx, local)
        ),
    );
}

/// Why the join waits, and what unblocks it: the approval grkeeper needs, or, once approved, that
/// grkeeper is creating the placeholders.
pub(crate) fn blocked(ctx: &Ctx<'_>, local: &LocalGtids<'_>) -> Block {
    let joiner = local.joiner;
    let needed = local.all();
    let waiting = format!("local GTIDs block the join of {joiner}: placeholders for {needed}");
    let reason = match sync_approval(ctx.snapshot, joiner, &needed) {
        Some(approval) => format!(
            "{waiting} are being created one call per step, approved by {} until {}; the \
             rejoin follows",
            approval.by,
            stamp(approval.expires)
        ),
        None => {
            let narrower = ctx
                .snapshot
                .history
                .approvals
                .iter()
                .filter(|a| a.action == ActionKind::SyncGtids)
                .filter(|a| a.expires > ctx.snapshot.observed_at)
                .filter(|a| a.instance.as_deref() == Some(joiner))
                .find_map(|a| a.gtids.as_ref());
            match narrower {
                Some(allowed) => format!(
                    "{waiting} are needed, but the approval covers only {allowed} ({} not): \
                     check them, then approve again: {}",
                    needed.difference(allowed),
                    approve_command(ctx, local)
                ),
                None => format!(
                    "{waiting} are needed; check that these transactions changed no replicated \
                     data (the finding lists the calls), then create them by hand or approve: {}",
                    approve_command(ctx, local)
                ),
            }
        }
    };
    block(Guard::LocalGtids, reason)
}

/// With an approval, the next step: the first range still missing, on its instance.
pub(crate) fn propose(ctx: &Ctx<'_>, draft: &mut Draft, joiner: &Node<'_>, local: &LocalGtids<'_>) {
    let Some(approval) = sync_approval(ctx.snapshot, joiner.id, &local.all()) else {
        return;
    };
    let Some((target, placeholders)) = local.first_step() else {
        return;
    };
    let data = every_online_member_read(ctx).and_then(|()| match ctx.picture.node(target) {
        Some(node) => available(node),
        None => Err(block(
            Guard::InstanceNotAvailable,
            format!("{target} is not in the inventory"),
        )),
    });
    let steps = local
        .gaps
        .iter()
        .flat_map(|gap| gap.gtids.intervals())
        .map(|(_, begin, end)| (end - begin) / PLACEHOLDERS_PER_CALL + 1)
        .sum::<u64>();
    let reason = format!(
        "empty placeholders for {placeholders} on {target}, so that {} can join (approved by {} \
         until {}); {steps} call(s) of the sync left, then the rejoin",
        joiner.id,
        approval.by,
        stamp(approval.expires)
    );
    draft.consider(
        ctx,
        Candidate::new(ActionKind::SyncGtids, target, reason).creating(joiner.id, placeholders),
        data,
    );
}

/// Every member the group's views list ONLINE was read: the placeholders go to each of them, and
/// an unread one's own GTIDs cannot be compared.
fn every_online_member_read(ctx: &Ctx<'_>) -> Result<(), Block> {
    let unread = LocalGtids::unread_members(ctx);
    if unread.is_empty() {
        return Ok(());
    }
    Err(block(
        Guard::UnobservedMember,
        format!(
            "{} ONLINE in the group but could not be read, so its GTIDs cannot be compared \
             with the joiner's; grkeeper syncs once every ONLINE member is read",
            unread.join(", ")
        ),
    ))
}

/// `grkeeper approve sync-gtids --cluster C --instance J --gtids '...'`.
fn approve_command(ctx: &Ctx<'_>, local: &LocalGtids<'_>) -> String {
    format!(
        "`grkeeper approve sync-gtids --cluster {} --instance {} --gtids '{}'`",
        ctx.snapshot.cluster,
        local.joiner,
        local.all()
    )
}

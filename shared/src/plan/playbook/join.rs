//! Whether a member may join the group that holds quorum: same group name, no errant GTIDs,
//! what it lacks still in some donor's binlogs, and a version the group accepts. Rejoin and
//! reboot (of an `ERROR` member) both ask this; the findings explain any "no". A 9.7 joiner whose
//! only obstacle is local GTIDs (its own or the members', `local_gtids`) is told apart, so the
//! rejoin playbook can offer the approval-gated sync (`sync`).

use crate::plan::checks::{GtidFit, gtid_fit};
use crate::plan::draft::{Ctx, Draft};
use crate::plan::guards::{Block, block};
use crate::plan::local_gtids::LocalGtids;
use crate::plan::picture::Node;
use crate::plan::version::{JoinRule, Version, join_rule};
use crate::plan::{FindingKind, Guard, Severity};

use super::sync;

/// A member every join rule accepts, but for the local GTIDs of a 9.7 joiner.
pub(crate) struct Joinable<'a> {
    /// For the action's reason (possibly empty).
    pub note: String,
    /// The placeholders still missing in either direction; the join waits for them.
    pub local: Option<LocalGtids<'a>>,
}

/// `Ok(note)` when the member may join; the note (possibly empty) goes into the action's reason.
pub(crate) fn check(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Result<String, Block> {
    let joinable = assess(ctx, draft, node)?;
    match joinable.local {
        Some(local) => Err(sync::blocked(ctx, &local)),
        None => Ok(joinable.note),
    }
}

/// Every join rule on `node`; local GTIDs that block a 9.7 joiner come back in [`Joinable`],
/// with their finding noted, only when nothing else stands in the way.
pub(crate) fn assess<'a>(
    ctx: &Ctx<'a>,
    draft: &mut Draft,
    node: &Node<'a>,
) -> Result<Joinable<'a>, Block> {
    group_name(ctx, draft, node)?;
    let local = LocalGtids::of(ctx, node).filter(|l| !l.is_empty());
    gtids(ctx, draft, node, local.as_ref())?;
    let note = version(ctx, draft, node)?;
    if let Some(local) = &local {
        sync::note(ctx, draft, local);
    }
    Ok(Joinable { note, local })
}

fn group_name(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Result<(), Block> {
    let mine = node.report.and_then(|r| r.settings.group_name.as_deref());
    let theirs = ctx
        .picture
        .quorum_donors()
        .find_map(|d| d.report.and_then(|r| r.settings.group_name.as_deref()));
    match (mine, theirs) {
        (Some(mine), Some(theirs)) if !mine.eq_ignore_ascii_case(theirs) => {
            let message = format!(
                "{} is configured for group {mine} but the live group is {theirs}: joining could \
                 create a second group. Fix group_replication_group_name in its parameter group.",
                node.id
            );
            draft.note(
                FindingKind::GroupNameMismatch,
                Severity::Critical,
                Some(node.id),
                message,
            );
            Err(block(
                Guard::GroupName,
                format!(
                    "group name {mine} differs from the live group's {theirs}: fix \
                     group_replication_group_name in {}'s DB parameter group",
                    node.id
                ),
            ))
        }
        _ => Ok(()),
    }
}

fn gtids(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    node: &Node<'_>,
    local: Option<&LocalGtids<'_>>,
) -> Result<(), Block> {
    match gtid_fit(&ctx.picture, node, local) {
        GtidFit::Joinable => Ok(()),
        GtidFit::Errant(errant) => {
            draft.note(
                FindingKind::ErrantGtids,
                Severity::Critical,
                Some(node.id),
                format!(
                    "{} has transactions the group does not have: {errant}. Group Replication \
                     refuses such a member. Rebuild it from a healthy member (point-in-time \
                     restore), or, only after checking that these transactions do not matter, \
                     create empty placeholders for them on every other member with \
                     CALL mysql.rds_group_replication_advance_gtid(begin, end, 'uuid').",
                    node.id
                ),
            );
            Err(block(
                Guard::ErrantGtids,
                format!(
                    "{} has errant GTIDs {errant}: rebuild it from a healthy member, or create \
                     placeholders for them on the others once they are known not to matter",
                    node.id
                ),
            ))
        }
        GtidFit::Purged { missing, purged } => {
            draft.note(
                FindingKind::PurgedTransactions,
                Severity::Critical,
                Some(node.id),
                format!(
                    "{} lacks {missing}, and every donor has purged {purged} from its binary \
                     logs, so distributed recovery cannot bring it up to date. Rebuild it from a \
                     healthy member (point-in-time restore) and raise binlog retention \
                     (CALL mysql.rds_set_configuration('binlog retention hours', 168)).",
                    node.id
                ),
            );
            Err(block(
                Guard::PurgedTransactions,
                format!(
                    "every donor purged transactions {} lacks: {purged}; rebuild it from a healthy \
                     member (point-in-time restore)",
                    node.id
                ),
            ))
        }
    }
}

fn version(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Result<String, Block> {
    let Some(joiner) = node.report.and_then(|r| Version::parse(&r.version)) else {
        return Ok(String::new());
    };
    let group = group_versions(ctx, node.identity().as_deref());
    let Some(&lowest) = group.iter().min() else {
        return Ok(String::new());
    };
    match join_rule(joiner, &group) {
        JoinRule::ReadWrite => Ok(String::new()),
        JoinRule::ReadOnly => Ok(format!(
            "; it runs {joiner}, newer than the group's lowest {lowest}, so it will stay \
             read-only until the other members are upgraded"
        )),
        JoinRule::Refused => {
            draft.note(
                FindingKind::LowerVersion,
                Severity::Critical,
                Some(node.id),
                format!(
                    "{} runs {joiner}, older than the group's lowest version {lowest}; Group \
                     Replication refuses it. Upgrade it to {lowest} or later.",
                    node.id
                ),
            );
            Err(block(
                Guard::Version,
                format!(
                    "{} runs {joiner}, older than the group's {lowest}: upgrade it to {lowest} \
                     or later",
                    node.id
                ),
            ))
        }
    }
}

/// The versions of the quorum group's members, `except` one (a joiner's previous incarnation):
/// what a joiner is judged against. The plugin compares a joiner with every member of the
/// group, RECOVERING and UNREACHABLE ones too; only an `ERROR` row is a member that already left.
pub(crate) fn group_versions(ctx: &Ctx<'_>, except: Option<&str>) -> Vec<Version> {
    let Some(group) = ctx.picture.quorum_group() else {
        return Vec::new();
    };
    group
        .rows
        .iter()
        .filter(|row| row.state != crate::model::MemberState::Error)
        .filter(|row| except.is_none_or(|uuid| !row.member_id.eq_ignore_ascii_case(uuid)))
        .filter_map(|row| Version::parse(&row.version))
        .collect()
}

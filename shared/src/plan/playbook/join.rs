//! Whether a member may join the group that holds quorum: same group name, no errant GTIDs,
//! what it lacks still in some donor's binlogs, and a version the group accepts. Rejoin and
//! reboot (of an `ERROR` member) both ask this; the findings explain any "no".

use crate::plan::checks::{GtidFit, gtid_fit};
use crate::plan::draft::{Ctx, Draft};
use crate::plan::guards::{Block, block};
use crate::plan::picture::Node;
use crate::plan::version::{JoinRule, Version, join_rule};
use crate::plan::{FindingKind, Guard, Severity};

/// `Ok(note)` when the member may join; the note (possibly empty) goes into the action's reason.
pub(crate) fn check(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Result<String, Block> {
    group_name(ctx, draft, node)?;
    gtids(ctx, draft, node)?;
    version(ctx, draft, node)
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

fn gtids(ctx: &Ctx<'_>, draft: &mut Draft, node: &Node<'_>) -> Result<(), Block> {
    match gtid_fit(&ctx.picture, node) {
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
    let Some(lowest) = lowest_group_version(ctx) else {
        return Ok(String::new());
    };
    match join_rule(joiner, lowest) {
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

/// The lowest version among the quorum group's ONLINE members.
pub(crate) fn lowest_group_version(ctx: &Ctx<'_>) -> Option<Version> {
    let group = ctx.picture.quorum_group()?;
    group
        .rows
        .iter()
        .filter(|row| row.state == crate::model::MemberState::Online)
        .filter_map(|row| Version::parse(&row.version))
        .min()
}

//! The cluster-wide safety rules every candidate passes, whichever playbook proposed it, so no
//! playbook can forget one: no action on an instance whose `server_uuid` another instance
//! shares, in the inventory or in a copy a view lists at another address; no expel or bootstrap
//! while a view lists a member outside the inventory or such a copy; no membership
//! change while the group cannot reconfigure; no rejoin or reboot of a member into a group apart
//! from its own in a remembered split brain; no maintenance step while a split brain or a stranger
//! is remembered at all; no re-bootstrap, nor a step toward one, unless
//! `rebootstrap` allows it; and no placeholder unless a group holds quorum, the join it prepares
//! could go ahead, and its GTIDs are no group's. `docs/safety.md` states each rule and the test
//! that holds it.

use crate::plan::ActionKind;

use super::checks::group_can_reconfigure;
use super::copies::Copy;
use super::draft::{Candidate, Ctx, Draft};
use super::guards::{Block, block};
use super::playbook::rebootstrap;
use super::{FindingKind, Guard, Severity, split_brain, strangers};

pub(crate) fn check(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    candidate: &Candidate<'_>,
) -> Result<(), Block> {
    let node = ctx.picture.node(candidate.instance);
    if let Some(node) = node.filter(|n| ctx.picture.shares_identity(n.index)) {
        return Err(duplicate(ctx, node.index));
    }
    if matches!(
        candidate.kind,
        ActionKind::Expel | ActionKind::Bootstrap | ActionKind::SyncGtids | ActionKind::Maintenance
    ) {
        strangers::none_in_views(ctx)?;
        no_copy_in_views(ctx)?;
    }
    if let (Some(node), ActionKind::Rejoin | ActionKind::Expel | ActionKind::Maintenance) =
        (node, candidate.kind)
        && ctx.picture.quorum_group().is_some()
    {
        group_can_reconfigure(ctx, node)?;
    }
    if let (Some(node), ActionKind::Rejoin | ActionKind::Reboot) = (node, candidate.kind) {
        split_brain::not_apart(ctx, node)?;
    }
    if candidate.kind == ActionKind::Maintenance {
        nothing_remembered(ctx)?;
    }
    match candidate.gate() {
        (ActionKind::Bootstrap, seed) => {
            rebootstrap::allowed(ctx, draft, seed)?;
            no_twins_unless_approved(ctx, seed)
        }
        (ActionKind::SyncGtids, joiner) => placeholders_allowed(ctx, candidate, joiner),
        _ => Ok(()),
    }
}

/// Twins mean a snapshot was restored over an instance, replacing what it held, maybe before any
/// tick read it (chaos seed 4502: the only copy of 22-39 overwritten, then a third member that
/// held everything still held was bootstrapped), so a bootstrap beside them is a person's
/// decision: only with their approval.
fn no_twins_unless_approved(ctx: &Ctx<'_>, seed: &str) -> Result<(), Block> {
    match ctx.picture.duplicates.first() {
        Some(&twin)
            if super::guards::approvals(ctx.snapshot, ActionKind::Bootstrap, seed)
                .next()
                .is_none() =>
        {
            Err(duplicate(ctx, twin))
        }
        _ => Ok(()),
    }
}

/// Maintenance is chosen, never needed: a roll step waits while a split brain or a member
/// outside the inventory is remembered at all, whatever the views show now.
fn nothing_remembered(ctx: &Ctx<'_>) -> Result<(), Block> {
    if let Some(split) = &ctx.split_brain {
        return Err(block(
            Guard::SplitBrain,
            format!(
                "groups were seen live apart ({} sides) and a person has not reconciled them: \
                 no maintenance until they have",
                split.sides.len()
            ),
        ));
    }
    let remembered = strangers::remember(ctx.snapshot, &ctx.picture);
    if let Some(stranger) = remembered.first() {
        return Err(block(
            Guard::UnknownMember,
            format!(
                "a view listed {} ({}:{}), outside the inventory, last at {}: it may be live; \
                 no maintenance until it is tagged into the cluster or gone from the views and \
                 forgotten",
                stranger.member_id,
                stranger.host,
                stranger.port,
                super::guards::stamp(stranger.last_seen)
            ),
        ));
    }
    Ok(())
}

/// A placeholder is created only while a group holds quorum (its members are what the joiner
/// is compared with), for a joiner that is no restored copy, that the group could take in now
/// and that was not live apart from it in a remembered split brain, and never under a group
/// name: those are the group's own transactions.
fn placeholders_allowed(
    ctx: &Ctx<'_>,
    candidate: &Candidate<'_>,
    joiner: &str,
) -> Result<(), Block> {
    if ctx.picture.quorum_group().is_none() {
        return Err(block(
            Guard::NoQuorum,
            format!(
                "no group holds quorum, so {joiner}'s GTIDs have no group to be compared with; \
                 placeholders wait until one does"
            ),
        ));
    }
    let Some(node) = ctx.picture.node(joiner) else {
        return Err(block(
            Guard::UnobservedMember,
            format!("{joiner} is not in the inventory"),
        ));
    };
    if ctx.picture.shares_identity(node.index) {
        return Err(duplicate(ctx, node.index));
    }
    group_can_reconfigure(ctx, node)?;
    // The join it prepares would cross a remembered split brain: no placeholders for it either.
    split_brain::not_apart(ctx, node)?;
    let uuid = candidate.placeholders.as_ref().map(|p| p.uuid.as_str());
    let named = ctx
        .picture
        .nodes
        .iter()
        .filter_map(|n| n.report?.settings.group_name.as_deref())
        .any(|name| uuid.is_some_and(|u| u.eq_ignore_ascii_case(name)));
    if named || uuid.is_none() {
        return Err(block(
            Guard::ErrantGtids,
            format!(
                "placeholders under {} would stand for the group's own transactions: grkeeper \
                 never creates those",
                uuid.unwrap_or("no uuid")
            ),
        ));
    }
    Ok(())
}

/// A copy running elsewhere is a member grkeeper cannot read, as a stranger is: it may hold a
/// majority grkeeper does not see, so no expel and no bootstrap while a view lists one.
fn no_copy_in_views(ctx: &Ctx<'_>) -> Result<(), Block> {
    match ctx.picture.copies.first() {
        None => Ok(()),
        Some(copy) => Err(block(
            Guard::DuplicateServerUuid,
            format!(
                "{}: grkeeper cannot read it, so it may hold a majority grkeeper does not see; \
                 take the copy out first",
                elsewhere(ctx, copy)
            ),
        )),
    }
}

/// What a view lists about a copy, for messages.
fn elsewhere(ctx: &Ctx<'_>, copy: &Copy<'_>) -> String {
    let node = &ctx.picture.nodes[copy.node];
    format!(
        "{}'s view lists {}'s server_uuid {} {} at {}:{}, which is not {} (a copy of it, such as \
         a restored snapshot, running elsewhere)",
        copy.viewer,
        node.id,
        copy.row.member_id,
        copy.row.state,
        copy.row.host,
        copy.row.port,
        node.id
    )
}

/// Tells of every instance whose `server_uuid` another one shares.
pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
    for copy in &ctx.picture.copies {
        let node = ctx.picture.nodes[copy.node].id;
        draft.note(
            FindingKind::DuplicateServerUuid,
            Severity::Critical,
            Some(node),
            format!(
                "{}. Group Replication and grkeeper cannot tell the two apart, so grkeeper acts \
                 on neither, and {node} is not what that row says: it may be down, in offline \
                 mode or out of the group, unrepaired. Take the copy out: stop Group \
                 Replication on {}:{} (CALL mysql.rds_group_replication_stop()) and delete or \
                 rebuild that instance so that it gets its own server_uuid. (If {node} itself \
                 moved to a new host, this clears once grkeeper reads it there.)",
                elsewhere(ctx, copy),
                copy.row.host,
                copy.row.port
            ),
        );
    }
    for &index in &ctx.picture.duplicates {
        let (node, uuid, twins) = twins(ctx, index);
        draft.note(
            FindingKind::DuplicateServerUuid,
            Severity::Critical,
            Some(node),
            format!(
                "{node} and {twins} report the same server_uuid {uuid} (a restored copy keeps \
                 it): Group Replication and grkeeper cannot tell them apart, so grkeeper acts on \
                 neither. Keep one in the group; take the other out of the cluster (stop Group \
                 Replication on it with CALL mysql.rds_group_replication_stop(), remove its \
                 grkeeper:cluster tag) or rebuild it so that it gets its own server_uuid."
            ),
        );
    }
}

/// Two instances report one `server_uuid`: every view row with it could be either, so neither
/// is acted on.
fn duplicate(ctx: &Ctx<'_>, index: usize) -> Block {
    if let Some(copy) = ctx.picture.copies.iter().find(|c| c.node == index) {
        return block(
            Guard::DuplicateServerUuid,
            format!("{}: take the copy out first", elsewhere(ctx, copy)),
        );
    }
    let (node, uuid, twins) = twins(ctx, index);
    block(
        Guard::DuplicateServerUuid,
        format!(
            "{node} has the same server_uuid {uuid} as {twins}: rebuild one of them or take it \
             out of the cluster"
        ),
    )
}

/// (the instance, its uuid, the other instances with that uuid).
fn twins<'a>(ctx: &Ctx<'a>, index: usize) -> (&'a str, String, String) {
    let picture = &ctx.picture;
    let node = &picture.nodes[index];
    let uuid = node.identity().unwrap_or_default();
    let twins: Vec<&str> = picture
        .duplicates
        .iter()
        .map(|&i| &picture.nodes[i])
        .filter(|n| n.index != index && n.identity().as_deref() == Some(uuid.as_str()))
        .map(|n| n.id)
        .collect();
    (node.id, uuid, twins.join(", "))
}

//! The cluster-wide safety rules every candidate passes, whichever playbook proposed it, so no
//! playbook can forget one: no action on an instance whose `server_uuid` another instance
//! shares; no expel or bootstrap while a view lists a member outside the inventory; no membership
//! change while the group cannot reconfigure; and no re-bootstrap, nor a step toward one, unless
//! `rebootstrap` allows it. `docs/safety.md` states each rule and the test that holds it.

use crate::plan::ActionKind;

use super::checks::group_can_reconfigure;
use super::draft::{Candidate, Ctx, Draft};
use super::guards::{Block, block};
use super::playbook::rebootstrap;
use super::{FindingKind, Guard, Severity, strangers};

pub(crate) fn check(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    candidate: &Candidate<'_>,
) -> Result<(), Block> {
    let node = ctx.picture.node(candidate.instance);
    if let Some(node) = node.filter(|n| ctx.picture.duplicates.contains(&n.index)) {
        return Err(duplicate(ctx, node.index));
    }
    if matches!(candidate.kind, ActionKind::Expel | ActionKind::Bootstrap) {
        strangers::none_in_views(ctx)?;
    }
    if let (Some(node), ActionKind::Rejoin | ActionKind::Expel) = (node, candidate.kind)
        && ctx.picture.quorum_group().is_some()
    {
        group_can_reconfigure(ctx, node)?;
    }
    match candidate.gate() {
        (ActionKind::Bootstrap, seed) => rebootstrap::allowed(ctx, draft, seed),
        _ => Ok(()),
    }
}

/// Tells of every instance whose `server_uuid` another one shares.
pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
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

//! Groups seen live apart (split brain), remembered after the views stop showing them. Two
//! groups bootstrapped apart both number their transactions under the group's UUID: once a person
//! stops one of them, its members' GTID sets can look like subsets of the other's while holding
//! different rows under the same numbers, and a rejoin would merge the two silently. So, while
//! the split is remembered, no member of one group is rejoined into (or rebooted back into) a
//! group that holds a member of another, and no group is re-bootstrapped: a person decides which
//! group to keep, rebuilds the others' members from it and approves each one's rejoin.

use std::collections::BTreeSet;

use crate::snapshot::Snapshot;

use super::draft::{Ctx, Draft};
use super::guards::{Block, approvals, block, stamp};
use super::picture::{Node, Picture};
use super::{ActionKind, ClusterStatus, FindingKind, Guard, Severity, SplitBrain};

/// The split to remember after this observation: the groups live apart now added to the ones
/// remembered; a member forgotten once a person approved its rejoin (`grkeeper approve rejoin
/// --instance ID`: it was rebuilt from the kept group) or no inventory instance has its
/// `server_uuid` any more; the whole memory dropped once fewer than two groups keep members.
pub fn next(snapshot: &Snapshot) -> Option<SplitBrain> {
    remember(snapshot, &Picture::new(snapshot))
}

/// [`next`] on a picture already drawn.
pub(crate) fn remember(snapshot: &Snapshot, picture: &Picture<'_>) -> Option<SplitBrain> {
    let now = snapshot.observed_at;
    let before = snapshot.history.split_brain.as_ref();
    let mut sides: Vec<BTreeSet<String>> = before
        .map(|b| b.sides.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|side| side.iter().map(|id| id.to_ascii_lowercase()).collect())
        .collect();
    let split_now = picture.health.status == ClusterStatus::SplitBrain;
    if split_now {
        for side in live_sets(picture) {
            if !sides.contains(&side) {
                sides.push(side);
            }
        }
    }
    // Kept while some inventory instance has the member's server_uuid and has not been vouched
    // for (a restored copy shares its source's: each is vouched for on its own).
    let kept = |uuid: &String| {
        picture
            .nodes
            .iter()
            .filter(|n| n.identity().as_ref() == Some(uuid))
            .any(|n| !reconciled(snapshot, n.id))
    };
    let mut remembered: Vec<Vec<String>> = Vec::new();
    for side in sides {
        let side: Vec<String> = side.into_iter().filter(kept).collect();
        if !side.is_empty() && !remembered.contains(&side) {
            remembered.push(side);
        }
    }
    if remembered.len() < 2 {
        return None;
    }
    Some(SplitBrain {
        first_seen: before.map_or(now, |b| b.first_seen),
        last_seen: if split_now {
            now
        } else {
            before.map_or(now, |b| b.last_seen)
        },
        sides: remembered,
    })
}

/// Each live member's group as its own view shows it: the inventory members it lists `ONLINE`
/// or `RECOVERING`, itself included (`server_uuid`s, lowercase).
fn live_sets(picture: &Picture<'_>) -> Vec<BTreeSet<String>> {
    picture
        .nodes
        .iter()
        .filter(|n| n.own_state().is_some_and(|s| s.is_live()))
        .filter_map(|n| n.report)
        .map(|report| {
            report
                .view
                .iter()
                .filter(|row| row.state.is_live())
                .map(|row| row.member_id.to_ascii_lowercase())
                .chain([report.server_uuid.to_ascii_lowercase()])
                .filter(|uuid| picture.is_known(uuid))
                .collect()
        })
        .collect()
}

/// A person approved the rejoin of this very instance (an approval for any instance does not
/// count: each member of the other group is rebuilt, and vouched for, on its own).
fn reconciled(snapshot: &Snapshot, instance: &str) -> bool {
    approvals(snapshot, ActionKind::Rejoin, instance).any(|a| a.instance.is_some())
}

/// `sides` as instance ids, for messages: `{orders-1, orders-2} and {orders-3}`.
fn described(ctx: &Ctx<'_>, split: &SplitBrain) -> String {
    split
        .sides
        .iter()
        .map(|side| {
            let ids: Vec<&str> = side
                .iter()
                .filter_map(|uuid| ctx.picture.node_of(uuid).map(|n| n.id))
                .collect();
            format!("{{{}}}", ids.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn approve(ctx: &Ctx<'_>, instance: &str) -> String {
    format!(
        "`grkeeper approve rejoin --cluster {} --instance {instance}`",
        ctx.snapshot.cluster
    )
}

/// While a split is remembered and the views no longer show it: a critical finding that says
/// what a person must do.
pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
    let Some(split) = &ctx.split_brain else {
        return;
    };
    if ctx.picture.health.status == ClusterStatus::SplitBrain {
        return;
    }
    draft.note(
        FindingKind::SplitBrain,
        Severity::Critical,
        None,
        format!(
            "Groups were live apart from {} to {}: {}. Their members hold different rows under \
             the same GTIDs, so grkeeper rejoins no member of one into a group holding a member \
             of another, and re-bootstraps nothing, until a person reconciles them: keep one \
             group, rebuild each member of the others from it (point-in-time restore), then \
             approve its rejoin ({}).",
            stamp(split.first_seen),
            stamp(split.last_seen),
            described(ctx, split),
            approve(ctx, "ID")
        ),
    );
}

/// `node` may join the quorum group: it was on no remembered side apart from a member of that
/// group, or a person approved its rejoin.
pub(crate) fn not_apart(ctx: &Ctx<'_>, node: &Node<'_>) -> Result<(), Block> {
    let (Some(split), Some(group), Some(uuid)) = (
        &ctx.split_brain,
        ctx.picture.quorum_group(),
        node.identity(),
    ) else {
        return Ok(());
    };
    if reconciled(ctx.snapshot, node.id) {
        return Ok(());
    }
    // Every member any of the group's members lists live: views disagree for a moment.
    let live: BTreeSet<String> = group
        .viewers
        .iter()
        .filter_map(|&v| ctx.picture.nodes[v].report)
        .flat_map(|r| &r.view)
        .filter(|row| row.state.is_live())
        .map(|row| row.member_id.to_ascii_lowercase())
        .collect();
    for side in split.sides.iter().filter(|side| side.contains(&uuid)) {
        let apart = split
            .sides
            .iter()
            .filter(|other| *other != side)
            .flatten()
            .filter(|other| !side.contains(other))
            .find(|other| live.contains(*other));
        if let Some(other) = apart {
            let other = ctx.picture.node_of(other).map_or(other.as_str(), |n| n.id);
            return Err(block(
                Guard::SplitBrain,
                format!(
                    "{} was live in a group apart from {other}'s ({} to {}: {}); its GTIDs can \
                     look like a subset of the group's while its rows differ under the same \
                     numbers. Rebuild it from the group (point-in-time restore of a member), \
                     then approve its rejoin: {}",
                    node.id,
                    stamp(split.first_seen),
                    stamp(split.last_seen),
                    described(ctx, split),
                    approve(ctx, node.id)
                ),
            ));
        }
    }
    Ok(())
}

/// No re-bootstrap while groups seen apart are remembered: which one to keep is a person's call.
pub(crate) fn none_remembered(ctx: &Ctx<'_>) -> Result<(), Block> {
    let Some(split) = &ctx.split_brain else {
        return Ok(());
    };
    Err(block(
        Guard::SplitBrain,
        format!(
            "groups were live apart from {} to {} ({}): which one to keep is a person's call. \
             Rebuild the members of the others from the kept one and approve each one's rejoin \
             ({}); once only one group's members are left, grkeeper re-bootstraps",
            stamp(split.first_seen),
            stamp(split.last_seen),
            described(ctx, split),
            approve(ctx, "ID")
        ),
    ))
}

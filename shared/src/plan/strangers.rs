//! Members outside the inventory: rows of a view whose `MEMBER_ID` is no inventory instance's
//! (read now, or by its last reading), and the ones remembered from earlier views. grkeeper
//! cannot read them, so they may hold a majority it does not see: while a view lists one, no
//! expel and no bootstrap; while one is remembered and not accounted for, no re-bootstrap. A
//! stop wipes a member's view, so the journal keeps what views showed ([`next`]).

use std::collections::BTreeMap;

use crate::model::ViewMember;
use crate::snapshot::Snapshot;

use super::draft::{Ctx, Draft};
use super::guards::{Block, approvals, block, stamp};
use super::picture::Picture;
use super::{ActionKind, FindingKind, Guard, Severity, Stranger};

/// The strangers to remember after this observation: every row of a read view that no
/// inventory instance accounts for, added or refreshed; a remembered one is forgotten once it
/// turns out to be an inventory instance, or a view that holds quorum now no longer lists it
/// (it left that group; it is no longer a member grkeeper cannot see).
pub fn next(snapshot: &Snapshot) -> Vec<Stranger> {
    remember(snapshot, &Picture::new(snapshot))
}

/// [`next`] on a picture already drawn.
pub(crate) fn remember(snapshot: &Snapshot, picture: &Picture<'_>) -> Vec<Stranger> {
    let now = snapshot.observed_at;
    let quorum_views: Vec<&[ViewMember]> = picture.quorum_views().collect();
    let mut kept: BTreeMap<String, Stranger> = snapshot
        .history
        .strangers
        .iter()
        .map(|s| (s.member_id.to_ascii_lowercase(), s.clone()))
        .filter(|(id, _)| !picture.is_known(id))
        .filter(|(id, _)| {
            quorum_views.is_empty() || quorum_views.iter().any(|view| lists(view, id))
        })
        .collect();
    for (_, row) in in_views(picture) {
        let id = row.member_id.to_ascii_lowercase();
        let first_seen = kept.get(&id).map_or(now, |s| s.first_seen);
        kept.insert(
            id.clone(),
            Stranger {
                member_id: id,
                host: row.host.clone(),
                port: row.port,
                first_seen,
                last_seen: now,
            },
        );
    }
    kept.into_values().collect()
}

fn lists(view: &[ViewMember], id: &str) -> bool {
    view.iter()
        .any(|row| row.member_id.eq_ignore_ascii_case(id))
}

/// Rows of read views that no inventory instance accounts for, one per member id, with the
/// instance whose view lists it.
fn in_views<'p>(picture: &'p Picture<'_>) -> Vec<(&'p str, &'p ViewMember)> {
    let mut seen: BTreeMap<String, (&str, &ViewMember)> = BTreeMap::new();
    for node in &picture.nodes {
        for row in node.report.map_or(&[][..], |r| r.view.as_slice()) {
            if !picture.is_known(&row.member_id) {
                seen.entry(row.member_id.to_ascii_lowercase())
                    .or_insert((node.id, row));
            }
        }
    }
    seen.into_values().collect()
}

/// Remembered strangers that nothing read now accounts for and no view lists now (those are
/// told of as listed).
fn remembered<'s>(ctx: &'s Ctx<'_>) -> Vec<&'s Stranger> {
    let listed = in_views(&ctx.picture);
    ctx.snapshot
        .history
        .strangers
        .iter()
        .filter(|s| !ctx.picture.is_known(&s.member_id))
        .filter(|s| {
            !listed
                .iter()
                .any(|(_, row)| row.member_id.eq_ignore_ascii_case(&s.member_id))
        })
        .collect()
}

fn describe(row: &ViewMember, viewer: &str) -> String {
    format!(
        "{} ({}:{}, {} in {viewer}'s view)",
        row.member_id, row.host, row.port, row.state
    )
}

/// The findings: a critical one for every member a view lists that is not in the inventory (when
/// every instance's `server_uuid` is known, so it cannot be an unread instance), a warning for
/// every remembered one.
pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
    let picture = &ctx.picture;
    let cluster = &ctx.snapshot.cluster;
    if picture.unidentified().next().is_none() {
        for (viewer, row) in in_views(picture) {
            draft.note(
                FindingKind::UnknownMember,
                Severity::Critical,
                None,
                format!(
                    "The group lists {}, which is no instance of the inventory: grkeeper cannot \
                     read it, so it could hold a majority grkeeper does not see; it will not \
                     expel, fence or bootstrap in this cluster while it is listed. Tag its RDS \
                     instance grkeeper:cluster={cluster} if it belongs to the cluster; if it does \
                     not, stop Group Replication on it (CALL mysql.rds_group_replication_stop()) \
                     and remove its endpoint from group_replication_group_seeds.",
                    describe(row, viewer)
                ),
            );
        }
    }
    for stranger in remembered(ctx) {
        draft.note(
            FindingKind::UnknownMember,
            Severity::Warning,
            None,
            format!(
                "{} ({}:{}), a member outside the inventory, was listed by the members' views \
                 from {} to {} and is not accounted for: it may still be live. grkeeper will not \
                 re-bootstrap this cluster until it is tagged grkeeper:cluster={cluster}, seen \
                 leaving the group, or given up in an approval.",
                stranger.member_id,
                stranger.host,
                stranger.port,
                stamp(stranger.first_seen),
                stamp(stranger.last_seen)
            ),
        );
    }
}

/// No view read now lists a member outside the inventory (nor a row that could be an instance
/// never read: grkeeper cannot tell the two apart).
pub(crate) fn none_in_views(ctx: &Ctx<'_>) -> Result<(), Block> {
    let picture = &ctx.picture;
    let rows = in_views(picture);
    if rows.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = rows.iter().map(|(v, r)| describe(r, v)).collect();
    let unread: Vec<&str> = picture.unidentified().map(|n| n.id).collect();
    let maybe = if unread.is_empty() {
        String::new()
    } else {
        format!(
            " (or {}, whose server_uuid grkeeper has never read)",
            unread.join(", ")
        )
    };
    let one = listed.len() == 1;
    Err(block(
        Guard::UnknownMember,
        format!(
            "the group lists {}, {} outside the inventory{maybe}: {} may hold a majority \
             grkeeper cannot see; tag {} into the cluster, or stop Group Replication on \
             {} and remove {} from the seeds",
            listed.join(", "),
            if one { "a member" } else { "members" },
            if one { "it" } else { "they" },
            if one {
                "its instance"
            } else {
                "their instances"
            },
            if one { "it" } else { "them" },
            if one { "it" } else { "them" },
        ),
    ))
}

/// Before a re-bootstrap from `seed`: no remembered stranger that an approval does not give up,
/// and no seed endpoint outside the inventory (a member there may be live).
pub(crate) fn none_remembered(ctx: &Ctx<'_>, draft: &mut Draft, seed: &str) -> Result<(), Block> {
    let given_up = |id: &str| {
        approvals(ctx.snapshot, ActionKind::Bootstrap, seed)
            .any(|a| a.gives_up.iter().any(|g| g.eq_ignore_ascii_case(id)))
    };
    let open: Vec<&Stranger> = remembered(ctx)
        .into_iter()
        .filter(|s| !given_up(&s.member_id))
        .collect();
    if !open.is_empty() {
        let ids: Vec<&str> = open.iter().map(|s| s.member_id.as_str()).collect();
        let give_up: String = ids.iter().map(|id| format!(" --give-up {id}")).collect();
        return Err(block(
            Guard::UnknownMember,
            format!(
                "{} outside the inventory {} listed by the group's views until {} and may be \
                 live: account for {} (tag its instance into the cluster), or, once you know it \
                 is down, approve the bootstrap without it: `grkeeper approve bootstrap \
                 --cluster {} --instance {seed}{give_up}`",
                ids.join(", "),
                if ids.len() == 1 { "was" } else { "were" },
                open.iter()
                    .map(|s| stamp(s.last_seen))
                    .max()
                    .unwrap_or_default(),
                if ids.len() == 1 { "it" } else { "them" },
                ctx.snapshot.cluster
            ),
        ));
    }
    in_seeds(ctx, draft)
}

/// Seeds (`group_replication_group_seeds`) that are no inventory instance's endpoint.
fn in_seeds(ctx: &Ctx<'_>, draft: &mut Draft) -> Result<(), Block> {
    let picture = &ctx.picture;
    let known: Vec<String> = picture
        .nodes
        .iter()
        .filter_map(|n| {
            let rds = n.rds?;
            let endpoint = rds.endpoint.as_deref()?;
            Some(format!("{endpoint}:{}", rds.port.unwrap_or(3306)).to_ascii_lowercase())
        })
        .collect();
    let mut strangers: Vec<String> = Vec::new();
    for report in picture.nodes.iter().filter_map(|n| n.report) {
        for seed in &report.settings.group_seeds {
            let seed = seed.trim().to_ascii_lowercase();
            if !known.contains(&seed) && !strangers.contains(&seed) {
                strangers.push(seed);
            }
        }
    }
    if strangers.is_empty() {
        return Ok(());
    }
    let named = strangers.join(", ");
    draft.note(
        FindingKind::UnknownMember,
        Severity::Critical,
        None,
        format!(
            "The members' group_replication_group_seeds name {named}, which is no inventory \
             instance's endpoint: a member there may be live in a group grkeeper cannot see, so \
             it will not re-bootstrap. Tag its instance into the cluster, or remove it from \
             group_replication_group_seeds in the DB parameter groups."
        ),
    );
    Err(block(
        Guard::UnknownMember,
        format!(
            "{named} is named in the seeds but not in the inventory and may be live: tag its \
             instance into the cluster, or remove it from group_replication_group_seeds"
        ),
    ))
}

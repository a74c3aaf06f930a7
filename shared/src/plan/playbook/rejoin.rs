//! Rejoin: a reachable member whose Group Replication is `OFFLINE` (stopped, start failed, or
//! after a restart), while a group with quorum exists -> `rds_group_replication_start(0)`. A 9.7
//! member kept out by local GTIDs only gets the approved sync's next step instead (`sync`).

use crate::model::MemberState;
use crate::plan::checks::{available, not_stopped_on_purpose};
use crate::plan::draft::{Candidate, Ctx, Draft};
use crate::plan::{ActionKind, FindingKind, Severity};

use super::join::{self, Joinable};
use super::sync;

pub(crate) fn consider(ctx: &Ctx<'_>, draft: &mut Draft) {
    if ctx.picture.quorum_group().is_none() {
        return;
    }
    for node in &ctx.picture.nodes {
        if node.own_state() != Some(MemberState::Offline) {
            continue;
        }
        let listed = ctx.picture.listed_states(node);
        if listed.iter().all(|s| *s == MemberState::Unreachable) && !listed.is_empty() {
            draft.note(
                FindingKind::MemberOffline,
                Severity::Info,
                Some(node.id),
                format!(
                    "{} restarted and is OFFLINE, but the group still lists its previous \
                     incarnation as UNREACHABLE; waiting for the group to expel it before \
                     rejoining.",
                    node.id
                ),
            );
            continue;
        }
        // Listed live somewhere: it is joining right now, or the views have not settled.
        if !listed.is_empty() {
            continue;
        }
        draft.note(
            FindingKind::MemberOffline,
            Severity::Warning,
            Some(node.id),
            format!(
                "{} is reachable but Group Replication is OFFLINE on it: it is not in the group \
                 and stays super-read-only.",
                node.id
            ),
        );
        let (data, note, local) = match available(node)
            .and_then(|()| not_stopped_on_purpose(ctx, node))
            .and_then(|()| join::assess(ctx, draft, node))
        {
            Ok(Joinable { note, local: None }) => (Ok(()), note, None),
            Ok(Joinable {
                local: Some(local), ..
            }) => (Err(sync::blocked(ctx, &local)), String::new(), Some(local)),
            Err(block) => (Err(block), String::new(), None),
        };
        let reason = format!(
            "{} is OFFLINE while the group has quorum; its transactions are a subset of the \
             group's and a donor still holds what it lacks{note}",
            node.id
        );
        draft.consider(
            ctx,
            Candidate::new(ActionKind::Rejoin, node.id, reason),
            data,
        );
        // Only local GTIDs keep it out: with an approval, the sync's next step.
        if let Some(local) = local {
            sync::propose(ctx, draft, node, &local);
        }
    }
}

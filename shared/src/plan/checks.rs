//! The facts about a member that allow or forbid an action, whatever the policy: RDS must be
//! done with the instance, a deliberate stop is respected, its transactions must fit the group,
//! and taking it out must leave the group its quorum and the policy's fault tolerance.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use crate::gtid::GtidSet;
use crate::model::{LastGrCall, MemberState};
use crate::snapshot::Snapshot;

use super::draft::Ctx;
use super::guards::{Block, block};
use super::picture::{Node, Picture};
use super::{ActionKind, Guard};

/// How far apart grkeeper's journaled expel and the `rds_history` row of the stop it made may
/// be: the row is written after `STOP GROUP_REPLICATION` and a 2 s sleep, and clocks differ a
/// little between the Lambda and the instance.
const OWN_STOP_SLACK: TimeDelta = TimeDelta::minutes(5);

/// RDS must report the instance `available`: anything else means RDS is busy with it or it is
/// down, and an action would race RDS.
pub(crate) fn available(node: &Node<'_>) -> Result<(), Block> {
    match (node.rds, node.rds_error) {
        (Some(rds), _) if rds.status.is_available() => Ok(()),
        (Some(rds), _) => Err(block(
            Guard::InstanceNotAvailable,
            format!("RDS reports {} as {}", node.id, rds.status),
        )),
        (None, error) => Err(block(
            Guard::InstanceNotAvailable,
            format!(
                "RDS status of {} is unknown: {}",
                node.id,
                error.unwrap_or("not described")
            ),
        )),
    }
}

/// A person stopped Group Replication on this member: its last GR procedure call (RDS's
/// `mysql.rds_history`) is a stop that is not grkeeper's own journaled expel. Unless the policy
/// says otherwise, grkeeper leaves a deliberate stop alone, and it does not guess when the table
/// cannot be read.
pub(crate) fn not_stopped_on_purpose(snapshot: &Snapshot, node: &Node<'_>) -> Result<(), Block> {
    if snapshot.policy.rejoin_after_operator_stop {
        return Ok(());
    }
    let override_hint = "or set GRKEEPER_REJOIN_AFTER_OPERATOR_STOP=on";
    let call = match node.report.map(|r| &r.last_gr_call) {
        None | Some(LastGrCall::None) => return Ok(()),
        Some(LastGrCall::Call(call)) if !call.is_stop() => return Ok(()),
        Some(LastGrCall::Call(call)) => call,
        Some(LastGrCall::Unreadable(reason)) => {
            return Err(block(
                Guard::OperatorStop,
                format!(
                    "cannot tell whether a person stopped Group Replication on {}: \
                     mysql.rds_history is unreadable ({reason}); grant SELECT on it to \
                     grkeeper's user, {override_hint}",
                    node.id
                ),
            ));
        }
    };
    if own_stop(snapshot, node.id, &call.at) {
        return Ok(());
    }
    Err(block(
        Guard::OperatorStop,
        format!(
            "{} stopped Group Replication on {} at {} (mysql.rds_history); grkeeper leaves a \
             deliberate stop alone: run CALL mysql.rds_group_replication_start(0) on it when the \
             work is done, {override_hint}",
            call.by, node.id, call.at
        ),
    ))
}

/// True when the stop recorded at `stopped_at` is grkeeper's own: the last journaled action on
/// the instance is an expel (or fence) made at about that time.
fn own_stop(snapshot: &Snapshot, instance: &str, stopped_at: &str) -> bool {
    let Some(stopped_at) = mysql_time(stopped_at) else {
        return false;
    };
    snapshot
        .history
        .actions
        .iter()
        .rfind(|a| a.instance == instance)
        .is_some_and(|a| a.kind == ActionKind::Expel && (stopped_at - a.at).abs() <= OWN_STOP_SLACK)
}

/// A `TIMESTAMP` as MySQL prints it (`2026-11-30 11:20:04[.123456]`); RDS instances run UTC.
fn mysql_time(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Whether a member's transactions allow it to join the quorum group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GtidFit {
    /// Its set is a subset and some donor still holds everything it lacks.
    Joinable,
    /// It holds transactions the group does not have.
    Errant(GtidSet),
    /// Every donor purged some of what it lacks.
    Purged { missing: GtidSet, purged: GtidSet },
}

/// Checks a joiner against the quorum group's donors (`docs/group-replication.md`), counting on
/// both sides what is certified but not applied yet, so a lagging donor does not make a joiner
/// look errant.
pub(crate) fn gtid_fit(picture: &Picture<'_>, node: &Node<'_>) -> GtidFit {
    let (held, _) = node.transactions();
    let group = picture.group_transactions();
    let errant = held.difference(&group);
    if !errant.is_empty() {
        return GtidFit::Errant(errant);
    }
    let missing = group.difference(&held);
    let mut purged_everywhere = GtidSet::new();
    for donor in picture.quorum_donors() {
        let (_, purged) = donor.transactions();
        let lost = missing.intersection(&purged);
        if lost.is_empty() {
            return GtidFit::Joinable;
        }
        purged_everywhere = purged_everywhere.union(&lost);
    }
    if missing.is_empty() {
        GtidFit::Joinable
    } else {
        GtidFit::Purged {
            missing,
            purged: purged_everywhere,
        }
    }
}

/// Taking out (by `kind`) a member the quorum group lists as `listed` (an expel, or a reboot of
/// a member the group may still count) must leave: quorum in every quorum view (MySQL Shell's
/// rule), a majority of the inventory ONLINE, and the policy's fault tolerance.
pub(crate) fn keeps_majority(
    ctx: &Ctx<'_>,
    kind: ActionKind,
    id: &str,
    listed: Option<MemberState>,
) -> Result<(), Block> {
    // A member the group does not count changes nothing when it goes.
    let Some(listed) = listed else {
        return Ok(());
    };
    let picture = &ctx.picture;
    let online = picture.health.online;
    let counted_online = listed == MemberState::Online;
    let after = online.saturating_sub(u32::from(counted_online));
    let majority = picture.majority();
    // An expel is never taken while fewer than a majority would be ONLINE after it, even when
    // its target is not ONLINE itself: a degraded group is not thinned further by choice.
    if (counted_online || kind == ActionKind::Expel) && after < majority {
        return Err(block(
            Guard::Majority,
            format!(
                "taking {id} out would leave {after} ONLINE members, fewer than a majority \
                 ({majority}) of the {} instances",
                picture.health.members
            ),
        ));
    }
    // Every member of the quorum group that holds quorum in its own view must keep it: views
    // can disagree for a moment, and the safe reading is the worst one.
    for view in picture.quorum_views() {
        let counted = view
            .iter()
            .filter(|row| row.state != MemberState::Error)
            .count();
        let reachable = view
            .iter()
            .filter(|row| !matches!(row.state, MemberState::Error | MemberState::Unreachable))
            .count();
        let (counted, reachable) = match listed {
            MemberState::Error => (counted, reachable),
            MemberState::Unreachable => (counted.saturating_sub(1), reachable),
            _ => (counted.saturating_sub(1), reachable.saturating_sub(1)),
        };
        if reachable * 2 <= counted {
            return Err(block(
                Guard::Majority,
                format!(
                    "taking {id} out would leave the group {reachable} reachable members of \
                     {counted} in its view: it would lose quorum"
                ),
            ));
        }
    }
    let floor = ctx.snapshot.policy.fault_tolerance_floor;
    let tolerance = after.saturating_sub(1) / 2;
    if counted_online && tolerance < floor {
        return Err(block(
            Guard::ToleranceFloor,
            format!(
                "taking {id} out would leave the group tolerating {tolerance} failures, below \
                 the policy floor of {floor}"
            ),
        ));
    }
    Ok(())
}

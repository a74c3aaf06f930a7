//! The facts about a member that allow or forbid an action, whatever the policy: RDS must be
//! done with the instance, a deliberate stop is respected, its transactions must fit the group,
//! taking it out must leave the group its quorum and the policy's fault tolerance, and the group
//! must be able to change its membership at all.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use crate::gtid::GtidSet;
use crate::model::{GrCall, LastGrCall, MemberState};

use super::draft::Ctx;
use super::guards::{Block, block};
use super::local_gtids::LocalGtids;
use super::picture::{Node, Picture, count};
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
            format!(
                "RDS reports {} as {}; grkeeper acts once RDS reports it available{}",
                node.id,
                rds.status,
                if rds.status.is_stopped() {
                    format!(
                        " (start it with `aws rds start-db-instance --db-instance-identifier {}`)",
                        node.id
                    )
                } else {
                    String::new()
                }
            ),
        )),
        (None, error) => Err(block(
            Guard::InstanceNotAvailable,
            format!(
                "RDS status of {} is unknown: {}; check grkeeper's rds:DescribeDBInstances \
                 permission and the instance's tags",
                node.id,
                error.unwrap_or("not described")
            ),
        )),
    }
}

/// A person stopped Group Replication on this member: its last GR procedure call (RDS's
/// `mysql.rds_history`) is a stop that is not grkeeper's own. Unless the policy says otherwise,
/// grkeeper leaves a deliberate stop alone, and it does not guess when the table cannot be read.
pub(crate) fn not_stopped_on_purpose(ctx: &Ctx<'_>, node: &Node<'_>) -> Result<(), Block> {
    if ctx.snapshot.policy.rejoin_after_operator_stop {
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
    if own_stop(ctx, node.id, call) {
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

/// True when the stop `call` is grkeeper's own. Who made it decides when grkeeper knows its own
/// database user: any other user is a person. Without that, only time tells: the last journaled
/// action on the instance is an expel (or fence) made at about the time of the stop.
fn own_stop(ctx: &Ctx<'_>, instance: &str, call: &GrCall) -> bool {
    if let Some(user) = ctx.snapshot.db_user.as_deref() {
        return call.user() == user;
    }
    let Some(stopped_at) = mysql_time(&call.at) else {
        return false;
    };
    ctx.actions()
        .rev()
        .find(|a| a.instance == instance)
        .is_some_and(|a| a.kind == ActionKind::Expel && (stopped_at - a.at).abs() <= OWN_STOP_SLACK)
}

/// A `TIMESTAMP` as MySQL prints it (`2026-11-30 11:20:04[.123456]`); RDS instances run UTC.
pub(crate) fn mysql_time(text: &str) -> Option<DateTime<Utc>> {
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
/// look errant. With a 9.7 joiner's `local` GTIDs, as if their placeholders were created: the
/// joiner's own GTIDs then are the group's too, and the members' own ones the joiner's.
pub(crate) fn gtid_fit(
    picture: &Picture<'_>,
    node: &Node<'_>,
    local: Option<&LocalGtids<'_>>,
) -> GtidFit {
    let (held, _) = node.transactions();
    let (joiners_own, members_own) =
        local.map_or_else(Default::default, |l| (l.joiners_own(), l.members_own()));
    let group = picture.group_transactions();
    let errant = held.difference(&group);
    if !errant.difference(&joiners_own).is_empty() {
        return GtidFit::Errant(errant);
    }
    let missing = group.difference(&held).difference(&members_own);
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

/// Taking out (by `kind`) `node` (an expel, or a reboot of a member the group may still count)
/// must leave, in every view of the quorum group that holds quorum and lists it: quorum (MySQL
/// Shell's rule), a majority of the inventory ONLINE, and the policy's fault tolerance. Each view
/// is judged by the state it gives the member, whatever the member says of itself: a member that
/// reports ERROR may still be counted as a joiner (OFFLINE) by its peers, and views disagree for
/// a moment.
pub(crate) fn keeps_majority(
    ctx: &Ctx<'_>,
    kind: ActionKind,
    node: &Node<'_>,
) -> Result<(), Block> {
    let picture = &ctx.picture;
    let id = node.id;
    let majority = picture.majority();
    let floor = ctx.snapshot.policy.fault_tolerance_floor;
    for view in picture.quorum_views() {
        // A member the view does not count changes nothing when it goes.
        let Some(listed) = picture.listed_in(view, node) else {
            continue;
        };
        let online = count(view.iter().filter(|row| row.state == MemberState::Online));
        let counted_online = listed == MemberState::Online;
        let after = online.saturating_sub(u32::from(counted_online));
        // An expel is never taken while fewer than a majority would be ONLINE after it, even
        // when its target is not ONLINE itself: a degraded group is not thinned further by choice.
        if (counted_online || kind == ActionKind::Expel) && after < majority {
            return Err(block(
                Guard::Majority,
                format!(
                    "taking {id} out would leave {after} ONLINE members, fewer than a majority \
                     ({majority}) of the {} instances; bring the missing members back first",
                    picture.health.members
                ),
            ));
        }
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
                     {counted} in its view: it would lose quorum; wait until the members it \
                     lists UNREACHABLE are back or expelled"
                ),
            ));
        }
        let tolerance = after.saturating_sub(1) / 2;
        if counted_online && tolerance < floor {
            return Err(block(
                Guard::ToleranceFloor,
                format!(
                    "taking {id} out would leave the group tolerating {tolerance} failures, \
                     below the policy floor of {floor}; bring the missing members back first, \
                     or lower GRKEEPER_FAULT_TOLERANCE_FLOOR"
                ),
            ));
        }
    }
    Ok(())
}

/// While a view of the quorum group lists a member UNREACHABLE, the group cannot change its
/// membership (no join, no leave) until that member is back or expelled: a rejoin or an expel
/// would hang or fail. The member being taken out does not count: its own suspicion is what
/// its removal ends.
pub(crate) fn group_can_reconfigure(ctx: &Ctx<'_>, node: &Node<'_>) -> Result<(), Block> {
    let picture = &ctx.picture;
    let own = node.identity();
    let never_read: Vec<&str> = picture.unidentified().map(|n| n.id).collect();
    let suspected: BTreeSet<String> = picture
        .quorum_views()
        .flatten()
        .filter(|row| row.state == MemberState::Unreachable)
        .filter(|row| {
            own.as_deref()
                .is_none_or(|u| !row.member_id.eq_ignore_ascii_case(u))
        })
        .map(|row| match picture.node_of(&row.member_id) {
            Some(n) => n.id.to_string(),
            None if never_read.is_empty() => {
                format!("{} ({}:{})", row.member_id, row.host, row.port)
            }
            None => format!(
                "{} ({}:{}, maybe {})",
                row.member_id,
                row.host,
                row.port,
                never_read.join(" or ")
            ),
        })
        .collect();
    if suspected.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = suspected.iter().map(String::as_str).collect();
    Err(block(
        Guard::UnreachableMember,
        format!(
            "the group lists {} UNREACHABLE, so it cannot change its membership until {} back \
             or expelled (member_expel_timeout); grkeeper waits. If {} down for good, its \
             peers expel it by themselves; check its RDS status",
            names.join(", "),
            if names.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            if names.len() == 1 {
                "it is"
            } else {
                "they are"
            },
        ),
    ))
}

//! Configuration drift and slow dangers, reported and never acted on: seeds missing a member,
//! parameter changes waiting for a reboot, binlog retention too short to rejoin, exit actions
//! and group names that differ, version skew after an upgrade, fault tolerance under the policy
//! floor, an ONLINE member holding transactions other ONLINE members lack, and pauses.

use std::collections::BTreeSet;

use crate::gtid::GtidSet;
use crate::model::MemberState;

use super::draft::{Ctx, Draft};
use super::guards::stamp;
use super::picture::{Node, names};
use super::playbook::join::group_versions;
use super::version::{JoinRule, UPGRADE_ORDER, Version, join_rule};
use super::{FindingKind, Severity};

pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
    seeds(ctx, draft);
    parameters(ctx, draft);
    retention(ctx, draft);
    exit_state_action(ctx, draft);
    group_names(ctx, draft);
    version_skew(ctx, draft);
    tolerance(ctx, draft);
    errant_online(ctx, draft);
    paused(ctx, draft);
}

fn seeds(ctx: &Ctx<'_>, draft: &mut Draft) {
    let endpoints: Vec<(&str, String)> = ctx
        .picture
        .nodes
        .iter()
        .filter_map(|n| {
            let rds = n.rds?;
            let address = rds.endpoint.as_deref()?;
            Some((
                n.id,
                format!("{}:{}", address, rds.port.unwrap_or(3306)).to_ascii_lowercase(),
            ))
        })
        .collect();
    for node in &ctx.picture.nodes {
        let Some(report) = node.report else { continue };
        let seeds: BTreeSet<String> = report
            .settings
            .group_seeds
            .iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .collect();
        let missing: Vec<String> = endpoints
            .iter()
            .filter(|(_, endpoint)| !seeds.contains(endpoint))
            .map(|(id, endpoint)| format!("{id} ({endpoint})"))
            .collect();
        if !missing.is_empty() {
            draft.note(
                FindingKind::SeedsDrift,
                Severity::Warning,
                Some(node.id),
                format!(
                    "{}'s group_replication_group_seeds lacks {}: after a restart it may not find \
                     the group. Add every member's endpoint:3306 to the seeds in its DB parameter \
                     group (dynamic, no reboot).",
                    node.id,
                    missing.join(", ")
                ),
            );
        }
    }
}

fn parameters(ctx: &Ctx<'_>, draft: &mut Draft) {
    for node in &ctx.picture.nodes {
        let pending = node
            .rds
            .and_then(|r| r.parameter_apply_status.as_deref())
            .is_some_and(|s| s == "pending-reboot");
        if pending {
            draft.note(
                FindingKind::ParameterPendingReboot,
                Severity::Warning,
                Some(node.id),
                format!(
                    "{}'s DB parameter group has changes waiting for a reboot. Reboot members one \
                     at a time, in a quiet period, each after the previous one is ONLINE again.",
                    node.id
                ),
            );
        }
    }
}

fn retention(ctx: &Ctx<'_>, draft: &mut Draft) {
    let min = ctx.snapshot.policy.min_binlog_retention_hours;
    for node in &ctx.picture.nodes {
        let Some(hours) = node.report.and_then(|r| r.settings.binlog_retention_hours) else {
            continue;
        };
        if hours < min {
            draft.note(
                FindingKind::BinlogRetention,
                Severity::Warning,
                Some(node.id),
                format!(
                    "{} keeps binary logs for {} (policy: at least {min} hours). A member that \
                     stays out longer cannot rejoin without a rebuild. Run CALL \
                     mysql.rds_set_configuration('binlog retention hours', {min}) on it.",
                    node.id,
                    if hours == 0 {
                        "no time at all (retention NULL: RDS purges them as soon as it can)"
                            .to_owned()
                    } else {
                        format!("{hours} hours")
                    }
                ),
            );
        }
    }
}

fn exit_state_action(ctx: &Ctx<'_>, draft: &mut Draft) {
    let actions: Vec<(&str, &str)> = ctx
        .picture
        .nodes
        .iter()
        .filter_map(|n| Some((n.id, n.report?.settings.exit_state_action.as_deref()?)))
        .collect();
    let expected = ctx.snapshot.policy.exit_state_action.as_deref();
    let distinct: BTreeSet<&str> = actions.iter().map(|(_, a)| *a).collect();
    for (id, action) in &actions {
        let drifted = match expected {
            Some(want) => !want.eq_ignore_ascii_case(action),
            None => distinct.len() > 1,
        };
        // Unless a person chose it (the policy names it), ABORT_SERVER is worth a warning of its
        // own: it takes away what grkeeper needs to repair a lost group.
        let aborts = action.eq_ignore_ascii_case("ABORT_SERVER") && expected.is_none();
        let consequence = if action.eq_ignore_ascii_case("ABORT_SERVER") {
            " With ABORT_SERVER a member whose start at boot finds no group shuts down (and \
             again each time it is restarted): after a complete outage, or once the group lost \
             quorum, no member stays up for grkeeper to read, so it cannot tell which one holds \
             every transaction and bootstraps none; a person must set another exit action and \
             restart them. OFFLINE_MODE (RDS's default) keeps a member readable; if ABORT_SERVER \
             is intended, set GRKEEPER_EXIT_STATE_ACTION=ABORT_SERVER to say so."
        } else {
            ""
        };
        if drifted || aborts {
            let want = exit_action_wanted(expected, &distinct);
            draft.note(
                FindingKind::ExitStateActionDrift,
                Severity::Warning,
                Some(id),
                format!(
                    "{id} runs group_replication_exit_state_action = {action} {want}. Set it in \
                     the member's DB parameter group.{consequence}"
                ),
            );
        }
    }
}

/// What the exit state action should be instead, for the finding's text: the policy's, or that
/// the members disagree, or that neither says.
fn exit_action_wanted(expected: Option<&str>, distinct: &BTreeSet<&str>) -> String {
    match expected {
        Some(w) => format!("but the policy expects {w}"),
        None if distinct.len() > 1 => format!("but the members disagree ({})", joined(distinct)),
        None => "and the policy names none".to_owned(),
    }
}

fn group_names(ctx: &Ctx<'_>, draft: &mut Draft) {
    let names: BTreeSet<String> = ctx
        .picture
        .nodes
        .iter()
        .filter_map(|n| n.report?.settings.group_name.as_deref())
        .map(str::to_ascii_lowercase)
        .collect();
    if names.len() > 1 {
        let names: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        draft.note(
            FindingKind::GroupNameMismatch,
            Severity::Critical,
            None,
            format!(
                "Members are configured for different groups ({}). Every member's parameter group \
                 must carry the same group_replication_group_name.",
                joined(&names)
            ),
        );
    }
}

fn version_skew(ctx: &Ctx<'_>, draft: &mut Draft) {
    let group = group_versions(ctx, None);
    let Some(&lowest) = group.iter().min() else {
        return;
    };
    let lower: Vec<&str> = ctx
        .picture
        .nodes
        .iter()
        .filter(|n| {
            n.report
                .and_then(|r| Version::parse(&r.version))
                .is_some_and(|v| v == lowest)
        })
        .map(|n| n.id)
        .collect();
    for node in &ctx.picture.nodes {
        let Some(report) = node.report else { continue };
        let Some(version) = Version::parse(&report.version) else {
            continue;
        };
        let online = ctx.picture.state_in_quorum_group(node) == Some(MemberState::Online);
        // Read-only by the version rules: newer than the lowest, and not one LTS series with
        // every member (the group's versions include its own).
        let held_back = join_rule(version, &group) == JoinRule::ReadOnly;
        if online && held_back && report.super_read_only {
            draft.note(
                FindingKind::VersionSkew,
                Severity::Warning,
                Some(node.id),
                format!(
                    "{} runs {version}, newer than the group's lowest version {lowest}, so Group \
                     Replication keeps it read-only. Finish the upgrade one member at a time, \
                     {UPGRADE_ORDER}: {} last, and consider turning off auto minor version \
                     upgrade.",
                    node.id,
                    lower.join(", ")
                ),
            );
        }
    }
}

fn tolerance(ctx: &Ctx<'_>, draft: &mut Draft) {
    let floor = ctx.snapshot.policy.fault_tolerance_floor;
    let health = &ctx.picture.health;
    if ctx.picture.quorum_group().is_some() && health.tolerance < floor {
        draft.note(
            FindingKind::FaultToleranceLow,
            Severity::Warning,
            None,
            format!(
                "The group tolerates {} failures with {} of {} members ONLINE; the policy floor is \
                 {floor}.",
                health.tolerance, health.online, health.members
            ),
        );
    }
}

/// An ONLINE member of the quorum group that holds transactions some other ONLINE member has
/// neither executed nor received: written outside the group's certification (a session that set
/// `gtid_next`, a local GTID never synced), on it alone or spread to others by a recovery from
/// it. Group Replication keeps it ONLINE, but refuses back any member holding them once it
/// leaves, so a person settles it now rather than after the next failure. Only what the member
/// already held at its last reading counts: a commit certified between two readings of one tick
/// is in every member's received set by the next one.
fn errant_online(ctx: &Ctx<'_>, draft: &mut Draft) {
    let donors: Vec<(&Node<'_>, GtidSet)> = ctx
        .picture
        .quorum_donors()
        .map(|d| (d, d.transactions().0))
        .collect();
    for (node, _) in &donors {
        let (Some(report), Some(seen)) = (node.report, node.last_seen) else {
            continue;
        };
        if !seen.server_uuid.eq_ignore_ascii_case(&report.server_uuid) {
            continue;
        }
        let held = report.gtid_executed.intersection(&seen.gtid_executed);
        let lacking: Vec<&Node<'_>> = donors
            .iter()
            .filter(|(other, known)| other.index != node.index && !held.is_subset(known))
            .map(|(other, _)| *other)
            .collect();
        let errant = donors
            .iter()
            .filter(|(other, _)| other.index != node.index)
            .fold(GtidSet::new(), |acc, (_, known)| {
                acc.union(&held.difference(known))
            });
        if errant.is_empty() {
            continue;
        }
        draft.note(
            FindingKind::ErrantGtids,
            Severity::Warning,
            Some(node.id),
            format!(
                "{} is ONLINE holding transactions that {} lack: {errant} (written outside the \
                 group's certification). The group works, but a member holding them that leaves \
                 it is refused back, and grkeeper cannot rejoin it. Settle it now: rebuild {} \
                 from a member without them (point-in-time restore), or, only after checking \
                 that these transactions do not matter, create empty placeholders for them on \
                 the members lacking them with \
                 CALL mysql.rds_group_replication_advance_gtid(begin, end, 'uuid').",
                node.id,
                names(&lacking),
                node.id
            ),
        );
    }
}

fn paused(ctx: &Ctx<'_>, draft: &mut Draft) {
    let history = &ctx.snapshot.history;
    let now = ctx.snapshot.observed_at;
    if let Some(pause) = history.paused.as_ref().filter(|p| p.until > now) {
        draft.note(
            FindingKind::Paused,
            Severity::Info,
            None,
            format!(
                "The cluster is paused until {} by {} ({}): grkeeper observes and alerts only.",
                stamp(pause.until),
                pause.by,
                pause.reason
            ),
        );
    }
    for (instance, pause) in history
        .paused_instances
        .iter()
        .filter(|(_, p)| p.until > now)
    {
        draft.note(
            FindingKind::Paused,
            Severity::Info,
            Some(instance),
            format!(
                "{instance} is paused until {} by {} ({}).",
                stamp(pause.until),
                pause.by,
                pause.reason
            ),
        );
    }
}

fn joined(items: &BTreeSet<&str>) -> String {
    items.iter().copied().collect::<Vec<_>>().join(", ")
}

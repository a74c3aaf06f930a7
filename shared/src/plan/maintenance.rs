//! What RDS's own lifecycle holds for the group, read from the control plane and told of here
//! (the opt-in rolling maintenance that applies it is `roll`): maintenance windows open together on more members than the group can lose (with a
//! staggered schedule), maintenance RDS has pending per member and when it applies it, automatic
//! minor version upgrades on some members only, members on different engine versions and what
//! that does to writes, and an instance RDS started by itself after seven days stopped.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::{Observed, PendingMaintenance};

use super::conditions::STOPPED;
use super::draft::{Ctx, Draft};
use super::guards::stamp;
use super::picture::Node;
use super::version::{UPGRADE_ORDER, Version, one_lts_series};
use super::window::{Window, most_open_together, staggered};
use super::{FindingKind, Severity};

/// How long RDS lets an instance stay stopped before it starts it again by itself
/// (RDS-EVENT-0154).
pub(crate) const STOP_LIMIT: TimeDelta = TimeDelta::days(7);

pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
    windows(ctx, draft);
    pending(ctx, draft);
    auto_minor_version_upgrade(ctx, draft);
    engine_versions(ctx, draft);
    started_by_rds(ctx, draft);
}

/// Each member's maintenance window, when RDS reported one that reads.
fn member_windows<'a>(ctx: &'a Ctx<'_>) -> Vec<(&'a str, Window)> {
    ctx.picture
        .nodes
        .iter()
        .filter_map(|n| Some((n.id, Window::parse(n.rds?.maintenance_window.as_deref()?)?)))
        .collect()
}

/// More members' windows open at once than the group can lose and keep its majority: if RDS
/// takes them down together, the group loses quorum and writes hang.
fn windows(ctx: &Ctx<'_>, draft: &mut Draft) {
    let members = ctx.picture.nodes.len();
    let tolerated = members.saturating_sub(1) / 2;
    let windows = member_windows(ctx);
    let spans: Vec<Window> = windows.iter().map(|(_, w)| *w).collect();
    let together = most_open_together(&spans);
    if together.len() <= tolerated {
        return;
    }
    let named: Vec<String> = together
        .iter()
        .map(|&i| format!("{} ({})", windows[i].0, windows[i].1))
        .collect();
    let suggestion = match staggered(&spans) {
        Some(schedule) => format!(
            "Stagger them so that no two are open together, for example: {}.",
            windows
                .iter()
                .zip(&schedule)
                .map(|((id, _), w)| {
                    format!(
                        "aws rds modify-db-instance --db-instance-identifier {id} \
                         --preferred-maintenance-window {w}"
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
        None => "Shorten them and give each member its own day.".to_owned(),
    };
    draft.note(
        FindingKind::MaintenanceWindowsOverlap,
        Severity::Warning,
        None,
        format!(
            "The maintenance windows of {} are open at the same time: if RDS maintains them \
             together, {} of {members} members are down at once and the group, which tolerates \
             {tolerated}, loses its majority (writes hang). {suggestion}",
            named.join(", "),
            together.len(),
        ),
    );
}

/// The first opening of the member's maintenance window at or after `after`.
fn next_window(node: &Node<'_>, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let window = Window::parse(node.rds?.maintenance_window.as_deref()?)?;
    Some(window.next_start(after))
}

/// Maintenance RDS holds for a member: what, and when RDS applies it by itself.
fn pending(ctx: &Ctx<'_>, draft: &mut Draft) {
    let now = ctx.snapshot.observed_at;
    for node in &ctx.picture.nodes {
        let Some(reading) = node.rds.and_then(|r| r.pending_maintenance.as_ref()) else {
            continue;
        };
        let actions = match reading {
            Observed::Seen(actions) if actions.is_empty() => continue,
            Observed::Seen(actions) => actions,
            Observed::Failed(error) => {
                draft.note(
                    FindingKind::ControlPlaneError,
                    Severity::Warning,
                    Some(node.id),
                    format!(
                        "DescribePendingMaintenanceActions failed for {}: {error}. grkeeper cannot \
                         tell what maintenance RDS holds for it; check grkeeper's \
                         rds:DescribePendingMaintenanceActions permission.",
                        node.id
                    ),
                );
                continue;
            }
        };
        let told: Vec<String> = actions.iter().map(|a| when_applied(node, a, now)).collect();
        draft.note(
            FindingKind::PendingMaintenance,
            Severity::Info,
            Some(node.id),
            format!(
                "RDS holds maintenance for {}: {}. RDS takes the member down to apply it. Apply it \
                 yourself one member at a time, each once the previous one is ONLINE again (`aws \
                 rds apply-pending-maintenance-action --resource-identifier <{} ARN> \
                 --apply-action {} --opt-in-type immediate`), or make sure no other member's \
                 window is open at that time.",
                node.id,
                told.join("; "),
                node.id,
                actions.first().map_or("<action>", |a| a.action.as_str())
            ),
        );
    }
}

/// One pending action and when RDS applies it.
fn when_applied(node: &Node<'_>, action: &PendingMaintenance, now: DateTime<Utc>) -> String {
    let mut text = action.action.clone();
    if !action.description.is_empty() {
        text.push_str(&format!(
            " ({})",
            crate::model::untrusted::clean(&action.description, 120)
        ));
    }
    let mut dates = Vec::new();
    if let Some(current) = action.current_apply {
        dates.push(format!("RDS applies it at {}", stamp(current)));
    } else if let Some(after) = action.auto_applied_after {
        let window = next_window(node, after.max(now))
            .map_or_else(String::new, |w| format!(", which opens {}", stamp(w)));
        dates.push(format!(
            "RDS applies it in the first maintenance window after {}{window}",
            stamp(after)
        ));
    }
    if let Some(forced) = action.forced_apply {
        dates.push(format!(
            "on {} at the latest, whatever the window",
            stamp(forced)
        ));
    }
    if dates.is_empty() {
        let window = next_window(node, now)
            .map_or_else(String::new, |w| format!(" (next window: {})", stamp(w)));
        dates.push(format!(
            "no date: RDS applies it only when someone opts in{window}"
        ));
    }
    format!("{text}, {}", dates.join(", "))
}

/// Some members upgrade their minor version by themselves in their window, others do not: after
/// RDS upgrades one, it is read-only until the others run its version.
fn auto_minor_version_upgrade(ctx: &Ctx<'_>, draft: &mut Draft) {
    let mut by_setting: BTreeMap<bool, Vec<&str>> = BTreeMap::new();
    for node in &ctx.picture.nodes {
        if let Some(on) = node.rds.and_then(|r| r.auto_minor_version_upgrade) {
            by_setting.entry(on).or_default().push(node.id);
        }
    }
    let (Some(on), Some(off)) = (by_setting.get(&true), by_setting.get(&false)) else {
        return;
    };
    draft.note(
        FindingKind::AutoMinorVersionUpgradeMixed,
        Severity::Warning,
        None,
        format!(
            "Automatic minor version upgrade is on for {} and off for {}: RDS upgrades the first \
             ones by themselves in their windows, and on 8.0 an upgraded member stays read-only \
             until every member runs its version. Turn it off on every member \
             (`aws rds modify-db-instance --no-auto-minor-version-upgrade`) and upgrade one \
             member at a time, {UPGRADE_ORDER}.",
            on.join(", "),
            off.join(", ")
        ),
    );
}

/// Members on different engine versions (as RDS reports them): on 8.0, and across series, the
/// newer ones are read-only until all run the newest; inside one LTS series (8.4, 9.7) they all
/// count as one version and stay writable.
fn engine_versions(ctx: &Ctx<'_>, draft: &mut Draft) {
    let mut by_version: BTreeMap<Version, Vec<&str>> = BTreeMap::new();
    for node in &ctx.picture.nodes {
        let version = node
            .rds
            .and_then(|r| r.engine_version.as_deref())
            .and_then(Version::parse);
        if let Some(version) = version {
            by_version.entry(version).or_default().push(node.id);
        }
    }
    let (Some((lowest, writable)), Some((newest, _))) =
        (by_version.first_key_value(), by_version.last_key_value())
    else {
        return;
    };
    if lowest == newest {
        return;
    }
    let listed: Vec<String> = by_version
        .iter()
        .map(|(v, ids)| format!("{v} on {}", ids.join(", ")))
        .collect();
    let (severity, meaning) = if one_lts_series(by_version.keys().copied()) {
        (
            Severity::Info,
            format!(
                "They are one long-term-support series, which Group Replication counts as one \
                 version: every member stays writable. Finish the upgrade to {newest} when \
                 convenient."
            ),
        )
    } else {
        let newer: Vec<&str> = by_version
            .iter()
            .filter(|(v, _)| *v != lowest)
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        (
            Severity::Warning,
            format!(
                "Group Replication keeps the members newer than {lowest} ({}) read-only while a \
                 member runs {lowest}: only {} can take writes. Upgrade {} to {newest}, one member \
                 at a time, {UPGRADE_ORDER}; once none runs an older version, all are writable \
                 again.",
                newer.join(", "),
                writable.join(", "),
                writable.join(", ")
            ),
        )
    };
    draft.note(
        FindingKind::EngineVersionsDiffer,
        severity,
        None,
        format!(
            "Members run different engine versions: {}. {meaning}",
            listed.join("; ")
        ),
    );
}

/// An instance the journal last saw stopped for at least seven days runs again: RDS started it
/// by itself (RDS-EVENT-0154), maybe unnoticed by anyone.
fn started_by_rds(ctx: &Ctx<'_>, draft: &mut Draft) {
    let now = ctx.snapshot.observed_at;
    for node in &ctx.picture.nodes {
        let Some(before) = ctx.snapshot.history.conditions.get(node.id) else {
            continue;
        };
        let stopped_long = before.state == STOPPED && now - before.since >= STOP_LIMIT;
        if !stopped_long || node.is_stopped() || node.rds.is_none() {
            continue;
        }
        draft.note(
            FindingKind::StartedByRds,
            Severity::Warning,
            Some(node.id),
            format!(
                "{} was stopped since {} and runs again: RDS starts an instance by itself once it \
                 has been stopped for seven days (RDS-EVENT-0154). It tries to rejoin; if its \
                 donors purged the binary logs it lacks it needs a rebuild. If it should stay \
                 down, stop it again (and again every seven days), or delete it.",
                node.id,
                stamp(before.since)
            ),
        );
    }
}

/// When RDS starts a stopped instance by itself: seven days after the stop (`since`: the first
/// observation that saw it stopped, so RDS may do it a little earlier).
pub(crate) fn auto_start(since: DateTime<Utc>) -> DateTime<Utc> {
    since + STOP_LIMIT
}

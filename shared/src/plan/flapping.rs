//! A member that keeps leaving the group is flapping, and bringing it back again and again only
//! hides why (a bad network path, an overloaded instance, a fault that returns). As
//! orchestrator's anti-flapping does, after `flap_limit` departures within `flap_window_secs`
//! grkeeper stops bringing the member back by itself (rejoin, reboot) and says so with the
//! history, until the window has passed since the departures that count, or a person approves
//! (`grkeeper approve rejoin`). The departures are the planner's input like the rest of the
//! past ([`History::departures`]); the keeper records them with [`record`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::snapshot::Snapshot;

use super::conditions::label;
use super::draft::{Ctx, Draft};
use super::guards::{Block, block, stamp, window};
use super::{ActionKind, Condition, FindingKind, Guard, History, Policy, Severity};

/// Departures kept per member: enough to tell the history, however low the limit.
const KEPT: usize = 20;

/// Whether a condition label means the member is in a group (or joining one).
fn in_group(label: &str) -> bool {
    label.starts_with("ONLINE") || label == "RECOVERING"
}

/// Adds to `history` a departure at `now` for every instance in a group by its previous
/// conditions and out of it by `next`, and forgets the departures older than the policy's
/// flap window.
pub fn record(
    history: &mut History,
    next: &BTreeMap<String, Condition>,
    now: DateTime<Utc>,
    policy: &Policy,
) {
    for (instance, condition) in next {
        let was_in = history
            .conditions
            .get(instance)
            .is_some_and(|before| in_group(&before.state));
        if was_in && !in_group(&condition.state) {
            history
                .departures
                .entry(instance.clone())
                .or_default()
                .push(now);
        }
    }
    let window = window(policy.flap_window_secs);
    for times in history.departures.values_mut() {
        times.retain(|at| now - *at < window);
        let excess = times.len().saturating_sub(KEPT);
        times.drain(..excess);
    }
    history.departures.retain(|_, times| !times.is_empty());
}

/// The member's departures that count now, oldest first, when they make it flapping: those the
/// journal recorded within the window, and this observation's if it has just left (the keeper
/// records that one after planning).
fn flapping(snapshot: &Snapshot, instance: &str) -> Option<Vec<DateTime<Utc>>> {
    let policy = &snapshot.policy;
    let limit = usize::try_from(policy.flap_limit).ok().filter(|l| *l > 0)?;
    let window = window(policy.flap_window_secs);
    let now = snapshot.observed_at;
    let mut recent: Vec<DateTime<Utc>> = snapshot
        .history
        .departures
        .get(instance)
        .into_iter()
        .flatten()
        .filter(|at| now - **at < window)
        .copied()
        .collect();
    if just_left(snapshot, instance) {
        recent.push(now);
    }
    (recent.len() >= limit).then_some(recent)
}

/// In a group by the last conditions the journal kept, and out of it in this observation.
fn just_left(snapshot: &Snapshot, instance: &str) -> bool {
    let was_in = snapshot
        .history
        .conditions
        .get(instance)
        .is_some_and(|before| in_group(&before.state));
    was_in
        && snapshot
            .instances
            .iter()
            .find(|i| i.id == instance)
            .is_some_and(|i| !in_group(&label(i, snapshot.policy.applier_queue_limit)))
}

/// A person's approval to bring the member back anyway, if one stands.
fn approved(snapshot: &Snapshot, instance: &str) -> Option<DateTime<Utc>> {
    snapshot
        .history
        .approvals
        .iter()
        .filter(|a| a.action == ActionKind::Rejoin && a.expires > snapshot.observed_at)
        .filter(|a| a.instance.as_deref().is_none_or(|i| i == instance))
        .map(|a| a.expires)
        .max()
}

/// When bringing it back resumes by itself: once fewer than the limit of its departures are
/// within the window.
fn resumes(snapshot: &Snapshot, recent: &[DateTime<Utc>]) -> String {
    let limit = usize::try_from(snapshot.policy.flap_limit).unwrap_or(usize::MAX);
    recent
        .get(recent.len().saturating_sub(limit))
        .and_then(|at| at.checked_add_signed(window(snapshot.policy.flap_window_secs)))
        .map_or_else(|| "the end of the window".to_owned(), stamp)
}

/// The guard: no rejoin or reboot of a flapping member without an approval.
pub(crate) fn check(snapshot: &Snapshot, kind: ActionKind, instance: &str) -> Result<(), Block> {
    if !matches!(kind, ActionKind::Rejoin | ActionKind::Reboot) {
        return Ok(());
    }
    let Some(recent) = flapping(snapshot, instance) else {
        return Ok(());
    };
    if approved(snapshot, instance).is_some() {
        return Ok(());
    }
    Err(block(
        Guard::Flapping,
        format!(
            "{instance} left the group {} times in the last {}s; automatic repair resumes at {} \
             or after `grkeeper approve rejoin --cluster {} --instance {instance}`",
            recent.len(),
            snapshot.policy.flap_window_secs,
            resumes(snapshot, &recent),
            snapshot.cluster
        ),
    ))
}

/// A finding for each flapping member, with its history.
pub(crate) fn note(ctx: &Ctx<'_>, draft: &mut Draft) {
    let snapshot = ctx.snapshot;
    for node in &ctx.picture.nodes {
        let Some(recent) = flapping(snapshot, node.id) else {
            continue;
        };
        let history: Vec<String> = recent.iter().map(|at| stamp(*at)).collect();
        let seen = format!(
            "{} left the group {} times in the last {}s (at {})",
            node.id,
            recent.len(),
            snapshot.policy.flap_window_secs,
            history.join(", ")
        );
        match approved(snapshot, node.id) {
            Some(until) => draft.note(
                FindingKind::Flapping,
                Severity::Info,
                Some(node.id),
                format!(
                    "{seen}; an approval until {} lets grkeeper bring it back anyway.",
                    stamp(until)
                ),
            ),
            None => draft.note(
                FindingKind::Flapping,
                Severity::Warning,
                Some(node.id),
                format!(
                    "{seen}. grkeeper stopped bringing it back automatically: find why it keeps \
                     leaving first (its Repl error log, the network path, its load). Automatic \
                     repair resumes at {}, or earlier after `grkeeper approve rejoin --cluster \
                     {} --instance {}`.",
                    resumes(snapshot, &recent),
                    snapshot.cluster,
                    node.id
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ClusterBuilder, at};
    use crate::plan::{Approval, plan};

    fn condition(state: &str) -> Condition {
        Condition {
            state: state.into(),
            since: at("2026-11-30T11:00:00Z"),
        }
    }

    #[test]
    fn leaving_the_group_is_recorded_and_old_departures_are_forgotten() {
        let mut history = History {
            conditions: BTreeMap::from([
                ("orders-1".to_owned(), condition("ONLINE")),
                ("orders-2".to_owned(), condition("RECOVERING")),
                ("orders-3".to_owned(), condition("OFFLINE")),
            ]),
            departures: BTreeMap::from([("orders-3".to_owned(), vec![at("2026-11-30T10:00:00Z")])]),
            ..History::default()
        };
        let next = BTreeMap::from([
            ("orders-1".to_owned(), condition("UNREACHABLE")),
            ("orders-2".to_owned(), condition("ONLINE")),
            ("orders-3".to_owned(), condition("OFFLINE")),
        ]);
        let now = at("2026-11-30T12:00:00Z");
        record(&mut history, &next, now, &Policy::default());
        assert_eq!(
            history.departures,
            BTreeMap::from([("orders-1".to_owned(), vec![now])]),
            "a departure two hours ago is outside the hour"
        );
    }

    /// The window is half-open: a departure exactly `flap_window_secs` ago is forgotten by
    /// [`record`], as it no longer counts toward flapping.
    #[test]
    fn a_departure_exactly_a_window_ago_is_forgotten() {
        let mut history = History {
            departures: BTreeMap::from([(
                "orders-3".to_owned(),
                vec![at("2026-11-30T11:00:00Z"), at("2026-11-30T11:00:01Z")],
            )]),
            ..History::default()
        };
        let now = at("2026-11-30T12:00:00Z");
        record(&mut history, &BTreeMap::new(), now, &Policy::default());
        assert_eq!(
            history.departures,
            BTreeMap::from([("orders-3".to_owned(), vec![at("2026-11-30T11:00:01Z")])])
        );
    }

    fn flapped(times: &[&str]) -> ClusterBuilder {
        let times: Vec<DateTime<Utc>> = times.iter().map(|t| at(t)).collect();
        ClusterBuilder::healthy(3)
            .gr_stopped("orders-2")
            .history(|h| {
                h.departures.insert("orders-2".into(), times);
            })
    }

    #[test]
    fn a_member_that_left_three_times_within_the_hour_is_not_rejoined_and_the_finding_tells_why() {
        let p = plan(
            &flapped(&[
                "2026-11-30T11:10:00Z",
                "2026-11-30T11:30:00Z",
                "2026-11-30T11:50:00Z",
            ])
            .build(),
        );
        assert_eq!(p.action, None, "{p:#?}");
        assert_eq!(p.refused.len(), 1);
        assert_eq!(p.refused[0].guard, Guard::Flapping);
        assert!(
            p.refused[0]
                .reason
                .contains("resumes at 2026-11-30T12:10:00Z"),
            "{}",
            p.refused[0].reason
        );
        let finding = p
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::Flapping)
            .unwrap();
        assert_eq!(finding.severity, Severity::Warning);
        assert!(
            finding
                .message
                .contains("at 2026-11-30T11:10:00Z, 2026-11-30T11:30:00Z, 2026-11-30T11:50:00Z")
        );
        assert!(
            finding
                .message
                .contains("grkeeper approve rejoin --cluster orders --instance orders-2")
        );
    }

    #[test]
    fn after_the_window_or_with_an_approval_the_member_is_rejoined_again() {
        let old = flapped(&[
            "2026-11-30T10:10:00Z",
            "2026-11-30T11:30:00Z",
            "2026-11-30T11:50:00Z",
        ]);
        let p = plan(&old.build());
        assert_eq!(p.action.map(|a| a.kind), Some(ActionKind::Rejoin));

        let approved = flapped(&[
            "2026-11-30T11:10:00Z",
            "2026-11-30T11:30:00Z",
            "2026-11-30T11:50:00Z",
        ])
        .history(|h| {
            h.approvals.push(Approval {
                action: ActionKind::Rejoin,
                instance: Some("orders-2".into()),
                gives_up: vec![],
                expires: at("2026-11-30T13:00:00Z"),
                by: "dba".into(),
                gtids: None,
            });
        });
        let p = plan(&approved.build());
        assert_eq!(p.action.map(|a| a.kind), Some(ActionKind::Rejoin));
        assert!(
            p.findings
                .iter()
                .all(|f| f.kind != FindingKind::Flapping || f.severity == Severity::Info)
        );
    }

    /// The third departure exactly a window ago no longer counts: the member is rejoined. A
    /// second later it still counts, and the member is left out.
    #[test]
    fn a_departure_counts_until_exactly_a_window_has_passed() {
        let rejoined = |first: &str| {
            plan(&flapped(&[first, "2026-11-30T11:30:00Z", "2026-11-30T11:50:00Z"]).build())
                .action
                .map(|a| a.kind)
        };
        assert_eq!(rejoined("2026-11-30T11:00:00Z"), Some(ActionKind::Rejoin));
        assert_eq!(rejoined("2026-11-30T11:00:01Z"), None);
    }

    /// Only a rejoin approval that has not expired, for this member or any, brings a flapping
    /// member back: not one expiring at this very second, nor an approval of another kind.
    #[test]
    fn only_a_standing_rejoin_approval_brings_a_flapping_member_back() {
        let with = |action: ActionKind, instance: Option<&str>, expires: &str| {
            let p = plan(
                &flapped(&[
                    "2026-11-30T11:10:00Z",
                    "2026-11-30T11:30:00Z",
                    "2026-11-30T11:50:00Z",
                ])
                .history(|h| {
                    h.approvals.push(Approval {
                        action,
                        instance: instance.map(str::to_owned),
                        gives_up: vec![],
                        expires: at(expires),
                        by: "dba".into(),
                        gtids: None,
                    });
                })
                .build(),
            );
            p.action.map(|a| a.kind)
        };
        let rejoin = Some(ActionKind::Rejoin);
        assert_eq!(
            with(ActionKind::Rejoin, None, "2026-11-30T12:00:01Z"),
            rejoin
        );
        assert_eq!(with(ActionKind::Rejoin, None, "2026-11-30T12:00:00Z"), None);
        assert_eq!(
            with(ActionKind::Rejoin, Some("orders-3"), "2026-11-30T13:00:00Z"),
            None
        );
        assert_eq!(
            with(ActionKind::Reboot, Some("orders-2"), "2026-11-30T13:00:00Z"),
            None
        );
        assert_eq!(
            with(ActionKind::Bootstrap, None, "2026-11-30T13:00:00Z"),
            None
        );
    }

    #[test]
    fn the_departure_this_observation_sees_counts_at_once() {
        // Two departures recorded, and orders-2 ONLINE at the last tick but out now: the third.
        let p = plan(
            &flapped(&["2026-11-30T11:10:00Z", "2026-11-30T11:30:00Z"])
                .condition_since("orders-2", "ONLINE", "2026-11-30T11:40:00Z")
                .build(),
        );
        assert_eq!(p.action, None, "{p:#?}");
        assert_eq!(p.refused[0].guard, Guard::Flapping);
        let finding = p
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::Flapping)
            .unwrap();
        assert!(
            finding.message.contains("2026-11-30T12:00:00Z"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn a_limit_of_zero_turns_the_check_off() {
        let p = plan(
            &flapped(&[
                "2026-11-30T11:10:00Z",
                "2026-11-30T11:30:00Z",
                "2026-11-30T11:50:00Z",
            ])
            .policy(|p| p.flap_limit = 0)
            .build(),
        );
        assert_eq!(p.action.map(|a| a.kind), Some(ActionKind::Rejoin));
        assert!(p.findings.iter().all(|f| f.kind != FindingKind::Flapping));
    }
}

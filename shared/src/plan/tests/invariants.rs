//! The safety invariants, each read from the snapshot on its own terms (never through the
//! planner's own picture), so that the planner and the test check each other. `docs/safety.md`
//! names the rule behind each one. `check_all` plans a snapshot and asserts every invariant.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::gtid::GtidSet;
use crate::model::{LastGrCall, MemberReport, MemberState, ViewMember};
use crate::plan::{Action, ActionKind, Mode, Outcome, Plan, plan};
use crate::snapshot::Snapshot;

/// What the invariants read from a snapshot.
struct Reading<'s> {
    snapshot: &'s Snapshot,
    /// Instance id -> what was read of it now.
    read: BTreeMap<&'s str, &'s MemberReport>,
    /// Instance id -> its `server_uuid` as far as known: read now, else last read.
    identity: BTreeMap<&'s str, String>,
    /// Views of read members that are ONLINE with a majority by MySQL Shell's rule.
    quorum_views: Vec<&'s [ViewMember]>,
}

impl<'s> Reading<'s> {
    fn new(snapshot: &'s Snapshot) -> Self {
        let mut reading = Reading {
            snapshot,
            read: BTreeMap::new(),
            identity: BTreeMap::new(),
            quorum_views: Vec::new(),
        };
        for instance in &snapshot.instances {
            let id = instance.id.as_str();
            if let Some(seen) = snapshot.history.last_seen.get(id) {
                reading
                    .identity
                    .insert(id, seen.server_uuid.to_ascii_lowercase());
            }
            let Some(report) = instance.mysql.seen() else {
                continue;
            };
            reading.read.insert(id, report);
            reading
                .identity
                .insert(id, report.server_uuid.to_ascii_lowercase());
            let mine = |r: &&ViewMember| r.member_id == report.server_uuid;
            let counted: Vec<&ViewMember> = report
                .view
                .iter()
                .filter(|r| mine(r) || r.state != MemberState::Error)
                .collect();
            let reachable = counted
                .iter()
                .filter(|r| r.state != MemberState::Unreachable)
                .count();
            let online = report
                .view
                .iter()
                .find(mine)
                .is_some_and(|r| r.state == MemberState::Online);
            if online && reachable * 2 > counted.len() {
                reading.quorum_views.push(&report.view);
            }
        }
        reading
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.snapshot.observed_at
    }

    fn own_state(&self, id: &str) -> Option<MemberState> {
        let report = self.read.get(id)?;
        Some(
            report
                .view
                .iter()
                .find(|r| r.member_id == report.server_uuid)
                .map_or(MemberState::Offline, |r| r.state),
        )
    }

    fn live(state: MemberState) -> bool {
        matches!(state, MemberState::Online | MemberState::Recovering)
    }

    fn rds_status(&self, id: &str) -> Option<&'s str> {
        let instance = self.snapshot.instances.iter().find(|i| i.id == id)?;
        Some(instance.rds.seen()?.status.0.as_str())
    }

    /// RDS reports a status in which MySQL cannot run.
    fn down(&self, id: &str) -> bool {
        self.rds_status(id).is_some_and(|s| {
            [
                "stopped",
                "failed",
                "storage-full",
                "incompatible-parameters",
            ]
            .contains(&s)
        })
    }

    fn is_known(&self, member_id: &str) -> bool {
        self.identity
            .values()
            .any(|u| u.eq_ignore_ascii_case(member_id))
    }

    /// Every row of every read view.
    fn rows(&self) -> impl Iterator<Item = &'s ViewMember> + '_ {
        self.read.values().flat_map(|r| r.view.iter())
    }

    /// Transactions a read member holds: applied, or certified and queued.
    fn holds(&self, id: &str) -> GtidSet {
        self.read.get(id).map_or_else(GtidSet::new, |r| {
            r.channels
                .iter()
                .filter(|c| c.channel == "group_replication_applier")
                .fold(r.gtid_executed.clone(), |all, c| {
                    all.union(&c.received_transaction_set)
                })
        })
    }

    /// An unexpired bootstrap approval that covers `seed` (any seed when `None`) and gives up
    /// `what`.
    fn gives_up(&self, seed: Option<&str>, what: &str) -> bool {
        self.snapshot.history.approvals.iter().any(|a| {
            a.action == ActionKind::Bootstrap
                && a.expires > self.now()
                && match (a.instance.as_deref(), seed) {
                    (Some(only), Some(seed)) => only == seed,
                    _ => true,
                }
                && a.gives_up.iter().any(|g| g.eq_ignore_ascii_case(what))
        })
    }
}

/// A bootstrap, or a step toward one: an expel while no read member holds quorum (fencing a hung
/// minority, readying the seed, clearing a stale view). Returns the seed when known.
fn rebootstrapping<'p>(reading: &Reading<'_>, action: &'p Action) -> Option<Option<&'p str>> {
    match action.kind {
        ActionKind::Bootstrap => Some(Some(action.instance.as_str())),
        ActionKind::Expel if reading.quorum_views.is_empty() => Some(None),
        _ => None,
    }
}

/// Plans `snapshot` and checks every invariant.
pub(super) fn check_all(snapshot: &Snapshot) -> Result<(), TestCaseError> {
    let plan = plan(snapshot);
    let reading = Reading::new(snapshot);
    deterministic_and_in_any_history_order(snapshot, &plan)?;
    no_bootstrap_while_a_view_shows_a_live_member(&reading, &plan)?;
    no_rebootstrap_with_transactions_unknown(&reading, &plan)?;
    no_bootstrap_lacking_a_remembered_transaction(&reading, &plan)?;
    no_expel_or_bootstrap_beside_strangers(&reading, &plan)?;
    no_action_while_two_groups_are_live(&reading, &plan)?;
    no_second_bootstrap_before_the_first_is_proven_dead(&reading, &plan)?;
    no_action_leaves_fewer_online_members_than_a_majority(&reading, &plan)?;
    every_refusal_and_action_says_why(&plan)?;
    paused_or_observing_clusters_take_no_action(&reading, &plan)?;
    actions_target_available_inventory_instances_only(&reading, &plan)?;
    no_member_with_errant_gtids_is_rejoined(&reading, &plan)?;
    no_action_on_an_instance_sharing_its_server_uuid(&reading, &plan)?;
    bootstrap_starts_from_the_lowest_version_holding_everything(&reading, &plan)?;
    no_membership_change_while_a_member_is_unreachable(&reading, &plan)?;
    no_expel_of_a_recovering_member_still_making_progress(&reading, &plan)?;
    no_reboot_cuts_across_an_auto_rejoin(&reading, &plan)?;
    a_stop_by_a_person_is_respected(&reading, &plan)?;
    Ok(())
}

fn deterministic_and_in_any_history_order(
    snapshot: &Snapshot,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        plan,
        &super::plan(snapshot),
        "planning is not deterministic"
    );
    // At most one action: `Plan::action` is an `Option`.
    // The journal's order is not trusted: the same actions in another order plan the same.
    let mut reordered = snapshot.clone();
    reordered.history.actions.reverse();
    prop_assert_eq!(
        plan,
        &super::plan(&reordered),
        "the plan depends on the order of history.actions"
    );
    Ok(())
}

fn no_bootstrap_while_a_view_shows_a_live_member(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    if reading.rows().any(|r| Reading::live(r.state)) {
        prop_assert!(
            plan.action.iter().all(|a| a.kind != ActionKind::Bootstrap),
            "bootstrap while a view shows a live member: {:#?}",
            plan
        );
    }
    Ok(())
}

/// Class 1: every member's transactions read now, or given up by an approval (and down).
fn no_rebootstrap_with_transactions_unknown(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        let Some(seed) = rebootstrapping(reading, action) else {
            continue;
        };
        for instance in &reading.snapshot.instances {
            let id = instance.id.as_str();
            if reading.read.contains_key(id) {
                continue;
            }
            prop_assert!(
                reading.down(id) && reading.gives_up(seed, id),
                "{:?} of {} with the transactions of {} unknown: {:#?}",
                action.kind,
                action.instance,
                id,
                plan
            );
        }
    }
    Ok(())
}

/// The seed holds every transaction of every member, read now or remembered by the journal
/// (its last reading, and what earlier readings held before a restore replaced its data), unless
/// an approval gives that member up: a member hidden behind another's `server_uuid`, or whose
/// data was overwritten, may have held the only copy.
fn no_bootstrap_lacking_a_remembered_transaction(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan
        .action
        .iter()
        .filter(|a| a.kind == ActionKind::Bootstrap)
    {
        let seed = action.instance.as_str();
        let seed_holds = reading.holds(seed);
        for instance in &reading.snapshot.instances {
            let id = instance.id.as_str();
            if reading.gives_up(Some(seed), id) {
                continue;
            }
            let mut remembered = reading.holds(id);
            if let Some(seen) = reading.snapshot.history.last_seen.get(id) {
                remembered = remembered
                    .union(&seen.gtid_executed)
                    .union(&seen.received)
                    .union(&seen.lost);
            }
            prop_assert!(
                remembered.is_subset(&seed_holds),
                "bootstrap of {} lacking {} of {}: {:#?}",
                seed,
                remembered.difference(&seed_holds),
                id,
                plan
            );
        }
    }
    Ok(())
}

/// Class 2: no expel or bootstrap while a view lists a member outside the inventory; no
/// re-bootstrap while one is remembered and not given up.
fn no_expel_or_bootstrap_beside_strangers(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let listed: Vec<&ViewMember> = reading
        .rows()
        .filter(|r| !reading.is_known(&r.member_id))
        .collect();
    for action in plan.action.iter() {
        if matches!(action.kind, ActionKind::Expel | ActionKind::Bootstrap) {
            prop_assert!(
                listed.is_empty(),
                "{:?} of {} while a view lists {}: {:#?}",
                action.kind,
                action.instance,
                listed[0].member_id,
                plan
            );
        }
        let Some(seed) = rebootstrapping(reading, action) else {
            continue;
        };
        for stranger in &reading.snapshot.history.strangers {
            let id = stranger.member_id.as_str();
            prop_assert!(
                reading.is_known(id) || reading.gives_up(seed, id),
                "{:?} of {} while {} is remembered: {:#?}",
                action.kind,
                action.instance,
                id,
                plan
            );
        }
    }
    Ok(())
}

/// Class 3: two live members whose views share no member are two groups: nothing is done.
fn no_action_while_two_groups_are_live(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let views: Vec<BTreeSet<String>> = reading
        .read
        .keys()
        .filter(|id| reading.own_state(id).is_some_and(Reading::live))
        .map(|id| {
            reading.read[id]
                .view
                .iter()
                .map(|r| r.member_id.to_ascii_lowercase())
                .collect()
        })
        .collect();
    let apart = views
        .iter()
        .enumerate()
        .any(|(i, a)| views[i + 1..].iter().any(|b| a.is_disjoint(b)));
    if apart {
        prop_assert!(
            plan.action.is_none(),
            "acted while two groups are live: {:#?}",
            plan
        );
    }
    Ok(())
}

/// Class 4: a journaled bootstrap blocks the next until an observation taken after it (allowing
/// for clock skew) shows its member out of any group.
fn no_second_bootstrap_before_the_first_is_proven_dead(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let skew = chrono::Duration::seconds(
        i64::try_from(reading.snapshot.policy.clock_skew_secs).unwrap_or(i64::MAX),
    );
    for action in plan.action.iter() {
        if rebootstrapping(reading, action).is_none() {
            continue;
        }
        for earlier in reading
            .snapshot
            .history
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::Bootstrap && a.outcome != Outcome::NotAttempted)
        {
            let id = earlier.instance.as_str();
            let after = reading.now() - skew > earlier.at;
            let out = match reading.own_state(id) {
                Some(state) => !Reading::live(state),
                None => reading.down(id),
            };
            prop_assert!(
                after && out,
                "{:?} of {} after the bootstrap of {} at {}: {:#?}",
                action.kind,
                action.instance,
                id,
                earlier.at,
                plan
            );
        }
    }
    Ok(())
}

/// Class 5 and its kin: an expel or a reboot leaves every quorum view that lists its target its
/// quorum, a majority ONLINE and the tolerance floor, whatever the target says of itself.
fn no_action_leaves_fewer_online_members_than_a_majority(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let majority = reading.snapshot.instances.len() / 2 + 1;
    let floor = reading.snapshot.policy.fault_tolerance_floor as usize;
    // A rejoin or a bootstrap only adds members (on a running member both fail with 3093);
    // an expel or a reboot takes its target out.
    let removing = plan
        .action
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Expel | ActionKind::Reboot));
    for action in removing {
        // The rows that may be the target: its uuid when known; when not, any row no known
        // member accounts for.
        let target = reading.identity.get(action.instance.as_str());
        let is_target = |row: &ViewMember| match target {
            Some(uuid) => row.member_id.eq_ignore_ascii_case(uuid),
            None => !reading.is_known(&row.member_id),
        };
        for view in &reading.quorum_views {
            for row in view.iter().filter(|r| is_target(r)) {
                let online = view
                    .iter()
                    .filter(|r| r.state == MemberState::Online)
                    .count();
                let counted = view
                    .iter()
                    .filter(|r| r.state != MemberState::Error)
                    .count();
                let reachable = view
                    .iter()
                    .filter(|r| !matches!(r.state, MemberState::Error | MemberState::Unreachable))
                    .count();
                if row.state == MemberState::Online || action.kind == ActionKind::Expel {
                    let after = online - usize::from(row.state == MemberState::Online);
                    prop_assert!(
                        after >= majority,
                        "{} leaves {} ONLINE: {:#?}",
                        action.instance,
                        after,
                        plan
                    );
                    if row.state == MemberState::Online {
                        prop_assert!(after.saturating_sub(1) / 2 >= floor, "{:#?}", plan);
                    }
                }
                if row.state != MemberState::Error {
                    let reachable_after =
                        reachable - usize::from(row.state != MemberState::Unreachable);
                    prop_assert!(
                        reachable_after * 2 > counted - 1,
                        "{} breaks the view's quorum: {:#?}",
                        action.instance,
                        plan
                    );
                }
            }
        }
    }
    Ok(())
}

fn every_refusal_and_action_says_why(plan: &Plan) -> Result<(), TestCaseError> {
    prop_assert!(plan.refused.iter().all(|r| !r.reason.trim().is_empty()));
    prop_assert!(plan.action.iter().all(|a| !a.reason.trim().is_empty()));
    prop_assert!(plan.findings.iter().all(|f| !f.message.trim().is_empty()));
    Ok(())
}

fn paused_or_observing_clusters_take_no_action(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let snapshot = reading.snapshot;
    let paused = snapshot
        .history
        .paused
        .as_ref()
        .is_some_and(|p| p.until > snapshot.observed_at);
    if paused || snapshot.policy.mode == Mode::Observe {
        prop_assert!(plan.action.is_none(), "{:#?}", plan);
    }
    for action in plan.action.iter() {
        let paused = snapshot
            .history
            .paused_instances
            .get(&action.instance)
            .is_some_and(|p| p.until > snapshot.observed_at);
        prop_assert!(!paused, "{:#?}", plan);
    }
    Ok(())
}

fn actions_target_available_inventory_instances_only(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        prop_assert_eq!(
            reading.rds_status(&action.instance),
            Some("available"),
            "{:#?}",
            plan
        );
    }
    Ok(())
}

fn no_member_with_errant_gtids_is_rejoined(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter().filter(|a| a.kind == ActionKind::Rejoin) {
        // What the live group's ONLINE members hold, read from the members themselves.
        let online: BTreeSet<&String> = reading
            .quorum_views
            .iter()
            .copied()
            .flatten()
            .filter(|r| r.state == MemberState::Online)
            .map(|r| &r.member_id)
            .collect();
        let group = reading
            .read
            .iter()
            .filter(|(_, r)| online.contains(&r.server_uuid))
            .fold(GtidSet::new(), |acc, (id, _)| acc.union(&reading.holds(id)));
        prop_assert!(
            reading.holds(&action.instance).is_subset(&group),
            "{:#?}",
            plan
        );
    }
    Ok(())
}

fn no_action_on_an_instance_sharing_its_server_uuid(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter() {
        let Some(mine) = reading.identity.get(action.instance.as_str()) else {
            continue;
        };
        let twins = reading
            .identity
            .iter()
            .filter(|(id, uuid)| **id != action.instance && *uuid == mine)
            .count();
        prop_assert_eq!(twins, 0, "acted on a restored copy: {:#?}", plan);
    }
    Ok(())
}

/// The version a join compares, every 8.4.x counted as one; unparsed versions last.
fn version_key(text: &str) -> (u32, u32, u32) {
    let parts: Vec<u32> = text
        .split('.')
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(u32::MAX)
        })
        .collect();
    match parts.as_slice() {
        [8, 4, _] => (8, 4, 0),
        [a, b, c] => (*a, *b, *c),
        _ => (u32::MAX, u32::MAX, u32::MAX),
    }
}

fn bootstrap_starts_from_the_lowest_version_holding_everything(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan
        .action
        .iter()
        .filter(|a| a.kind == ActionKind::Bootstrap)
    {
        let id = action.instance.as_str();
        let Some(seed) = reading.read.get(id) else {
            return Err(TestCaseError::fail(format!("bootstrap of unread {id}")));
        };
        prop_assert_eq!(
            reading.own_state(id),
            Some(MemberState::Offline),
            "{:#?}",
            plan
        );
        prop_assert!(seed.settings.group_name.is_some(), "{:#?}", plan);
        let everything = reading.read.keys().fold(GtidSet::new(), |acc, other| {
            acc.union(&reading.holds(other))
        });
        prop_assert!(everything.is_subset(&reading.holds(id)), "{:#?}", plan);
        let lower = reading.read.iter().find(|(other, report)| {
            everything.is_subset(&reading.holds(other))
                && version_key(&report.version) < version_key(&seed.version)
        });
        prop_assert!(
            lower.is_none(),
            "bootstrap of {} ({}) while {:?} holds everything too: {:#?}",
            id,
            seed.version,
            lower.map(|(o, r)| (o, &r.version)),
            plan
        );
    }
    Ok(())
}

fn no_membership_change_while_a_member_is_unreachable(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan
        .action
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Rejoin | ActionKind::Expel))
    {
        let target = reading.identity.get(action.instance.as_str());
        for row in reading
            .quorum_views
            .iter()
            .copied()
            .flatten()
            .filter(|r| r.state == MemberState::Unreachable)
        {
            prop_assert!(
                target.is_some_and(|t| row.member_id.eq_ignore_ascii_case(t)),
                "{:?} of {} while {} is UNREACHABLE: {:#?}",
                action.kind,
                action.instance,
                row.member_id,
                plan
            );
        }
    }
    Ok(())
}

fn no_expel_of_a_recovering_member_still_making_progress(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    if reading.quorum_views.is_empty() {
        return Ok(());
    }
    let deadline = reading.snapshot.policy.recovering_deadline_secs;
    for action in plan.action.iter().filter(|a| a.kind == ActionKind::Expel) {
        let id = action.instance.as_str();
        if reading.own_state(id) != Some(MemberState::Recovering) {
            continue;
        }
        let report = reading.read[id];
        // Without an earlier reading of this incarnation, the deadline alone decides.
        let Some(seen) = reading
            .snapshot
            .history
            .last_seen
            .get(id)
            .filter(|s| s.server_uuid.eq_ignore_ascii_case(&report.server_uuid))
        else {
            continue;
        };
        let stalled = seen.gtid_executed == report.gtid_executed
            && (reading.now() - seen.executed_since).num_seconds()
                > i64::try_from(deadline).unwrap_or(i64::MAX);
        prop_assert!(stalled, "expelled {} while it progresses: {:#?}", id, plan);
    }
    Ok(())
}

fn no_reboot_cuts_across_an_auto_rejoin(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    for action in plan.action.iter().filter(|a| a.kind == ActionKind::Reboot) {
        let Some(report) = reading.read.get(action.instance.as_str()) else {
            continue;
        };
        let newest = report
            .errors
            .iter()
            .filter(|e| e.data.contains("uto-rejoin procedure attempt"))
            .filter_map(|e| {
                let at = chrono::NaiveDateTime::parse_from_str(&e.logged, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()?
                    .and_utc();
                Some((at, e.data.as_str()))
            })
            .max_by_key(|(at, _)| *at);
        let Some((at, data)) = newest else { continue };
        let numbers: Vec<u64> = data
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        let running = match numbers.as_slice() {
            [attempt, tries, ..] => {
                !data.contains("finished") || (data.contains("not able") && attempt < tries)
            }
            _ => false,
        };
        let fresh = reading.now() - at <= chrono::Duration::minutes(10);
        prop_assert!(
            !(running && fresh),
            "rebooted {} during its auto-rejoin: {:#?}",
            action.instance,
            plan
        );
    }
    Ok(())
}

fn a_stop_by_a_person_is_respected(
    reading: &Reading<'_>,
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let snapshot = reading.snapshot;
    let Some(user) = snapshot.db_user.as_deref() else {
        return Ok(());
    };
    if snapshot.policy.rejoin_after_operator_stop {
        return Ok(());
    }
    for action in plan
        .action
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Rejoin | ActionKind::Bootstrap))
    {
        let Some(report) = reading.read.get(action.instance.as_str()) else {
            continue;
        };
        if let LastGrCall::Call(call) = &report.last_gr_call {
            let by = call.by.split('@').next().unwrap_or_default();
            prop_assert!(
                !call.action.starts_with("stop") || by == user,
                "{:?} of {} that {} stopped: {:#?}",
                action.kind,
                action.instance,
                call.by,
                plan
            );
        }
    }
    Ok(())
}

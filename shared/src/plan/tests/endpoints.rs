//! The DNS names' rules (`docs/endpoints.md`), read from the snapshot on their own terms, over
//! random snapshots of the planner's generators with an endpoint policy and a remembered active
//! member added at random, and in situations spelled out.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::config;
use super::generate::{after_split_brain, joiners, lagging, scenario, second_group};
use crate::fixtures::{ClusterBuilder, at};
use crate::model::{MemberReport, MemberState};
use crate::plan::conditions::own_applier_queue;
use crate::plan::endpoints::Records;
use crate::plan::{ActiveMember, ClusterStatus, EndpointPolicy, FindingKind, Plan, Severity, plan};
use crate::snapshot::Snapshot;

/// The member is where a name may point: read now, with an endpoint address, `ONLINE` with a
/// majority in its own view, listed `ONLINE` by every member that holds a majority and lists
/// it, and writable.
fn may_serve<'s>(snapshot: &'s Snapshot, id: &str) -> Option<&'s MemberReport> {
    let report = snapshot
        .instances
        .iter()
        .find(|i| i.id == id)?
        .mysql
        .seen()?;
    let listed_online_by_every_majority = snapshot
        .instances
        .iter()
        .filter_map(|i| i.mysql.seen())
        .filter(|r| r.has_quorum())
        .flat_map(|r| &r.view)
        .filter(|row| row.member_id.eq_ignore_ascii_case(&report.server_uuid))
        .all(|row| row.state == MemberState::Online);
    let writable = !report.super_read_only && !report.read_only && !report.offline_mode;
    (report.has_quorum() && listed_online_by_every_majority && writable).then_some(report)
}

fn check(snapshot: &Snapshot) -> Result<Plan, TestCaseError> {
    let policy = snapshot.policy.endpoints.clone().unwrap_or_default();
    let plan = plan(snapshot);
    let Some(records) = &plan.records else {
        return Err(TestCaseError::fail("an endpoint policy and no records"));
    };
    let frozen_status = matches!(
        plan.health.status,
        ClusterStatus::SplitBrain
            | ClusterStatus::NoQuorum
            | ClusterStatus::CompleteOutage
            | ClusterStatus::Empty
    );
    match records {
        Records::Frozen { .. } => {
            prop_assert!(frozen_status, "frozen while {:?}", plan.health.status);
            prop_assert!(
                plan.findings
                    .iter()
                    .any(|f| f.kind == FindingKind::EndpointsFrozen
                        && f.severity == Severity::Critical),
                "frozen without a critical finding"
            );
            prop_assert_eq!(&plan.memory.active, &snapshot.history.active);
        }
        Records::Desired { members, active } => {
            prop_assert!(
                !frozen_status,
                "names changed while {:?}",
                plan.health.status
            );
            // Exactly the members that may serve and are caught up; all that may serve when none
            // is caught up.
            let any_caught_up = snapshot.instances.iter().any(|i| {
                may_serve(snapshot, &i.id).is_some_and(|r| own_applier_queue(r) <= policy.max_queue)
            });
            let mut expected: Vec<&str> = snapshot
                .instances
                .iter()
                .filter(|i| {
                    may_serve(snapshot, &i.id)
                        .is_some_and(|r| own_applier_queue(r) <= policy.max_queue || !any_caught_up)
                })
                .map(|i| i.id.as_str())
                .collect();
            expected.sort_unstable();
            let named: Vec<&str> = members.keys().map(String::as_str).collect();
            prop_assert_eq!(named, expected, "the members name");
            for id in members.keys() {
                let report = may_serve(snapshot, id);
                prop_assert!(report.is_some(), "{id} in the members name may not serve");
                let queue = report.map_or(0, own_applier_queue);
                prop_assert!(
                    queue <= policy.max_queue || !any_caught_up,
                    "{id} lags ({queue}) while others are caught up"
                );
            }
            let remembered = snapshot.history.active.as_ref();
            if let Some(target) = active {
                let kept = remembered.is_some_and(|a| a.instance == target.instance);
                prop_assert!(
                    members.contains_key(&target.instance)
                        || (kept && may_serve(snapshot, &target.instance).is_some()),
                    "the active name points at {} which may not serve",
                    target.instance
                );
            }
            // It moves only when its member may no longer serve.
            if let Some(before) = remembered
                && may_serve(snapshot, &before.instance).is_some()
            {
                prop_assert_eq!(
                    active.as_ref().map(|t| t.instance.as_str()),
                    Some(before.instance.as_str()),
                    "the active name left a member that may still serve"
                );
            }
        }
    }
    // No flapping: the same observation planned again with what this plan remembers changes
    // nothing.
    let mut again = snapshot.clone();
    again.history.active = plan.memory.active.clone();
    let second = super::plan(&again);
    prop_assert_eq!(
        &second.records,
        &plan.records,
        "planned again, the names moved"
    );
    prop_assert_eq!(&second.memory.active, &plan.memory.active);
    Ok(plan)
}

/// `snapshot` with an endpoint policy and, maybe, a remembered active member (maybe one outside
/// the inventory), moved there some time ago.
fn with_names(snapshot: impl Strategy<Value = Snapshot>) -> impl Strategy<Value = Snapshot> {
    (
        snapshot,
        0u64..200,
        prop_oneof![Just(0u64), Just(60), Just(600)],
        proptest::option::of(0usize..10),
        0i64..1200,
    )
        .prop_map(|(mut snapshot, max_queue, hold_down_secs, active, ago)| {
            snapshot.policy.endpoints = Some(EndpointPolicy {
                max_queue,
                hold_down_secs,
            });
            snapshot.history.active = active.map(|i| ActiveMember {
                instance: snapshot
                    .instances
                    .get(i)
                    .map_or_else(|| "gone-1".to_owned(), |inst| inst.id.clone()),
                since: snapshot.observed_at - chrono::Duration::seconds(ago),
            });
            snapshot
        })
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn random_clusters_keep_the_names_rules(snapshot in with_names(scenario())) {
        check(&snapshot)?;
    }

    #[test]
    fn second_groups_keep_the_names_rules(snapshot in with_names(second_group())) {
        check(&snapshot)?;
    }

    #[test]
    fn lagging_members_keep_the_names_rules(snapshot in with_names(lagging())) {
        check(&snapshot)?;
    }

    #[test]
    fn read_only_joiners_keep_the_names_rules(snapshot in with_names(joiners())) {
        check(&snapshot)?;
    }

    #[test]
    fn groups_seen_apart_keep_the_names_rules(snapshot in with_names(after_split_brain())) {
        check(&snapshot)?;
    }
}

fn names(builder: ClusterBuilder, active: Option<&str>) -> Snapshot {
    builder
        .policy(|p| p.endpoints = Some(EndpointPolicy::default()))
        .history(|h| {
            h.active = active.map(|id| ActiveMember {
                instance: id.to_owned(),
                since: at("2026-11-30T11:00:00Z"),
            })
        })
        .build()
}

fn desired(plan: &Plan) -> (Vec<&str>, Option<&str>) {
    match &plan.records {
        Some(Records::Desired { members, active }) => (
            members.keys().map(String::as_str).collect(),
            active.as_ref().map(|t| t.instance.as_str()),
        ),
        other => panic!("not desired records: {other:#?}"),
    }
}

#[test]
fn a_healthy_cluster_names_every_member_and_keeps_its_active_one() {
    let plan = plan(&names(ClusterBuilder::healthy(3), Some("orders-2")));
    assert_eq!(
        desired(&plan),
        (vec!["orders-1", "orders-2", "orders-3"], Some("orders-2"))
    );
}

#[test]
fn the_first_active_member_is_the_one_with_the_smallest_queue() {
    let plan = plan(&names(
        ClusterBuilder::healthy(3)
            .applier_queue("orders-1", 40)
            .applier_queue("orders-2", 7)
            .applier_queue("orders-3", 9),
        None,
    ));
    assert_eq!(desired(&plan).1, Some("orders-2"));
    assert_eq!(
        plan.memory.active.map(|a| a.instance).as_deref(),
        Some("orders-2")
    );
}

#[test]
fn members_out_lagging_or_read_only_leave_the_members_name() {
    let plan = plan(&names(
        ClusterBuilder::healthy(5)
            .crashed("orders-2")
            .offline_mode("orders-3")
            .applier_queue("orders-4", 5000)
            .super_read_only("orders-5", true),
        Some("orders-1"),
    ));
    assert_eq!(desired(&plan), (vec!["orders-1"], Some("orders-1")));
}

#[test]
fn when_every_member_lags_the_members_name_keeps_them_all() {
    let plan = plan(&names(
        ClusterBuilder::healthy(3)
            .applier_queue("orders-1", 5000)
            .applier_queue("orders-2", 3000)
            .applier_queue("orders-3", 4000),
        None,
    ));
    assert_eq!(
        desired(&plan),
        (vec!["orders-1", "orders-2", "orders-3"], Some("orders-2"))
    );
}

#[test]
fn the_active_name_moves_once_when_its_member_is_lost_and_not_back() {
    let lost = plan(&names(
        ClusterBuilder::healthy(3)
            .crashed("orders-1")
            .applier_queue("orders-3", 3),
        Some("orders-1"),
    ));
    assert_eq!(
        desired(&lost),
        (vec!["orders-2", "orders-3"], Some("orders-2"))
    );
    let moved = lost.memory.active.clone();
    let back = plan(&names(ClusterBuilder::healthy(3), None).clone_with_active(moved));
    assert_eq!(desired(&back).1, Some("orders-2"));
}

#[test]
fn the_active_name_prefers_a_member_settled_for_the_hold_down_to_one_that_just_came_back() {
    let plan = plan(&names(
        ClusterBuilder::healthy(3)
            .crashed("orders-1")
            .applier_queue("orders-3", 50)
            .condition_since("orders-2", "ONLINE", "2026-11-30T11:59:50Z")
            .condition_since("orders-3", "ONLINE", "2026-11-30T11:00:00Z"),
        Some("orders-1"),
    ));
    assert_eq!(desired(&plan).1, Some("orders-3"), "{plan:#?}");
}

#[test]
fn with_no_member_to_take_it_the_active_name_stays_and_a_warning_says_so() {
    let snapshot = names(
        ClusterBuilder::healthy(3)
            .crashed("orders-1")
            .super_read_only("orders-2", true)
            .super_read_only("orders-3", true),
        Some("orders-1"),
    );
    let plan = plan(&snapshot);
    assert_eq!(desired(&plan), (vec![], None), "{plan:#?}");
    assert_eq!(plan.memory.active, snapshot.history.active);
    assert!(
        plan.findings
            .iter()
            .any(|f| f.kind == FindingKind::ActiveHeld
                && f.severity == Severity::Warning
                && f.instance.as_deref() == Some("orders-1"))
    );
}

#[test]
fn an_empty_inventory_freezes_the_names_rather_than_empty_them() {
    let mut snapshot = names(ClusterBuilder::healthy(3), Some("orders-1"));
    snapshot.instances.clear();
    let plan = plan(&snapshot);
    assert!(
        matches!(plan.records, Some(Records::Frozen { .. })),
        "{plan:#?}"
    );
    assert_eq!(plan.memory.active, snapshot.history.active);
}

#[test]
fn without_an_endpoint_policy_there_are_no_records_and_the_active_member_is_kept() {
    let mut snapshot = names(
        ClusterBuilder::healthy(3).crashed("orders-1"),
        Some("orders-1"),
    );
    snapshot.policy.endpoints = None;
    let plan = plan(&snapshot);
    assert_eq!(plan.records, None);
    assert_eq!(plan.memory.active, snapshot.history.active);
}

#[test]
fn split_brain_and_lost_quorum_freeze_both_names() {
    for builder in [
        ClusterBuilder::healthy(3).split_brain(&["orders-3"]),
        ClusterBuilder::healthy(4).partition(&["orders-3", "orders-4"]),
    ] {
        let plan = plan(&names(builder, Some("orders-1")));
        assert!(
            matches!(plan.records, Some(Records::Frozen { .. })),
            "{plan:#?}"
        );
        assert!(plan.findings.iter().any(|f| f.kind == FindingKind::EndpointsFrozen
            && f.severity == Severity::Critical));
    }
}

trait WithActive {
    fn clone_with_active(self, active: Option<ActiveMember>) -> Snapshot;
}

impl WithActive for Snapshot {
    fn clone_with_active(mut self, active: Option<ActiveMember>) -> Snapshot {
        self.history.active = active;
        self
    }
}

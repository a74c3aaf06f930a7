//! MySQL 9.7 clusters on one situation each: a member in offline mode answers 9.x's error codes,
//! and a new member's RDS initialization GTIDs block its join until an approved two-way sync.

use crate::fixtures::{ClusterBuilder, GROUP, server_uuid};
use crate::model::{OFFLINE_MODE_ERRORS, Observed};
use crate::plan::{ActionKind, FindingKind, Guard, Outcome, PastAction, Plan, plan};
use crate::snapshot::Snapshot;

fn action(plan: &Plan) -> Option<(ActionKind, &str)> {
    plan.action.as_ref().map(|a| (a.kind, a.instance.as_str()))
}

/// A 9.7 cluster of `n` members.
fn cluster_9_7(n: usize) -> ClusterBuilder {
    (1..=n).fold(ClusterBuilder::healthy(n), |b, i| {
        b.version(&format!("orders-{i}"), "9.7.0")
    })
}

#[test]
fn a_member_refusing_clients_with_any_offline_mode_error_is_rebooted() {
    for code in OFFLINE_MODE_ERRORS {
        let p = plan(&cluster_9_7(3).offline_mode_with("orders-2", code).build());
        assert_eq!(
            action(&p),
            Some((ActionKind::Reboot, "orders-2")),
            "{code}: {p:#?}"
        );
        assert!(
            p.findings
                .iter()
                .any(|f| f.kind == FindingKind::OfflineMode),
            "{code}: {p:#?}"
        );
    }
    // 9.x tells why: Group Replication's exit action is the reason.
    let p = plan(&cluster_9_7(3).offline_mode("orders-3").build());
    let finding = p
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::OfflineMode);
    assert!(
        finding.is_some_and(|f| f.message.contains("(GR) leave group on failure")),
        "{p:#?}"
    );
}

/// Three 9.7 members set up by AWS's procedure (two initialization GTIDs each, placeholders
/// everywhere), and a new 9.7 member orders-4 with three of its own, never joined.
fn new_member() -> ClusterBuilder {
    cluster_9_7(4)
        .initialization_gtids_synced(2)
        .new_member_with_initialization_gtids("orders-4", 3)
}

fn guards(plan: &Plan) -> Vec<(ActionKind, &str, Guard)> {
    plan.refused
        .iter()
        .map(|r| (r.action, r.instance.as_str(), r.guard))
        .collect()
}

/// Creates the planned placeholders on their instance and journals the step as verified, as
/// the keeper would; the next observation is taken a minute later.
fn take(snapshot: &mut Snapshot, plan: &Plan) {
    let action = plan.action.as_ref().expect("an action");
    let created = action.placeholders.as_ref().expect("placeholders").gtids();
    let instance = snapshot
        .instances
        .iter_mut()
        .find(|i| i.id == action.instance)
        .expect("target");
    if let Observed::Seen(report) = &mut instance.mysql {
        report.gtid_executed = report.gtid_executed.union(&created);
    }
    snapshot.history.actions.push(PastAction {
        kind: action.kind,
        instance: action.instance.clone(),
        at: snapshot.observed_at,
        outcome: Outcome::Succeeded,
        placeholders: action.placeholders.clone(),
        maintenance: None,
    });
    snapshot.observed_at += chrono::Duration::seconds(60);
}

#[test]
fn a_new_9_7_member_with_initialization_gtids_is_refused_with_the_finding_and_both_ways_calls() {
    let p = plan(&new_member().build());
    assert_eq!(action(&p), None, "{p:#?}");
    assert_eq!(
        guards(&p),
        [(ActionKind::Rejoin, "orders-4", Guard::LocalGtids)],
        "{p:#?}"
    );
    let refusal = &p.refused[0].reason;
    assert!(
        refusal.contains("grkeeper approve sync-gtids --cluster orders --instance orders-4"),
        "{refusal}"
    );
    let finding = p
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::LocalGtids)
        .unwrap_or_else(|| panic!("{p:#?}"));
    assert_eq!(finding.instance.as_deref(), Some("orders-4"));
    let call = |begin: u64, end: u64, i: usize| {
        format!(
            "CALL mysql.rds_group_replication_advance_gtid({begin}, {end}, '{}');",
            server_uuid(i)
        )
    };
    for member in ["orders-1", "orders-2", "orders-3"] {
        let on_member = format!("on {member} (the joiner's): {}", call(1, 3, 4));
        assert!(
            finding.message.contains(&on_member),
            "{on_member}: {}",
            finding.message
        );
    }
    for i in 1..=3 {
        let on_joiner = format!("on orders-4 (orders-{i}'s own): {}", call(1, 2, i));
        assert!(
            finding.message.contains(&on_joiner),
            "{on_joiner}: {}",
            finding.message
        );
    }
    assert!(
        finding
            .message
            .contains("Local GTIDs block the join of orders-4")
    );
    assert!(finding.message.contains("diverges silently"));
    assert!(
        finding
            .message
            .contains(&format!("{}:1-3 missing on orders-1", server_uuid(4)))
    );
}

/// The members' own initialization GTIDs the joiner lacks are created on it by the sync, not
/// sent by a donor: that every member purged them long ago does not make the joiner one to
/// rebuild. Only the approval of the sync is asked for.
#[test]
fn members_own_gtids_purged_everywhere_do_not_make_the_joiner_one_to_rebuild() {
    let own = (1..=3)
        .map(|i| format!("{}:1-2", server_uuid(i)))
        .collect::<Vec<_>>()
        .join(",");
    let mut b = new_member();
    for member in ["orders-1", "orders-2", "orders-3"] {
        b = b.purged(member, &own);
    }
    let p = plan(&b.build());
    assert_eq!(action(&p), None, "{p:#?}");
    assert_eq!(
        guards(&p),
        [(ActionKind::Rejoin, "orders-4", Guard::LocalGtids)],
        "{p:#?}"
    );
}

#[test]
fn on_8_0_and_8_4_the_same_gtids_stay_errant() {
    for version in ["8.0.36", "8.4.3"] {
        let b = (1..=4).fold(new_member(), |b, i| {
            b.version(&format!("orders-{i}"), version)
        });
        let p = plan(&b.build());
        assert_eq!(
            guards(&p),
            [(ActionKind::Rejoin, "orders-4", Guard::ErrantGtids)],
            "{version}: {p:#?}"
        );
        assert!(
            !p.findings.iter().any(|f| f.kind == FindingKind::LocalGtids),
            "{version}: {p:#?}"
        );
    }
}

#[test]
fn an_approved_sync_creates_each_range_once_in_both_directions_then_rejoins() {
    let mut snapshot = new_member()
        .approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice")
        .build();
    let mut steps = Vec::new();
    for _ in 0..10 {
        let p = plan(&snapshot);
        let Some(action) = &p.action else { break };
        steps.push(match &action.placeholders {
            Some(created) => format!("{} {created}", action.instance),
            None => format!("{} {}", action.kind, action.instance),
        });
        if action.kind == ActionKind::Rejoin {
            break;
        }
        take(&mut snapshot, &p);
    }
    let own = |i: usize, n: u64| format!("{}:1-{n}", server_uuid(i));
    assert_eq!(
        steps,
        [
            format!("orders-1 {}", own(4, 3)),
            format!("orders-2 {}", own(4, 3)),
            format!("orders-3 {}", own(4, 3)),
            format!("orders-4 {}", own(1, 2)),
            format!("orders-4 {}", own(2, 2)),
            format!("orders-4 {}", own(3, 2)),
            "rejoin orders-4".to_string(),
        ]
    );
}

#[test]
fn an_approval_of_other_ranges_another_member_or_expired_creates_nothing() {
    let uncovered = plan(
        &new_member()
            .approved_sync(
                "orders-4",
                Some(&format!("{}:1-3", server_uuid(4))),
                "2026-11-30T14:00:00Z",
                "alice",
            )
            .build(),
    );
    assert_eq!(action(&uncovered), None, "{uncovered:#?}");
    assert!(
        uncovered.refused[0]
            .reason
            .contains("the approval covers only"),
        "{uncovered:#?}"
    );
    for other in [
        new_member().approved_sync("orders-3", None, "2026-11-30T14:00:00Z", "alice"),
        new_member().approved_sync("orders-4", None, "2026-11-30T11:00:00Z", "alice"),
    ] {
        let p = plan(&other.build());
        assert_eq!(action(&p), None, "{p:#?}");
    }
}

/// An approval of narrower ranges that expires at the very second of the observation is no
/// longer valid: the refusal asks for an approval, it does not say one covers too little.
#[test]
fn a_narrower_approval_expiring_now_is_not_offered_as_the_one_that_covers_too_little() {
    let narrow = |expires: &str| {
        let p = plan(
            &new_member()
                .approved_sync(
                    "orders-4",
                    Some(&format!("{}:1-3", server_uuid(4))),
                    expires,
                    "alice",
                )
                .build(),
        );
        assert_eq!(action(&p), None, "{p:#?}");
        assert_eq!(
            guards(&p),
            vec![(ActionKind::Rejoin, "orders-4", Guard::LocalGtids)]
        );
        p.refused[0].reason.clone()
    };
    assert!(narrow("2026-11-30T12:00:01Z").contains("the approval covers only"));
    let expired = narrow("2026-11-30T12:00:00Z");
    assert!(!expired.contains("covers only"), "{expired}");
    assert!(
        expired.contains("create them by hand or approve"),
        "{expired}"
    );
}

#[test]
fn gtids_under_the_group_name_are_never_placeholders() {
    // The joiner's "own" server_uuid is the group's name: whatever it holds under it is the
    // group's kind of transaction, errant here, never a placeholder.
    let p = plan(
        &new_member()
            .report("orders-4", |r| {
                r.server_uuid = GROUP.to_string();
                r.gtid_executed = format!("{GROUP}:1-103").parse().unwrap();
            })
            .approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice")
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    assert_eq!(
        guards(&p),
        [(ActionKind::Rejoin, "orders-4", Guard::ErrantGtids)],
        "{p:#?}"
    );
}

#[test]
fn a_joiner_with_errant_gtids_besides_its_own_is_not_synced() {
    let p = plan(
        &new_member()
            .report("orders-4", |r| {
                r.gtid_executed = format!("{GROUP}:1-101,{}:1-3", server_uuid(4))
                    .parse()
                    .unwrap();
            })
            .approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice")
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    assert_eq!(guards(&p)[0].2, Guard::ErrantGtids, "{p:#?}");
}

#[test]
fn an_approved_sync_waits_while_another_rule_blocks() {
    let approved = || new_member().approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice");
    // A member UNREACHABLE: the group cannot take the joiner in, nor can it be compared.
    let unreachable = plan(&approved().crashed("orders-2").build());
    assert_eq!(action(&unreachable), None, "{unreachable:#?}");
    // The joiner paused: nothing is done for it.
    let paused = plan(
        &approved()
            .history(|h| {
                h.paused_instances.insert(
                    "orders-4".into(),
                    crate::plan::Pause {
                        until: crate::fixtures::at("2026-11-30T13:00:00Z"),
                        reason: "maintenance".into(),
                        by: "ops".into(),
                    },
                );
            })
            .build(),
    );
    assert_eq!(action(&paused), None, "{paused:#?}");
    assert!(
        guards(&paused).iter().any(|g| g.2 == Guard::Paused),
        "{paused:#?}"
    );
    // Observe mode.
    let observing = plan(
        &approved()
            .policy(|p| p.mode = crate::plan::Mode::Observe)
            .build(),
    );
    assert_eq!(action(&observing), None);
    // An older joiner the group's version rules refuse.
    let older = plan(&approved().version("orders-4", "8.4.3").build());
    assert_eq!(action(&older), None, "{older:#?}");
    // A joiner that keeps leaving the group: its rejoin is held back, so is preparing it, until
    // a person approves its rejoin too.
    let flapping = || {
        approved().history(|h| {
            let times = [
                "2026-11-30T11:10:00Z",
                "2026-11-30T11:30:00Z",
                "2026-11-30T11:50:00Z",
            ];
            h.departures
                .insert("orders-4".into(), times.map(crate::fixtures::at).to_vec());
        })
    };
    let p = plan(&flapping().build());
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(
        guards(&p)
            .iter()
            .any(|g| g.0 == ActionKind::SyncGtids && g.2 == Guard::Flapping),
        "{p:#?}"
    );
    let vouched = plan(
        &flapping()
            .history(|h| h.approvals.push(rejoin_approved()))
            .build(),
    );
    assert_eq!(action(&vouched).map(|a| a.0), Some(ActionKind::SyncGtids));
    // A joiner remembered live apart from the group in a split brain: no placeholders for a join
    // across it, until a person vouches for the rebuilt member.
    let apart = || {
        approved().history(|h| {
            h.split_brain = Some(crate::plan::SplitBrain {
                first_seen: crate::fixtures::at("2026-11-30T10:00:00Z"),
                last_seen: crate::fixtures::at("2026-11-30T11:00:00Z"),
                sides: vec![(1..=3).map(server_uuid).collect(), vec![server_uuid(4)]],
            });
        })
    };
    let p = plan(&apart().build());
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(
        guards(&p)
            .iter()
            .any(|g| g.0 == ActionKind::SyncGtids && g.2 == Guard::SplitBrain),
        "{p:#?}"
    );
    let vouched = plan(
        &apart()
            .history(|h| h.approvals.push(rejoin_approved()))
            .build(),
    );
    assert_eq!(action(&vouched).map(|a| a.0), Some(ActionKind::SyncGtids));
}

/// A person's `approve rejoin` of orders-4.
fn rejoin_approved() -> crate::plan::Approval {
    crate::plan::Approval {
        action: ActionKind::Rejoin,
        instance: Some("orders-4".into()),
        gives_up: Vec::new(),
        expires: crate::fixtures::at("2026-11-30T14:00:00Z"),
        by: "alice".into(),
        gtids: None,
    }
}

#[test]
fn the_gaps_and_the_safety_rules_both_leave_group_name_gtids_alone() {
    use crate::plan::draft::{Candidate, Ctx, Draft};
    use crate::plan::local_gtids::LocalGtids;
    use crate::plan::{Placeholders, safety};

    // A member whose server_uuid is the group's name: its GTIDs are no gap.
    let snapshot = new_member()
        .report("orders-1", |r| r.server_uuid = GROUP.to_string())
        .build();
    let ctx = Ctx::new(&snapshot);
    let joiner = ctx.picture.node("orders-4").unwrap();
    let local = LocalGtids::of(&ctx, joiner).unwrap();
    assert!(
        local
            .gaps
            .iter()
            .all(|g| !g.gtids.to_string().contains(GROUP)),
        "{local:#?}"
    );
    // And a step under the group's name, however it came to be planned, is refused.
    let snapshot = new_member().build();
    let ctx = Ctx::new(&snapshot);
    let placeholders = Placeholders {
        joiner: "orders-4".into(),
        uuid: GROUP.into(),
        begin: 1,
        end: 3,
    };
    let candidate = Candidate::new(ActionKind::SyncGtids, "orders-1", "test")
        .creating("orders-4", placeholders);
    let refused = safety::check(&ctx, &mut Draft::default(), &candidate).unwrap_err();
    assert_eq!(refused.guard, Guard::ErrantGtids);
}

#[test]
fn an_approved_sync_is_refused_while_no_group_holds_quorum() {
    use crate::plan::draft::{Candidate, Ctx, Draft};
    use crate::plan::{Placeholders, safety};

    // Every member restarted at once: no group at all, so nothing to compare the joiner with.
    let snapshot = new_member()
        .approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice")
        .complete_outage()
        .build();
    let p = plan(&snapshot);
    assert!(
        p.action.as_ref().is_none_or(|a| a.placeholders.is_none()),
        "{p:#?}"
    );
    // The rule itself, whichever playbook would propose the step.
    let ctx = Ctx::new(&snapshot);
    let placeholders = Placeholders {
        joiner: "orders-4".into(),
        uuid: server_uuid(4),
        begin: 1,
        end: 3,
    };
    let candidate = Candidate::new(ActionKind::SyncGtids, "orders-1", "test")
        .creating("orders-4", placeholders);
    let refused = safety::check(&ctx, &mut Draft::default(), &candidate).unwrap_err();
    assert_eq!(refused.guard, Guard::NoQuorum, "{refused:?}");
}

#[test]
fn a_long_range_is_created_in_calls_of_at_most_ten_thousand_placeholders() {
    let mut snapshot = cluster_9_7(4)
        .initialization_gtids_synced(2)
        .new_member_with_initialization_gtids("orders-4", 25_000)
        .approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice")
        .build();
    let first = plan(&snapshot);
    let reason = first.action.as_ref().map(|a| a.reason.as_str());
    // Three calls on each of three members, and one of each member's own on the joiner.
    assert!(
        reason.is_some_and(|r| r.contains("12 call(s) of the sync left")),
        "{first:#?}"
    );
    let mut on_orders_1 = Vec::new();
    for _ in 0..12 {
        let p = plan(&snapshot);
        let Some(action) = &p.action else { break };
        let Some(created) = &action.placeholders else {
            break;
        };
        if action.instance == "orders-1" {
            on_orders_1.push((created.begin, created.end));
        }
        take(&mut snapshot, &p);
    }
    assert_eq!(
        on_orders_1,
        [(1, 10_000), (10_001, 20_000), (20_001, 25_000)]
    );
    assert_eq!(
        action(&plan(&snapshot)),
        Some((ActionKind::Rejoin, "orders-4"))
    );
}

/// A range of exactly one call's worth of placeholders is one call, not two.
#[test]
fn the_calls_left_count_a_full_call_as_one() {
    let p = plan(
        &cluster_9_7(4)
            .initialization_gtids_synced(2)
            .new_member_with_initialization_gtids("orders-4", 20_000)
            .approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice")
            .build(),
    );
    let reason = p.action.as_ref().map(|a| a.reason.as_str());
    // Two calls on each of three members, and one of each member's own on the joiner.
    assert!(
        reason.is_some_and(|r| r.contains("; 9 call(s) of the sync left")),
        "{p:#?}"
    );
}

#[test]
fn an_approved_sync_waits_for_every_online_member_to_be_read() {
    use crate::model::ProbeError;

    use crate::model::MemberState;

    // orders-2 is ONLINE in the group's views (grkeeper read it before, so it knows its
    // server_uuid), but grkeeper cannot connect to it now: its own GTIDs cannot be compared
    // with the joiner's.
    let p = plan(
        &new_member()
            .approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice")
            .last_seen(
                "orders-2",
                "2026-11-30T11:55:00Z",
                &format!("{GROUP}:1-100"),
            )
            .unreadable(
                "orders-2",
                ProbeError::Refused {
                    message: "Connection refused (os error 111)".into(),
                },
                false,
            )
            .also_lists("orders-1", 2, MemberState::Online)
            .also_lists("orders-3", 2, MemberState::Online)
            .build(),
    );
    assert!(
        p.action.as_ref().is_none_or(|a| a.placeholders.is_none()),
        "{p:#?}"
    );
    let sync = p
        .refused
        .iter()
        .find(|r| r.action == ActionKind::SyncGtids)
        .unwrap_or_else(|| panic!("{p:#?}"));
    assert_eq!(sync.guard, Guard::UnobservedMember, "{p:#?}");
    assert!(sync.reason.contains("orders-2"), "{p:#?}");
}

#[test]
fn calls_that_failed_repeatedly_hold_back_only_that_instance() {
    let failed = |instance: &str, at: &str| PastAction {
        kind: ActionKind::SyncGtids,
        instance: instance.into(),
        at: crate::fixtures::at(at),
        outcome: Outcome::Failed,
        placeholders: None,
        maintenance: None,
    };
    let approved = || new_member().approved_sync("orders-4", None, "2026-11-30T14:00:00Z", "alice");
    // Calls on orders-2 failed as often as the budget allows: orders-1's call still goes ahead.
    let elsewhere = plan(
        &approved()
            .history(|h| {
                h.actions.push(failed("orders-2", "2026-11-30T11:30:00Z"));
                h.actions.push(failed("orders-2", "2026-11-30T11:40:00Z"));
            })
            .build(),
    );
    assert_eq!(
        action(&elsewhere),
        Some((ActionKind::SyncGtids, "orders-1")),
        "{elsewhere:#?}"
    );
    // On orders-1 itself: a person looks first.
    let here = plan(
        &approved()
            .history(|h| {
                h.actions.push(failed("orders-1", "2026-11-30T11:30:00Z"));
                h.actions.push(failed("orders-1", "2026-11-30T11:40:00Z"));
            })
            .build(),
    );
    assert_eq!(action(&here), None, "{here:#?}");
    assert!(
        guards(&here)
            .iter()
            .any(|g| g == &(ActionKind::SyncGtids, "orders-1", Guard::RepeatedFailure)),
        "{here:#?}"
    );
}

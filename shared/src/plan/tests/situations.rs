//! The rules of issue #19 on one situation each, where the documented examples
//! (`docs/examples/`, checked in `cli/tests/`) do not already show it: what is refused, and what
//! the refusal tells a person to do. Also the journal's memory across ticks (`last_seen::next`,
//! `strangers::next`, `split_brain::next`): what one tick keeps is what the next one decides on.

use proptest::prelude::*;

use super::config;
use super::generate::{after_split_brain, outage, scenario, set_row};
use crate::fixtures::{ClusterBuilder, GROUP, server_uuid};
use crate::model::{MemberState, ProbeError};
use crate::plan::{
    ActionKind, Approval, ClusterStatus, FindingKind, Guard, Outcome, PastAction, Plan, Severity,
    SplitBrain, last_seen, plan, split_brain, strangers,
};
use crate::snapshot::Snapshot;

fn action(plan: &Plan) -> Option<(ActionKind, &str)> {
    plan.action.as_ref().map(|a| (a.kind, a.instance.as_str()))
}

fn refusal(plan: &Plan, guard: Guard) -> &str {
    plan.refused.iter().find(|r| r.guard == guard).map_or_else(
        || panic!("no {guard:?} refusal: {plan:#?}"),
        |r| r.reason.as_str(),
    )
}

fn finding(plan: &Plan, kind: FindingKind) -> &str {
    plan.findings.iter().find(|f| f.kind == kind).map_or_else(
        || panic!("no {kind:?} finding: {plan:#?}"),
        |f| f.message.as_str(),
    )
}

fn refused() -> ProbeError {
    ProbeError::Refused {
        message: "Connection refused (os error 111)".into(),
    }
}

fn stopped_outage() -> ClusterBuilder {
    ClusterBuilder::healthy(3)
        .complete_outage()
        .rds_status("orders-3", "stopped")
        .unreadable("orders-3", refused(), false)
}

#[test]
fn a_stopped_member_blocks_the_bootstrap_until_it_is_read_or_given_up() {
    let p = plan(
        &stopped_outage()
            .last_seen(
                "orders-3",
                "2026-11-30T11:30:00Z",
                &format!("{GROUP}:1-104"),
            )
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    let reason = refusal(&p, Guard::TransactionsUnknown);
    assert!(
        reason.contains(
            "grkeeper approve bootstrap --cluster orders --instance orders-1 --give-up orders-3"
        ),
        "{reason}"
    );
    let message = finding(&p, FindingKind::TransactionsUnknown);
    assert!(
        message.contains("aws rds start-db-instance --db-instance-identifier orders-3"),
        "{message}"
    );
    // What it held when last read, and what the seed lacks of it.
    assert!(
        message.contains(&format!("orders-1 lacks {GROUP}:101-104")),
        "{message}"
    );

    let given_up = plan(
        &stopped_outage()
            .approved_bootstrap(None, &["orders-3"], "2026-11-30T13:00:00Z", "alice")
            .build(),
    );
    assert_eq!(action(&given_up), Some((ActionKind::Bootstrap, "orders-1")));
    // An approval that gives up another member, or has expired, is no approval for this one.
    for (gives_up, expires) in [
        ("orders-2", "2026-11-30T13:00:00Z"),
        ("orders-3", "2026-11-30T11:00:00Z"),
    ] {
        let p = plan(
            &stopped_outage()
                .approved_bootstrap(None, &[gives_up], expires, "alice")
                .build(),
        );
        assert_eq!(action(&p), None, "{p:#?}");
    }
}

#[test]
fn a_stranger_seen_before_the_stop_blocks_the_bootstrap() {
    // Tick 1: a member outside the inventory is ONLINE in the group's views.
    let mut cluster = ClusterBuilder::healthy(3);
    for viewer in ["orders-1", "orders-2", "orders-3"] {
        cluster = cluster.also_lists(viewer, 7, MemberState::Online);
    }
    let first = cluster.build();
    let p = plan(&first);
    assert!(
        p.findings
            .iter()
            .any(|f| f.kind == FindingKind::UnknownMember
                && f.severity == Severity::Critical
                && f.message.contains(&server_uuid(7))
                && f.message.contains("ip-10-0-1-17:3306")),
        "{p:#?}"
    );
    let remembered = strangers::next(&first);
    assert_eq!(remembered.len(), 1);
    // Tick 2: every member stopped; the views show nothing of it any more.
    let mut second = ClusterBuilder::healthy(3).complete_outage().build();
    second.history.strangers = remembered;
    let p = plan(&second);
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(
        refusal(&p, Guard::UnknownMember).contains(&format!("--give-up {}", server_uuid(7))),
        "{p:#?}"
    );
    // A person who knows it is down gives it up.
    let mut approved = ClusterBuilder::healthy(3)
        .complete_outage()
        .approved_bootstrap(None, &[&server_uuid(7)], "2026-11-30T13:00:00Z", "alice")
        .build();
    approved.history.strangers = strangers::next(&first);
    assert_eq!(
        action(&plan(&approved)),
        Some((ActionKind::Bootstrap, "orders-1"))
    );
}

#[test]
fn strangers_are_forgotten_once_accounted_for() {
    let cluster = ClusterBuilder::healthy(3).also_lists("orders-1", 7, MemberState::Online);
    let first = cluster.clone().build();
    // Still listed: kept, with its first sighting.
    let mut again = cluster.at("2026-11-30T12:01:00Z").build();
    again.history.strangers = strangers::next(&first);
    let kept = strangers::next(&again);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].first_seen, first.observed_at);
    assert_eq!(kept[0].last_seen, again.observed_at);
    // A view with quorum no longer lists it: it left the group.
    let mut left = ClusterBuilder::healthy(3).build();
    left.history.strangers = kept.clone();
    assert!(strangers::next(&left).is_empty());
    // No view with quorum (an outage): kept.
    let mut outage = ClusterBuilder::healthy(3).complete_outage().build();
    outage.history.strangers = kept;
    assert_eq!(strangers::next(&outage).len(), 1);
}

#[test]
fn a_second_group_without_quorum_is_split_brain() {
    // orders-4 and orders-5 were bootstrapped apart; orders-5 crashed, so orders-4 has no
    // quorum and looks like a minority partition, but its view shares no member with the group.
    let p = plan(
        &ClusterBuilder::healthy(5)
            .split_brain(&["orders-4", "orders-5"])
            .crashed("orders-5")
            .condition_since("orders-4", "ONLINE/MINORITY", "2026-11-30T11:00:00Z")
            .policy(|p| p.expel = true)
            .build(),
    );
    assert_eq!(p.health.status, ClusterStatus::SplitBrain);
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(p.refused.is_empty());
    let message = finding(&p, FindingKind::SplitBrain);
    assert!(
        message.contains("grkeeper pause --cluster orders --instance ID"),
        "{message}"
    );
}

#[test]
fn a_journaled_bootstrap_blocks_another_until_an_observation_after_it() {
    let bootstrapped = |at: &str, outcome| {
        ClusterBuilder::healthy(3)
            .complete_outage()
            .history(move |h| {
                h.actions.push(PastAction {
                    kind: ActionKind::Bootstrap,
                    instance: "orders-2".into(),
                    at: crate::fixtures::at(at),
                    outcome,
                    placeholders: None,
                    maintenance: None,
                });
            })
    };
    // Journaled 30 s before this observation (clock skew allowance 60 s): not proven dead.
    let p = plan(&bootstrapped("2026-11-30T11:59:30Z", Outcome::Succeeded).build());
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(refusal(&p, Guard::EarlierBootstrap).contains("GRKEEPER_CLOCK_SKEW_SECS"));
    // Journaled by a clock ahead of this one: the same.
    let p = plan(&bootstrapped("2026-11-30T12:05:00Z", Outcome::Failed).build());
    assert_eq!(action(&p), None, "{p:#?}");
    // Exactly the allowance ago: not later than it, so not yet; a second more is.
    let p = plan(&bootstrapped("2026-11-30T11:59:00Z", Outcome::Succeeded).build());
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(refusal(&p, Guard::EarlierBootstrap).contains("GRKEEPER_CLOCK_SKEW_SECS"));
    let p = plan(&bootstrapped("2026-11-30T11:58:59Z", Outcome::Succeeded).build());
    assert_eq!(action(&p), Some((ActionKind::Bootstrap, "orders-1")));
    // Long enough ago, and orders-2 read OFFLINE now: its group is dead.
    let p = plan(&bootstrapped("2026-11-30T11:00:00Z", Outcome::Succeeded).build());
    assert_eq!(action(&p), Some((ActionKind::Bootstrap, "orders-1")));
    // A call never sent started nothing.
    let p = plan(&bootstrapped("2026-11-30T11:59:30Z", Outcome::NotAttempted).build());
    assert_eq!(action(&p), Some((ActionKind::Bootstrap, "orders-1")));
}

#[test]
fn a_seed_in_error_has_group_replication_stopped_first() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .complete_outage()
            .error_state("orders-2")
            .executed("orders-1", &format!("{GROUP}:1-90"))
            .executed("orders-3", &format!("{GROUP}:1-90"))
            .build(),
    );
    assert_eq!(action(&p), Some((ActionKind::Expel, "orders-2")), "{p:#?}");
    // The stop is a step of the bootstrap: the bootstrap policy decides it, not expel's.
    assert!(!p.refused.iter().any(|r| r.guard == Guard::Disabled));
}

#[test]
fn a_seed_without_a_group_name_is_never_chosen() {
    let p = plan(
        &ClusterBuilder::healthy(2)
            .complete_outage()
            .report("orders-1", |r| r.settings.group_name = None)
            .executed("orders-2", &format!("{GROUP}:1-90"))
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(refusal(&p, Guard::GroupName).contains("group_replication_group_name"));
}

/// Among seeds holding the same transactions at the same version, an available one comes first:
/// when none can be used, the bootstrap's refusal is about one RDS is done with (here a person's
/// stop, and how to lift it), not about the instance RDS is still busy with.
#[test]
fn among_equal_seeds_the_refusal_is_about_an_available_one() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .complete_outage()
            .rds_status("orders-1", "modifying")
            .stopped_by("orders-2", "dba@10.0.3.7", "2026-11-30 11:00:00")
            .stopped_by("orders-3", "dba@10.0.3.7", "2026-11-30 11:00:00")
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    let bootstrap: Vec<(Guard, &str)> = p
        .refused
        .iter()
        .filter(|r| r.action == ActionKind::Bootstrap)
        .map(|r| (r.guard, r.instance.as_str()))
        .collect();
    assert_eq!(bootstrap, [(Guard::OperatorStop, "orders-2")], "{p:#?}");
}

/// When no member holds every other's transactions, nothing is bootstrapped: a critical finding
/// names what each member alone has (and only those that have something of their own), to
/// reconcile by hand, and the bootstrap is refused for it.
#[test]
fn without_a_member_holding_every_transaction_each_ones_own_are_named() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .complete_outage()
            .executed("orders-1", &format!("{GROUP}:1-101"))
            .executed("orders-2", &format!("{GROUP}:1-100:102"))
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    let message = finding(&p, FindingKind::NoGtidSuperset);
    assert!(
        message.contains(&format!("orders-1 alone has {GROUP}:101"))
            && message.contains(&format!("orders-2 alone has {GROUP}:102"))
            && !message.contains("orders-3"),
        "{message}"
    );
    refusal(&p, Guard::NoGtidSuperset);
}

/// The outage's finding says what RDS reports of a member that cannot be read because it is
/// down (`failed`, `storage-full`, ...): what a person must fix first.
#[test]
fn the_outage_names_the_rds_status_of_a_member_that_is_down() {
    let p = plan(
        &stopped_outage()
            .rds_status("orders-3", "storage-full")
            .build(),
    );
    let message = finding(&p, FindingKind::CompleteOutage);
    assert!(message.contains("orders-3 storage-full"), "{message}");
}

/// A member in offline mode answers (3032, 6400/6401) but cannot be read: the outage says so,
/// not "unreadable", since rebooting it out of offline mode is what makes it readable.
#[test]
fn the_outage_names_a_member_in_offline_mode_as_such() {
    for code in [3032, 6400, 6401] {
        let p = plan(
            &ClusterBuilder::healthy(3)
                .complete_outage()
                .offline_mode_with("orders-2", code)
                .build(),
        );
        let message = finding(&p, FindingKind::CompleteOutage);
        assert!(
            message.contains("orders-2 offline mode"),
            "{code}: {message}"
        );
        assert!(!message.contains("unreadable"), "{code}: {message}");
    }
}

#[test]
fn two_instances_with_one_server_uuid_are_left_alone() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .same_uuid_as("orders-3", 2)
            .gr_stopped("orders-2")
            .gr_stopped("orders-3")
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    assert_eq!(
        p.refused
            .iter()
            .map(|r| (r.instance.as_str(), r.guard))
            .collect::<Vec<_>>(),
        vec![
            ("orders-2", Guard::DuplicateServerUuid),
            ("orders-3", Guard::DuplicateServerUuid)
        ]
    );
    assert_eq!(
        p.findings
            .iter()
            .filter(
                |f| f.kind == FindingKind::DuplicateServerUuid && f.severity == Severity::Critical
            )
            .count(),
        2
    );
    // Each names its twin, and only its twin: which instance to rebuild is the person's call.
    let uuid = crate::fixtures::server_uuid(2);
    for (one, other) in [("orders-2", "orders-3"), ("orders-3", "orders-2")] {
        let said = format!("{one} and {other} report the same server_uuid {uuid} ");
        assert!(
            p.findings
                .iter()
                .any(|f| f.instance.as_deref() == Some(one) && f.message.starts_with(&said)),
            "no finding says {said:?}: {p:#?}"
        );
        let reason = format!("{one} has the same server_uuid {uuid} as {other}: ");
        assert!(
            p.refused
                .iter()
                .any(|r| r.instance == one && r.reason.starts_with(&reason)),
            "no refusal says {reason:?}: {p:#?}"
        );
    }
}

/// Chaos seed 1631: a snapshot of orders-2 restored outside the inventory joined the group
/// under orders-2's server_uuid while orders-2 sat in offline mode. The row is the copy's (its
/// host is not the one orders-2 reported), so orders-2 is not taken for ONLINE: neither is acted
/// on, and a critical finding names the copy's address.
#[test]
fn a_copy_outside_the_inventory_in_a_members_place_is_reported_and_neither_is_acted_on() {
    let offline = || {
        ClusterBuilder::healthy(3)
            .offline_mode("orders-2")
            .last_seen(
                "orders-2",
                "2026-11-30T11:50:00Z",
                &format!("{GROUP}:1-100"),
            )
    };
    let p = plan(&offline().copy_outside("orders-2", "ip-10-0-7-99").build());
    assert_eq!(action(&p), None, "{p:#?}");
    let message = finding(&p, FindingKind::DuplicateServerUuid);
    assert!(
        message.contains("orders-2") && message.contains("ip-10-0-7-99:3306"),
        "{message}"
    );
    // Once a person takes the copy out, orders-2 is rebooted out of offline mode.
    let without = plan(&offline().build());
    assert_eq!(action(&without), Some((ActionKind::Reboot, "orders-2")));
    // The same row at orders-2's own host, in another name form, is orders-2.
    let renamed = plan(
        &offline()
            .copy_outside("orders-2", "IP-10-0-1-12.ec2.internal")
            .build(),
    );
    assert!(
        !renamed
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::DuplicateServerUuid),
        "{renamed:#?}"
    );
}

#[test]
fn a_stop_is_attributed_by_who_made_it_before_when() {
    let stopped = |by: &str| {
        ClusterBuilder::healthy(3)
            .stopped_by("orders-3", by, "2026-11-30 11:20:04")
            .history(|h| {
                h.actions.push(PastAction {
                    kind: ActionKind::Expel,
                    instance: "orders-3".into(),
                    at: crate::fixtures::at("2026-11-30T11:20:00Z"),
                    outcome: Outcome::Succeeded,
                    placeholders: None,
                    maintenance: None,
                });
            })
    };
    // A person stopped it right when grkeeper expelled it: time alone would take it for
    // grkeeper's own stop; the user says it was not.
    let person = plan(&stopped("admin@10.0.3.7").db_user("grkeeper").build());
    assert_eq!(action(&person), None, "{person:#?}");
    assert!(refusal(&person, Guard::OperatorStop).contains("admin@10.0.3.7"));
    let own = plan(&stopped("grkeeper@10.0.9.9").db_user("grkeeper").build());
    assert_eq!(action(&own), Some((ActionKind::Rejoin, "orders-3")));
    // Without the user (older snapshots), time decides as before.
    let by_time = plan(&stopped("admin@10.0.3.7").build());
    assert_eq!(action(&by_time), Some((ActionKind::Rejoin, "orders-3")));
}

#[test]
fn an_auto_rejoin_in_progress_is_waited_for() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .error_state("orders-3")
            .error_log(
                "orders-3",
                &[(
                    "2026-11-30 11:57:12.000000",
                    "Started auto-rejoin procedure attempt 2 of 3",
                )],
            )
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(refusal(&p, Guard::AutoRejoin).contains("attempt 2 of 3"));
    let gave_up = plan(
        &ClusterBuilder::healthy(3)
            .error_state("orders-3")
            .error_log(
                "orders-3",
                &[(
                    "2026-11-30 11:57:12.000000",
                    "Auto-rejoin procedure attempt 3 of 3 finished. Member was not able to join \
                     the group.",
                )],
            )
            .build(),
    );
    assert_eq!(action(&gave_up), Some((ActionKind::Reboot, "orders-3")));
}

#[test]
fn no_rejoin_while_the_group_cannot_reconfigure() {
    let p = plan(
        &ClusterBuilder::healthy(5)
            .crashed("orders-4")
            .gr_stopped("orders-5")
            .build(),
    );
    assert_eq!(action(&p), None, "{p:#?}");
    let reason = refusal(&p, Guard::UnreachableMember);
    assert!(reason.contains(&server_uuid(4)), "{reason}");
    assert!(reason.contains("maybe orders-4"), "{reason}");
    // Once grkeeper has read orders-4, its row has a name.
    let named = plan(
        &ClusterBuilder::healthy(5)
            .last_seen(
                "orders-4",
                "2026-11-30T11:50:00Z",
                &format!("{GROUP}:1-100"),
            )
            .crashed("orders-4")
            .gr_stopped("orders-5")
            .build(),
    );
    assert!(refusal(&named, Guard::UnreachableMember).contains("lists orders-4 UNREACHABLE"));
    // A member outside the inventory, every inventory instance read: no instance it may be.
    let stranger = plan(
        &ClusterBuilder::healthy(5)
            .also_lists("orders-1", 7, MemberState::Unreachable)
            .gr_stopped("orders-5")
            .build(),
    );
    let reason = refusal(&stranger, Guard::UnreachableMember);
    assert!(
        reason.contains(&format!(
            "{} (ip-10-0-1-17:3306) UNREACHABLE",
            server_uuid(7)
        )),
        "{reason}"
    );
}

#[test]
fn a_recovering_member_still_applying_is_not_expelled() {
    let recovering = |executed: &str| {
        ClusterBuilder::healthy(5)
            .recovering("orders-5")
            .condition_since("orders-5", "RECOVERING", "2026-11-30T10:00:00Z")
            .last_seen("orders-5", "2026-11-30T10:30:00Z", executed)
            .policy(|p| p.expel = true)
            .build()
    };
    let growing = plan(&recovering(&format!("{GROUP}:1-80")));
    assert_eq!(action(&growing), None, "{growing:#?}");
    assert!(finding(&growing, FindingKind::StuckRecovering).contains("still applying"));
    let stuck = plan(&recovering(&format!("{GROUP}:1-100")));
    assert_eq!(action(&stuck), Some((ActionKind::Expel, "orders-5")));
}

#[test]
fn a_stale_view_is_cleared_before_a_bootstrap() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .complete_outage()
            .error_state("orders-2")
            .also_lists("orders-2", 1, MemberState::Online)
            .build(),
    );
    assert_eq!(p.health.status, ClusterStatus::CompleteOutage);
    assert_eq!(action(&p), Some((ActionKind::Expel, "orders-2")), "{p:#?}");
    assert!(refusal(&p, Guard::StaleView).contains("orders-1 ONLINE"));
}

#[test]
fn a_live_row_of_a_member_that_cannot_be_read_is_named() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .complete_outage()
            .error_state("orders-2")
            .unreadable("orders-3", refused(), false)
            .also_lists("orders-2", 3, MemberState::Online)
            .build(),
    );
    assert_eq!(p.health.status, ClusterStatus::NoQuorum);
    let message = finding(&p, FindingKind::NoQuorum);
    assert!(message.contains("orders-2's view lists"), "{message}");
    assert!(!message.contains("  are ONLINE"), "{message}");
}

#[test]
fn an_empty_inventory_is_not_an_outage() {
    let mut snapshot = ClusterBuilder::healthy(1).build();
    snapshot.instances.clear();
    let p = plan(&snapshot);
    assert_eq!(p.health.status, ClusterStatus::Empty);
    assert_eq!(
        p.findings
            .iter()
            .map(|f| (f.kind, f.severity))
            .collect::<Vec<_>>(),
        vec![(FindingKind::EmptyInventory, Severity::Warning)]
    );
}

/// Chaos seed 1766: orders-1 alone committed 20-47, then a snapshot of orders-2 was restored
/// into it (orders-2's uuid and data), and orders-3 comes back holding 1-19. Every member read
/// now, orders-3 holds what the others hold; only the journal knows orders-1 held 20-47.
pub(super) fn restored_over_the_only_copy() -> ClusterBuilder {
    ClusterBuilder::healthy(3)
        .complete_outage()
        .last_seen("orders-1", "2026-11-30T11:50:00Z", &format!("{GROUP}:1-47"))
        .same_uuid_as("orders-1", 2)
        .executed("orders-1", &format!("{GROUP}:1-16"))
        .executed("orders-2", &format!("{GROUP}:1-16"))
        .executed("orders-3", &format!("{GROUP}:1-19"))
}

#[test]
fn a_restore_over_the_only_copy_blocks_the_bootstrap_until_a_person_gives_it_up() {
    let refused = plan(&restored_over_the_only_copy().build());
    assert_eq!(action(&refused), None, "{refused:#?}");
    let why = refusal(&refused, Guard::NoGtidSuperset);
    assert!(
        why.contains("orders-3 lacks") && why.contains("orders-1"),
        "{why}"
    );
    let told = finding(&refused, FindingKind::NoGtidSuperset);
    assert!(
        told.contains(&format!("{GROUP}:20-47"))
            && told.contains("--instance orders-3 --give-up orders-1"),
        "{told}"
    );
    // The next tick's memory keeps what was taken away, under the copy's new uuid.
    let mut next = restored_over_the_only_copy().build();
    next.history.last_seen = last_seen::next(&next);
    let kept = &next.history.last_seen["orders-1"];
    assert_eq!(kept.server_uuid, server_uuid(2));
    assert_eq!(kept.lost, format!("{GROUP}:17-47").parse().unwrap());
    let still = plan(&next);
    assert_eq!(action(&still), None, "{still:#?}");
    refusal(&still, Guard::NoGtidSuperset);
    // A person gives orders-1 up: orders-3 is bootstrapped.
    let approved = plan(
        &restored_over_the_only_copy()
            .approved_bootstrap(
                Some("orders-3"),
                &["orders-1"],
                "2026-11-30T13:00:00Z",
                "alice",
            )
            .build(),
    );
    assert_eq!(
        action(&approved),
        Some((ActionKind::Bootstrap, "orders-3")),
        "{approved:#?}"
    );
}

#[test]
fn what_a_restore_took_away_is_forgotten_once_the_member_is_online() {
    let behind = |builder: ClusterBuilder| {
        let snapshot = builder
            .last_seen("orders-1", "2026-11-30T11:50:00Z", &format!("{GROUP}:1-47"))
            .executed("orders-1", &format!("{GROUP}:1-16"))
            .build();
        last_seen::next(&snapshot)["orders-1"].lost.clone()
    };
    let taken: crate::gtid::GtidSet = format!("{GROUP}:17-47").parse().unwrap();
    assert_eq!(
        behind(ClusterBuilder::healthy(3).gr_stopped("orders-1")),
        taken
    );
    assert!(behind(ClusterBuilder::healthy(3)).is_empty());
}

/// orders-3 was bootstrapped apart from orders-1 and orders-2; a person stopped it, and it came
/// back OFFLINE holding what looks like a subset of the group's transactions.
fn after_a_split_brain() -> ClusterBuilder {
    ClusterBuilder::healthy(3)
        .gr_stopped("orders-3")
        .executed("orders-3", &format!("{GROUP}:1-95"))
        .history(|h| {
            h.split_brain = Some(SplitBrain {
                first_seen: crate::fixtures::at("2026-11-30T10:00:00Z"),
                last_seen: crate::fixtures::at("2026-11-30T11:00:00Z"),
                sides: vec![vec![server_uuid(1), server_uuid(2)], vec![server_uuid(3)]],
            });
        })
}

fn rejoin_approved(instance: &str) -> Approval {
    Approval {
        action: ActionKind::Rejoin,
        instance: Some(instance.into()),
        gives_up: Vec::new(),
        expires: crate::fixtures::at("2026-11-30T13:00:00Z"),
        by: "alice".into(),
        gtids: None,
    }
}

#[test]
fn a_member_of_a_group_seen_apart_is_rejoined_only_once_a_person_approves() {
    let p = plan(&after_a_split_brain().build());
    assert_eq!(action(&p), None, "{p:#?}");
    let reason = refusal(&p, Guard::SplitBrain);
    assert!(
        reason.contains("approve rejoin --cluster orders --instance orders-3"),
        "{reason}"
    );
    assert_eq!(
        p.findings
            .iter()
            .filter(|f| f.kind == FindingKind::SplitBrain)
            .map(|f| f.severity)
            .collect::<Vec<_>>(),
        [Severity::Critical]
    );
    let approved = after_a_split_brain()
        .history(|h| h.approvals.push(rejoin_approved("orders-3")))
        .build();
    assert_eq!(
        action(&plan(&approved)),
        Some((ActionKind::Rejoin, "orders-3"))
    );
    assert_eq!(split_brain::next(&approved), None, "orders-3 is forgotten");
    // An approval for any instance vouches for none in particular.
    let any = after_a_split_brain()
        .history(|h| {
            h.approvals.push(Approval {
                instance: None,
                ..rejoin_approved("orders-3")
            })
        })
        .build();
    assert_eq!(action(&plan(&any)), None);
}

#[test]
fn groups_seen_apart_are_remembered_and_block_a_bootstrap() {
    let split = ClusterBuilder::healthy(3)
        .split_brain(&["orders-3"])
        .build();
    let memory = split_brain::next(&split).expect("the split is remembered");
    assert_eq!(
        memory.sides,
        [vec![server_uuid(1), server_uuid(2)], vec![server_uuid(3)]]
    );
    let outage = ClusterBuilder::healthy(3)
        .complete_outage()
        .history(|h| h.split_brain = Some(memory.clone()))
        .build();
    let p = plan(&outage);
    assert_eq!(action(&p), None, "{p:#?}");
    assert!(refusal(&p, Guard::SplitBrain).contains("a person's call"));
    assert_eq!(split_brain::next(&outage), Some(memory));
}

/// Keeps what `next` says and checks it against the snapshot it came from.
fn remembered(snapshot: &Snapshot) -> Result<(), TestCaseError> {
    let now = snapshot.observed_at;
    let records = last_seen::next(snapshot);
    for instance in &snapshot.instances {
        let before = snapshot.history.last_seen.get(&instance.id);
        let after = records.get(&instance.id);
        match instance.mysql.seen() {
            Some(report) => {
                let after = after.ok_or_else(|| TestCaseError::fail("read but not kept"))?;
                prop_assert_eq!(after.at, now);
                prop_assert_eq!(&after.gtid_executed, &report.gtid_executed);
                prop_assert_eq!(&after.received, &report.received());
                let unchanged = before.is_some_and(|b| {
                    b.server_uuid.eq_ignore_ascii_case(&report.server_uuid)
                        && b.gtid_executed == report.gtid_executed
                });
                let since = if unchanged {
                    before.map(|b| b.executed_since)
                } else {
                    Some(now)
                };
                prop_assert_eq!(Some(after.executed_since), since);
                // Nothing held before is forgotten, whatever the uuid, until the member is read
                // ONLINE (a group took it back as it is).
                if let Some(before) = before {
                    let online = report.own_state() == MemberState::Online;
                    let earlier = before
                        .gtid_executed
                        .union(&before.received)
                        .union(&before.lost);
                    let kept = after.transactions().union(&after.lost);
                    prop_assert!(online || earlier.is_subset(&kept));
                    prop_assert!(!online || after.lost.is_empty());
                    prop_assert!(after.lost.difference(&earlier).is_empty());
                }
            }
            None => prop_assert_eq!(after, before),
        }
    }
    prop_assert!(records.len() <= snapshot.instances.len());
    let kept = strangers::next(snapshot);
    // An instance's `server_uuid`: read now, else as last read.
    let accounted = |member_id: &str| {
        snapshot.instances.iter().any(|i| {
            i.mysql
                .seen()
                .map(|r| r.server_uuid.as_str())
                .or(snapshot
                    .history
                    .last_seen
                    .get(&i.id)
                    .map(|l| l.server_uuid.as_str()))
                .is_some_and(|u| u.eq_ignore_ascii_case(member_id))
        })
    };
    for stranger in &kept {
        // Read members now, or identified by their last reading, are no strangers.
        prop_assert!(
            !accounted(&stranger.member_id),
            "{} kept though known",
            stranger.member_id
        );
        prop_assert!(stranger.first_seen <= stranger.last_seen);
    }
    // A member of a group seen apart is kept until a person approves its rejoin by name or no
    // instance has its server_uuid any more; the split, while two groups keep members.
    let split = split_brain::next(snapshot);
    // Some instance with the member's server_uuid is not vouched for by name.
    let unreconciled = |member_id: &str| {
        snapshot.instances.iter().any(|i| {
            let identity = i.mysql.seen().map(|r| r.server_uuid.as_str()).or(snapshot
                .history
                .last_seen
                .get(&i.id)
                .map(|l| l.server_uuid.as_str()));
            identity.is_some_and(|u| u.eq_ignore_ascii_case(member_id))
                && !snapshot.history.approvals.iter().any(|a| {
                    a.action == ActionKind::Rejoin
                        && a.expires > now
                        && a.instance.as_deref() == Some(i.id.as_str())
                })
        })
    };
    let open = |side: &Vec<String>| -> Vec<String> {
        side.iter().filter(|u| unreconciled(u)).cloned().collect()
    };
    for side in split.iter().flat_map(|s| &s.sides) {
        prop_assert_eq!(&open(side), side);
    }
    if let Some(before) = &snapshot.history.split_brain {
        let mut sides: Vec<Vec<String>> = before.sides.iter().map(open).collect();
        sides.retain(|s| !s.is_empty());
        sides.dedup();
        if sides.len() >= 2 {
            let after = split.as_ref().map_or(&[][..], |s| s.sides.as_slice());
            for side in sides {
                prop_assert!(after.contains(&side), "{side:?} forgotten: {after:?}");
            }
        }
    }
    // Every row no inventory instance accounts for is kept, seen now.
    for row in snapshot
        .instances
        .iter()
        .filter_map(|i| i.mysql.seen())
        .flat_map(|r| &r.view)
    {
        if !accounted(&row.member_id) {
            prop_assert!(
                kept.iter()
                    .any(|s| s.member_id.eq_ignore_ascii_case(&row.member_id)
                        && s.last_seen == now),
                "{} listed but not kept",
                row.member_id
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn the_journal_memory_keeps_what_was_read_and_every_stranger(snapshot in scenario()) {
        remembered(&snapshot)?;
    }

    #[test]
    fn the_journal_memory_of_an_outage_keeps_the_unread_members(snapshot in outage()) {
        remembered(&snapshot)?;
    }

    #[test]
    fn the_journal_memory_keeps_groups_seen_apart_until_reconciled(
        snapshot in after_split_brain()
    ) {
        remembered(&snapshot)?;
    }
}

/// One member's transactions in [`an_online_member_is_reported_for_what_it_holds_that_others_lack`]:
/// `alone` written on it alone under its own uuid, known at its last reading or not, and maybe
/// `copied` to the next member by a recovery from it long ago; `fresh` group commits it executed
/// that the others have received (`lagging`) or not yet (a commit certified between two readings
/// of one tick).
#[derive(Debug, Clone)]
struct Held {
    alone: u64,
    held_before: bool,
    copied: bool,
    fresh: u64,
    lagging: bool,
}

fn held() -> impl Strategy<Value = Held> {
    (
        0u64..3,
        any::<bool>(),
        any::<bool>(),
        0u64..3,
        any::<bool>(),
    )
        .prop_map(|(alone, held_before, copied, fresh, lagging)| Held {
            alone,
            held_before,
            copied,
            fresh,
            lagging,
        })
}

proptest! {
    #![proptest_config(config(300))]

    /// Chaos seeds 6, 45, 47, 274, 297: an ONLINE member holding transactions other members
    /// lack sat unreported until a member holding them would leave and be refused back. What a
    /// member held at its last reading too and some other ONLINE member lacks is reported on it
    /// (a warning naming exactly those); a commit the others have received, or one newer than
    /// its last reading, never is.
    #[test]
    fn an_online_member_is_reported_for_what_it_holds_that_others_lack(
        members in proptest::collection::vec(held(), 3..=5),
    ) {
        let n = members.len();
        let fresh = |i: usize, h: &Held| {
            format!("{GROUP}:{}-{}", 201 + 10 * i, 200 + 10 * i + h.fresh as usize)
        };
        let alone = |i: usize, h: &Held| format!("{}:1-{}", server_uuid(i + 1), h.alone);
        // What each member holds, and held at its last reading, beyond the group's 1-100.
        let mut now: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut before: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut errant: Vec<Vec<String>> = vec![Vec::new(); n];
        for (i, h) in members.iter().enumerate() {
            if h.alone > 0 {
                now[i].push(alone(i, h));
                if h.held_before {
                    before[i].push(alone(i, h));
                    errant[i].push(alone(i, h));
                }
                if h.copied {
                    let next = (i + 1) % n;
                    now[next].push(alone(i, h));
                    before[next].push(alone(i, h));
                    errant[next].push(alone(i, h));
                }
            }
            if h.fresh > 0 {
                now[i].push(fresh(i, h));
                if h.lagging {
                    before[i].push(fresh(i, h));
                }
            }
        }
        let mut builder = ClusterBuilder::healthy(n);
        for i in 0..n {
            let id = format!("orders-{}", i + 1);
            let with = |extra: &[String]| {
                std::iter::once(format!("{GROUP}:1-100"))
                    .chain(extra.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            // What the others have received of their commits, and not applied yet.
            let received: Vec<String> = members
                .iter()
                .enumerate()
                .filter(|(j, o)| *j != i && o.fresh > 0 && o.lagging)
                .map(|(j, o)| fresh(j, o))
                .collect();
            builder = builder
                .executed(&id, &with(&now[i]))
                .last_seen(&id, "2026-11-30T11:59:00Z", &with(&before[i]));
            if !received.is_empty() {
                builder = builder.received(&id, &received.join(","));
            }
        }
        let p = plan(&builder.build());
        let reported: Vec<(String, &str)> = p
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::ErrantGtids)
            .map(|f| (f.instance.clone().unwrap_or_default(), f.message.as_str()))
            .collect();
        let expected: Vec<(String, crate::gtid::GtidSet)> = errant
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.is_empty())
            .map(|(i, e)| (format!("orders-{}", i + 1), e.join(",").parse().unwrap_or_default()))
            .collect();
        prop_assert_eq!(
            reported.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(),
            expected.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(),
            "{:#?}",
            p.findings
        );
        for ((instance, message), (_, set)) in reported.iter().zip(&expected) {
            let k: usize = instance.trim_start_matches("orders-").parse().unwrap_or(1) - 1;
            // The others lacking some of them: every member not holding all of them now.
            let lacking: Vec<String> = (0..n)
                .filter(|&j| j != k && !errant[k].iter().all(|e| now[j].contains(e)))
                .map(|j| format!("orders-{}", j + 1))
                .collect();
            let told = format!("{instance} is ONLINE holding transactions that {} lack: {set} (", lacking.join(", "));
            prop_assert!(message.contains(&told), "{} / {}", message, told);
        }
        prop_assert!(p
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::ErrantGtids)
            .all(|f| f.severity == Severity::Warning));
        prop_assert_eq!(p.action, None);
    }
}

/// Chaos seeds 511, 761, 969, 1450: with ABORT_SERVER, members whose start at boot found no group
/// shut down, none stayed up to be read, and no bootstrap could be chosen. Each member running it
/// is a warning saying so, unless the policy names ABORT_SERVER (a person chose it).
#[test]
fn abort_server_is_a_warning_unless_the_policy_names_it() {
    let aborting = || {
        (1..=3).fold(ClusterBuilder::healthy(3), |b, i| {
            b.report(&format!("orders-{i}"), |r| {
                r.settings.exit_state_action = Some("ABORT_SERVER".into());
            })
        })
    };
    let p = plan(&aborting().build());
    let warned: Vec<&str> = p
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::ExitStateActionDrift)
        .filter_map(|f| f.instance.as_deref())
        .collect();
    assert_eq!(warned, ["orders-1", "orders-2", "orders-3"], "{p:#?}");
    let told = finding(&p, FindingKind::ExitStateActionDrift);
    assert!(
        told.contains("no member stays up for grkeeper to read")
            && told.contains("GRKEEPER_EXIT_STATE_ACTION=ABORT_SERVER"),
        "{told}"
    );
    let chosen = plan(
        &aborting()
            .policy(|p| p.exit_state_action = Some("ABORT_SERVER".into()))
            .build(),
    );
    assert!(
        !chosen
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::ExitStateActionDrift),
        "{chosen:#?}"
    );
}

/// Only a member ONLINE by its own report and by the quorum group's is a recovery donor: one
/// that reports ERROR while a stale view still lists it ONLINE holds binlogs no donor can send.
/// A joiner lacking what every real donor purged is refused, not rejoined on its account.
#[test]
fn a_member_out_of_the_group_is_no_donor_even_when_a_stale_view_lists_it_online() {
    let mut b = ClusterBuilder::healthy(5)
        .error_state("orders-4")
        .gr_stopped("orders-5")
        .executed("orders-5", &format!("{GROUP}:1-10"));
    for viewer in ["orders-1", "orders-2", "orders-3"] {
        b = b
            .purged(viewer, &format!("{GROUP}:1-50"))
            .also_lists(viewer, 4, MemberState::Online);
    }
    let p = plan(&b.build());
    assert_ne!(action(&p), Some((ActionKind::Rejoin, "orders-5")), "{p:#?}");
    assert!(
        refusal(&p, Guard::PurgedTransactions).contains("orders-5"),
        "{p:#?}"
    );
}

/// A member grkeeper has never read may be any view row no known member accounts for: taking it
/// out is judged by the row whose removal costs the view most, whatever the rows' order. Here
/// the unread member in offline mode is still listed ONLINE (its peers have not noticed) beside
/// a row in ERROR: rebooting it would leave two ONLINE members, tolerating no failure, below a
/// floor of one.
#[test]
fn a_member_never_read_is_judged_by_the_costliest_row_it_may_be() {
    let reboot = |rows: &[(usize, MemberState)], floor: u32| {
        let mut b = ClusterBuilder::healthy(3)
            .offline_mode("orders-3")
            .policy(|p| p.fault_tolerance_floor = floor);
        for viewer in ["orders-1", "orders-2"] {
            for &(member, state) in rows {
                b = b.also_lists(viewer, member, state);
            }
        }
        plan(&b.build())
    };
    let online_first = [(3, MemberState::Online), (10, MemberState::Error)];
    let error_first = [(10, MemberState::Error), (3, MemberState::Online)];
    let p = reboot(&online_first, 0);
    assert_eq!(action(&p), Some((ActionKind::Reboot, "orders-3")), "{p:#?}");
    for rows in [online_first, error_first] {
        let p = reboot(&rows, 1);
        assert_eq!(action(&p), None, "{p:#?}");
        assert!(refusal(&p, Guard::ToleranceFloor).contains("orders-3"));
    }
}

/// Members are not read at one instant: a member that has just joined lists the group ONLINE
/// while the others, read before the view changed, do not list it yet. Either one listing the
/// other live puts both in one group: not a second group holding quorum (split brain).
#[test]
fn a_member_listing_the_group_before_the_group_lists_it_is_in_that_group() {
    let mut snapshot = ClusterBuilder::healthy(3).build();
    for viewer in [0, 1] {
        set_row(&mut snapshot, viewer, 3, None);
    }
    let p = plan(&snapshot);
    assert_ne!(p.health.status, ClusterStatus::SplitBrain, "{p:#?}");
    assert!(
        p.findings.iter().all(|f| f.kind != FindingKind::SplitBrain),
        "{p:#?}"
    );
}

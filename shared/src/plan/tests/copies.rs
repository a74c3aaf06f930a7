//! Restored copies as a class (chaos seed 1631): a copy of a member inside the inventory or
//! outside it, the original online, crashed, in offline mode or stopped, the views listing one
//! or the other under any form of its host name. A copy is reported wherever grkeeper can tell
//! it is one, neither it nor the original is acted on, and a member is never taken for a copy
//! because its name's form differs.

use proptest::prelude::*;

use super::config;
use super::generate::{COPY_HOST, Original, Placed, copies};
use super::invariants::check_all;
use crate::fixtures::{ClusterBuilder, GROUP, server_uuid};
use crate::model::Observed;
use crate::plan::conditions::MINORITY;
use crate::plan::{ActionKind, FindingKind, Guard, Plan, Severity, plan};

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn a_copy_is_reported_wherever_it_can_be_told_and_nothing_is_taken_for_one(case in copies()) {
        let p = plan(&case.snapshot);
        check_all(&case.snapshot)?;
        let reported = |p: &Plan| p
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::DuplicateServerUuid)
            .map(|f| (f.severity, f.instance.clone(), f.message.clone()))
            .collect::<Vec<_>>();
        // Whether grkeeper can tell the copy from the original: the original was read now, or
        // its identity and address are remembered. One it cannot tell is a stranger or an
        // unread member, which the other rules judge.
        let read = matches!(case.left, Original::Online | Original::GrStopped);
        let told = case.placed != Placed::Nowhere && (case.remembered || read);
        match case.placed {
            Placed::Nowhere => prop_assert!(reported(&p).is_empty(), "{:#?}", p),
            // (Even untold, a view may list the original at its own host under the copy's id.)
            Placed::Inside => prop_assert!(!told || !reported(&p).is_empty(), "{:#?}", p),
            Placed::Outside => {
                let named = reported(&p).into_iter().any(|(severity, instance, message)| {
                    severity == Severity::Critical
                        && instance.as_deref() == Some(case.original.as_str())
                        && message.contains(&format!("{COPY_HOST}:3306"))
                });
                prop_assert_eq!(named, told, "{:#?}", p);
                if told {
                    let taken = p.action.iter().find(|a| {
                        matches!(
                            a.kind,
                            ActionKind::Expel | ActionKind::Bootstrap | ActionKind::SyncGtids
                        )
                    });
                    prop_assert!(taken.is_none(), "{:#?}", p);
                }
            }
        }
        if told {
            prop_assert!(
                p.action.iter().all(|a| a.instance != case.original),
                "acted on the original of a copy: {:#?}",
                p
            );
        }
    }
}

/// Two restored copies on one host (two ports), each in the group in its original's place and
/// listed by every view: each original is reported once, by the copy's address, and neither is
/// acted on.
#[test]
fn two_copies_on_one_host_are_each_reported_once() {
    let mut snapshot = ClusterBuilder::healthy(5)
        .gr_stopped("orders-4")
        .gr_stopped("orders-5")
        .copy_outside("orders-4", COPY_HOST)
        .copy_outside("orders-5", COPY_HOST)
        .build();
    listed_at(&mut snapshot, 5, COPY_HOST, 3307);
    check_all(&snapshot).unwrap_or_else(|e| panic!("{e}"));
    let p = plan(&snapshot);
    let reported: Vec<(Option<&str>, bool)> = p
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::DuplicateServerUuid)
        .map(|f| {
            let port = if f.instance.as_deref() == Some("orders-5") {
                3307
            } else {
                3306
            };
            (
                f.instance.as_deref(),
                f.message.contains(&format!("{COPY_HOST}:{port}")),
            )
        })
        .collect();
    assert_eq!(
        reported,
        vec![(Some("orders-4"), true), (Some("orders-5"), true)],
        "{p:#?}"
    );
    assert!(
        p.action
            .iter()
            .all(|a| !["orders-4", "orders-5"].contains(&a.instance.as_str())),
        "{p:#?}"
    );
}

/// The other members' view rows of `id`'s `server_uuid` at `host`: their port set to `port`.
fn listed_at(snapshot: &mut crate::snapshot::Snapshot, id: usize, host: &str, port: u16) {
    for instance in &mut snapshot.instances {
        if let Observed::Seen(report) = &mut instance.mysql
            && report.server_uuid != server_uuid(id)
        {
            for row in &mut report.view {
                if row.member_id == server_uuid(id) && row.host == host {
                    row.port = port;
                }
            }
        }
    }
}

fn copy_reported(snapshot: &crate::snapshot::Snapshot, id: &str) -> bool {
    plan(snapshot)
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::DuplicateServerUuid && f.instance.as_deref() == Some(id))
}

/// The original restarted and Group Replication never started on it (its view has no row of
/// its own, so no address of its own now): its address as last read tells the copy apart.
#[test]
fn a_copy_is_told_by_the_address_last_read_when_the_original_lists_no_row_of_its_own() {
    let mut snapshot = ClusterBuilder::healthy(5)
        .gr_stopped("orders-4")
        .last_seen(
            "orders-4",
            "2026-11-30T11:50:00Z",
            &format!("{GROUP}:1-100"),
        )
        .copy_outside("orders-4", COPY_HOST)
        .build();
    if let Observed::Seen(report) = &mut snapshot.instances[3].mysql {
        report.view.clear();
    }
    assert!(copy_reported(&snapshot, "orders-4"));
}

/// A row at the original's own host name but another port is a copy; at port 0 (unknown) it is
/// not.
#[test]
fn a_row_at_the_originals_host_is_a_copy_only_at_a_known_other_port() {
    let at_port = |port: u16| {
        let mut snapshot = ClusterBuilder::healthy(5)
            .gr_stopped("orders-4")
            .copy_outside("orders-4", "ip-10-0-1-14")
            .build();
        listed_at(&mut snapshot, 4, "ip-10-0-1-14", port);
        copy_reported(&snapshot, "orders-4")
    };
    assert!(at_port(3307));
    assert!(!at_port(0));
    assert!(!at_port(3306));
}

/// A copy of one member holds back every action on that member, not on the others: another
/// member out of the group is rejoined as usual.
#[test]
fn a_copy_of_one_member_does_not_hold_back_the_repair_of_another() {
    let snapshot = ClusterBuilder::healthy(5)
        .gr_stopped("orders-1")
        .copy_outside("orders-1", COPY_HOST)
        .gr_stopped("orders-4")
        .build();
    assert!(copy_reported(&snapshot, "orders-1"));
    let p = plan(&snapshot);
    let action = p.action.as_ref().map(|a| (a.kind, a.instance.as_str()));
    assert_eq!(action, Some((ActionKind::Rejoin, "orders-4")), "{p:#?}");
}

/// A copy of one member in the views may hold a majority grkeeper does not see, as a stranger
/// may: no member is fenced while the views list one.
#[test]
fn no_fence_while_a_view_lists_a_copy_of_another_member() {
    let snapshot = ClusterBuilder::healthy(5)
        .gr_stopped("orders-1")
        .copy_outside("orders-1", COPY_HOST)
        .partition(&["orders-5"])
        .condition_since("orders-5", MINORITY, "2026-11-30T11:00:00Z")
        .policy(|p| p.expel = true)
        .build();
    assert!(copy_reported(&snapshot, "orders-1"));
    let p = plan(&snapshot);
    assert!(p.action.is_none(), "{p:#?}");
    assert!(
        p.refused.iter().any(|r| r.action == ActionKind::Expel
            && r.instance == "orders-5"
            && r.guard == Guard::DuplicateServerUuid),
        "{p:#?}"
    );
}

//! The counterexamples random testing found, spelled out as snapshots so that they keep being
//! checked whatever becomes of the generators (their seeds are in `proptest-regressions/` too).

use crate::fixtures::ClusterBuilder;
use crate::model::MemberState;

use super::generate::set_row;
use super::invariants::check_all;

fn holds(builder: ClusterBuilder) {
    let snapshot = builder.build();
    if let Err(failure) = check_all(&snapshot) {
        panic!("{failure}");
    }
}

/// A member rebooting in RDS still shows itself RECOVERING: its view is a live row.
#[test]
fn a_rebooting_member_recovering_in_its_own_view() {
    holds(
        ClusterBuilder::healthy(2)
            .complete_outage()
            .recovering("orders-1")
            .rds_status("orders-1", "rebooting")
            .policy(|p| {
                p.cluster_budget = 1;
                p.recovering_deadline_secs = 60;
            }),
    );
}

/// Three members in ERROR, four ONLINE, and a view that lists the eighth (OFFLINE) ONLINE.
#[test]
fn a_view_listing_an_offline_member_online() {
    holds(
        ClusterBuilder::healthy(8)
            .error_state("orders-1")
            .error_state("orders-2")
            .error_state("orders-3")
            .gr_stopped("orders-8")
            .also_lists("orders-5", 8, MemberState::Online)
            .policy(|p| {
                p.cluster_budget = 0;
                p.recovering_deadline_secs = 60;
            }),
    );
}

/// A complete outage where one member answers 3032 while RDS reports it `failed`.
#[test]
fn an_outage_with_a_failed_member_in_offline_mode() {
    holds(
        ClusterBuilder::healthy(7)
            .complete_outage()
            .offline_mode("orders-2")
            .rds_status("orders-2", "failed")
            .policy(|p| p.cluster_budget = 1),
    );
}

/// Issue #19, class 5: orders-2 reports ERROR, but orders-3's view (which holds quorum only by
/// counting it) lists it OFFLINE, as peers list a joiner whose compatibility check failed. A
/// reboot of orders-2 would leave orders-3's view 1 reachable member of 2.
#[test]
fn an_error_member_a_quorum_view_still_counts() {
    holds(
        ClusterBuilder::healthy(3)
            .error_state("orders-2")
            .partition(&["orders-1"])
            .also_lists("orders-3", 2, MemberState::Offline),
    );
}

/// A seed whose own row is not OFFLINE (here an impossible UNREACHABLE) is never bootstrapped:
/// START GROUP_REPLICATION needs its Group Replication stopped.
#[test]
fn a_seed_whose_own_row_is_not_offline() {
    let mut snapshot = ClusterBuilder::healthy(1).complete_outage().build();
    set_row(&mut snapshot, 0, 1, Some(MemberState::Unreachable));
    if let Err(failure) = check_all(&snapshot) {
        panic!("{failure}");
    }
}

/// Clearing a stale view is a step of the re-bootstrap: it waits, like the bootstrap, for every
/// member to be proven out of any group, even one an approval gives up (orders-2, unreadable
/// but available in RDS, may be live).
#[test]
fn a_stale_view_beside_a_member_that_may_be_live() {
    let mut snapshot = ClusterBuilder::healthy(4)
        .complete_outage()
        .unreadable(
            "orders-2",
            crate::model::ProbeError::Timeout {
                during: "connect".into(),
            },
            false,
        )
        .approved_bootstrap(None, &["orders-2"], "2026-11-30T12:00:01Z", "alice")
        .build();
    set_row(&mut snapshot, 2, 1, Some(MemberState::Online));
    if let Err(failure) = check_all(&snapshot) {
        panic!("{failure}");
    }
}

/// A view that lists its own member twice, OFFLINE and ONLINE (a restored copy's row renamed to
/// its source's id): the ONLINE row is a live row like any other, and no bootstrap is taken.
#[test]
fn a_view_listing_its_owner_twice() {
    let mut snapshot = ClusterBuilder::healthy(3).complete_outage().build();
    if let crate::model::Observed::Seen(report) = &mut snapshot.instances[0].mysql {
        let mut online = report.view[0].clone();
        online.state = MemberState::Online;
        report.view.push(online);
    }
    if let Err(failure) = check_all(&snapshot) {
        panic!("{failure}");
    }
}

/// Chaos seed 1766's class: a restore replaced the only copy of some commits on orders-1 (the
/// journal remembers them); orders-3 holds what every member read now holds.
#[test]
fn a_restore_over_the_only_copy_blocks_the_bootstrap() {
    holds(super::situations::restored_over_the_only_copy());
}

//! The drift findings (`drift.rs`: reported, never acted on), each at its boundary, kind,
//! severity and member asserted whole: the members and only they, from a healthy cluster that
//! has none of them.

use crate::fixtures::{ClusterBuilder, at};
use crate::plan::{FindingKind, Pause, Plan, Severity, plan};

/// The findings of `kind`: (member, severity).
fn findings(plan: &Plan, kind: FindingKind) -> Vec<(Option<String>, Severity)> {
    plan.findings
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| (f.instance.clone(), f.severity))
        .collect()
}

/// A warning on each of `members`.
fn warned(members: &[&str]) -> Vec<(Option<String>, Severity)> {
    members
        .iter()
        .map(|m| (Some((*m).to_owned()), Severity::Warning))
        .collect()
}

/// A member whose seeds lack another member's endpoint (any case, `:3306` when RDS names no
/// port) is warned of, and only it; seeds spelled in another case count.
#[test]
fn a_member_whose_seeds_lack_another_is_warned_of_and_only_it() {
    let healthy = plan(&ClusterBuilder::healthy(3).build());
    assert_eq!(findings(&healthy, FindingKind::SeedsDrift), vec![]);
    let p = plan(
        &ClusterBuilder::healthy(3)
            .report("orders-2", |r| {
                r.settings
                    .group_seeds
                    .retain(|s| !s.starts_with("orders-3"));
            })
            .report("orders-1", |r| {
                for seed in &mut r.settings.group_seeds {
                    *seed = format!(" {} ", seed.to_ascii_uppercase());
                }
            })
            .build(),
    );
    assert_eq!(
        findings(&p, FindingKind::SeedsDrift),
        warned(&["orders-2"]),
        "{p:#?}"
    );
    let endpoint = "orders-3.abcdefghijkl.us-east-1.rds.amazonaws.com:3306";
    assert!(
        p.findings.iter().any(|f| f.kind == FindingKind::SeedsDrift
            && f.message.contains(&format!("lacks orders-3 ({endpoint})"))),
        "{p:#?}"
    );
}

/// A parameter group waiting for a reboot is warned of on its member only.
#[test]
fn a_parameter_change_waiting_for_a_reboot_is_warned_of_on_its_member() {
    let p = plan(
        &ClusterBuilder::healthy(3)
            .rds("orders-3", |r| {
                r.parameter_apply_status = Some("pending-reboot".into());
            })
            .build(),
    );
    assert_eq!(
        findings(&p, FindingKind::ParameterPendingReboot),
        warned(&["orders-3"]),
        "{p:#?}"
    );
}

/// Binary log retention below the policy's minimum is warned of; at the minimum it is enough.
#[test]
fn binlog_retention_is_warned_of_below_the_minimum_only() {
    // The policy's minimum is 168 hours.
    let p = plan(
        &ClusterBuilder::healthy(3)
            .report("orders-1", |r| {
                r.settings.binlog_retention_hours = Some(167)
            })
            .report("orders-2", |r| {
                r.settings.binlog_retention_hours = Some(168)
            })
            .report("orders-3", |r| {
                r.settings.binlog_retention_hours = Some(169)
            })
            .build(),
    );
    assert_eq!(
        findings(&p, FindingKind::BinlogRetention),
        warned(&["orders-1"]),
        "{p:#?}"
    );
}

/// An exit state action other than the policy's (any case) is warned of on its member; without
/// one in the policy, members that disagree are each warned of, and ones that agree are not
/// (unless on ABORT_SERVER, `abort_server_is_a_warning_unless_the_policy_names_it`).
#[test]
fn an_exit_state_action_is_warned_of_when_it_differs_from_the_policy_or_the_others() {
    let actions = |actions: [&str; 3], policy: Option<&str>| {
        let builder = actions
            .iter()
            .enumerate()
            .fold(ClusterBuilder::healthy(3), |b, (i, a)| {
                let a = (*a).to_owned();
                b.report(&format!("orders-{}", i + 1), move |r| {
                    r.settings.exit_state_action = Some(a);
                })
            });
        let policy = policy.map(str::to_owned);
        plan(
            &builder
                .policy(move |p| p.exit_state_action = policy)
                .build(),
        )
    };
    let drift = |p: &Plan| findings(p, FindingKind::ExitStateActionDrift);
    let agree = ["OFFLINE_MODE", "OFFLINE_MODE", "OFFLINE_MODE"];
    assert_eq!(drift(&actions(agree, None)), vec![]);
    assert_eq!(drift(&actions(agree, Some("offline_mode"))), vec![]);
    assert_eq!(
        drift(&actions(agree, Some("READ_ONLY"))),
        warned(&["orders-1", "orders-2", "orders-3"])
    );
    let one_differs = ["OFFLINE_MODE", "READ_ONLY", "OFFLINE_MODE"];
    assert_eq!(
        drift(&actions(one_differs, Some("OFFLINE_MODE"))),
        warned(&["orders-2"])
    );
    assert_eq!(
        drift(&actions(one_differs, None)),
        warned(&["orders-1", "orders-2", "orders-3"])
    );
    // ABORT_SERVER named by the policy: only the member that differs.
    assert_eq!(
        drift(&actions(
            ["ABORT_SERVER", "READ_ONLY", "abort_server"],
            Some("ABORT_SERVER")
        )),
        warned(&["orders-2"])
    );
}

/// Members configured for different group names are one critical finding for the cluster; names
/// that differ in case only are one name.
#[test]
fn different_group_names_are_one_critical_finding() {
    let named = |names: [&str; 3]| {
        let builder = names
            .iter()
            .enumerate()
            .fold(ClusterBuilder::healthy(3), |b, (i, n)| {
                let n = (*n).to_owned();
                b.report(&format!("orders-{}", i + 1), move |r| {
                    r.settings.group_name = Some(n);
                })
            });
        let p = plan(&builder.build());
        findings(&p, FindingKind::GroupNameMismatch)
    };
    let a = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
    let b = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
    let c = "cccccccc-cccc-cccc-cccc-cccccccccccc";
    assert_eq!(named([a, a, &a.to_ascii_uppercase()]), vec![]);
    assert_eq!(named([a, b, a]), vec![(None, Severity::Critical)]);
    assert_eq!(named([a, b, c]), vec![(None, Severity::Critical)]);
}

/// A pause is told of until its very second: at `until` it is over and no longer told of, a
/// second before it is (the cluster's, and a member's on that member).
#[test]
fn a_pause_is_told_of_until_its_very_second() {
    let told = |until: &str, member: bool| {
        let pause = Pause {
            until: at(until),
            reason: "maintenance".into(),
            by: "ops".into(),
        };
        let p = plan(
            &ClusterBuilder::healthy(3)
                .history(|h| {
                    if member {
                        h.paused_instances.insert("orders-3".into(), pause);
                    } else {
                        h.paused = Some(pause);
                    }
                })
                .build(),
        );
        findings(&p, FindingKind::Paused)
    };
    // Observed at 12:00:00.
    for (member, instance) in [(false, None), (true, Some("orders-3".to_owned()))] {
        assert_eq!(told("2026-11-30T12:00:00Z", member), vec![]);
        assert_eq!(
            told("2026-11-30T12:00:01Z", member),
            vec![(instance, Severity::Info)]
        );
    }
}

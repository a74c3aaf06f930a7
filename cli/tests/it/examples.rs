//! The documented scenarios in `docs/examples/`: each snapshot is built here with the fixture
//! builder, saved as `<name>.snapshot.json`, run through `grkeeper plan --snapshot`, and the
//! printed plan must equal `<name>.plan.json` and meet the scenario's own expectations.
//!
//! After a deliberate change, rewrite the files with `GRKEEPER_BLESS=1 cargo nextest run -p
//! grkeeper-cli examples` and review the diff: the expectations below still have to hold.

use std::path::{Path, PathBuf};
use std::process::Command;

use grkeeper::fixtures::{ClusterBuilder, GROUP, at, server_uuid};
use grkeeper::model::{MemberState, ProbeError};
use grkeeper::plan::{
    ActionKind, BootstrapPolicy, ClusterStatus, FindingKind, Guard, Mode, Outcome, PastAction,
    Pause, Plan, Severity, SplitBrain,
};

struct Scenario {
    name: &'static str,
    build: fn() -> ClusterBuilder,
    expect: fn(&Plan),
}

fn action(plan: &Plan) -> Option<(ActionKind, &str)> {
    plan.action.as_ref().map(|a| (a.kind, a.instance.as_str()))
}

fn refused(plan: &Plan) -> Vec<(ActionKind, &str, Guard)> {
    plan.refused
        .iter()
        .map(|r| (r.action, r.instance.as_str(), r.guard))
        .collect()
}

fn has(plan: &Plan, kind: FindingKind, severity: Severity) -> bool {
    plan.findings
        .iter()
        .any(|f| f.kind == kind && f.severity == severity)
}

fn message(plan: &Plan, kind: FindingKind) -> &str {
    plan.findings
        .iter()
        .find(|f| f.kind == kind)
        .map_or("", |f| f.message.as_str())
}

fn refused_probe() -> ProbeError {
    ProbeError::Refused {
        message: "Connection refused (os error 111)".into(),
    }
}

fn recent(kind: ActionKind, instance: &str, time: &str, outcome: Outcome) -> PastAction {
    PastAction {
        kind,
        instance: instance.into(),
        at: at(time),
        outcome,
        placeholders: None,
        maintenance: None,
    }
}

/// Three 9.7 members set up by AWS's procedure (two initialization GTIDs each, placeholders
/// everywhere), and a new 9.7 member orders-4 with three of its own, never joined.
fn new_9_7_member() -> ClusterBuilder {
    (1..=4)
        .fold(ClusterBuilder::healthy(4), |b, i| {
            b.version(&format!("orders-{i}"), "9.7.0")
        })
        .initialization_gtids_synced(2)
        .new_member_with_initialization_gtids("orders-4", 3)
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "healthy",
        build: || ClusterBuilder::healthy(3),
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(p.findings.is_empty() && p.refused.is_empty());
            assert_eq!(p.health.status, ClusterStatus::Ok);
        },
    },
    Scenario {
        name: "member-offline-rejoin",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .executed("orders-2", &format!("{GROUP}:1-90"))
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Rejoin, "orders-2")));
            assert_eq!(p.health.status, ClusterStatus::OkNoTolerancePartial);
        },
    },
    Scenario {
        name: "member-flapping",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .history(|h| {
                    h.departures.insert(
                        "orders-2".into(),
                        ["11:05:00", "11:25:00", "11:58:00"]
                            .map(|t| at(&format!("2026-11-30T{t}Z")))
                            .to_vec(),
                    );
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::Flapping)]
            );
            assert!(has(p, FindingKind::Flapping, Severity::Warning));
        },
    },
    Scenario {
        name: "member-stopped-by-operator",
        build: || {
            ClusterBuilder::healthy(3).stopped_by(
                "orders-2",
                "admin@10.0.3.7",
                "2026-11-30 11:20:04",
            )
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::OperatorStop)]
            );
            assert!(p.refused[0].reason.contains("admin@10.0.3.7"));
        },
    },
    Scenario {
        name: "member-stopped-by-operator-rejoin-allowed",
        build: || {
            ClusterBuilder::healthy(3)
                .stopped_by("orders-2", "admin@10.0.3.7", "2026-11-30 11:20:04")
                .policy(|p| p.rejoin_after_operator_stop = true)
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Rejoin, "orders-2"))),
    },
    Scenario {
        name: "member-expelled-by-grkeeper-rejoins",
        build: || {
            ClusterBuilder::healthy(3)
                .stopped_by("orders-3", "grkeeper@10.0.9.9", "2026-11-30 11:20:04")
                .history(|h| {
                    h.actions.push(recent(
                        ActionKind::Expel,
                        "orders-3",
                        "2026-11-30T11:20:00Z",
                        Outcome::Succeeded,
                    ));
                })
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Rejoin, "orders-3"))),
    },
    Scenario {
        name: "errant-gtids-refused",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .executed("orders-2", &format!("{GROUP}:1-100,{}:1-2", server_uuid(2)))
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::ErrantGtids)]
            );
            let errant = format!("{}:1-2", server_uuid(2));
            assert!(p.findings.iter().any(|f| f.kind == FindingKind::ErrantGtids
                && f.severity == Severity::Critical
                && f.message.contains(&errant)));
        },
    },
    Scenario {
        name: "local-gtids-refused",
        build: new_9_7_member,
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-4", Guard::LocalGtids)]
            );
            let call = format!(
                "on orders-1 (the joiner's): CALL mysql.rds_group_replication_advance_gtid(1, 3, \
                 '{}')",
                server_uuid(4)
            );
            assert!(p.findings.iter().any(|f| f.kind == FindingKind::LocalGtids
                && f.message.contains(&call)
                && f.message.contains("diverges silently")));
        },
    },
    Scenario {
        name: "local-gtids-sync-approved",
        build: || new_9_7_member().approved_sync("orders-4", None, "2026-11-30T13:00:00Z", "alice"),
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::SyncGtids, "orders-1")));
            let placeholders = p.action.as_ref().and_then(|a| a.placeholders.as_ref());
            assert_eq!(
                placeholders.map(ToString::to_string),
                Some(format!("{}:1-3", server_uuid(4)))
            );
        },
    },
    Scenario {
        name: "purged-transactions-refused",
        build: || {
            let purged = format!("{GROUP}:1-95");
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .executed("orders-2", &format!("{GROUP}:1-80"))
                .purged("orders-1", &purged)
                .purged("orders-3", &purged)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::PurgedTransactions)]
            );
            assert!(has(p, FindingKind::PurgedTransactions, Severity::Critical));
        },
    },
    Scenario {
        name: "purged-on-one-donor-only-rejoins",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .executed("orders-2", &format!("{GROUP}:1-80"))
                .purged("orders-1", &format!("{GROUP}:1-95"))
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Rejoin, "orders-2"))),
    },
    Scenario {
        name: "offline-mode-reboot",
        build: || ClusterBuilder::healthy(3).offline_mode("orders-3"),
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Reboot, "orders-3")));
            assert!(has(p, FindingKind::OfflineMode, Severity::Warning));
        },
    },
    Scenario {
        name: "error-state-reboot",
        build: || ClusterBuilder::healthy(3).error_state("orders-3"),
        expect: |p| assert_eq!(action(p), Some((ActionKind::Reboot, "orders-3"))),
    },
    Scenario {
        name: "already-rebooting",
        build: || {
            ClusterBuilder::healthy(3)
                .crashed("orders-3")
                .rds_status("orders-3", "rebooting")
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(p.refused.is_empty());
            assert!(has(p, FindingKind::InstanceChanging, Severity::Info));
        },
    },
    Scenario {
        name: "rebuild-needed-after-reboot",
        build: || {
            ClusterBuilder::healthy(3)
                .offline_mode("orders-3")
                .history(|h| {
                    h.actions.push(recent(
                        ActionKind::Reboot,
                        "orders-3",
                        "2026-11-30T11:40:00Z",
                        Outcome::Succeeded,
                    ));
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Reboot, "orders-3", Guard::RebuildNeeded)]
            );
            assert!(has(p, FindingKind::RebuildNeeded, Severity::Critical));
        },
    },
    Scenario {
        name: "stuck-recovering-expel",
        build: || {
            // RECOVERING since 10:00, and its gtid_executed has not grown since 10:30.
            ClusterBuilder::healthy(5)
                .recovering("orders-5")
                .condition_since("orders-5", "RECOVERING", "2026-11-30T10:00:00Z")
                .last_seen(
                    "orders-5",
                    "2026-11-30T10:30:00Z",
                    &format!("{GROUP}:1-100"),
                )
                .policy(|p| p.expel = true)
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Expel, "orders-5")));
            assert!(has(p, FindingKind::StuckRecovering, Severity::Warning));
        },
    },
    Scenario {
        name: "stuck-recovering-expel-disabled",
        build: || {
            ClusterBuilder::healthy(5)
                .recovering("orders-5")
                .condition_since("orders-5", "RECOVERING", "2026-11-30T10:00:00Z")
                .last_seen(
                    "orders-5",
                    "2026-11-30T10:30:00Z",
                    &format!("{GROUP}:1-100"),
                )
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Expel, "orders-5", Guard::Disabled)]
            );
        },
    },
    Scenario {
        name: "recovering-within-deadline",
        build: || {
            ClusterBuilder::healthy(3)
                .recovering("orders-3")
                .condition_since("orders-3", "RECOVERING", "2026-11-30T11:50:00Z")
                .policy(|p| p.expel = true)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(p.refused.is_empty());
        },
    },
    Scenario {
        name: "expel-would-break-majority",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-3")
                .rds_status("orders-3", "stopped")
                .unreadable(
                    "orders-3",
                    ProbeError::Refused {
                        message: "Connection refused (os error 111)".into(),
                    },
                    false,
                )
                .applier_queue("orders-2", 90_000)
                .condition_since("orders-2", "ONLINE/LAGGING", "2026-11-30T11:00:00Z")
                .policy(|p| p.expel = true)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Expel, "orders-2", Guard::Majority)]
            );
            assert!(has(p, FindingKind::ApplierLag, Severity::Warning));
        },
    },
    Scenario {
        name: "minority-partition-fenced",
        build: || {
            ClusterBuilder::healthy(5)
                .partition(&["orders-5"])
                .condition_since("orders-5", "ONLINE/MINORITY", "2026-11-30T11:55:00Z")
                .policy(|p| p.expel = true)
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Expel, "orders-5")));
            assert!(has(p, FindingKind::MinorityPartition, Severity::Critical));
        },
    },
    Scenario {
        name: "minority-partition-within-deadline",
        build: || {
            ClusterBuilder::healthy(5)
                .partition(&["orders-5"])
                .condition_since("orders-5", "ONLINE/MINORITY", "2026-11-30T11:59:30Z")
                .policy(|p| p.expel = true)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(p.refused.is_empty());
            assert!(has(p, FindingKind::MinorityPartition, Severity::Warning));
        },
    },
    Scenario {
        name: "complete-outage-bootstrap",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .executed("orders-1", &format!("{GROUP}:1-97"))
                .executed("orders-3", &format!("{GROUP}:1-99"))
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Bootstrap, "orders-2")));
            assert_eq!(p.health.status, ClusterStatus::CompleteOutage);
            assert!(has(p, FindingKind::CompleteOutage, Severity::Critical));
        },
    },
    Scenario {
        name: "complete-outage-no-superset",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .executed("orders-1", &format!("{GROUP}:1-100,{}:1", server_uuid(1)))
                .executed("orders-2", &format!("{GROUP}:1-100,{}:1", server_uuid(2)))
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(refused(p).len(), 1);
            assert_eq!(refused(p)[0].2, Guard::NoGtidSuperset);
            assert!(p.findings.iter().any(|f| {
                f.kind == FindingKind::NoGtidSuperset
                    && f.message
                        .contains(&format!("orders-1 alone has {}:1", server_uuid(1)))
            }));
        },
    },
    Scenario {
        name: "complete-outage-unobserved-member",
        build: || {
            ClusterBuilder::healthy(3).complete_outage().unreadable(
                "orders-3",
                ProbeError::Timeout {
                    during: "connect".into(),
                },
                false,
            )
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Bootstrap, "orders-1", Guard::UnobservedMember)]
            );
            assert!(has(p, FindingKind::UnobservedMember, Severity::Critical));
        },
    },
    Scenario {
        name: "complete-outage-nothing-readable",
        build: || {
            let refused = || ProbeError::Refused {
                message: "Connection refused (os error 111)".into(),
            };
            ClusterBuilder::healthy(3)
                .complete_outage()
                .unreadable("orders-1", refused(), false)
                .unreadable("orders-2", refused(), false)
                .unreadable("orders-3", refused(), false)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Bootstrap, "orders-1", Guard::UnobservedMember)]
            );
            let unobserved = p
                .findings
                .iter()
                .filter(|f| f.kind == FindingKind::UnobservedMember)
                .count();
            assert_eq!(unobserved, 3);
        },
    },
    Scenario {
        // Class 1: a member stopped in RDS may hold commits the others lack.
        name: "complete-outage-stopped-member",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .last_seen(
                    "orders-3",
                    "2026-11-30T11:40:00Z",
                    &format!("{GROUP}:1-103"),
                )
                .rds_status("orders-3", "stopped")
                .unreadable("orders-3", refused_probe(), false)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(
                    ActionKind::Bootstrap,
                    "orders-1",
                    Guard::TransactionsUnknown
                )]
            );
            let told = message(p, FindingKind::TransactionsUnknown);
            assert!(told.contains("aws rds start-db-instance --db-instance-identifier orders-3"));
            assert!(told.contains(&format!("orders-1 lacks {GROUP}:101-103")));
            assert!(told.contains(
                "grkeeper approve bootstrap --cluster orders --instance orders-1 --give-up orders-3"
            ));
        },
    },
    Scenario {
        name: "complete-outage-stopped-member-given-up",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .rds_status("orders-3", "stopped")
                .unreadable("orders-3", refused_probe(), false)
                .approved_bootstrap(None, &["orders-3"], "2026-11-30T13:00:00Z", "alice")
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Bootstrap, "orders-1")));
            assert!(has(p, FindingKind::TransactionsUnknown, Severity::Warning));
        },
    },
    Scenario {
        name: "outage-but-one-member-online",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .gr_stopped("orders-3")
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Rejoin, "orders-2")));
            assert!(p.refused.iter().all(|r| r.action != ActionKind::Bootstrap));
        },
    },
    Scenario {
        name: "quorum-lost-minority-fenced",
        build: || {
            // orders-2 and orders-3 restarted and are OFFLINE; orders-1 still sees them
            // UNREACHABLE and hangs without quorum.
            ClusterBuilder::healthy(3)
                .restarted_before_expel("orders-2")
                .restarted_before_expel("orders-3")
                .condition_since("orders-1", "ONLINE/MINORITY", "2026-11-30T11:55:00Z")
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Expel, "orders-1")));
            assert_eq!(p.health.status, ClusterStatus::NoQuorum);
            assert!(has(p, FindingKind::NoQuorum, Severity::Critical));
        },
    },
    Scenario {
        name: "quorum-lost-member-unreadable",
        build: || {
            ClusterBuilder::healthy(3)
                .restarted_before_expel("orders-2")
                .crashed("orders-3")
                .condition_since("orders-1", "ONLINE/MINORITY", "2026-11-30T11:55:00Z")
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Expel, "orders-1", Guard::UnobservedMember)]
            );
        },
    },
    Scenario {
        name: "complete-outage-certified-not-applied",
        build: || {
            // orders-1 applied fewer transactions than orders-2 but holds 101-105 certified in
            // its applier queue: it, not orders-2, holds everything the group committed.
            ClusterBuilder::healthy(3)
                .complete_outage()
                .received("orders-1", &format!("{GROUP}:101-105"))
                .executed("orders-2", &format!("{GROUP}:1-102"))
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Bootstrap, "orders-1"))),
    },
    Scenario {
        name: "complete-outage-seed-outside-inventory",
        build: || {
            let stranger = "orders-4.abcdefghijkl.us-east-1.rds.amazonaws.com:3306".to_string();
            ClusterBuilder::healthy(3)
                .complete_outage()
                .report("orders-1", |r| r.settings.group_seeds.push(stranger))
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(refused(p)[0].2, Guard::UnknownMember);
            assert!(has(p, FindingKind::UnknownMember, Severity::Critical));
        },
    },
    Scenario {
        name: "complete-outage-failed-instance",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .rds_status("orders-3", "failed")
                .unreadable("orders-3", refused_probe(), false)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(
                    ActionKind::Bootstrap,
                    "orders-1",
                    Guard::TransactionsUnknown
                )]
            );
        },
    },
    Scenario {
        name: "complete-outage-bootstrap-right-after-reboot",
        build: || {
            // orders-2 was in offline mode; its reboot (verified) brought it back OFFLINE: the
            // bootstrap is the same repair's next step, not held back by the cooldown.
            ClusterBuilder::healthy(3).complete_outage().history(|h| {
                h.actions.push(recent(
                    ActionKind::Reboot,
                    "orders-1",
                    "2026-11-30T11:58:00Z",
                    Outcome::Succeeded,
                ));
            })
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Bootstrap, "orders-1"))),
    },
    Scenario {
        name: "offline-mode-member-the-group-still-counts",
        build: || {
            // orders-1's view still lists orders-3 ONLINE: rebooting it would leave the group
            // one reachable member of three.
            ClusterBuilder::healthy(3)
                .crashed("orders-2")
                .offline_mode("orders-3")
                .also_lists("orders-1", 3, MemberState::Online)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Reboot, "orders-3", Guard::Majority)]
            );
        },
    },
    Scenario {
        name: "expel-would-break-the-group-view-quorum",
        build: || {
            // Two members the inventory does not know are UNREACHABLE in the group's view:
            // stopping the stuck orders-3 leaves 2 reachable of 4.
            let mut cluster = ClusterBuilder::healthy(3)
                .recovering("orders-3")
                .condition_since("orders-3", "RECOVERING", "2026-11-30T10:00:00Z")
                .last_seen(
                    "orders-3",
                    "2026-11-30T10:30:00Z",
                    &format!("{GROUP}:1-100"),
                )
                .policy(|p| p.expel = true);
            for viewer in ["orders-1", "orders-2", "orders-3"] {
                for stranger in [8, 9] {
                    cluster = cluster.also_lists(viewer, stranger, MemberState::Unreachable);
                }
            }
            cluster
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Expel, "orders-3", Guard::Majority)]
            );
        },
    },
    Scenario {
        name: "member-stopped-by-operator-after-grkeeper-rejoined-it",
        build: || {
            ClusterBuilder::healthy(3)
                .stopped_by("orders-3", "admin@10.0.3.7", "2026-11-30 11:50:00")
                .history(|h| {
                    h.actions.push(recent(
                        ActionKind::Expel,
                        "orders-3",
                        "2026-11-30T11:20:00Z",
                        Outcome::Succeeded,
                    ));
                    h.actions.push(recent(
                        ActionKind::Rejoin,
                        "orders-3",
                        "2026-11-30T11:25:00Z",
                        Outcome::Succeeded,
                    ));
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-3", Guard::OperatorStop)]
            );
        },
    },
    Scenario {
        name: "rds-history-unreadable",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .report("orders-2", |r| {
                    r.last_gr_call = grkeeper::model::LastGrCall::Unreadable(
                        "MySQL error 1142: SELECT command denied to user 'grkeeper'".into(),
                    );
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::OperatorStop)]
            );
            assert!(p.refused[0].reason.contains("grant SELECT"));
        },
    },
    Scenario {
        name: "rejoin-failing-repeatedly",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .history(|h| {
                    for at in ["2026-11-30T11:05:00Z", "2026-11-30T11:20:00Z"] {
                        h.actions
                            .push(recent(ActionKind::Rejoin, "orders-2", at, Outcome::Failed));
                    }
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::RepeatedFailure)]
            );
        },
    },
    Scenario {
        name: "cooldown-from-a-clock-ahead",
        build: || {
            // Another writer's clock runs two minutes ahead: its rejoin still counts as recent.
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .history(|h| {
                    h.actions.push(recent(
                        ActionKind::Rejoin,
                        "orders-2",
                        "2026-11-30T12:02:00Z",
                        Outcome::Failed,
                    ));
                })
        },
        expect: |p| {
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::Cooldown)]
            );
        },
    },
    Scenario {
        name: "split-brain",
        build: || ClusterBuilder::healthy(3).split_brain(&["orders-1"]),
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(p.health.status, ClusterStatus::SplitBrain);
            assert!(has(p, FindingKind::SplitBrain, Severity::Critical));
        },
    },
    Scenario {
        name: "version-skew-read-only",
        build: || {
            ClusterBuilder::healthy(3)
                .version("orders-3", "8.0.37")
                .super_read_only("orders-3", true)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(p.refused.is_empty());
            assert!(has(p, FindingKind::VersionSkew, Severity::Warning));
        },
    },
    Scenario {
        name: "cooldown-active",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .history(|h| {
                    h.actions.push(recent(
                        ActionKind::Rejoin,
                        "orders-2",
                        "2026-11-30T11:55:00Z",
                        Outcome::Failed,
                    ));
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::Cooldown)]
            );
        },
    },
    Scenario {
        name: "paused-cluster",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .history(|h| {
                    h.paused = Some(Pause {
                        until: at("2026-11-30T14:00:00Z"),
                        reason: "storage migration".into(),
                        by: "alice".into(),
                    });
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-2", Guard::Paused)]
            );
            assert!(has(p, FindingKind::Paused, Severity::Info));
            assert!(has(p, FindingKind::MemberOffline, Severity::Warning));
        },
    },
    Scenario {
        name: "observe-mode",
        build: || {
            ClusterBuilder::healthy(3)
                .offline_mode("orders-2")
                .policy(|p| p.mode = Mode::Observe)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Reboot, "orders-2", Guard::ObserveMode)]
            );
        },
    },
    Scenario {
        name: "bootstrap-approval-required",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .policy(|p| p.bootstrap = BootstrapPolicy::Approval)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Bootstrap, "orders-1", Guard::ApprovalRequired)]
            );
        },
    },
    Scenario {
        name: "bootstrap-approved",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .policy(|p| p.bootstrap = BootstrapPolicy::Approval)
                .approved_bootstrap(Some("orders-1"), &[], "2026-11-30T12:30:00Z", "alice")
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Bootstrap, "orders-1"))),
    },
    Scenario {
        name: "seeds-and-parameter-drift",
        build: || {
            ClusterBuilder::healthy(3)
                .report("orders-1", |r| r.settings.group_seeds.truncate(2))
                .rds("orders-2", |r| {
                    r.parameter_apply_status = Some("pending-reboot".into());
                })
                .report("orders-3", |r| {
                    r.settings.binlog_retention_hours = Some(24);
                    r.settings.exit_state_action = Some("READ_ONLY".into());
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            for kind in [
                FindingKind::SeedsDrift,
                FindingKind::ParameterPendingReboot,
                FindingKind::BinlogRetention,
                FindingKind::ExitStateActionDrift,
            ] {
                assert!(has(p, kind, Severity::Warning), "{kind:?}: {p:#?}");
            }
            let seeds = p
                .findings
                .iter()
                .find(|f| f.kind == FindingKind::SeedsDrift)
                .unwrap();
            assert_eq!(seeds.instance.as_deref(), Some("orders-1"));
            assert!(seeds.message.contains("orders-3"));
        },
    },
    Scenario {
        name: "wrong-credentials",
        build: || {
            ClusterBuilder::healthy(3).unreadable(
                "orders-2",
                ProbeError::Mysql {
                    code: 1045,
                    message: "Access denied for user 'grkeeper'@'10.0.0.9' (using password: YES)"
                        .into(),
                },
                false,
            )
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(has(p, FindingKind::AccessDenied, Severity::Critical));
        },
    },
    Scenario {
        // Class 2: three members outside the inventory hold the majority; the two grkeeper
        // sees look like a hung minority, but fencing and re-bootstrapping them would start a
        // second group.
        name: "no-quorum-beside-members-outside-the-inventory",
        build: || {
            let mut cluster = ClusterBuilder::healthy(2)
                .condition_since("orders-1", "ONLINE/MINORITY", "2026-11-30T11:50:00Z")
                .condition_since("orders-2", "ONLINE/MINORITY", "2026-11-30T11:50:00Z");
            for viewer in ["orders-1", "orders-2"] {
                for stranger in [7, 8, 9] {
                    cluster = cluster.also_lists(viewer, stranger, MemberState::Unreachable);
                }
            }
            cluster
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(p.health.status, ClusterStatus::NoQuorum);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Expel, "orders-1", Guard::UnknownMember)]
            );
            assert!(has(p, FindingKind::UnknownMember, Severity::Critical));
            assert!(message(p, FindingKind::UnknownMember).contains("ip-10-0-1-17:3306"));
        },
    },
    Scenario {
        // Class 2, after a stop: the views no longer show the member outside the inventory,
        // the journal does.
        name: "complete-outage-remembered-stranger",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .remembered_stranger(7, "2026-11-30T09:00:00Z", "2026-11-30T11:45:00Z")
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Bootstrap, "orders-1", Guard::UnknownMember)]
            );
            assert!(
                p.refused[0]
                    .reason
                    .contains(&format!("--give-up {}", server_uuid(7)))
            );
        },
    },
    Scenario {
        // Class 3: orders-4 and orders-5 were bootstrapped apart; orders-5 crashed, so orders-4
        // lacks quorum and looks like a minority partition. Its view shares no member with the
        // group's: it is a second group, and nothing is expelled or rejoined.
        name: "second-group-bootstrapped-apart",
        build: || {
            ClusterBuilder::healthy(5)
                .split_brain(&["orders-4", "orders-5"])
                .crashed("orders-5")
                .condition_since("orders-4", "ONLINE/MINORITY", "2026-11-30T11:00:00Z")
                .policy(|p| p.expel = true)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(p.refused.is_empty());
            assert_eq!(p.health.status, ClusterStatus::SplitBrain);
            assert!(
                message(p, FindingKind::SplitBrain).contains("grkeeper pause --cluster orders")
            );
        },
    },
    Scenario {
        // After a split brain (orders-3 bootstrapped apart from orders-1 and orders-2), a person
        // stopped orders-3 through RDS and started it again: it is OFFLINE, and its GTID set
        // looks like a subset of the group's while its rows differ under the same numbers.
        name: "split-brain-remembered-member-not-rejoined",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-3")
                .executed("orders-3", &format!("{GROUP}:1-95"))
                .history(|h| {
                    h.split_brain = Some(SplitBrain {
                        first_seen: at("2026-11-30T10:00:00Z"),
                        last_seen: at("2026-11-30T11:00:00Z"),
                        sides: vec![vec![server_uuid(1), server_uuid(2)], vec![server_uuid(3)]],
                    });
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-3", Guard::SplitBrain)]
            );
            assert!(has(p, FindingKind::SplitBrain, Severity::Critical));
            assert!(
                p.refused[0]
                    .reason
                    .contains("grkeeper approve rejoin --cluster orders --instance orders-3")
            );
        },
    },
    Scenario {
        // Class 4: a bootstrap of orders-2 was journaled 30 s ago; this observation may predate
        // it on a skewed clock, so it does not prove that group dead.
        name: "complete-outage-right-after-a-bootstrap",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .executed("orders-2", &format!("{GROUP}:1-90"))
                .history(|h| {
                    h.actions.push(recent(
                        ActionKind::Bootstrap,
                        "orders-2",
                        "2026-11-30T11:59:30Z",
                        Outcome::Succeeded,
                    ));
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Bootstrap, "orders-1", Guard::EarlierBootstrap)]
            );
        },
    },
    Scenario {
        // Class 5: orders-2 reports ERROR, but orders-3's view, which holds quorum only by
        // counting it, lists it OFFLINE (as peers list a joiner whose checks failed).
        name: "error-member-a-peer-still-counts",
        build: || {
            ClusterBuilder::healthy(3)
                .error_state("orders-2")
                .partition(&["orders-1"])
                .also_lists("orders-3", 2, MemberState::Offline)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Reboot, "orders-2", Guard::Majority)]
            );
        },
    },
    Scenario {
        name: "duplicate-server-uuid",
        build: || {
            ClusterBuilder::healthy(3)
                .same_uuid_as("orders-3", 2)
                .gr_stopped("orders-2")
                .gr_stopped("orders-3")
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![
                    (ActionKind::Rejoin, "orders-2", Guard::DuplicateServerUuid),
                    (ActionKind::Rejoin, "orders-3", Guard::DuplicateServerUuid)
                ]
            );
            assert!(has(p, FindingKind::DuplicateServerUuid, Severity::Critical));
        },
    },
    Scenario {
        // A snapshot of orders-2 restored into an instance outside the inventory joined the
        // group in its place while orders-2 sat in offline mode (chaos seed 1631): the views
        // list orders-2's server_uuid ONLINE at a host orders-2 never reported.
        name: "copy-outside-the-inventory",
        build: || {
            ClusterBuilder::healthy(3)
                .offline_mode("orders-2")
                .last_seen(
                    "orders-2",
                    "2026-11-30T11:50:00Z",
                    &format!("{GROUP}:1-100"),
                )
                .copy_outside("orders-2", "ip-10-0-7-99")
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(has(p, FindingKind::DuplicateServerUuid, Severity::Critical));
        },
    },
    Scenario {
        // orders-1 and orders-2 hold every transaction; orders-2 runs the lower version, so the
        // group starts from it and orders-1 joins it (read-only until upgraded) instead of
        // locking orders-2 out. orders-3 is older still and will be refused.
        name: "complete-outage-lowest-version-seed",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .version("orders-1", "8.0.37")
                .version("orders-3", "8.0.35")
                .executed("orders-3", &format!("{GROUP}:1-90"))
        },
        expect: |p| {
            assert_eq!(action(p), Some((ActionKind::Bootstrap, "orders-2")));
            assert!(
                p.action
                    .as_ref()
                    .unwrap()
                    .reason
                    .contains("orders-3 (8.0.35)")
            );
        },
    },
    Scenario {
        name: "complete-outage-seed-in-error-stopped-first",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .error_state("orders-2")
                .executed("orders-1", &format!("{GROUP}:1-90"))
                .executed("orders-3", &format!("{GROUP}:1-90"))
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Expel, "orders-2"))),
    },
    Scenario {
        name: "complete-outage-equal-seed-when-the-first-was-stopped-by-a-person",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .stopped_by("orders-1", "admin@10.0.3.7", "2026-11-30 11:20:04")
                .executed("orders-3", &format!("{GROUP}:1-90"))
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Bootstrap, "orders-2"))),
    },
    Scenario {
        // A person stopped orders-3 four seconds after grkeeper's expel: time alone would take
        // it for grkeeper's own stop; the user who made the call says otherwise.
        name: "member-stopped-by-a-person-as-grkeeper-expelled-it",
        build: || {
            ClusterBuilder::healthy(3)
                .db_user("grkeeper")
                .stopped_by("orders-3", "admin@10.0.3.7", "2026-11-30 11:20:04")
                .history(|h| {
                    h.actions.push(recent(
                        ActionKind::Expel,
                        "orders-3",
                        "2026-11-30T11:20:00Z",
                        Outcome::Succeeded,
                    ));
                })
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-3", Guard::OperatorStop)]
            );
        },
    },
    Scenario {
        name: "auto-rejoin-in-progress",
        build: || {
            ClusterBuilder::healthy(3)
                .error_state("orders-3")
                .error_log(
                    "orders-3",
                    &[
                        (
                            "2026-11-30 11:57:12.000000",
                            "Started auto-rejoin procedure attempt 2 of 3",
                        ),
                        (
                            "2026-11-30 11:52:11.000000",
                            "Auto-rejoin procedure attempt 1 of 3 finished. Member was not able to \
                         join the group.",
                        ),
                    ],
                )
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Reboot, "orders-3", Guard::AutoRejoin)]
            );
        },
    },
    Scenario {
        // orders-4 crashed and is still UNREACHABLE in the group's view: no member can join or
        // leave until it is expelled, so the rejoin of orders-5 waits.
        name: "rejoin-waits-while-a-member-is-unreachable",
        build: || {
            ClusterBuilder::healthy(5)
                .last_seen(
                    "orders-4",
                    "2026-11-30T11:58:00Z",
                    &format!("{GROUP}:1-100"),
                )
                .crashed("orders-4")
                .gr_stopped("orders-5")
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(
                refused(p),
                vec![(ActionKind::Rejoin, "orders-5", Guard::UnreachableMember)]
            );
        },
    },
    Scenario {
        name: "recovering-still-progressing",
        build: || {
            ClusterBuilder::healthy(5)
                .recovering("orders-5")
                .condition_since("orders-5", "RECOVERING", "2026-11-30T10:00:00Z")
                .last_seen("orders-5", "2026-11-30T11:59:00Z", &format!("{GROUP}:1-97"))
                .policy(|p| p.expel = true)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert!(p.refused.is_empty());
            assert!(has(p, FindingKind::StuckRecovering, Severity::Info));
        },
    },
    Scenario {
        // orders-2 left in ERROR with a stale view that still lists orders-1 ONLINE; orders-1
        // itself reports OFFLINE. No bootstrap while a view shows a live member: clear it first.
        name: "complete-outage-stale-view",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .error_state("orders-2")
                .also_lists("orders-2", 1, MemberState::Online)
        },
        expect: |p| {
            assert_eq!(p.health.status, ClusterStatus::CompleteOutage);
            assert_eq!(action(p), Some((ActionKind::Expel, "orders-2")));
            assert_eq!(
                refused(p),
                vec![(ActionKind::Bootstrap, "orders-1", Guard::StaleView)]
            );
        },
    },
    Scenario {
        // No member that could be read is live, but a view lists orders-3, which could not be
        // read, ONLINE.
        name: "no-quorum-unread-member-listed-online",
        build: || {
            ClusterBuilder::healthy(3)
                .complete_outage()
                .error_state("orders-2")
                .unreadable("orders-3", refused_probe(), false)
                .also_lists("orders-2", 3, MemberState::Online)
        },
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(p.health.status, ClusterStatus::NoQuorum);
            assert!(message(p, FindingKind::NoQuorum).contains("orders-2's view lists"));
        },
    },
    Scenario {
        name: "empty-inventory",
        build: || ClusterBuilder::healthy(0),
        expect: |p| {
            assert_eq!(action(p), None);
            assert_eq!(p.health.status, ClusterStatus::Empty);
            assert!(has(p, FindingKind::EmptyInventory, Severity::Warning));
            assert!(!has(p, FindingKind::CompleteOutage, Severity::Critical));
        },
    },
    Scenario {
        name: "reboot-budget-zero-still-rejoins",
        build: || {
            ClusterBuilder::healthy(3)
                .gr_stopped("orders-2")
                .policy(|p| p.reboot_budget = 0)
        },
        expect: |p| assert_eq!(action(p), Some((ActionKind::Rejoin, "orders-2"))),
    },
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples")
}

fn bless() -> bool {
    std::env::var_os("GRKEEPER_BLESS").is_some()
}

/// Compares `text` with the file (or writes it in bless mode).
fn check_file(path: &Path, text: &str) {
    if bless() {
        std::fs::write(path, text).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with GRKEEPER_BLESS=1)", path.display()));
    assert_eq!(
        on_disk,
        text,
        "{} is stale; rerun with GRKEEPER_BLESS=1 and review the diff",
        path.display()
    );
}

#[test]
fn every_documented_scenario_plans_as_expected_through_the_cli() {
    let dir = examples_dir();
    let mut failures = Vec::new();
    for scenario in SCENARIOS {
        let snapshot = (scenario.build)().build();
        let snapshot_path = dir.join(format!("{}.snapshot.json", scenario.name));
        check_file(
            &snapshot_path,
            &(serde_json::to_string_pretty(&snapshot).unwrap() + "\n"),
        );
        let output = Command::new(env!("CARGO_BIN_EXE_grkeeper"))
            .arg("plan")
            .arg("--snapshot")
            .arg(&snapshot_path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            scenario.name,
            String::from_utf8_lossy(&output.stderr)
        );
        let printed = String::from_utf8(output.stdout).unwrap();
        check_file(&dir.join(format!("{}.plan.json", scenario.name)), &printed);
        let plan: Plan = serde_json::from_str(&printed).unwrap();
        let checked = std::panic::catch_unwind(|| (scenario.expect)(&plan));
        if checked.is_err() {
            failures.push(scenario.name);
        }
    }
    assert!(
        failures.is_empty(),
        "scenarios failing their expectations: {failures:?}"
    );
    assert!(SCENARIOS.len() >= 15);
}

#[test]
fn every_example_file_belongs_to_a_scenario() {
    let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        let name = file
            .strip_suffix(".snapshot.json")
            .or_else(|| file.strip_suffix(".plan.json"));
        if let Some(name) = name {
            assert!(names.contains(&name), "{file} has no scenario");
        }
    }
}

#[test]
fn the_published_schema_is_the_one_the_cli_prints() {
    let output = Command::new(env!("CARGO_BIN_EXE_grkeeper"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    check_file(&examples_dir().join("../snapshot.schema.json"), &printed);
}

#[test]
fn the_published_runbook_is_the_one_the_cli_prints() {
    let output = Command::new(env!("CARGO_BIN_EXE_grkeeper"))
        .arg("runbook")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(printed.contains("## `complete_outage`") && printed.contains("| `cooldown` |"));
    check_file(&examples_dir().join("../runbook.md"), &printed);
}

#[test]
fn a_snapshot_of_another_format_is_rejected_with_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("grkeeper-format-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("future.json");
    std::fs::write(&path, r#"{"format": 2, "cluster": "orders"}"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_grkeeper"))
        .args(["plan", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("format 2 is not supported"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

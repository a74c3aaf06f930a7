//! RDS's own lifecycle seen from the control plane: the week arithmetic of maintenance windows
//! and windows open together on more members than the group can lose (property-tested over
//! random windows across the week's end, against a count of every minute of the week, with the
//! schedule the finding suggests checked to never open two together), pending
//! maintenance with its dates, automatic minor version upgrades on some members only, engine
//! versions that differ, and the seven-day stop limit (property-tested over random stop times).

use chrono::{Datelike, TimeDelta, Timelike};
use proptest::prelude::*;

use super::*;
use crate::model::{Observed, PendingMaintenance, ProbeError};
use crate::plan::guards::stamp;
use crate::plan::window::{DAY, GAP, WEEK, Window, most_open_together, staggered};

fn findings_of(plan: &Plan, kind: FindingKind) -> Vec<&Finding> {
    plan.findings.iter().filter(|f| f.kind == kind).collect()
}

fn with_windows(n: usize, windows: &[String]) -> ClusterBuilder {
    windows
        .iter()
        .enumerate()
        .fold(ClusterBuilder::healthy(n), |builder, (i, w)| {
            let w = w.clone();
            builder.rds(&format!("orders-{}", i + 1), move |r| {
                r.maintenance_window = Some(w);
            })
        })
}

/// The windows the finding's suggested commands set, in member order.
fn suggested(message: &str) -> Vec<Window> {
    message
        .split("--preferred-maintenance-window ")
        .skip(1)
        .map(|rest| {
            let text: String = rest
                .chars()
                .take_while(|c| !matches!(c, ';' | '.' | ' '))
                .collect();
            Window::parse(&text).unwrap_or_else(|| panic!("not a window: {text:?}"))
        })
        .collect()
}

#[test]
fn two_of_three_windows_open_together_lose_the_majority_and_a_stagger_is_suggested() {
    let windows = [
        "sun:05:00-sun:05:30".to_owned(),
        "sun:05:15-sun:05:45".to_owned(),
        "wed:03:00-wed:03:30".to_owned(),
    ];
    let plan = plan(&with_windows(3, &windows).build());
    let found = findings_of(&plan, FindingKind::MaintenanceWindowsOverlap);
    assert_eq!(found.len(), 1, "{plan:#?}");
    let message = &found[0].message;
    assert!(
        message.contains("orders-1 (sun:05:00-sun:05:30), orders-2 (sun:05:15-sun:05:45)")
            && message.contains("2 of 3 members are down at once")
            && !message.contains("orders-3 (wed"),
        "{message}"
    );
    let schedule = suggested(message);
    assert_eq!(
        schedule.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "sun:05:00-sun:05:30",
            "mon:05:00-mon:05:30",
            "tue:05:00-tue:05:30"
        ]
    );
    assert!(plan.action.is_none());
    // Staggered, nothing to say; two of five together are still within what five tolerate.
    let plan = plan_of(with_windows(
        3,
        &schedule.iter().map(ToString::to_string).collect::<Vec<_>>(),
    ));
    assert!(findings_of(&plan, FindingKind::MaintenanceWindowsOverlap).is_empty());
    let five = [
        windows[0].clone(),
        windows[1].clone(),
        "mon:01:00-mon:01:30".to_owned(),
    ];
    assert!(
        findings_of(
            &plan_of(with_windows(5, &five)),
            FindingKind::MaintenanceWindowsOverlap
        )
        .is_empty()
    );
}

fn plan_of(builder: ClusterBuilder) -> Plan {
    plan(&builder.build())
}

#[test]
fn windows_across_the_end_of_the_week_overlap() {
    let windows = [
        "sun:23:30-mon:00:30".to_owned(),
        "mon:00:00-mon:00:30".to_owned(),
        "thu:01:00-thu:01:30".to_owned(),
    ];
    let plan = plan_of(with_windows(3, &windows));
    assert_eq!(
        findings_of(&plan, FindingKind::MaintenanceWindowsOverlap).len(),
        1,
        "{plan:#?}"
    );
}

/// A window as RDS allows it: at least 30 minutes, here at most a day.
fn window() -> impl Strategy<Value = Window> {
    // Short windows (RDS's own are 30 minutes) often, so eight or nine of them still fit two
    // rounds a day and the second round of a stagger is drawn too.
    (0..WEEK, prop_oneof![30u32..=120, 30..=DAY])
        .prop_map(|(start, minutes)| Window { start, minutes })
}

/// Counts, minute by minute over the whole week, the windows open at once: what the
/// arithmetic must agree with.
fn most_open_by_brute_force(windows: &[Window]) -> usize {
    (0..WEEK)
        .map(|m| windows.iter().filter(|w| w.covers(m)).count())
        .max()
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn windows_read_back_as_they_are_written(window in (0..WEEK, 1..WEEK)
        .prop_map(|(start, minutes)| Window { start, minutes }))
    {
        prop_assert_eq!(Window::parse(&window.to_string()), Some(window));
    }

    #[test]
    fn overlap_is_a_shared_minute_across_the_week_end(a in window(), b in window()) {
        let shared = (0..WEEK).any(|m| a.covers(m) && b.covers(m));
        prop_assert_eq!(most_open_together(&[a, b]).len() == 2, shared);
        prop_assert_eq!(most_open_together(&[b, a]).len() == 2, shared);
    }

    #[test]
    fn the_most_open_together_are_counted_exactly(
        windows in proptest::collection::vec(window(), 0..=9),
    ) {
        let most = most_open_together(&windows);
        prop_assert_eq!(most.len(), most_open_by_brute_force(&windows));
        // The ones named are open together at some minute.
        prop_assert!((0..WEEK).any(|m| most.iter().all(|&i| windows[i].covers(m))));
    }

    #[test]
    fn a_staggered_schedule_never_opens_two_windows_together(
        windows in proptest::collection::vec(window(), 1..=9),
    ) {
        let longest = windows.iter().map(|w| w.minutes).max().unwrap();
        match staggered(&windows) {
            Some(schedule) => {
                prop_assert_eq!(most_open_by_brute_force(&schedule), 1);
                prop_assert_eq!(schedule[0], windows[0]);
                for (old, new) in windows.iter().zip(&schedule) {
                    prop_assert_eq!(old.minutes, new.minutes);
                }
            }
            None => {
                let rounds = if windows.len() > 7 { 2 } else { 1 };
                prop_assert!(rounds * (longest + GAP) > DAY);
            }
        }
    }

    #[test]
    fn the_next_opening_is_within_a_week_and_opens_the_window(
        window in window(),
        offset in 0i64..(4 * 7 * 86_400),
        nanos in prop_oneof![Just(0i64), 1i64..1_000_000_000],
    ) {
        let second = at("2026-11-30T00:00:00Z") + TimeDelta::seconds(offset);
        let now = second + TimeDelta::nanoseconds(nanos);
        let next = window.next_start(now);
        prop_assert!(next >= second && next - second < TimeDelta::days(7));
        let minute = next.weekday().num_days_from_monday() * DAY
            + next.hour() * 60 + next.minute();
        prop_assert_eq!(minute, window.start);
        prop_assert_eq!(next.second(), 0);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// The finding is raised exactly when, at some minute of the week, more windows are open
    /// than the group tolerates losing, and the schedule it suggests never opens two together.
    #[test]
    fn overlapping_windows_are_found_exactly_and_the_stagger_never_overlaps(
        windows in (3usize..=9).prop_flat_map(|n| proptest::collection::vec(window(), n)),
    ) {
        let n = windows.len();
        let texts: Vec<String> = windows.iter().map(ToString::to_string).collect();
        let plan = plan_of(with_windows(n, &texts));
        let most = most_open_by_brute_force(&windows);
        let found = findings_of(&plan, FindingKind::MaintenanceWindowsOverlap);
        prop_assert_eq!(found.len(), usize::from(most > (n - 1) / 2), "{:#?}", plan.findings);
        if let Some(finding) = found.first() {
            let schedule = suggested(&finding.message);
            if !schedule.is_empty() {
                prop_assert_eq!(schedule.len(), n);
                prop_assert_eq!(most_open_by_brute_force(&schedule), 1);
                for (old, new) in windows.iter().zip(&schedule) {
                    prop_assert_eq!(old.minutes, new.minutes);
                }
            }
        }
        prop_assert!(plan.action.is_none());
    }

    /// A member the journal saw stopped since `since` and running now was started by RDS
    /// exactly when it had been stopped for seven days; while it is stopped, the finding says
    /// when RDS will start it.
    #[test]
    fn the_seven_day_auto_start_is_told_exactly(
        stopped_for in 0i64..(14 * 86_400),
        still_stopped in any::<bool>(),
    ) {
        let now = at("2026-11-30T12:00:00Z");
        let since = now - TimeDelta::seconds(stopped_for);
        let mut builder = ClusterBuilder::healthy(3)
            .history(|h| {
                h.conditions.insert(
                    "orders-3".into(),
                    Condition { state: "STOPPED".into(), since },
                );
            });
        builder = if still_stopped {
            builder.rds_status("orders-3", "stopped").unreadable(
                "orders-3",
                ProbeError::Refused { message: "connection refused".into() },
                false,
            )
        } else {
            builder
        };
        let plan = plan_of(builder);
        let started = findings_of(&plan, FindingKind::StartedByRds);
        let expected = !still_stopped && stopped_for >= 7 * 86_400;
        prop_assert_eq!(started.len(), usize::from(expected), "{:#?}", plan.findings);
        if let Some(finding) = started.first() {
            prop_assert_eq!(finding.instance.as_deref(), Some("orders-3"));
            prop_assert!(finding.message.contains(&stamp(since)));
        }
        let stopped = findings_of(&plan, FindingKind::MemberStopped);
        prop_assert_eq!(stopped.len(), usize::from(still_stopped));
        if let Some(finding) = stopped.first() {
            let by = stamp(since + TimeDelta::days(7));
            prop_assert!(finding.message.contains(&format!("by {by}")), "{}", finding.message);
        }
    }
}

#[test]
fn the_seven_day_limit_is_exact_and_an_unread_control_plane_says_nothing() {
    let started_after = |stopped: &str, rds_failed: bool| {
        let mut builder =
            ClusterBuilder::healthy(3).condition_since("orders-2", "STOPPED", stopped);
        if rds_failed {
            builder = builder.rds_failed("orders-2", "throttled");
        }
        let plan = plan_of(builder);
        findings_of(&plan, FindingKind::StartedByRds)
            .iter()
            .map(|f| f.severity)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        started_after("2026-11-23T12:00:00Z", false),
        [Severity::Warning]
    );
    assert!(started_after("2026-11-23T12:00:01Z", false).is_empty());
    // RDS could not be read now: whether it still is stopped is unknown.
    assert!(started_after("2026-11-01T00:00:00Z", true).is_empty());
}

fn pending(action: &str) -> PendingMaintenance {
    PendingMaintenance {
        action: action.into(),
        description: "New Operating System update is available".into(),
        auto_applied_after: None,
        forced_apply: None,
        current_apply: None,
        opt_in_status: None,
    }
}

#[test]
fn pending_maintenance_is_told_per_member_with_its_dates() {
    let mut update = pending("system-update");
    update.auto_applied_after = Some(at("2026-12-01T00:00:00Z"));
    update.forced_apply = Some(at("2026-12-20T00:00:00Z"));
    let mut upgrade = pending("db-upgrade");
    upgrade.description = String::new();
    upgrade.current_apply = Some(at("2026-12-03T02:00:00Z"));
    let plan = plan_of(
        ClusterBuilder::healthy(3)
            .rds("orders-1", |r| {
                r.maintenance_window = Some("sun:05:00-sun:05:30".into());
                r.pending_maintenance = Some(Observed::Seen(vec![update]));
            })
            .rds("orders-2", |r| {
                r.pending_maintenance = Some(Observed::Seen(vec![
                    upgrade,
                    pending("ca-certificate-rotation"),
                ]));
            })
            .rds("orders-3", |r| {
                r.pending_maintenance = Some(Observed::Seen(Vec::new()))
            }),
    );
    let found = findings_of(&plan, FindingKind::PendingMaintenance);
    assert_eq!(found.len(), 2, "{plan:#?}");
    assert!(found.iter().all(|f| f.severity == Severity::Info));
    assert_eq!(found[0].instance.as_deref(), Some("orders-1"));
    assert!(
        found[0].message.contains(
            "system-update (New Operating System update is available), RDS applies it in the \
             first maintenance window after 2026-12-01T00:00:00Z, which opens \
             2026-12-06T05:00:00Z, on 2026-12-20T00:00:00Z at the latest"
        ),
        "{}",
        found[0].message
    );
    assert!(
        found[1].message.contains("db-upgrade, RDS applies it at 2026-12-03T02:00:00Z")
            && found[1].message.contains("ca-certificate-rotation (New Operating System update is available), no date: RDS applies it only when someone opts in"),
        "{}",
        found[1].message
    );
    assert!(plan.action.is_none());
    // A date already past: the next window from now, not from that date.
    let mut overdue = pending("system-update");
    overdue.auto_applied_after = Some(at("2026-11-20T00:00:00Z"));
    let plan = plan_of(ClusterBuilder::healthy(3).rds("orders-1", |r| {
        r.maintenance_window = Some("sun:05:00-sun:05:30".into());
        r.pending_maintenance = Some(Observed::Seen(vec![overdue]));
    }));
    let found = findings_of(&plan, FindingKind::PendingMaintenance);
    assert!(
        found[0]
            .message
            .contains("after 2026-11-20T00:00:00Z, which opens 2026-12-06T05:00:00Z"),
        "{}",
        found[0].message
    );
}

#[test]
fn unreadable_pending_maintenance_is_a_control_plane_error() {
    let plan = plan_of(ClusterBuilder::healthy(3).rds("orders-2", |r| {
        r.pending_maintenance = Some(Observed::Failed("AccessDenied: not authorized".into()));
    }));
    let found = findings_of(&plan, FindingKind::ControlPlaneError);
    assert_eq!(found.len(), 1, "{plan:#?}");
    assert!(
        found[0]
            .message
            .contains("rds:DescribePendingMaintenanceActions")
    );
    assert!(findings_of(&plan, FindingKind::PendingMaintenance).is_empty());
}

#[test]
fn automatic_minor_upgrades_on_some_members_only_are_found() {
    let amvu = |on: [bool; 3]| {
        on.iter()
            .enumerate()
            .fold(ClusterBuilder::healthy(3), |b, (i, &on)| {
                b.rds(&format!("orders-{}", i + 1), move |r| {
                    r.auto_minor_version_upgrade = Some(on);
                })
            })
    };
    let plan = plan_of(amvu([true, false, true]));
    let found = findings_of(&plan, FindingKind::AutoMinorVersionUpgradeMixed);
    assert_eq!(found.len(), 1, "{plan:#?}");
    assert!(
        found[0]
            .message
            .contains("on for orders-1, orders-3 and off for orders-2")
    );
    for same in [[true; 3], [false; 3]] {
        assert!(
            findings_of(
                &plan_of(amvu(same)),
                FindingKind::AutoMinorVersionUpgradeMixed
            )
            .is_empty()
        );
    }
}

#[test]
fn different_engine_versions_say_what_they_mean_for_writes() {
    let versions = |v: [&'static str; 3]| {
        v.iter()
            .enumerate()
            .fold(ClusterBuilder::healthy(3), |b, (i, &v)| {
                b.rds(&format!("orders-{}", i + 1), move |r| {
                    r.engine_version = Some(v.into())
                })
            })
    };
    let plan = plan_of(versions(["8.0.36", "8.0.37", "8.0.36"]));
    let found = findings_of(&plan, FindingKind::EngineVersionsDiffer);
    assert_eq!(found.len(), 1, "{plan:#?}");
    assert_eq!(found[0].severity, Severity::Warning);
    assert!(
        found[0]
            .message
            .contains("8.0.36 on orders-1, orders-3; 8.0.37 on orders-2")
            && found[0]
                .message
                .contains("newer than 8.0.36 (orders-2) read-only")
            && found[0]
                .message
                .contains("only orders-1, orders-3 can take writes"),
        "{}",
        found[0].message
    );
    let plan = plan_of(versions(["8.4.3", "8.4.4", "8.4.4"]));
    let found = findings_of(&plan, FindingKind::EngineVersionsDiffer);
    assert_eq!(found.len(), 1, "{plan:#?}");
    assert_eq!(found[0].severity, Severity::Info);
    assert!(found[0].message.contains("every member stays writable"));
    // 8.4 to 9.7 is not one series: the 9.7 members are read-only.
    let plan = plan_of(versions(["8.4.3", "9.7.0", "8.4.3"]));
    assert_eq!(
        findings_of(&plan, FindingKind::EngineVersionsDiffer)[0].severity,
        Severity::Warning
    );
    assert!(
        findings_of(
            &plan_of(versions(["8.0.36"; 3])),
            FindingKind::EngineVersionsDiffer
        )
        .is_empty()
    );
}

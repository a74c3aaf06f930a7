//! The version rules on one situation each: the 8.4 and 9.7 series count as one version, an
//! upgrade from 8.4 to 9.7 mixes them (newer joiners read-only, older ones refused), the version
//! finding follows the same rule, and a re-bootstrap starts from the lowest version.

use crate::fixtures::ClusterBuilder;
use crate::plan::{ActionKind, FindingKind, Guard, Plan, plan};

fn action(plan: &Plan) -> Option<(ActionKind, &str)> {
    plan.action.as_ref().map(|a| (a.kind, a.instance.as_str()))
}

fn with_versions(n: usize, versions: &[&str]) -> ClusterBuilder {
    versions
        .iter()
        .enumerate()
        .fold(ClusterBuilder::healthy(n), |b, (i, v)| {
            b.version(&format!("orders-{}", i + 1), v)
        })
}

#[test]
fn any_9_7_release_rejoins_a_9_7_group_read_write() {
    let p = plan(
        &with_versions(3, &["9.7.2", "9.7.1", "9.7.0"])
            .gr_stopped("orders-3")
            .build(),
    );
    assert_eq!(action(&p), Some((ActionKind::Rejoin, "orders-3")), "{p:#?}");
    assert!(!p.action.unwrap().reason.contains("read-only"));
}

#[test]
fn during_an_upgrade_to_9_7_an_upgraded_member_rejoins_read_only_and_an_older_one_is_refused() {
    let upgraded = plan(
        &with_versions(3, &["8.4.3", "8.4.3", "9.7.0"])
            .gr_stopped("orders-3")
            .build(),
    );
    assert_eq!(
        action(&upgraded),
        Some((ActionKind::Rejoin, "orders-3")),
        "{upgraded:#?}"
    );
    assert!(upgraded.action.unwrap().reason.contains("read-only"));

    // The group is 8.4.3 and 9.7.0: not one series any more, so 8.4.1 is older than its lowest.
    let older = plan(
        &with_versions(3, &["8.4.3", "9.7.0", "8.4.1"])
            .gr_stopped("orders-3")
            .build(),
    );
    assert_eq!(action(&older), None, "{older:#?}");
    assert_eq!(older.refused[0].guard, Guard::Version);
    assert!(older.refused[0].reason.contains("8.4.3"), "{older:#?}");

    let back_to_8_4 = plan(
        &with_versions(3, &["9.7.0", "9.7.0", "8.4.3"])
            .gr_stopped("orders-3")
            .build(),
    );
    assert_eq!(
        back_to_8_4.refused[0].guard,
        Guard::Version,
        "{back_to_8_4:#?}"
    );
}

#[test]
fn only_a_member_read_only_by_the_version_rules_is_version_skew() {
    // One series: every 8.4.x counts as one, so a read-only 8.4.3 is not held back by its version.
    let one_series = plan(
        &with_versions(3, &["8.4.1", "8.4.3", "8.4.3"])
            .super_read_only("orders-2", true)
            .build(),
    );
    assert!(
        !one_series
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::VersionSkew),
        "{one_series:#?}"
    );
    let upgrading = plan(
        &with_versions(3, &["8.4.3", "9.7.0", "8.4.3"])
            .super_read_only("orders-2", true)
            .build(),
    );
    let skew: Vec<_> = upgrading
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::VersionSkew)
        .collect();
    assert_eq!(skew.len(), 1, "{upgrading:#?}");
    assert_eq!(skew[0].instance.as_deref(), Some("orders-2"));
    assert!(skew[0].message.contains("orders-1, orders-3"), "{skew:#?}");
}

#[test]
fn a_rebootstrap_of_a_mixed_group_starts_from_its_lowest_version() {
    let p = plan(
        &with_versions(3, &["9.7.0", "8.4.3", "8.4.1"])
            .complete_outage()
            .build(),
    );
    assert_eq!(
        action(&p),
        Some((ActionKind::Bootstrap, "orders-3")),
        "{p:#?}"
    );
    // One series: the versions count as one, and the first in inventory order is taken.
    let one = plan(
        &with_versions(3, &["9.7.2", "9.7.0", "9.7.1"])
            .complete_outage()
            .build(),
    );
    assert_eq!(
        action(&one),
        Some((ActionKind::Bootstrap, "orders-1")),
        "{one:#?}"
    );
    let reason = |p: &Plan| {
        p.action
            .as_ref()
            .map(|a| a.reason.clone())
            .unwrap_or_default()
    };
    assert!(!reason(&one).contains("will be refused"), "{one:#?}");
    // A member older than the seed that does not share its series is named as locked out.
    let older = plan(
        &with_versions(3, &["8.4.3", "8.4.3", "8.0.40"])
            .complete_outage()
            .executed("orders-3", &format!("{}:1-90", crate::fixtures::GROUP))
            .build(),
    );
    assert_eq!(
        action(&older),
        Some((ActionKind::Bootstrap, "orders-1")),
        "{older:#?}"
    );
    assert!(
        reason(&older).ends_with(
            "; orders-3 (8.0.40) run an older version and will be refused until upgraded"
        ),
        "{older:#?}"
    );
}

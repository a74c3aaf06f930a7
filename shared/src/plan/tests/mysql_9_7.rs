//! MySQL 9.7 clusters on one situation each: a member in offline mode answers 9.x's error codes,
//! and a new member's RDS initialization GTIDs block its join until an approved two-way sync.

use crate::fixtures::ClusterBuilder;
use crate::model::OFFLINE_MODE_ERRORS;
use crate::plan::{ActionKind, FindingKind, Plan, plan};

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

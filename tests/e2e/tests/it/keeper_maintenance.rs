//! RDS's own lifecycle seen end to end through the AWS stand-in and the simulator's RDS: the
//! maintenance windows set in RDS open together on two of three members, RDS holds maintenance
//! for one member (`DescribePendingMaintenanceActions`, answered by the bridge from the
//! simulator's RDS model), and automatic minor version upgrades are on for some members only.
//! Each is found and told, and none is acted on.

use gr_sim::PendingMaintenance;
use grkeeper::lambda::Function;
use grkeeper_e2e::harness::{Harness, event};
use grkeeper_e2e::invoke::{Finding, findings, invoke, refused, taken};

#[tokio::test]
async fn windows_open_together_pending_maintenance_and_mixed_upgrades_are_told_not_acted_on() {
    let h = Harness::start().await.unwrap();
    let rds = aws_sdk_rds::Client::new(h.aws());
    for (id, window, auto_upgrade) in [
        ("orders-1", "sun:05:00-sun:05:30", true),
        ("orders-2", "sun:05:15-sun:05:45", true),
        ("orders-3", "wed:03:00-wed:03:30", false),
    ] {
        rds.modify_db_instance()
            .db_instance_identifier(id)
            .preferred_maintenance_window(window)
            .auto_minor_version_upgrade(auto_upgrade)
            .apply_immediately(true)
            .send()
            .await
            .unwrap();
    }
    h.sim
        .rds()
        .hold_maintenance(
            "orders-3",
            PendingMaintenance {
                action: "system-update".into(),
                description: "New Operating System update is available".into(),
                auto_applied_after: Some("2026-12-01T00:00:00Z".into()),
                ..PendingMaintenance::system_update()
            },
        )
        .unwrap();

    let deps = h.cold_start(Function::Sweep).await.unwrap();
    let summary = invoke(&deps, event("manual-sweep-instance.json").unwrap())
        .await
        .unwrap();

    assert!(taken(&summary).is_empty(), "{summary:#}");
    assert!(refused(&summary).is_empty(), "{summary:#}");
    assert_eq!(
        h.bridge.count("rds", "DescribePendingMaintenanceActions"),
        1
    );
    let found = findings(&summary);
    let of = |kind: &str| -> Vec<&Finding> { found.iter().filter(|f| f.kind == kind).collect() };
    let overlap = of("maintenance_windows_overlap");
    assert_eq!(overlap.len(), 1, "{found:#?}");
    assert!(
        overlap[0]
            .message
            .contains("orders-1 (sun:05:00-sun:05:30), orders-2 (sun:05:15-sun:05:45)")
            && overlap[0].message.contains(
                "--db-instance-identifier orders-2 --preferred-maintenance-window \
                 mon:05:00-mon:05:30"
            ),
        "{}",
        overlap[0].message
    );
    let pending = of("pending_maintenance");
    assert_eq!(pending.len(), 1, "{found:#?}");
    assert_eq!(pending[0].instance, "orders-3");
    assert!(
        pending[0].message.contains(
            "system-update (New Operating System update is available), RDS applies it in the \
             first maintenance window after 2026-12-01T00:00:00Z, which opens"
        ),
        "{}",
        pending[0].message
    );
    let upgrades = of("auto_minor_version_upgrade_mixed");
    assert_eq!(upgrades.len(), 1, "{found:#?}");
    assert!(
        upgrades[0]
            .message
            .contains("on for orders-1, orders-2 and off for orders-3")
    );
    assert!(of("control_plane_error").is_empty(), "{found:#?}");

    // The warnings page once each, as incidents of their own.
    let alerts = h.alerts().await.unwrap();
    for kind in [
        "maintenance_windows_overlap",
        "auto_minor_version_upgrade_mixed",
    ] {
        let incident = format!("orders/{kind}/cluster/");
        assert!(
            alerts
                .iter()
                .any(|a| a.attribute("incident").starts_with(&incident)),
            "no {kind} alert: {alerts:#?}"
        );
    }
    assert!(h.journaled_actions().await.unwrap().is_empty());
    assert_eq!(h.sim.truth().majority_groups()[0].online.len(), 3);
}

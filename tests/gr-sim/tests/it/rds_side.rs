//! The RDS control-plane helper: reboot / stop / start mapped onto the members, statuses over
//! time, invalid transitions, pending maintenance applied or refused, parameter changes waiting
//! for a reboot, a member kept down, and the events the AWS stand-in will publish.

use std::time::Duration;

use gr_sim::{InstanceStatus, PendingMaintenance, RdsError, Version};

use crate::support::*;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn reboot_shows_rebooting_then_available_and_the_member_rejoins_by_itself() {
    let sim = cluster(3).await;
    let rds = sim.rds();
    rds.reboot("db2").unwrap();
    assert_eq!(rds.status("db2").unwrap(), InstanceStatus::Rebooting);
    // A reboot is a clean shutdown: the group removes db2 at once, no UNREACHABLE phase.
    assert_eq!(
        states(&sim, "db1").await,
        pairs(&[("db1", "ONLINE"), ("db3", "ONLINE")])
    );
    assert!(
        bounded(mysql_async::Conn::new(opts(&sim, "db2")))
            .await
            .is_err()
    );
    sim.advance(29 * SECOND).unwrap();
    assert_eq!(rds.status("db2").unwrap(), InstanceStatus::Rebooting);
    sim.advance(SECOND).unwrap();
    assert_eq!(rds.status("db2").unwrap(), InstanceStatus::Available);
    assert_eq!(sim.truth().state("db2"), "RECOVERING");
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
    let events: Vec<(String, String)> = rds
        .events()
        .into_iter()
        .map(|e| (e.instance, e.event_id))
        .collect();
    assert_eq!(
        events,
        pairs(&[("db2", "RDS-EVENT-0004"), ("db2", "RDS-EVENT-0006")])
    );
}

#[tokio::test]
async fn stop_and_start_pass_through_stopping_stopped_starting_available() {
    let sim = cluster(3).await;
    let rds = sim.rds();
    rds.stop("db3").unwrap();
    assert_eq!(rds.status("db3").unwrap(), InstanceStatus::Stopping);
    sim.advance(30 * SECOND).unwrap();
    assert_eq!(rds.status("db3").unwrap(), InstanceStatus::Stopped);
    sim.commit("db1", 3).unwrap();
    rds.start("db3").unwrap();
    assert_eq!(rds.status("db3").unwrap(), InstanceStatus::Starting);
    sim.advance(60 * SECOND).unwrap();
    assert_eq!(rds.status("db3").unwrap(), InstanceStatus::Available);
    sim.advance(2 * SECOND).unwrap();
    assert!(sim.truth().converged());
    let ids: Vec<String> = rds.events().into_iter().map(|e| e.event_id).collect();
    assert_eq!(ids, ["RDS-EVENT-0004", "RDS-EVENT-0087", "RDS-EVENT-0088"]);
}

#[tokio::test]
async fn invalid_transitions_are_refused_with_aws_error_codes() {
    let sim = cluster(2).await;
    let rds = sim.rds();
    let err = rds.start("db1").unwrap_err();
    assert_eq!(err.code(), "InvalidDBInstanceState");
    rds.stop("db1").unwrap();
    let err = rds.reboot("db1").unwrap_err();
    assert!(matches!(
        err,
        RdsError::InvalidState {
            status: InstanceStatus::Stopping,
            ..
        }
    ));
    sim.advance(30 * SECOND).unwrap();
    assert_eq!(
        rds.reboot("db1").unwrap_err().code(),
        "InvalidDBInstanceState"
    );
    assert_eq!(rds.status("nope").unwrap_err().code(), "DBInstanceNotFound");
    assert_eq!(rds.describe().len(), 2);
    assert_eq!(rds.describe()[0].status, InstanceStatus::Stopped);
}

fn ids(sim: &gr_sim::Cluster) -> Vec<String> {
    sim.rds().events().into_iter().map(|e| e.event_id).collect()
}

#[tokio::test]
async fn an_engine_upgrade_applied_at_once_takes_the_member_down_and_back_on_its_version() {
    let sim = cluster(3).await;
    let rds = sim.rds();
    let to: Version = "8.0.40".parse().unwrap();
    rds.hold_maintenance("db2", PendingMaintenance::db_upgrade(to))
        .unwrap();
    rds.hold_maintenance("db2", PendingMaintenance::system_update())
        .unwrap();
    rds.apply_maintenance("db2", "db-upgrade", "immediate")
        .unwrap();
    assert_eq!(rds.status("db2").unwrap(), InstanceStatus::Upgrading);
    assert_eq!(sim.truth().groups[0].view, ["db1", "db3"]);
    let pending: Vec<String> = rds.describe()[1]
        .pending_maintenance
        .iter()
        .map(|p| p.action.clone())
        .collect();
    assert_eq!(pending, ["system-update"], "the upgrade is cleared");
    // Applied again while RDS works on it: refused.
    assert_eq!(
        rds.apply_maintenance("db2", "system-update", "immediate")
            .unwrap_err()
            .code(),
        "InvalidDBInstanceState"
    );
    sim.advance(30 * SECOND).unwrap();
    assert_eq!(rds.status("db2").unwrap(), InstanceStatus::Available);
    sim.advance(3 * SECOND).unwrap();
    let truth = sim.truth();
    assert_eq!(truth.member("db2").unwrap().version, "8.0.40");
    assert_eq!(truth.state("db2"), "ONLINE");
    // Newer than the rest on 8.0: read-only until every member runs it.
    assert!(truth.member("db2").unwrap().super_read_only);
    assert_eq!(rds.describe()[1].engine_version, "8.0.40");
    assert_eq!(
        ids(&sim),
        ["RDS-EVENT-0266", "RDS-EVENT-0267", "RDS-EVENT-0268"]
    );

    // The system update: `maintenance`, then back on the same version.
    rds.apply_maintenance("db2", "system-update", "immediate")
        .unwrap();
    assert_eq!(rds.status("db2").unwrap(), InstanceStatus::Maintenance);
    sim.advance(30 * SECOND).unwrap();
    assert_eq!(rds.status("db2").unwrap(), InstanceStatus::Available);
    assert_eq!(sim.truth().member("db2").unwrap().version, "8.0.40");
    assert!(rds.describe()[1].pending_maintenance.is_empty());
    assert_eq!(ids(&sim)[3..], ["RDS-EVENT-0026", "RDS-EVENT-0027"]);
}

#[tokio::test]
async fn maintenance_refused_with_rds_s_errors_and_opting_in_only_marks_the_action() {
    let sim = cluster(2).await;
    let rds = sim.rds();
    rds.hold_maintenance("db1", PendingMaintenance::system_update())
        .unwrap();
    let refused = |id, action, opt_in| {
        let error = rds.apply_maintenance(id, action, opt_in).unwrap_err();
        (error.code(), error.http_status())
    };
    assert_eq!(
        refused("db9", "system-update", "immediate"),
        ("ResourceNotFoundFault", 404)
    );
    assert_eq!(
        refused("db2", "system-update", "immediate"),
        ("InvalidParameterValue", 400),
        "nothing pending on db2"
    );
    assert_eq!(
        refused("db1", "system-update", "now"),
        ("InvalidParameterValue", 400)
    );
    rds.apply_maintenance("db1", "system-update", "next-maintenance")
        .unwrap();
    let held = &rds.describe()[0].pending_maintenance[0];
    assert_eq!(held.opt_in_status.as_deref(), Some("next-maintenance"));
    rds.apply_maintenance("db1", "system-update", "undo-opt-in")
        .unwrap();
    assert_eq!(rds.describe()[0].pending_maintenance[0].opt_in_status, None);
    assert_eq!(rds.status("db1").unwrap(), InstanceStatus::Available);
    assert!(ids(&sim).is_empty(), "nothing was applied");
}

#[tokio::test]
async fn parameters_wait_for_a_reboot_and_a_member_kept_down_stays_down_until_released() {
    let sim = cluster(3).await;
    let rds = sim.rds();
    rds.change_parameters("db3").unwrap();
    let apply_status = |rds: &gr_sim::Rds<'_>| rds.describe()[2].parameter_apply_status.clone();
    assert_eq!(apply_status(&rds), "pending-reboot");
    assert_eq!(rds.describe()[0].parameter_apply_status, "in-sync");
    rds.stays_down("db3", true).unwrap();
    rds.reboot("db3").unwrap();
    sim.advance(600 * SECOND).unwrap();
    assert_eq!(rds.status("db3").unwrap(), InstanceStatus::Rebooting);
    assert!(!sim.truth().member("db3").unwrap().up);
    assert_eq!(apply_status(&rds), "pending-reboot");
    rds.stays_down("db3", false).unwrap();
    sim.advance(3 * SECOND).unwrap();
    assert_eq!(rds.status("db3").unwrap(), InstanceStatus::Available);
    assert_eq!(apply_status(&rds), "in-sync");
    assert!(sim.truth().converged());
}

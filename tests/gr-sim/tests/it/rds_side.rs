//! The RDS control-plane helper: reboot / stop / start mapped onto the members, statuses over
//! time, invalid transitions, and the events the AWS stand-in will publish.

use std::time::Duration;

use gr_sim::{InstanceStatus, RdsError};

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

//! `inventory` and `observe_cluster` over the in-memory RDS and members.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::model::{
    Endpoint, EndpointOverrides, InstanceStatus, MemberReport, MemberState, RdsInstance, ViewMember,
};
use crate::ports::aws::AwsError;
use crate::ports::member_probe::MemoryMembers;
use crate::ports::rds::MemoryRds;

fn rds_instance(host: &str, cluster: &str) -> RdsInstance {
    RdsInstance {
        status: InstanceStatus("available".into()),
        endpoint: Some(host.into()),
        port: Some(3306),
        engine_version: Some("8.0.36".into()),
        parameter_apply_status: Some("in-sync".into()),
        maintenance_window: None,
        auto_minor_version_upgrade: None,
        pending_maintenance: None,
        tags: BTreeMap::from([("grkeeper:cluster".into(), cluster.into())]),
    }
}

fn report(uuid: &str) -> MemberReport {
    MemberReport {
        server_uuid: uuid.into(),
        hostname: "ip-10-0-0-1".into(),
        port: None,
        version: "8.0.36".into(),
        view: vec![ViewMember {
            member_id: uuid.into(),
            host: "ip-10-0-0-1".into(),
            port: 3306,
            state: MemberState::Online,
            role: "PRIMARY".into(),
            version: "8.0.36".into(),
        }],
        ..MemberReport::default()
    }
}

fn orders(instances: &[&str]) -> ClusterInventory {
    ClusterInventory {
        cluster: "orders".into(),
        instances: instances.iter().map(|i| i.to_string()).collect(),
    }
}

#[tokio::test]
async fn each_instance_gets_its_rds_record_and_its_members_report_in_inventory_order() {
    let rds = MemoryRds::new();
    rds.insert("db1", rds_instance("db1.rds", "orders"));
    rds.insert("db2", rds_instance("db2.rds", "orders"));
    let members = MemoryMembers::new();
    members.set(&Endpoint::new("db1.rds", 3306), Ok(report("uuid-1")));
    members.set(
        &Endpoint::new("db2.rds", 3306),
        Err(ProbeError::Mysql {
            code: 3032,
            message: "offline".into(),
        }),
    );
    let seen = observe_cluster(
        &rds,
        &members,
        &orders(&["db2", "db1"]),
        &EndpointOverrides::default(),
    )
    .await;
    let ids: Vec<&str> = seen.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["db2", "db1"]);
    assert!(seen[0].mysql.failed().unwrap().is_offline_mode());
    assert_eq!(seen[1].mysql.seen().unwrap().server_uuid, "uuid-1");
    assert_eq!(
        seen[1].rds.seen().unwrap().endpoint.as_deref(),
        Some("db1.rds")
    );
}

#[tokio::test]
async fn an_override_sends_the_probe_to_the_local_address() {
    let rds = MemoryRds::new();
    rds.insert("db1", rds_instance("db1.rds", "orders"));
    let members = MemoryMembers::new();
    members.set(&Endpoint::new("127.0.0.1", 33061), Ok(report("uuid-1")));
    let overrides = EndpointOverrides::new(BTreeMap::from([(
        "db1".to_owned(),
        Endpoint::new("127.0.0.1", 33061),
    )]));
    let seen = observe_cluster(&rds, &members, &orders(&["db1"]), &overrides).await;
    assert_eq!(seen[0].mysql.seen().unwrap().server_uuid, "uuid-1");
}

#[tokio::test]
async fn an_rds_outage_fails_every_record_and_leaves_members_without_address_unprobed() {
    let rds = MemoryRds::new();
    rds.fail_next(RdsError::Aws(AwsError::entry_failure(
        "RDS.DescribeDBInstances",
        Some("Throttling"),
        "Rate exceeded".into(),
    )));
    let members = MemoryMembers::new();
    members.set(&Endpoint::new("127.0.0.1", 33062), Ok(report("uuid-2")));
    let overrides = EndpointOverrides::new(BTreeMap::from([(
        "db2".to_owned(),
        Endpoint::new("127.0.0.1", 33062),
    )]));
    let seen = observe_cluster(&rds, &members, &orders(&["db1", "db2"]), &overrides).await;
    for instance in &seen {
        assert!(
            instance.rds.failed().unwrap().contains("throttled"),
            "{instance:?}"
        );
    }
    assert!(
        matches!(seen[0].mysql.failed(), Some(ProbeError::Other { message }) if message.starts_with("not probed"))
    );
    assert_eq!(seen[1].mysql.seen().unwrap().server_uuid, "uuid-2");
}

#[tokio::test]
async fn a_listed_inventory_needs_no_rds_call() {
    let rds = MemoryRds::new();
    rds.fail_next(RdsError::NotFound {
        instance: "unused".into(),
    });
    let listed = Inventory::Listed(BTreeMap::from([(
        "orders".into(),
        vec!["db2".into(), "db1".into()],
    )]));
    assert_eq!(
        inventory(&rds, &listed).await.unwrap(),
        [orders(&["db2", "db1"])]
    );
}

#[tokio::test]
async fn a_cluster_filter_keeps_the_named_clusters_and_shows_missing_ones_empty() {
    let rds = MemoryRds::new();
    rds.insert("db1", rds_instance("db1.rds", "orders"));
    rds.insert("b1", rds_instance("b1.rds", "billing"));
    let tagged = Inventory::Tagged {
        tag_key: "grkeeper:cluster".into(),
        clusters: Some(BTreeSet::from(["orders".to_owned(), "ordrs".to_owned()])),
    };
    let found = inventory(&rds, &tagged).await.unwrap();
    assert_eq!(
        found,
        [
            orders(&["db1"]),
            ClusterInventory {
                cluster: "ordrs".into(),
                instances: vec![]
            }
        ]
    );
}

//! The JSON-over-HTTP control another process uses: truth, faults, clock, RDS calls.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn http_control_reads_truth_injects_faults_moves_time_and_drives_rds() {
    let mut sim = cluster(3).await;
    let addr = sim.serve_http(0).await.unwrap();

    let (status, members) = http(addr, "GET", "/members", None).await;
    assert_eq!(status, 200);
    assert_eq!(members[1]["name"], "db2");
    assert_eq!(members[1]["addr"], sim.addr("db2").unwrap().to_string());
    assert_eq!(members[1]["password"], "secret");

    let (status, _) = http(
        addr,
        "POST",
        "/faults",
        Some(json!({"fault": "crash", "member": "db3"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, now) = http(addr, "POST", "/advance", Some(json!({"ms": 11_000}))).await;
    assert_eq!(now["now_ms"], 11_000);
    let (_, truth) = http(addr, "GET", "/truth", None).await;
    assert_eq!(truth["groups"][0]["view"], json!(["db1", "db2"]));
    assert_eq!(truth["members"][2]["up"], false);

    let (status, gtids) = http(
        addr,
        "POST",
        "/faults",
        Some(json!({"fault": "commit", "member": "db1", "count": 2})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(gtids["gtids"].as_array().unwrap().len(), 2);

    let reboot = json!({"action": "RebootDBInstance", "DBInstanceIdentifier": "db2"});
    let (status, answer) = http(addr, "POST", "/rds", Some(reboot.clone())).await;
    assert_eq!(
        (status, answer["DBInstanceStatus"].as_str()),
        (200, Some("rebooting"))
    );
    let (status, error) = http(addr, "POST", "/rds", Some(reboot)).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("InvalidDBInstanceState"))
    );
    let missing = json!({"action": "StopDBInstance", "DBInstanceIdentifier": "db9"});
    let (status, error) = http(addr, "POST", "/rds", Some(missing)).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("DBInstanceNotFound"))
    );
    let maintain = |action: &str| {
        json!({"action": "ApplyPendingMaintenanceAction", "DBInstanceIdentifier": "db1",
               "ApplyAction": action, "OptInType": "immediate"})
    };
    let (status, error) = http(addr, "POST", "/rds", Some(maintain("system-update"))).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("InvalidParameterValue")),
        "nothing pending: {error}"
    );
    let (_, instances) = http(addr, "GET", "/rds/instances", None).await;
    assert_eq!(instances[1]["status"], "rebooting");
    assert_eq!(instances[1]["parameter_apply_status"], "in-sync");
    let (_, events) = http(addr, "GET", "/rds/events", None).await;
    assert_eq!(events[0]["event_id"], "RDS-EVENT-0004");

    let (status, error) = http(
        addr,
        "POST",
        "/faults",
        Some(json!({"fault": "crash", "member": "zz"})),
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("UnknownMember"))
    );
    let (status, _) = http(addr, "GET", "/nope", None).await;
    assert_eq!(status, 404);
}

//! Each action against in-memory members and RDS: what is called, and how the verification
//! decides (verified, failed, unverified, not attempted).

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::model::{
    Endpoint, ErrorLogEntry, InstanceStatus, MemberReport, Observed, ProbeError, RdsInstance,
    ViewMember,
};
use crate::ports::clock::SystemClock;
use crate::ports::member_control::ProcedureReply;
use crate::ports::member_probe::MemoryMembers;
use crate::ports::rds::MemoryRds;

const IDS: [&str; 3] = ["db1", "db2", "db3"];

fn uuid(id: &str) -> String {
    format!("uuid-{id}")
}

fn endpoint(id: &str) -> Endpoint {
    Endpoint::new(format!("{id}.rds"), 3306)
}

fn rds_record(id: &str) -> RdsInstance {
    RdsInstance {
        status: InstanceStatus("available".into()),
        endpoint: Some(format!("{id}.rds")),
        port: Some(3306),
        engine_version: Some("8.0.36".into()),
        parameter_apply_status: None,
        maintenance_window: None,
        auto_minor_version_upgrade: None,
        pending_maintenance: None,
        tags: BTreeMap::new(),
    }
}

/// `id`'s report with `view` as (member, state) rows.
fn report(id: &str, view: &[(&str, MemberState)]) -> MemberReport {
    MemberReport {
        server_uuid: uuid(id),
        hostname: format!("ip-{id}"),
        port: None,
        version: "8.0.36".into(),
        view: view
            .iter()
            .map(|(member, state)| ViewMember {
                member_id: uuid(member),
                host: format!("ip-{member}"),
                port: 3306,
                state: *state,
                role: "PRIMARY".into(),
                version: "8.0.36".into(),
            })
            .collect(),
        ..MemberReport::default()
    }
}

use MemberState::{Error, Offline, Online, Recovering};

/// db1 and db3 ONLINE together, db2 OFFLINE on its own.
fn world() -> (MemoryMembers, MemoryRds, Vec<Instance>) {
    let members = MemoryMembers::new();
    let rds = MemoryRds::new();
    let group = [("db1", Online), ("db3", Online)];
    members.set(&endpoint("db1"), Ok(report("db1", &group)));
    members.set(&endpoint("db3"), Ok(report("db3", &group)));
    members.set(&endpoint("db2"), Ok(report("db2", &[("db2", Offline)])));
    let instances = IDS
        .iter()
        .map(|id| {
            rds.insert(*id, rds_record(id));
            Instance {
                id: id.to_string(),
                rds: Observed::Seen(rds_record(id)),
                mysql: Observed::Failed(ProbeError::Other {
                    message: "not needed".into(),
                }),
            }
        })
        .collect();
    (members, rds, instances)
}

fn action(kind: ActionKind, instance: &str) -> Action {
    Action::new(kind, instance, "test")
}

async fn run(
    kind: ActionKind,
    instance: &str,
    world: &(MemoryMembers, MemoryRds, Vec<Instance>),
) -> ActionResult {
    run_action(&action(kind, instance), world, false).await
}

/// Acts on `action` in `world` (or, `resumed`, verifies it as a pending one) with short
/// verification timings.
async fn run_action(
    action: &Action,
    world: &(MemoryMembers, MemoryRds, Vec<Instance>),
    resumed: bool,
) -> ActionResult {
    let overrides = EndpointOverrides::default();
    let context = Context {
        members: &world.0,
        rds: &world.1,
        clock: &SystemClock,
        observed: &world.2,
        overrides: &overrides,
        verification: Verification {
            timeout: Duration::from_millis(300),
            interval: Duration::from_millis(10),
        },
    };
    if resumed {
        resume(action, &context).await
    } else {
        act(action, &context).await
    }
}

fn all_online() -> [(&'static str, MemberState); 3] {
    [("db1", Online), ("db2", Online), ("db3", Online)]
}

#[tokio::test]
async fn a_rejoin_is_verified_when_the_member_is_online_with_quorum() {
    let world = world();
    world.0.on_call(|members, endpoint, _| {
        members.set(endpoint, Ok(report("db2", &all_online())));
        Ok(ProcedureReply {
            message: Some("Group Replication was started successfully".into()),
        })
    });
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert_eq!(world.0.calls(), [(endpoint("db2"), Procedure::StartJoin)]);
    assert_eq!(
        result.procedure_message.as_deref(),
        Some("Group Replication was started successfully")
    );
    assert_eq!(result.member_state, Some(Online));
}

#[tokio::test]
async fn recovering_is_progress_until_the_member_is_online() {
    let world = world();
    world.0.on_call(|members, endpoint, _| {
        members.set(
            endpoint,
            Ok(report(
                "db2",
                &[("db1", Online), ("db2", Recovering), ("db3", Online)],
            )),
        );
        let members = members.clone();
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(60)).await;
            members.set(&endpoint, Ok(report("db2", &all_online())));
        });
        Ok(ProcedureReply::default())
    });
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
}

#[tokio::test]
async fn a_member_stuck_recovering_is_unverified_at_the_deadline() {
    let world = world();
    world.0.on_call(|members, endpoint, _| {
        members.set(
            endpoint,
            Ok(report(
                "db2",
                &[("db1", Online), ("db2", Recovering), ("db3", Online)],
            )),
        );
        Ok(ProcedureReply::default())
    });
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Unverified, "{result:?}");
    assert!(result.summary.ends_with("RECOVERING"), "{}", result.summary);
    assert!(result.elapsed_ms >= 250, "{}", result.elapsed_ms);
}

#[tokio::test]
async fn a_rejected_start_fails_with_its_code_and_the_error_log_as_evidence() {
    let world = world();
    let mut offline = report("db2", &[("db2", Offline)]);
    offline.errors = vec![ErrorLogEntry {
        logged: "2026-11-30 10:00:00".into(),
        prio: "Error".into(),
        error_code: "MY-011526".into(),
        data: "This member has more executed transactions than those present in the group.".into(),
    }];
    world.0.set(&endpoint("db2"), Ok(offline));
    world.0.on_call(|_, _, _| {
        Err(CallError::Rejected(ProbeError::Mysql {
            code: 3092,
            message: "The server is not configured properly to be an active member of the group."
                .into(),
        }))
    });
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Failed);
    assert_eq!(result.error_code, Some(3092));
    assert_eq!(result.evidence[0].error_code, "MY-011526");
    assert_eq!(result.member_state, Some(Offline));
}

#[tokio::test]
async fn a_member_offline_again_after_the_start_fails_the_rejoin() {
    let world = world();
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Failed, "{result:?}");
    assert!(result.summary.ends_with("OFFLINE"), "{}", result.summary);
}

#[tokio::test]
async fn an_instance_outside_the_observation_is_never_touched() {
    let world = world();
    let result = run(ActionKind::Rejoin, "db9", &world).await;
    assert_eq!(result.verdict, Verdict::NotAttempted);
    assert!(world.0.calls().is_empty());
    let result = run(ActionKind::Reboot, "db9", &world).await;
    assert_eq!(result.verdict, Verdict::NotAttempted);
    assert!(world.1.reboots().is_empty());
}

#[tokio::test]
async fn a_call_that_could_not_be_sent_is_not_attempted() {
    let world = world();
    world.0.on_call(|_, _, _| {
        Err(CallError::NotSent(ProbeError::Timeout {
            during: "connect".into(),
        }))
    });
    let result = run(ActionKind::Expel, "db1", &world).await;
    assert_eq!(result.verdict, Verdict::NotAttempted);
    assert_eq!(result.error.as_deref(), Some("timed out during connect"));
}

#[tokio::test]
async fn an_expel_is_verified_when_the_member_is_offline_and_gone_from_the_others_views() {
    let world = world();
    world.0.on_call(|members, endpoint, _| {
        members.set(endpoint, Ok(report("db1", &[("db1", Offline)])));
        members.set(
            &self::endpoint("db3"),
            Ok(report("db3", &[("db3", Online)])),
        );
        Ok(ProcedureReply::default())
    });
    let result = run(ActionKind::Expel, "db1", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert_eq!(world.0.calls(), [(endpoint("db1"), Procedure::Stop)]);
}

#[tokio::test]
async fn an_expel_is_unverified_while_another_member_still_lists_it() {
    let world = world();
    world.0.on_call(|members, endpoint, _| {
        members.set(endpoint, Ok(report("db1", &[("db1", Offline)])));
        Ok(ProcedureReply::default())
    });
    let result = run(ActionKind::Expel, "db1", &world).await;
    assert_eq!(result.verdict, Verdict::Unverified, "{result:?}");
    assert!(
        result.summary.contains("still listed by 1"),
        "{}",
        result.summary
    );
}

#[tokio::test]
async fn a_bootstrap_is_verified_when_the_member_is_online_in_its_own_group() {
    let world = world();
    world.0.on_call(|members, endpoint, _| {
        members.set(endpoint, Ok(report("db2", &[("db2", Online)])));
        Ok(ProcedureReply::default())
    });
    let result = run(ActionKind::Bootstrap, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert_eq!(
        world.0.calls(),
        [(endpoint("db2"), Procedure::StartBootstrap)]
    );
}

/// [`world`], but the observation the action is planned on saw db2 in `ERROR` (it left the
/// group and stays there, super-read-only), and so does a probe now.
fn world_with_db2_in_error() -> (MemoryMembers, MemoryRds, Vec<Instance>) {
    let (members, rds, mut instances) = world();
    let in_error = report("db2", &[("db2", Error)]);
    members.set(&endpoint("db2"), Ok(in_error.clone()));
    instances[1].mysql = Observed::Seen(in_error);
    (members, rds, instances)
}

/// Answers like MySQL on a member in `ERROR`: a start is refused with 3093 until a stop has
/// taken it to `OFFLINE`; a start then gives `started`.
fn like_mysql_on_error(
    world: &(MemoryMembers, MemoryRds, Vec<Instance>),
    started: &'static [(&'static str, MemberState)],
) {
    world.0.on_call(move |members, endpoint, procedure| {
        if procedure == Procedure::Stop {
            members.set(endpoint, Ok(report("db2", &[("db2", Offline)])));
            return Ok(ProcedureReply::default());
        }
        let stopped = members
            .calls()
            .iter()
            .any(|(_, called)| *called == Procedure::Stop);
        if !stopped {
            return Err(CallError::Rejected(ProbeError::Mysql {
                code: 3093,
                message: "The START GROUP_REPLICATION command failed since the group is already \
                          running."
                    .into(),
            }));
        }
        members.set(endpoint, Ok(report("db2", started)));
        Ok(ProcedureReply::default())
    });
}

#[tokio::test]
async fn a_member_planned_on_in_error_is_stopped_before_it_is_rejoined() {
    let world = world_with_db2_in_error();
    like_mysql_on_error(&world, &[("db1", Online), ("db2", Online), ("db3", Online)]);
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert_eq!(
        world.0.calls(),
        [
            (endpoint("db2"), Procedure::Stop),
            (endpoint("db2"), Procedure::StartJoin)
        ]
    );
}

#[tokio::test]
async fn a_member_planned_on_in_error_is_stopped_before_it_bootstraps() {
    let world = world_with_db2_in_error();
    like_mysql_on_error(&world, &[("db2", Online)]);
    let result = run(ActionKind::Bootstrap, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert_eq!(
        world.0.calls(),
        [
            (endpoint("db2"), Procedure::Stop),
            (endpoint("db2"), Procedure::StartBootstrap)
        ]
    );
}

#[tokio::test]
async fn a_rejected_stop_of_a_member_in_error_fails_the_rejoin_and_nothing_else_is_called() {
    let world = world_with_db2_in_error();
    world.0.on_call(|_, _, _| {
        Err(CallError::Rejected(ProbeError::Mysql {
            code: 1227,
            message: "Access denied; you need (at least one of) the SUPER privilege(s)".into(),
        }))
    });
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Failed, "{result:?}");
    assert_eq!(result.error_code, Some(1227));
    assert_eq!(result.member_state, Some(Error));
    assert!(
        result
            .summary
            .starts_with("CALL mysql.rds_group_replication_stop() on db2 failed"),
        "{}",
        result.summary
    );
    assert_eq!(world.0.calls(), [(endpoint("db2"), Procedure::Stop)]);
}

#[tokio::test]
async fn a_start_not_sent_after_the_stop_of_a_member_in_error_is_a_failure_not_a_no_op() {
    let world = world_with_db2_in_error();
    world
        .0
        .on_call(|members, endpoint, procedure| match procedure {
            Procedure::Stop => {
                members.set(endpoint, Ok(report("db2", &[("db2", Offline)])));
                Ok(ProcedureReply::default())
            }
            _ => Err(CallError::NotSent(ProbeError::Timeout {
                during: "connect".into(),
            })),
        });
    let result = run(ActionKind::Rejoin, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Failed, "{result:?}");
    assert!(
        result
            .summary
            .starts_with("db2 stopped, but CALL mysql.rds_group_replication_start(0) not sent"),
        "{}",
        result.summary
    );
}

/// On reboot: after a moment the member is back (with `state`) and RDS `available`.
fn restart_on_reboot(world: &(MemoryMembers, MemoryRds, Vec<Instance>), state: MemberState) {
    let members = world.0.clone();
    world.1.on_reboot(move |rds, id| {
        let (members, rds, id) = (members.clone(), rds.clone(), id.to_owned());
        members.set(
            &endpoint(&id),
            Err(ProbeError::Refused {
                message: "connection refused".into(),
            }),
        );
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            members.set(&endpoint(&id), Ok(report(&id, &[(id.as_str(), state)])));
            rds.set_status(&id, "available");
        });
    });
}

#[tokio::test]
async fn a_reboot_is_verified_when_rds_restarts_the_instance_and_the_member_answers() {
    let world = world();
    restart_on_reboot(&world, Offline);
    let result = run(ActionKind::Reboot, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert_eq!(world.1.reboots(), ["db2"]);
    assert_eq!(result.rds_status.as_deref(), Some("available"));
    assert_eq!(result.member_state, Some(Offline));
}

#[tokio::test]
async fn a_member_back_in_error_after_a_reboot_fails_it() {
    let world = world();
    restart_on_reboot(&world, Error);
    let result = run(ActionKind::Reboot, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Failed, "{result:?}");
    assert!(result.summary.contains("ERROR"));
}

#[tokio::test]
async fn a_reboot_rds_throttles_is_not_attempted() {
    let world = world();
    world
        .1
        .fail_next(RdsError::Aws(crate::ports::aws::AwsError::entry_failure(
            "RDS.RebootDBInstance",
            Some("Throttling"),
            "Rate exceeded".into(),
        )));
    let result = run(ActionKind::Reboot, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::NotAttempted, "{result:?}");
    assert!(
        result
            .summary
            .starts_with("RebootDBInstance db2 not accepted"),
        "{}",
        result.summary
    );
    assert!(world.1.reboots().is_empty());
}

#[tokio::test]
async fn a_reboot_whose_retry_rds_answers_invalid_state_is_verified_not_dropped() {
    let world = world();
    restart_on_reboot(&world, Offline);
    // The SDK's first attempt was accepted and its reply lost; the retry finds `rebooting`.
    world.1.lose_next_reboot_reply();
    let result = run(ActionKind::Reboot, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert!(
        result
            .error
            .as_deref()
            .unwrap_or("")
            .contains("cannot do that now"),
        "{result:?}"
    );
    assert_eq!(world.1.reboots(), ["db2"]);
}

#[tokio::test]
async fn a_reboot_rds_never_shows_is_unverified() {
    let world = world();
    world.1.on_reboot(|rds, id| rds.set_status(id, "available"));
    let result = run(ActionKind::Reboot, "db2", &world).await;
    assert_eq!(result.verdict, Verdict::Unverified, "{result:?}");
    assert!(
        result
            .summary
            .contains("RDS has not shown the instance restarting")
    );
}

const JOINER_UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

fn sync_step(begin: u64, end: u64) -> Action {
    Action {
        placeholders: Some(crate::snapshot::Placeholders {
            joiner: "db2".into(),
            uuid: JOINER_UUID.into(),
            begin,
            end,
        }),
        ..action(ActionKind::SyncGtids, "db1")
    }
}

/// db1's report holding the joiner's `uuid:1-end` (none when `end` is 0).
fn db1_holding(end: u64) -> MemberReport {
    let mut db1 = report("db1", &[("db1", Online), ("db3", Online)]);
    if end > 0 {
        db1.gtid_executed = format!("{JOINER_UUID}:1-{end}").parse().unwrap();
    }
    db1
}

#[tokio::test]
async fn a_sync_step_calls_advance_gtid_once_on_its_member_and_reads_the_placeholders_back() {
    let world = world();
    world.0.on_call(|members, endpoint, _| {
        members.set(endpoint, Ok(db1_holding(3)));
        Ok(ProcedureReply::default())
    });
    let result = run_action(&sync_step(1, 3), &world, false).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    let calls = world.0.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, endpoint("db1"));
    assert_eq!(
        calls[0].1.statement(),
        format!("CALL mysql.rds_group_replication_advance_gtid(1, 3, '{JOINER_UUID}')")
    );
}

#[tokio::test]
async fn a_sync_step_whose_placeholders_never_show_is_unverified_and_an_impossible_one_not_sent() {
    let world = world();
    world.0.set(&endpoint("db1"), Ok(db1_holding(2)));
    let short = run_action(&sync_step(1, 3), &world, false).await;
    assert_eq!(short.verdict, Verdict::Unverified, "{short:?}");
    assert!(short.summary.contains(":3 not executed yet"), "{short:?}");

    let beyond = run_action(&sync_step(1, 1 << 33), &world, false).await;
    assert_eq!(beyond.verdict, Verdict::NotAttempted, "{beyond:?}");
    // A member in ERROR is never stopped first: a placeholder is no start.
    assert_eq!(world.0.calls().len(), 1);
}

#[tokio::test]
async fn a_pending_sync_step_is_verified_from_gtid_executed_without_calling_again() {
    let world = world();
    world.0.set(&endpoint("db1"), Ok(db1_holding(3)));
    let result = run_action(&sync_step(1, 3), &world, true).await;
    assert_eq!(result.verdict, Verdict::Verified, "{result:?}");
    assert!(world.0.calls().is_empty());
}

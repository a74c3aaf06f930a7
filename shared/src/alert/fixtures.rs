//! Test fixtures for alerts, topology events and metrics: plans, findings and small observed
//! clusters, built in a line each.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use crate::gtid::GtidSet;
use crate::model::{
    GrSettings, Instance, InstanceStatus, MemberReport, MemberState, Observed, ProbeError,
    RdsInstance, ViewMember,
};
use crate::plan::{
    Action, ActionKind, ClusterStatus, Finding, FindingKind, Guard, Health, Plan, Refusal, Severity,
};
use crate::snapshot::{FORMAT, Snapshot};

/// 2026-11-30T00:00:00Z plus `secs`.
pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

/// A plan for cluster `orders` with 2 of 3 members online.
pub(crate) fn plan(findings: Vec<Finding>, actions: Vec<Action>, refused: Vec<Refusal>) -> Plan {
    Plan {
        cluster: "orders".into(),
        health: Health {
            status: ClusterStatus::OkNoTolerancePartial,
            members: 3,
            online: 2,
            tolerance: 0,
        },
        actions,
        findings,
        refused,
    }
}

pub(crate) fn finding(kind: FindingKind, severity: Severity, instance: Option<&str>) -> Finding {
    Finding {
        kind,
        severity,
        instance: instance.map(str::to_owned),
        message: format!("{kind:?} seen"),
    }
}

pub(crate) fn action(kind: ActionKind, instance: &str) -> Action {
    Action {
        kind,
        instance: instance.into(),
        reason: format!("{kind:?} because the member dropped out"),
    }
}

pub(crate) fn refusal(kind: ActionKind, instance: &str, guard: Guard, reason: &str) -> Refusal {
    Refusal {
        action: kind,
        instance: instance.into(),
        guard,
        reason: reason.into(),
    }
}

/// The `server_uuid` of member `n`.
pub(crate) fn uuid(n: u8) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

/// What member `n` reports: its own state is the one its view gives it.
pub(crate) fn report(n: u8, executed: &str, view: &[(u8, MemberState)]) -> MemberReport {
    MemberReport {
        server_uuid: uuid(n),
        hostname: format!("ip-10-0-0-{n}"),
        version: "8.0.36".into(),
        read_only: false,
        super_read_only: false,
        offline_mode: false,
        gtid_executed: executed.parse().unwrap(),
        gtid_purged: GtidSet::new(),
        settings: GrSettings::default(),
        view: view
            .iter()
            .map(|&(m, state)| ViewMember {
                member_id: uuid(m),
                host: format!("ip-10-0-0-{m}"),
                port: 3306,
                state,
                role: "PRIMARY".into(),
                version: "8.0.36".into(),
            })
            .collect(),
        stats: Vec::new(),
        channels: Vec::new(),
        errors: Vec::new(),
    }
}

fn available() -> Observed<RdsInstance, String> {
    Observed::Seen(RdsInstance {
        status: InstanceStatus("available".into()),
        endpoint: None,
        port: None,
        engine_version: Some("8.0.36".into()),
        parameter_apply_status: None,
        tags: BTreeMap::new(),
    })
}

pub(crate) fn seen(id: &str, report: MemberReport) -> Instance {
    Instance {
        id: id.into(),
        rds: available(),
        mysql: Observed::Seen(report),
    }
}

pub(crate) fn unreadable(id: &str, error: ProbeError) -> Instance {
    Instance {
        id: id.into(),
        rds: available(),
        mysql: Observed::Failed(error),
    }
}

pub(crate) fn snapshot(instances: Vec<Instance>) -> Snapshot {
    Snapshot {
        format: FORMAT,
        cluster: "orders".into(),
        observed_at: at(0),
        instances,
        policy: Default::default(),
        history: Default::default(),
    }
}

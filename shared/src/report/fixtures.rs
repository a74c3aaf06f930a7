//! Test fixtures for alerts, topology events and metrics: plans, findings, actions and refusals
//! in a line each (snapshots come from [`crate::fixtures::ClusterBuilder`]).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::plan::{
    Action, ClusterStatus, Finding, FindingKind, Guard, Health, Plan, Refusal, Severity,
};

use crate::snapshot::ActionKind;

/// 2026-11-30T00:00:00Z plus `secs`.
pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    crate::fixtures::at("2026-11-30T00:00:00Z") + TimeDelta::seconds(secs)
}

/// A plan for cluster `orders` with 2 of 3 members online.
pub(crate) fn plan(findings: Vec<Finding>, action: Option<Action>, refused: Vec<Refusal>) -> Plan {
    Plan {
        cluster: "orders".into(),
        health: Health {
            status: ClusterStatus::OkNoTolerancePartial,
            members: 3,
            online: 2,
            tolerance: 0,
        },
        action,
        findings,
        refused,
        conditions: BTreeMap::new(),
        memory: Default::default(),
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

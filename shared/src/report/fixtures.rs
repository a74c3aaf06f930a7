//! Test fixtures for alerts, topology events and metrics: plans, findings, actions and refusals
//! in a line each (snapshots come from [`crate::fixtures::ClusterBuilder`]).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::plan::{
    Action, ClusterStatus, Finding, FindingKind, Guard, Health, Plan, Refusal, Severity,
};

use crate::fixtures::ClusterBuilder;
use crate::snapshot::{ActionKind, BinlogSample, Outcome, Snapshot};

use super::Step;

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
        records: None,
        roll: None,
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
    Action::new(
        kind,
        instance,
        format!("{kind:?} because the member dropped out"),
    )
}

pub(crate) fn refusal(kind: ActionKind, instance: &str, guard: Guard, reason: &str) -> Refusal {
    Refusal {
        action: kind,
        instance: instance.into(),
        guard,
        reason: reason.into(),
    }
}

/// A step at `secs` planned as `plan`, over a healthy 3-member observation (a plan written by
/// hand need not match it).
pub(crate) fn step(plan: Plan, secs: i64) -> Step {
    let mut snapshot = ClusterBuilder::healthy(3).build();
    snapshot.observed_at = at(secs);
    Step {
        snapshot,
        plan,
        taken: None,
    }
}

/// The same, with the plan's action taken and ending as `outcome`.
pub(crate) fn taken(plan: Plan, secs: i64, outcome: Outcome) -> Step {
    Step {
        taken: Some(outcome),
        ..step(plan, secs)
    }
}

/// A step as the keeper makes one: `cluster` observed at `secs`, planned by the planner.
pub(crate) fn planned(cluster: ClusterBuilder, secs: i64) -> Step {
    let mut snapshot: Snapshot = cluster.build();
    snapshot.observed_at = at(secs);
    Step {
        plan: crate::plan::plan(&snapshot),
        snapshot,
        taken: None,
    }
}

/// `cluster` with donors orders-1 and orders-3 having purged `GROUP:1-40` over the last hour
/// (samples at 11:00 and 12:00): 40 transactions an hour.
pub(crate) fn purging_40_an_hour(cluster: ClusterBuilder) -> ClusterBuilder {
    let purged = format!("{}:1-40", crate::fixtures::GROUP);
    cluster
        .purged("orders-1", &purged)
        .purged("orders-3", &purged)
        .history(|h| {
            for donor in ["orders-1", "orders-3"] {
                h.binlogs.insert(
                    donor.into(),
                    vec![
                        BinlogSample {
                            at: crate::fixtures::at("2026-11-30T11:00:00Z"),
                            purged: 0,
                        },
                        BinlogSample {
                            at: crate::fixtures::at("2026-11-30T12:00:00Z"),
                            purged: 40,
                        },
                    ],
                );
            }
        })
}

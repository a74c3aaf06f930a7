//! One tick's metrics as a CloudWatch embedded metric format (EMF) log line: CloudWatch Logs
//! extracts them into namespace `grkeeper` with dimensions `Deployment` and `Cluster` (so one
//! stack's ticks never keep another's alarms green), with no API call and no
//! permission beyond writing logs. The alarms in `infra/template.yaml` use exactly these names.
//! The keeper writes the line to standard output, where Lambda sends it to CloudWatch Logs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::plan::Plan;

/// The CloudWatch namespace.
pub const NAMESPACE: &str = "grkeeper";
/// The cluster dimension.
pub const DIMENSION: &str = "Cluster";
/// The deployment dimension (`GRKEEPER_DEPLOYMENT`, the stack name).
pub const DEPLOYMENT_DIMENSION: &str = "Deployment";
/// ONLINE members of the group holding quorum.
pub const MEMBERS_ONLINE: &str = "MembersOnline";
/// Member failures the group can tolerate.
pub const FAULT_TOLERANCE: &str = "FaultTolerance";
/// How long the tick took.
pub const TICK_DURATION: &str = "TickDuration";
/// Actions taken.
pub const ACTIONS: &str = "Actions";
/// Actions refused by a guard.
pub const REFUSALS: &str = "Refusals";
/// Ticks that planned (1 per line: `Sum` counts them; no datapoint means none got that far).
pub const TICKS: &str = "Ticks";
/// Alerts SNS rejected for good during the tick, parked in the journal.
pub const ALERTS_PARKED: &str = "AlertsParked";

/// EMF limits a dimension value to 1024 characters.
const DIMENSION_VALUE_MAX: usize = 1024;

/// What one tick of one cluster measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickMetrics {
    /// The cluster (the dimension value).
    pub cluster: String,
    /// Wall-clock time of the tick.
    pub duration: Duration,
    /// The cluster's health, when the tick got as far as planning.
    pub health: Option<TickHealth>,
}

/// The part of a tick's metrics that needs a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickHealth {
    /// ONLINE members of the quorum group.
    pub members_online: u32,
    /// Failures the group tolerates.
    pub fault_tolerance: u32,
    /// Actions taken.
    pub actions: u32,
    /// Actions refused.
    pub refusals: u32,
    /// Alerts parked.
    pub alerts_parked: u32,
}

impl TickMetrics {
    /// A tick that planned: health and refusals from its last `plan` (the cluster as the tick
    /// left it), the `actions` it took on the way and the alerts it had to park.
    pub fn planned(
        plan: &Plan,
        actions: usize,
        alerts_parked: usize,
        duration: Duration,
    ) -> TickMetrics {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        TickMetrics {
            cluster: plan.cluster.clone(),
            duration,
            health: Some(TickHealth {
                members_online: plan.health.online,
                fault_tolerance: plan.health.tolerance,
                actions: count(actions),
                refusals: count(plan.refused.len()),
                alerts_parked: count(alerts_parked),
            }),
        }
    }

    /// A tick that stopped before planning (lease held, journal or observation failed): only
    /// `TickDuration`. `Ticks` counts ticks that got as far as a plan, so the "ticks not running"
    /// alarm also fires when every tick fails, and no alarm reads a made-up health.
    pub fn unplanned(cluster: &str, duration: Duration) -> TickMetrics {
        TickMetrics {
            cluster: cluster.to_owned(),
            duration,
            health: None,
        }
    }

    /// The EMF document for these metrics of `deployment`, stamped `at`, as one line of JSON.
    pub fn to_emf(&self, deployment: &str, at: DateTime<Utc>) -> String {
        let duration_ms = u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX);
        let mut values: Vec<(&str, &str, u64)> = vec![(TICK_DURATION, "Milliseconds", duration_ms)];
        if let Some(h) = self.health {
            values.extend([
                (TICKS, "Count", 1),
                (MEMBERS_ONLINE, "Count", u64::from(h.members_online)),
                (FAULT_TOLERANCE, "Count", u64::from(h.fault_tolerance)),
                (ACTIONS, "Count", u64::from(h.actions)),
                (REFUSALS, "Count", u64::from(h.refusals)),
                (ALERTS_PARKED, "Count", u64::from(h.alerts_parked)),
            ]);
        }
        let definitions: Vec<Value> = values
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
            .collect();
        let mut root = Map::new();
        root.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": at.timestamp_millis(),
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [[DEPLOYMENT_DIMENSION, DIMENSION]],
                    "Metrics": definitions,
                }],
            }),
        );
        let cluster: String = self.cluster.chars().take(DIMENSION_VALUE_MAX).collect();
        root.insert(DIMENSION.to_owned(), Value::String(cluster));
        let deployment: String = deployment.chars().take(DIMENSION_VALUE_MAX).collect();
        root.insert(DEPLOYMENT_DIMENSION.to_owned(), Value::String(deployment));
        for (name, _, value) in values {
            root.insert(name.to_owned(), Value::from(value));
        }
        Value::Object(root).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Guard;
    use crate::report::fixtures::{action, at, plan, refusal};
    use crate::snapshot::ActionKind;

    /// The EMF specification's rules, checked on a document: `_aws` with an integer
    /// `Timestamp` and `CloudWatchMetrics`; each directive with `Namespace`, `Dimensions`
    /// (string targets of at most 1024 characters, at most 30 per set) and `Metrics` (at most
    /// 100, each naming a numeric root member, with a valid unit).
    fn check_emf(line: &str) -> Value {
        const UNITS: &[&str] = &["Count", "Milliseconds", "Seconds", "None"];
        assert!(!line.contains('\n'), "one line");
        let doc: Value = serde_json::from_str(line).unwrap();
        let aws = &doc["_aws"];
        assert!(aws["Timestamp"].is_i64());
        for directive in aws["CloudWatchMetrics"].as_array().unwrap() {
            assert!(!directive["Namespace"].as_str().unwrap().is_empty());
            for set in directive["Dimensions"].as_array().unwrap() {
                let set = set.as_array().unwrap();
                assert!(set.len() <= 30);
                for key in set {
                    let value = doc[key.as_str().unwrap()].as_str().unwrap();
                    assert!(value.chars().count() <= 1024);
                }
            }
            let metrics = directive["Metrics"].as_array().unwrap();
            assert!(metrics.len() <= 100);
            for metric in metrics {
                assert!(
                    doc[metric["Name"].as_str().unwrap()].is_number(),
                    "{metric}"
                );
                assert!(
                    UNITS.contains(&metric["Unit"].as_str().unwrap()),
                    "{metric}"
                );
            }
        }
        doc
    }

    #[test]
    fn a_planned_tick_reports_every_metric_the_alarms_use() {
        let mut p = plan(
            vec![],
            Some(action(ActionKind::Rejoin, "db2")),
            vec![refusal(
                ActionKind::Reboot,
                "db3",
                Guard::Cooldown,
                "cooling",
            )],
        );
        p.health.online = 2;
        p.health.tolerance = 0;
        let line =
            TickMetrics::planned(&p, 1, 2, Duration::from_millis(1234)).to_emf("grkeeper-a", at(0));
        let doc = check_emf(&line);
        assert_eq!(doc["_aws"]["Timestamp"], at(0).timestamp_millis());
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "grkeeper");
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Deployment", "Cluster"]])
        );
        assert_eq!(doc["Cluster"], "orders");
        assert_eq!(doc["Deployment"], "grkeeper-a");
        for (name, value) in [
            (TICKS, 1),
            (TICK_DURATION, 1234),
            (MEMBERS_ONLINE, 2),
            (FAULT_TOLERANCE, 0),
            (ACTIONS, 1),
            (REFUSALS, 1),
            (ALERTS_PARKED, 2),
        ] {
            assert_eq!(doc[name], value, "{name}");
        }
        let duration_unit = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["Name"] == TICK_DURATION)
            .map(|m| m["Unit"].clone());
        assert_eq!(duration_unit, Some(json!("Milliseconds")));
    }

    #[test]
    fn a_tick_that_did_not_plan_reports_only_its_duration() {
        let line =
            TickMetrics::unplanned("orders", Duration::from_millis(40)).to_emf("grkeeper", at(0));
        let doc = check_emf(&line);
        let names: Vec<&str> = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec![TICK_DURATION]);
        assert!(doc.get(MEMBERS_ONLINE).is_none());
    }

    #[test]
    fn a_cluster_name_longer_than_emf_allows_is_cut_to_1024_characters() {
        let line =
            TickMetrics::unplanned(&"é".repeat(2000), Duration::ZERO).to_emf("grkeeper", at(0));
        check_emf(&line);
    }
}

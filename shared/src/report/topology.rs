//! Topology events: what other automation (proxy routing, DNS weights, dashboards) follows
//! instead of polling the members. A member changing state, an action taken or refused, and an
//! incident's transition each become one event with `source` `grkeeper` on an EventBridge bus.
//!
//! Building the events is pure ([`member_changes`], [`action_events`], [`incident_events`]);
//! a [`TopologyBus`](crate::ports::topology_bus::TopologyBus) only delivers them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::untrusted::{KEPT, clean};
use crate::plan::{Action, FindingKind, Guard, Plan, Severity};
use crate::report::{Change, Transition};
use crate::snapshot::{ActionKind, Condition, Outcome, Snapshot};

/// The events' `source`.
pub const SOURCE: &str = "grkeeper";

/// One topology event: its detail-type is the variant, its detail the fields. What members
/// supplied (member ids, the text of reasons that quote them) is cleaned
/// ([`untrusted`](crate::model::untrusted)): one line, no control characters, bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopologyEvent {
    /// `GR Member State Change`: a member's condition label changed (`ONLINE` -> `OFFLINE`).
    MemberStateChange(MemberStateChange),
    /// `GR Action`: grkeeper took an action, or a guard refused one.
    Action(ActionEvent),
    /// `GR Incident`: an incident opened, changed or resolved.
    Incident(IncidentEvent),
}

/// Detail of `GR Member State Change`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStateChange {
    /// The cluster.
    pub cluster: String,
    /// The RDS instance.
    pub instance: String,
    /// Its `server_uuid`, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// The label before; absent the first time grkeeper sees the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_state: Option<String>,
    /// The label now (`ONLINE`, `RECOVERING`, `OFFLINE`, `ERROR`, `OFFLINE_MODE`, ...).
    pub new_state: String,
    /// When the new label was first seen.
    pub since: DateTime<Utc>,
}

/// Detail of `GR Action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionEvent {
    /// The cluster.
    pub cluster: String,
    /// The instance acted on.
    pub instance: String,
    /// The action.
    pub action: ActionKind,
    /// `succeeded`, `failed` or `pending` when taken; `refused` when a guard stopped it.
    pub outcome: ActionOutcome,
    /// The guard that refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Guard>,
    /// Why it was taken, or why not.
    pub reason: String,
}

/// How an action event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    /// Taken; verification not finished.
    Pending,
    /// Taken and verified.
    Succeeded,
    /// Taken; the call failed or verification timed out.
    Failed,
    /// Planned, but the call never went out or the API did not take it.
    NotAttempted,
    /// Not taken: a guard stopped it.
    Refused,
}

/// Detail of `GR Incident`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentEvent {
    /// The cluster.
    pub cluster: String,
    /// The incident id.
    pub incident: String,
    /// `opened`, `updated` or `resolved`.
    pub transition: Change,
    /// The incident's severity.
    pub severity: Severity,
    /// What the incident is about.
    pub kind: FindingKind,
    /// The instance, for a member incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl TopologyEvent {
    /// The EventBridge `DetailType`.
    pub fn detail_type(&self) -> &'static str {
        match self {
            TopologyEvent::MemberStateChange(_) => "GR Member State Change",
            TopologyEvent::Action(_) => "GR Action",
            TopologyEvent::Incident(_) => "GR Incident",
        }
    }

    /// The EventBridge `Detail` (a JSON object).
    pub fn detail(&self) -> serde_json::Result<String> {
        match self {
            TopologyEvent::MemberStateChange(detail) => serde_json::to_string(detail),
            TopologyEvent::Action(detail) => serde_json::to_string(detail),
            TopologyEvent::Incident(detail) => serde_json::to_string(detail),
        }
    }
}

/// One event per instance whose condition label differs between `previous` and `next` (the
/// conditions before and after this tick's observation), with its member id from `snapshot`.
pub fn member_changes(
    previous: &BTreeMap<String, Condition>,
    next: &BTreeMap<String, Condition>,
    snapshot: &Snapshot,
) -> Vec<TopologyEvent> {
    next.iter()
        .filter(|(instance, now)| {
            previous
                .get(*instance)
                .is_none_or(|before| before.state != now.state)
        })
        .map(|(instance, now)| {
            let member_id = snapshot
                .instances
                .iter()
                .find(|i| i.id == *instance)
                .and_then(|i| i.mysql.seen())
                .map(|report| clean(&report.server_uuid, KEPT));
            TopologyEvent::MemberStateChange(MemberStateChange {
                cluster: snapshot.cluster.clone(),
                instance: instance.clone(),
                member_id,
                old_state: previous.get(instance).map(|before| before.state.clone()),
                new_state: now.state.clone(),
                since: now.since,
            })
        })
        .collect()
}

/// One event per action taken (with the outcome the keeper recorded) and per refusal in `plan`.
pub fn action_events(plan: &Plan, taken: &[(Action, Outcome)]) -> Vec<TopologyEvent> {
    let taken = taken.iter().map(|(action, outcome)| ActionEvent {
        cluster: plan.cluster.clone(),
        instance: action.instance.clone(),
        action: action.kind,
        outcome: match outcome {
            Outcome::Pending => ActionOutcome::Pending,
            Outcome::Succeeded => ActionOutcome::Succeeded,
            Outcome::Failed => ActionOutcome::Failed,
            Outcome::NotAttempted => ActionOutcome::NotAttempted,
        },
        guard: None,
        reason: clean(&action.reason, KEPT),
    });
    let refused = plan.refused.iter().map(|refusal| ActionEvent {
        cluster: plan.cluster.clone(),
        instance: refusal.instance.clone(),
        action: refusal.action,
        outcome: ActionOutcome::Refused,
        guard: Some(refusal.guard),
        reason: clean(&refusal.reason, KEPT),
    });
    taken.chain(refused).map(TopologyEvent::Action).collect()
}

/// One event per incident transition.
pub fn incident_events(cluster: &str, transitions: &[Transition]) -> Vec<TopologyEvent> {
    transitions
        .iter()
        .map(|t| {
            TopologyEvent::Incident(IncidentEvent {
                cluster: cluster.to_owned(),
                incident: t.incident.id.clone(),
                transition: t.change,
                severity: t.incident.severity,
                kind: t.incident.kind,
                instance: t.incident.instance.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ClusterBuilder, server_uuid};
    use crate::report::fixtures::{action, at, finding, plan, refusal, step};
    use crate::report::reconcile;

    fn condition(state: &str, since: i64) -> Condition {
        Condition {
            state: state.into(),
            since: at(since),
        }
    }

    #[test]
    fn a_changed_or_new_label_is_a_state_change_and_an_unchanged_one_is_not() {
        let previous = BTreeMap::from([
            ("orders-1".to_owned(), condition("ONLINE", -600)),
            ("orders-2".to_owned(), condition("ONLINE", -600)),
        ]);
        let next = BTreeMap::from([
            ("orders-1".to_owned(), condition("ONLINE", -600)),
            ("orders-2".to_owned(), condition("OFFLINE", 0)),
            ("orders-3".to_owned(), condition("RECOVERING", 0)),
        ]);
        let s = ClusterBuilder::healthy(3).crashed("orders-3").build();
        let events = member_changes(&previous, &next, &s);
        let summary: Vec<(String, Option<String>, String, Option<String>)> = events
            .iter()
            .map(|e| match e {
                TopologyEvent::MemberStateChange(c) => (
                    c.instance.clone(),
                    c.old_state.clone(),
                    c.new_state.clone(),
                    c.member_id.clone(),
                ),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "orders-2".into(),
                    Some("ONLINE".into()),
                    "OFFLINE".into(),
                    Some(server_uuid(2))
                ),
                ("orders-3".into(), None, "RECOVERING".into(), None),
            ]
        );
    }

    #[test]
    fn taken_and_refused_actions_are_action_events_with_their_outcome() {
        let p = plan(
            vec![],
            None,
            vec![refusal(
                ActionKind::Reboot,
                "db3",
                Guard::RebootBudget,
                "2 reboots in the last hour",
            )],
        );
        let events = action_events(
            &p,
            &[(action(ActionKind::Rejoin, "db2"), Outcome::Succeeded)],
        );
        let outcomes: Vec<(&str, ActionOutcome, Option<Guard>)> = events
            .iter()
            .map(|e| match e {
                TopologyEvent::Action(a) => (a.instance.as_str(), a.outcome, a.guard),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            outcomes,
            vec![
                ("db2", ActionOutcome::Succeeded, None),
                ("db3", ActionOutcome::Refused, Some(Guard::RebootBudget)),
            ]
        );
    }

    #[test]
    fn an_incident_transition_is_an_incident_event_with_the_documented_detail() {
        let p = plan(
            vec![finding(
                FindingKind::MemberOffline,
                Severity::Critical,
                Some("db2"),
            )],
            None,
            vec![],
        );
        let (transitions, _) = reconcile(&[], &[step(p.clone(), 0)]);
        let events = incident_events(&p.cluster, &transitions);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].detail_type(), "GR Incident");
        let detail: serde_json::Value = serde_json::from_str(&events[0].detail().unwrap()).unwrap();
        assert_eq!(
            detail,
            serde_json::json!({
                "cluster": "orders",
                "incident": "orders/member_offline/db2/20261130T000000Z",
                "transition": "opened",
                "severity": "critical",
                "kind": "member_offline",
                "instance": "db2",
            })
        );
    }
}

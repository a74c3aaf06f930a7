//! The incident lifecycle as a pure function: the incidents open before a tick and the tick's
//! steps in, at most one transition per incident and the incidents still open out, as
//! PagerDuty keeps one incident per problem and folds updates into it.
//!
//! Each step is grouped into problems (`grouping`) and compared with the incidents as they
//! were; the steps' changes are then folded per incident: opened and then updated is opened,
//! anything and then resolved is resolved, so a member that dropped out and was rejoined within
//! one tick is one "resolved" message telling what grkeeper did, and an outage repaired step by
//! step is one message, not one per step. An incident is updated only when what a person should
//! do changes: its severity, the finding heading it, an action for it failing, or a refusal
//! that needs a person and was not told yet. A steady state, however bad, publishes nothing
//! after its first message.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::plan::{Finding, FindingKind, Refusal};
use crate::snapshot::Outcome;

use super::grouping::{Group, Scope, asks_a_person, groups, is_condition};
use super::{Change, Incident, RefusalKey, Step, Taken, Transition, Why, wire_name};

/// Decides what to publish for a tick's `steps` given the incidents open before it. Returns
/// the transitions in the order their incidents first changed, and the incidents still open.
pub fn reconcile(previous: &[Incident], steps: &[Step]) -> (Vec<Transition>, Vec<Incident>) {
    let mut open = previous.to_vec();
    let mut folded: Vec<Folded> = Vec::new();
    for step in steps {
        let (changes, next) = one_step(&open, step);
        for change in changes {
            let before = previous.iter().find(|i| i.id == change.incident.id);
            fold(&mut folded, change, before);
        }
        open = next;
    }
    let transitions = folded
        .into_iter()
        .filter_map(|f| {
            let change = f.change?;
            Some(Transition {
                change,
                // Updates between steps were never told: a resolution ends it as last published.
                incident: if change == Change::Resolved {
                    f.published
                } else {
                    f.incident
                },
                why: f.why,
                actions: f.actions,
                findings: f.findings,
                refused: f.refused,
                within_tick: f.opened_here && f.change == Some(Change::Resolved),
            })
        })
        .collect();
    (transitions, open)
}

/// What one step did to one incident.
struct StepChange {
    change: Option<Change>,
    incident: Incident,
    why: Vec<Why>,
    taken: Option<Taken>,
    findings: Vec<Finding>,
    refused: Vec<Refusal>,
}

/// One incident's changes over the steps so far.
struct Folded {
    change: Option<Change>,
    opened_here: bool,
    /// As it was last published: before the tick, or as this tick opened it. A resolution
    /// tells of that, not of changes between steps nobody was told about.
    published: Incident,
    incident: Incident,
    why: Vec<Why>,
    actions: Vec<Taken>,
    findings: Vec<Finding>,
    refused: Vec<Refusal>,
}

fn fold(folded: &mut Vec<Folded>, step: StepChange, before: Option<&Incident>) {
    let Some(kept) = folded
        .iter_mut()
        .find(|f| f.incident.id == step.incident.id)
    else {
        folded.push(Folded {
            opened_here: step.change == Some(Change::Opened),
            change: step.change,
            published: before.cloned().unwrap_or_else(|| step.incident.clone()),
            incident: step.incident,
            why: step.why,
            actions: step.taken.into_iter().collect(),
            findings: step.findings,
            refused: step.refused,
        });
        return;
    };
    kept.change = match (kept.change, step.change) {
        (_, Some(Change::Resolved)) => Some(Change::Resolved),
        (Some(Change::Opened), _) => Some(Change::Opened),
        (before, None) => before,
        (_, now) => now,
    };
    for why in step.why {
        tell(&mut kept.why, why);
    }
    // Steps that undid each other's changes (critical for a step, warning again after the
    // action) leave nothing to tell.
    if kept.change == Some(Change::Updated) && kept.why.is_empty() {
        kept.change = None;
    }
    kept.actions.extend(step.taken);
    kept.incident = step.incident;
    // What it was made of, as last seen while it lasted.
    if step.change != Some(Change::Resolved) {
        kept.findings = step.findings;
        kept.refused = step.refused;
    }
}

/// Adds `why` to what a tick tells about one incident: a severity or lead change nets with the
/// one an earlier step of the tick told (from its first `from` to the last `to`, nothing when
/// they are equal); the other reasons are told once each.
fn tell(told: &mut Vec<Why>, why: Why) {
    let netted = told.iter_mut().find_map(|earlier| match (earlier, &why) {
        (Why::Severity { from, to }, Why::Severity { to: now, .. }) => {
            *to = *now;
            Some(*from == *now)
        }
        (Why::Lead { from, to }, Why::Lead { to: now, .. }) => {
            *to = *now;
            Some(*from == *now)
        }
        _ => None,
    });
    match netted {
        None if !told.contains(&why) => told.push(why),
        Some(true) => {
            told.retain(|w| std::mem::discriminant(w) != std::mem::discriminant(&why));
        }
        None | Some(false) => {}
    }
}

/// One step: each problem matched with its open incident (opened, updated, carried or
/// inhibited), and every open incident without a problem resolved.
fn one_step(open: &[Incident], step: &Step) -> (Vec<StepChange>, Vec<Incident>) {
    let now = step.snapshot.observed_at;
    let plan = &step.plan;
    let mut remaining: Vec<&Incident> = open.iter().collect();
    let mut changes = Vec::new();
    let mut next = Vec::new();
    let taken = step.taken.and_then(|outcome| {
        plan.action.as_ref().map(|action| Taken {
            action: action.clone(),
            outcome,
        })
    });
    let mut taken_unclaimed = taken;
    for group in groups(plan, &step.snapshot, open) {
        let refused: Vec<Refusal> = group.refusals(plan).into_iter().cloned().collect();
        let person: BTreeSet<RefusalKey> = refused
            .iter()
            .filter(|r| asks_a_person(r.guard))
            .map(|r| RefusalKey {
                action: r.action,
                guard: r.guard,
            })
            .collect();
        let ours = taken_unclaimed.take_if(|t| group.claims(&t.action));
        let before = remaining
            .iter()
            .position(|i| Scope::of(i) == group.scope)
            .map(|at| remaining.remove(at));
        let findings: Vec<Finding> = group.findings.iter().map(|f| (*f).clone()).collect();
        let (change, incident, why) = match (before, group.lead) {
            (None, None) => continue,
            (None, Some(lead)) => (
                Some(Change::Opened),
                opened(&plan.cluster, &group, lead, person, now),
                Vec::new(),
            ),
            (Some(before), _) => {
                let incident = carried(before, &group, &person);
                let why = news(before, &incident, &person, ours.as_ref());
                if why.is_empty() || group.inhibited {
                    // Not told: the incident stays as last published, but for its members
                    // (who is still out decides when it ends).
                    let mut kept = before.clone();
                    kept.members = incident.members.clone();
                    (None, kept, Vec::new())
                } else {
                    let mut incident = incident;
                    incident.updated = now;
                    (Some(Change::Updated), incident, why)
                }
            }
        };
        next.push(incident.clone());
        changes.push(StepChange {
            change,
            incident,
            why,
            taken: ours,
            findings,
            refused,
        });
    }
    // What is left was open before and is not seen any more.
    for incident in remaining {
        changes.push(StepChange {
            change: Some(Change::Resolved),
            incident: incident.clone(),
            why: Vec::new(),
            taken: None,
            findings: Vec::new(),
            refused: Vec::new(),
        });
    }
    (changes, next)
}

fn opened(
    cluster: &str,
    group: &Group<'_>,
    lead: &Finding,
    refusals: BTreeSet<RefusalKey>,
    now: DateTime<Utc>,
) -> Incident {
    let instance = match &group.scope {
        Scope::Cluster => None,
        Scope::Member(instance) => Some(instance.clone()),
        Scope::Finding(_, instance) => instance.clone(),
    };
    Incident {
        id: incident_id(cluster, lead.kind, instance.as_deref(), now),
        kind: lead.kind,
        instance,
        lead: None,
        severity: group.severity,
        message: lead.message.clone(),
        members: group.members.clone(),
        opened: now,
        updated: now,
        refusals,
    }
}

/// `before` as `group` has it now: its severity, the finding heading it, its members and
/// message; the refusals told so far and those that ask a person now.
fn carried(before: &Incident, group: &Group<'_>, person: &BTreeSet<RefusalKey>) -> Incident {
    let mut incident = before.clone();
    incident.severity = group.severity;
    incident.members = group.members.clone();
    if let Some(lead) = group.lead {
        incident.message = lead.message.clone();
        if group.scope == Scope::Cluster && !is_condition(lead) {
            incident.lead = Some(lead.kind);
        } else {
            incident.kind = lead.kind;
            incident.lead = None;
        }
    }
    incident.refusals.extend(person.iter().copied());
    incident
}

/// What changed between the incident as published and as it is now that a person must hear.
fn news(
    before: &Incident,
    now: &Incident,
    person: &BTreeSet<RefusalKey>,
    taken: Option<&Taken>,
) -> Vec<Why> {
    let mut why = Vec::new();
    if before.severity != now.severity {
        why.push(Why::Severity {
            from: before.severity,
            to: now.severity,
        });
    }
    if before.lead() != now.lead() {
        why.push(Why::Lead {
            from: before.lead(),
            to: now.lead(),
        });
    }
    if let Some(failed) = taken.filter(|t| t.outcome == Outcome::Failed) {
        why.push(Why::ActionFailed {
            action: failed.action.kind,
            instance: failed.action.instance.clone(),
        });
    }
    why.extend(
        person
            .difference(&before.refusals)
            .map(|key| Why::NewRefusal(*key)),
    );
    why
}

fn incident_id(
    cluster: &str,
    kind: FindingKind,
    instance: Option<&str>,
    opened: DateTime<Utc>,
) -> String {
    format!(
        "{cluster}/{}/{}/{}",
        wire_name(&kind),
        instance.unwrap_or("cluster"),
        opened.format("%Y%m%dT%H%M%SZ")
    )
}

#[cfg(test)]
mod tests;

//! A plan under construction: playbooks add findings and propose candidate actions; the first
//! candidate that passes every guard becomes the plan's one action, the blocked ones become
//! refusals with their reason.

use std::collections::BTreeMap;

use crate::snapshot::Snapshot;

use super::guards::{self, Block};
use super::picture::{Node, Picture};
use super::{Action, ActionKind, Condition, Finding, FindingKind, Plan, Refusal, Severity};

/// What the playbooks read: the snapshot, the derived picture, and the conditions (with "since")
/// as of this observation.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub snapshot: &'a Snapshot,
    pub picture: Picture<'a>,
    pub conditions: BTreeMap<String, Condition>,
}

impl Ctx<'_> {
    /// When the member has carried condition `label` for longer than `deadline_secs`, since
    /// when (for messages).
    pub fn overdue(&self, node: &Node<'_>, label: &str, deadline_secs: u64) -> Option<String> {
        let condition = self.conditions.get(node.id).filter(|c| c.state == label)?;
        let age = self.snapshot.observed_at - condition.since;
        (age > guards::window(deadline_secs)).then(|| guards::stamp(condition.since))
    }
}

/// An action a playbook would like to take.
#[derive(Debug)]
pub(crate) struct Candidate<'a> {
    pub kind: ActionKind,
    pub instance: &'a str,
    pub reason: String,
    /// The policy switch that governs it, when not its own kind: fencing a minority partition is
    /// the first step of a re-bootstrap, so the bootstrap policy (and approval) decides it.
    pub gate: Option<(ActionKind, &'a str)>,
}

impl<'a> Candidate<'a> {
    pub fn new(kind: ActionKind, instance: &'a str, reason: impl Into<String>) -> Self {
        Candidate {
            kind,
            instance,
            reason: reason.into(),
            gate: None,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Draft {
    action: Option<Action>,
    findings: Vec<Finding>,
    refused: Vec<Refusal>,
}

impl Draft {
    /// Records a finding.
    pub fn note(
        &mut self,
        kind: FindingKind,
        severity: Severity,
        instance: Option<&str>,
        message: impl Into<String>,
    ) {
        self.findings.push(Finding {
            kind,
            severity,
            instance: instance.map(str::to_string),
            message: message.into(),
        });
    }

    /// Weighs a candidate: `data` is the playbook's own verdict on the facts; the operator and
    /// rate guards come after it. Only the first candidate that passes everything is taken;
    /// later ones that pass wait for the next step, which re-observes first.
    pub fn consider(
        &mut self,
        snapshot: &Snapshot,
        candidate: Candidate<'_>,
        data: Result<(), Block>,
    ) {
        let (gate_kind, gate_instance) = candidate
            .gate
            .unwrap_or((candidate.kind, candidate.instance));
        let verdict = data.and_then(|()| {
            guards::policy(
                snapshot,
                candidate.kind,
                candidate.instance,
                gate_kind,
                gate_instance,
            )
        });
        match verdict {
            Ok(()) if self.action.is_none() => {
                self.action = Some(Action {
                    kind: candidate.kind,
                    instance: candidate.instance.to_string(),
                    reason: candidate.reason,
                })
            }
            Ok(()) => {}
            Err(block) => self.refused.push(Refusal {
                action: candidate.kind,
                instance: candidate.instance.to_string(),
                guard: block.guard,
                reason: block.reason,
            }),
        }
    }

    pub fn finish(self, ctx: &Ctx<'_>) -> Plan {
        Plan {
            cluster: ctx.snapshot.cluster.clone(),
            health: ctx.picture.health.clone(),
            action: self.action,
            findings: self.findings,
            refused: self.refused,
            conditions: ctx.conditions.clone(),
        }
    }
}

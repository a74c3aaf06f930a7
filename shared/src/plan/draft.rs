//! A plan under construction: playbooks add findings and propose candidate actions; the first
//! candidate that passes every guard becomes the plan's one action, the blocked ones become
//! refusals with their reason.

use std::collections::BTreeMap;

use crate::snapshot::Snapshot;

use super::guards::{self, Block};
use super::picture::{Node, Picture};
use super::{
    Action, ActionKind, Condition, Finding, FindingKind, MaintenanceStep, Memory, PastAction,
    Placeholders, Plan, Refusal, Severity, SplitBrain, endpoints, last_seen, roll, safety,
    split_brain, strangers,
};

/// What the playbooks read: the snapshot, the derived picture, the conditions (with "since")
/// as of this observation, and the journaled actions in time order.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub snapshot: &'a Snapshot,
    pub picture: Picture<'a>,
    pub conditions: BTreeMap<String, Condition>,
    /// The split brain remembered as of this observation ([`split_brain::remember`]).
    pub split_brain: Option<SplitBrain>,
    /// `history.actions` ordered by time (the journal's order is not trusted).
    actions: Vec<&'a PastAction>,
}

impl<'a> Ctx<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Ctx<'a> {
        let mut actions: Vec<&PastAction> = snapshot.history.actions.iter().collect();
        actions.sort_by_key(|a| a.at);
        let picture = Picture::new(snapshot);
        Ctx {
            snapshot,
            split_brain: split_brain::remember(snapshot, &picture),
            picture,
            conditions: super::conditions::next(
                &snapshot.history.conditions,
                &snapshot.instances,
                snapshot.policy.applier_queue_limit,
                snapshot.observed_at,
            ),
            actions,
        }
    }

    /// The journaled actions, oldest first.
    pub fn actions(&self) -> impl DoubleEndedIterator<Item = &'a PastAction> + '_ {
        self.actions.iter().copied()
    }

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
    /// The policy switch that governs it, when not its own kind: stopping Group Replication as
    /// the first step of a re-bootstrap (fencing a hung minority, clearing a stale view, readying
    /// the seed) is decided by the bootstrap policy (and approval) for that seed; a sync step by
    /// the approval naming its joiner.
    pub gate: Option<(ActionKind, &'a str)>,
    /// A sync step's placeholders.
    pub placeholders: Option<Placeholders>,
    /// A rolling-maintenance step's work.
    pub maintenance: Option<MaintenanceStep>,
}

impl<'a> Candidate<'a> {
    pub fn new(kind: ActionKind, instance: &'a str, reason: impl Into<String>) -> Self {
        Candidate {
            kind,
            instance,
            reason: reason.into(),
            gate: None,
            placeholders: None,
            maintenance: None,
        }
    }

    /// A rolling-maintenance step applying `step`.
    pub fn applying(mut self, step: MaintenanceStep) -> Self {
        self.maintenance = Some(step);
        self
    }

    /// A step of the re-bootstrap from `seed`.
    pub fn toward_bootstrap(mut self, seed: &'a str) -> Self {
        self.gate = Some((ActionKind::Bootstrap, seed));
        self
    }

    /// A sync step creating `placeholders` for `joiner`, governed by the approval naming it.
    pub fn creating(mut self, joiner: &'a str, placeholders: Placeholders) -> Self {
        self.gate = Some((ActionKind::SyncGtids, joiner));
        self.placeholders = Some(placeholders);
        self
    }

    /// The kind and instance of the policy switch (and approval) that governs it.
    pub fn gate(&self) -> (ActionKind, &'a str) {
        self.gate.unwrap_or((self.kind, self.instance))
    }
}

#[derive(Debug, Default)]
pub(crate) struct Draft {
    action: Option<Action>,
    findings: Vec<Finding>,
    refused: Vec<Refusal>,
    /// How a rolling maintenance stands ([`roll::consider`]).
    pub roll: Option<roll::Roll>,
}

impl Draft {
    /// Records a finding (once: the same finding from two candidates is told once).
    pub fn note(
        &mut self,
        kind: FindingKind,
        severity: Severity,
        instance: Option<&str>,
        message: impl Into<String>,
    ) {
        let finding = Finding {
            kind,
            severity,
            instance: instance.map(str::to_string),
            message: message.into(),
        };
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    /// Weighs a candidate: `data` is the playbook's own verdict on the facts; the cluster-wide
    /// safety rules, then the operator and rate guards come after it. Only the first candidate
    /// that passes everything is taken; later ones that pass wait for the next step, which
    /// re-observes first.
    pub fn consider(&mut self, ctx: &Ctx<'_>, candidate: Candidate<'_>, data: Result<(), Block>) {
        let (gate_kind, gate_instance) = candidate.gate();
        let verdict = data
            .and_then(|()| safety::check(ctx, self, &candidate))
            .and_then(|()| {
                guards::policy(
                    ctx,
                    candidate.kind,
                    candidate.instance,
                    (gate_kind, gate_instance),
                    candidate.placeholders.as_ref(),
                )
            });
        match verdict {
            Ok(()) if self.action.is_none() => {
                self.action = Some(Action {
                    kind: candidate.kind,
                    instance: candidate.instance.to_string(),
                    reason: candidate.reason,
                    placeholders: candidate.placeholders,
                    maintenance: candidate.maintenance,
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

    pub fn finish(self, ctx: &Ctx<'_>, endpoints: Option<endpoints::Decision>) -> Plan {
        let (records, active) = match endpoints {
            Some(d) => (Some(d.records), d.active),
            None => (None, ctx.snapshot.history.active.clone()),
        };
        Plan {
            cluster: ctx.snapshot.cluster.clone(),
            health: ctx.picture.health.clone(),
            action: self.action,
            findings: self.findings,
            refused: self.refused,
            conditions: ctx.conditions.clone(),
            records,
            roll: self.roll,
            memory: Memory {
                last_seen: last_seen::next(ctx.snapshot),
                strangers: strangers::remember(ctx.snapshot, &ctx.picture),
                split_brain: ctx.split_brain.clone(),
                active,
            },
        }
    }
}

//! Rolling maintenance (`docs/maintenance.md`), opt-in: what RDS holds pending (a parameter
//! change waiting for a reboot, a system update, an engine minor upgrade) applied one member at a
//! time, in the order that keeps the group writable ([`version::UPGRADE_ORDER`]). A step is
//! proposed only while every member is `ONLINE` in the quorum group, `available` in RDS and
//! caught up, the last step's member back with what it applied cleared, and the group keeps its
//! majority and the policy's fault tolerance without the member; a member not back within
//! `maintenance_return_secs` stops the roll with an incident. The roll itself is remembered by
//! the journal only: its steps are the journaled [`ActionKind::Maintenance`] actions.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{MemberState, Observed};

use super::checks::{available, keeps_majority};
use super::conditions::own_applier_queue;
use super::draft::{Candidate, Ctx, Draft};
use super::guards::{Block, block, ran, stamp, window};
use super::picture::Node;
use super::version::{UPGRADE_ORDER, Version};
use super::{
    ActionKind, FindingKind, Guard, MaintenancePolicy, MaintenanceStep, Outcome, PastAction,
    Severity,
};

/// The pending maintenance actions a roll applies, in this order on one member; RDS's other
/// actions (hardware maintenance, certificate rotation, ...) are only told of.
pub(crate) const APPLIED: [&str; 2] = ["db-upgrade", "system-update"];

/// The parameter apply status of a group whose changes wait for a reboot.
const PENDING_REBOOT: &str = "pending-reboot";

/// A rolling maintenance as the journal and the observation show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Roll {
    /// Steps taken whose member is back, oldest first (as far back as the journal reads).
    pub done: Vec<RollStep>,
    /// The step whose member the roll waits for, if one is not back yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<RollStep>,
    /// What is still pending, in the order the roll takes it.
    pub remaining: Vec<RollStep>,
    /// The current member did not come back in time: the roll stopped for a person.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stalled: bool,
}

/// One step of a roll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RollStep {
    /// The member.
    pub instance: String,
    /// What is applied to it.
    pub step: MaintenanceStep,
    /// When the step was journaled (steps taken only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

impl std::fmt::Display for RollStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.instance, self.step)
    }
}

/// What RDS holds for the member that a roll applies, in the order it applies them.
pub(crate) fn pending(node: &Node<'_>) -> Vec<MaintenanceStep> {
    let Some(rds) = node.rds else {
        return Vec::new();
    };
    let mut steps: Vec<MaintenanceStep> = match &rds.pending_maintenance {
        Some(Observed::Seen(actions)) => APPLIED
            .iter()
            .filter(|applied| actions.iter().any(|a| a.action == **applied))
            .map(|applied| MaintenanceStep::Apply((*applied).to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    if rds.parameter_apply_status.as_deref() == Some(PENDING_REBOOT) {
        steps.push(MaintenanceStep::Reboot);
    }
    steps
}

/// RDS no longer holds what `step` applied: a reading that does not say counts as not cleared.
fn cleared(node: &Node<'_>, step: &MaintenanceStep) -> bool {
    let Some(rds) = node.rds else {
        return false;
    };
    match step {
        MaintenanceStep::Reboot => rds
            .parameter_apply_status
            .as_deref()
            .is_some_and(|s| s != PENDING_REBOOT),
        MaintenanceStep::Apply(action) => matches!(
            &rds.pending_maintenance,
            Some(Observed::Seen(actions)) if actions.iter().all(|a| &a.action != action)
        ),
    }
}

/// The member's engine version, as RDS reports it, else as the member does.
fn version(node: &Node<'_>) -> Option<Version> {
    node.rds
        .and_then(|r| r.engine_version.as_deref())
        .and_then(Version::parse)
        .or_else(|| node.report.and_then(|r| Version::parse(&r.version)))
}

/// Every pending step, members on newer versions first and the lowest-version members last
/// (an unknown version counts as the lowest), then in inventory order.
pub(crate) fn order(ctx: &Ctx<'_>) -> Vec<RollStep> {
    let mut nodes: Vec<&Node<'_>> = ctx.picture.nodes.iter().collect();
    nodes.sort_by_key(|n| std::cmp::Reverse(version(n)));
    nodes
        .into_iter()
        .flat_map(|n| {
            pending(n).into_iter().map(|step| RollStep {
                instance: n.id.to_owned(),
                step,
                at: None,
            })
        })
        .collect()
}

/// The member is back: RDS `available`, `ONLINE` in the quorum group, its applier queue within
/// the policy's bound. `Err` says what it is instead.
pub(crate) fn back(ctx: &Ctx<'_>, node: &Node<'_>) -> Result<(), String> {
    match node.rds {
        Some(rds) if rds.status.is_available() => {}
        Some(rds) => return Err(format!("RDS reports it {}", rds.status)),
        None => return Err("its RDS status is unknown".to_owned()),
    }
    match ctx.picture.state_in_quorum_group(node) {
        Some(MemberState::Online) => {}
        Some(state) => return Err(format!("the group lists it {state}")),
        None => return Err("it is not in a group with quorum".to_owned()),
    }
    let Some(report) = node.report.filter(|r| r.own_state() == MemberState::Online) else {
        return Err("it does not report itself ONLINE".to_owned());
    };
    let queue = own_applier_queue(report);
    let limit = ctx.snapshot.policy.maintenance_max_queue;
    if queue > limit {
        return Err(format!(
            "its applier queue holds {queue} transactions, more than {limit} \
             (GRKEEPER_MAINTENANCE_MAX_QUEUE)"
        ));
    }
    Ok(())
}

/// Why the member of a journaled step is not back with its step done, if it is not.
fn not_back(ctx: &Ctx<'_>, past: &PastAction) -> Option<String> {
    if past.outcome == Outcome::Pending {
        return Some("the step's outcome is not recorded yet".to_owned());
    }
    let Some(node) = ctx.picture.node(&past.instance) else {
        return Some("it is not in the inventory".to_owned());
    };
    if let Err(why) = back(ctx, node) {
        return Some(why);
    }
    match &past.maintenance {
        Some(step) if !cleared(node, step) => Some(format!("RDS still holds {step} for it")),
        _ => None,
    }
}

/// Weighs the next roll step and says how the roll stands; `None` when the policy keeps rolls
/// off, or nothing is pending and no step is remembered.
pub(crate) fn consider(ctx: &Ctx<'_>, draft: &mut Draft) -> Option<Roll> {
    let policy = &ctx.snapshot.policy;
    if policy.maintenance == MaintenancePolicy::Off {
        return None;
    }
    let taken: Vec<&PastAction> = ctx
        .actions()
        .filter(|a| a.kind == ActionKind::Maintenance && ran(a))
        .collect();
    let step_of = |a: &PastAction| RollStep {
        instance: a.instance.clone(),
        step: a.maintenance.clone().unwrap_or(MaintenanceStep::Reboot),
        at: Some(a.at),
    };
    let mut roll = Roll {
        done: taken.iter().map(|a| step_of(a)).collect(),
        current: None,
        remaining: order(ctx),
        stalled: false,
    };
    if let Some((last, why)) = taken.last().and_then(|a| Some((*a, not_back(ctx, a)?))) {
        roll.done.pop();
        let current = step_of(last);
        roll.remaining
            .retain(|s| s.instance != current.instance || s.step != current.step);
        let now = ctx.snapshot.observed_at;
        roll.stalled = now - last.at > window(policy.maintenance_return_secs);
        wait(ctx, draft, &current, &why, roll.stalled);
        roll.current = Some(current);
        return Some(roll);
    }
    let Some(next) = roll.remaining.first() else {
        return (!roll.done.is_empty()).then_some(roll);
    };
    let node = ctx.picture.node(&next.instance)?;
    draft.note(
        FindingKind::MaintenanceRolling,
        Severity::Info,
        None,
        format!(
            "Rolling maintenance: done {}; next {next}; then {}.",
            listed(&roll.done),
            listed(&roll.remaining[1..])
        ),
    );
    let reason = format!(
        "rolling maintenance: {} on {}, one member at a time ({UPGRADE_ORDER}), with every \
         member back ONLINE and caught up",
        next.step, next.instance
    );
    let data = every_member_back(ctx)
        .and_then(|()| available(node))
        .and_then(|()| keeps_majority(ctx, ActionKind::Maintenance, node));
    draft.consider(
        ctx,
        Candidate::new(ActionKind::Maintenance, node.id, reason).applying(next.step.clone()),
        data,
    );
    Some(roll)
}

/// A step takes one member out: every member must be back from the last one (or from anything
/// else) first.
fn every_member_back(ctx: &Ctx<'_>) -> Result<(), Block> {
    for node in &ctx.picture.nodes {
        if let Err(why) = back(ctx, node) {
            return Err(block(
                Guard::MemberNotBack,
                format!(
                    "{} is not back: {why}; rolling maintenance takes one member at a time and \
                     goes on once every member is ONLINE, available and caught up",
                    node.id
                ),
            ));
        }
    }
    Ok(())
}

/// The roll waits for `current`'s member; past the bound, it stops and pages a person.
fn wait(ctx: &Ctx<'_>, draft: &mut Draft, current: &RollStep, why: &str, stalled: bool) {
    let policy = &ctx.snapshot.policy;
    let since = current.at.map_or_else(String::new, stamp);
    if !stalled {
        draft.note(
            FindingKind::MaintenanceRolling,
            Severity::Info,
            Some(&current.instance),
            format!(
                "Rolling maintenance: waiting for {} since {since} ({}): {why}. The next member \
                 goes once it is back ONLINE and caught up with nothing of this step pending.",
                current.instance, current.step
            ),
        );
        return;
    }
    draft.note(
        FindingKind::MaintenanceStalled,
        Severity::Critical,
        Some(&current.instance),
        format!(
            "Rolling maintenance stopped: {} ({}) was taken down at {since} and is not back \
             after {}s: {why}. grkeeper takes no further step. Look at the instance in the RDS \
             console and its error log (performance_schema.error_log, subsystem Repl). If RDS \
             still works on it, wait; if it is available but out of the group, grkeeper rejoins \
             it under the usual guards; if RDS still lists the step as pending, apply it by hand \
             (`aws rds apply-pending-maintenance-action` or `aws rds reboot-db-instance`) or \
             cancel it (`--opt-in-type undo-opt-in`). The roll goes on by itself once the member \
             is back with nothing of this step pending; to stop it, set GRKEEPER_MAINTENANCE=off \
             or pause the cluster.",
            current.instance, current.step, policy.maintenance_return_secs
        ),
    );
}

fn listed(steps: &[RollStep]) -> String {
    if steps.is_empty() {
        return "nothing".to_owned();
    }
    steps
        .iter()
        .map(RollStep::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

//! The operator and rate guards every action passes: what the operator allows (mode, switches,
//! pauses, approvals) and how often (pending action, cooldown, budgets). The facts about a member
//! that allow or forbid an action are in `checks`. Each returns `Err(Block)` with the guard and a
//! reason that says what would unblock it.

use chrono::{DateTime, Duration, Utc};

use crate::gtid::GtidSet;
use crate::snapshot::{Placeholders, Snapshot};

use super::draft::Ctx;
use super::{
    ActionKind, Approval, BootstrapPolicy, Guard, MaintenancePolicy, Mode, Outcome, PastAction,
};

/// A guard that stopped an action, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub guard: Guard,
    pub reason: String,
}

pub(crate) fn block(guard: Guard, reason: impl Into<String>) -> Block {
    Block {
        guard,
        reason: reason.into(),
    }
}

/// Operator and rate guards for `kind` on `instance`, in the order a person would check them;
/// the last, a member that keeps leaving the group, is in `flapping`.
/// `gate` names the policy switch (and approval) that governs the action and the member it is
/// for; a sync step's `placeholders` must be covered by its approval.
pub(crate) fn policy(
    ctx: &Ctx<'_>,
    kind: ActionKind,
    instance: &str,
    gate: (ActionKind, &str),
    placeholders: Option<&Placeholders>,
) -> Result<(), Block> {
    let (gate_kind, gate_instance) = gate;
    let snapshot = ctx.snapshot;
    let policy = &snapshot.policy;
    let history = &snapshot.history;
    let now = snapshot.observed_at;
    if policy.mode == Mode::Observe {
        return Err(block(
            Guard::ObserveMode,
            "the policy mode is observe: grkeeper plans and alerts but does not act; set \
             GRKEEPER_MODE=act to let it act",
        ));
    }
    switched_on(snapshot, gate_kind, gate_instance, placeholders)?;
    if let Some(pause) = history.paused.as_ref().filter(|p| p.until > now) {
        return Err(block(
            Guard::Paused,
            format!(
                "cluster paused until {} ({}); resume with `grkeeper resume --cluster {}`",
                stamp(pause.until),
                pause.reason,
                snapshot.cluster
            ),
        ));
    }
    // The member acted on, and the one the action is for (a sync step's joiner, a bootstrap's
    // seed): a paused member is never acted on, nor prepared for.
    for member in [instance, gate_instance] {
        if let Some(pause) = history
            .paused_instances
            .get(member)
            .filter(|p| p.until > now)
        {
            return Err(block(
                Guard::Paused,
                format!(
                    "{member} paused until {} ({}); resume with `grkeeper resume --cluster {} \
                     --instance {member}`",
                    stamp(pause.until),
                    pause.reason,
                    snapshot.cluster
                ),
            ));
        }
    }
    if let Some(pending) = ctx.actions().find(|a| a.outcome == Outcome::Pending) {
        return Err(block(
            Guard::PendingAction,
            format!(
                "the {} of {} started at {} has no recorded outcome; the next tick verifies it \
                 first (see `grkeeper status --cluster {}`)",
                pending.kind,
                pending.instance,
                stamp(pending.at),
                snapshot.cluster
            ),
        ));
    }
    let cooldown = window(policy.member_cooldown_secs);
    if let Some(last) = recent(ctx.actions(), now, cooldown)
        .filter(|a| a.instance == instance && !follows_up(a, kind))
        .last()
    {
        return Err(block(
            Guard::Cooldown,
            format!(
                "{} of {instance} at {} ({}); next action allowed after {}",
                last.kind,
                stamp(last.at),
                outcome_name(last.outcome),
                last.at
                    .checked_add_signed(cooldown)
                    .map_or_else(|| "the cooldown".to_string(), stamp)
            ),
        ));
    }
    if kind.is_disruptive() {
        let window = window(policy.budget_window_secs);
        let used = recent(ctx.actions(), now, window)
            .filter(|a| a.kind.is_disruptive() && ran(a))
            .count();
        if used >= usize::try_from(policy.cluster_budget).unwrap_or(usize::MAX) {
            return Err(block(
                Guard::ClusterBudget,
                format!(
                    "{used} disruptive actions in the last {}s (budget {}): a person should look \
                     before more are taken; the budget frees up as they age out of the window \
                     (GRKEEPER_CLUSTER_BUDGET)",
                    policy.budget_window_secs, policy.cluster_budget
                ),
            ));
        }
    }
    if restarts(kind) {
        let window = window(policy.reboot_window_secs);
        let reboots = recent(ctx.actions(), now, window)
            .filter(|a| restarts(a.kind) && a.instance == instance && ran(a))
            .count();
        if reboots >= usize::try_from(policy.reboot_budget).unwrap_or(usize::MAX) {
            return Err(block(
                Guard::RebootBudget,
                format!(
                    "{instance} was rebooted {reboots} times in the last {}s (budget {}): read \
                     its error log (performance_schema.error_log, subsystem Repl) before \
                     rebooting it yourself (aws rds reboot-db-instance --db-instance-identifier \
                     {instance})",
                    policy.reboot_window_secs, policy.reboot_budget
                ),
            ));
        }
    }
    if matches!(kind, ActionKind::Rejoin | ActionKind::SyncGtids) {
        let window = window(policy.reboot_window_secs);
        let failed = recent(ctx.actions(), now, window)
            .filter(|a| a.kind == kind && a.instance == instance)
            .filter(|a| a.outcome == Outcome::Failed)
            .count();
        // A rejoin (or a sync call) is retried until it failed as often as a reboot may be
        // tried, and at least once: a budget of no reboots does not forbid a first try.
        let limit = usize::try_from(policy.reboot_budget.max(1)).unwrap_or(usize::MAX);
        if failed >= limit {
            return Err(block(
                Guard::RepeatedFailure,
                format!(
                    "{kind} on {instance} failed {failed} times in the last {}s: read its error \
                     log (performance_schema.error_log, subsystem Repl) before it is tried again",
                    policy.reboot_window_secs
                ),
            ));
        }
    }
    // A sync step prepares its joiner's rejoin: a flapping joiner is not prepared for either.
    if kind == ActionKind::SyncGtids {
        super::flapping::check(snapshot, ActionKind::Rejoin, gate_instance)?;
    }
    super::flapping::check(snapshot, kind, instance)
}

/// The kinds that restart the instance, which the reboot budget counts together.
fn restarts(kind: ActionKind) -> bool {
    matches!(kind, ActionKind::Reboot | ActionKind::Maintenance)
}

/// A rejoin or bootstrap right after a member's verified reboot is the same repair's next step
/// (a restarted member may come back OFFLINE), and so is a bootstrap right after grkeeper
/// stopped Group Replication on the seed to ready it, and a sync's next call or its rejoin after
/// a verified call: not a new action the cooldown should hold back.
fn follows_up(last: &PastAction, next: ActionKind) -> bool {
    last.outcome == Outcome::Succeeded
        && match last.kind {
            ActionKind::Reboot => matches!(next, ActionKind::Rejoin | ActionKind::Bootstrap),
            // A member back from maintenance OFFLINE is rejoined as part of the same step.
            ActionKind::Maintenance => next == ActionKind::Rejoin,
            ActionKind::Expel => next == ActionKind::Bootstrap,
            // The sync's next call, and the rejoin it prepares.
            ActionKind::SyncGtids => matches!(next, ActionKind::SyncGtids | ActionKind::Rejoin),
            _ => false,
        }
}

/// The action reached its target: a call never sent, or one the API did not take, spends no
/// budget.
pub(crate) fn ran(action: &PastAction) -> bool {
    action.outcome != Outcome::NotAttempted
}

/// The policy switch (and for bootstrap, the approval) for `kind`; a sync step has no switch,
/// only its approval.
fn switched_on(
    snapshot: &Snapshot,
    kind: ActionKind,
    instance: &str,
    placeholders: Option<&Placeholders>,
) -> Result<(), Block> {
    let policy = &snapshot.policy;
    let off = |what: &str, variable: &str| {
        Err(block(
            Guard::Disabled,
            format!("{what} is off in the policy; set {variable}=on to let grkeeper do it"),
        ))
    };
    match kind {
        ActionKind::Rejoin if !policy.rejoin => off("rejoin", "GRKEEPER_REJOIN"),
        ActionKind::Reboot if !policy.reboot => off("reboot", "GRKEEPER_REBOOT"),
        ActionKind::Expel if !policy.expel => off("expel", "GRKEEPER_EXPEL"),
        ActionKind::Bootstrap => match policy.bootstrap {
            BootstrapPolicy::Auto => Ok(()),
            BootstrapPolicy::Off => Err(block(
                Guard::Disabled,
                format!(
                    "bootstrap is off in the policy; bootstrap by hand (CALL \
                     mysql.rds_group_replication_start(1) on {instance}), or set \
                     GRKEEPER_BOOTSTRAP=approval and approve it"
                ),
            )),
            BootstrapPolicy::Approval => {
                let approved = approvals(snapshot, ActionKind::Bootstrap, instance).next();
                if approved.is_some() {
                    Ok(())
                } else {
                    Err(block(
                        Guard::ApprovalRequired,
                        format!(
                            "the policy requires an approval: `grkeeper approve bootstrap \
                             --cluster {} --instance {instance}`",
                            snapshot.cluster
                        ),
                    ))
                }
            }
        },
        ActionKind::Maintenance => match policy.maintenance {
            MaintenancePolicy::Auto => Ok(()),
            // mutants: equivalent because `roll::consider` proposes nothing when the policy is
            // off; it holds should a step ever come another way.
            MaintenancePolicy::Off => Err(block(
                Guard::Disabled,
                "rolling maintenance is off in the policy; set GRKEEPER_MAINTENANCE=approval \
                 (or auto) to let grkeeper apply what is pending one member at a time",
            )),
            MaintenancePolicy::Approval => {
                if approvals(snapshot, ActionKind::Maintenance, instance)
                    .next()
                    .is_some()
                {
                    Ok(())
                } else {
                    Err(block(
                        Guard::ApprovalRequired,
                        format!(
                            "the policy requires an approval for each rolling-maintenance step: \
                             `grkeeper approve maintenance --cluster {} [--instance {instance}]`",
                            snapshot.cluster
                        ),
                    ))
                }
            }
        },
        // mutants: equivalent because `sync::propose` proposes a step only under an approval
        // naming the joiner and covering all its local GTIDs, so also the step's placeholders:
        // deleting this arm changes no decision; it holds should a step ever come another way.
        ActionKind::SyncGtids => {
            let gtids = placeholders.map(Placeholders::gtids);
            match gtids.and_then(|g| sync_approval(snapshot, instance, &g)) {
                Some(_) => Ok(()),
                None => Err(block(
                    Guard::ApprovalRequired,
                    format!(
                        "placeholders for {instance}'s join need an approval naming it and \
                         covering them: `grkeeper approve sync-gtids --cluster {} --instance \
                         {instance}`",
                        snapshot.cluster
                    ),
                )),
            }
        }
        _ => Ok(()),
    }
}

/// The unexpired approval of a sync that names `joiner` and allows placeholders for all of
/// `gtids`: one that names no ranges, or ranges that hold them.
pub(crate) fn sync_approval<'s>(
    snapshot: &'s Snapshot,
    joiner: &str,
    gtids: &GtidSet,
) -> Option<&'s Approval> {
    snapshot.history.approvals.iter().find(|a| {
        a.action == ActionKind::SyncGtids
            && a.expires > snapshot.observed_at
            && a.instance.as_deref() == Some(joiner)
            && a.gtids
                .as_ref()
                .is_none_or(|allowed| gtids.is_subset(allowed))
    })
}

/// The unexpired approvals of `kind` that cover `instance`.
pub(crate) fn approvals<'s>(
    snapshot: &'s Snapshot,
    kind: ActionKind,
    instance: &'s str,
) -> impl Iterator<Item = &'s Approval> {
    snapshot.history.approvals.iter().filter(move |a| {
        a.action == kind
            && a.expires > snapshot.observed_at
            && a.instance.as_deref().is_none_or(|i| i == instance)
    })
}

/// Actions within `window` before `now`, in the order given (oldest first from
/// [`Ctx::actions`]). One journaled "in the future" (a writer's clock ahead of this one) counts
/// as just taken, so clock skew never shortens a cooldown.
pub(crate) fn recent<'a>(
    actions: impl Iterator<Item = &'a PastAction>,
    now: DateTime<Utc>,
    window: Duration,
) -> impl Iterator<Item = &'a PastAction> {
    actions.filter(move |a| now - a.at < window)
}

/// A policy length in seconds as a duration, saturating instead of overflowing.
pub(crate) fn window(secs: u64) -> Duration {
    i64::try_from(secs)
        .ok()
        .and_then(Duration::try_seconds)
        .unwrap_or(Duration::MAX)
}

/// RFC 3339 to the second, for messages.
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pending => "pending",
        Outcome::Succeeded => "succeeded",
        Outcome::Failed => "failed",
        Outcome::NotAttempted => "not attempted",
    }
}

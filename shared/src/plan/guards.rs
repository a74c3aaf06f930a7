//! Guards shared by the playbooks: what the operator allows (mode, switches, pauses, approvals),
//! rate limits (pending action, cooldown, budgets), the RDS status, and the GTID join check.
//! Each returns `Err(Block)` with the guard and a reason that says what would unblock it.

use chrono::{DateTime, Duration, Utc};

use crate::gtid::GtidSet;
use crate::snapshot::Snapshot;

use super::picture::{Node, Picture};
use super::{ActionKind, BootstrapPolicy, Guard, Mode, Outcome, PastAction};

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

/// Operator and rate guards for `kind` on `instance`, in the order a person would check them.
/// `gate_kind`/`gate_instance` name the policy switch (and approval) that governs the action.
pub(crate) fn policy(
    snapshot: &Snapshot,
    kind: ActionKind,
    instance: &str,
    gate_kind: ActionKind,
    gate_instance: &str,
) -> Result<(), Block> {
    let policy = &snapshot.policy;
    let history = &snapshot.history;
    let now = snapshot.observed_at;
    if policy.mode == Mode::Observe {
        return Err(block(
            Guard::ObserveMode,
            "the policy mode is observe: grkeeper plans and alerts but does not act",
        ));
    }
    switched_on(snapshot, gate_kind, gate_instance)?;
    if let Some(pause) = history.paused.as_ref().filter(|p| p.until > now) {
        return Err(block(
            Guard::Paused,
            format!(
                "cluster paused until {} ({}); resume with `grkeeper resume`",
                stamp(pause.until),
                pause.reason
            ),
        ));
    }
    if let Some(pause) = history
        .paused_instances
        .get(instance)
        .filter(|p| p.until > now)
    {
        return Err(block(
            Guard::Paused,
            format!(
                "{instance} paused until {} ({})",
                stamp(pause.until),
                pause.reason
            ),
        ));
    }
    if let Some(pending) = history
        .actions
        .iter()
        .find(|a| a.outcome == Outcome::Pending)
    {
        return Err(block(
            Guard::PendingAction,
            format!(
                "the {} of {} started at {} has no recorded outcome; it must be verified first",
                pending.kind,
                pending.instance,
                stamp(pending.at)
            ),
        ));
    }
    let cooldown = window(policy.member_cooldown_secs);
    if let Some(last) = recent(&history.actions, now, cooldown)
        .filter(|a| a.instance == instance)
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
        let used = recent(&history.actions, now, window)
            .filter(|a| a.kind.is_disruptive())
            .count();
        if used >= usize::try_from(policy.cluster_budget).unwrap_or(usize::MAX) {
            return Err(block(
                Guard::ClusterBudget,
                format!(
                    "{used} disruptive actions in the last {}s (budget {}): a person should look \
                     before more are taken",
                    policy.budget_window_secs, policy.cluster_budget
                ),
            ));
        }
    }
    if kind == ActionKind::Reboot {
        let window = window(policy.reboot_window_secs);
        let reboots = recent(&history.actions, now, window)
            .filter(|a| a.kind == ActionKind::Reboot && a.instance == instance)
            .count();
        if reboots >= usize::try_from(policy.reboot_budget).unwrap_or(usize::MAX) {
            return Err(block(
                Guard::RebootBudget,
                format!(
                    "{instance} was rebooted {reboots} times in the last {}s (budget {})",
                    policy.reboot_window_secs, policy.reboot_budget
                ),
            ));
        }
    }
    Ok(())
}

/// The policy switch (and for bootstrap, the approval) for `kind`.
fn switched_on(snapshot: &Snapshot, kind: ActionKind, instance: &str) -> Result<(), Block> {
    let policy = &snapshot.policy;
    let off = |what: &str| {
        Err(block(
            Guard::Disabled,
            format!("{what} is off in the policy"),
        ))
    };
    match kind {
        ActionKind::Rejoin if !policy.rejoin => off("rejoin"),
        ActionKind::Reboot if !policy.reboot => off("reboot"),
        ActionKind::Expel if !policy.expel => off("expel"),
        ActionKind::Bootstrap => match policy.bootstrap {
            BootstrapPolicy::Auto => Ok(()),
            BootstrapPolicy::Off => off("bootstrap"),
            BootstrapPolicy::Approval => {
                let approved = snapshot.history.approvals.iter().any(|a| {
                    a.action == ActionKind::Bootstrap
                        && a.expires > snapshot.observed_at
                        && a.instance.as_deref().is_none_or(|i| i == instance)
                });
                if approved {
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
        _ => Ok(()),
    }
}

/// RDS must report the instance `available`: anything else means RDS is busy with it or it is
/// down, and an action would race RDS.
pub(crate) fn available(node: &Node<'_>) -> Result<(), Block> {
    match (node.rds, node.rds_error) {
        (Some(rds), _) if rds.status.is_available() => Ok(()),
        (Some(rds), _) => Err(block(
            Guard::InstanceNotAvailable,
            format!("RDS reports {} as {}", node.id, rds.status),
        )),
        (None, error) => Err(block(
            Guard::InstanceNotAvailable,
            format!(
                "RDS status of {} is unknown: {}",
                node.id,
                error.unwrap_or("not described")
            ),
        )),
    }
}

/// A person stopped Group Replication on this member: its last GR procedure call (RDS's
/// `mysql.rds_history`) is a stop, and it is not one grkeeper journaled (an expel or a fence).
/// Unless the policy says otherwise, grkeeper leaves a deliberate stop alone.
pub(crate) fn not_stopped_on_purpose(snapshot: &Snapshot, node: &Node<'_>) -> Result<(), Block> {
    if snapshot.policy.rejoin_after_operator_stop {
        return Ok(());
    }
    let Some(call) = node
        .report
        .and_then(|r| r.gr_call())
        .filter(|call| call.is_stop())
    else {
        return Ok(());
    };
    let ours = snapshot
        .history
        .actions
        .iter()
        .any(|a| a.kind == ActionKind::Expel && a.instance == node.id);
    if ours {
        return Ok(());
    }
    Err(block(
        Guard::OperatorStop,
        format!(
            "{} stopped Group Replication on {} at {} (mysql.rds_history); grkeeper leaves a \
             deliberate stop alone: run CALL mysql.rds_group_replication_start(0) on it when the \
             work is done, or set GRKEEPER_REJOIN_AFTER_OPERATOR_STOP=on",
            call.by, node.id, call.at
        ),
    ))
}

/// Whether a member's transactions allow it to join the quorum group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GtidFit {
    /// Its set is a subset and some donor still holds everything it lacks.
    Joinable,
    /// It holds transactions the group does not have.
    Errant(GtidSet),
    /// Every donor purged some of what it lacks.
    Purged { missing: GtidSet, purged: GtidSet },
}

/// Checks a joiner against the quorum group's donors (domain.md §2.10).
pub(crate) fn gtid_fit(picture: &Picture<'_>, node: &Node<'_>) -> GtidFit {
    let (executed, _) = node.report_gtids();
    let group = picture.group_executed();
    let errant = executed.difference(&group);
    if !errant.is_empty() {
        return GtidFit::Errant(errant);
    }
    let missing = group.difference(&executed);
    let mut purged_everywhere = GtidSet::new();
    for donor in picture.quorum_donors() {
        let (_, purged) = donor.report_gtids();
        let lost = missing.intersection(&purged);
        if lost.is_empty() {
            return GtidFit::Joinable;
        }
        purged_everywhere = purged_everywhere.union(&lost);
    }
    if missing.is_empty() {
        GtidFit::Joinable
    } else {
        GtidFit::Purged {
            missing,
            purged: purged_everywhere,
        }
    }
}

/// Actions within `window` before `now`, oldest first.
pub(crate) fn recent(
    actions: &[PastAction],
    now: DateTime<Utc>,
    window: Duration,
) -> impl Iterator<Item = &PastAction> {
    actions
        .iter()
        .filter(move |a| a.at <= now && now - a.at < window)
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

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pending => "pending",
        Outcome::Succeeded => "succeeded",
        Outcome::Failed => "failed",
        Outcome::NotAttempted => "not attempted",
    }
}

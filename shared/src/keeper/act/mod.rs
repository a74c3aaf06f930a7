//! Executes one planned [`Action`] and verifies it by observing again, with its own deadline.
//!
//! The statements are constants, or numbers and a UUID held as integers ([`Procedure`]); the
//! action's instance id only picks a member from the last observation, so nothing from an event
//! reaches SQL. An action is attempted at
//! most once: retries belong to the keeper and its journal (a rejoin or bootstrap of a member
//! seen in `ERROR` is a stop, then the start). Procedure messages are advisory; the
//! verification decides the [`Verdict`].

mod verify;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tracing::{info, instrument, warn};

use crate::model::{EndpointOverrides, ErrorLogEntry, Instance, MemberState};
use crate::plan::Action;
use crate::ports::aws::FailureClass;
use crate::ports::clock::Clock;
use crate::ports::member_control::{CallError, MemberControl, Procedure};
use crate::ports::member_probe::MemberProbe;
use crate::ports::rds::{RdsControl, RdsError};
use crate::ports::reboot::RdsReboot;
use crate::snapshot::{ActionKind, MaintenanceStep, Placeholders};

use verify::Check;

/// How a verification waits for the expected state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// Give up (verdict [`Verdict::Unverified`]) after this long.
    pub timeout: Duration,
    /// Observe again this often.
    pub interval: Duration,
}

impl Verification {
    /// `timeout` (`GRKEEPER_VERIFY_TIMEOUT_SECS`), observing every 2 seconds: a rejoin or
    /// restart takes seconds to minutes, and each observation is a few cheap queries.
    pub fn new(timeout: Duration) -> Self {
        Verification {
            timeout,
            interval: Duration::from_secs(2),
        }
    }
}

/// What an action runs against: the cluster's last observation, how to reach its members, the
/// adapters, and the clock its verification waits by.
#[derive(Debug)]
pub struct Context<'a, M, R, C> {
    /// Member probe and procedure calls.
    pub members: &'a M,
    /// The RDS API.
    pub rds: &'a R,
    /// The verification's deadline and pauses.
    pub clock: &'a C,
    /// The observation the action was planned on: the only instances it may touch.
    pub observed: &'a [Instance],
    /// Local addresses replacing RDS endpoints.
    pub overrides: &'a EndpointOverrides,
    /// Deadline and polling of the verification.
    pub verification: Verification,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The expected state was observed.
    Verified,
    /// The action was refused, or the member went to a bad state (`ERROR`, `OFFLINE` again).
    Failed,
    /// The deadline passed before the expected state was seen; it may still come.
    Unverified,
    /// Nothing was done (unknown instance, no connection, API refused): safe to try again.
    NotAttempted,
}

/// The result of one action, with the evidence a journal entry and an alert need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    /// The action.
    pub action: Action,
    /// How it ended.
    pub verdict: Verdict,
    /// One line for a person: what happened and what was last seen.
    pub summary: String,
    /// The procedure's message row (advisory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure_message: Option<String>,
    /// The MySQL error the procedure answered with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u16>,
    /// The error of the call or API, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The member's own GR state at the last observation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_state: Option<MemberState>,
    /// The RDS status at the last observation (reboots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rds_status: Option<String>,
    /// The member's recent `Repl` error-log lines at the last observation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<ErrorLogEntry>,
    /// Time from the call to the verdict, in milliseconds.
    pub elapsed_ms: u64,
}

impl ActionResult {
    fn new(action: &Action, verdict: Verdict, summary: String) -> Self {
        ActionResult {
            action: action.clone(),
            verdict,
            summary,
            procedure_message: None,
            error_code: None,
            error: None,
            member_state: None,
            rds_status: None,
            evidence: Vec::new(),
            elapsed_ms: 0,
        }
    }
}

/// Executes `action` once and verifies it.
#[instrument(skip(action, context), fields(kind = ?action.kind, instance = %action.instance))]
pub async fn act<M, R, C>(action: &Action, context: &Context<'_, M, R, C>) -> ActionResult
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    run(action, context, false).await
}

/// Verifies an action an earlier tick started but never recorded an outcome for (it died or
/// timed out mid-action): observes until the expected state, without calling anything again.
#[instrument(skip(action, context), fields(kind = ?action.kind, instance = %action.instance))]
pub async fn resume<M, R, C>(action: &Action, context: &Context<'_, M, R, C>) -> ActionResult
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    run(action, context, true).await
}

/// The result of an action an earlier tick journaled but never sent (it stopped before the
/// call): nothing was done, and nothing is observed.
pub fn never_sent(action: &Action) -> ActionResult {
    ActionResult::new(
        action,
        Verdict::NotAttempted,
        format!(
            "{} of {} was journaled but never sent: the tick that journaled it stopped before the \
             call, so nothing was done",
            action.kind, action.instance
        ),
    )
}

async fn run<M, R, C>(
    action: &Action,
    context: &Context<'_, M, R, C>,
    resumed: bool,
) -> ActionResult
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    let started = Instant::now();
    let check = match target(action, context) {
        Ok(check) => check,
        Err(why) => return ActionResult::new(action, Verdict::NotAttempted, why),
    };
    let mut result = if resumed {
        let mut result = ActionResult::new(action, Verdict::Unverified, String::new());
        // A reboot requested by the earlier tick has happened or is happening: do not wait to
        // see RDS leave `available`, which may be over.
        check.wait(&mut result, true).await;
        result
    } else {
        match action.kind {
            ActionKind::Rejoin => call(action, &check, Procedure::StartJoin).await,
            ActionKind::Bootstrap => call(action, &check, Procedure::StartBootstrap).await,
            ActionKind::Expel => call(action, &check, Procedure::Stop).await,
            ActionKind::Reboot => {
                let requested = check.rds().reboot(&action.instance).await;
                restarted(action, &check, requested, "RebootDBInstance").await
            }
            ActionKind::Maintenance => maintain(action, &check).await,
            ActionKind::SyncGtids => {
                match action.placeholders.as_ref().map(Procedure::advance_gtid) {
                    Some(Ok(procedure)) => call(action, &check, procedure).await,
                    Some(Err(why)) => ActionResult::new(action, Verdict::NotAttempted, why),
                    None => ActionResult::new(
                        action,
                        Verdict::NotAttempted,
                        "a sync step without placeholders".to_owned(),
                    ),
                }
            }
        }
    };
    result.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    info!(verdict = ?result.verdict, summary = %result.summary, resumed, "action done");
    result
}

/// The action's instance in the observation and its endpoint, or why there is none (then
/// nothing was attempted).
fn target<'c, M, R, C>(
    action: &Action,
    context: &'c Context<'c, M, R, C>,
) -> Result<Check<'c, M, R, C>, String>
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    let Some(instance) = context.observed.iter().find(|i| i.id == action.instance) else {
        return Err(format!(
            "{} is not in the observed inventory",
            action.instance
        ));
    };
    let Some(endpoint) = context.overrides.resolve(&instance.id, instance.rds.seen()) else {
        return Err(format!("{} has no known endpoint", action.instance));
    };
    let placeholders = action.placeholders.as_ref().map(Placeholders::gtids);
    Ok(Check::new(
        action.kind,
        instance,
        endpoint,
        context,
        placeholders,
    ))
}

/// Calls `procedure` once and verifies. A start on a member the plan saw in `ERROR` is preceded
/// by a stop: `START GROUP_REPLICATION` answers 3093 there because GR still runs, so MySQL
/// Shell's rejoin and reboot stop it first (`docs/group-replication.md`, "Leaving the group").
async fn call<M, R, C>(
    action: &Action,
    check: &Check<'_, M, R, C>,
    procedure: Procedure,
) -> ActionResult
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    let mut result = ActionResult::new(action, Verdict::Unverified, String::new());
    let starts = matches!(procedure, Procedure::StartJoin | Procedure::StartBootstrap);
    let stop_first = starts && check.planned_state() == Some(MemberState::Error);
    if stop_first && !send(action, check, Procedure::Stop, &mut result).await {
        return result;
    }
    if !send(action, check, procedure, &mut result).await {
        if stop_first && result.verdict == Verdict::NotAttempted {
            // The stop took the member from ERROR to OFFLINE: something was done.
            result.verdict = Verdict::Failed;
            result.summary = format!("{} stopped, but {}", action.instance, result.summary);
        }
        return result;
    }
    check.wait(&mut result, false).await;
    result
}

/// Sends `procedure` once and records its answer in `result`. `false` when the action ends
/// here: the statement was not sent, or the server rejected it. An unanswered statement may
/// have run, so the action goes on and the verification tells.
async fn send<M, R, C>(
    action: &Action,
    check: &Check<'_, M, R, C>,
    procedure: Procedure,
    result: &mut ActionResult,
) -> bool
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    match check.members().call(check.endpoint(), procedure).await {
        Ok(reply) => {
            result.procedure_message = reply.message;
            true
        }
        Err(CallError::NotSent(e)) => {
            result.verdict = Verdict::NotAttempted;
            result.summary = format!("{procedure} not sent to {}: {e}", action.instance);
            result.error = Some(e.to_string());
            false
        }
        Err(CallError::Rejected(e)) => {
            warn!(error = %e, %procedure, "procedure rejected");
            result.error_code = match &e {
                crate::model::ProbeError::Mysql { code, .. } => Some(*code),
                _ => None,
            };
            result.error = Some(e.to_string());
            // One look at the member, for the error-log lines that explain the refusal.
            check.evidence(result).await;
            result.verdict = Verdict::Failed;
            result.summary = format!("{procedure} on {} failed: {e}", action.instance);
            false
        }
        Err(CallError::Unanswered(e)) => {
            warn!(error = %e, %procedure, "procedure unanswered; going on, the verification tells");
            result.procedure_message = None;
            result.error = Some(e.to_string());
            true
        }
    }
}

/// Waits for the restart a reboot (or applied maintenance) `requested`; a request RDS refused
/// ends the action as not attempted.
async fn restarted<M, R, C>(
    action: &Action,
    check: &Check<'_, M, R, C>,
    requested: Result<(), RdsError>,
    call: &str,
) -> ActionResult
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    let mut result = ActionResult::new(action, Verdict::Unverified, String::new());
    if let Err(e) = requested {
        result.error = Some(e.to_string());
        if !may_have_run(&e) {
            result.verdict = Verdict::NotAttempted;
            result.summary = format!("{call} {} not accepted: {e}", action.instance);
            return result;
        }
        warn!(error = %e, call, "the request may have been accepted; verifying");
    }
    check.wait(&mut result, false).await;
    result
}

/// A rolling-maintenance step: the reboot for pending parameters, or the pending action applied
/// at once.
async fn maintain<M, R, C>(action: &Action, check: &Check<'_, M, R, C>) -> ActionResult
where
    M: MemberProbe + MemberControl,
    R: RdsControl + RdsReboot,
    C: Clock,
{
    match &action.maintenance {
        Some(MaintenanceStep::Reboot) => {
            let requested = check.rds().reboot(&action.instance).await;
            restarted(action, check, requested, "RebootDBInstance").await
        }
        Some(MaintenanceStep::Apply(what)) => {
            let requested = check.rds().apply_maintenance(&action.instance, what).await;
            restarted(action, check, requested, "ApplyPendingMaintenanceAction").await
        }
        None => ActionResult::new(
            action,
            Verdict::NotAttempted,
            "a maintenance step without its work".to_owned(),
        ),
    }
}

/// Whether a failed reboot (or maintenance) request may have been accepted. A timed-out one
/// may. So may one answered `InvalidDBInstanceState`: the planner restarts only an `available`
/// instance, so that answer means a restart is under way, ours when the SDK retried a request
/// whose reply was lost, or one of RDS's own. Any other failure means not.
fn may_have_run(error: &RdsError) -> bool {
    match error {
        RdsError::InvalidState { .. } => true,
        RdsError::Aws(e) => e.class == FailureClass::Timeout,
        RdsError::NotFound { .. } => false,
    }
}

#[cfg(test)]
mod tests;

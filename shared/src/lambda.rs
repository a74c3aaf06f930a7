//! The Lambda handler, shared by both functions: everything is built once per cold start
//! ([`Deps::from_env`], through `wiring`: configuration, AWS clients, database credentials, kept
//! member connections), then each invocation parses its trigger and runs one tick ([`handle`]).
//!
//! A bad trigger, a trigger meant for the other function, or a failed cluster tick is returned
//! as an error with a stable `error_type`: the asynchronous invocation is then retried and in
//! the end lands in the on-failure destination, so no event is silently lost.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::{info, warn};

use crate::config::Config;
use crate::keeper::{KeeperError, TickOptions, TickSummary};
use crate::plan::FindingKind;
use crate::ports::clock::Clock;
use crate::ports::journal::DeploymentStore;
use crate::ports::secrets::SecretSource;
use crate::trigger::{self, Input, Trigger, TriggerError};
use crate::wiring::{InitError, Wired};

/// Which function this is: each accepts its own triggers, and manual ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `rds-event`: EventBridge RDS events.
    RdsEvent,
    /// `sweep`: the schedule.
    Sweep,
}

impl Function {
    fn accepts(self, trigger: &Trigger) -> bool {
        match trigger {
            Trigger::Manual(_) => true,
            Trigger::Schedule(_) => self == Function::Sweep,
            Trigger::RdsInstanceEvent(_)
            | Trigger::RdsClusterEvent(_)
            | Trigger::ParameterGroupEvent(_) => self == Function::RdsEvent,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Function::RdsEvent => "rds-event",
            Function::Sweep => "sweep",
        }
    }
}

/// What a cold start builds: the keeper and its secret ([`Wired`]), for one function.
#[derive(Debug)]
pub struct Deps {
    wired: Wired,
    function: Function,
}

impl Deps {
    /// Reads the configuration, builds every client from one SDK configuration, and reads the
    /// database credentials. A deployed function refuses the settings of local runs (TLS off,
    /// endpoint overrides).
    pub async fn from_env(function: Function) -> Result<Deps, InitError> {
        let config = Config::from_env()?;
        if let Some(refused) = config.local_only_settings() {
            return Err(InitError::LocalOnly(refused));
        }
        let wired = Wired::new(config, &crate::adapters::aws::sdk_config().await).await?;
        publish(&wired, function).await;
        Ok(Deps { wired, function })
    }

    /// The same from a configuration and an SDK configuration already read (the end-to-end
    /// tests read them from a harness's environment map instead of the process environment).
    pub async fn new(
        function: Function,
        config: Config,
        sdk: &SdkConfig,
    ) -> Result<Deps, InitError> {
        let wired = Wired::new(config, sdk).await?;
        publish(&wired, function).await;
        Ok(Deps { wired, function })
    }
}

/// Publishes the configuration this cold start runs with in the journal, where the operator CLI
/// reads it before acting and `grkeeper doctor` checks it. A failure is logged, not fatal: the
/// ticks do not depend on it (and a journal that cannot be written fails them on its own); the
/// CLI refuses to act while it finds none.
async fn publish(wired: &Wired, function: Function) {
    let keeper = &wired.keeper;
    let published = keeper.config.published(function.name(), keeper.clock.now());
    match keeper.journal.publish(&published).await {
        Ok(()) => info!(deployment = %keeper.config.deployment, "configuration published"),
        Err(e) => warn!(error = %e, kind = e.kind(), "configuration not published"),
    }
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The input is not a trigger grkeeper understands.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// The trigger belongs to the other function (a rule wired to the wrong target).
    #[error("the {function} function does not handle {trigger} triggers")]
    WrongFunction {
        /// This function.
        function: &'static str,
        /// The trigger's kind.
        trigger: &'static str,
    },
    /// The tick could not start.
    #[error(transparent)]
    Keeper(#[from] KeeperError),
    /// At least one cluster's tick failed; the summary says which and why.
    #[error("tick failed: {0}")]
    Tick(String),
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        let error_type = match &error {
            HandlerError::Trigger(e) => format!("InvalidTrigger.{}", e.kind()),
            HandlerError::WrongFunction { .. } => "WrongFunction".to_owned(),
            HandlerError::Keeper(e) => format!("Keeper.{}", e.kind()),
            HandlerError::Tick(_) => "TickFailed".to_owned(),
        };
        Diagnostic {
            error_type,
            error_message: error.to_string(),
        }
    }
}

/// One invocation: parse the trigger (strictly: a repeated key or an oversized input is
/// refused), run one tick, return its summary as JSON.
pub async fn handle(deps: &Deps, event: LambdaEvent<Input>) -> Result<Value, HandlerError> {
    let trigger = trigger::from_value(event.payload.checked()?)?;
    let summary = tick(
        deps,
        &trigger,
        &event.context.request_id,
        event.context.deadline,
    )
    .await?;
    let output = serde_json::to_value(&summary).map_err(|e| HandlerError::Tick(e.to_string()))?;
    if summary.failed() {
        return Err(HandlerError::Tick(output.to_string()));
    }
    Ok(output)
}

async fn tick(
    deps: &Deps,
    trigger: &Trigger,
    request_id: &str,
    deadline_ms: u64,
) -> Result<TickSummary, HandlerError> {
    if !deps.function.accepts(trigger) {
        return Err(HandlerError::WrongFunction {
            function: deps.function.name(),
            trigger: trigger.kind(),
        });
    }
    let options = TickOptions {
        owner: request_id.to_owned(),
        dry_run: false,
        deadline: deadline(deadline_ms),
        emit_metrics: true,
    };
    let summary = deps.wired.keeper.tick(trigger, &options).await?;
    info!(summary = %serde_json::to_string(&summary).unwrap_or_default(), "tick done");
    refresh_credentials_if_rejected(deps, &summary).await;
    Ok(summary)
}

/// A member that rejected the credentials may mean the secret was rotated: read it again for
/// the next invocation (the connections are renewed only if it changed).
async fn refresh_credentials_if_rejected(deps: &Deps, summary: &TickSummary) {
    let rejected = summary
        .clusters
        .iter()
        .filter_map(|c| c.plan.as_ref())
        .any(|plan| {
            plan.findings
                .iter()
                .any(|f| f.kind == FindingKind::AccessDenied)
        });
    if !rejected {
        return;
    }
    match deps.wired.secrets.credentials().await {
        Ok(credentials) => deps.wired.keeper.members.set_credentials(credentials),
        Err(e) => warn!(error = %e, "credentials could not be read again"),
    }
}

/// The invocation's deadline (milliseconds since the epoch) as an `Instant`. Lambda always
/// sends one in the future; a deadline already past is an emulator's constant (`cargo lambda
/// watch` sends 600000, a time in 1970), which says nothing: then the function timeout alone
/// bounds the tick, and a tick cut short leaves its action pending for the next one to verify.
fn deadline(deadline_ms: u64) -> Option<Instant> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let left = deadline_ms.checked_sub(now_ms).filter(|left| *left > 0)?;
    Some(Instant::now() + Duration::from_millis(left))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(json: &str) -> Trigger {
        trigger::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn each_function_takes_its_own_triggers_and_manual_ones() {
        let schedule = trigger(r#"{"grkeeper": "schedule"}"#);
        let manual = trigger(r#"{"action": "sweep"}"#);
        assert!(Function::Sweep.accepts(&schedule));
        assert!(!Function::RdsEvent.accepts(&schedule));
        assert!(Function::RdsEvent.accepts(&manual) && Function::Sweep.accepts(&manual));
    }

    #[test]
    fn errors_become_diagnostics_with_a_stable_type() {
        let error = trigger::parse(b"{}").unwrap_err();
        let diagnostic = Diagnostic::from(HandlerError::from(error));
        assert!(diagnostic.error_type.starts_with("InvalidTrigger."));
        assert!(!diagnostic.error_message.is_empty());
    }

    #[test]
    fn a_deadline_already_past_is_no_deadline_and_a_future_one_is_kept() {
        assert_eq!(deadline(600_000), None, "cargo lambda's constant");
        let in_a_minute = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 60_000;
        let at = deadline(u64::try_from(in_a_minute).unwrap()).unwrap();
        assert!(at > Instant::now() + Duration::from_secs(50));
    }
}

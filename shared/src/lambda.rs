//! The Lambda side of grkeeper, shared by both functions: everything is built once per cold
//! start ([`Deps::from_env`]: configuration, AWS clients, database credentials, kept member
//! connections), then each invocation parses its trigger and runs one tick ([`handle`]).
//!
//! A bad trigger, a trigger meant for the other function, or a failed cluster tick is returned
//! as an error with a stable `error_type`: the asynchronous invocation is then retried and in
//! the end lands in the on-failure destination, so no event is silently lost.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::{info, warn};

use crate::adapters::aws;
use crate::adapters::aws::dynamo::DynamoJournal;
use crate::adapters::aws::eventbridge::EventBridgeBus;
use crate::adapters::aws::rds::AwsRds;
use crate::adapters::aws::secrets_manager::SecretsManagerSource;
use crate::adapters::aws::sns::SnsNotifier;
use crate::adapters::mysql::{ConnectSettings, MysqlMembers};
use crate::config::{Config, ConfigError};
use crate::keeper::{Keeper, KeeperError, TickOptions, TickSummary};
use crate::plan::FindingKind;
use crate::ports::Ports;
use crate::ports::clock::SystemClock;
use crate::ports::secrets::{SecretError, SecretSource};
use crate::trigger::{self, Trigger, TriggerError};

/// The adapters of a deployment: AWS through the SDK, the members over MySQL.
#[derive(Debug)]
pub enum Deployed {}

impl Ports for Deployed {
    type Rds = AwsRds;
    type Members = MysqlMembers;
    type Journal = DynamoJournal;
    type Notifier = SnsNotifier;
    type Bus = EventBridgeBus;
    type Clock = SystemClock;
}

/// The keeper over the real AWS and MySQL adapters.
pub type LambdaKeeper = Keeper<Deployed>;

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

/// What a cold start builds.
#[derive(Debug)]
pub struct Deps {
    /// The keeper and its adapters.
    pub keeper: LambdaKeeper,
    secrets: SecretsManagerSource,
    function: Function,
}

/// Why a cold start failed; the message names what to fix.
#[derive(thiserror::Error)]
pub enum InitError {
    /// A `GRKEEPER_*` variable is missing or wrong (every problem is listed).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database secret could not be read.
    #[error("database credentials: {0}")]
    Secret(#[from] SecretError),
}

/// A failed `main` prints its error with `Debug`: make that the message, not a struct dump.
impl std::fmt::Debug for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Deps {
    /// Reads the configuration, builds every client from one SDK configuration, and reads the
    /// database credentials.
    pub async fn from_env(function: Function) -> Result<Deps, InitError> {
        let config = Config::from_env()?;
        Deps::new(function, config, &aws::sdk_config().await).await
    }

    /// The same from a configuration and an SDK configuration already read (the end-to-end
    /// tests read them from a harness's environment map instead of the process environment).
    pub async fn new(
        function: Function,
        config: Config,
        sdk: &SdkConfig,
    ) -> Result<Deps, InitError> {
        let secrets = SecretsManagerSource::new(
            aws_sdk_secretsmanager::Client::new(sdk),
            config.secret_arn.clone(),
        );
        let credentials = secrets.credentials().await?;
        let keeper = Keeper {
            rds: AwsRds::new(aws_sdk_rds::Client::new(sdk)),
            members: MysqlMembers::new(connect_settings(&config), credentials),
            journal: journal(sdk, &config),
            notifier: SnsNotifier::new(aws_sdk_sns::Client::new(sdk), config.topic_arn.clone()),
            bus: EventBridgeBus::new(
                aws_sdk_eventbridge::Client::new(sdk),
                config.event_bus.clone(),
            ),
            clock: SystemClock,
            config,
        };
        Ok(Deps {
            keeper,
            secrets,
            function,
        })
    }
}

/// The keeper a cold start builds, outside any function: the operator CLI's `status` and `tick`
/// run the very tick the functions run, from the same environment.
pub async fn keeper_from_env() -> Result<LambdaKeeper, InitError> {
    // Which function does not matter: only `handle` looks at it, and the CLI calls the keeper.
    Deps::from_env(Function::Sweep)
        .await
        .map(|deps| deps.keeper)
}

/// The journal alone, from the same environment: the CLI's `pause`, `resume` and `approve` write
/// to it and need neither the database credentials nor the other clients.
pub async fn journal_from_env() -> Result<DynamoJournal, InitError> {
    let config = Config::from_env()?;
    Ok(journal(&aws::sdk_config().await, &config))
}

/// The MySQL adapter's settings from the configuration.
pub fn connect_settings(config: &Config) -> ConnectSettings {
    ConnectSettings {
        connect_timeout: config.connect_timeout,
        query_timeout: config.query_timeout,
        tls: config.tls.clone(),
    }
}

fn journal(sdk: &SdkConfig, config: &Config) -> DynamoJournal {
    DynamoJournal::new(aws_sdk_dynamodb::Client::new(sdk), config.table.clone())
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

/// One invocation: parse the trigger, run one tick, return its summary as JSON.
pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
    let trigger = trigger::from_value(&event.payload)?;
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
    let summary = deps.keeper.tick(trigger, &options).await?;
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
    match deps.secrets.credentials().await {
        Ok(credentials) => deps.keeper.members.set_credentials(credentials),
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

/// JSON log lines on stderr (CloudWatch Logs keeps them), filtered by `RUST_LOG` (default
/// `info`); stdout is left to the embedded-metric-format lines.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .init();
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

//! Environment -> configuration -> adapters -> keeper, once per cold start: what both functions
//! and the operator CLI run with ([`Wired`]). A bad variable fails here, named; so does a secret
//! that cannot be read. The Lambda handler is `lambda`'s job.

use aws_config::SdkConfig;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::adapters::aws::dynamo::DynamoJournal;
use crate::adapters::aws::eventbridge::EventBridgeBus;
use crate::adapters::aws::rds::AwsRds;
use crate::adapters::aws::route53::Route53Zone;
use crate::adapters::aws::secrets_manager::SecretsManagerSource;
use crate::adapters::aws::sns::SnsNotifier;
use crate::adapters::aws::{self};
use crate::adapters::mysql::{ConnectSettings, MysqlMembers};
use crate::config::{Config, ConfigError};
use crate::keeper::Keeper;
use crate::ports::Ports;
use crate::ports::clock::SystemClock;
use crate::ports::secrets::{SecretError, SecretSource};

/// The adapters of a deployment: AWS through the SDK, the members over MySQL.
#[derive(Debug)]
pub enum Deployed {}

impl Ports for Deployed {
    type Rds = AwsRds;
    type Members = MysqlMembers;
    type Journal = DynamoJournal;
    type Notifier = SnsNotifier;
    type Bus = EventBridgeBus;
    type Dns = Route53Zone;
    type Clock = SystemClock;
}

/// The keeper over the real AWS and MySQL adapters.
pub type LambdaKeeper = Keeper<Deployed>;

/// What a cold start builds: the keeper, and the secret its database credentials came from
/// (read again when a member rejects them: the secret may have been rotated).
#[derive(Debug)]
pub struct Wired {
    /// The keeper and its adapters.
    pub keeper: LambdaKeeper,
    /// Where the members' credentials come from.
    pub secrets: SecretsManagerSource,
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
    /// A setting for local runs only, in a deployed function.
    #[error("{0}")]
    LocalOnly(String),
}

/// A failed `main` prints its error with `Debug`: make that the message, not a struct dump.
impl std::fmt::Debug for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Wired {
    /// Reads the configuration, builds every client from one SDK configuration, and reads the
    /// database credentials.
    pub async fn from_env() -> Result<Wired, InitError> {
        let config = Config::from_env()?;
        Wired::new(config, &aws::sdk_config().await).await
    }

    /// The same from a configuration and an SDK configuration already read (the end-to-end
    /// tests read them from a harness's environment map instead of the process environment).
    pub async fn new(config: Config, sdk: &SdkConfig) -> Result<Wired, InitError> {
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
            dns: Route53Zone::new(aws_sdk_route53::Client::new(sdk)),
            clock: SystemClock,
            config,
        };
        Ok(Wired { keeper, secrets })
    }
}

/// The keeper a cold start builds, outside any function: the operator CLI's `status` and `tick`
/// run the very tick the functions run, from the same environment.
pub async fn keeper_from_env() -> Result<LambdaKeeper, InitError> {
    Wired::from_env().await.map(|wired| wired.keeper)
}

/// The journal alone, from the same environment: the CLI's `pause`, `resume` and `approve` write
/// to it and need neither the database credentials nor the other clients.
pub async fn journal_from_env() -> Result<DynamoJournal, InitError> {
    let config = Config::from_env()?;
    Ok(journal(&aws::sdk_config().await, &config))
}

/// The MySQL adapter's settings from the configuration (the demo reads its members with them
/// too).
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

/// JSON log lines on stderr (CloudWatch Logs keeps them), filtered by `RUST_LOG` (default
/// `info`); stdout is left to the embedded-metric-format lines.
pub fn init_tracing() {
    let spec = std::env::var("RUST_LOG").ok();
    let (filter, unread) = log_filter(spec.as_deref());
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .finish()
        .with(filter)
        .init();
    if let Some(why) = unread {
        tracing::warn!(
            rust_log = spec.unwrap_or_default(),
            "RUST_LOG not read ({why}): logging at info"
        );
    }
}

/// The filter `RUST_LOG` asks for: a default level and levels per target (`info`,
/// `grkeeper=debug`, `warn,grkeeper::keeper=trace`); unset or empty, `info`. A value it cannot
/// read also gives `info`, with the reason. `Targets`, not `EnvFilter`: the span and field
/// filters only `EnvFilter` reads bring a regex engine into the function (the zip Lambda
/// downloads), and nothing here filters by span or field.
fn log_filter(spec: Option<&str>) -> (Targets, Option<String>) {
    let info = || Targets::new().with_default(LevelFilter::INFO);
    match spec.map(str::trim) {
        None | Some("") => (info(), None),
        // `Targets` would take `grkeeper[tick]=debug` for a target name that matches nothing.
        Some(spec) if spec.contains(['[', '{']) => (
            info(),
            Some("span and field filters are not supported".to_owned()),
        ),
        Some(spec) => match spec.parse() {
            Ok(filter) => (filter, None),
            Err(e) => (info(), Some(e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::log_filter;

    #[test]
    fn rust_log_sets_levels_per_target_as_documented() {
        for unset in [None, Some(""), Some("  ")] {
            let (filter, unread) = log_filter(unset);
            assert_eq!(unread, None);
            assert!(filter.would_enable("grkeeper::keeper", &Level::INFO));
            assert!(!filter.would_enable("hyper", &Level::DEBUG));
        }

        // docs/configuration.md: `RUST_LOG=grkeeper=debug` shows grkeeper's debug lines only.
        let (debug, unread) = log_filter(Some("grkeeper=debug"));
        assert_eq!(unread, None);
        assert!(debug.would_enable("grkeeper::keeper::sweep", &Level::DEBUG));
        assert!(!debug.would_enable("grkeeper::keeper", &Level::TRACE));
        assert!(!debug.would_enable("aws_smithy_runtime", &Level::ERROR));

        let (mixed, _) = log_filter(Some("warn,grkeeper::keeper=trace"));
        assert!(mixed.would_enable("grkeeper::keeper", &Level::TRACE));
        assert!(mixed.would_enable("lambda_runtime", &Level::WARN));
        assert!(!mixed.would_enable("grkeeper::plan", &Level::INFO));
    }

    #[test]
    fn an_unreadable_rust_log_falls_back_to_info_and_says_why() {
        for spec in [
            "grkeeper=loud",
            "grkeeper[tick]=debug",
            "grkeeper[{cluster}]=debug",
            "a=b=c",
        ] {
            let (filter, unread) = log_filter(Some(spec));
            assert!(unread.is_some(), "{spec}");
            assert!(filter.would_enable("grkeeper", &Level::INFO), "{spec}");
            assert!(!filter.would_enable("grkeeper", &Level::DEBUG), "{spec}");
        }
    }
}

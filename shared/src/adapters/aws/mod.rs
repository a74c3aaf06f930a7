//! How grkeeper talks to AWS: the timeouts and retries every SDK client uses, the one
//! `SdkConfig` a cold start builds them from, and SDK failures turned into an [`AwsError`].

pub mod dynamo;
pub mod eventbridge;
pub mod rds;
pub mod route53;
pub mod secrets_manager;
pub mod sns;

use std::error::Error as StdError;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};

use crate::ports::aws::{AwsError, FailureClass, classify_service};

/// Timeouts for every AWS call: a tick runs inside a Lambda timeout, so no call may hang.
/// The SDK default is only a 3.1 s connect timeout, with nothing bounding a stalled reply.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// Retries for every AWS call: a few quick attempts (throttling and transient failures), then a
/// typed error; the next scheduled tick is the real retry.
pub fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(2))
}

/// The SDK's config loader with grkeeper's HTTPS client: what the SDK's `default-https-client`
/// feature builds (hyper 1, rustls, the system's trusted roots, `HTTPS_PROXY`/`NO_PROXY` from the
/// environment), but with rustls on ring, the crypto provider mysql_async uses too, where the
/// SDK's default brings aws-lc-rs: one crypto library in the function, not two (the zip Lambda
/// downloads on a cold start is smaller by its size). Every SDK client is built from it.
pub fn defaults() -> ConfigLoader {
    let https = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            // The connect timeout sleeps on the runtime's clock.
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    aws_config::defaults(BehaviorVersion::latest()).http_client(https)
}

/// The one `SdkConfig` a cold start builds every client from (region, credentials and
/// `AWS_ENDPOINT_URL` from the environment, with [`timeouts`] and [`retries`]).
pub async fn sdk_config() -> SdkConfig {
    defaults()
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// An error and its causes as one line (`dispatch failure: io error: ... Connection refused`),
/// without the SDK's debug dump; a cause that repeats its parent is left out.
fn causes(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if !text.is_empty() && !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
}

impl AwsError {
    /// Classifies an SDK failure of `operation`.
    pub fn from_sdk<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let class = match &error {
            SdkError::ConstructionFailure(_) => FailureClass::Misconfigured,
            SdkError::TimeoutError(_) => FailureClass::Timeout,
            SdkError::DispatchFailure(failure) if failure.is_timeout() => FailureClass::Timeout,
            SdkError::DispatchFailure(failure) if failure.is_user() => FailureClass::Misconfigured,
            SdkError::DispatchFailure(_) => FailureClass::Unreachable,
            SdkError::ResponseError(_) => FailureClass::ServerError,
            SdkError::ServiceError(service) => {
                classify_service(error.code(), Some(service.raw().status().as_u16()))
            }
            _ => FailureClass::ServerError,
        };
        let code = error.code().map(str::to_owned);
        let detail = match error.message() {
            Some(message) => message.to_owned(),
            None => causes(&error),
        };
        AwsError {
            operation,
            class,
            code,
            detail,
            source: Some(Box::new(error)),
        }
    }

    /// A request that could not be built (an SDK builder refused it).
    pub fn misconfigured(
        operation: &'static str,
        error: impl StdError + Send + Sync + 'static,
    ) -> Self {
        AwsError {
            operation,
            class: FailureClass::Misconfigured,
            code: None,
            detail: error.to_string(),
            source: Some(Box::new(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_timeouts_bound_every_call() {
        let timeouts = timeouts();
        assert!(timeouts.connect_timeout().is_some());
        assert!(timeouts.operation_timeout().is_some());
        assert!(timeouts.operation_attempt_timeout() <= timeouts.operation_timeout());
    }
}

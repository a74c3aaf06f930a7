//! The members' database credentials, from Secrets Manager (`{"username", "password"}`, the shape
//! of RDS-managed secrets) or given directly (demo, tests). The password never reaches a log
//! line: [`Password`] redacts itself in `Debug` and `Display`.

use std::fmt;
use std::future::Future;

use serde_json::Value;
use tracing::instrument;

use crate::ports::aws::AwsError;

/// A database password; prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }

    /// The password itself, for the MySQL handshake only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// User name and password for every member of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// MySQL user.
    pub username: String,
    /// Its password.
    pub password: Password,
}

impl Credentials {
    /// Credentials from their parts.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: Password::new(password),
        }
    }
}

/// Why the credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No secret with that id (or no permission to know it exists).
    #[error("secret {secret} not found")]
    NotFound {
        /// The secret id or ARN asked for.
        secret: String,
    },
    /// The secret is not the expected JSON object (its text is never repeated).
    #[error("secret {secret}: {problem}")]
    Malformed {
        /// The secret id or ARN.
        secret: String,
        /// What is wrong, e.g. `not JSON`, `no "password" string field`.
        problem: String,
    },
    /// Secrets Manager failed the call (unreachable, throttled, denied, ...).
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl SecretError {
    /// Stable kind for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretError::NotFound { .. } => "secret_not_found",
            SecretError::Malformed { .. } => "secret_malformed",
            SecretError::Aws(error) => error.kind(),
        }
    }

    /// Worth retrying later as is.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SecretError::Aws(error) if error.is_retryable())
    }
}

/// Where member credentials come from.
pub trait SecretSource: Send + Sync {
    /// The current credentials.
    fn credentials(&self) -> impl Future<Output = Result<Credentials, SecretError>> + Send;
}

/// Credentials read from an AWS Secrets Manager secret.
#[derive(Debug, Clone)]
pub struct SecretsManagerSource {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

impl SecretsManagerSource {
    /// Reads `secret_id` (name or ARN) with `client`.
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerSource {
            client,
            secret_id: secret_id.into(),
        }
    }
}

impl SecretSource for SecretsManagerSource {
    #[instrument(skip(self), fields(secret = %self.secret_id))]
    async fn credentials(&self) -> Result<Credentials, SecretError> {
        let secret = self.secret_id.clone();
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                let error = AwsError::from_sdk("SecretsManager.GetSecretValue", e);
                if error.code.as_deref() == Some("ResourceNotFoundException") {
                    SecretError::NotFound { secret }
                } else {
                    SecretError::Aws(error)
                }
            })?;
        let text = output
            .secret_string()
            .ok_or_else(|| SecretError::Malformed {
                secret: self.secret_id.clone(),
                problem: "no SecretString (binary secrets are not supported)".to_owned(),
            })?;
        parse(text).map_err(|problem| SecretError::Malformed {
            secret: self.secret_id.clone(),
            problem,
        })
    }
}

/// Reads `{"username": ..., "password": ...}`. Errors never quote the secret's text.
fn parse(text: &str) -> Result<Credentials, String> {
    let value: Value = serde_json::from_str(text).map_err(|_| "not JSON".to_owned())?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no {name:?} string field"))
    };
    if !value.is_object() {
        return Err("not a JSON object".to_owned());
    }
    Ok(Credentials::new(field("username")?, field("password")?))
}

/// Fixed credentials (demo, tests).
#[derive(Debug, Clone)]
pub struct StaticSecret(pub Credentials);

impl SecretSource for StaticSecret {
    async fn credentials(&self) -> Result<Credentials, SecretError> {
        Ok(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_prints() {
        let credentials = Credentials::new("grkeeper", "hunter2");
        assert!(!format!("{credentials:?}").contains("hunter2"));
        assert_eq!(credentials.password.to_string(), "***");
        assert_eq!(credentials.password.expose(), "hunter2");
    }

    #[test]
    fn an_rds_managed_secret_parses() {
        let parsed = parse(r#"{"username": "admin", "password": "p@ss", "engine": "mysql"}"#);
        assert_eq!(parsed, Ok(Credentials::new("admin", "p@ss")));
    }

    #[test]
    fn a_malformed_secret_is_described_without_quoting_it() {
        assert_eq!(parse("hunter2"), Err("not JSON".to_owned()));
        assert_eq!(parse(r#""hunter2""#), Err("not a JSON object".to_owned()));
        assert_eq!(
            parse(r#"{"username": "admin"}"#),
            Err(r#"no "password" string field"#.to_owned())
        );
        assert_eq!(
            parse(r#"{"user": "admin", "password": 12345}"#),
            Err(r#"no "username" string field"#.to_owned())
        );
        assert_eq!(
            parse(r#"{"username": "admin", "password": 12345}"#),
            Err(r#"no "password" string field"#.to_owned())
        );
    }
}

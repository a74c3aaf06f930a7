//! The members' database credentials and where they come from ([`SecretSource`]; the Secrets
//! Manager implementation is `adapters::aws::secrets_manager`; the demo and the tests give
//! [`Credentials`] directly). The password never reaches a log line: [`Password`] redacts itself
//! in `Debug` and `Display`.

use std::fmt;
use std::future::Future;

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
}

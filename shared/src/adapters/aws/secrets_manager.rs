//! [`SecretSource`] over Secrets Manager `GetSecretValue`: a secret of the shape RDS-managed
//! secrets have, `{"username", "password"}`.

use serde_json::Value;
use tracing::instrument;

use crate::ports::aws::AwsError;
use crate::ports::secrets::{Credentials, SecretError, SecretSource};

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

#[cfg(test)]
mod tests {
    use super::*;

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

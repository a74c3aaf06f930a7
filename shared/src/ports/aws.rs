//! A failed call to an AWS API, classified: a stable kind and a retry verdict ([`AwsError`]).
//! The ports' errors carry it whichever adapter made the call, so the keeper decides on the
//! class, never on an SDK type; the SDK's failures are turned into it by `adapters::aws`.

use std::error::Error as StdError;
use std::fmt;

/// Why an AWS call failed, as far as a caller must decide anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// No connection could be made (refused, DNS, TLS): the endpoint is unreachable.
    Unreachable,
    /// The call did not complete in time.
    Timeout,
    /// AWS throttled the call.
    Throttled,
    /// AWS failed on its side (5xx, or a reply that could not be read).
    ServerError,
    /// The credentials lack the permission, or were rejected.
    Denied,
    /// AWS rejected the request itself (validation, unknown resource, ...).
    Rejected,
    /// The request could not be built (missing region or credentials, bad input).
    Misconfigured,
}

impl FailureClass {
    /// Stable name for logs and metric dimensions.
    pub fn kind(self) -> &'static str {
        match self {
            FailureClass::Unreachable => "aws_unreachable",
            FailureClass::Timeout => "aws_timeout",
            FailureClass::Throttled => "aws_throttled",
            FailureClass::ServerError => "aws_server_error",
            FailureClass::Denied => "aws_denied",
            FailureClass::Rejected => "aws_rejected",
            FailureClass::Misconfigured => "aws_misconfigured",
        }
    }

    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            FailureClass::Unreachable
                | FailureClass::Timeout
                | FailureClass::Throttled
                | FailureClass::ServerError
        )
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureClass::Unreachable => "endpoint unreachable",
            FailureClass::Timeout => "timed out",
            FailureClass::Throttled => "throttled",
            FailureClass::ServerError => "AWS-side failure",
            FailureClass::Denied => "access denied",
            FailureClass::Rejected => "request rejected",
            FailureClass::Misconfigured => "request could not be built",
        })
    }
}

/// A failed AWS call: which operation, how it failed, and the service's own words.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {class}: {detail}")]
pub struct AwsError {
    /// The operation, e.g. `DynamoDB.TransactWriteItems`.
    pub operation: &'static str,
    /// How it failed.
    pub class: FailureClass,
    /// The service's error code, when it answered with one.
    pub code: Option<String>,
    /// The service's message, or the SDK's description of the failure.
    pub detail: String,
    #[source]
    pub(crate) source: Option<Box<dyn StdError + Send + Sync>>,
}

impl AwsError {
    /// An error answered per entry inside a successful reply (e.g. a failed `PutEvents` entry).
    pub fn entry_failure(operation: &'static str, code: Option<&str>, detail: String) -> Self {
        AwsError {
            operation,
            class: classify_service(code, None),
            code: code.map(str::to_owned),
            detail,
            source: None,
        }
    }

    /// Stable name for logs and metric dimensions.
    pub fn kind(&self) -> &'static str {
        self.class.kind()
    }

    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        self.class.is_retryable()
    }
}

/// Error codes AWS services use for throttling or contention (the SDK's own retry classifier
/// list, plus SNS's `Throttled` and DynamoDB's transaction cancellation reasons).
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "Throttled",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    // DynamoDB transaction cancellation reasons.
    "ProvisionedThroughputExceeded",
    "ThrottlingError",
    "TransactionConflict",
    "RequestLimitExceeded",
    "LimitExceededException",
    "KMSThrottlingException",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Error codes that mean "these credentials may not do this" (or are not valid at all).
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "NotAuthorized",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "KMSAccessDeniedException",
];

/// Error codes for failures on AWS's side that another attempt may not meet.
const TRANSIENT: &[&str] = &[
    "InternalFailure",
    "InternalServerError",
    "InternalError",
    "InternalException",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Classifies a service's error answer by its code, then by its HTTP status.
pub(crate) fn classify_service(code: Option<&str>, status: Option<u16>) -> FailureClass {
    let code = code.unwrap_or_default();
    if THROTTLING.contains(&code) || status == Some(429) {
        FailureClass::Throttled
    } else if DENIED.contains(&code) || matches!(status, Some(401 | 403)) {
        FailureClass::Denied
    } else if TRANSIENT.contains(&code) || status.is_some_and(|s| s >= 500) {
        FailureClass::ServerError
    } else {
        FailureClass::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_of_every_service_grkeeper_calls_are_retryable() {
        for code in [
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "Throttled",
            "Throttling",
        ] {
            let class = classify_service(Some(code), Some(400));
            assert_eq!(class, FailureClass::Throttled, "{code}");
            assert!(class.is_retryable());
        }
    }

    #[test]
    fn a_transaction_cancelled_by_a_conflict_or_throttling_is_retryable() {
        for code in [
            "TransactionConflict",
            "ThrottlingError",
            "ProvisionedThroughputExceeded",
        ] {
            assert!(classify_service(Some(code), None).is_retryable(), "{code}");
        }
        assert!(!classify_service(Some("ValidationError"), None).is_retryable());
    }

    #[test]
    fn access_denied_is_not_retryable() {
        for (code, status) in [("AccessDeniedException", 400), ("AuthorizationError", 403)] {
            let class = classify_service(Some(code), Some(status));
            assert_eq!(class, FailureClass::Denied, "{code}");
            assert!(!class.is_retryable());
        }
        assert_eq!(classify_service(None, Some(403)), FailureClass::Denied);
    }

    #[test]
    fn server_errors_are_retryable_and_client_errors_are_not() {
        assert_eq!(classify_service(None, Some(503)), FailureClass::ServerError);
        assert_eq!(
            classify_service(Some("InternalFailure"), None),
            FailureClass::ServerError
        );
        let rejected = classify_service(Some("ResourceNotFoundException"), Some(400));
        assert_eq!(rejected, FailureClass::Rejected);
        assert!(!rejected.is_retryable());
    }
}

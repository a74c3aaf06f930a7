//! Delivering an alert: [`Notifier`]; [`MemoryNotifier`] keeps what it was given (the SNS
//! implementation is in `adapters::aws::sns`).

mod memory;

use std::future::Future;

use crate::ports::aws::AwsError;
use crate::report::AlertMessage;

pub use memory::MemoryNotifier;

/// Delivers alert messages.
pub trait Notifier: Send + Sync {
    /// Publishes one message.
    fn publish(
        &self,
        message: &AlertMessage,
    ) -> impl Future<Output = Result<(), AlertError>> + Send;
}

/// Why an alert could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The SNS call failed.
    #[error("publishing the alert failed: {0}")]
    Aws(#[from] AwsError),
}

impl AlertError {
    /// Stable name for logs and metric dimensions.
    pub fn kind(&self) -> &'static str {
        match self {
            AlertError::Aws(error) => error.kind(),
        }
    }

    /// Whether publishing again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            AlertError::Aws(error) => error.is_retryable(),
        }
    }
}

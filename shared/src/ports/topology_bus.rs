//! Delivering topology events: [`TopologyBus`]; [`MemoryBus`] keeps what it was given (the
//! EventBridge implementation is in `adapters::aws::eventbridge`).

mod memory;

use std::future::Future;

use crate::ports::aws::AwsError;
use crate::report::topology::TopologyEvent;

pub use memory::MemoryBus;

/// Delivers topology events.
pub trait TopologyBus: Send + Sync {
    /// Puts every event; any event not accepted is an error.
    fn put(
        &self,
        events: &[TopologyEvent],
    ) -> impl Future<Output = Result<(), TopologyError>> + Send;
}

/// Why topology events could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The call failed, or EventBridge refused some entries (the first refusal is given).
    #[error("putting topology events failed: {0}")]
    Aws(#[from] AwsError),
    /// An event's detail could not be written as JSON.
    #[error("topology event detail is not JSON: {0}")]
    Detail(#[from] serde_json::Error),
}

impl TopologyError {
    /// Stable name for logs and metric dimensions.
    pub fn kind(&self) -> &'static str {
        match self {
            TopologyError::Aws(error) => error.kind(),
            TopologyError::Detail(_) => "topology_detail",
        }
    }

    /// Whether putting the events again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            TopologyError::Aws(error) => error.is_retryable(),
            TopologyError::Detail(_) => false,
        }
    }
}

//! A notifier that keeps what it was given: for the demo, the CLI and tests.

use std::sync::{Arc, Mutex, PoisonError};

use super::{AlertError, Notifier};
use crate::report::AlertMessage;

/// Keeps every published message, in order. Clones share the same record.
#[derive(Debug, Clone, Default)]
pub struct MemoryNotifier {
    sent: Arc<Mutex<Vec<AlertMessage>>>,
}

impl MemoryNotifier {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message published so far.
    pub fn sent(&self) -> Vec<AlertMessage> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Notifier for MemoryNotifier {
    async fn publish(&self, message: &AlertMessage) -> Result<(), AlertError> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message.clone());
        Ok(())
    }
}

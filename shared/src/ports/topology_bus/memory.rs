//! A topology bus that keeps what it was given: for the demo, the CLI and tests.

use std::sync::{Arc, Mutex, PoisonError};

use super::{TopologyBus, TopologyError};
use crate::report::topology::TopologyEvent;

/// Keeps every event put, in order. Clones share the same record.
#[derive(Debug, Clone, Default)]
pub struct MemoryBus {
    events: Arc<Mutex<Vec<TopologyEvent>>>,
}

impl MemoryBus {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event put so far.
    pub fn events(&self) -> Vec<TopologyEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl TopologyBus for MemoryBus {
    async fn put(&self, events: &[TopologyEvent]) -> Result<(), TopologyError> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(events);
        Ok(())
    }
}

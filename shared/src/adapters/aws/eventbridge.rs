//! Delivers topology events with EventBridge `PutEvents` on the configured bus, ten entries per
//! call (the API's limit). An entry EventBridge refuses (`FailedEntryCount`) is an error.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::operation::put_events::PutEventsOutput;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use tracing::instrument;

use crate::ports::aws::AwsError;
use crate::ports::topology_bus::{TopologyBus, TopologyError};
use crate::report::topology::{SOURCE, TopologyEvent};

const PUT_EVENTS: &str = "EventBridge.PutEvents";
/// `PutEvents` takes at most 10 entries.
const ENTRIES_PER_CALL: usize = 10;

/// Puts events on one bus.
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus: String,
}

impl EventBridgeBus {
    /// A bus by name or ARN (`GRKEEPER_EVENT_BUS`, `default` if unset), over a client built
    /// once per cold start.
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        EventBridgeBus {
            client,
            bus: bus.into(),
        }
    }
}

impl TopologyBus for EventBridgeBus {
    #[instrument(skip(self, events), fields(bus = %self.bus, events = events.len()))]
    async fn put(&self, events: &[TopologyEvent]) -> Result<(), TopologyError> {
        for chunk in events.chunks(ENTRIES_PER_CALL) {
            let entries = chunk
                .iter()
                .map(|event| {
                    Ok(PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(SOURCE)
                        .detail_type(event.detail_type())
                        .detail(event.detail()?)
                        .build())
                })
                .collect::<Result<Vec<_>, TopologyError>>()?;
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(PUT_EVENTS, e))?;
            refused_entries(&output, chunk.len())?;
        }
        Ok(())
    }
}

/// `PutEvents` answers 200 even when it refuses entries: any refused entry fails the call,
/// classified by the first refusal's code (throttling and internal failures are retryable).
fn refused_entries(output: &PutEventsOutput, sent: usize) -> Result<(), AwsError> {
    if output.failed_entry_count() == 0 {
        return Ok(());
    }
    let refused = output.entries().iter().find(|e| e.error_code().is_some());
    let detail = format!(
        "{} of {sent} entries refused: {}",
        output.failed_entry_count(),
        refused
            .and_then(|e| e.error_message())
            .unwrap_or("no reason given")
    );
    Err(AwsError::entry_failure(
        PUT_EVENTS,
        refused.and_then(|e| e.error_code()),
        detail,
    ))
}

#[cfg(test)]
mod tests {
    use aws_sdk_eventbridge::types::PutEventsResultEntry;

    use super::*;
    use crate::ports::aws::FailureClass;

    fn output(results: Vec<PutEventsResultEntry>) -> PutEventsOutput {
        let failed = results.iter().filter(|e| e.error_code().is_some()).count();
        PutEventsOutput::builder()
            .failed_entry_count(i32::try_from(failed).unwrap())
            .set_entries(Some(results))
            .build()
    }

    fn accepted() -> PutEventsResultEntry {
        PutEventsResultEntry::builder().event_id("e-1").build()
    }

    fn refused(code: &str) -> PutEventsResultEntry {
        PutEventsResultEntry::builder()
            .error_code(code)
            .error_message(format!("{code} happened"))
            .build()
    }

    #[test]
    fn every_entry_accepted_is_success() {
        assert!(refused_entries(&output(vec![accepted(), accepted()]), 2).is_ok());
    }

    #[test]
    fn one_refused_entry_fails_the_put_with_its_code_and_message() {
        let error = refused_entries(&output(vec![accepted(), refused("ThrottlingException")]), 2)
            .unwrap_err();
        assert_eq!(error.class, FailureClass::Throttled);
        assert!(error.is_retryable());
        assert_eq!(error.code.as_deref(), Some("ThrottlingException"));
        assert_eq!(
            error.detail,
            "1 of 2 entries refused: ThrottlingException happened"
        );
    }

    #[test]
    fn a_refused_malformed_entry_is_not_retryable() {
        let error = refused_entries(&output(vec![refused("MalformedDetail")]), 1).unwrap_err();
        assert!(!error.is_retryable(), "{error}");
    }
}

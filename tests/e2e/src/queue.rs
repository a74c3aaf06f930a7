//! An SQS queue in moto to read back what SNS or EventBridge delivered: the oracle for alerts and
//! topology events.

use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use crate::harness::HarnessError;

/// How long [`Queue::receive`] waits for the deliveries it expects.
const DELIVERY_WITHIN: Duration = Duration::from_secs(15);
/// [`Queue::drain`] stops after a receive that waited this long and got nothing.
const QUIET: i32 = 2;

/// One queue, by URL and ARN.
#[derive(Debug, Clone)]
pub struct Queue {
    sqs: Client,
    /// For SQS calls.
    pub url: String,
    /// For subscriptions and rule targets.
    pub arn: String,
}

impl Queue {
    /// Creates the queue `name`.
    pub async fn create(sqs: &Client, name: &str) -> Result<Queue, HarnessError> {
        let created = sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .map_err(|e| HarnessError::aws("SQS.CreateQueue", e))?;
        let url = created.queue_url.unwrap_or_default();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| HarnessError::aws("SQS.GetQueueAttributes", e))?;
        let arn = attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        Ok(Queue {
            sqs: sqs.clone(),
            url,
            arn,
        })
    }

    /// Waits (at most [`DELIVERY_WITHIN`]) for `count` messages and returns their bodies as
    /// JSON, deleting them; fewer than `count` is an error listing what did arrive.
    pub async fn receive(&self, count: usize) -> Result<Vec<Value>, HarnessError> {
        let started = Instant::now();
        let mut bodies = Vec::new();
        while bodies.len() < count && started.elapsed() < DELIVERY_WITHIN {
            bodies.extend(self.take(1).await?);
        }
        if bodies.len() == count {
            Ok(bodies)
        } else {
            Err(HarnessError::Delivery {
                queue: self.url.clone(),
                expected: count,
                got: bodies,
            })
        }
    }

    /// Everything that arrives until a receive has waited a couple of seconds in vain: for
    /// asserting how many messages there were, none included.
    pub async fn drain(&self) -> Result<Vec<Value>, HarnessError> {
        let started = Instant::now();
        let mut bodies = Vec::new();
        // Bounded: a sender that never stops would otherwise keep this going.
        while started.elapsed() < DELIVERY_WITHIN {
            let batch = self.take(QUIET).await?;
            if batch.is_empty() {
                break;
            }
            bodies.extend(batch);
        }
        Ok(bodies)
    }

    /// One long-polling receive of up to 10 messages, deleted once read.
    async fn take(&self, wait_seconds: i32) -> Result<Vec<Value>, HarnessError> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .send()
            .await
            .map_err(|e| HarnessError::aws("SQS.ReceiveMessage", e))?;
        let mut bodies = Vec::new();
        for message in received.messages() {
            let body = message.body().unwrap_or_default();
            bodies.push(serde_json::from_str(body).map_err(|e| HarnessError::Json {
                what: format!("a message of {}", self.url),
                reason: e.to_string(),
            })?);
            self.sqs
                .delete_message()
                .queue_url(&self.url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .map_err(|e| HarnessError::aws("SQS.DeleteMessage", e))?;
        }
        Ok(bodies)
    }
}

//! Delivers alerts through SNS `Publish`: the subject, the body, and the attributes as String
//! MessageAttributes so subscriptions can filter (paging on `severity`).

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use tracing::instrument;

use crate::ports::aws::AwsError;

use crate::ports::notifier::{AlertError, Notifier};
use crate::report::AlertMessage;

const PUBLISH: &str = "SNS.Publish";

/// Publishes to one topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// A notifier for `topic_arn` (`GRKEEPER_TOPIC_ARN`), over a client built once per cold start.
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

impl Notifier for SnsNotifier {
    #[instrument(skip(self, message), fields(topic = %self.topic_arn, subject = %message.subject))]
    async fn publish(&self, message: &AlertMessage) -> Result<(), AlertError> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&message.subject)
            .message(&message.body);
        for (name, value) in &message.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| AwsError::misconfigured(PUBLISH, e))?;
            request = request.message_attributes(name, attribute);
        }
        request
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(PUBLISH, e))?;
        Ok(())
    }
}

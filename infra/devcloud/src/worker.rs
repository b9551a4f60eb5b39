//! A queue worker: consumes an SQS queue of the emulator and hands each message to a
//! function's `handle_message` in process, as Lambda's SQS event source mapping would — a
//! message is deleted only when it was handled, else it comes back after the visibility
//! timeout. One worker for every queue consumer: the local cloud runs the very code
//! Lambda runs.

use std::future::Future;
use std::time::Duration;

use aws_sdk_sqs::Client;

/// How long the worker waits before asking an empty queue again.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// A message that failed is handled again this long after (the queue's visibility
/// timeout).
pub const VISIBILITY_TIMEOUT_SECONDS: i32 = 2;

/// Creates a queue (with the visibility timeout above) and returns its URL.
pub async fn create_queue(client: &Client, name: &str) -> anyhow::Result<String> {
    create(client, name, None).await
}

/// Creates a queue whose messages move to the queue `dead_letters` (an ARN) after
/// `max_receives` failed attempts, as the template's redrive policies say.
pub async fn create_queue_with_dead_letters(
    client: &Client,
    name: &str,
    dead_letters: &str,
    max_receives: u32,
) -> anyhow::Result<String> {
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dead_letters,
        "maxReceiveCount": max_receives.to_string(),
    });
    create(client, name, Some(redrive.to_string())).await
}

async fn create(client: &Client, name: &str, redrive: Option<String>) -> anyhow::Result<String> {
    let mut request = client.create_queue().queue_name(name).attributes(
        aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
        VISIBILITY_TIMEOUT_SECONDS.to_string(),
    );
    if let Some(redrive) = redrive {
        request = request.attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            redrive,
        );
    }
    let output = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    output
        .queue_url
        .ok_or_else(|| anyhow::anyhow!("SQS returned no queue URL"))
}

/// A queue's consumer: what its Lambda does with one message body. An error means the
/// message is to be handled again later.
pub trait Consumer: Send + Sync + 'static {
    fn handle_message(&self, body: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// Runs until the process ends: `client` polls (as Lambda's event source mapping does);
/// `consumer` holds the function's own clients.
pub async fn run(client: Client, queue_url: String, consumer: impl Consumer) {
    loop {
        let received = client
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(1)
            .send()
            .await;
        let messages = match received {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(error), queue = %queue_url, "receiving messages failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            // Short polls with a pause here, not SQS long polling: moto would hold the
            // wait inside the request, and the emulator serves one request at a time.
            tokio::time::sleep(IDLE_POLL).await;
        }
        for message in messages {
            let body = message.body.unwrap_or_default();
            let done = match consumer.handle_message(&body).await {
                Ok(()) => true,
                Err(error) => {
                    tracing::warn!(%error, queue = %queue_url, "handling a message failed; it will be redelivered");
                    false
                }
            };
            if let (true, Some(receipt)) = (done, message.receipt_handle) {
                let deleted = client
                    .delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(receipt)
                    .send()
                    .await;
                if let Err(error) = deleted {
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(error), "deleting a handled message failed");
                }
            }
        }
    }
}

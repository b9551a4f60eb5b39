//! The recompute worker: consumes the recompute queue (SQS in the emulator) and runs the
//! `recompute` handler in process, as Lambda's SQS event source mapping would — a message
//! is deleted only when its step succeeded, else it comes back after the visibility
//! timeout.

use std::time::Duration;

use aws_sdk_sqs::Client;
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoRegistry};
use fieldcloud::adapters::sqs::SqsJobQueue;
use fieldcloud::domain::calculated::RecomputeJob;
use recompute::PAGE_RECORDS;

/// How long the worker waits before asking an empty queue again.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// A failed step is retried this long after (the queue's visibility timeout).
pub const VISIBILITY_TIMEOUT_SECONDS: i32 = 2;

/// Creates the recompute queue and returns its URL.
pub async fn create_queue(client: &Client, name: &str) -> anyhow::Result<String> {
    let output = client
        .create_queue()
        .queue_name(name)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            VISIBILITY_TIMEOUT_SECONDS.to_string(),
        )
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    output
        .queue_url
        .ok_or_else(|| anyhow::anyhow!("SQS returned no queue URL"))
}

/// Runs until the process ends: `client` polls (as Lambda's event source mapping does),
/// `registry`, `records` and `queue` are the function's own.
pub async fn run(
    client: Client,
    queue_url: String,
    registry: DynamoRegistry,
    records: DynamoRecords,
    queue: SqsJobQueue,
) {
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
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(error), "receiving recompute jobs failed");
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
            let done = match serde_json::from_str::<RecomputeJob>(&body) {
                Ok(job) => {
                    match recompute::handle(&job, &registry, &records, &queue, PAGE_RECORDS).await {
                        Ok(_) => true,
                        Err(error) => {
                            tracing::warn!(%error, "recompute step failed; it will be redelivered");
                            false
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(%error, %body, "not a recompute job; dropping it");
                    true
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
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(error), "deleting a recompute job failed");
                }
            }
        }
    }
}

//! Queues on SQS: recompute steps (the `recompute` Lambda consumes them, one message,
//! one bounded step), notifications (the `notify` Lambda delivers them), exports and
//! imports (the `files` Lambda carries them out); the local cloud consumes them the same
//! way.

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::Client;

use crate::domain::calculated::RecomputeJob;
use crate::domain::data_job::JobMessage;
use crate::ports::{DataJobQueue, JobQueue, NotifyJob, NotifyQueue, StoreError};

#[derive(Clone)]
pub struct SqsJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsJobQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsJobQueue {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl JobQueue for SqsJobQueue {
    async fn enqueue(&self, job: &RecomputeJob) -> Result<(), StoreError> {
        send(&self.client, &self.queue_url, job).await
    }
}

/// The notify queue.
#[derive(Clone)]
pub struct SqsNotifyQueue {
    client: Client,
    queue_url: String,
}

impl SqsNotifyQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsNotifyQueue {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl NotifyQueue for SqsNotifyQueue {
    async fn enqueue(&self, job: &NotifyJob) -> Result<(), StoreError> {
        send(&self.client, &self.queue_url, job).await
    }
}

/// The jobs queue, where exports and imports wait for the `files` Lambda.
#[derive(Clone)]
pub struct SqsDataJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsDataJobQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsDataJobQueue {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl DataJobQueue for SqsDataJobQueue {
    async fn queue_data_job(&self, message: &JobMessage) -> Result<(), StoreError> {
        send(&self.client, &self.queue_url, message).await
    }
}

/// The queues the API sends to: backfills, test notifications, exports and imports.
#[derive(Clone)]
pub struct SqsQueues {
    pub jobs: SqsJobQueue,
    pub notify: SqsNotifyQueue,
    pub data_jobs: SqsDataJobQueue,
}

#[async_trait]
impl DataJobQueue for SqsQueues {
    async fn queue_data_job(&self, message: &JobMessage) -> Result<(), StoreError> {
        self.data_jobs.queue_data_job(message).await
    }
}

#[async_trait]
impl JobQueue for SqsQueues {
    async fn enqueue(&self, job: &RecomputeJob) -> Result<(), StoreError> {
        self.jobs.enqueue(job).await
    }
}

#[async_trait]
impl NotifyQueue for SqsQueues {
    async fn enqueue(&self, job: &NotifyJob) -> Result<(), StoreError> {
        self.notify.enqueue(job).await
    }
}

/// Sends `message` as JSON.
async fn send(
    client: &Client,
    queue_url: &str,
    message: &impl serde::Serialize,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(message).expect("a queue message serializes");
    client
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .map_err(|e| StoreError::Unavailable(DisplayErrorContext(e).to_string()))?;
    Ok(())
}

//! The `recompute` Lambda: one step of [`fieldcloud::usecases::recompute`] per message
//! of the recompute queue. This crate reads the message and says how failures look to
//! Lambda.

use fieldcloud::domain::calculated::RecomputeJob;
use fieldcloud::ports::{
    CalculatedChannels, ChunkStore, Instruments, JobQueue, RecordStore, StoreError,
};
use fieldcloud::usecases::recompute::{step, PAGE_RECORDS};

/// A failure a retry can fix (the message is redelivered).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct RecomputeError(#[from] StoreError);

impl From<RecomputeError> for lambda_runtime::Diagnostic {
    fn from(error: RecomputeError) -> Self {
        let error_type = match &error.0 {
            StoreError::Unavailable(_) => "Retryable.StoreUnavailable",
            StoreError::Corrupt(_) => "StoreCorrupt",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// Handles one message of the recompute queue: a step of a job, [`PAGE_RECORDS`] source
/// records at most. A message that is not a job never will be: it is logged and dropped
/// (`Ok`), not retried. What Lambda runs, and the local cloud's queue worker too.
pub async fn handle_message(
    body: &str,
    store: &(impl Instruments + CalculatedChannels),
    record_store: &(impl RecordStore + ChunkStore),
    queue: &impl JobQueue,
) -> Result<(), RecomputeError> {
    match serde_json::from_str::<RecomputeJob>(body) {
        Ok(job) => Ok(step(&job, store, record_store, queue, PAGE_RECORDS)
            .await
            .map(drop)?),
        Err(error) => {
            tracing::error!(%error, %body, "not a recompute job; dropped");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::sqs::SqsEvent;

    /// `events/recompute.json`: a step of a calculated channel's backfill.
    #[test]
    fn the_sample_event_is_a_recompute_step() {
        let event: SqsEvent =
            serde_json::from_str(include_str!("../../../events/recompute.json")).unwrap();
        let body = event.records[0].body.as_deref().unwrap();
        let job: RecomputeJob = serde_json::from_str(body).unwrap();
        assert_eq!((job.account.as_str(), job.id.as_str()), ("demo", "power"));
    }
}

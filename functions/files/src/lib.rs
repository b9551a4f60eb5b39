//! The `files` Lambda: indexes what S3 reports created in the files bucket (through the
//! files queue). The work is [`fieldcloud::usecases::files::index_arrival`]; this crate
//! reads the queue's messages and says how failures look to Lambda.

use fieldcloud::domain::files::parse_s3_event;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{Accounts, Bucket, Files, StoreError};
use fieldcloud::usecases::files::{index_arrival, Arrival};

/// A message not handled: it comes back, and after five attempts waits in the
/// dead-letter queue.
#[derive(Debug)]
pub struct Failure(pub String);

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(Failure(message): Failure) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "Retryable.FilesNotIndexed".into(),
            error_message: message,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure(error.to_string())
    }
}

/// Indexes every object the S3 event in `body` reports created, at `now`.
pub async fn handle_message(
    body: &str,
    store: &(impl Accounts + Files),
    bucket: &impl Bucket,
    now: Millis,
) -> Result<Vec<Arrival>, Failure> {
    // Not an S3 event: no retry makes it one, but it goes on to the dead-letter queue,
    // whose alarm an operator sees — a change in S3's format must not stop indexing
    // unnoticed.
    let created = parse_s3_event(body).map_err(Failure)?;
    let mut arrivals = Vec::with_capacity(created.len());
    for object in &created {
        arrivals.push(index_arrival(store, bucket, object, now).await?);
    }
    Ok(arrivals)
}

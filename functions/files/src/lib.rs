//! The `files` Lambda: indexes what S3 reports created in the files bucket (through the
//! files queue), then tells the file's group of the file alarms it fires. The work is
//! [`fieldcloud::usecases::files::index_arrival`] and
//! [`fieldcloud::usecases::file_alarms::on_indexed`]; this crate reads the queue's
//! messages and says how failures look to Lambda.

use fieldcloud::domain::files::{file_of_key, parse_s3_event};
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{Accounts, Bucket, FileAlarms, Files, Inbox, NotifyQueue, StoreError};
use fieldcloud::usecases::file_alarms::on_indexed;
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

/// Indexes every object the S3 event in `body` reports created, at `now`, and tells
/// each indexed file's group of the file alarms it fires.
pub async fn handle_message(
    body: &str,
    store: &(impl Accounts + Files + FileAlarms + Inbox),
    bucket: &impl Bucket,
    notify_queue: &impl NotifyQueue,
    now: Millis,
) -> Result<Vec<Arrival>, Failure> {
    // Not an S3 event: no retry makes it one, but it goes on to the dead-letter queue,
    // whose alarm an operator sees — a change in S3's format must not stop indexing
    // unnoticed.
    let created = parse_s3_event(body).map_err(Failure)?;
    let mut arrivals = Vec::with_capacity(created.len());
    for object in &created {
        let arrival = index_arrival(store, bucket, object, now).await?;
        // Indexed now or before: a report seen again may be the retry of one that
        // indexed the file and failed before telling (the notices are told once).
        let indexed = matches!(arrival, Arrival::Indexed { .. } | Arrival::AlreadyIndexed);
        if let Some((account, group, id)) = file_of_key(&object.key).filter(|_| indexed) {
            on_indexed(store, notify_queue, &account, &group, &id).await?;
        }
        arrivals.push(arrival);
    }
    Ok(arrivals)
}

//! The `files` Lambda: indexes what S3 reports created in the files bucket and tells
//! each file's group of the file alarms it fires, and carries out the exports and
//! imports the API queues, both from the files queue. The work is
//! [`fieldcloud::usecases::files::index_arrival`],
//! [`fieldcloud::usecases::file_alarms::on_indexed`] and
//! [`fieldcloud::usecases::data_jobs::carry_out`]; this crate tells the messages apart
//! and says how failures look to Lambda.

use fieldcloud::domain::data_job::{JobMessage, JobState};
use fieldcloud::domain::files::{file_of_key, parse_s3_event};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::RegistrationId;
use fieldcloud::ports::{
    Accounts, Apps, Bucket, CalculatedChannels, ChunkStore, DataJobs, DataUsage, FileAlarms, Files,
    Inbox, Instruments, NotifyQueue, RecordStore, StoreError,
};
use fieldcloud::usecases::data_jobs::{carry_out, Clock};
use fieldcloud::usecases::file_alarms::on_indexed;
use fieldcloud::usecases::files::{index_arrival, Arrival};
use fieldcloud::usecases::ingest::IngestError;
use fieldcloud::usecases::random::{Random, ThreadRandom};

/// A message not handled: it comes back, and after five attempts waits in the
/// dead-letter queue.
#[derive(Debug)]
pub struct Failure(pub String);

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(Failure(message): Failure) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "Retryable.FilesNotHandled".into(),
            error_message: message,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure(error.to_string())
    }
}

impl From<IngestError> for Failure {
    fn from(error: IngestError) -> Self {
        Failure(error.to_string())
    }
}

/// What a message did.
#[derive(Debug)]
pub enum Handled {
    /// The objects of an S3 event, indexed.
    Arrivals(Vec<Arrival>),
    /// An export or import, ended (none if it is gone).
    Job(Option<JobState>),
}

/// An imported instrument's instance, drawn at random as ingest draws it.
fn random_instance() -> RegistrationId {
    RegistrationId::from_random(ThreadRandom.u64())
}

/// The wall clock.
pub fn now() -> Millis {
    Millis(chrono::Utc::now().timestamp_millis())
}

/// Handles the message `body`, delivered for the `attempt`th time: an export or import
/// queued by the API, or an S3 event whose objects it indexes, telling each indexed
/// file's group of the file alarms it fires.
pub async fn handle_message(
    (body, attempt): (&str, u32),
    store: &(impl Accounts
          + Apps
          + Instruments
          + CalculatedChannels
          + Files
          + FileAlarms
          + Inbox
          + DataJobs
          + DataUsage),
    record_store: &(impl RecordStore + ChunkStore),
    bucket: &impl Bucket,
    notify_queue: &impl NotifyQueue,
    clock: &Clock,
) -> Result<Handled, Failure> {
    if let Ok(message) = serde_json::from_str::<JobMessage>(body) {
        let job = (&message, attempt);
        let state = carry_out(store, record_store, bucket, job, &random_instance, clock);
        return Ok(Handled::Job(state.await?));
    }
    let now = clock();
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
    Ok(Handled::Arrivals(arrivals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::sqs::SqsEvent;

    fn body_of(event: &str) -> String {
        let event: SqsEvent = serde_json::from_str(event).unwrap();
        event.records[0].body.clone().unwrap()
    }

    /// `events/files-upload.json`: S3's report of a file of demo's drive arriving.
    #[test]
    fn the_upload_sample_is_a_file_of_a_group_s_drive_created() {
        let body = body_of(include_str!("../../../events/files-upload.json"));
        let created = parse_s3_event(&body).unwrap();
        let (account, group, _) = file_of_key(&created[0].key).unwrap();
        assert_eq!((account.as_str(), group.as_str()), ("demo", "plant-1"));
    }

    /// `events/files-job.json`: an export or import the API queued.
    #[test]
    fn the_job_sample_is_a_job_message() {
        let body = body_of(include_str!("../../../events/files-job.json"));
        let message: JobMessage = serde_json::from_str(&body).unwrap();
        assert_eq!(message.job.account.as_str(), "demo");
    }
}

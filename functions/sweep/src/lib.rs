//! The `sweep` Lambda: the daily quota sweep (SPEC.md 8), invoked by its EventBridge
//! schedule. The work is [`fieldcloud::usecases::quota_sweep`]; this crate says what the
//! function is invoked with, when an invocation stops to leave the rest to the next, and
//! how its failures look to Lambda. (The event and the stop rule are the `reminders`
//! function's; each function crate keeps its own so neither depends on the other.)

use std::time::{Duration, SystemTime};

use chrono::DateTime;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{
    AuditLog, Bucket, DataUsage, Files, Groups, Mailer, QuotaSweep, RecordStore, StoreError,
};
use fieldcloud::usecases::quota_sweep::{sweep_quotas, StoredData, SweepReport};
use serde::Deserialize;

/// Accounts read a page: a page is at most this many accounts' reads and notices, a few
/// seconds of DynamoDB and SES.
pub const PAGE_SIZE: usize = 50;

/// An invocation starts no page with less than this left before its timeout: a page of
/// [`PAGE_SIZE`] accounts fits well within it, so none is cut mid-page.
pub const STOP_BEFORE_TIMEOUT: Duration = Duration::from_secs(60);

/// EventBridge's scheduled event. Its `time` is the instant the schedule fired (the same
/// when Lambda retries the invocation): the day swept.
#[derive(Debug, Deserialize)]
pub struct ScheduledEvent {
    /// Never read: required so that no other event reads as a schedule.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    #[serde(deserialize_with = "rfc3339")]
    pub time: Millis,
}

fn rfc3339<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Millis, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|time| Millis(time.timestamp_millis()))
        .map_err(|e| serde::de::Error::custom(format!("`time` {text:?}: {e}")))
}

/// What the function works with: the registry, the records table and the files bucket
/// (where deleted data and files are), and SES.
pub struct QuotaSweeper<S, R, B, M> {
    pub store: S,
    pub records: R,
    pub bucket: B,
    pub mailer: M,
    pub page_size: usize,
}

impl<S, R, B, M> QuotaSweeper<S, R, B, M>
where
    S: QuotaSweep + Files + DataUsage + Groups + AuditLog,
    R: RecordStore,
    B: Bucket,
    M: Mailer,
{
    /// Sweeps the accounts on `event`'s day while `time_left()` says a page (or a step
    /// of a deletion) fits.
    pub async fn handle(
        &self,
        event: &ScheduledEvent,
        time_left: impl Fn() -> bool + Sync,
    ) -> Result<SweepReport, Failure> {
        let stored = StoredData {
            store: &self.store,
            records: &self.records,
            bucket: &self.bucket,
        };
        sweep_quotas(
            &self.store,
            &stored,
            &self.mailer,
            event.time,
            self.page_size,
            time_left,
        )
        .await
        .map_err(Failure)
    }
}

/// Whether another page fits before `deadline` (the invocation's, from Lambda), keeping
/// [`STOP_BEFORE_TIMEOUT`] in hand.
pub fn time_left_before(deadline: SystemTime) -> impl Fn() -> bool {
    move || {
        SystemTime::now()
            .checked_add(STOP_BEFORE_TIMEOUT)
            .is_some_and(|then| then < deadline)
    }
}

/// A failure as Lambda reports it: a retryable one's type starts `Retryable.`. A retry
/// continues where the invocation stopped and sends nothing twice.
#[derive(Debug)]
pub struct Failure(pub StoreError);

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(Failure(error): Failure) -> Self {
        let error_type = match &error {
            StoreError::Unavailable(_) => "Retryable.StoreUnavailable",
            StoreError::Corrupt(_) => "StoreCorrupt",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_event_is_a_schedule_at_midnight_utc() {
        let event: ScheduledEvent =
            serde_json::from_str(include_str!("../../../events/quota-sweep.json")).unwrap();
        assert_eq!(event.time, Millis(1_801_440_000_000)); // 2027-02-01T00:00:00Z
        assert!(
            serde_json::from_str::<ScheduledEvent>(r#"{"time":"2027-02-01T00:00:00Z"}"#).is_err()
        );
    }

    #[test]
    fn no_page_starts_within_a_minute_of_the_timeout() {
        let now = SystemTime::now();
        assert!(time_left_before(now + Duration::from_secs(120))());
        assert!(!time_left_before(now + Duration::from_secs(30))());
    }
}

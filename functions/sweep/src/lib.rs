//! The `sweep` Lambda: the daily quota sweep (SPEC.md 8), invoked by its EventBridge
//! schedule. The work is [`fieldcloud::usecases::quota_sweep`]; this crate says what the
//! function is invoked with, when an invocation stops to leave the rest to the next, and
//! how its failures look to Lambda. (The event and the stop rule are the `reminders`
//! function's; each function crate keeps its own so neither depends on the other.)

use std::time::{Duration, SystemTime};

use chrono::DateTime;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::schedule::scheduled_event_is_current;
use fieldcloud::ports::{
    AuditLog, Bucket, ChunkStore, DataUsage, Files, Groups, Mailer, QuotaSweep, RecordStore,
    StoreError,
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
    R: RecordStore + ChunkStore,
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
        .map_err(Failure::Store)
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

/// Refuses an event whose `time` is not the schedule's firing of about `now`: a sample
/// event or a hand-made one would lapse, delete and tell on another day's terms.
pub fn check_current(event: &ScheduledEvent, now: Millis) -> Result<(), Failure> {
    if scheduled_event_is_current(event.time, now) {
        return Ok(());
    }
    Err(Failure::NotCurrent { time: event.time })
}

/// What Lambda is told of an invocation: its report, or a failure when a notice was
/// claimed and its mail failed, or an account could not be read. Neither is retried by
/// the sweep itself, so the invocation fails to make it seen: the function's error
/// alarm tells the operator. Lambda's retries find the work done and do nothing twice.
pub fn invocation_result(report: SweepReport) -> Result<SweepReport, Failure> {
    if report.failed.is_empty() && report.unreadable.is_empty() {
        return Ok(report);
    }
    tracing::error!(
        ?report,
        "quota sweep: notices not sent or accounts unreadable"
    );
    Err(Failure::NotDone {
        failed: report.failed.len(),
        unreadable: report.unreadable.len(),
    })
}

/// A failure as Lambda reports it: a retryable one's type starts `Retryable.`. A retry
/// continues where the invocation stopped and sends nothing twice.
#[derive(Debug)]
pub enum Failure {
    Store(StoreError),
    /// Notices claimed whose mails failed, and accounts that could not be read.
    NotDone {
        failed: usize,
        unreadable: usize,
    },
    /// The event is not the schedule's of now.
    NotCurrent {
        time: Millis,
    },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Store(error) => error.fmt(f),
            Failure::NotDone { failed, unreadable } => write!(
                f,
                "{failed} storage notices claimed but not sent, {unreadable} accounts unreadable"
            ),
            Failure::NotCurrent { time } => write!(
                f,
                "the event's time ({} ms) is more than 6 hours from now: not the schedule's, refused",
                time.0
            ),
        }
    }
}

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(failure: Failure) -> Self {
        let error_type = match &failure {
            Failure::Store(StoreError::Unavailable(_)) => "Retryable.StoreUnavailable",
            Failure::Store(StoreError::Corrupt(_)) => "StoreCorrupt",
            Failure::NotDone { .. } => "SweepNotDone",
            Failure::NotCurrent { .. } => "NotTheSchedule",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: failure.to_string(),
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
    fn the_sample_event_is_refused_unless_it_is_about_now() {
        let event: ScheduledEvent =
            serde_json::from_str(include_str!("../../../events/quota-sweep.json")).unwrap();
        assert!(check_current(&event, event.time.plus(Millis::MINUTE)).is_ok());
        let today = Millis(1_796_256_000_000); // 2026-12-03
        let refused = check_current(&event, today).unwrap_err();
        let diagnostic = lambda_runtime::Diagnostic::from(refused);
        assert_eq!(diagnostic.error_type, "NotTheSchedule");
    }

    #[test]
    fn no_page_starts_within_a_minute_of_the_timeout() {
        let now = SystemTime::now();
        assert!(time_left_before(now + Duration::from_secs(120))());
        assert!(!time_left_before(now + Duration::from_secs(30))());
    }
}

//! The `reminders` Lambda: the daily license reminders (SPEC.md 8), invoked by its
//! EventBridge schedule. The work is [`fieldcloud::usecases::license_reminders`]; this
//! crate says what the function is invoked with, when an invocation stops to leave the
//! rest to the next, and how its failures look to Lambda.

use std::time::{Duration, SystemTime};

use chrono::DateTime;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::schedule::scheduled_event_is_current;
use fieldcloud::ports::{Accounts, LicenseReminders, Mailer, StoreError};
use fieldcloud::usecases::license_reminders::{send_license_reminders, ReminderReport};
use serde::Deserialize;

/// Licenses read a page: a page is at most this many mails, a few seconds of SES.
pub const PAGE_SIZE: usize = 50;

/// An invocation starts no page with less than this left before its timeout: a page of
/// [`PAGE_SIZE`] mails at SES's slowest fits well within it, so none is cut mid-page.
pub const STOP_BEFORE_TIMEOUT: Duration = Duration::from_secs(60);

/// EventBridge's scheduled event. Its `time` is the instant the schedule fired (the same
/// when Lambda retries the invocation), and the day the reminders are of.
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

/// What the function works with.
pub struct Reminders<S, M> {
    pub store: S,
    pub mailer: M,
    pub page_size: usize,
}

impl<S, M> Reminders<S, M>
where
    S: Accounts + LicenseReminders,
    M: Mailer,
{
    /// Sends the reminders of `event`'s day while `time_left()` says a page fits.
    pub async fn handle(
        &self,
        event: &ScheduledEvent,
        time_left: impl Fn() -> bool,
    ) -> Result<ReminderReport, Failure> {
        send_license_reminders(
            &self.store,
            &self.mailer,
            event.time,
            self.page_size,
            time_left,
        )
        .await
        .map_err(Failure::Store)
    }
}

/// What Lambda is told of an invocation: its report, or a failure when a reminder was
/// claimed and its mail failed. That reminder is not sent again (see
/// [`fieldcloud::usecases::license_reminders`]), so the invocation fails to make it seen:
/// the function's error alarm tells the operator, who can tell the customer. Lambda's
/// retries of it find the reminder claimed and send nothing.
pub fn invocation_result(report: ReminderReport) -> Result<ReminderReport, Failure> {
    if report.failed.is_empty() {
        return Ok(report);
    }
    tracing::error!(?report, "license reminders claimed but not sent");
    Err(Failure::NotSent(report.failed.len()))
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
pub enum Failure {
    Store(StoreError),
    /// This many reminders were claimed and their mails failed.
    NotSent(usize),
    /// The event is not the schedule's of now.
    NotCurrent {
        time: Millis,
    },
}

/// Refuses an event whose `time` is not the schedule's firing of about `now`: a sample
/// event or a hand-made one would remind on another day's terms.
pub fn check_current(event: &ScheduledEvent, now: Millis) -> Result<(), Failure> {
    if scheduled_event_is_current(event.time, now) {
        return Ok(());
    }
    Err(Failure::NotCurrent { time: event.time })
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Store(error) => error.fmt(f),
            Failure::NotCurrent { time } => write!(
                f,
                "the event's time ({} ms) is more than 6 hours from now: not the schedule's, refused",
                time.0
            ),
            Failure::NotSent(count) => {
                write!(f, "{count} license reminders claimed but not sent (SES refused or did not answer); they are not retried")
            }
        }
    }
}

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(failure: Failure) -> Self {
        let error_type = match &failure {
            Failure::Store(StoreError::Unavailable(_)) => "Retryable.StoreUnavailable",
            Failure::Store(StoreError::Corrupt(_)) => "StoreCorrupt",
            Failure::NotSent(_) => "RemindersNotSent",
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
            serde_json::from_str(include_str!("../../../events/license-reminder.json")).unwrap();
        assert_eq!(event.time, Millis(1_801_440_000_000)); // 2027-02-01T00:00:00Z
        assert!(
            serde_json::from_str::<ScheduledEvent>(r#"{"time":"2027-02-01T00:00:00Z"}"#).is_err()
        );
        assert!(serde_json::from_str::<ScheduledEvent>(
            r#"{"detail-type":"Scheduled Event","time":"soon"}"#
        )
        .is_err());
    }

    #[test]
    fn an_invocation_with_a_reminder_not_sent_fails() {
        let report = |failed| ReminderReport {
            day: "2027-02-01".parse().unwrap(),
            sent: Vec::new(),
            licenses_read: 1,
            already_sent: 0,
            without_contract_email: Vec::new(),
            failed,
            finished: true,
        };
        assert!(invocation_result(report(Vec::new())).is_ok());
        let lost = fieldcloud::usecases::license_reminders::SentReminder {
            account: fieldcloud::domain::ids::AccountId::parse("acme").unwrap(),
            kind: fieldcloud::domain::schedule::ReminderKind::SevenDays,
            to: "contract@acme.example".into(),
            expiry: "2027-02-08".parse().unwrap(),
        };
        let failure = invocation_result(report(vec![lost])).unwrap_err();
        assert!(matches!(failure, Failure::NotSent(1)));
        let diagnostic = lambda_runtime::Diagnostic::from(failure);
        assert_eq!(diagnostic.error_type, "RemindersNotSent");
    }

    #[test]
    fn no_page_starts_within_a_minute_of_the_timeout() {
        let now = SystemTime::now();
        assert!(time_left_before(now + Duration::from_secs(120))());
        assert!(!time_left_before(now + Duration::from_secs(30))());
    }
}

//! The `presence` Lambda: apps' connection statuses, from IoT Core's lifecycle events
//! (the presence rule invokes it with each) and from silence (EventBridge invokes it
//! every minute to sweep). The work is [`fieldcloud::usecases::app_status`]; this crate
//! says what it is invoked with and how its failures look to Lambda.

use chrono::DateTime;
use fieldcloud::domain::app_status::PresenceEvent;
use fieldcloud::domain::iot_thing::Stack;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{
    AppStatuses, Apps, ChunkStore, Inbox, NotifyQueue, RecordStore, StoreError,
};
use fieldcloud::usecases::app_status::{self, LifecycleReport, StatusError, SweepReport};
use serde::{Deserialize, Serialize};

/// The silences `APP_SILENCE_MINUTES` may set, in minutes: from what the API calls
/// connected (shorter would tell apps sending on time they are gone) to an hour. The
/// template's default is [`fieldcloud::domain::app_status::DEFAULT_SILENCE_MILLIS`].
pub const SILENCE_MINUTES: std::ops::RangeInclusive<i64> = 3..=60;

/// What the function is invoked with.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// From the presence rule.
    Lifecycle(PresenceEvent),
    /// From the schedule: EventBridge's scheduled event, whose `time` is the instant
    /// swept (the same when Lambda retries the invocation, so a retry decides the same).
    Schedule {
        /// Never read: required so that no other event reads as a schedule.
        #[serde(rename = "detail-type")]
        detail_type: String,
        #[serde(deserialize_with = "rfc3339")]
        time: Millis,
    },
}

fn rfc3339<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Millis, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|time| Millis(time.timestamp_millis()))
        .map_err(|e| serde::de::Error::custom(format!("`time` {text:?}: {e}")))
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Report {
    Lifecycle(LifecycleReport),
    Sweep(SweepReport),
}

/// What the function works with.
pub struct Presence<S, R, Q> {
    pub stack: Stack,
    pub store: S,
    pub records: R,
    pub notify_queue: Q,
    /// Milliseconds.
    pub silence: i64,
}

impl<S, R, Q> Presence<S, R, Q>
where
    S: Apps + AppStatuses + Inbox,
    R: RecordStore + ChunkStore,
    Q: NotifyQueue,
{
    pub async fn handle(&self, invocation: &Invocation) -> Result<Report, Failure> {
        match invocation {
            Invocation::Lifecycle(event) => {
                app_status::on_lifecycle(event, &self.stack, &self.store, &self.notify_queue)
                    .await
                    .map(Report::Lifecycle)
            }
            Invocation::Schedule { time, .. } => app_status::sweep(
                &self.store,
                &self.records,
                &self.notify_queue,
                *time,
                self.silence,
            )
            .await
            .map(Report::Sweep),
        }
        .map_err(Failure)
    }
}

/// `APP_SILENCE_MINUTES` as milliseconds: a whole number of minutes in
/// [`SILENCE_MINUTES`].
pub fn silence_millis(minutes: &str) -> Result<i64, String> {
    minutes
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| SILENCE_MINUTES.contains(m))
        .map(|m| m * Millis::MINUTE)
        .ok_or_else(|| {
            format!(
                "APP_SILENCE_MINUTES must be a whole number of minutes from {} to {}, got `{minutes}`",
                SILENCE_MINUTES.start(),
                SILENCE_MINUTES.end()
            )
        })
}

/// A failure as Lambda reports it: a retryable one's type starts `Retryable.`.
#[derive(Debug)]
pub struct Failure(pub StatusError);

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(Failure(error): Failure) -> Self {
        let error_type = match &error {
            StatusError::Store(StoreError::Unavailable(_)) => "Retryable.StoreUnavailable",
            StatusError::Store(StoreError::Corrupt(_)) => "StoreCorrupt",
            StatusError::Contention(_) => "Retryable.Contention",
            StatusError::Sweep(_) => "SweepIncomplete",
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
    fn a_rule_event_and_a_scheduled_event_tell_themselves_apart() {
        let lifecycle: Invocation = serde_json::from_str(
            r#"{"clientId":"prod:acme:gw-1","timestamp":1,"eventType":"connected","versionNumber":3}"#,
        )
        .unwrap();
        assert!(matches!(lifecycle, Invocation::Lifecycle(e) if e.version_number == 3));
        let schedule: Invocation = serde_json::from_str(
            r#"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-12-02T08:00:00Z","region":"eu-west-1","resources":[],"detail":{}}"#,
        )
        .unwrap();
        assert!(
            matches!(schedule, Invocation::Schedule { time, .. } if time == Millis(1_796_198_400_000))
        );
        assert!(serde_json::from_str::<Invocation>(r#"{"time":"soon"}"#).is_err());
    }

    /// `events/presence-connected.json` and `events/presence-sweep.json`, what `sam local
    /// invoke PresenceFunction` is given: the presence rule's event and the schedule's.
    #[test]
    fn the_sample_events_are_a_connection_and_a_sweep() {
        let connected: Invocation =
            serde_json::from_str(include_str!("../../../events/presence-connected.json")).unwrap();
        assert!(
            matches!(connected, Invocation::Lifecycle(e) if e.client_id == "local:demo:sim-gw-1")
        );
        let sweep: Invocation =
            serde_json::from_str(include_str!("../../../events/presence-sweep.json")).unwrap();
        assert!(matches!(sweep, Invocation::Schedule { .. }));
    }

    #[test]
    fn the_silence_is_whole_minutes_within_an_hour() {
        assert_eq!(silence_millis("3"), Ok(3 * Millis::MINUTE));
        for bad in ["2", "61", "2.5", "", "three"] {
            let error = silence_millis(bad).unwrap_err();
            assert!(error.contains("APP_SILENCE_MINUTES"), "{error}");
        }
    }
}

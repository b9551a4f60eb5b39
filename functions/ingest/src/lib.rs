//! The `ingest` Lambda: device records in, stored exactly once. The work is
//! [`fieldcloud::usecases::ingest`]; this crate says how its failures look to Lambda.

use fieldcloud::domain::registry::RegistrationId;
use fieldcloud::ports::StoreError;
use fieldcloud::usecases::ingest::IngestError;
use fieldcloud::usecases::random::{Random, ThreadRandom};

/// An ingest failure as Lambda reports it: a retryable one's type starts `Retryable.`.
#[derive(Debug)]
pub struct Failure(pub IngestError);

impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(Failure(error): Failure) -> Self {
        let error_type = match &error {
            IngestError::Store(StoreError::Unavailable(_)) => "Retryable.StoreUnavailable",
            IngestError::Store(StoreError::Corrupt(_)) => "StoreCorrupt",
            IngestError::Contention(_) => "Retryable.Contention",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: error.to_string(),
        }
    }
}

/// A new instrument's random instance.
pub fn random_instance() -> RegistrationId {
    RegistrationId::from_random(ThreadRandom.u64())
}

#[cfg(test)]
mod tests {
    use fieldcloud::domain::iot_thing::Stack;
    use fieldcloud::domain::protocol::{parse_event, RuleEvent};

    /// `events/ingest.json`, what `sam local invoke IngestFunction` is given, is what the
    /// IoT rule sends: a batch of demo's app `sim-gw-1` in the local cloud's stack.
    #[test]
    fn the_sample_event_is_a_batch_from_a_thing_of_the_local_stack() {
        let event: RuleEvent =
            serde_json::from_str(include_str!("../../../events/ingest.json")).unwrap();
        let batch = parse_event(&event).unwrap();
        assert_eq!((batch.records.len(), batch.rejected.len()), (1, 0));
        let (account, app) = Stack::parse("local").unwrap().app_of(&event.thing).unwrap();
        assert_eq!((account.as_str(), app.as_str()), ("demo", "sim-gw-1"));
    }
}

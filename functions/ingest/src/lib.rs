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

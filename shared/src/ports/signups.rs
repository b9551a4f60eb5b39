//! The [`Signups`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::auth::Signup;

/// Pending Trial sign-ups, under the hash of their secret.
#[async_trait]
pub trait Signups: Send + Sync {
    /// Stores a pending sign-up under the hash of its secret.
    async fn create_signup(&self, hash: &str, signup: &Signup) -> Result<(), StoreError>;
    async fn signup(&self, hash: &str) -> Result<Option<Signup>, StoreError>;
    /// Consumes a sign-up: `true` for the one caller that removed it.
    async fn take_signup(&self, hash: &str) -> Result<bool, StoreError>;
}

//! The [`Resets`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::auth::PasswordReset;

/// Pending password resets, under the hash of their secret.
#[async_trait]
pub trait Resets: Send + Sync {
    /// Stores a pending reset under the hash of its secret.
    async fn create_reset(&self, hash: &str, reset: &PasswordReset) -> Result<(), StoreError>;
    async fn reset(&self, hash: &str) -> Result<Option<PasswordReset>, StoreError>;
    /// Consumes a reset: `true` for the one caller that removed it.
    async fn take_reset(&self, hash: &str) -> Result<bool, StoreError>;
}

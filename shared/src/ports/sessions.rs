//! The [`Sessions`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::auth::Session;
use crate::domain::record::Millis;

/// Login sessions.
#[async_trait]
pub trait Sessions: Send + Sync {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError>;
    /// Records activity on a session at `at`; its last activity never moves backward.
    async fn touch_session(&self, id: &str, at: Millis) -> Result<(), StoreError>;
    /// Ends a session (logout).
    async fn delete_session(&self, id: &str) -> Result<(), StoreError>;
    /// Moves one session into `generation`, so that it outlives a password change
    /// (the session that changed the password); a session that is gone stays gone.
    async fn keep_session(&self, id: &str, generation: u64) -> Result<(), StoreError>;
}

//! The [`Teams`] port.

use async_trait::async_trait;

use super::{Created, StoreError};
use crate::domain::access::Team;
use crate::domain::ids::{AccountId, TeamId};

/// The teams of an account.
#[async_trait]
pub trait Teams: Send + Sync {
    /// The teams of an account.
    async fn teams(&self, account: &AccountId) -> Result<Vec<Team>, StoreError>;
    async fn team(&self, account: &AccountId, id: &TeamId) -> Result<Option<Team>, StoreError>;
    /// Creates a team unless the account has `limit` or the ID is taken (race-safe).
    async fn create_team(&self, team: &Team, limit: u32) -> Result<Created, StoreError>;
    /// Replaces a team's name and members; `false` if there is no such team.
    async fn update_team(&self, team: &Team) -> Result<bool, StoreError>;
    /// Deletes a team; `false` if there was none.
    async fn delete_team(&self, account: &AccountId, id: &TeamId) -> Result<bool, StoreError>;
}

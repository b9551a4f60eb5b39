//! The [`Groups`] port.

use async_trait::async_trait;

use super::{Created, StoreError};
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::registry::{App, Group, Instrument};

/// The measurement groups of an account, with their grants and members.
#[async_trait]
pub trait Groups: Send + Sync {
    async fn group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>, StoreError>;
    /// The measurement groups of an account.
    async fn groups(&self, account: &AccountId) -> Result<Vec<Group>, StoreError>;
    /// Creates a group unless the account has `limit` already (race-safe), granted to no
    /// one whatever `group` says.
    async fn create_group(&self, group: &Group, limit: u32) -> Result<Created, StoreError>;
    /// Replaces a group's grants; `false` if there is no such group.
    async fn set_grants(&self, group: &Group) -> Result<bool, StoreError>;
    /// Renames a group; `false` if there is none.
    async fn rename_group(&self, group: &Group) -> Result<bool, StoreError>;
    /// Deletes a group that has no apps, calculated channels or alarms; `false` if there is
    /// no such group or it is not empty.
    async fn delete_group(&self, account: &AccountId, id: &GroupId) -> Result<bool, StoreError>;
    /// The apps and instruments of a measurement group of an account.
    async fn group_members(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<(Vec<App>, Vec<Instrument>), StoreError>;
}

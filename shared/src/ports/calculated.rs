//! The [`CalculatedChannels`] port.

use async_trait::async_trait;

use super::{Saved, StoreError};
use crate::domain::calculated::{Backfill, CalculatedChannel};
use crate::domain::ids::{AccountId, CalcId, GroupId};

/// The calculated channels of the groups, with their backfill progress.
#[async_trait]
pub trait CalculatedChannels: Send + Sync {
    /// The calculated channels of a group, read consistently (ingest must see one the
    /// moment it is created).
    async fn calculated_channels(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<CalculatedChannel>, StoreError>;
    async fn calculated_channel(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<Option<CalculatedChannel>, StoreError>;
    /// Creates a calculated channel unless the group has `limit` already; concurrent
    /// creations cannot both take the last slot. `false` when the limit is reached, the
    /// ID is taken or the group does not exist.
    async fn create_calculated(
        &self,
        channel: &CalculatedChannel,
        limit: u32,
    ) -> Result<bool, StoreError>;
    /// Replaces a calculated channel's name and definition if its stored version is still
    /// `channel.version - 1`. With a new formula, its backfill progress starts over (and
    /// its values, stored under the formula, too); otherwise it is left as stored (it
    /// moves on concurrently).
    async fn update_calculated(
        &self,
        channel: &CalculatedChannel,
        new_formula: bool,
    ) -> Result<Saved, StoreError>;
    /// Records backfill progress if it moves `through` forward (or, with no `through`,
    /// only marks the end) and the formula is still `channel.formula`. `false` when it
    /// did not: progress never goes back, so a redelivered old step cannot rewind it.
    async fn record_backfill(
        &self,
        channel: &CalculatedChannel,
        progress: Backfill,
    ) -> Result<bool, StoreError>;
    /// Deletes a calculated channel; `false` if there was none.
    async fn delete_calculated(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<bool, StoreError>;
}

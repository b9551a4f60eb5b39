//! The [`NotificationDestinations`] port.

use async_trait::async_trait;

use super::{GroupKey, StoreError};
use crate::domain::notify::Destinations;

/// Where each group's notifications go. Kept with the group, so they go when it goes.
#[async_trait]
pub trait NotificationDestinations: Send + Sync {
    /// The group's destinations (none set: the default, empty); `None` if there is no
    /// such group.
    async fn destinations(&self, group: GroupKey<'_>) -> Result<Option<Destinations>, StoreError>;
    /// Replaces them; `false` if there is no such group.
    async fn set_destinations(
        &self,
        group: GroupKey<'_>,
        destinations: &Destinations,
    ) -> Result<bool, StoreError>;
}

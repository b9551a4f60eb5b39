//! Groups' notification destinations in memory, kept with the group.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::notify::Destinations;
use crate::ports::{GroupKey, NotificationDestinations, StoreError};

#[async_trait]
impl NotificationDestinations for MemoryStore {
    async fn destinations(&self, group: GroupKey<'_>) -> Result<Option<Destinations>, StoreError> {
        let key = (group.account.clone(), group.group.clone());
        Ok(self
            .tables()
            .groups
            .get(&key)
            .map(|entry| entry.destinations.clone()))
    }

    async fn set_destinations(
        &self,
        group: GroupKey<'_>,
        destinations: &Destinations,
    ) -> Result<bool, StoreError> {
        let key = (group.account.clone(), group.group.clone());
        Ok(match self.tables().groups.get_mut(&key) {
            Some(entry) => {
                entry.destinations = destinations.clone();
                true
            }
            None => false,
        })
    }
}

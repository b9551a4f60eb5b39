//! Delivery marks in memory.

use async_trait::async_trait;

use super::store::{DeliveryMark, MemoryStore};
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::record::Millis;
use crate::ports::{Claim, Deliveries, GroupKey, StoreError};

fn key(
    group: GroupKey<'_>,
    notification: &str,
    destination: &str,
) -> (AccountId, GroupId, String, String) {
    (
        group.account.clone(),
        group.group.clone(),
        notification.to_owned(),
        destination.to_owned(),
    )
}

#[async_trait]
impl Deliveries for MemoryStore {
    async fn claim_delivery(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        now: Millis,
        lease_until: Millis,
    ) -> Result<Claim, StoreError> {
        let mut tables = self.tables();
        let mark = tables
            .deliveries
            .entry(key(group, notification, destination))
            .or_insert(DeliveryMark::Leased(Millis(i64::MIN)));
        Ok(match *mark {
            DeliveryMark::Delivered => Claim::Delivered,
            DeliveryMark::Leased(until) if until > now => Claim::Busy,
            DeliveryMark::Leased(_) => {
                *mark = DeliveryMark::Leased(lease_until);
                Claim::Claimed
            }
        })
    }

    async fn mark_delivered(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        _at: Millis,
    ) -> Result<(), StoreError> {
        self.tables().deliveries.insert(
            key(group, notification, destination),
            DeliveryMark::Delivered,
        );
        Ok(())
    }

    async fn release_delivery(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        lease_until: Millis,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let key = key(group, notification, destination);
        if tables.deliveries.get(&key) == Some(&DeliveryMark::Leased(lease_until)) {
            tables.deliveries.remove(&key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::notify(&MemoryStore::new(), "memory").await;
    }
}

//! The groups' inboxes in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::alarm::Notification;
use crate::ports::{GroupKey, Inbox, StoreError};

#[async_trait]
impl Inbox for MemoryStore {
    async fn record_notification(
        &self,
        group: GroupKey<'_>,
        notification: &Notification,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let inbox = tables
            .inbox
            .entry((group.account.clone(), group.group.clone()))
            .or_default();
        let id = notification.id();
        if inbox.contains_key(&id) {
            return Ok(false);
        }
        inbox.insert(id, notification.clone());
        Ok(true)
    }

    async fn notifications(
        &self,
        group: GroupKey<'_>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        Ok(self
            .tables()
            .inbox
            .get(&(group.account.clone(), group.group.clone()))
            .map(|inbox| inbox.values().rev().take(limit).cloned().collect())
            .unwrap_or_default())
    }
}

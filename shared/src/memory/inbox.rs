//! The groups' inboxes in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::inbox::NotificationId;
use crate::domain::notice::Notice;
use crate::ports::{GroupKey, Inbox, InboxRange, StoreError};

#[async_trait]
impl Inbox for MemoryStore {
    async fn record_notification(
        &self,
        group: GroupKey<'_>,
        notification: &Notice,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let inbox = tables
            .inbox
            .entry((group.account.clone(), group.group.clone()))
            .or_default();
        let id = NotificationId::of(notification);
        if inbox.contains_key(&id) {
            return Ok(false);
        }
        inbox.insert(id, notification.clone());
        Ok(true)
    }

    async fn notification(
        &self,
        group: GroupKey<'_>,
        id: &NotificationId,
    ) -> Result<Option<Notice>, StoreError> {
        Ok(self
            .tables()
            .inbox
            .get(&(group.account.clone(), group.group.clone()))
            .and_then(|inbox| inbox.get(id).cloned()))
    }

    async fn notifications(
        &self,
        group: GroupKey<'_>,
        range: InboxRange<'_>,
    ) -> Result<Vec<Notice>, StoreError> {
        Ok(self
            .tables()
            .inbox
            .get(&(group.account.clone(), group.group.clone()))
            .map(|inbox| {
                inbox
                    .iter()
                    .rev()
                    .filter(|(id, _)| range.before.is_none_or(|before| *id < before))
                    .take_while(|(id, _)| range.after.is_none_or(|after| *id > after))
                    .take(range.limit)
                    .map(|(_, notification)| notification.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn count_notifications(
        &self,
        group: GroupKey<'_>,
        after: Option<&NotificationId>,
        at_most: usize,
    ) -> Result<usize, StoreError> {
        Ok(self
            .tables()
            .inbox
            .get(&(group.account.clone(), group.group.clone()))
            .map(|inbox| {
                inbox
                    .keys()
                    .filter(|id| after.is_none_or(|after| *id > after))
                    .take(at_most)
                    .count()
            })
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::inbox(&MemoryStore::new(), "memory").await;
    }
}

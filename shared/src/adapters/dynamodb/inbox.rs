//! The groups' inboxes: one partition per group, a notification per item, sorted by
//! its ID (which starts with the event's time).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{from_item, to_item, written, DynamoStore, ItemKind};
use super::unavailable;
use super::values::s;
use crate::domain::alarm::Notification;
use crate::ports::{GroupKey, Inbox, StoreError};

#[derive(Debug, Serialize, Deserialize)]
struct NotificationItem {
    pk: String,
    sk: String,
    notification: Notification,
}

impl ItemKind for NotificationItem {
    const KIND: &'static str = "notification";
}

#[async_trait]
impl Inbox for DynamoStore {
    async fn record_notification(
        &self,
        group: GroupKey<'_>,
        notification: &Notification,
    ) -> Result<bool, StoreError> {
        let item = NotificationItem {
            pk: inbox_pk(group.account, group.group),
            sk: notification_sk(&notification.id()),
            notification: notification.clone(),
        };
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(put)
    }

    async fn notifications(
        &self,
        group: GroupKey<'_>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(inbox_pk(group.account, group.group)))
            .expression_attribute_values(":prefix", s(NOTIFICATION_PREFIX))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<NotificationItem>(item).map(|item| item.notification))
            .collect()
    }
}

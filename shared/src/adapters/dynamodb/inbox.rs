//! The groups' inboxes: one partition per group, a notification per item, sorted by
//! its ID (which starts with the event's time).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{from_item, to_item, written, DynamoStore, ItemKind};
use super::unavailable;
use super::values::{get_s, s, Item};
use crate::domain::inbox::NotificationId;
use crate::domain::notice::Notice;
use crate::ports::{GroupKey, Inbox, InboxRange, StoreError};

#[derive(Debug, Serialize, Deserialize)]
struct NotificationItem {
    pk: String,
    sk: String,
    notification: Notice,
}

impl ItemKind for NotificationItem {
    const KIND: &'static str = "notification";
}

fn notification_item(group: GroupKey<'_>, notification: &Notice) -> NotificationItem {
    NotificationItem {
        pk: inbox_pk(group.account, group.group),
        sk: notification_sk(&NotificationId::of(notification)),
        notification: notification.clone(),
    }
}

impl DynamoStore {
    /// Items of `group`'s inbox with sort keys from `low` to `high` (both included),
    /// newest first, `wanted` at most (each page asks for no more than it still
    /// wants, so a long inbox is not read a megabyte at a time); only the attributes
    /// `projection` names, if it names any. The bounds are inclusive because a key
    /// condition has no exclusive pair: callers drop the bounds themselves.
    async fn inbox_items(
        &self,
        group: GroupKey<'_>,
        (low, high): (String, String),
        projection: Option<&str>,
        wanted: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":pk", s(inbox_pk(group.account, group.group)))
                .expression_attribute_values(":low", s(&low))
                .expression_attribute_values(":high", s(&high))
                .set_projection_expression(projection.map(str::to_owned))
                .scan_index_forward(false)
                .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            start_key = output.last_evaluated_key;
            items.extend(output.items.unwrap_or_default());
            if start_key.is_none() || items.len() >= wanted {
                return Ok(items);
            }
        }
    }
}

/// The sort keys from `after` to `before`, both included (open ends: every
/// notification).
fn bounds(after: Option<&NotificationId>, before: Option<&NotificationId>) -> (String, String) {
    (
        after.map_or_else(|| NOTIFICATION_PREFIX.to_owned(), notification_sk),
        before.map_or_else(notifications_end, notification_sk),
    )
}

/// Whether an item read is strictly inside the range: not one of its bounds.
fn inside(
    item: &Item,
    after: Option<&NotificationId>,
    before: Option<&NotificationId>,
) -> Result<bool, StoreError> {
    let sk = get_s(item, "sk")?;
    let is = |bound: Option<&NotificationId>| bound.is_some_and(|id| sk == notification_sk(id));
    Ok(!is(after) && !is(before))
}

#[async_trait]
impl Inbox for DynamoStore {
    async fn record_notification(
        &self,
        group: GroupKey<'_>,
        notification: &Notice,
    ) -> Result<bool, StoreError> {
        // The ID is the sort key, so an event decided again finds its item and is refused.
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&notification_item(group, notification))))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(put)
    }

    async fn notification(
        &self,
        group: GroupKey<'_>,
        id: &NotificationId,
    ) -> Result<Option<Notice>, StoreError> {
        let pk = inbox_pk(group.account, group.group);
        Ok(self
            .get_as::<NotificationItem>(pk, &notification_sk(id))
            .await?
            .map(|item| item.notification))
    }

    async fn notifications(
        &self,
        group: GroupKey<'_>,
        range: InboxRange<'_>,
    ) -> Result<Vec<Notice>, StoreError> {
        let (after, before) = (range.after, range.before);
        // Up to both bounds more than asked: they are read and dropped.
        let wanted = range.limit + 2;
        let items = self
            .inbox_items(group, bounds(after, before), None, wanted)
            .await?;
        let mut notifications = Vec::new();
        for item in items {
            if inside(&item, after, before)? && notifications.len() < range.limit {
                notifications.push(from_item::<NotificationItem>(item)?.notification);
            }
        }
        Ok(notifications)
    }

    async fn count_notifications(
        &self,
        group: GroupKey<'_>,
        after: Option<&NotificationId>,
        at_most: usize,
    ) -> Result<usize, StoreError> {
        // Only the keys come back; the read units are those of the whole items all the same.
        let items = self
            .inbox_items(group, bounds(after, None), Some("sk"), at_most + 2)
            .await?;
        let mut count = 0;
        for item in &items {
            count += usize::from(inside(item, after, None)?);
        }
        Ok(count.min(at_most))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::item_size::item_size;
    use crate::adapters::dynamodb::values::Item;
    use crate::domain::alarm::{Event, Notification};
    use crate::domain::channel::SeriesRef;
    use crate::domain::ids::{AccountId, AlarmId, GroupId};
    use crate::domain::record::{Millis, Value};

    #[test]
    fn a_notification_is_an_item_of_its_groups_inbox_under_its_id() {
        let (account, group) = (
            AccountId::parse("acme").unwrap(),
            GroupId::parse("plant").unwrap(),
        );
        let key = GroupKey {
            account: &account,
            group: &group,
        };
        let notification = Notice::Alarm(Notification {
            alarm: AlarmId::parse("hot").unwrap(),
            version: 2,
            alarm_name: "Hot".into(),
            event: Event::Raised {
                at: Millis(1_700_000_000_000),
            },
            channels: vec![SeriesRef::parse("gw-1/LR8450-1/CH1").unwrap()],
            values: vec![Some(Value::Number(31.5))],
        });
        let item = to_item(&notification_item(key, &notification));
        assert_eq!(item["pk"], s("INBOX#acme#plant"));
        assert_eq!(item["sk"], s("NOTE#001700000000000.hot.2.raised"));
        assert_eq!(item.len(), 3, "{item:?}");
        let read = from_item::<NotificationItem>(Item::from_iter(item)).unwrap();
        assert_eq!(read.notification, notification);
    }

    /// The README's read units of an inbox page and an unread count: a Query reads
    /// half a unit per started 4 KB of the items it passes (eventually consistent).
    #[test]
    fn a_page_of_100_two_condition_notifications_reads_under_five_units() {
        let (account, group) = (
            AccountId::parse("acme-industries").unwrap(),
            GroupId::parse("cold-store-north").unwrap(),
        );
        let key = GroupKey {
            account: &account,
            group: &group,
        };
        let notification = Notice::Alarm(Notification {
            alarm: AlarmId::parse("0123456789ab").unwrap(),
            version: 12,
            alarm_name: "Freezer 3 too warm or door open".into(),
            event: Event::Raised {
                at: Millis(1_795_247_620_000),
            },
            channels: vec![
                SeriesRef::parse("gw-north/LR8450-01/CH1-1").unwrap(),
                SeriesRef::parse("gw-north/LR8450-01/CH2-3").unwrap(),
            ],
            values: vec![Some(Value::Number(-12.25)), Some(Value::Number(1.0))],
        });
        let size = item_size(&to_item(&notification_item(key, &notification)));
        // A page reads two more than it shows (the bounds, or the look-ahead).
        let page = (size * 102).div_ceil(4096) as f64 / 2.0;
        println!("notification item {size} B; a page of 100 reads {page} RRU");
        assert!(size < 400, "{size} B");
        assert!(page <= 5.0, "{page} RRU");
    }

    #[test]
    fn the_bounds_of_a_range_hold_every_notification_between_them() {
        let id = NotificationId::parse("001700000000000.hot.2.special12").unwrap();
        let (low, high) = bounds(None, None);
        assert!(low < notification_sk(&id) && notification_sk(&id) < high);
        assert_eq!(bounds(Some(&id), Some(&id)).0, notification_sk(&id));
    }
}

//! File alarms, in the registry table, beside the data alarms of their group and
//! counted on its item (`file_alarms`).
//!
//! The filter is stored as a nested map (`app`, `instrument`, `glob`, `kind`, each only
//! when set), as the API writes it.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{count_down, to_item, written, DynamoStore, ItemKind};
use super::values::{s, Item};
use crate::domain::file_alarm::FileAlarm;
use crate::domain::ids::{AccountId, FileAlarmId, GroupId};
use crate::ports::{Created, FileAlarms, StoreError};

/// The group item's attribute counting its file alarms.
const COUNTER: &str = "file_alarms";

/// A file alarm's item.
#[derive(Debug, Serialize, Deserialize)]
struct FileAlarmItem {
    pk: String,
    sk: String,
    alarm: FileAlarm,
}

impl ItemKind for FileAlarmItem {
    const KIND: &'static str = "file alarm";
}

impl From<&FileAlarm> for FileAlarmItem {
    fn from(alarm: &FileAlarm) -> Self {
        FileAlarmItem {
            pk: account_pk(&alarm.account),
            sk: file_alarm_sk(&alarm.group, &alarm.id),
            alarm: alarm.clone(),
        }
    }
}

#[async_trait]
impl FileAlarms for DynamoStore {
    async fn file_alarms(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<FileAlarm>, StoreError> {
        Ok(self
            .query_prefix_as::<FileAlarmItem>(account_pk(account), &file_alarm_prefix(group))
            .await?
            .into_iter()
            .map(|item| item.alarm)
            .collect())
    }

    async fn file_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &FileAlarmId,
    ) -> Result<Option<FileAlarm>, StoreError> {
        Ok(self
            .get_as::<FileAlarmItem>(account_pk(account), &file_alarm_sk(group, id))
            .await?
            .map(|item| item.alarm))
    }

    async fn create_file_alarm(
        &self,
        alarm: &FileAlarm,
        limit: u32,
    ) -> Result<Created, StoreError> {
        let group = (account_pk(&alarm.account), group_sk(&alarm.group));
        self.create_counted(to_item(&FileAlarmItem::from(alarm)), group, COUNTER, limit)
            .await
    }

    async fn replace_file_alarm(&self, alarm: &FileAlarm) -> Result<bool, StoreError> {
        let item = to_item(&FileAlarmItem::from(alarm));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(&alarm.account)))
            .key("sk", s(file_alarm_sk(&alarm.group, &alarm.id)))
            // The whole stored alarm but its creation time, which a replay of this
            // write sets to the same bytes: `#alarm.#name` and `#alarm.#filter` only.
            .update_expression("SET #alarm.#name = :name, #alarm.#filter = :filter")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#alarm", "alarm")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#filter", "filter")
            .expression_attribute_values(":name", s(&alarm.name))
            .expression_attribute_values(":filter", filter_of(&item)?)
            .send()
            .await;
        written(result)
    }

    async fn delete_file_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &FileAlarmId,
    ) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(file_alarm_sk(group, id)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("delete is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                count_down(&self.table, account_pk(account), group_sk(group), COUNTER),
            ])
            .await?;
        Ok(cancelled.is_none())
    }
}

/// The filter's map, as the alarm's item holds it.
fn filter_of(item: &Item) -> Result<AttributeValue, StoreError> {
    match item.get("alarm") {
        Some(AttributeValue::M(alarm)) => alarm
            .get("filter")
            .cloned()
            .ok_or_else(|| StoreError::Corrupt("a file alarm without a filter".into())),
        _ => Err(StoreError::Corrupt(
            "a file alarm item without its alarm".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::domain::file_alarm::{FileFilter, Glob};
    use crate::domain::ids::AppId;
    use crate::domain::record::Millis;

    #[test]
    fn a_file_alarm_is_stored_with_its_filter_as_a_map_and_read_back() {
        let alarm = FileAlarm {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            id: FileAlarmId::parse("csv").unwrap(),
            name: "CSV".into(),
            filter: FileFilter {
                app: Some(AppId::parse("gw-1").unwrap()),
                glob: Some(Glob::parse("*.csv").unwrap()),
                ..FileFilter::default()
            },
            created: Millis(1_700_000_000_000),
        };
        let item = to_item(&FileAlarmItem::from(&alarm));
        assert_eq!(item["pk"], s("ACCOUNT#acme"));
        assert_eq!(item["sk"], s("FILEALARM#plant#csv"));
        let AttributeValue::M(filter) = filter_of(&item).unwrap() else {
            panic!("the filter is a map");
        };
        assert_eq!(filter["glob"], s("*.csv"));
        assert!(!filter.contains_key("kind"), "only what is set");
        let read = from_item::<FileAlarmItem>(Item::from_iter(item)).unwrap();
        assert_eq!(read.alarm, alarm);
    }
}

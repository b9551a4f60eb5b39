//! Data alarm definitions, in the registry table.
//!
//! The rule is stored as a nested map, attribute for attribute as the API writes it
//! (`conditions`, `join`, `window`, `hold_millis`, …), not as a JSON string: it reads
//! plainly in the console and in exports, the item struct needs no second codec, and a
//! rule that no longer decodes fails the same way as any other item
//! ([`StoreError::Corrupt`], naming the kind).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{count_down, to_item, written, DynamoStore, ItemKind};
use super::values::{n, s};
use crate::domain::alarm::{Alarm, Rule};
use crate::domain::ids::{AccountId, AlarmId, GroupId};
use crate::ports::{Alarms, Created, Saved, StoreError};

/// An alarm's item.
#[derive(Debug, Serialize, Deserialize)]
struct AlarmItem {
    pk: String,
    sk: String,
    account: AccountId,
    group: GroupId,
    id: AlarmId,
    name: String,
    rule: Rule,
    enabled: bool,
    version: u64,
}

impl ItemKind for AlarmItem {
    const KIND: &'static str = "alarm";
}

impl From<&Alarm> for AlarmItem {
    fn from(alarm: &Alarm) -> Self {
        AlarmItem {
            pk: account_pk(&alarm.account),
            sk: alarm_sk(&alarm.group, &alarm.id),
            account: alarm.account.clone(),
            group: alarm.group.clone(),
            id: alarm.id.clone(),
            name: alarm.name.clone(),
            rule: alarm.rule.clone(),
            enabled: alarm.enabled,
            version: alarm.version,
        }
    }
}

impl From<AlarmItem> for Alarm {
    fn from(item: AlarmItem) -> Self {
        Alarm {
            account: item.account,
            group: item.group,
            id: item.id,
            name: item.name,
            rule: item.rule,
            enabled: item.enabled,
            version: item.version,
        }
    }
}

#[async_trait]
impl Alarms for DynamoStore {
    async fn alarms(&self, account: &AccountId, group: &GroupId) -> Result<Vec<Alarm>, StoreError> {
        Ok(self
            .query_prefix_as::<AlarmItem>(account_pk(account), &alarm_prefix(group))
            .await?
            .into_iter()
            .map(Alarm::from)
            .collect())
    }

    async fn alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &AlarmId,
    ) -> Result<Option<Alarm>, StoreError> {
        Ok(self
            .get_as::<AlarmItem>(account_pk(account), &alarm_sk(group, id))
            .await?
            .map(Alarm::from))
    }

    async fn create_alarm(&self, alarm: &Alarm, limit: u32) -> Result<Created, StoreError> {
        let group = (account_pk(&alarm.account), group_sk(&alarm.group));
        self.create_counted(to_item(&AlarmItem::from(alarm)), group, "alarms", limit)
            .await
    }

    async fn update_alarm(&self, alarm: &Alarm) -> Result<Saved, StoreError> {
        // The new values, as the alarm's item holds them.
        let item = to_item(&AlarmItem::from(alarm));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(&alarm.account)))
            .key("sk", s(alarm_sk(&alarm.group, &alarm.id)))
            // Every name aliased: `name` is a DynamoDB reserved word.
            .update_expression(
                "SET #name = :name, #rule = :rule, #enabled = :enabled, #version = :version",
            )
            .condition_expression("#version = :previous")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#rule", "rule")
            .expression_attribute_names("#enabled", "enabled")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":name", item["name"].clone())
            .expression_attribute_values(":rule", item["rule"].clone())
            .expression_attribute_values(":enabled", AttributeValue::Bool(alarm.enabled))
            .expression_attribute_values(":version", n(alarm.version))
            .expression_attribute_values(":previous", n(alarm.version.saturating_sub(1)))
            .send()
            .await;
        Ok(if written(result)? {
            Saved::Written
        } else {
            Saved::Conflict
        })
    }

    async fn delete_alarm(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &AlarmId,
    ) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(alarm_sk(group, id)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("delete is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                count_down(&self.table, account_pk(account), group_sk(group), "alarms"),
            ])
            .await?;
        Ok(cancelled.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::Item;
    use crate::domain::alarm::{Condition, Join, Limit, Window};
    use crate::domain::channel::SeriesRef;

    #[test]
    fn an_alarm_is_stored_with_its_rule_as_a_map_and_read_back() {
        let alarm = Alarm {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            id: AlarmId::parse("hot").unwrap(),
            name: "Hot".into(),
            rule: Rule {
                conditions: vec![Condition {
                    channel: SeriesRef::parse("gw-1/LR8450-1/Ch1").unwrap(),
                    raise: Limit::Above { value: 30.0 },
                    clear: Some(Limit::Above { value: 28.5 }),
                }],
                join: Join::And,
                window: Some(Window::parse("22:00", "06:00").unwrap()),
                hold_millis: 60_000,
                recovery: true,
                special_values: false,
            },
            enabled: true,
            version: 1,
        };
        let item = to_item(&AlarmItem::from(&alarm));
        assert_eq!(item["pk"], s("ACCOUNT#acme"));
        assert_eq!(item["sk"], s("ALARM#plant#hot"));
        assert_eq!(item["enabled"], AttributeValue::Bool(true));
        let AttributeValue::M(rule) = &item["rule"] else {
            panic!("the rule is a map: {:?}", item["rule"]);
        };
        assert_eq!(rule["join"], s("and"));
        assert_eq!(rule["hold_millis"], n(60_000));
        assert_eq!(
            rule["window"],
            AttributeValue::M([("from".into(), s("22:00")), ("to".into(), s("06:00"))].into())
        );
        let AttributeValue::L(conditions) = &rule["conditions"] else {
            panic!("conditions are a list");
        };
        assert_eq!(
            conditions[0],
            AttributeValue::M(
                [
                    ("channel".into(), s("gw-1/LR8450-1/Ch1")),
                    (
                        "raise".into(),
                        AttributeValue::M(
                            [("compare".into(), s("above")), ("value".into(), n(30))].into()
                        )
                    ),
                    (
                        "clear".into(),
                        AttributeValue::M(
                            [
                                ("compare".into(), s("above")),
                                ("value".into(), AttributeValue::N("28.5".into()))
                            ]
                            .into()
                        )
                    ),
                ]
                .into()
            )
        );
        let read: Alarm = from_item::<AlarmItem>(Item::from_iter(item))
            .unwrap()
            .into();
        assert_eq!(read, alarm);
    }
}

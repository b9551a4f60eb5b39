//! Measurement groups, in the registry table.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::apps::decode_app;
use super::instruments::decode_instrument;
use super::keys::*;
use super::schema::BY_GROUP_INDEX;
use super::store::{count_down, to_item, DynamoStore, ItemKind};
use super::unavailable;
use super::values::{get_s, n, parse_id, s};
use crate::domain::access::{Grant, Grantee, GroupRole};
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::registry::{App, Group, Instrument};
use crate::ports::{Created, Groups, StoreError};

/// A measurement group's item: its grants are a map from grantee key (`user:…`,
/// `team:…`) to role, set by [`Groups::set_grants`]; `apps`, `calculated`, `alarms` and `file_alarms` count what
/// is in it, by their own writes.
#[derive(Debug, Serialize, Deserialize)]
struct GroupItem {
    pk: String,
    sk: String,
    name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    grants: BTreeMap<String, String>,
}

impl ItemKind for GroupItem {
    const KIND: &'static str = "group";
}

impl From<&Group> for GroupItem {
    fn from(group: &Group) -> Self {
        GroupItem {
            pk: account_pk(&group.account),
            sk: group_sk(&group.id),
            name: group.name.clone(),
            grants: group
                .grants
                .iter()
                .map(|grant| (grant.to.key(), grant.role.as_str().to_owned()))
                .collect(),
        }
    }
}

impl TryFrom<GroupItem> for Group {
    type Error = StoreError;

    fn try_from(item: GroupItem) -> Result<Self, StoreError> {
        let grants = item
            .grants
            .iter()
            .map(|(key, role)| {
                let to = Grantee::from_key(key)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad grantee `{key}`")))?;
                let role = GroupRole::parse(role)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad role for `{key}`")))?;
                Ok(Grant { to, role })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Group {
            account: parse_id(AccountId::parse, key_id(&item.pk, ACCOUNT_PREFIX)?)?,
            id: parse_id(GroupId::parse, key_id(&item.sk, GROUP_PREFIX)?)?,
            name: item.name,
            grants,
        })
    }
}

#[async_trait]
impl Groups for DynamoStore {
    async fn group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>, StoreError> {
        self.get_as::<GroupItem>(account_pk(account), &group_sk(id))
            .await?
            .map(Group::try_from)
            .transpose()
    }

    async fn groups(&self, account: &AccountId) -> Result<Vec<Group>, StoreError> {
        self.query_prefix_as::<GroupItem>(account_pk(account), GROUP_PREFIX)
            .await?
            .into_iter()
            .map(Group::try_from)
            .collect()
    }

    async fn create_group(&self, group: &Group, limit: u32) -> Result<Created, StoreError> {
        // A new group is granted to no one yet, whatever the value says.
        let item = to_item(&GroupItem {
            grants: BTreeMap::new(),
            ..GroupItem::from(group)
        });
        let account = (account_pk(&group.account), ACCOUNT_SK.to_owned());
        self.create_counted(item, account, "groups", limit).await
    }

    async fn set_grants(&self, group: &Group) -> Result<bool, StoreError> {
        let grants = group
            .grants
            .iter()
            .map(|grant| (grant.to.key(), s(grant.role.as_str())))
            .collect();
        let key = (account_pk(&group.account), group_sk(&group.id));
        self.set_existing((key.0, &key.1), "grants", AttributeValue::M(grants))
            .await
    }

    async fn rename_group(&self, group: &Group) -> Result<bool, StoreError> {
        let key = (account_pk(&group.account), group_sk(&group.id));
        self.set_existing((key.0, &key.1), "name", s(&group.name))
            .await
    }

    async fn delete_group(&self, account: &AccountId, id: &GroupId) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(group_sk(id)))
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(apps) OR apps = :zero) \
                 AND (attribute_not_exists(calculated) OR calculated = :zero) \
                 AND (attribute_not_exists(alarms) OR alarms = :zero) \
                 AND (attribute_not_exists(file_alarms) OR file_alarms = :zero)",
            )
            .expression_attribute_values(":zero", n(0))
            .build()
            .expect("delete is complete");
        // Its alarms' states go with it (it has no alarms left, but their states may
        // remain): a group made again under the ID must not continue them.
        let states = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(alarm_states_sk(id)))
            .build()
            .expect("delete is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                count_down(
                    &self.table,
                    account_pk(account),
                    ACCOUNT_SK.into(),
                    "groups",
                ),
                TransactWriteItem::builder().delete(states).build(),
            ])
            .await?;
        Ok(cancelled.is_none())
    }

    async fn group_members(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<(Vec<App>, Vec<Instrument>), StoreError> {
        let mut apps = Vec::new();
        let mut instruments = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_GROUP_INDEX)
                .key_condition_expression("gpk = :gpk")
                .expression_attribute_values(":gpk", s(group_gpk(account, group)))
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            start_key = output.last_evaluated_key;
            for item in output.items.unwrap_or_default() {
                if get_s(&item, "sk")? == APP_SK {
                    apps.push(decode_app(item)?);
                } else {
                    instruments.push(decode_instrument(item)?);
                }
            }
            if start_key.is_none() {
                return Ok((apps, instruments));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::Item;
    use crate::domain::ids::{TeamId, UserId};

    #[test]
    fn a_group_is_stored_as_before_and_read_back() {
        let mut group = Group {
            account: AccountId::parse("acme").unwrap(),
            id: GroupId::parse("plant").unwrap(),
            name: "Plant".into(),
            grants: Vec::new(),
        };
        let item = to_item(&GroupItem::from(&group));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("ACCOUNT#acme")),
                ("sk".into(), s("GROUP#plant")),
                ("name".into(), s("Plant")),
            ])
        );
        let read = |item| Group::try_from(from_item::<GroupItem>(item).unwrap()).unwrap();
        assert_eq!(read(item), group);

        // Grants, as `set_grants` writes them, are read back too.
        group.grants = vec![
            Grant {
                to: Grantee::Team(TeamId::parse("lab").unwrap()),
                role: GroupRole::Editor,
            },
            Grant {
                to: Grantee::User(UserId::parse("ann").unwrap()),
                role: GroupRole::Viewer,
            },
        ];
        let item = to_item(&GroupItem::from(&group));
        assert_eq!(
            item["grants"],
            AttributeValue::M(
                [
                    ("team:lab".into(), s("editor")),
                    ("user:ann".into(), s("viewer"))
                ]
                .into()
            )
        );
        let mut read_back = read(item);
        read_back.grants.sort_by_key(|g| g.to.key());
        assert_eq!(read_back, group);
    }
}

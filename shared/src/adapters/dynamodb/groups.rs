//! Measurement groups, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::keys::*;
use super::schema::BY_GROUP_INDEX;
use super::store::{count_down, parse_app, parse_instrument, DynamoStore};
use super::unavailable;
use super::values::{get_s, n, parse_id, s, Item};
use crate::domain::access::{Grant, Grantee, GroupRole};
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::registry::{App, Group, Instrument};
use crate::ports::{Created, Groups, StoreError};

/// A group item: its grants are a map from grantee key (`user:…`, `team:…`) to role.
fn parse_group(account: &AccountId, item: &Item) -> Result<Group, StoreError> {
    let id = get_s(item, "sk")?.trim_start_matches(GROUP_PREFIX);
    let grants = match item.get("grants") {
        Some(AttributeValue::M(map)) => map
            .iter()
            .map(|(key, role)| {
                let to = Grantee::from_key(key)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad grantee `{key}`")))?;
                let role = match role {
                    AttributeValue::S(text) => GroupRole::parse(text),
                    _ => None,
                }
                .ok_or_else(|| StoreError::Corrupt(format!("bad role for `{key}`")))?;
                Ok(Grant { to, role })
            })
            .collect::<Result<Vec<_>, StoreError>>()?,
        _ => Vec::new(),
    };
    Ok(Group {
        account: account.clone(),
        id: parse_id(GroupId::parse, id)?,
        name: get_s(item, "name")?.to_owned(),
        grants,
    })
}

#[async_trait]
impl Groups for DynamoStore {
    async fn group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let Some(item) = self.get(account_pk(account), &group_sk(id)).await? else {
            return Ok(None);
        };
        parse_group(account, &item).map(Some)
    }

    async fn groups(&self, account: &AccountId) -> Result<Vec<Group>, StoreError> {
        self.query_prefix(account_pk(account), GROUP_PREFIX)
            .await?
            .iter()
            .map(|item| parse_group(account, item))
            .collect()
    }

    async fn create_group(&self, group: &Group, limit: u32) -> Result<Created, StoreError> {
        let item = Item::from([
            ("pk".into(), s(account_pk(&group.account))),
            ("sk".into(), s(group_sk(&group.id))),
            ("name".into(), s(&group.name)),
        ]);
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
                 AND (attribute_not_exists(calculated) OR calculated = :zero)",
            )
            .expression_attribute_values(":zero", n(0))
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
            for item in output.items() {
                if get_s(item, "sk")? == APP_SK {
                    apps.push(parse_app(item)?);
                } else {
                    instruments.push(parse_instrument(item)?);
                }
            }
            start_key = output.last_evaluated_key;
            if start_key.is_none() {
                return Ok((apps, instruments));
            }
        }
    }
}

//! Calculated channels, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::keys::*;
use super::store::{count_down, written, DynamoStore};
use super::values::{get_bool, get_n, get_s, get_strings, n, parse_id, s, Item};
use crate::domain::calculated::{Backfill, CalculatedChannel};
use crate::domain::channel::ChannelRef;
use crate::domain::ids::{AccountId, AppId, CalcId, ChannelName, GroupId};
use crate::domain::record::Millis;
use crate::domain::registry::RegistrationId;
use crate::ports::{CalculatedChannels, Created, Saved, StoreError};

fn calculated_item(channel: &CalculatedChannel) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(account_pk(&channel.account))),
        ("sk".into(), s(calculated_sk(&channel.group, &channel.id))),
        ("account".into(), s(channel.account.as_str())),
        ("group".into(), s(channel.group.as_str())),
        ("id".into(), s(channel.id.as_str())),
        ("name".into(), s(channel.name.as_str())),
        ("expression".into(), s(&channel.expression)),
        ("canonical".into(), s(&channel.canonical)),
        (
            "sources".into(),
            AttributeValue::L(channel.sources.iter().map(|c| s(c.to_string())).collect()),
        ),
        (
            "pins".into(),
            AttributeValue::M(
                channel
                    .pins
                    .iter()
                    .map(|(app, registration)| (app.to_string(), s(registration.to_string())))
                    .collect(),
            ),
        ),
        ("version".into(), n(channel.version)),
        ("formula".into(), n(channel.formula)),
        ("bfComputed".into(), n(channel.backfill.computed)),
        ("bfDone".into(), AttributeValue::Bool(channel.backfill.done)),
    ]);
    if let Some(through) = channel.backfill.through {
        item.insert("bfThrough".into(), n(through.0));
    }
    item
}

fn parse_calculated(item: &Item) -> Result<CalculatedChannel, StoreError> {
    let corrupt = |e: String| StoreError::Corrupt(e);
    let sources = get_strings(item, "sources")?
        .iter()
        .map(|text| ChannelRef::parse(text).map_err(corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    let pins = match item.get("pins") {
        Some(AttributeValue::M(map)) => map
            .iter()
            .map(|(app, registration)| {
                let registration = match registration {
                    AttributeValue::S(text) => RegistrationId::parse(text),
                    _ => None,
                }
                .ok_or_else(|| StoreError::Corrupt(format!("bad pin for app `{app}`")))?;
                Ok((parse_id(AppId::parse, app)?, registration))
            })
            .collect::<Result<_, StoreError>>()?,
        _ => Default::default(),
    };
    Ok(CalculatedChannel {
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        group: parse_id(GroupId::parse, get_s(item, "group")?)?,
        id: parse_id(CalcId::parse, get_s(item, "id")?)?,
        name: parse_id(ChannelName::parse, get_s(item, "name")?)?,
        expression: get_s(item, "expression")?.to_owned(),
        canonical: get_s(item, "canonical")?.to_owned(),
        sources,
        pins,
        version: get_n(item, "version")?.unwrap_or(0),
        formula: get_n(item, "formula")?.unwrap_or(1),
        backfill: Backfill {
            through: get_n(item, "bfThrough")?.map(Millis),
            computed: get_n(item, "bfComputed")?.unwrap_or(0),
            done: get_bool(item, "bfDone").unwrap_or(false),
            chain: get_n(item, "bfChain")?.unwrap_or(0),
        },
    })
}

#[async_trait]
impl CalculatedChannels for DynamoStore {
    async fn calculated_channels(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<CalculatedChannel>, StoreError> {
        self.query_prefix(account_pk(account), &calculated_prefix(group))
            .await?
            .iter()
            .map(parse_calculated)
            .collect()
    }

    async fn calculated_channel(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<Option<CalculatedChannel>, StoreError> {
        self.get(account_pk(account), &calculated_sk(group, id))
            .await?
            .map(|item| parse_calculated(&item))
            .transpose()
    }

    async fn create_calculated(
        &self,
        channel: &CalculatedChannel,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let group = (account_pk(&channel.account), group_sk(&channel.group));
        let created = self
            .create_counted(calculated_item(channel), group, "calculated", limit)
            .await?;
        Ok(created == Created::Created)
    }

    async fn update_calculated(
        &self,
        channel: &CalculatedChannel,
        new_formula: bool,
    ) -> Result<Saved, StoreError> {
        // Every name aliased: `name` and `expression` are DynamoDB reserved words.
        let mut expression = String::from(
            "SET #name = :name, #expression = :expression, #canonical = :canonical, \
             #sources = :sources, pins = :pins, #version = :version, #formula = :formula",
        );
        let mut update = self.client.update_item();
        if new_formula {
            expression.push_str(", bfComputed = :zero, bfDone = :false REMOVE bfThrough");
            update = update
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":false", AttributeValue::Bool(false));
        }
        let item = calculated_item(channel);
        let result = update
            .table_name(&self.table)
            .key("pk", s(account_pk(&channel.account)))
            .key("sk", s(calculated_sk(&channel.group, &channel.id)))
            .update_expression(expression)
            .condition_expression("#version = :previous")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#expression", "expression")
            .expression_attribute_names("#canonical", "canonical")
            .expression_attribute_names("#sources", "sources")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#formula", "formula")
            .expression_attribute_values(":name", item["name"].clone())
            .expression_attribute_values(":expression", item["expression"].clone())
            .expression_attribute_values(":canonical", item["canonical"].clone())
            .expression_attribute_values(":sources", item["sources"].clone())
            .expression_attribute_values(":pins", item["pins"].clone())
            .expression_attribute_values(":version", n(channel.version))
            .expression_attribute_values(":formula", n(channel.formula))
            .expression_attribute_values(":previous", n(channel.version.saturating_sub(1)))
            .send()
            .await;
        Ok(if written(result)? {
            Saved::Written
        } else {
            Saved::Conflict
        })
    }

    async fn record_backfill(
        &self,
        channel: &CalculatedChannel,
        progress: Backfill,
    ) -> Result<bool, StoreError> {
        let mut expression =
            String::from("SET bfComputed = :computed, bfDone = :done, bfChain = :chain");
        let mut condition = String::from("formula = :formula");
        let mut update = self.client.update_item();
        if let Some(through) = progress.through {
            expression.push_str(", bfThrough = :through");
            condition.push_str(" AND (attribute_not_exists(bfThrough) OR bfThrough < :through)");
            update = update.expression_attribute_values(":through", n(through.0));
        }
        let result = update
            .table_name(&self.table)
            .key("pk", s(account_pk(&channel.account)))
            .key("sk", s(calculated_sk(&channel.group, &channel.id)))
            .update_expression(expression)
            .condition_expression(condition)
            .expression_attribute_values(":computed", n(progress.computed))
            .expression_attribute_values(":done", AttributeValue::Bool(progress.done))
            .expression_attribute_values(":chain", n(progress.chain))
            .expression_attribute_values(":formula", n(channel.formula))
            .send()
            .await;
        // Not written when progress is already further, the formula changed, or the
        // channel is gone.
        written(result)
    }

    async fn delete_calculated(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(calculated_sk(group, id)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("delete is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                count_down(
                    &self.table,
                    account_pk(account),
                    group_sk(group),
                    "calculated",
                ),
            ])
            .await?;
        Ok(cancelled.is_none())
    }
}

//! Calculated channels, in the registry table.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{count_down, to_item, written, DynamoStore, ItemKind};
use super::values::{n, s};
use crate::domain::calculated::{Backfill, CalculatedChannel};
use crate::domain::channel::ChannelRef;
use crate::domain::ids::{AccountId, AppId, CalcId, ChannelName, GroupId};
use crate::domain::record::Millis;
use crate::domain::registry::RegistrationId;
use crate::ports::{CalculatedChannels, Created, Saved, StoreError};

/// A calculated channel's item. `pins` maps app IDs to the registration of each that
/// the channel computes from; the `bf…` attributes are the backfill's progress, which
/// [`CalculatedChannels::record_backfill`] moves on.
#[derive(Debug, Serialize, Deserialize)]
struct CalculatedItem {
    pk: String,
    sk: String,
    account: AccountId,
    group: GroupId,
    id: CalcId,
    name: ChannelName,
    expression: String,
    canonical: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    pins: BTreeMap<AppId, String>,
    #[serde(default)]
    version: u64,
    /// Absent on channels stored before formulas were counted: the first.
    #[serde(default = "first_formula")]
    formula: u64,
    #[serde(rename = "bfComputed", default)]
    bf_computed: u64,
    #[serde(rename = "bfDone", default)]
    bf_done: bool,
    #[serde(rename = "bfThrough", skip_serializing_if = "Option::is_none")]
    bf_through: Option<i64>,
    /// Written by `record_backfill` alone.
    #[serde(rename = "bfChain", default, skip_serializing)]
    bf_chain: u64,
}

fn first_formula() -> u64 {
    1
}

impl ItemKind for CalculatedItem {
    const KIND: &'static str = "calculated channel";
}

impl From<&CalculatedChannel> for CalculatedItem {
    fn from(channel: &CalculatedChannel) -> Self {
        CalculatedItem {
            pk: account_pk(&channel.account),
            sk: calculated_sk(&channel.group, &channel.id),
            account: channel.account.clone(),
            group: channel.group.clone(),
            id: channel.id.clone(),
            name: channel.name.clone(),
            expression: channel.expression.clone(),
            canonical: channel.canonical.clone(),
            sources: channel.sources.iter().map(ChannelRef::to_string).collect(),
            pins: channel
                .pins
                .iter()
                .map(|(app, registration)| (app.clone(), registration.to_string()))
                .collect(),
            version: channel.version,
            formula: channel.formula,
            bf_computed: channel.backfill.computed,
            bf_done: channel.backfill.done,
            bf_through: channel.backfill.through.map(|at| at.0),
            bf_chain: channel.backfill.chain,
        }
    }
}

impl TryFrom<CalculatedItem> for CalculatedChannel {
    type Error = StoreError;

    fn try_from(item: CalculatedItem) -> Result<Self, StoreError> {
        let sources = item
            .sources
            .iter()
            .map(|text| ChannelRef::parse(text).map_err(StoreError::Corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        let pins = item
            .pins
            .into_iter()
            .map(|(app, text)| match RegistrationId::parse(&text) {
                Some(registration) => Ok((app, registration)),
                None => Err(StoreError::Corrupt(format!("bad pin for app `{app}`"))),
            })
            .collect::<Result<_, _>>()?;
        Ok(CalculatedChannel {
            account: item.account,
            group: item.group,
            id: item.id,
            name: item.name,
            expression: item.expression,
            canonical: item.canonical,
            sources,
            pins,
            version: item.version,
            formula: item.formula,
            backfill: Backfill {
                through: item.bf_through.map(Millis),
                computed: item.bf_computed,
                done: item.bf_done,
                chain: item.bf_chain,
            },
        })
    }
}

#[async_trait]
impl CalculatedChannels for DynamoStore {
    async fn calculated_channels(
        &self,
        account: &AccountId,
        group: &GroupId,
    ) -> Result<Vec<CalculatedChannel>, StoreError> {
        self.query_prefix_as::<CalculatedItem>(account_pk(account), &calculated_prefix(group))
            .await?
            .into_iter()
            .map(CalculatedChannel::try_from)
            .collect()
    }

    async fn calculated_channel(
        &self,
        account: &AccountId,
        group: &GroupId,
        id: &CalcId,
    ) -> Result<Option<CalculatedChannel>, StoreError> {
        self.get_as::<CalculatedItem>(account_pk(account), &calculated_sk(group, id))
            .await?
            .map(CalculatedChannel::try_from)
            .transpose()
    }

    async fn create_calculated(
        &self,
        channel: &CalculatedChannel,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let group = (account_pk(&channel.account), group_sk(&channel.group));
        let created = self
            .create_counted(
                to_item(&CalculatedItem::from(channel)),
                group,
                "calculated",
                limit,
            )
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
        // The new values, as the channel's item holds them.
        let item = to_item(&CalculatedItem::from(channel));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::Item;

    fn read(item: Item) -> CalculatedChannel {
        CalculatedChannel::try_from(from_item::<CalculatedItem>(item).unwrap()).unwrap()
    }

    #[test]
    fn a_calculated_channel_is_stored_as_before_and_read_back() {
        let app = AppId::parse("gw-1").unwrap();
        let source = ChannelRef::parse("gw-1/LR8450-1/Ch1").unwrap();
        let mut channel = CalculatedChannel {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            id: CalcId::parse("power").unwrap(),
            name: ChannelName::parse("Power").unwrap(),
            expression: "Ch1 * 2".into(),
            canonical: "(* [gw-1/LR8450-1/Ch1] 2)".into(),
            sources: vec![source.clone()],
            pins: BTreeMap::from([(app, RegistrationId::parse("00000000beef").unwrap())]),
            version: 1,
            formula: 1,
            backfill: Backfill::default(),
        };
        let item = to_item(&CalculatedItem::from(&channel));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("ACCOUNT#acme")),
                ("sk".into(), s("CALC#plant#power")),
                ("account".into(), s("acme")),
                ("group".into(), s("plant")),
                ("id".into(), s("power")),
                ("name".into(), s("Power")),
                ("expression".into(), s("Ch1 * 2")),
                ("canonical".into(), s("(* [gw-1/LR8450-1/Ch1] 2)")),
                (
                    "sources".into(),
                    AttributeValue::L(vec![s(source.to_string())])
                ),
                (
                    "pins".into(),
                    AttributeValue::M([("gw-1".into(), s("00000000beef"))].into())
                ),
                ("version".into(), n(1)),
                ("formula".into(), n(1)),
                ("bfComputed".into(), n(0)),
                ("bfDone".into(), AttributeValue::Bool(false)),
            ])
        );
        assert_eq!(read(item), channel);

        // Backfill progress, as `record_backfill` writes it, is read back too.
        channel.backfill = Backfill {
            through: Some(Millis(1_700_000_000_000)),
            computed: 1200,
            done: true,
            chain: 3,
        };
        let mut item = to_item(&CalculatedItem::from(&channel));
        assert_eq!(item["bfThrough"], n(1_700_000_000_000_i64));
        assert!(!item.contains_key("bfChain"));
        item.insert("bfChain".into(), n(3));
        assert_eq!(read(item), channel);
    }
}

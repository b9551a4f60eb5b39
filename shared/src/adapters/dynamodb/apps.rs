//! Apps, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::keys::*;
use super::store::{count_down, count_up, parse_app, written, DynamoStore};
use super::unavailable;
use super::values::{get_s, n, s, Item};
use crate::domain::ids::{AccountId, AppId};
use crate::domain::record::Millis;
use crate::domain::registry::App;
use crate::ports::{Apps, Created, StoreError};

fn app_item(app: &App) -> Item {
    Item::from([
        ("pk".into(), s(app_pk(&app.account, &app.id))),
        ("sk".into(), s(APP_SK)),
        ("gpk".into(), s(group_gpk(&app.account, &app.group))),
        ("gsk".into(), s(app_gsk(&app.id))),
        ("account".into(), s(app.account.as_str())),
        ("group".into(), s(app.group.as_str())),
        ("reg".into(), s(app.registration.to_string())),
        ("registered".into(), n(app.registered.0)),
        ("name".into(), s(&app.name)),
        ("enabled".into(), AttributeValue::Bool(app.enabled)),
        ("kind".into(), s(app.kind.as_str())),
        ("instruments".into(), n(0)),
    ])
}

#[async_trait]
impl Apps for DynamoStore {
    async fn app(&self, account: &AccountId, app_id: &AppId) -> Result<Option<App>, StoreError> {
        self.get(app_pk(account, app_id), APP_SK)
            .await?
            .map(|item| parse_app(&item))
            .transpose()
    }

    async fn register_app(&self, app: &App, limit: u32) -> Result<Created, StoreError> {
        let create = Put::builder()
            .table_name(&self.table)
            .set_item(Some(app_item(app)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("put is complete");
        let cancelled = self
            .transact(vec![
                count_up(
                    &self.table,
                    account_pk(&app.account),
                    ACCOUNT_SK.into(),
                    "apps",
                    Some(limit),
                ),
                // The group must exist; its count keeps it from being deleted under the app.
                count_up(
                    &self.table,
                    account_pk(&app.account),
                    group_sk(&app.group),
                    "apps",
                    None,
                ),
                TransactWriteItem::builder().put(create).build(),
            ])
            .await?;
        Ok(match cancelled {
            None => Created::Created,
            Some(failed) if failed.get(2) == Some(&true) => Created::Exists,
            Some(_) => Created::LimitReached,
        })
    }

    async fn set_certificate(&self, app: &App, certificate_id: &str) -> Result<bool, StoreError> {
        self.set_existing(
            (app_pk(&app.account, &app.id), APP_SK),
            "certificate",
            s(certificate_id),
        )
        .await
    }

    async fn update_app(&self, app: &App) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(app_pk(&app.account, &app.id)))
            .key("sk", s(APP_SK))
            .update_expression("SET #name = :name, enabled = :enabled")
            .condition_expression("account = :account AND #group = :group")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#group", "group")
            .expression_attribute_values(":name", s(&app.name))
            .expression_attribute_values(":enabled", AttributeValue::Bool(app.enabled))
            .expression_attribute_values(":account", s(app.account.as_str()))
            .expression_attribute_values(":group", s(app.group.as_str()))
            .send()
            .await;
        written(result)
    }

    async fn delete_app(&self, app: &App) -> Result<bool, StoreError> {
        // Instruments first: an app is never gone while instruments of it remain.
        let pk = app_pk(&app.account, &app.id);
        let instruments = self.query_prefix(pk.clone(), INSTRUMENT_PREFIX).await?;
        for item in &instruments {
            let sk = get_s(item, "sk")?;
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(&pk))
                .key("sk", s(sk))
                .send()
                .await
                .map_err(unavailable)?;
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(APP_SK))
            .condition_expression("account = :account AND #group = :group")
            .expression_attribute_names("#group", "group")
            .expression_attribute_values(":account", s(app.account.as_str()))
            .expression_attribute_values(":group", s(app.group.as_str()))
            .build()
            .expect("delete is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                count_down(
                    &self.table,
                    account_pk(&app.account),
                    ACCOUNT_SK.into(),
                    "apps",
                ),
                count_down(
                    &self.table,
                    account_pk(&app.account),
                    group_sk(&app.group),
                    "apps",
                ),
            ])
            .await?;
        Ok(cancelled.is_none())
    }

    async fn touch_app(&self, app: &App, at: Millis) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(app_pk(&app.account, &app.id)))
            .key("sk", s(APP_SK))
            .update_expression("SET lastSeen = :at")
            // Only the registration that received the message: a new one starts unseen.
            .condition_expression(
                "reg = :reg AND (attribute_not_exists(lastSeen) OR lastSeen < :at)",
            )
            .expression_attribute_values(":reg", s(app.registration.to_string()))
            .expression_attribute_values(":at", n(at.0))
            .send()
            .await;
        // Not written when already seen later than `at`: a slower, older delivery.
        written(result).map(drop)
    }
}

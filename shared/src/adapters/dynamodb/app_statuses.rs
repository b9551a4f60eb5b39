//! Apps' statuses, on their items, and the silence sweep's list: one item per watched
//! app in one partition, put and deleted in the transaction that changes whether the
//! app is watched, and not written otherwise (a status written without a change of
//! watch is one UpdateItem).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::apps::decode_app;
use super::instruments::decode_instrument;
use super::keys::*;
use super::store::{written, DynamoStore};
use super::unavailable;
use super::values::{get_s, n, parse_id, s, Item};
use crate::domain::app_status::AppStatus;
use crate::domain::ids::{AccountId, AppId};
use crate::domain::registry::{App, Instrument};
use crate::ports::{AppStatuses, StoreError, WatchedApp};

/// The write of `app`'s status as `next`, checked on the revision read and on the
/// registration: its condition and attribute values (the expression is [`SET_STATUS`]).
fn status_write(app: &App, next: &AppStatus) -> (&'static str, Item) {
    let rev = app.status.rev;
    let mut values = Item::from([
        (
            ":status".to_owned(),
            serde_dynamo::to_attribute_value(next).expect("a status serializes to a map"),
        ),
        (":next".to_owned(), n(rev + 1)),
        (":reg".to_owned(), s(app.registration.to_string())),
    ]);
    let condition = if rev == 0 {
        "reg = :reg AND attribute_not_exists(statusRev)"
    } else {
        values.insert(":rev".to_owned(), n(rev));
        "reg = :reg AND statusRev = :rev"
    };
    (condition, values)
}

const SET_STATUS: &str = "SET #status = :status, statusRev = :next";

fn watched_item(app: &App, rev: u64) -> Item {
    Item::from([
        ("pk".to_owned(), s(WATCHED_APPS_PK)),
        ("sk".to_owned(), s(watched_app_sk(&app.account, &app.id))),
        ("account".to_owned(), s(app.account.as_str())),
        ("app".to_owned(), s(app.id.as_str())),
        ("rev".to_owned(), n(rev)),
    ])
}

fn decode_watched(item: &Item) -> Result<WatchedApp, StoreError> {
    let rev = match item.get("rev") {
        Some(aws_sdk_dynamodb::types::AttributeValue::N(rev)) => rev
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("watched app revision `{rev}`")))?,
        _ => return Err(StoreError::Corrupt("watched app without a revision".into())),
    };
    Ok(WatchedApp {
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        app: parse_id(AppId::parse, get_s(item, "app")?)?,
        rev,
    })
}

#[async_trait]
impl AppStatuses for DynamoStore {
    async fn replace_app_status(&self, app: &App, next: &AppStatus) -> Result<bool, StoreError> {
        let (condition, values) = status_write(app, next);
        let key = (s(app_pk(&app.account, &app.id)), s(APP_SK));
        let rev = app.status.rev + 1;
        let list = if next.watched() && !app.status.watched() {
            // The entry carries the revision it was listed at, which keeps a sweep that
            // read the app unwatched just before from taking it off.
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(watched_item(app, rev)))
                .build()
                .map(|put| TransactWriteItem::builder().put(put).build())
        } else if !next.watched() && app.status.watched() {
            Delete::builder()
                .table_name(&self.table)
                .key("pk", s(WATCHED_APPS_PK))
                .key("sk", s(watched_app_sk(&app.account, &app.id)))
                .build()
                .map(|delete| TransactWriteItem::builder().delete(delete).build())
        } else {
            // Listed already, or not to be: the app's own item alone.
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", key.0)
                .key("sk", key.1)
                .update_expression(SET_STATUS)
                .condition_expression(condition)
                .expression_attribute_names("#status", "status")
                .set_expression_attribute_values(Some(values))
                .send()
                .await;
            return written(result);
        }
        .expect("the list's write is complete");
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", key.0)
            .key("sk", key.1)
            .update_expression(SET_STATUS)
            .condition_expression(condition)
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(values))
            .build()
            .expect("update is complete");
        // A conflict with another transaction on the app's item at the same moment
        // reads as a change meanwhile: the caller reads again.
        self.transact_or_refused(vec![
            TransactWriteItem::builder().update(update).build(),
            list,
        ])
        .await
    }

    async fn watched_apps(
        &self,
        after: Option<&WatchedApp>,
        limit: usize,
    ) -> Result<Vec<WatchedApp>, StoreError> {
        let mut watched = Vec::new();
        let mut start_key = after.map(|after| {
            Item::from([
                ("pk".to_owned(), s(WATCHED_APPS_PK)),
                (
                    "sk".to_owned(),
                    s(watched_app_sk(&after.account, &after.app)),
                ),
            ])
        });
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(WATCHED_APPS_PK))
                .limit(i32::try_from(limit - watched.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            for item in output.items() {
                watched.push(decode_watched(item)?);
            }
            start_key = output.last_evaluated_key;
            if start_key.is_none() || watched.len() >= limit {
                return Ok(watched);
            }
        }
    }

    async fn unwatch_app(&self, watched: &WatchedApp) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(WATCHED_APPS_PK))
            .key("sk", s(watched_app_sk(&watched.account, &watched.app)))
            .condition_expression("rev = :rev")
            .expression_attribute_values(":rev", n(watched.rev))
            .send()
            .await;
        // Refused: listed again since, by a newer status.
        written(result).map(drop)
    }

    async fn app_with_instruments(
        &self,
        account: &AccountId,
        app: &AppId,
    ) -> Result<Option<(App, Vec<Instrument>)>, StoreError> {
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(app_pk(account, app)))
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(output.items.unwrap_or_default());
            start_key = output.last_evaluated_key;
            if start_key.is_none() {
                break;
            }
        }
        let (apps, instruments): (Vec<Item>, Vec<Item>) = items
            .into_iter()
            .partition(|item| get_s(item, "sk").is_ok_and(|sk| sk == APP_SK));
        let Some(app) = apps.into_iter().next().map(decode_app).transpose()? else {
            return Ok(None);
        };
        let instruments = instruments
            .into_iter()
            .map(decode_instrument)
            .filter(|instrument| instrument.as_ref().map_or(true, |i| app.holds(i)))
            .collect::<Result<_, _>>()?;
        Ok(Some((app, instruments)))
    }
}

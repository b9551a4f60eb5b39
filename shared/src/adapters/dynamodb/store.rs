//! The store on the registry table (layout in the module docs of [`super`]): the
//! struct and the machinery its ports share. Each port's implementation is in its
//! own file beside this one.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::unavailable;
use super::values::{n, s, Item};
use crate::domain::auth::Role;
use crate::domain::record::Millis;
use crate::domain::registry::RegistrationId;
use crate::ports::{Created, StoreError};

/// The registry table on DynamoDB: every port of [`crate::ports::Store`].
#[derive(Clone)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// Runs a transaction: `None` when it committed, else which of its parts failed their
    /// condition (in order). A conflict with a concurrent write says nothing about the
    /// conditions, so it is a retryable error instead.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<bool>>, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(error) => match cancellation(&error) {
                Some(Cancelled::Conditions(failed)) => Ok(Some(failed)),
                Some(Cancelled::Conflict) => Err(conflict()),
                None => Err(unavailable(error)),
            },
        }
    }

    /// Runs a transaction; whether it was written. Refused conditions and a conflict
    /// with a concurrent transaction both answer `false`: for writers that read again
    /// and decide anew.
    pub(super) async fn transact_or_refused(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) => match cancellation(&error) {
                Some(_) => Ok(false),
                None => Err(unavailable(error)),
            },
        }
    }

    /// Puts `item` unless its key exists and counts it in `counter` on the item
    /// `counted_on` within `limit`, in one transaction: the race-safe shape of every
    /// creation a plan limits.
    pub(super) async fn create_counted(
        &self,
        item: Item,
        counted_on: (String, String),
        counter: &str,
        limit: u32,
    ) -> Result<Created, StoreError> {
        self.create_counted_also(item, counted_on, counter, limit, None)
            .await
    }

    /// [`Self::create_counted`], also counting the item in the unlimited `also`.
    pub(super) async fn create_counted_also(
        &self,
        item: Item,
        counted_on: (String, String),
        counter: &str,
        limit: u32,
        also: Option<&str>,
    ) -> Result<Created, StoreError> {
        let count = count_up_also(&self.table, counted_on, counter, Some(limit), also);
        self.create_with(item, count).await
    }

    /// Puts `item` unless its key exists, in one transaction with `count` (the update
    /// that counts it against a limit).
    pub(super) async fn create_with(
        &self,
        item: Item,
        count: TransactWriteItem,
    ) -> Result<Created, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("put is complete");
        let cancelled = self
            .transact(vec![count, TransactWriteItem::builder().put(put).build()])
            .await?;
        Ok(match cancelled {
            None => Created::Created,
            // [count, put]: the put's condition failing means the key is taken.
            Some(failed) if failed.get(1) == Some(&true) => Created::Exists,
            Some(_) => Created::LimitReached,
        })
    }

    /// Writes `item` whole, whatever was there.
    pub(super) async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Sets one attribute of the item (`pk`, `sk`) if the item exists: `false` if not.
    pub(super) async fn set_existing(
        &self,
        (pk, sk): (String, &str),
        attribute: &str,
        value: AttributeValue,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            // Aliased: attribute names are many, and DynamoDB reserves hundreds of words.
            .update_expression("SET #attribute = :value")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#attribute", attribute)
            .expression_attribute_values(":value", value)
            .send()
            .await;
        written(result)
    }

    /// Deletes the item (`pk`, `sk`) if it exists: `true` for the one caller of several
    /// that did, which makes single-use secrets single-use.
    pub(super) async fn take(&self, pk: String, sk: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        written(result)
    }

    /// Deletes the item `(pk, sk)` and takes it from `counter` on the item `counted_on`,
    /// in one transaction: `false` if there was no such item.
    pub(super) async fn delete_counted(
        &self,
        (pk, sk): (String, String),
        counted_on: (String, String),
        counter: &str,
    ) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("delete is complete");
        let (count_pk, count_sk) = counted_on;
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                count_down(&self.table, count_pk, count_sk, counter),
            ])
            .await?;
        Ok(cancelled.is_none())
    }

    /// Every item under `pk` whose sort key starts with `prefix`, read consistently, all
    /// pages.
    pub(super) async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            start_key = output.last_evaluated_key;
            items.extend(output.items.unwrap_or_default());
            if start_key.is_none() {
                return Ok(items);
            }
        }
    }

    /// [`Self::query_prefix`], each item decoded as `T`.
    pub(super) async fn query_prefix_as<T: ItemKind>(
        &self,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
        self.query_prefix(pk, prefix)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// [`Self::get`], the item decoded as `T`.
    pub(super) async fn get_as<T: ItemKind>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get(pk, sk).await?.map(from_item).transpose()
    }

    pub(super) async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output.item)
    }
}

/// A kind of item the table holds, as a struct with one field per attribute (named as
/// the attribute is). [`to_item`] and [`from_item`] convert it; `KIND` names it in the
/// error when a stored item does not decode.
pub(super) trait ItemKind: Serialize + DeserializeOwned {
    const KIND: &'static str;
}

/// The item an item struct is stored as.
pub(super) fn to_item<T: ItemKind>(value: &T) -> Item {
    // Item structs are structs of strings, numbers, booleans, lists and string-keyed
    // maps, all of which an item can hold.
    serde_dynamo::to_item(value).expect("an item struct serializes")
}

/// An item read back as its item struct: [`StoreError::Corrupt`], naming the kind, if
/// it does not decode.
pub(super) fn from_item<T: ItemKind>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(format!("{} item: {e}", T::KIND)))
}

/// Adds one to `counter` on an item, unless it would pass `limit`: the part of a
/// creation transaction that makes a plan limit race-safe.
pub(super) fn count_up(
    table: &str,
    pk: String,
    sk: String,
    counter: &str,
    limit: Option<u32>,
) -> TransactWriteItem {
    count_up_also(table, (pk, sk), counter, limit, None)
}

/// [`count_up`], adding one to the unlimited counter `also` in the same update (a
/// transaction may touch an item once).
pub(super) fn count_up_also(
    table: &str,
    (pk, sk): (String, String),
    counter: &str,
    limit: Option<u32>,
    also: Option<&str>,
) -> TransactWriteItem {
    let mut expression = String::from("SET #counter = if_not_exists(#counter, :zero) + :one");
    let mut update = Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(sk))
        // Aliased: counters are named after what they count, and `users` is reserved.
        .expression_attribute_names("#counter", counter)
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1));
    if let Some(also) = also {
        expression.push_str(", #also = if_not_exists(#also, :zero) + :one");
        update = update.expression_attribute_names("#also", also);
    }
    update = update.update_expression(expression);
    update = match limit {
        // A missing counter is zero: below any limit but a limit of zero.
        Some(0) => update
            .condition_expression("attribute_exists(pk) AND #counter < :limit")
            .expression_attribute_values(":limit", n(0)),
        Some(limit) => update
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(#counter) OR #counter < :limit)",
            )
            .expression_attribute_values(":limit", n(limit)),
        None => update.condition_expression("attribute_exists(pk)"),
    };
    TransactWriteItem::builder()
        .update(update.build().expect("update is complete"))
        .build()
}

/// Takes one from `counter`: the part of a deletion transaction that frees a slot.
pub(super) fn count_down(table: &str, pk: String, sk: String, counter: &str) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(sk))
        // `if_not_exists` keeps the expression valid on an item without the counter, so
        // the condition, not a validation error, is what refuses it.
        .update_expression("SET #counter = if_not_exists(#counter, :zero) - :one")
        .condition_expression("#counter > :zero")
        .expression_attribute_names("#counter", counter)
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// The outcome of a conditional write: `true` if written, `false` if its condition
/// failed (which callers treat as an answer, not an error).
pub(super) fn written<T, E: Into<aws_sdk_dynamodb::Error>>(
    result: Result<T, E>,
) -> Result<bool, StoreError> {
    Ok(written_as(result)?.is_some())
}

/// [`written`], with what the write answered when it was.
pub(super) fn written_as<T, E: Into<aws_sdk_dynamodb::Error>>(
    result: Result<T, E>,
) -> Result<Option<T>, StoreError> {
    match result.map_err(Into::into) {
        Ok(output) => Ok(Some(output)),
        Err(aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_)) => Ok(None),
        Err(error) => Err(StoreError::Unavailable(
            DisplayErrorContext(error).to_string(),
        )),
    }
}

/// An app's registration or an instrument's instance, as stored.
pub(super) fn registration(text: &str) -> Result<RegistrationId, StoreError> {
    RegistrationId::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("bad registration `{text}`")))
}

/// Why a transaction was cancelled: which of its parts failed their condition (in
/// request order), or a conflict with a concurrent write — which says nothing about the
/// conditions and is worth a retry.
enum Cancelled {
    Conditions(Vec<bool>),
    Conflict,
}

/// The cancellation of a transaction, or `None` for any other failure.
fn cancellation<R: std::fmt::Debug>(
    error: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>,
) -> Option<Cancelled> {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        error.as_service_error()
    else {
        return None;
    };
    let codes: Vec<Option<&str>> = cancelled
        .cancellation_reasons()
        .iter()
        .map(|r| r.code())
        .collect();
    let only_conditions = !codes.is_empty()
        && codes
            .iter()
            .all(|code| matches!(code, None | Some("None") | Some("ConditionalCheckFailed")));
    Some(if only_conditions {
        Cancelled::Conditions(
            codes
                .iter()
                .map(|c| *c == Some("ConditionalCheckFailed"))
                .collect(),
        )
    } else {
        Cancelled::Conflict
    })
}

fn conflict() -> StoreError {
    StoreError::Unavailable("transaction conflicted with a concurrent write".into())
}

/// DynamoDB's TTL attribute: epoch seconds after which the item may be removed.
pub(super) fn ttl(at: Millis) -> i64 {
    at.0 / 1000
}

pub(super) fn role(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown role `{text}`")))
}

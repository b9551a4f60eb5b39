//! The registry table (layout in the module docs of [`super`]).

use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};

use crate::ports::Created;
use aws_sdk_dynamodb::Client;

use super::keys::*;
use super::schema::BY_GROUP_INDEX;
use super::unavailable;
use super::values::{get_b, get_bool, get_n, get_opt_s, get_s, get_strings, n, parse_id, s, Item};
use crate::domain::access::{Grant, Grantee, GroupRole};
use crate::domain::allowlist::Cidr;
use crate::domain::calculated::{Backfill, CalculatedChannel};
use crate::domain::channel::ChannelRef;
use crate::domain::ids::{AccountId, AppId, CalcId, ChannelName, GroupId, InstrumentSerial};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::{Account, App, AppKind, Group, Instrument, RegistrationId};
use crate::domain::settings::{Language, Logo, TimeZone};
use crate::ports::{Registration, Registry, Renewal, Saved, StoreError};

/// The registry table on DynamoDB.
#[derive(Clone)]
pub struct DynamoRegistry {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoRegistry {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoRegistry {
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

    /// Creates an account unless it exists (seeding).
    pub async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(account_item(account)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(result).map(drop)
    }
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

/// Counts one more instrument on `app`'s item within `limit`, and only while the item is
/// still of `app`'s registration: an invocation that began with an earlier registration
/// of the same app ID can never add an instrument to the new one.
fn count_instrument_on(table: &str, app: &App, limit: u32) -> TransactWriteItem {
    let within = if limit == 0 {
        "instruments < :limit"
    } else {
        "(attribute_not_exists(instruments) OR instruments < :limit)"
    };
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(app_pk(&app.account, &app.id)))
        .key("sk", s(APP_SK))
        .update_expression("SET instruments = if_not_exists(instruments, :zero) + :one")
        .condition_expression(format!("reg = :reg AND {within}"))
        .expression_attribute_values(":reg", s(app.registration.to_string()))
        .expression_attribute_values(":limit", n(limit))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
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

/// A new account's item. The login alias and the allow-list are set by their own routes.
pub(super) fn account_item(account: &Account) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(account_pk(&account.id))),
        ("sk".into(), s(ACCOUNT_SK)),
        ("name".into(), s(&account.name)),
        ("plan".into(), s(account.plan.as_str())),
        ("timeZone".into(), s(account.time_zone.as_str())),
        ("language".into(), s(account.language.tag())),
        ("created".into(), n(account.created.0)),
    ]);
    if let Some(email) = &account.contract_email {
        item.insert("contractEmail".into(), s(email));
    }
    if let Some(expires) = account.license_expires {
        item.insert("licenseExpires".into(), n(expires.0));
    }
    item
}

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

/// The outcome of a conditional write: `true` if written, `false` if its condition
/// failed (which callers treat as an answer, not an error).
pub(super) fn written<T, E: Into<aws_sdk_dynamodb::Error>>(
    result: Result<T, E>,
) -> Result<bool, StoreError> {
    match result.map_err(Into::into) {
        Ok(_) => Ok(true),
        Err(aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_)) => Ok(false),
        Err(error) => Err(StoreError::Unavailable(
            DisplayErrorContext(error).to_string(),
        )),
    }
}

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

fn parse_app(item: &Item) -> Result<App, StoreError> {
    let (_, thing) = get_s(item, "pk")?
        .strip_prefix(APP_PREFIX)
        .and_then(|rest| rest.split_once('#'))
        .ok_or_else(|| StoreError::Corrupt("app item without an APP#{account}#{app} key".into()))?;
    Ok(App {
        id: parse_id(AppId::parse, thing)?,
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        group: parse_id(GroupId::parse, get_s(item, "group")?)?,
        registration: parse_registration(item)?,
        registered: Millis(get_n(item, "registered")?.unwrap_or(0)),
        name: get_s(item, "name")?.to_owned(),
        kind: match item.get("kind") {
            None => AppKind::Gateway,
            Some(_) => {
                let text = get_s(item, "kind")?;
                AppKind::parse(text)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown app kind `{text}`")))?
            }
        },
        enabled: get_bool(item, "enabled")?,
        certificate: get_opt_s(item, "certificate")?.map(str::to_owned),
        last_seen: get_n(item, "lastSeen")?.map(Millis),
    })
}

fn parse_registration(item: &Item) -> Result<RegistrationId, StoreError> {
    let text = get_s(item, "reg")?;
    RegistrationId::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("bad app registration `{text}`")))
}

fn parse_instrument(item: &Item) -> Result<Instrument, StoreError> {
    let channels = get_strings(item, "channels")?
        .into_iter()
        .map(|c| parse_id(ChannelName::parse, &c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Instrument {
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        group: parse_id(GroupId::parse, get_s(item, "group")?)?,
        app: parse_id(AppId::parse, get_s(item, "app")?)?,
        registration: parse_registration(item)?,
        serial: parse_id(InstrumentSerial::parse, get_s(item, "serial")?)?,
        instance: RegistrationId::parse(get_s(item, "inst")?)
            .ok_or_else(|| StoreError::Corrupt("bad instrument instance".into()))?,
        channels,
        deselected: match item.get("deselected") {
            Some(AttributeValue::L(list)) => list
                .iter()
                .map(|v| match v {
                    AttributeValue::N(n) => n
                        .parse()
                        .map_err(|_| StoreError::Corrupt("bad deselected index".into())),
                    _ => Err(StoreError::Corrupt("bad deselected index".into())),
                })
                .collect::<Result<Vec<u32>, _>>()?,
            _ => Vec::new(),
        },
        label: get_opt_s(item, "label")?.map(str::to_owned),
        note: get_opt_s(item, "note")?.map(str::to_owned),
        rev: get_n(item, "rev")?.unwrap_or(0),
    })
}

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

#[async_trait]
impl Registry for DynamoRegistry {
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        let Some(item) = self.get(account_pk(id), ACCOUNT_SK).await? else {
            return Ok(None);
        };
        let allow_list = get_strings(&item, "allowList")?
            .iter()
            .map(|text| Cidr::parse(text).map_err(StoreError::Corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Account {
            id: id.clone(),
            name: get_s(&item, "name")?.to_owned(),
            plan: get_s(&item, "plan")?
                .parse::<Plan>()
                .map_err(StoreError::Corrupt)?,
            allow_list,
            contract_email: get_opt_s(&item, "contractEmail")?.map(str::to_owned),
            time_zone: match get_opt_s(&item, "timeZone")? {
                Some(name) => TimeZone::parse(name).map_err(StoreError::Corrupt)?,
                None => TimeZone::utc(),
            },
            language: match get_opt_s(&item, "language")? {
                Some(tag) => Language::parse(tag).map_err(StoreError::Corrupt)?,
                None => Language::default(),
            },
            created: Millis(get_n(&item, "created")?.unwrap_or(0)),
            license_expires: get_n(&item, "licenseExpires")?.map(Millis),
            login_alias: get_opt_s(&item, "loginAlias")?
                .map(|alias| parse_id(AccountId::parse, alias))
                .transpose()?,
        }))
    }

    async fn update_settings(&self, account: &Account) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(&account.id)))
            .key("sk", s(ACCOUNT_SK))
            .condition_expression("attribute_exists(pk)")
            // `name`, `language` and `timeZone` are all reserved words.
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#language", "language")
            .expression_attribute_names("#zone", "timeZone")
            .expression_attribute_values(":name", s(&account.name))
            .expression_attribute_values(":zone", s(account.time_zone.as_str()))
            .expression_attribute_values(":language", s(account.language.tag()));
        update = match &account.contract_email {
            Some(email) => update
                .update_expression(
                    "SET #name = :name, #zone = :zone, #language = :language, \
                     contractEmail = :email",
                )
                .expression_attribute_values(":email", s(email)),
            None => update.update_expression(
                "SET #name = :name, #zone = :zone, #language = :language \
                 REMOVE contractEmail",
            ),
        };
        written(update.send().await)
    }

    async fn account_by_alias(&self, alias: &AccountId) -> Result<Option<AccountId>, StoreError> {
        self.get(alias_pk(alias), ALIAS_SK)
            .await?
            .map(|item| parse_id(AccountId::parse, get_s(&item, "account")?))
            .transpose()
    }

    async fn set_login_alias(
        &self,
        account: &Account,
        alias: Option<&AccountId>,
    ) -> Result<bool, StoreError> {
        let mut items = Vec::new();
        if let Some(alias) = alias {
            // The alias is taken neither as an alias nor as an account ID.
            let put = Put::builder()
                .table_name(&self.table)
                .item("pk", s(alias_pk(alias)))
                .item("sk", s(ALIAS_SK))
                .item("account", s(account.id.as_str()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("put is complete");
            let no_account = ConditionCheck::builder()
                .table_name(&self.table)
                .key("pk", s(account_pk(alias)))
                .key("sk", s(ACCOUNT_SK))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("check is complete");
            items.push(TransactWriteItem::builder().put(put).build());
            items.push(
                TransactWriteItem::builder()
                    .condition_check(no_account)
                    .build(),
            );
        }
        if let Some(old) = &account.login_alias {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(alias_pk(old)))
                .key("sk", s(ALIAS_SK))
                .condition_expression("#account = :account")
                .expression_attribute_names("#account", "account")
                .expression_attribute_values(":account", s(account.id.as_str()))
                .build()
                .expect("delete is complete");
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        // The account still has the alias it was read with: two changes cannot both land.
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&account.id)))
            .key("sk", s(ACCOUNT_SK));
        update = match &account.login_alias {
            Some(old) => update
                .condition_expression("loginAlias = :old")
                .expression_attribute_values(":old", s(old.as_str())),
            None => update
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(loginAlias)"),
        };
        update = match alias {
            Some(alias) => update
                .update_expression("SET loginAlias = :alias")
                .expression_attribute_values(":alias", s(alias.as_str())),
            None => update.update_expression("REMOVE loginAlias"),
        };
        items.push(
            TransactWriteItem::builder()
                .update(update.build().expect("update is complete"))
                .build(),
        );
        Ok(self.transact(items).await?.is_none())
    }

    async fn logo(&self, account: &AccountId) -> Result<Option<Logo>, StoreError> {
        let Some(item) = self.get(account_pk(account), LOGO_SK).await? else {
            return Ok(None);
        };
        let bytes = get_b(&item, "image")?
            .ok_or_else(|| StoreError::Corrupt("logo without image".into()))?;
        Logo::from_bytes(bytes.to_vec())
            .map(Some)
            .map_err(StoreError::Corrupt)
    }

    async fn set_logo(&self, account: &AccountId, logo: Option<&Logo>) -> Result<(), StoreError> {
        match logo {
            Some(logo) => self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(account_pk(account)))
                .item("sk", s(LOGO_SK))
                .item("image", AttributeValue::B(Blob::new(logo.bytes.clone())))
                .send()
                .await
                .map(drop)
                .map_err(unavailable),
            None => self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(account_pk(account)))
                .key("sk", s(LOGO_SK))
                .send()
                .await
                .map(drop)
                .map_err(unavailable),
        }
    }

    async fn group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let Some(item) = self.get(account_pk(account), &group_sk(id)).await? else {
            return Ok(None);
        };
        parse_group(account, &item).map(Some)
    }

    async fn app(&self, account: &AccountId, thing: &AppId) -> Result<Option<App>, StoreError> {
        self.get(app_pk(account, thing), APP_SK)
            .await?
            .map(|item| parse_app(&item))
            .transpose()
    }

    async fn instrument(
        &self,
        account: &AccountId,
        thing: &AppId,
        serial: &InstrumentSerial,
    ) -> Result<Option<Instrument>, StoreError> {
        self.get(app_pk(account, thing), &instrument_sk(serial))
            .await?
            .map(|item| parse_instrument(&item))
            .transpose()
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

    async fn register_instrument(
        &self,
        app: &App,
        serial: &InstrumentSerial,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Registration, StoreError> {
        let instrument = Instrument::new(app, serial.clone(), instance);
        let item = Item::from([
            ("pk".into(), s(app_pk(&app.account, &app.id))),
            ("sk".into(), s(instrument_sk(serial))),
            ("gpk".into(), s(group_gpk(&app.account, &app.group))),
            ("gsk".into(), s(instrument_gsk(&app.id, serial))),
            ("account".into(), s(app.account.as_str())),
            ("group".into(), s(app.group.as_str())),
            ("app".into(), s(app.id.as_str())),
            ("reg".into(), s(app.registration.to_string())),
            ("serial".into(), s(serial.as_str())),
            ("inst".into(), s(instance.to_string())),
            ("rev".into(), n(0)),
        ]);
        // The count on the app and the new item commit together: of two concurrent
        // registrations for the last slot, the transaction lets only one through.
        let count = count_instrument_on(&self.table, app, limit);
        Ok(match self.create_with(item, count).await? {
            Created::Created => Registration::Registered(Box::new(instrument)),
            Created::Exists => Registration::AlreadyExists,
            // The limit, or an app registered again since (whose own messages count).
            Created::LimitReached => Registration::LimitReached,
        })
    }

    async fn renew_instrument(
        &self,
        stale: &Instrument,
        app: &App,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Renewal, StoreError> {
        let fresh = Instrument {
            rev: stale.rev + 1,
            ..Instrument::new(app, stale.serial.clone(), instance)
        };
        let renew = Update::builder()
            .table_name(&self.table)
            .key("pk", s(app_pk(&app.account, &app.id)))
            .key("sk", s(instrument_sk(&stale.serial)))
            .update_expression(
                "SET reg = :reg, inst = :inst, gpk = :gpk, #group = :group, channels = :none, \
                 deselected = :none, rev = :rev \
                 REMOVE #label, #note",
            )
            // Only the item as read: of two invocations renewing it, one does, and a
            // writer still holding the stale item fails its revision check.
            .condition_expression("reg = :stale AND rev = :was")
            .expression_attribute_names("#group", "group")
            .expression_attribute_names("#label", "label")
            .expression_attribute_names("#note", "note")
            .expression_attribute_values(":reg", s(app.registration.to_string()))
            .expression_attribute_values(":inst", s(instance.to_string()))
            .expression_attribute_values(":stale", s(stale.registration.to_string()))
            .expression_attribute_values(":was", n(stale.rev))
            .expression_attribute_values(":gpk", s(group_gpk(&app.account, &app.group)))
            .expression_attribute_values(":group", s(app.group.as_str()))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":rev", n(fresh.rev))
            .build()
            .expect("update is complete");
        // It was counted on the app item of its own registration, gone since: it counts
        // on the current one now, within the plan like any new instrument.
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().update(renew).build(),
                count_instrument_on(&self.table, app, limit),
            ])
            .await?;
        Ok(match cancelled {
            None => Renewal::Renewed(Box::new(fresh)),
            Some(failed) if failed.first() == Some(&true) => Renewal::Changed,
            Some(_) => Renewal::LimitReached,
        })
    }

    async fn save_instrument(&self, instrument: &Instrument) -> Result<Saved, StoreError> {
        let channels =
            AttributeValue::L(instrument.channels.iter().map(|c| s(c.as_str())).collect());
        let mut expression =
            String::from("SET channels = :channels, deselected = :deselected, rev = :next");
        let mut update = self.client.update_item();
        let mut removed = Vec::new();
        for (attribute, value) in [("label", &instrument.label), ("note", &instrument.note)] {
            match value {
                Some(text) => {
                    expression.push_str(&format!(", #{attribute} = :{attribute}"));
                    update = update.expression_attribute_values(format!(":{attribute}"), s(text));
                }
                None => removed.push(format!("#{attribute}")),
            }
            // Aliased: reserved words are many, and these two may be among them.
            update = update.expression_attribute_names(format!("#{attribute}"), attribute);
        }
        if !removed.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removed.join(", ")));
        }
        let update = update
            .table_name(&self.table)
            .key("pk", s(app_pk(&instrument.account, &instrument.app)))
            .key("sk", s(instrument_sk(&instrument.serial)))
            .update_expression(expression)
            // The revision read with the state: a concurrent writer makes this fail and
            // the caller re-reads and re-applies instead of overwriting.
            .condition_expression("rev = :rev AND reg = :reg")
            .expression_attribute_values(":reg", s(instrument.registration.to_string()))
            .expression_attribute_values(":channels", channels)
            .expression_attribute_values(
                ":deselected",
                AttributeValue::L(instrument.deselected.iter().map(|i| n(*i)).collect()),
            )
            .expression_attribute_values(":rev", n(instrument.rev))
            .expression_attribute_values(":next", n(instrument.rev + 1));
        Ok(if written(update.send().await)? {
            Saved::Written
        } else {
            Saved::Conflict
        })
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

    async fn set_allow_list(&self, account: &AccountId, ranges: &[Cidr]) -> Result<(), StoreError> {
        let list = AttributeValue::L(ranges.iter().map(|r| s(r.to_string())).collect());
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET allowList = :list")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":list", list)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
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

    async fn delete_instrument(&self, instrument: &Instrument) -> Result<bool, StoreError> {
        let app = app_pk(&instrument.account, &instrument.app);
        let key = (app.clone(), instrument_sk(&instrument.serial));
        self.delete_counted(key, (app, APP_SK.into()), "instruments")
            .await
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

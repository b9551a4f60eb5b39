//! The registry table (layout in the module docs of [`super`]).

use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::schema::BY_GROUP_INDEX;
use super::unavailable;
use super::values::{get_b, get_bool, get_n, get_s, get_strings, n, parse_id, s, Item};
use crate::domain::codec::{decode_latest, encode_latest};
use crate::domain::ids::{AccountId, ChannelName, GroupId, InstrumentSerial, ThingName};
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::{Account, App, Group, Instrument};
use crate::ports::{Registration, Registry, Saved, StoreError};

/// The registry table on DynamoDB.
#[derive(Clone)]
pub struct DynamoRegistry {
    client: Client,
    table: String,
}

fn account_pk(account: &AccountId) -> String {
    format!("ACCOUNT#{account}")
}

fn app_pk(thing: &ThingName) -> String {
    format!("APP#{thing}")
}

fn instrument_sk(serial: &InstrumentSerial) -> String {
    format!("INSTRUMENT#{serial}")
}

fn group_gpk(account: &AccountId, group: &GroupId) -> String {
    format!("GROUP#{account}#{group}")
}

impl DynamoRegistry {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoRegistry {
            client,
            table: table.into(),
        }
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
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

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Creates or replaces an account (seeding; the account routes come later).
    pub async fn put_account(&self, account: &Account) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(account_pk(&account.id))),
            ("sk".into(), s("ACCOUNT")),
            ("name".into(), s(&account.name)),
            ("plan".into(), s(account.plan.as_str())),
        ]))
        .await
    }

    /// Creates or replaces a measurement group (seeding).
    pub async fn put_group(&self, group: &Group) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(account_pk(&group.account))),
            ("sk".into(), s(format!("GROUP#{}", group.id))),
            ("name".into(), s(&group.name)),
        ]))
        .await
    }

    /// Registers an app, unless its thing name is taken (seeding; registration routes
    /// come later). Re-running the seed leaves an existing app and its state alone.
    pub async fn create_app(&self, app: &App) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                ("pk".into(), s(app_pk(&app.thing))),
                ("sk".into(), s("APP")),
                ("gpk".into(), s(group_gpk(&app.account, &app.group))),
                ("gsk".into(), s(app_pk(&app.thing))),
                ("account".into(), s(app.account.as_str())),
                ("group".into(), s(app.group.as_str())),
                ("name".into(), s(&app.name)),
                ("enabled".into(), AttributeValue::Bool(app.enabled)),
                ("instruments".into(), n(0)),
            ])))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(unavailable(error)),
        }
    }
}

fn is_condition_failure<R: std::fmt::Debug>(
    error: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::put_item::PutItemError,
        R,
    >,
) -> bool {
    error
        .as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

fn parse_app(item: &Item) -> Result<App, StoreError> {
    let thing = get_s(item, "pk")?
        .strip_prefix("APP#")
        .ok_or_else(|| StoreError::Corrupt("app item without APP# key".into()))?;
    Ok(App {
        thing: parse_id(ThingName::parse, thing)?,
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        group: parse_id(GroupId::parse, get_s(item, "group")?)?,
        name: get_s(item, "name")?.to_owned(),
        enabled: get_bool(item, "enabled")?,
        last_seen: get_n(item, "lastSeen")?.map(Millis),
    })
}

fn parse_instrument(item: &Item) -> Result<Instrument, StoreError> {
    let channels = get_strings(item, "channels")?
        .into_iter()
        .map(|c| parse_id(ChannelName::parse, &c))
        .collect::<Result<Vec<_>, _>>()?;
    let latest = match get_b(item, "latest")? {
        Some(bytes) => decode_latest(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        None => Vec::new(),
    };
    Ok(Instrument {
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        group: parse_id(GroupId::parse, get_s(item, "group")?)?,
        app: parse_id(ThingName::parse, get_s(item, "app")?)?,
        serial: parse_id(InstrumentSerial::parse, get_s(item, "serial")?)?,
        channels,
        latest,
        last_seen: get_n(item, "lastSeen")?.map(Millis),
        rev: get_n(item, "rev")?.unwrap_or(0),
    })
}

#[async_trait]
impl Registry for DynamoRegistry {
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        let Some(item) = self.get(account_pk(id), "ACCOUNT").await? else {
            return Ok(None);
        };
        Ok(Some(Account {
            id: id.clone(),
            name: get_s(&item, "name")?.to_owned(),
            plan: get_s(&item, "plan")?
                .parse::<Plan>()
                .map_err(StoreError::Corrupt)?,
        }))
    }

    async fn group(&self, account: &AccountId, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let Some(item) = self
            .get(account_pk(account), &format!("GROUP#{id}"))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Group {
            account: account.clone(),
            id: id.clone(),
            name: get_s(&item, "name")?.to_owned(),
        }))
    }

    async fn app(&self, thing: &ThingName) -> Result<Option<App>, StoreError> {
        self.get(app_pk(thing), "APP")
            .await?
            .map(|item| parse_app(&item))
            .transpose()
    }

    async fn instrument(
        &self,
        thing: &ThingName,
        serial: &InstrumentSerial,
    ) -> Result<Option<Instrument>, StoreError> {
        self.get(app_pk(thing), &instrument_sk(serial))
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
                if get_s(item, "sk")? == "APP" {
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
        limit: u32,
    ) -> Result<Registration, StoreError> {
        let instrument = Instrument::new(app, serial.clone());
        // The count on the app and the new item commit together: of two concurrent
        // registrations for the last slot, the transaction lets only one through.
        let count = Update::builder()
            .table_name(&self.table)
            .key("pk", s(app_pk(&app.thing)))
            .key("sk", s("APP"))
            .update_expression("SET instruments = instruments + :one")
            .condition_expression("attribute_exists(pk) AND instruments < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .build()
            .expect("update is complete");
        let create = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                ("pk".into(), s(app_pk(&app.thing))),
                ("sk".into(), s(instrument_sk(serial))),
                ("gpk".into(), s(group_gpk(&app.account, &app.group))),
                (
                    "gsk".into(),
                    s(format!("{}#{}", app_pk(&app.thing), instrument_sk(serial))),
                ),
                ("account".into(), s(app.account.as_str())),
                ("group".into(), s(app.group.as_str())),
                ("app".into(), s(app.thing.as_str())),
                ("serial".into(), s(serial.as_str())),
                ("rev".into(), n(0)),
            ])))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("put is complete");
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(count).build())
            .transact_items(TransactWriteItem::builder().put(create).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Registration::Registered(instrument)),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                // Which condition failed decides the answer; reading the instrument back
                // tells it without relying on cancellation-reason details.
                match self.instrument(&app.thing, serial).await? {
                    Some(_) => Ok(Registration::AlreadyExists),
                    None => Ok(Registration::LimitReached),
                }
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn save_instrument(&self, instrument: &Instrument) -> Result<Saved, StoreError> {
        let channels =
            AttributeValue::L(instrument.channels.iter().map(|c| s(c.as_str())).collect());
        let mut expression =
            String::from("SET channels = :channels, latest = :latest, rev = :next");
        let mut update = self.client.update_item();
        if let Some(seen) = instrument.last_seen {
            expression.push_str(", lastSeen = :seen");
            update = update.expression_attribute_values(":seen", n(seen.0));
        }
        let update = update
            .table_name(&self.table)
            .key("pk", s(app_pk(&instrument.app)))
            .key("sk", s(instrument_sk(&instrument.serial)))
            .update_expression(expression)
            // The revision read with the state: a concurrent writer makes this fail and
            // the caller re-reads and re-applies instead of overwriting.
            .condition_expression("rev = :rev")
            .expression_attribute_values(":channels", channels)
            .expression_attribute_values(
                ":latest",
                AttributeValue::B(Blob::new(encode_latest(&instrument.latest))),
            )
            .expression_attribute_values(":rev", n(instrument.rev))
            .expression_attribute_values(":next", n(instrument.rev + 1));
        match update.send().await {
            Ok(_) => Ok(Saved::Written),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Saved::Conflict)
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn touch_app(&self, thing: &ThingName, at: Millis) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(app_pk(thing)))
            .key("sk", s("APP"))
            .update_expression("SET lastSeen = :at")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(lastSeen) OR lastSeen < :at)",
            )
            .expression_attribute_values(":at", n(at.0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already seen later than `at`: a slower, older delivery; nothing to do.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(unavailable(error)),
        }
    }
}

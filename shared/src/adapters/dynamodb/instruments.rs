//! Instruments, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::keys::*;
use super::store::{parse_instrument, written, DynamoStore};
use super::values::{n, s, Item};
use crate::domain::ids::{AccountId, AppId, InstrumentSerial};
use crate::domain::registry::{App, Instrument, RegistrationId};
use crate::ports::{Created, Instruments, Registration, Renewal, Saved, StoreError};

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

#[async_trait]
impl Instruments for DynamoStore {
    async fn instrument(
        &self,
        account: &AccountId,
        app_id: &AppId,
        serial: &InstrumentSerial,
    ) -> Result<Option<Instrument>, StoreError> {
        self.get(app_pk(account, app_id), &instrument_sk(serial))
            .await?
            .map(|item| parse_instrument(&item))
            .transpose()
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

    async fn delete_instrument(&self, instrument: &Instrument) -> Result<bool, StoreError> {
        let app = app_pk(&instrument.account, &instrument.app);
        let key = (app.clone(), instrument_sk(&instrument.serial));
        self.delete_counted(key, (app, APP_SK.into()), "instruments")
            .await
    }
}

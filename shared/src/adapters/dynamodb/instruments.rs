//! Instruments, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{from_item, registration, to_item, written, DynamoStore, ItemKind};
use super::values::{n, s, Item};
use crate::domain::ids::{AccountId, AppId, ChannelName, GroupId, InstrumentSerial};
use crate::domain::registry::{App, Instrument, RegistrationId};
use crate::ports::{Created, Instruments, Registration, Renewal, Saved, StoreError};

/// An instrument's item. Its channels, deselection, label and note are written by
/// [`Instruments::save_instrument`]; a new instrument has none.
#[derive(Debug, Serialize, Deserialize)]
struct InstrumentItem {
    pk: String,
    sk: String,
    // The group index's keys: written for the index, never needed to read the item.
    #[serde(skip_deserializing)]
    gpk: String,
    #[serde(skip_deserializing)]
    gsk: String,
    account: AccountId,
    group: GroupId,
    app: AppId,
    reg: String,
    serial: InstrumentSerial,
    inst: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    channels: Vec<ChannelName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deselected: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(default)]
    rev: u64,
}

impl ItemKind for InstrumentItem {
    const KIND: &'static str = "instrument";
}

impl From<&Instrument> for InstrumentItem {
    fn from(instrument: &Instrument) -> Self {
        InstrumentItem {
            pk: app_pk(&instrument.account, &instrument.app),
            sk: instrument_sk(&instrument.serial),
            gpk: group_gpk(&instrument.account, &instrument.group),
            gsk: instrument_gsk(&instrument.app, &instrument.serial),
            account: instrument.account.clone(),
            group: instrument.group.clone(),
            app: instrument.app.clone(),
            reg: instrument.registration.to_string(),
            serial: instrument.serial.clone(),
            inst: instrument.instance.to_string(),
            channels: instrument.channels.clone(),
            deselected: instrument.deselected.clone(),
            label: instrument.label.clone(),
            note: instrument.note.clone(),
            rev: instrument.rev,
        }
    }
}

impl TryFrom<InstrumentItem> for Instrument {
    type Error = StoreError;

    fn try_from(item: InstrumentItem) -> Result<Self, StoreError> {
        Ok(Instrument {
            account: item.account,
            group: item.group,
            app: item.app,
            registration: registration(&item.reg)?,
            serial: item.serial,
            instance: registration(&item.inst)?,
            channels: item.channels,
            deselected: item.deselected,
            label: item.label,
            note: item.note,
            rev: item.rev,
        })
    }
}

/// An instrument read from its item.
pub(super) fn decode_instrument(item: Item) -> Result<Instrument, StoreError> {
    from_item::<InstrumentItem>(item)?.try_into()
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
            .map(decode_instrument)
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
        let item = to_item(&InstrumentItem::from(&instrument));
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
        let registration = s(instrument.registration.to_string());
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(&app))
            .key("sk", s(instrument_sk(&instrument.serial)))
            .condition_expression("reg = :reg")
            .expression_attribute_values(":reg", registration.clone())
            .build()
            .expect("delete is complete");
        // Counted down only on the app of the same registration: an instrument left by an
        // earlier one was never counted on the current app.
        let count_down = Update::builder()
            .table_name(&self.table)
            .key("pk", s(app))
            .key("sk", s(APP_SK))
            .update_expression("SET instruments = instruments - :one")
            .condition_expression("instruments > :zero AND reg = :reg")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":reg", registration)
            .build()
            .expect("update is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                TransactWriteItem::builder().update(count_down).build(),
            ])
            .await?;
        Ok(cancelled.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::Millis;
    use crate::domain::registry::AppKind;

    fn app() -> App {
        App {
            id: AppId::parse("gw-1").unwrap(),
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            registration: RegistrationId::parse("00000000beef").unwrap(),
            registered: Millis(0),
            name: "Gateway 1".into(),
            kind: AppKind::Gateway,
            enabled: true,
            certificate: None,
            last_seen: None,
            status: Default::default(),
        }
    }

    #[test]
    fn an_instrument_is_stored_as_before_and_read_back() {
        let serial = InstrumentSerial::parse("LR8450-1").unwrap();
        let instance = RegistrationId::parse("0000000000a1").unwrap();
        let mut instrument = Instrument::new(&app(), serial, instance);
        let item = to_item(&InstrumentItem::from(&instrument));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("APP#acme#gw-1")),
                ("sk".into(), s("INSTRUMENT#LR8450-1")),
                ("gpk".into(), s("GROUP#acme#plant")),
                ("gsk".into(), s("APP#gw-1#INSTRUMENT#LR8450-1")),
                ("account".into(), s("acme")),
                ("group".into(), s("plant")),
                ("app".into(), s("gw-1")),
                ("reg".into(), s("00000000beef")),
                ("serial".into(), s("LR8450-1")),
                ("inst".into(), s("0000000000a1")),
                ("rev".into(), n(0)),
            ])
        );
        assert_eq!(decode_instrument(item).unwrap(), instrument);

        // What `save_instrument` adds is read back too, in the types it writes.
        instrument.channels = vec![
            ChannelName::parse("Ch1").unwrap(),
            ChannelName::parse("Ch2").unwrap(),
        ];
        instrument.deselected = vec![1];
        instrument.label = Some("Boiler".into());
        instrument.note = Some("north wall".into());
        instrument.rev = 3;
        let item = to_item(&InstrumentItem::from(&instrument));
        assert_eq!(
            item["channels"],
            AttributeValue::L(vec![s("Ch1"), s("Ch2")])
        );
        assert_eq!(item["deselected"], AttributeValue::L(vec![n(1)]));
        assert_eq!(item["label"], s("Boiler"));
        assert_eq!(item["note"], s("north wall"));
        assert_eq!(item["rev"], n(3));
        assert_eq!(decode_instrument(item).unwrap(), instrument);
    }
}

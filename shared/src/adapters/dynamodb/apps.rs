//! Apps, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{
    count_down, count_up, from_item, registration, to_item, written, DynamoStore, ItemKind,
};
use super::unavailable;
use super::values::{get_s, n, parse_id, s, Item};
use crate::domain::app_status::AppStatus;
use crate::domain::ids::{AccountId, AppId, GroupId};
use crate::domain::record::Millis;
use crate::domain::registry::{App, AppKind};
use crate::ports::{Apps, Created, StoreError};

/// An app's item. `instruments` counts its instruments, by their own writes.
#[derive(Debug, Serialize, Deserialize)]
struct AppItem {
    pk: String,
    sk: String,
    // The group index's keys: written for the index, never needed to read the item.
    #[serde(skip_deserializing)]
    gpk: String,
    #[serde(skip_deserializing)]
    gsk: String,
    account: AccountId,
    group: GroupId,
    reg: String,
    #[serde(default)]
    registered: i64,
    name: String,
    enabled: bool,
    /// Absent on apps stored before there were kinds: a gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default)]
    instruments: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<String>,
    #[serde(rename = "lastSeen", skip_serializing_if = "Option::is_none")]
    last_seen: Option<i64>,
    /// Written with its revision by [`crate::ports::AppStatuses`] alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<AppStatus>,
    #[serde(rename = "statusRev", default, skip_serializing_if = "Option::is_none")]
    status_rev: Option<u64>,
}

impl ItemKind for AppItem {
    const KIND: &'static str = "app";
}

/// The item of a new app: no instruments yet.
impl From<&App> for AppItem {
    fn from(app: &App) -> Self {
        AppItem {
            pk: app_pk(&app.account, &app.id),
            sk: APP_SK.to_owned(),
            gpk: group_gpk(&app.account, &app.group),
            gsk: app_gsk(&app.id),
            account: app.account.clone(),
            group: app.group.clone(),
            reg: app.registration.to_string(),
            registered: app.registered.0,
            name: app.name.clone(),
            enabled: app.enabled,
            kind: Some(app.kind.as_str().to_owned()),
            instruments: 0,
            certificate: app.certificate.clone(),
            last_seen: app.last_seen.map(|at| at.0),
            status: (app.status != AppStatus::default()).then(|| app.status.clone()),
            status_rev: (app.status.rev > 0).then_some(app.status.rev),
        }
    }
}

impl TryFrom<AppItem> for App {
    type Error = StoreError;

    fn try_from(item: AppItem) -> Result<Self, StoreError> {
        let (_, id) = key_id(&item.pk, APP_PREFIX)?
            .split_once('#')
            .ok_or_else(|| {
                StoreError::Corrupt("app item without an APP#{account}#{app} key".into())
            })?;
        Ok(App {
            id: parse_id(AppId::parse, id)?,
            account: item.account,
            group: item.group,
            registration: registration(&item.reg)?,
            registered: Millis(item.registered),
            name: item.name,
            kind: match item.kind {
                None => AppKind::Gateway,
                Some(text) => AppKind::parse(&text)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown app kind `{text}`")))?,
            },
            enabled: item.enabled,
            certificate: item.certificate,
            last_seen: item.last_seen.map(Millis),
            status: AppStatus {
                rev: item.status_rev.unwrap_or(0),
                ..item.status.unwrap_or_default()
            },
        })
    }
}

/// An app read from its item.
pub(super) fn decode_app(item: Item) -> Result<App, StoreError> {
    from_item::<AppItem>(item)?.try_into()
}

#[async_trait]
impl Apps for DynamoStore {
    async fn app(&self, account: &AccountId, app_id: &AppId) -> Result<Option<App>, StoreError> {
        self.get(app_pk(account, app_id), APP_SK)
            .await?
            .map(decode_app)
            .transpose()
    }

    async fn register_app(&self, app: &App, limit: u32) -> Result<Created, StoreError> {
        let create = Put::builder()
            .table_name(&self.table)
            // A new app has no certificate yet and was never seen, whatever the value says.
            .set_item(Some(to_item(&AppItem {
                certificate: None,
                last_seen: None,
                status: None,
                status_rev: None,
                ..AppItem::from(app)
            })))
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
        // Off the silence sweep's list with it: a registration made again under the ID
        // starts unlisted.
        let unlist = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(WATCHED_APPS_PK))
            .key("sk", s(watched_app_sk(&app.account, &app.id)))
            .build()
            .expect("delete is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                TransactWriteItem::builder().delete(unlist).build(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::registry::RegistrationId;

    #[test]
    fn an_app_is_stored_as_before_and_read_back() {
        let mut app = App {
            id: AppId::parse("gw-1").unwrap(),
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            registration: RegistrationId::parse("00000000beef").unwrap(),
            registered: Millis(1_700_000_000_123),
            name: "Gateway 1".into(),
            kind: AppKind::DirectLogger,
            enabled: true,
            certificate: None,
            last_seen: None,
            status: AppStatus::default(),
        };
        let item = to_item(&AppItem::from(&app));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("APP#acme#gw-1")),
                ("sk".into(), s("APP")),
                ("gpk".into(), s("GROUP#acme#plant")),
                ("gsk".into(), s("APP#gw-1")),
                ("account".into(), s("acme")),
                ("group".into(), s("plant")),
                ("reg".into(), s("00000000beef")),
                ("registered".into(), n(1_700_000_000_123_i64)),
                ("name".into(), s("Gateway 1")),
                ("enabled".into(), AttributeValue::Bool(true)),
                ("kind".into(), s("direct_logger")),
                ("instruments".into(), n(0)),
            ])
        );
        assert_eq!(decode_app(item).unwrap(), app);

        // What later writes add is read back too.
        app.certificate = Some("cert-1".into());
        app.last_seen = Some(Millis(1_700_000_001_000));
        let mut item = to_item(&AppItem::from(&app));
        assert_eq!(item["certificate"], s("cert-1"));
        assert_eq!(item["lastSeen"], n(1_700_000_001_000_i64));
        assert_eq!(decode_app(item.clone()).unwrap(), app);
        item.remove("kind");
        assert_eq!(decode_app(item).unwrap().kind, AppKind::Gateway);
    }
}

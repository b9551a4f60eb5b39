//! Apps of a measurement group: list, register (with their IoT thing and certificate),
//! detail, edit, delete. Registering one counts against the plan in the same transaction
//! that creates it, so two concurrent requests cannot both take the last slot.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::app_status::AppStatus;
use crate::domain::ids::{AppId, ChannelName, GroupId, InstrumentSerial};
use crate::domain::iot_thing::Stack;
use crate::domain::presence::connected;
use crate::domain::protocol::records_topic;
use crate::domain::record::Millis;
use crate::domain::registry::{held_by, App, AppKind, Group, Instrument, RegistrationId};
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, Apps, ChunkStore, Created, DeviceCredentials, Groups, Provisioned, RecordStore,
    Things,
};

use super::caller::{app_of, plan_of};
use super::input::display_name;
use super::newest::Newest;
use super::{log, Conflict, Deleted, Refused};

/// The body of an app registration or edit.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppDraft {
    /// The app's ID. Named `thing` in the API since its first version, for the IoT thing
    /// it becomes the last part of.
    pub thing: Option<String>,
    pub name: Option<String>,
    /// `gateway` (the default) or `direct_logger`; fixed at registration.
    pub kind: Option<String>,
    pub enabled: Option<bool>,
}

/// An app as the API shows it; `last_seen` is when it was last heard from.
// (See `Newest::app_last_seen`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AppView {
    pub app: AppId,
    pub group: GroupId,
    pub name: String,
    pub kind: &'static str,
    pub enabled: bool,
    pub certificate_id: Option<String>,
    pub registered: Millis,
    pub connected: bool,
    pub last_seen: Option<Millis>,
}

impl AppView {
    pub fn of(app: &App, now: Millis, last_seen: Option<Millis>) -> Self {
        AppView {
            app: app.id.clone(),
            group: app.group.clone(),
            name: app.name.clone(),
            kind: app.kind.as_str(),
            enabled: app.enabled,
            certificate_id: app.certificate.clone(),
            registered: app.registered,
            connected: connected(last_seen, now),
            last_seen,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AppList {
    pub apps: Vec<AppView>,
}

/// A registered app with what it connects with: its credentials, shown this once, and
/// where and as whom it publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Registered {
    #[serde(flatten)]
    pub app: AppView,
    pub credentials: CredentialsView,
    pub mqtt: MqttView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CredentialsView {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub private_key: String,
}

impl From<DeviceCredentials> for CredentialsView {
    fn from(credentials: DeviceCredentials) -> Self {
        CredentialsView {
            certificate_id: credentials.certificate_id,
            certificate_pem: credentials.certificate_pem,
            private_key: credentials.private_key,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MqttView {
    pub endpoint: String,
    pub client_id: String,
    pub topic: String,
}

/// An app with its instruments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AppDetail {
    #[serde(flatten)]
    pub app: AppView,
    pub instruments: Vec<AppInstrument>,
}

/// One instrument as an app's detail lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AppInstrument {
    pub instrument: InstrumentSerial,
    pub name: String,
    pub channels: Vec<ChannelName>,
    pub last_seen: Option<Millis>,
}

pub async fn list_apps(
    store: &impl Groups,
    records: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    now: Millis,
) -> Result<AppList, Refused> {
    let (mut apps, instruments) = store.group_members(&principal.account, &group.id).await?;
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    let current = held_by(&apps, &instruments);
    let newest = Newest::last_seen(records, &current, now).await?;
    let apps = apps
        .iter()
        .map(|app| AppView::of(app, now, newest.app_last_seen(app, &current, now)))
        .collect();
    Ok(AppList { apps })
}

/// The instruments of `app`'s registration, and when each was last seen.
async fn instruments_of(
    store: &impl Groups,
    records: &(impl RecordStore + ChunkStore),
    app: &App,
    now: Millis,
) -> Result<(Vec<Instrument>, Newest), Refused> {
    let (_, instruments) = store.group_members(&app.account, &app.group).await?;
    let instruments: Vec<Instrument> = instruments.into_iter().filter(|i| app.holds(i)).collect();
    let newest = Newest::last_seen(records, &instruments, now).await?;
    Ok((instruments, newest))
}

/// Registers an app as registration `registration` (random, drawn by the caller): its
/// item in the table (counted against the plan), then its thing and certificate in IoT
/// Core. The answer carries the certificate and private key, shown this once. If IoT
/// Core fails, the entry is taken back and the slot freed.
#[allow(clippy::too_many_arguments)]
pub async fn register_app(
    store: &(impl Accounts + Apps),
    things: &impl Things,
    stack: &Stack,
    principal: &Principal,
    group: &Group,
    draft: AppDraft,
    registration: RegistrationId,
    now: Millis,
) -> Result<Registered, Refused> {
    let app_id = draft
        .thing
        .ok_or_else(|| Refused::invalid("`thing` is missing"))?;
    let app_id = AppId::parse(app_id).map_err(|e| Refused::invalid(format!("`thing`: {e}")))?;
    let kind = match draft.kind.as_deref() {
        None => AppKind::Gateway,
        Some(text) => AppKind::parse(text).ok_or_else(|| {
            Refused::invalid(format!(
                "`kind` must be gateway or direct_logger, got `{text}`"
            ))
        })?,
    };
    let app = App {
        name: display_name(draft.name, app_id.as_str())?,
        id: app_id,
        account: principal.account.clone(),
        group: group.id.clone(),
        kind,
        enabled: draft.enabled.unwrap_or(true),
        certificate: None,
        last_seen: None,
        status: AppStatus::default(),
        registration,
        registered: now,
    };
    let plan = plan_of(store, principal).await?;
    if kind == AppKind::DirectLogger && plan.limits().channels_per_direct_logger.is_none() {
        return Err(Refused::not_allowed(format!(
            "plan {plan} has no direct-connected loggers; they come with free, standard and pro"
        )));
    }
    // Asked before anything is made: failing after provisioning would lose the key.
    let endpoint = things.endpoint().await.map_err(|error| {
        log::no_endpoint(&error);
        Refused::Unavailable(
            "IoT Core did not say where apps connect; nothing was registered, try again".into(),
        )
    })?;
    let limit = plan.limits().apps;
    match store.register_app(&app, limit).await? {
        Created::Created => {}
        // App IDs are the account's own namespace: this says nothing of other accounts.
        Created::Exists => {
            return Err(Refused::conflict(
                Conflict::Exists,
                format!(
                    "the account has an app `{}` already; choose another thing name",
                    app.id
                ),
            ))
        }
        Created::LimitReached => {
            return Err(Refused::limit_reached(
                plan,
                limit,
                "registered apps",
                &format!("the account has {limit}"),
            ))
        }
    }
    let iot_thing = stack.thing(&app.account, &app.id);
    let credentials = match things.provision(&iot_thing, app.registration).await {
        Ok(Provisioned::Created(credentials)) => credentials,
        Ok(Provisioned::Exists) => {
            // Not this request's thing: it stays exactly as it is.
            store.delete_app(&app).await?;
            return Err(Refused::conflict(
                Conflict::ThingExists,
                format!(
                    "IoT Core has a thing `{iot_thing}` already, which this stack did not make for this registration; remove it there or choose another thing name"
                ),
            ));
        }
        Err(error) => {
            // Provisioning removed what it made itself; only the entry is left to undo.
            store.delete_app(&app).await?;
            return Err(error.into());
        }
    };
    let certificate = credentials.certificate_id.clone();
    let recorded = async {
        if !store.set_certificate(&app, &certificate).await? {
            return Err(Refused::not_found(format!("app `{}` not found", app.id)));
        }
        if !app.enabled {
            things.set_active(&certificate, false).await?;
        }
        Ok(())
    }
    .await;
    if let Err(error) = recorded {
        // The key is lost with this answer: nothing of the registration may outlive it.
        // The thing and certificate were made by this request, so they are ours to remove.
        let _ = things.deprovision(&iot_thing, Some(&certificate)).await;
        store.delete_app(&app).await?;
        return Err(error);
    }
    let app = App {
        certificate: Some(certificate),
        ..app
    };
    Ok(Registered {
        app: AppView::of(&app, now, app.last_seen),
        credentials: credentials.into(),
        mqtt: MqttView {
            endpoint,
            client_id: iot_thing.as_str().to_owned(),
            topic: records_topic(&iot_thing),
        },
    })
}

pub async fn app_detail(
    store: &(impl Groups + Apps),
    records: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    now: Millis,
) -> Result<AppDetail, Refused> {
    let app = app_of(store, principal, group, app_id).await?;
    let (instruments, newest) = instruments_of(store, records, &app, now).await?;
    let listed = instruments
        .iter()
        .map(|i| AppInstrument {
            instrument: i.serial.clone(),
            name: i.label.as_deref().unwrap_or(i.serial.as_str()).to_owned(),
            channels: i.channels.clone(),
            last_seen: newest.of(i).last_seen,
        })
        .collect();
    Ok(AppDetail {
        app: AppView::of(&app, now, newest.app_last_seen(&app, &instruments, now)),
        instruments: listed,
    })
}

/// Renames, disables or enables an app. Disabling also deactivates its certificate, so the
/// app cannot even connect (ingest refuses a disabled app's messages besides).
#[allow(clippy::too_many_arguments)]
pub async fn update_app(
    store: &(impl Groups + Apps),
    records: &(impl RecordStore + ChunkStore),
    things: &impl Things,
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    draft: AppDraft,
    now: Millis,
) -> Result<AppView, Refused> {
    if draft.thing.is_some() || draft.kind.is_some() {
        return Err(Refused::invalid(
            "an app's `thing` name and `kind` cannot change",
        ));
    }
    let mut app = app_of(store, principal, group, app_id).await?;
    app.name = display_name(draft.name, &app.name)?;
    app.enabled = draft.enabled.unwrap_or(app.enabled);
    if !store.update_app(&app).await? {
        return Err(Refused::not_found(format!("app `{app_id}` not found")));
    }
    if let Some(certificate) = &app.certificate {
        things.set_active(certificate, app.enabled).await?;
    }
    // The change is made: a failure to read when the app was last seen leaves it out.
    let last_seen = match instruments_of(store, records, &app, now).await {
        Ok((instruments, newest)) => newest.app_last_seen(&app, &instruments, now),
        Err(error) => {
            log::left_out("last seen", &error);
            app.last_seen
        }
    };
    Ok(AppView::of(&app, now, last_seen))
}

/// Deletes an app with its instruments, and its thing and certificate in IoT Core —
/// those first: a retry after a failure there still finds the app to finish with.
pub async fn delete_app(
    store: &impl Apps,
    things: &impl Things,
    stack: &Stack,
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
) -> Result<Deleted<AppId>, Refused> {
    let app = app_of(store, principal, group, app_id).await?;
    things
        .deprovision(
            &stack.thing(&app.account, &app.id),
            app.certificate.as_deref(),
        )
        .await?;
    if !store.delete_app(&app).await? {
        return Err(Refused::not_found(format!("app `{app_id}` not found")));
    }
    Ok(Deleted { deleted: app.id })
}

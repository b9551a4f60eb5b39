//! Measurement groups and apps of the principal's account: list, create, detail, edit,
//! delete. Creating either counts against the plan (SPEC.md 3) in the same transaction
//! that creates it, so two concurrent requests cannot both take the last slot.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use fieldcloud::domain::access::GroupRole;
use fieldcloud::domain::ids::{AppId, GroupId, InstrumentSerial};
use fieldcloud::domain::iot_thing::Stack;
use fieldcloud::domain::latest::InstrumentLatest;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::presence::connected;
use fieldcloud::domain::protocol::records_topic;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::{App, AppKind, Group, Instrument, RegistrationId};
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Created, Identity, Provisioned, RecordStore, Registry, Saved, Things};

use crate::access;
use crate::caller::plan_of;
use crate::error::ApiError;
use crate::input::{display_name, present};
use crate::newest::{or_without, Newest};

/// The body of a group create or rename.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDraft {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// The body of an app registration or edit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppDraft {
    pub thing: Option<String>,
    pub name: Option<String>,
    /// `gateway` (the default) or `direct_logger`; fixed at registration.
    pub kind: Option<String>,
    pub enabled: Option<bool>,
}

/// A group as its viewer sees it: with `access`, the viewer's role in it.
fn group_json(group: &Group, access: GroupRole) -> Json {
    json!({ "id": group.id, "name": group.name, "access": access })
}

/// An app as the API shows it; `last_seen` is when it was last heard from (see
/// [`Newest::app_last_seen`]).
fn app_json(app: &App, now: Millis, last_seen: Option<Millis>) -> Json {
    json!({
        "app": app.id,
        "group": app.group,
        "name": app.name,
        "kind": app.kind.as_str(),
        "enabled": app.enabled,
        "certificate_id": app.certificate,
        "registered": app.registered,
        "connected": connected(last_seen, now),
        "last_seen": last_seen,
    })
}

/// The groups the principal may see.
pub async fn list_groups(
    store: &(impl Registry + Identity),
    principal: &Principal,
) -> Result<Json, ApiError> {
    let mut groups = store.groups(&principal.account).await?;
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    let roles = access::roles_in(store, principal, &groups).await?;
    let visible: Vec<Json> = groups
        .iter()
        .zip(roles)
        .filter_map(|(group, role)| Some(group_json(group, role?)))
        .collect();
    Ok(json!({ "groups": visible }))
}

pub async fn create_group(
    registry: &impl Registry,
    principal: &Principal,
    draft: GroupDraft,
) -> Result<Json, ApiError> {
    let id = draft
        .id
        .ok_or_else(|| ApiError::bad_request("`id` is missing"))?;
    let id = GroupId::parse(id).map_err(|e| ApiError::bad_request(format!("`id`: {e}")))?;
    let group = Group {
        account: principal.account.clone(),
        name: display_name(draft.name, id.as_str())?,
        id,
        grants: Vec::new(),
    };
    let plan = plan_of(registry, principal).await?;
    let limit = plan.limits().groups;
    match registry.create_group(&group, limit).await? {
        Created::Created => Ok(group_json(&group, GroupRole::Editor)),
        Created::Exists => Err(ApiError::conflict(
            "exists",
            format!("the account has a measurement group `{}` already", group.id),
        )),
        Created::LimitReached => Err(ApiError::conflict(
            "limit_reached",
            format!("plan {plan} allows {limit} measurement groups; the account has {limit}"),
        )),
    }
}

/// A group and the caller's role in it, as the router resolved them.
pub fn group_detail(group: &Group, role: GroupRole) -> Json {
    group_json(group, role)
}

pub async fn rename_group(
    registry: &impl Registry,
    group: &Group,
    draft: GroupDraft,
) -> Result<Json, ApiError> {
    if draft.id.is_some() {
        return Err(ApiError::bad_request("a group's `id` cannot change"));
    }
    let mut group = group.clone();
    group.name = display_name(draft.name, &group.name)?;
    if !registry.rename_group(&group).await? {
        return Err(ApiError::not_found(format!(
            "measurement group `{}` not found",
            group.id
        )));
    }
    Ok(group_json(&group, GroupRole::Editor))
}

pub async fn delete_group(
    registry: &impl Registry,
    principal: &Principal,
    group: &Group,
) -> Result<Json, ApiError> {
    if !registry.delete_group(&principal.account, &group.id).await? {
        return Err(ApiError::conflict(
            "not_empty",
            format!(
                "measurement group `{}` still has apps or calculated channels; delete them first",
                group.id
            ),
        ));
    }
    Ok(json!({ "deleted": group.id }))
}

pub async fn list_apps(
    registry: &impl Registry,
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    now: Millis,
) -> Result<Json, ApiError> {
    let (mut apps, instruments) = registry
        .group_members(&principal.account, &group.id)
        .await?;
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    let current: Vec<Instrument> = instruments
        .into_iter()
        .filter(|i| {
            apps.iter()
                .any(|a| a.id == i.app && a.registration == i.registration)
        })
        .collect();
    let newest = Newest::last_seen(records, &current).await?;
    let apps: Vec<Json> = apps
        .iter()
        .map(|app| app_json(app, now, newest.app_last_seen(app, &current, now)))
        .collect();
    Ok(json!({ "apps": apps }))
}

/// The instruments of `app`'s registration, and when each was last seen.
async fn instruments_of(
    registry: &impl Registry,
    records: &impl RecordStore,
    app: &App,
) -> Result<(Vec<Instrument>, Newest), ApiError> {
    let (_, instruments) = registry.group_members(&app.account, &app.group).await?;
    let instruments: Vec<Instrument> = instruments
        .into_iter()
        .filter(|i| i.app == app.id && i.registration == app.registration)
        .collect();
    let newest = Newest::last_seen(records, &instruments).await?;
    Ok((instruments, newest))
}

/// Registers an app: its registry entry (counted against the plan), then its thing and
/// certificate in IoT Core. The answer carries the certificate and private key, shown
/// this once. If IoT Core fails, the entry is taken back and the slot freed.
pub async fn register_app(
    registry: &impl Registry,
    things: &impl Things,
    stack: &Stack,
    principal: &Principal,
    group: &Group,
    draft: AppDraft,
    now: Millis,
) -> Result<Json, ApiError> {
    let thing = draft
        .thing
        .ok_or_else(|| ApiError::bad_request("`thing` is missing"))?;
    let thing = AppId::parse(thing).map_err(|e| ApiError::bad_request(format!("`thing`: {e}")))?;
    let kind = match draft.kind.as_deref() {
        None => AppKind::Gateway,
        Some(text) => AppKind::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "`kind` must be gateway or direct_logger, got `{text}`"
            ))
        })?,
    };
    let app = App {
        name: display_name(draft.name, thing.as_str())?,
        id: thing,
        account: principal.account.clone(),
        group: group.id.clone(),
        kind,
        enabled: draft.enabled.unwrap_or(true),
        certificate: None,
        last_seen: None,
        registration: RegistrationId::from_random(rand::random()),
        registered: now,
    };
    let plan = plan_of(registry, principal).await?;
    if kind == AppKind::DirectLogger && plan.limits().channels_per_direct_logger.is_none() {
        return Err(ApiError::forbidden(format!(
            "plan {plan} has no direct-connected loggers; they come with free, standard and pro"
        )));
    }
    // Asked before anything is made: failing after provisioning would lose the key.
    let endpoint = things.endpoint().await.map_err(|error| {
        tracing::error!(%error, "no IoT data endpoint");
        ApiError::unavailable(
            "IoT Core did not say where apps connect; nothing was registered, try again",
        )
    })?;
    let limit = plan.limits().apps;
    match registry.register_app(&app, limit).await? {
        Created::Created => {}
        // App IDs are the account's own namespace: this says nothing of other accounts.
        Created::Exists => {
            return Err(ApiError::conflict(
                "exists",
                format!(
                    "the account has an app `{}` already; choose another thing name",
                    app.id
                ),
            ))
        }
        Created::LimitReached => {
            return Err(ApiError::conflict(
                "limit_reached",
                format!("plan {plan} allows {limit} registered apps; the account has {limit}"),
            ))
        }
    }
    let iot_thing = stack.thing(&app.account, &app.id);
    let credentials = match things.provision(&iot_thing, app.registration).await {
        Ok(Provisioned::Created(credentials)) => credentials,
        Ok(Provisioned::Exists) => {
            // Not this request's thing: it stays exactly as it is.
            registry.delete_app(&app).await?;
            return Err(ApiError::conflict(
                "thing_exists",
                format!(
                    "IoT Core has a thing `{iot_thing}` already, which this stack did not make for this registration; remove it there or choose another thing name"
                ),
            ));
        }
        Err(error) => {
            // Provisioning removed what it made itself; only the entry is left to undo.
            registry.delete_app(&app).await?;
            return Err(error.into());
        }
    };
    let certificate = credentials.certificate_id.clone();
    let recorded = async {
        if !registry.set_certificate(&app, &certificate).await? {
            return Err(ApiError::not_found(format!("app `{}` not found", app.id)));
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
        registry.delete_app(&app).await?;
        return Err(error);
    }
    let app = App {
        certificate: Some(certificate),
        ..app
    };
    let mut body = app_json(&app, now, app.last_seen);
    body["credentials"] = json!({
        "certificate_id": credentials.certificate_id,
        "certificate_pem": credentials.certificate_pem,
        "private_key": credentials.private_key,
    });
    body["mqtt"] = json!({
        "endpoint": endpoint,
        "client_id": iot_thing.as_str(),
        "topic": records_topic(&iot_thing),
    });
    Ok(body)
}

/// The app `thing` of the principal's group `group`; anything else is not found.
async fn app_of(
    registry: &impl Registry,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
) -> Result<App, ApiError> {
    registry
        .app(&principal.account, thing)
        .await?
        .filter(|app| app.account == principal.account && app.group == group.id)
        .ok_or_else(|| {
            ApiError::not_found(format!("app `{thing}` not found in group `{}`", group.id))
        })
}

pub async fn app_detail(
    registry: &impl Registry,
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
    now: Millis,
) -> Result<Json, ApiError> {
    let app = app_of(registry, principal, group, thing).await?;
    let (instruments, newest) = instruments_of(registry, records, &app).await?;
    let listed: Vec<Json> = instruments
        .iter()
        .map(|i| {
            json!({
                "instrument": i.serial,
                "name": i.label.as_deref().unwrap_or(i.serial.as_str()),
                "channels": i.channels,
                "last_seen": newest.of(i).last_seen,
            })
        })
        .collect();
    let mut body = app_json(&app, now, newest.app_last_seen(&app, &instruments, now));
    body["instruments"] = json!(listed);
    Ok(body)
}

/// Renames, disables or enables an app. Disabling also deactivates its certificate, so the
/// app cannot even connect (ingest refuses a disabled app's messages besides).
#[allow(clippy::too_many_arguments)]
pub async fn update_app(
    registry: &impl Registry,
    records: &impl RecordStore,
    things: &impl Things,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
    draft: AppDraft,
    now: Millis,
) -> Result<Json, ApiError> {
    if draft.thing.is_some() || draft.kind.is_some() {
        return Err(ApiError::bad_request(
            "an app's `thing` name and `kind` cannot change",
        ));
    }
    let mut app = app_of(registry, principal, group, thing).await?;
    app.name = display_name(draft.name, &app.name)?;
    app.enabled = draft.enabled.unwrap_or(app.enabled);
    if !registry.update_app(&app).await? {
        return Err(ApiError::not_found(format!("app `{thing}` not found")));
    }
    if let Some(certificate) = &app.certificate {
        things.set_active(certificate, app.enabled).await?;
    }
    // The change is made: a failure to read when the app was last seen leaves it out.
    let last_seen = match instruments_of(registry, records, &app).await {
        Ok((instruments, newest)) => newest.app_last_seen(&app, &instruments, now),
        Err(error) => {
            tracing::warn!(error = ?error, "last seen left out of an answer");
            app.last_seen
        }
    };
    Ok(app_json(&app, now, last_seen))
}

/// Deletes an app with its instruments, and its thing and certificate in IoT Core —
/// those first: a retry after a failure there still finds the app to finish with.
pub async fn delete_app(
    registry: &impl Registry,
    things: &impl Things,
    stack: &Stack,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
) -> Result<Json, ApiError> {
    let app = app_of(registry, principal, group, thing).await?;
    things
        .deprovision(
            &stack.thing(&app.account, &app.id),
            app.certificate.as_deref(),
        )
        .await?;
    if !registry.delete_app(&app).await? {
        return Err(ApiError::not_found(format!("app `{thing}` not found")));
    }
    Ok(json!({ "deleted": app.id }))
}

/// The body of an instrument edit; what is left out stays as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentDraft {
    /// The channels to store from now on.
    pub acquire: Option<Vec<String>>,
    /// The name people see; `null` goes back to the serial.
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    /// Free text, up to 1000 characters; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub note: Option<Option<String>>,
}

/// The longest instrument note accepted, in characters.
const MAX_NOTE_CHARS: usize = 1000;

async fn instrument_of(
    registry: &impl Registry,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
    serial: &InstrumentSerial,
) -> Result<(App, Instrument), ApiError> {
    let app = app_of(registry, principal, group, thing).await?;
    let instrument = registry
        .instrument(&app.account, &app.id, serial)
        .await?
        .filter(|i| {
            i.account == principal.account
                && i.group == app.group
                && i.registration == app.registration
        })
        .ok_or_else(|| {
            ApiError::not_found(format!("instrument `{serial}` not found on app `{thing}`"))
        })?;
    Ok((app, instrument))
}

fn instrument_json(instrument: &Instrument, latest: &InstrumentLatest) -> Json {
    let channels: Vec<Json> = instrument
        .channels
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let latest = latest.value_of(index as u32);
            json!({
                "channel": name,
                "acquired": instrument.is_acquired(index as u32),
                "latest": latest.map(|l| json!({ "t": l.t, "value": l.value })),
            })
        })
        .collect();
    json!({
        "app": instrument.app,
        "instrument": instrument.serial,
        "name": instrument.label.as_deref().unwrap_or(instrument.serial.as_str()),
        "note": instrument.note,
        "last_seen": latest.last_seen,
        "channels": channels,
    })
}

pub async fn instrument_detail(
    registry: &impl Registry,
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
    serial: &InstrumentSerial,
) -> Result<Json, ApiError> {
    let (_, instrument) = instrument_of(registry, principal, group, thing, serial).await?;
    let newest = Newest::latest(records, [&instrument]).await?;
    Ok(instrument_json(&instrument, &newest.of(&instrument)))
}

/// Edits an instrument: its name and note, and which of its channels are stored from now
/// on, within the plan's channel limit (channels are those the instrument has sent;
/// history stays as it is).
pub async fn update_instrument(
    registry: &impl Registry,
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
    serial: &InstrumentSerial,
    draft: InstrumentDraft,
) -> Result<Json, ApiError> {
    let (app, mut instrument) = instrument_of(registry, principal, group, thing, serial).await?;
    if let Some(name) = draft.name {
        instrument.label = name.map(|name| display_name(Some(name), "")).transpose()?;
    }
    if let Some(note) = draft.note {
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(ApiError::bad_request(format!(
                "`note` is longer than {MAX_NOTE_CHARS} characters"
            )));
        }
        instrument.note = note;
    }
    if let Some(acquire) = &draft.acquire {
        let plan = plan_of(registry, principal).await?;
        choose_acquired(&mut instrument, &app, plan, acquire)?;
    }
    match registry.save_instrument(&instrument).await? {
        Saved::Written => {
            let newest = or_without(Newest::latest(records, [&instrument]).await);
            Ok(instrument_json(&instrument, &newest.of(&instrument)))
        }
        Saved::Conflict => Err(ApiError::conflict(
            "changed_meanwhile",
            format!(
                "instrument `{serial}` changed meanwhile (new data or another edit); try again"
            ),
        )),
    }
}

/// Marks every channel but those in `acquire` as deselected, within the plan's limit.
fn choose_acquired(
    instrument: &mut Instrument,
    app: &App,
    plan: Plan,
    acquire: &[String],
) -> Result<(), ApiError> {
    let mut wanted = Vec::with_capacity(acquire.len());
    let mut unknown = Vec::new();
    for name in acquire {
        match instrument.channels.iter().position(|c| c.as_str() == name) {
            Some(index) => wanted.push(index as u32),
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(format!(
            "the instrument has not sent channels {}; it has {}",
            unknown.join(", "),
            instrument
                .channels
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    wanted.sort_unstable();
    wanted.dedup();
    let limit = app.kind.limits(&plan.limits()).channels_per_instrument as usize;
    if wanted.len() > limit {
        return Err(ApiError::conflict(
            "limit_reached",
            format!(
                "plan {plan} allows {limit} acquired channels per {}; {} were chosen",
                match app.kind {
                    AppKind::Gateway => "instrument",
                    AppKind::DirectLogger => "direct-connected logger",
                },
                wanted.len()
            ),
        ));
    }
    instrument.deselected = (0..instrument.channels.len() as u32)
        .filter(|i| wanted.binary_search(i).is_err())
        .collect();
    Ok(())
}

pub async fn delete_instrument(
    registry: &impl Registry,
    principal: &Principal,
    group: &Group,
    thing: &AppId,
    serial: &InstrumentSerial,
) -> Result<Json, ApiError> {
    let (_, instrument) = instrument_of(registry, principal, group, thing, serial).await?;
    if !registry.delete_instrument(&instrument).await? {
        return Err(ApiError::not_found(format!(
            "instrument `{serial}` not found"
        )));
    }
    Ok(json!({ "deleted": serial }))
}

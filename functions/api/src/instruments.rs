//! An app's instruments: detail, edit (name, note, the channels acquired), delete.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use fieldcloud::domain::ids::{AppId, InstrumentSerial};
use fieldcloud::domain::latest::InstrumentLatest;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::registry::{App, AppKind, Group, Instrument};
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Accounts, Apps, Instruments, RecordStore, Saved};

use crate::error::ApiError;
use crate::input::present;
use crate::newest::{or_without, Newest};
use fieldcloud::usecases::caller::{app_of, plan_of};
use fieldcloud::usecases::input::display_name;

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
    registry: &(impl Apps + Instruments),
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
) -> Result<(App, Instrument), ApiError> {
    let app = app_of(registry, principal, group, app_id).await?;
    let instrument = registry
        .instrument(&app.account, &app.id, serial)
        .await?
        .filter(|i| app.holds(i))
        .ok_or_else(|| {
            ApiError::not_found(format!("instrument `{serial}` not found on app `{app_id}`"))
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
    registry: &(impl Apps + Instruments),
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
) -> Result<Json, ApiError> {
    let (_, instrument) = instrument_of(registry, principal, group, app_id, serial).await?;
    let newest = Newest::latest(records, [&instrument]).await?;
    Ok(instrument_json(&instrument, &newest.of(&instrument)))
}

/// Edits an instrument: its name and note, and which of its channels are stored from now
/// on, within the plan's channel limit (channels are those the instrument has sent;
/// history stays as it is).
pub async fn update_instrument(
    registry: &(impl Accounts + Apps + Instruments),
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
    draft: InstrumentDraft,
) -> Result<Json, ApiError> {
    let (app, mut instrument) = instrument_of(registry, principal, group, app_id, serial).await?;
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
    registry: &(impl Apps + Instruments),
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
) -> Result<Json, ApiError> {
    let (_, instrument) = instrument_of(registry, principal, group, app_id, serial).await?;
    if !registry.delete_instrument(&instrument).await? {
        return Err(ApiError::not_found(format!(
            "instrument `{serial}` not found"
        )));
    }
    Ok(json!({ "deleted": serial }))
}

//! An app's instruments: detail, edit (name, note, the channels acquired), delete.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::ids::{AppId, ChannelName, InstrumentSerial};
use crate::domain::latest::InstrumentLatest;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::{App, AppKind, Group, Instrument};
use crate::domain::token::Principal;
use crate::ports::{Accounts, Apps, ChunkStore, Instruments, RecordStore, Saved};

use super::caller::{app_of, plan_of};
use super::input::{display_name, present};
use super::newest::{or_without, Newest, Reading};
use super::{Conflict, Deleted, Refused};

/// The body of an instrument edit; what is left out stays as it is.
#[derive(Debug, Deserialize, JsonSchema)]
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

/// An instrument with each of its channels: acquired or not, and its latest value.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct InstrumentView {
    pub app: AppId,
    pub instrument: InstrumentSerial,
    pub name: String,
    pub note: Option<String>,
    pub last_seen: Option<Millis>,
    pub channels: Vec<ChannelView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChannelView {
    pub channel: ChannelName,
    pub acquired: bool,
    pub latest: Option<Reading>,
}

impl InstrumentView {
    pub fn of(instrument: &Instrument, latest: &InstrumentLatest) -> Self {
        let channels = instrument
            .channels
            .iter()
            .enumerate()
            .map(|(index, name)| ChannelView {
                channel: name.clone(),
                acquired: instrument.is_acquired(index as u32),
                latest: latest.value_of(index as u32).map(|l| Reading {
                    t: l.t,
                    value: l.value,
                }),
            })
            .collect();
        InstrumentView {
            app: instrument.app.clone(),
            instrument: instrument.serial.clone(),
            name: instrument
                .label
                .as_deref()
                .unwrap_or(instrument.serial.as_str())
                .to_owned(),
            note: instrument.note.clone(),
            last_seen: latest.last_seen,
            channels,
        }
    }
}

async fn instrument_of(
    store: &(impl Apps + Instruments),
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
) -> Result<(App, Instrument), Refused> {
    let app = app_of(store, principal, group, app_id).await?;
    let instrument = store
        .instrument(&app.account, &app.id, serial)
        .await?
        .filter(|i| app.holds(i))
        .ok_or_else(|| {
            Refused::not_found(format!("instrument `{serial}` not found on app `{app_id}`"))
        })?;
    Ok((app, instrument))
}

pub async fn instrument_detail(
    store: &(impl Apps + Instruments),
    records: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
    now: Millis,
) -> Result<InstrumentView, Refused> {
    let (_, instrument) = instrument_of(store, principal, group, app_id, serial).await?;
    let newest = Newest::latest(records, [&instrument], now).await?;
    Ok(InstrumentView::of(&instrument, &newest.of(&instrument)))
}

/// Edits an instrument: its name and note, and which of its channels are stored from now
/// on, within the plan's channel limit (channels are those the instrument has sent;
/// history stays as it is).
#[allow(clippy::too_many_arguments)]
pub async fn update_instrument(
    store: &(impl Accounts + Apps + Instruments),
    records: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
    draft: InstrumentDraft,
    now: Millis,
) -> Result<InstrumentView, Refused> {
    let (app, mut instrument) = instrument_of(store, principal, group, app_id, serial).await?;
    if let Some(name) = draft.name {
        instrument.label = name.map(|name| display_name(Some(name), "")).transpose()?;
    }
    if let Some(note) = draft.note {
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(Refused::invalid(format!(
                "`note` is longer than {MAX_NOTE_CHARS} characters"
            )));
        }
        instrument.note = note;
    }
    if let Some(acquire) = &draft.acquire {
        let plan = plan_of(store, principal).await?;
        choose_acquired(&mut instrument, &app, plan, acquire)?;
    }
    match store.save_instrument(&instrument).await? {
        Saved::Written => {
            let newest = or_without(Newest::latest(records, [&instrument], now).await);
            Ok(InstrumentView::of(&instrument, &newest.of(&instrument)))
        }
        Saved::Conflict => Err(Refused::conflict(
            Conflict::ChangedMeanwhile,
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
) -> Result<(), Refused> {
    let mut wanted = Vec::with_capacity(acquire.len());
    let mut unknown = Vec::new();
    for name in acquire {
        match instrument.channels.iter().position(|c| c.as_str() == name) {
            Some(index) => wanted.push(index as u32),
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(Refused::invalid(format!(
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
    let limit = app.kind.limits(&plan.limits()).channels_per_instrument;
    if wanted.len() > limit as usize {
        let per = match app.kind {
            AppKind::Gateway => "instrument",
            AppKind::DirectLogger => "direct-connected logger",
        };
        return Err(Refused::limit_reached(
            plan,
            limit,
            &format!("acquired channels per {per}"),
            &format!("{} were chosen", wanted.len()),
        ));
    }
    instrument.deselected = (0..instrument.channels.len() as u32)
        .filter(|i| wanted.binary_search(i).is_err())
        .collect();
    Ok(())
}

pub async fn delete_instrument(
    store: &(impl Apps + Instruments),
    principal: &Principal,
    group: &Group,
    app_id: &AppId,
    serial: &InstrumentSerial,
) -> Result<Deleted<InstrumentSerial>, Refused> {
    let (_, instrument) = instrument_of(store, principal, group, app_id, serial).await?;
    if !store.delete_instrument(&instrument).await? {
        return Err(Refused::not_found(format!(
            "instrument `{serial}` not found"
        )));
    }
    Ok(Deleted {
        deleted: serial.clone(),
    })
}

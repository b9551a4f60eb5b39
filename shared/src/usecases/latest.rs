//! The monitoring view of a measurement group: every app with its connection state,
//! every instrument with its latest channel values, and the group's calculated channels
//! with theirs.

use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::ids::{AppId, ChannelName, GroupId, InstrumentSerial};
use crate::domain::presence::connected;
use crate::domain::record::{Millis, Value};
use crate::domain::registry::{held_by, Group};
use crate::domain::token::Principal;
use crate::ports::{CalculatedChannels, ChunkStore, Groups, RecordStore};

use super::calculated::CalculatedView;
use super::newest::{calculated_latest, Newest};
use super::Refused;

/// A group as monitored at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct GroupLatest {
    pub group: GroupId,
    pub name: String,
    pub now: Millis,
    pub apps: Vec<AppLatest>,
    pub calculated: Vec<CalculatedView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AppLatest {
    pub app: AppId,
    pub name: String,
    pub enabled: bool,
    pub connected: bool,
    pub last_seen: Option<Millis>,
    pub instruments: Vec<InstrumentLatestView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct InstrumentLatestView {
    pub instrument: InstrumentSerial,
    pub last_seen: Option<Millis>,
    pub channels: Vec<ChannelLatest>,
}

/// A channel's latest value.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChannelLatest {
    pub channel: ChannelName,
    pub t: Millis,
    pub value: Value,
}

pub async fn latest(
    store: &(impl Groups + CalculatedChannels),
    records: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    now: Millis,
) -> Result<GroupLatest, Refused> {
    let (mut apps, all_instruments) = store.group_members(&principal.account, &group.id).await?;
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    let mut instruments = held_by(&apps, &all_instruments);
    instruments.sort_by(|a, b| a.serial.cmp(&b.serial));
    let newest = Newest::latest(records, &instruments, now).await?;
    let apps = apps
        .iter()
        .map(|app| {
            let listed = instruments
                .iter()
                .filter(|i| app.holds(i))
                .map(|instrument| {
                    let latest = newest.of(instrument);
                    let channels = latest
                        .values
                        .iter()
                        .filter_map(|latest| {
                            let name = instrument.channels.get(latest.channel as usize)?;
                            Some(ChannelLatest {
                                channel: name.clone(),
                                t: latest.t,
                                value: latest.value,
                            })
                        })
                        .collect();
                    InstrumentLatestView {
                        instrument: instrument.serial.clone(),
                        last_seen: latest.last_seen,
                        channels,
                    }
                })
                .collect();
            let last_seen = newest.app_last_seen(app, &instruments, now);
            AppLatest {
                app: app.id.clone(),
                name: app.name.clone(),
                enabled: app.enabled,
                connected: connected(last_seen, now),
                last_seen,
                instruments: listed,
            }
        })
        .collect();
    let mut calculated = store
        .calculated_channels(&principal.account, &group.id)
        .await?;
    calculated.sort_by(|a, b| a.name.cmp(&b.name));
    let latest = calculated_latest(records, &calculated, now).await?;
    let calculated = calculated
        .iter()
        .zip(latest)
        .map(|(c, latest)| CalculatedView::of(c, &all_instruments, latest))
        .collect();
    Ok(GroupLatest {
        group: group.id.clone(),
        name: group.name.clone(),
        now,
        apps,
        calculated,
    })
}

//! `GET /v1/groups/{group}/latest`: the monitoring view — every app of a measurement
//! group with its connection state, every instrument with its latest channel values, and
//! the group's calculated channels with theirs.

use serde_json::{json, Value as Json};

use fieldcloud::domain::presence::connected;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::{held_by, Group};
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{CalculatedChannels, Groups, RecordStore};

use crate::error::ApiError;
use crate::newest::{calculated_latest, Newest};

pub async fn latest(
    registry: &(impl Groups + CalculatedChannels),
    records: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    now: Millis,
) -> Result<Json, ApiError> {
    let (mut apps, all_instruments) = registry
        .group_members(&principal.account, &group.id)
        .await?;
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    let mut instruments = held_by(&apps, &all_instruments);
    instruments.sort_by(|a, b| a.serial.cmp(&b.serial));
    let newest = Newest::latest(records, &instruments).await?;
    let apps: Vec<Json> = apps
        .iter()
        .map(|app| {
            let listed: Vec<Json> = instruments
                .iter()
                .filter(|i| app.holds(i))
                .map(|instrument| {
                    let latest = newest.of(instrument);
                    let channels: Vec<Json> = latest
                        .values
                        .iter()
                        .filter_map(|latest| {
                            let name = instrument.channels.get(latest.channel as usize)?;
                            Some(json!({ "channel": name, "t": latest.t, "value": latest.value }))
                        })
                        .collect();
                    json!({
                        "instrument": instrument.serial,
                        "last_seen": latest.last_seen,
                        "channels": channels,
                    })
                })
                .collect();
            let last_seen = newest.app_last_seen(app, &instruments, now);
            json!({
                "app": app.id,
                "name": app.name,
                "enabled": app.enabled,
                "connected": connected(last_seen, now),
                "last_seen": last_seen,
                "instruments": listed,
            })
        })
        .collect();
    let mut calculated = registry
        .calculated_channels(&principal.account, &group.id)
        .await?;
    calculated.sort_by(|a, b| a.name.cmp(&b.name));
    let latest = calculated_latest(records, &calculated).await?;
    let calculated: Vec<Json> = calculated
        .iter()
        .zip(latest)
        .map(|(c, latest)| crate::calculated::to_json(c, &all_instruments, latest))
        .collect();
    Ok(json!({
        "group": group.id,
        "name": group.name,
        "now": now,
        "apps": apps,
        "calculated": calculated,
    }))
}

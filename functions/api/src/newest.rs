//! What the newest stored records say — the latest values of instruments and calculated
//! channels, and when each instrument was last seen — read for many at once (the rules
//! are in `fieldcloud::domain::latest`).

use std::collections::HashMap;

use futures_util::future::try_join_all;

use fieldcloud::domain::calculated::CalculatedChannel;
use fieldcloud::domain::codec::decode_values;
use fieldcloud::domain::latest::{app_last_seen, InstrumentLatest, LATEST_LOOKBACK, LATEST_SEARCH};
use fieldcloud::domain::record::{Millis, Value};
use fieldcloud::domain::registry::{App, Instrument, InstrumentKey};
use fieldcloud::ports::{RecordStore, StoreError, StoredRecord};

use crate::error::ApiError;

/// Queries in flight at once: a group's instruments are read together, without holding
/// a connection per instrument.
const CONCURRENT_READS: usize = 16;

/// The latest values of some instruments, by instrument key.
#[derive(Default)]
pub struct Newest(HashMap<InstrumentKey, InstrumentLatest>);

impl Newest {
    /// Reads the newest records of each of `instruments`: one Query of
    /// [`LATEST_LOOKBACK`] items each (a second of [`LATEST_SEARCH`] where a channel is
    /// missing from them), [`CONCURRENT_READS`] instruments at a time.
    pub async fn read<'a>(
        records: &impl RecordStore,
        instruments: impl IntoIterator<Item = &'a Instrument>,
    ) -> Result<Newest, ApiError> {
        let instruments: Vec<&Instrument> = instruments.into_iter().collect();
        let mut latest = HashMap::with_capacity(instruments.len());
        for chunk in instruments.chunks(CONCURRENT_READS) {
            let read = try_join_all(chunk.iter().map(|i| read_one(records, i))).await?;
            latest.extend(read);
        }
        Ok(Newest(latest))
    }

    /// The latest values of `instrument` (none if it was not read or has no records).
    pub fn of(&self, instrument: &Instrument) -> InstrumentLatest {
        self.0.get(&instrument.key()).cloned().unwrap_or_default()
    }

    /// When `app` was last heard from, given its instruments among `instruments`.
    pub fn app_last_seen(
        &self,
        app: &App,
        instruments: &[Instrument],
        now: Millis,
    ) -> Option<Millis> {
        let records_seen = instruments
            .iter()
            .filter(|i| i.app == app.thing && i.registration == app.registration)
            .filter_map(|i| self.of(i).last_seen);
        app_last_seen(app, records_seen, now)
    }
}

/// The newest stored value of each of `channels` (of its current formula), in order:
/// one Query of one item each.
pub async fn calculated_latest(
    records: &impl RecordStore,
    channels: &[CalculatedChannel],
) -> Result<Vec<Option<(Millis, Value)>>, ApiError> {
    let mut latest = Vec::with_capacity(channels.len());
    for chunk in channels.chunks(CONCURRENT_READS) {
        latest.extend(try_join_all(chunk.iter().map(|c| newest_value(records, c))).await?);
    }
    Ok(latest)
}

async fn newest_value(
    records: &impl RecordStore,
    channel: &CalculatedChannel,
) -> Result<Option<(Millis, Value)>, StoreError> {
    let Some(newest) = records.newest(&channel.key(), None, 1).await?.pop() else {
        return Ok(None);
    };
    // A calculated channel's record holds its one value as channel 0.
    let value = decode_values(&newest.values)
        .map_err(|e| StoreError::Corrupt(format!("value of {}: {e}", channel.id)))?
        .first()
        .map(|(_, value)| *value);
    Ok(value.map(|value| (newest.t, value)))
}

async fn read_one(
    records: &impl RecordStore,
    instrument: &Instrument,
) -> Result<(InstrumentKey, InstrumentLatest), StoreError> {
    let key = instrument.key();
    let mut newest = records.newest(&key, None, LATEST_LOOKBACK).await?;
    let mut latest = latest_of(instrument, &newest)?;
    if latest.is_missing_channels(instrument) && newest.len() == LATEST_LOOKBACK {
        // A channel sent less often than the others: once, further back.
        let oldest = newest.last().map(|r| r.t);
        newest.extend(records.newest(&key, oldest, LATEST_SEARCH).await?);
        latest = latest_of(instrument, &newest)?;
    }
    Ok((key, latest))
}

fn latest_of(
    instrument: &Instrument,
    newest_first: &[StoredRecord],
) -> Result<InstrumentLatest, StoreError> {
    let encoded: Vec<(Millis, &[u8])> = newest_first
        .iter()
        .map(|r| (r.t, r.values.as_slice()))
        .collect();
    InstrumentLatest::of(instrument, &encoded)
        .map_err(|e| StoreError::Corrupt(format!("record of {}: {e}", instrument.key().as_str())))
}

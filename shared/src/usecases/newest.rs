//! What the newest stored records say — the latest values of instruments and calculated
//! channels, and when each instrument was last seen — read for many at once (the rules
//! are in [`crate::domain::latest`] and [`crate::domain::presence`]).
//!
//! Every read is bounded: one Query of at most [`LATEST_LOOKBACK`] records per
//! instrument, whatever its records hold, and a Query of its newest chunks when those
//! may not be all there ([`history::newest`]: an instrument quiet for a week). A record
//! or chunk that cannot be decoded costs that instrument its values, logged, not the
//! whole answer; a store that cannot be reached fails the request, which a retry can
//! fix.

use std::collections::HashMap;

use futures_util::future::try_join_all;
use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::calculated::CalculatedChannel;
use crate::domain::codec::{decode_values, CodecError};
use crate::domain::latest::{InstrumentLatest, LATEST_LOOKBACK};
use crate::domain::presence::app_last_seen;
use crate::domain::record::{Millis, Value};
use crate::domain::registry::{App, Instrument, InstrumentKey};
use crate::ports::{ChunkStore, RecordStore, StoreError, StoredRecord};

use super::{history, log, Refused};

/// Queries in flight at once: a group's instruments are read together, without holding
/// a connection per instrument.
const CONCURRENT_READS: usize = 16;

/// One stored value and its time, as answers show a latest value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct Reading {
    pub t: Millis,
    pub value: Value,
}

/// What the newest records of some instruments say, by instrument key.
#[derive(Default)]
pub struct Newest(HashMap<InstrumentKey, InstrumentLatest>);

impl Newest {
    /// The latest values and last-seen time of each of `instruments` at `now`: one Query
    /// of [`LATEST_LOOKBACK`] records each (and one of its newest chunks where those may
    /// not be all there).
    pub async fn latest<'a>(
        records: &(impl RecordStore + ChunkStore),
        instruments: impl IntoIterator<Item = &'a Instrument>,
        now: Millis,
    ) -> Result<Newest, Refused> {
        Self::read(records, instruments, LATEST_LOOKBACK, now).await
    }

    /// Only when each of `instruments` was last seen (and the values of its newest
    /// record): one Query of one record each (and one of a chunk, as above).
    pub async fn last_seen<'a>(
        records: &(impl RecordStore + ChunkStore),
        instruments: impl IntoIterator<Item = &'a Instrument>,
        now: Millis,
    ) -> Result<Newest, Refused> {
        Self::read(records, instruments, 1, now).await
    }

    async fn read<'a>(
        records: &(impl RecordStore + ChunkStore),
        instruments: impl IntoIterator<Item = &'a Instrument>,
        lookback: usize,
        now: Millis,
    ) -> Result<Newest, Refused> {
        let instruments: Vec<&Instrument> = instruments.into_iter().collect();
        let mut latest = HashMap::with_capacity(instruments.len());
        for chunk in instruments.chunks(CONCURRENT_READS) {
            let reads = chunk.iter().map(|i| read_one(records, i, lookback, now));
            let read = try_join_all(reads).await?;
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
            .filter(|i| app.holds(i))
            .filter_map(|i| self.of(i).last_seen);
        app_last_seen(app, records_seen, now)
    }
}

/// For an answer to a change already made: a read that fails is logged and the answer
/// goes without the values, rather than reporting the committed change as failed.
pub fn or_without(read: Result<Newest, Refused>) -> Newest {
    read.unwrap_or_else(|error| {
        log::left_out("latest values", &error);
        Newest::default()
    })
}

async fn read_one(
    records: &(impl RecordStore + ChunkStore),
    instrument: &Instrument,
    lookback: usize,
    now: Millis,
) -> Result<(InstrumentKey, InstrumentLatest), StoreError> {
    let key = instrument.key();
    let newest = newest_or_raw(records, &key, lookback, now).await?;
    let latest = latest_of(instrument, &newest).unwrap_or_else(|error| {
        log::undecodable_record(key.as_str(), &error);
        InstrumentLatest::default()
    });
    Ok((key, latest))
}

/// [`history::newest`]; where a chunk of `key` does not decode, its raw records alone
/// (logged): one damaged item costs that key's older values, not the whole answer.
async fn newest_or_raw(
    records: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    limit: usize,
    now: Millis,
) -> Result<Vec<StoredRecord>, StoreError> {
    match history::newest(records, key, limit, now).await {
        Err(StoreError::Corrupt(reason)) => {
            log::undecodable_record(key.as_str(), &reason);
            records.newest(key, limit).await
        }
        read => read,
    }
}

fn latest_of(
    instrument: &Instrument,
    newest_first: &[StoredRecord],
) -> Result<InstrumentLatest, CodecError> {
    let encoded: Vec<(Millis, &[u8])> = newest_first
        .iter()
        .map(|r| (r.t, r.values.as_slice()))
        .collect();
    InstrumentLatest::of(instrument, &encoded)
}

/// The newest stored value of each of `channels` (of its current formula), in order:
/// one Query of one item each (and one of a chunk, as above).
pub async fn calculated_latest(
    records: &(impl RecordStore + ChunkStore),
    channels: &[CalculatedChannel],
    now: Millis,
) -> Result<Vec<Option<Reading>>, Refused> {
    let mut latest = Vec::with_capacity(channels.len());
    for chunk in channels.chunks(CONCURRENT_READS) {
        let reads = chunk.iter().map(|c| newest_value(records, c, now));
        latest.extend(try_join_all(reads).await?);
    }
    Ok(latest)
}

/// The newest stored value of one calculated channel.
pub async fn calculated_latest_of(
    records: &(impl RecordStore + ChunkStore),
    channel: &CalculatedChannel,
    now: Millis,
) -> Result<Option<Reading>, Refused> {
    Ok(newest_value(records, channel, now).await?)
}

async fn newest_value(
    records: &(impl RecordStore + ChunkStore),
    channel: &CalculatedChannel,
    now: Millis,
) -> Result<Option<Reading>, StoreError> {
    let Some(newest) = newest_or_raw(records, &channel.key(), 1, now).await?.pop() else {
        return Ok(None);
    };
    // A calculated channel's record holds its one value as channel 0.
    match decode_values(&newest.values) {
        Ok(values) => Ok(values.first().map(|(_, value)| Reading {
            t: newest.t,
            value: *value,
        })),
        Err(error) => {
            log::undecodable_value(&channel.id, &error);
            Ok(None)
        }
    }
}

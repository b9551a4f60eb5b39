//! Computing calculated channels from stored records — the part `ingest` (new records)
//! and `recompute` (history) share. Generic over the ports, like the handlers.

use std::collections::HashMap;

use crate::domain::calculated::{evaluate, CalculatedChannel};
use crate::domain::channel::ChannelRef;
use crate::domain::codec::{decode_values, encode_values, ChannelIndex};
use crate::domain::expr::Program;
use crate::domain::ids::{AppId, ChannelName, InstrumentSerial};
use crate::domain::record::{Millis, Value};
use crate::domain::registry::Instrument;
use crate::ports::{ChunkStore, Instruments, NewlyStored, RecordStore, StoreError, StoredRecord};
use crate::usecases::history;

/// Source records by instrument and time, with each instrument's channel dictionary.
#[derive(Default)]
pub struct SourceValues {
    instruments: HashMap<(AppId, InstrumentSerial), Decoded>,
}

#[derive(Default)]
struct Decoded {
    channels: Vec<ChannelName>,
    values: HashMap<Millis, Vec<(ChannelIndex, Value)>>,
}

impl SourceValues {
    /// Adds records of `instrument` already at hand.
    pub fn add(
        &mut self,
        instrument: &Instrument,
        records: &[StoredRecord],
    ) -> Result<(), StoreError> {
        let entry = self
            .instruments
            .entry((instrument.app.clone(), instrument.serial.clone()))
            .or_default();
        entry.channels.clone_from(&instrument.channels);
        for record in records {
            let values =
                decode_values(&record.values).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            entry.values.insert(record.t, values);
        }
        Ok(())
    }

    /// Reads, for every instrument among the sources of `channel` not added yet, its
    /// records at `times` (consistently, so a record written a moment ago by another
    /// invocation is seen; from chunks for times before `compacted_before`, see
    /// [`history::get_many`]). An instrument the channel may not compute from — of another
    /// account or group, or of another registration of its app — is treated as missing:
    /// a channel only ever computes from the data it was defined over.
    pub async fn fetch(
        &mut self,
        instruments: &impl Instruments,
        record_store: &(impl RecordStore + ChunkStore),
        channel: &CalculatedChannel,
        sources: &[ChannelRef],
        times: &[Millis],
        compacted_before: Millis,
    ) -> Result<(), StoreError> {
        for source in sources {
            let id = (source.app.clone(), source.instrument.clone());
            if self.instruments.contains_key(&id) {
                continue;
            }
            let instrument = instruments
                .instrument(&channel.account, &source.app, &source.instrument)
                .await?
                .filter(|i| channel.computes_from(i));
            let Some(instrument) = instrument else {
                self.instruments.insert(id, Decoded::default());
                continue;
            };
            let keys: Vec<_> = times.iter().map(|t| (instrument.key(), *t)).collect();
            let records = history::get_many(record_store, &keys, compacted_before).await?;
            self.add(&instrument, &records)?;
        }
        Ok(())
    }

    /// A source's value at `t`, if its record is at hand.
    pub fn value(&self, source: &ChannelRef, t: Millis) -> Option<Value> {
        let decoded = self
            .instruments
            .get(&(source.app.clone(), source.instrument.clone()))?;
        let index = decoded.channels.iter().position(|c| *c == source.channel)? as ChannelIndex;
        decoded
            .values
            .get(&t)?
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, v)| *v)
    }
}

/// Values of a calculated channel computed and put, and which of them were newly stored.
pub struct Computed {
    pub records: Vec<StoredRecord>,
    pub newly: NewlyStored,
}

/// Computes `channel` at `times` from `values` and stores the results: its latest value
/// is its newest stored record. Each value depends
/// only on the source records at its time, and is written only where none is stored, so
/// computing it again changes nothing.
pub async fn compute_and_store(
    record_store: &impl RecordStore,
    channel: &CalculatedChannel,
    program: &Program<ChannelRef>,
    times: &[Millis],
    values: &SourceValues,
) -> Result<Computed, StoreError> {
    let results = evaluate(program, times.iter().copied(), |source, t| {
        values.value(source, t)
    });
    let key = channel.key();
    let stored: Vec<StoredRecord> = results
        .iter()
        .map(|(t, value)| StoredRecord {
            instrument: key.clone(),
            t: *t,
            values: encode_values(&[(0, *value)]),
        })
        .collect();
    let newly = record_store.put(&stored).await?;
    Ok(Computed {
        records: stored,
        newly,
    })
}

//! Compaction: a closed hour of one record key's records rewritten as one chunk
//! ([`crate::domain::chunk`]), merged with the chunk stored for the hour, if any. Run
//! again, it changes nothing; records that came late into a compacted hour are taken in
//! by running it again; two runs at once store one version, the other learns it raced.
//! Records expire [`RAW_RECORDS_KEPT`] after they are written (the store stamps them;
//! DynamoDB's Time to Live deletes them, for no write unit): by then their hour has long
//! been compacted, and an hour that cannot be has its records kept
//! ([`RecordStore::keep_raw`], in `compact_pending`). Each hour compacted is also rolled
//! up ([`crate::usecases::rollups`]) — or, compacted while its day goes on, left to the
//! roll-up of its whole day once the day has ended ([`compact_hour_alone`]).

use crate::domain::chunk::{decode_chunk, encode_chunk, merge_preferring, ChunkRecord};
use crate::domain::codec::decode_values;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::rollup::rolls_up;
use crate::ports::{ChunkStore, RecordStore, StoreError, StoredChunk};
use crate::usecases::rollups::roll_up_hour;

/// The most records an hour's chunk holds: ten a second. An hour with more stays raw.
pub const MAX_CHUNK_RECORDS: usize = 36_000;
/// The largest chunk stored. An hour that compresses to more stays raw. (Chunks this big
/// keep their bytes in the history bucket, which would take more; the bound is the
/// reader's: it holds a range's chunks in memory at once.)
pub const MAX_CHUNK_BYTES: usize = 350_000;
/// How long a record is kept raw after it is written, compacted or not (a record its
/// hour could not be compacted with is kept for good). An hour is compacted by the
/// first delivery of its key after it closes, or by the daily sweep; a week leaves room
/// for days of sweeps failing or running out of time, and for a backlog's walk.
pub const RAW_RECORDS_KEPT: i64 = 7 * Millis::DAY;
/// How long after its end an hour is taken as closed: records in flight (a message
/// still being retried, the stream's batching) have arrived by then. Records later
/// than that recompact the hour.
pub const SETTLE: i64 = 10 * Millis::MINUTE;

/// What [`compact_hour`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compacted {
    /// Nothing to do: the hour has no records, or its chunk holds them all.
    UpToDate,
    /// A chunk of `records` records in `bytes` bytes was stored.
    Stored { records: usize, bytes: usize },
    /// The hour has not closed yet.
    Open,
    /// More than [`MAX_CHUNK_RECORDS`] records, or a chunk of more than
    /// [`MAX_CHUNK_BYTES`]: the hour stays raw.
    TooBig { records: usize, bytes: usize },
    /// Another compaction stored another version of the chunk first, or kept changing
    /// the day's rollups; compacting again merges with it.
    Raced,
}

/// Compacts the hour of `key` holding `within`, if it closed by `now`, and rolls it up.
pub async fn compact_hour(
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    within: Millis,
    now: Millis,
) -> Result<Compacted, StoreError> {
    compact(store, key, within, now, true).await
}

/// Compacts the hour of `key` holding `within`, if it closed by `now`, leaving its
/// rollups to the roll-up of its whole day ([`crate::usecases::rollups::roll_up_day`]).
pub async fn compact_hour_alone(
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    within: Millis,
    now: Millis,
) -> Result<Compacted, StoreError> {
    compact(store, key, within, now, false).await
}

async fn compact(
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    within: Millis,
    now: Millis,
    roll_up: bool,
) -> Result<Compacted, StoreError> {
    let hour = within.start_of_hour();
    let end = hour.plus(Millis::HOUR);
    if end.plus(SETTLE) > now {
        return Ok(Compacted::Open);
    }
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("{what} of {} at {}: {e}", key.as_str(), hour.0))
    };
    // Consistently: the usage function compacts right after the records' own stream
    // records came, and a record missed here would have its hour unmarked without it.
    let raw = store
        .range_consistently(key, hour, end, MAX_CHUNK_RECORDS + 1)
        .await?;
    let stored = store.chunks(key, hour, hour.plus(1), 1).await?.pop();
    let compacted = match &stored {
        Some(chunk) => decode_chunk(&chunk.bytes).map_err(|e| corrupt("chunk", &e))?,
        None => Vec::new(),
    };
    let raw = raw
        .into_iter()
        .map(|r| {
            let values = decode_values(&r.values).map_err(|e| corrupt("record", &e))?;
            Ok(ChunkRecord { t: r.t, values })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let merged = merge_preferring(compacted, raw, |r| r.t);
    let replacing = stored.as_ref().map(|c| c.records);
    if merged.is_empty() {
        return Ok(Compacted::UpToDate);
    }
    // Rolled up whether the chunk is stored now or was before: a run after one that
    // stored the chunk and stopped before its rollups finishes them. (An hour too big
    // for a chunk was not read whole: its key stops being rolled up, in
    // `compact_pending`.)
    let rolled_up = |outcome: Compacted| async {
        if !roll_up || !rolls_up(&merged) || roll_up_hour(store, key, hour, &merged, now).await? {
            Ok(outcome)
        } else {
            Ok(Compacted::Raced)
        }
    };
    if replacing.is_some_and(|n| n as usize == merged.len()) {
        return rolled_up(Compacted::UpToDate).await;
    }
    let bytes = encode_chunk(&merged);
    if merged.len() > MAX_CHUNK_RECORDS || bytes.len() > MAX_CHUNK_BYTES {
        return Ok(Compacted::TooBig {
            records: merged.len(),
            bytes: bytes.len(),
        });
    }
    // What is stored must read back to what was read, bit for bit, before anything relies
    // on it.
    let back = decode_chunk(&bytes).map_err(|e| corrupt("new chunk", &e))?;
    if back.len() != merged.len() || !back.iter().zip(&merged).all(|(a, b)| a.same_bits(b)) {
        return Err(corrupt(
            "new chunk",
            &"it does not read back to its records",
        ));
    }
    let chunk = StoredChunk {
        key: key.clone(),
        hour,
        records: merged.len() as u32,
        bytes,
    };
    if store.put_chunk(&chunk, replacing).await? {
        rolled_up(Compacted::Stored {
            records: merged.len(),
            bytes: chunk.bytes.len(),
        })
        .await
    } else {
        Ok(Compacted::Raced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::record::Value;
    use crate::memory::MemoryRecords;
    use crate::ports::StoredRecord;
    use crate::usecases::history;

    /// 2025-12-02T01:00:00Z.
    const HOUR: Millis = Millis(1_764_637_200_000);

    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
    }

    fn record(t: Millis, value: f64) -> StoredRecord {
        StoredRecord {
            instrument: key(),
            t,
            values: encode_values(&[(0, Value::Number(value)), (3, Value::Number(-value))]),
        }
    }

    /// An hour of one-minute records, stored.
    async fn an_hour(store: &MemoryRecords) -> Vec<StoredRecord> {
        let records: Vec<StoredRecord> = (0..60)
            .map(|m| record(HOUR.plus(m * Millis::MINUTE), 20.0 + m as f64 / 100.0))
            .collect();
        store.put(&records).await.unwrap();
        records
    }

    fn closed() -> Millis {
        HOUR.plus(Millis::HOUR + SETTLE)
    }

    /// The raw records of the hour gone, as their expiry will take them.
    async fn expire(store: &MemoryRecords) {
        store
            .delete_before(&key(), HOUR.plus(Millis::HOUR), usize::MAX)
            .await
            .unwrap();
    }

    async fn read(store: &MemoryRecords) -> Vec<StoredRecord> {
        history::range(store, &key(), HOUR, HOUR.plus(Millis::HOUR), 1_000)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_hour_not_closed_is_left_alone() {
        let store = MemoryRecords::default();
        an_hour(&store).await;
        let now = closed().plus(-1);
        assert_eq!(
            compact_hour(&store, &key(), HOUR, now).await.unwrap(),
            Compacted::Open
        );
        assert!(store
            .chunks(&key(), HOUR, closed(), 1)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_closed_hour_becomes_one_chunk_that_reads_back_as_its_records() {
        let store = MemoryRecords::default();
        let records = an_hour(&store).await;
        let compacted = compact_hour(&store, &key(), HOUR.plus(59 * Millis::MINUTE), closed())
            .await
            .unwrap();
        let Compacted::Stored { records: 60, bytes } = compacted else {
            panic!("{compacted:?}");
        };
        assert!(bytes < 60 * 2 * 2, "{bytes} bytes for 120 points");
        expire(&store).await;
        assert_eq!(read(&store).await, records);
        assert_eq!(
            compact_hour(&store, &key(), HOUR, closed()).await.unwrap(),
            Compacted::UpToDate,
            "compacting again changes nothing"
        );
    }

    #[tokio::test]
    async fn an_hour_of_more_records_than_a_chunk_holds_stays_raw() {
        let store = MemoryRecords::default();
        let records: Vec<StoredRecord> = (0..=MAX_CHUNK_RECORDS as i64)
            .map(|i| record(HOUR.plus(i * 50), 1.0))
            .collect();
        store.put(&records).await.unwrap();
        let compacted = compact_hour(&store, &key(), HOUR, closed()).await.unwrap();
        assert!(
            matches!(compacted, Compacted::TooBig { records, .. } if records == MAX_CHUNK_RECORDS + 1),
            "{compacted:?}"
        );
        assert!(store
            .chunks(&key(), HOUR, closed(), 1)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_late_record_is_taken_in_and_the_first_value_of_a_time_stays() {
        let store = MemoryRecords::default();
        let mut records = an_hour(&store).await;
        records.remove(30);
        expire(&store).await;
        store.put(&records).await.unwrap();
        compact_hour(&store, &key(), HOUR, closed()).await.unwrap();
        expire(&store).await;
        // Minute 30 comes late; minute 10 comes again with other values.
        let late = record(HOUR.plus(30 * Millis::MINUTE), 99.0);
        store
            .put(&[late.clone(), record(HOUR.plus(10 * Millis::MINUTE), -1.0)])
            .await
            .unwrap();
        let compacted = compact_hour(&store, &key(), HOUR, closed()).await.unwrap();
        assert!(
            matches!(compacted, Compacted::Stored { records: 60, .. }),
            "{compacted:?}"
        );
        expire(&store).await;
        records.insert(30, late);
        assert_eq!(read(&store).await, records);
    }
}

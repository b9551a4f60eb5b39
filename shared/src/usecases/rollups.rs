//! Keeping the rollups of a record key: for each UTC day, an item of its ten minutes'
//! skeletons ([`Level::TenMinutes`]), one of its hours' ([`Level::Hours`], the skeleton
//! of the first) and one of the day's ([`Level::Days`], of the second), stored as chunks
//! under the level's own key (charged nothing: they are the cloud's index; the quota
//! sweep deletes them as it does records). A day is rolled up whole once it has ended
//! ([`roll_up_day`]); an hour compacted after that, into the day as it stands
//! ([`roll_up_hour`]).
//!
//! An item's [`StoredChunk::records`] is its version, one more at each write: an item
//! is replaced only if it is still the version read (read before what goes into it), so
//! two writers of the same day never lose one another's hour.

use std::collections::BTreeSet;

use crate::domain::chunk::{decode_chunk, decode_chunk_columns, encode_chunk, ChunkRecord, Column};
use crate::domain::codec::CodecError;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::rollup::{rolls_up, skeleton, Level};
use crate::ports::{ChunkStore, StoreError, StoredChunk};
use crate::usecases::day_blocks::keep_blocks;

/// Tries at an item that keeps changing under another writer before giving up.
pub(crate) const TRIES: usize = 4;

/// The largest rollup item or block stored (its bytes are an object in the history
/// bucket, not bound by an item's size): a day of ten-minute skeletons of 40 channels
/// takes under 430 KB at the most its points can (see [`ROLLUP_MAX_CHANNELS`]), and a
/// graph holds at most 8 days of them at once (`rolled::read_tens`).
///
/// [`ROLLUP_MAX_CHANNELS`]: crate::domain::rollup::ROLLUP_MAX_CHANNELS
pub const MAX_ROLLUP_BYTES: usize = 1_000_000;

/// Rolls `records`, the whole of `hour`'s records of `key` (in time order), into the
/// rollups of its day, and the blocks of days ([`keep_blocks`]) as of `now`: `false` if
/// other writers kept changing them (the hour is to be rolled up again later). A day
/// whose hours item holds an hour its ten minutes' item lacks is rolled up whole again
/// instead ([`roll_up_day`]). A day of skeletons too big for an item is an error
/// ([`StoreError::Corrupt`]: it will not fit on a retry either).
pub async fn roll_up_hour(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    hour: Millis,
    records: &[ChunkRecord],
    now: Millis,
) -> Result<bool, StoreError> {
    let day = hour.start_of_day();
    let end = hour.plus(Millis::HOUR);
    let hour_skeleton = skeleton(records, Level::TenMinutes.span());
    let outside_hour = |r: &ChunkRecord| r.t < hour || end <= r.t;
    for _ in 0..TRIES {
        // An hour rolled up by a version that kept no ten-minute skeletons (before it, or
        // while it still runs beside this one) is in the hours item only: the day is
        // rolled up whole again, from its chunks, rather than its hours item remade
        // from ten minutes without that hour. The hours first: this version writes
        // them after the ten minutes, so an hour of it read there is in those read next.
        let (_, hours) = read(store, Level::Hours, key, day).await?;
        let (stored, tens) = read(store, Level::TenMinutes, key, day).await?;
        let in_tens: BTreeSet<Millis> = tens.iter().map(|r| r.t.start_of_hour()).collect();
        if hours
            .iter()
            .any(|r| outside_hour(r) && !in_tens.contains(&r.t.start_of_hour()))
        {
            return roll_up_day(store, key, day, now).await;
        }
        // No other hour of the day rolled up: still so when this hour is tried again.
        let first_of_day = !tens.iter().any(outside_hour);
        // The day's other hours as they were, this hour as it is now.
        let mut day_tens: Vec<ChunkRecord> =
            tens.iter().filter(|r| outside_hour(r)).cloned().collect();
        day_tens.extend(hour_skeleton.iter().cloned());
        day_tens.sort_by_key(|r| r.t);
        if store_day(store, key, day, (stored, tens), &day_tens).await? {
            return keep_blocks(store, key, hour, first_of_day, now).await;
        }
    }
    Ok(false)
}

/// Rolls the whole of `day` of `key` up from its hours' chunks as of `now`: the day's
/// items written once each (and the blocks the day completes or changes), where
/// [`roll_up_hour`] would have rewritten them for every hour compacted while the day
/// went on. `false` if other writers kept changing them (to be rolled up again later).
/// A key whose records are too wide for rollups writes nothing; a chunk that does not
/// decode, or a day too big for an item, is an error ([`StoreError::Corrupt`]).
pub async fn roll_up_day(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    day: Millis,
    now: Millis,
) -> Result<bool, StoreError> {
    for _ in 0..TRIES {
        // The version first, then the chunks: a writer that stores a newer chunk and
        // its rollup after this read makes the write below fail, and this go again.
        let (stored, tens) = read(store, Level::TenMinutes, key, day).await?;
        let mut records = Vec::new();
        // Its hours' chunks, at most 24 items, whatever records they hold.
        for chunk in store
            .chunks(key, day, day.plus(Millis::DAY), usize::MAX)
            .await?
        {
            records.extend(decode_chunk(&chunk.bytes).map_err(|e| {
                StoreError::Corrupt(format!("chunk {} at {}: {e}", key.as_str(), chunk.hour.0))
            })?);
        }
        if !rolls_up(&records) {
            return Ok(true);
        }
        let day_tens = skeleton(&records, Level::TenMinutes.span());
        if store_day(store, key, day, (stored, tens), &day_tens).await? {
            let last_hour = day.plus(Millis::DAY - Millis::HOUR);
            return keep_blocks(store, key, last_hour, true, now).await;
        }
    }
    Ok(false)
}

/// Stores `day_tens` as the ten-minutes item of `key` for `day` over `tens_read` (its
/// version and skeletons, read before `day_tens` was made), then the day's hours and
/// whole-day skeletons made from them: `false` if another writer came between (the
/// caller goes again).
async fn store_day(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    day: Millis,
    tens_read: (Option<u32>, Vec<ChunkRecord>),
    day_tens: &[ChunkRecord],
) -> Result<bool, StoreError> {
    let (stored, tens) = tens_read;
    let version = if same(day_tens, &tens) {
        stored
    } else if write(store, Level::TenMinutes, key, day, day_tens, stored).await? {
        Some(next_version(stored))
    } else {
        return Ok(false);
    };
    let mut finer = day_tens.to_vec();
    for level in [Level::Hours, Level::Days] {
        let (stored, kept) = read(store, level, key, day).await?;
        let coarser = skeleton(&finer, level.span());
        if !same(&coarser, &kept) && !write(store, level, key, day, &coarser, stored).await? {
            return Ok(false);
        }
        finer = coarser;
    }
    // Another writer may have stored a newer day of ten minutes meanwhile and its
    // coarser skeletons before these: then these are stale, and this goes again.
    let tens_key = Level::TenMinutes.key(key);
    let now_stored = store.chunks(&tens_key, day, day.plus(1), 1).await?.pop();
    Ok(now_stored.map(|item| item.records) == version)
}

/// The version written over `stored`.
pub(crate) fn next_version(stored: Option<u32>) -> u32 {
    stored.map_or(1, |version| version.saturating_add(1))
}

/// The `level` item of `key` for `day`: its version and records (none for no item).
async fn read(
    store: &impl ChunkStore,
    level: Level,
    key: &InstrumentKey,
    day: Millis,
) -> Result<(Option<u32>, Vec<ChunkRecord>), StoreError> {
    let level_key = level.key(key);
    let Some(item) = store.chunks(&level_key, day, day.plus(1), 1).await?.pop() else {
        return Ok((None, Vec::new()));
    };
    Ok((Some(item.records), decode_rollup(&level_key, &item)?))
}

/// The skeletons of rollup `item`, stored under `key`.
pub(crate) fn decode_rollup(
    key: &InstrumentKey,
    item: &StoredChunk,
) -> Result<Vec<ChunkRecord>, StoreError> {
    decode_chunk(&item.bytes).map_err(|e| not_decoded(key, item, e))
}

/// The skeletons of rollup `item`, stored under `key`, as columns.
pub(crate) fn decode_rollup_columns(
    key: &InstrumentKey,
    item: &StoredChunk,
) -> Result<Vec<Column>, StoreError> {
    decode_chunk_columns(&item.bytes).map_err(|e| not_decoded(key, item, e))
}

fn not_decoded(key: &InstrumentKey, item: &StoredChunk, e: CodecError) -> StoreError {
    StoreError::Corrupt(format!("rollup {} at {}: {e}", key.as_str(), item.hour.0))
}

/// The rollup item holding `records` under `key` from `start`, version `version`,
/// checked to read back to them bit for bit: a new format's slip is an error here, not
/// an item that stops its key's graphs.
pub(crate) fn rollup_item(
    key: InstrumentKey,
    start: Millis,
    version: u32,
    records: &[ChunkRecord],
) -> Result<StoredChunk, StoreError> {
    let item = StoredChunk {
        key,
        hour: start,
        records: version,
        bytes: encode_chunk(records),
    };
    let problem = if item.bytes.len() > MAX_ROLLUP_BYTES {
        format!("would take {} bytes", item.bytes.len())
    } else {
        match decode_chunk(&item.bytes) {
            Ok(back) if same(&back, records) => return Ok(item),
            Ok(_) => "does not read back to its skeletons".to_string(),
            Err(e) => format!("does not decode: {e}"),
        }
    };
    Err(StoreError::Corrupt(format!(
        "new rollup {} at {} {problem}",
        item.key.as_str(),
        start.0
    )))
}

/// Stores `records` as the `level` item of `key` for `day` if it is still version
/// `stored`; `false` if another writer changed it first.
async fn write(
    store: &impl ChunkStore,
    level: Level,
    key: &InstrumentKey,
    day: Millis,
    records: &[ChunkRecord],
    stored: Option<u32>,
) -> Result<bool, StoreError> {
    let item = rollup_item(level.key(key), day, next_version(stored), records)?;
    store.put_chunk(&item, stored).await
}

fn same(a: &[ChunkRecord], b: &[ChunkRecord]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same_bits(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::Value;
    use crate::memory::MemoryRecords;

    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
    }

    /// 2025-12-02T00:00:00Z.
    const DAY: Millis = Millis(1_764_633_600_000);

    fn hour(h: i64) -> Millis {
        DAY.plus(h * Millis::HOUR)
    }

    /// Hour `h`'s one record.
    fn records_of(h: i64) -> Vec<ChunkRecord> {
        vec![ChunkRecord {
            t: hour(h).plus(Millis::MINUTE),
            values: vec![(0, Value::Number(h as f64))],
        }]
    }

    async fn hours_held(store: &MemoryRecords, level: Level) -> BTreeSet<Millis> {
        let (_, kept) = read(store, level, &key(), DAY).await.unwrap();
        kept.iter().map(|r| r.t.start_of_hour()).collect()
    }

    #[tokio::test]
    async fn an_hour_only_in_the_hours_item_is_kept_when_another_is_rolled_up() {
        let store = MemoryRecords::default();
        for h in 0..3 {
            let chunk = StoredChunk {
                key: key(),
                hour: hour(h),
                records: 1,
                bytes: encode_chunk(&records_of(h)),
            };
            assert!(store.put_chunk(&chunk, None).await.unwrap());
        }
        let now = DAY.plus(Millis::DAY + Millis::HOUR);
        assert!(roll_up_hour(&store, &key(), hour(0), &records_of(0), now)
            .await
            .unwrap());
        // Hour 1 rolled up by a version that kept no ten-minute skeletons: into the hours
        // item only.
        let (stored, mut hours) = read(&store, Level::Hours, &key(), DAY).await.unwrap();
        hours.extend(skeleton(&records_of(1), Millis::HOUR));
        assert!(write(&store, Level::Hours, &key(), DAY, &hours, stored)
            .await
            .unwrap());

        assert!(roll_up_hour(&store, &key(), hour(2), &records_of(2), now)
            .await
            .unwrap());
        let all: BTreeSet<Millis> = (0..3).map(hour).collect();
        for level in [Level::TenMinutes, Level::Hours] {
            assert_eq!(hours_held(&store, level).await, all, "{level:?}");
        }
    }
}

//! The one reader of a record key's history: compacted hours (chunks) and raw records
//! merged, so series, alarm backtests, exports and backfills read the same records
//! whether an hour was compacted yet or not.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::chunk::{decode_chunk, merge_preferring};
use crate::domain::codec::encode_values;
use crate::domain::protocol::MAX_FUTURE_SKEW_MILLIS;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, RecordStore, StoreError, StoredRecord};
use crate::usecases::compaction::RAW_RECORDS_KEPT;

/// Records of `key` with `from <= t < to`, oldest first, at most `limit`: each time once,
/// from its chunk where its hour was compacted (see [`merge_preferring`]).
pub async fn range(
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    from: Millis,
    to: Millis,
    limit: usize,
) -> Result<Vec<StoredRecord>, StoreError> {
    if to <= from || limit == 0 {
        return Ok(Vec::new());
    }
    // Only the chunk of `from`'s hour may hold records before it: read on its own, the
    // chunks after it that hold `limit` records hold the range's first `limit`.
    let first_hour = from.start_of_hour();
    let mut chunks = Vec::new();
    let mut rest = from;
    if first_hour < from {
        chunks = store.chunks(key, first_hour, first_hour.plus(1), 1).await?;
        rest = first_hour.plus(Millis::HOUR);
    }
    if rest < to {
        chunks.extend(store.chunks(key, rest, to, limit).await?);
    }
    let raw = store.range(key, from, to, limit).await?;
    let mut compacted = Vec::new();
    for chunk in &chunks {
        let records = decode_chunk(&chunk.bytes).map_err(|e| {
            StoreError::Corrupt(format!(
                "chunk of {} at {}: {e}",
                key.as_str(),
                chunk.hour.0
            ))
        })?;
        compacted.extend(
            records
                .into_iter()
                .filter(|r| from <= r.t && r.t < to)
                .map(|r| StoredRecord {
                    instrument: key.clone(),
                    t: r.t,
                    values: encode_values(&r.values),
                }),
        );
    }
    // Each list holds the first `limit` of its own kind in the range: the first `limit`
    // of their union are among them.
    compacted.truncate(limit);
    let mut merged = merge_preferring(compacted, raw, |r| r.t);
    merged.truncate(limit);
    Ok(merged)
}

/// The instant after which every record stamped is still stored raw at `now`, if it is
/// stored at all: written at most [`MAX_FUTURE_SKEW_MILLIS`] before its time, it expires
/// [`RAW_RECORDS_KEPT`] after (an hour more for clocks apart).
pub fn surely_raw_after(now: Millis) -> Millis {
    now.plus(MAX_FUTURE_SKEW_MILLIS + Millis::HOUR - RAW_RECORDS_KEPT)
}

/// The records stored under these (key, time) pairs, in no particular order, pairs with
/// no record left out: read raw, and — for times before `compacted_before` not found raw
/// (their records may have expired once compacted) — from the chunks of their hours, a
/// Query each. The pairs have no repeats. A record found raw is taken as it is, where
/// [`range`] prefers a chunk's first value: the two differ only for a record sent again
/// with other values after its own expired.
pub async fn get_many(
    store: &(impl RecordStore + ChunkStore),
    keys: &[(InstrumentKey, Millis)],
    compacted_before: Millis,
) -> Result<Vec<StoredRecord>, StoreError> {
    let mut found = store.get_many(keys).await?;
    let raw: BTreeSet<(&InstrumentKey, Millis)> =
        found.iter().map(|r| (&r.instrument, r.t)).collect();
    let mut missing: BTreeMap<(InstrumentKey, Millis), BTreeSet<Millis>> = BTreeMap::new();
    for (key, t) in keys {
        if *t < compacted_before && !raw.contains(&(key, *t)) {
            let hour = (key.clone(), t.start_of_hour());
            missing.entry(hour).or_default().insert(*t);
        }
    }
    let mut compacted = Vec::new();
    for ((key, hour), times) in missing {
        // A chunk that does not decode, or whose bytes are lost, leaves its times
        // missing (logged), rather than fail every message that asks for one of them.
        let chunk = match store.chunks(&key, hour, hour.plus(1), 1).await {
            Ok(mut chunks) => chunks.pop(),
            Err(StoreError::Corrupt(error)) => {
                tracing::error!(key = %key.as_str(), hour = %hour.iso(), %error, "stored chunk unreadable");
                continue;
            }
            Err(error) => return Err(error),
        };
        let Some(chunk) = chunk else {
            continue;
        };
        let records = match decode_chunk(&chunk.bytes) {
            Ok(records) => records,
            Err(error) => {
                tracing::error!(key = %key.as_str(), hour = %hour.iso(), %error, "stored chunk does not decode");
                continue;
            }
        };
        compacted.extend(
            records
                .into_iter()
                .filter(|r| times.contains(&r.t))
                .map(|r| StoredRecord {
                    instrument: key.clone(),
                    t: r.t,
                    values: encode_values(&r.values),
                }),
        );
    }
    found.extend(compacted);
    Ok(found)
}

/// The newest `limit` records of `key` at `now`, newest first: its newest records
/// stored raw where they surely are all there, else merged with its newest chunks (an
/// instrument quiet for longer than its records are kept, or one whose newest records
/// were written before older ones).
pub async fn newest(
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    limit: usize,
    now: Millis,
) -> Result<Vec<StoredRecord>, StoreError> {
    let raw = store.newest(key, limit).await?;
    // Every record newer than the oldest of these is then stored raw too.
    let surely_raw = surely_raw_after(now);
    if raw.len() >= limit && raw.last().is_some_and(|oldest| oldest.t >= surely_raw) {
        return Ok(raw);
    }
    // Each holds the newest `limit` of its kind, or all there are: the newest `limit` of
    // their union are among them. Merged oldest first, then turned back.
    let chunks = store.newest_chunks(key, limit).await?;
    let mut compacted = Vec::new();
    for chunk in chunks.iter().rev() {
        let records = decode_chunk(&chunk.bytes).map_err(|e| {
            StoreError::Corrupt(format!(
                "chunk of {} at {}: {e}",
                key.as_str(),
                chunk.hour.0
            ))
        })?;
        compacted.extend(records.into_iter().map(|r| StoredRecord {
            instrument: key.clone(),
            t: r.t,
            values: encode_values(&r.values),
        }));
    }
    let mut raw = raw;
    raw.reverse();
    let mut merged = merge_preferring(compacted, raw, |r| r.t);
    merged.reverse();
    merged.truncate(limit);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::record::Value;
    use crate::memory::MemoryRecords;
    use crate::usecases::compaction::{compact_hour, SETTLE};

    const START: i64 = 1_764_637_200_000;

    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
    }

    fn record(t: i64, value: i64) -> StoredRecord {
        StoredRecord {
            instrument: key(),
            t: Millis(t),
            values: encode_values(&[(1, Value::Number(value as f64 / 10.0))]),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn compacted_hours_and_raw_records_read_as_the_records_did(
            offsets in proptest::collection::btree_set(0i64..4 * Millis::HOUR, 1..300),
            compacted_hours in 0i64..=4,
            again in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
            (from, to) in (0i64..4 * Millis::HOUR, 0i64..4 * Millis::HOUR),
            limit in 1usize..400,
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let store = MemoryRecords::default();
                let records: Vec<StoredRecord> =
                    offsets.iter().map(|o| record(START + o, *o)).collect();
                store.put(&records).await.unwrap();
                let (from, to) = (Millis(START + from), Millis(START + to));
                let expected = store.range(&key(), from, to, limit).await.unwrap();
                // The first hours compacted and their records expired, then some of those
                // records sent again with other values: the compacted ones stay.
                let now = Millis(START + 5 * Millis::HOUR + SETTLE);
                for hour in 0..compacted_hours {
                    compact_hour(&store, &key(), Millis(START + hour * Millis::HOUR), now)
                        .await
                        .unwrap();
                }
                let compacted_end = Millis(START + compacted_hours * Millis::HOUR);
                store.delete_before(&key(), compacted_end, usize::MAX).await.unwrap();
                let resent: Vec<StoredRecord> = again
                    .iter()
                    .map(|i| &records[i.index(records.len())])
                    .filter(|r| r.t < compacted_end)
                    .map(|r| record(r.t.0, -1))
                    .collect();
                store.put(&resent).await.unwrap();
                let read = range(&store, &key(), from, to, limit).await.unwrap();
                prop_assert_eq!(read, expected);
                Ok(())
            })?;
        }

        #[test]
        fn the_newest_records_are_found_however_many_expired(
            // Hours of ten days; each record written at its own time, or late (with
            // the newest: a backlog sent after the live records).
            records in proptest::collection::btree_map(0i64..240, any::<bool>(), 1..60),
            compacted_hours in 0i64..=240,
            now_after_days in 0i64..12,
            limit in 1usize..20,
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let store = MemoryRecords::default();
                let stored: Vec<StoredRecord> = records
                    .keys()
                    .map(|hour| record(START + hour * Millis::HOUR + 7, *hour))
                    .collect();
                store.put(&stored).await.unwrap();
                let last_hour = START + 240 * Millis::HOUR;
                let now = Millis(last_hour + now_after_days * Millis::DAY);
                let closed = Millis(last_hour + 2 * Millis::HOUR);
                for hour in 0..compacted_hours {
                    let hour = Millis(START + hour * Millis::HOUR);
                    compact_hour(&store, &key(), hour, closed).await.unwrap();
                }
                // What has expired at `now`: records of compacted hours written more
                // than RAW_RECORDS_KEPT before; the others are not yet due (or kept).
                for (hour, late) in &records {
                    let t = START + hour * Millis::HOUR + 7;
                    let written = if *late { last_hour } else { t };
                    if *hour >= compacted_hours || written + RAW_RECORDS_KEPT > now.0 {
                        store.keep_raw(&key(), Millis(t), Millis(t + 1), 1).await.unwrap();
                    }
                }
                store.expire();
                let mut expected = stored;
                expected.reverse();
                expected.truncate(limit);
                let read = newest(&store, &key(), limit, now).await.unwrap();
                prop_assert_eq!(read, expected);
                Ok(())
            })?;
        }
    }
}

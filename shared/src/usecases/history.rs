//! The one reader of a record key's history: compacted hours (chunks) and raw records
//! merged, so series, alarm backtests, exports and backfills read the same records
//! whether an hour was compacted yet or not.

use crate::domain::chunk::{decode_chunk, merge_preferring};
use crate::domain::codec::encode_values;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, RecordStore, StoreError, StoredRecord};

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
    }
}

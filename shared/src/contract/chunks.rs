//! The contract of [`ChunkStore`].

use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, StoredChunk};

const HOUR: i64 = 3_600_000;

/// A chunk of a few bytes, or, in odd hours, of more than a one-write-unit item holds
/// (a store may keep those apart: the contract is the same).
fn chunk(key: &InstrumentKey, hour: i64, records: u32) -> StoredChunk {
    let size = if hour % 2 == 1 { 5_000 } else { 3 };
    StoredChunk {
        key: key.clone(),
        hour: Millis(hour * HOUR),
        records,
        bytes: (0..size).map(|i| (i * 7 + records) as u8).collect(),
    }
}

fn hours(chunks: &[StoredChunk]) -> Vec<i64> {
    chunks.iter().map(|c| c.hour.0 / HOUR).collect()
}

/// Holds `store` to the contract, on record keys that start with `prefix`: runs with
/// distinct prefixes can share one table.
pub async fn chunk_store(store: &impl ChunkStore, prefix: &str) {
    let here = InstrumentKey::from_stored(format!("{prefix}/chunks/a"));
    let other = InstrumentKey::from_stored(format!("{prefix}/chunks/b"));

    // A chunk is stored where none is, then only over the version it replaces: a stale
    // compaction (replacing what is gone, or storing as if none were) stores nothing.
    assert!(store.put_chunk(&chunk(&here, 1, 60), None).await.unwrap());
    assert!(!store.put_chunk(&chunk(&here, 1, 59), None).await.unwrap());
    assert!(!store
        .put_chunk(&chunk(&here, 1, 61), Some(58))
        .await
        .unwrap());
    assert!(store
        .put_chunk(&chunk(&here, 1, 61), Some(60))
        .await
        .unwrap());
    for hour in [0, 2, 3, 5] {
        assert!(store
            .put_chunk(&chunk(&here, hour, 30), None)
            .await
            .unwrap());
    }
    store.put_chunk(&chunk(&other, 2, 5), None).await.unwrap();

    // Hours starting in [from, to), oldest first, this key's only, as stored.
    let all = store
        .chunks(&here, Millis(0), Millis(6 * HOUR), usize::MAX)
        .await
        .unwrap();
    assert_eq!(hours(&all), [0, 1, 2, 3, 5]);
    assert_eq!(all[1], chunk(&here, 1, 61), "the newer version");
    let within = store
        .chunks(&here, Millis(HOUR), Millis(3 * HOUR), usize::MAX)
        .await
        .unwrap();
    assert_eq!(hours(&within), [1, 2]);
    assert!(store
        .chunks(&here, Millis(4 * HOUR), Millis(5 * HOUR), 10)
        .await
        .unwrap()
        .is_empty());

    // The newest first, up to the chunk that brings the records to the number asked,
    // this key's only.
    assert_eq!(hours(&store.newest_chunks(&here, 1).await.unwrap()), [5]);
    assert_eq!(
        hours(&store.newest_chunks(&here, 31).await.unwrap()),
        [5, 3]
    );
    assert_eq!(
        hours(&store.newest_chunks(&here, usize::MAX).await.unwrap()),
        [5, 3, 2, 1, 0]
    );
    assert_eq!(hours(&store.newest_chunks(&other, 10).await.unwrap()), [2]);
    let nobody = InstrumentKey::from_stored(format!("{prefix}/chunks/none"));
    assert!(store.newest_chunks(&nobody, 10).await.unwrap().is_empty());

    // Up to the chunk that brings the records to the number asked: 30 + 61 ≥ 31.
    let enough = store
        .chunks(&here, Millis(0), Millis(6 * HOUR), 31)
        .await
        .unwrap();
    assert_eq!(hours(&enough), [0, 1]);
    let exactly = store
        .chunks(&here, Millis(0), Millis(6 * HOUR), 30)
        .await
        .unwrap();
    assert_eq!(hours(&exactly), [0]);
    assert_eq!(
        hours(
            &store
                .chunks(&other, Millis(0), Millis(6 * HOUR), 1)
                .await
                .unwrap()
        ),
        [2]
    );
}

//! Keeping a record key's day skeletons in blocks of 32 days ([`DAY_BLOCK`]) as well as
//! a day an item, so a year's graph of daily buckets reads a dozen items.
//!
//! A block is written when its last hour is rolled up, or its last day (so a live
//! instrument's block once, some minutes after it ends), or, if neither was (an
//! instrument off at night whose hours came after the day), by the first hour rolled up
//! of a day of the next block; and written again whenever an
//! hour of a block that is stored and has ended is rolled up (records sent late). Until
//! then graphs read its days' items. Like the day items, a block's
//! [`StoredChunk::records`] is its version: it is replaced only over the version read,
//! and after each write the days' versions are read again and the block written again if
//! one changed meanwhile — so a block never stays behind a day written before the hour
//! that wrote the day took its mark off.

use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::rollup::{block_start, day_blocks_key, Level, DAY_BLOCK};
use crate::ports::{ChunkStore, StoreError, StoredChunk};
use crate::usecases::rollups::{decode_rollup, next_version, rollup_item, TRIES};

/// How far behind another's a roll-up's clock may run.
const CLOCKS_BEHIND: i64 = Millis::DAY;

/// When a block is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Whether stored or not: its last hour was rolled up.
    Always,
    /// Only over a stored one: an hour of it, ended, was rolled up again.
    IfStored,
    /// Only where none is stored: a later day was rolled up.
    IfAbsent,
}

/// Writes the blocks that the roll-up of `hour` as of `now` completes or changes, as
/// their days stand (`first_of_day`: no other hour of its day was rolled up before):
/// `false` if their days kept changing under them (the hour is to be rolled up again
/// later).
pub async fn keep_blocks(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    hour: Millis,
    first_of_day: bool,
    now: Millis,
) -> Result<bool, StoreError> {
    let start = block_start(hour);
    let end = start.plus(DAY_BLOCK);
    // A block is stored only once its last hour closed: one not ended has none to keep.
    // Ended by a clock that may run behind the one that wrote it (the sweep's is its
    // schedule's instant, hours old on a retry): within a day of its end, looked for.
    let own = if hour == end.plus(-Millis::HOUR) {
        Some(Write::Always)
    } else {
        (now.plus(CLOCKS_BEHIND) >= end).then_some(Write::IfStored)
    };
    if let Some(write) = own {
        if !keep_block(store, key, start, write).await? {
            return Ok(false);
        }
    }
    // Once a day is enough to find the block before it unwritten: a read of its key.
    if first_of_day {
        return keep_block(store, key, start.plus(-DAY_BLOCK), Write::IfAbsent).await;
    }
    Ok(true)
}

/// Writes the block from `start` as its days stand, as `write` says.
async fn keep_block(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    start: Millis,
    mut write: Write,
) -> Result<bool, StoreError> {
    let end = start.plus(DAY_BLOCK);
    let (blocks, days) = (day_blocks_key(key), Level::Days.key(key));
    for _ in 0..TRIES {
        let stored = store.chunks(&blocks, start, start.plus(1), 1).await?.pop();
        match (write, &stored) {
            (Write::IfStored, None) | (Write::IfAbsent, Some(_)) => return Ok(true),
            _ => {}
        }
        let read = store.chunks(&days, start, end, usize::MAX).await?;
        // No day rolled up (none had records): nothing to keep.
        if read.is_empty() && stored.is_none() {
            return Ok(true);
        }
        let mut skeletons = Vec::new();
        for day in &read {
            skeletons.extend(decode_rollup(&days, day)?);
        }
        let version = stored.as_ref().map(|block| block.records);
        let block = rollup_item(blocks.clone(), start, next_version(version), &skeletons)?;
        // Stored as it stands (the hour rolled up again changed nothing): a writer that
        // changes a day later finds the block and writes it.
        if stored.is_some_and(|stored| stored.bytes == block.bytes) {
            return Ok(true);
        }
        if !store.put_chunk(&block, version).await? {
            continue;
        }
        let again = store.chunks(&days, start, end, usize::MAX).await?;
        if versions(&again) == versions(&read) {
            return Ok(true);
        }
        // A day changed under the block just written: it is this writer's to bring up to
        // date now, whatever `write` said (a block stored is no longer absent).
        write = Write::Always;
    }
    Ok(false)
}

fn versions(items: &[StoredChunk]) -> Vec<(Millis, u32)> {
    items.iter().map(|item| (item.hour, item.records)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chunk::{decode_chunk, encode_chunk, ChunkRecord};
    use crate::domain::record::Value;
    use crate::memory::MemoryRecords;
    use crate::usecases::rollups::roll_up_hour;

    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
    }

    /// The block that 2025-12-24 is in: it ends two days later.
    fn block() -> (Millis, Millis) {
        let start = block_start(Millis(1_766_534_400_000));
        (start, start.plus(DAY_BLOCK))
    }

    /// Two records in `hour`, of `value` and its negative.
    fn hour_of(hour: Millis, value: f64) -> Vec<ChunkRecord> {
        [(1, value), (2, -value)]
            .into_iter()
            .map(|(minute, value)| ChunkRecord {
                t: hour.plus(minute * Millis::MINUTE),
                values: vec![(0, Value::Number(value))],
            })
            .collect()
    }

    /// Rolls up `hour` as the usage function would, an hour after it ended at the latest.
    async fn roll_up(store: &MemoryRecords, hour: Millis, value: f64, now: Millis) {
        let records = hour_of(hour, value);
        assert!(roll_up_hour(store, &key(), hour, &records, now)
            .await
            .unwrap());
    }

    async fn stored_block(store: &MemoryRecords, start: Millis) -> Option<Vec<ChunkRecord>> {
        let block = store
            .chunks(&day_blocks_key(&key()), start, start.plus(1), 1)
            .await
            .unwrap()
            .pop()?;
        Some(decode_chunk(&block.bytes).unwrap())
    }

    /// The day skeletons of `[from, to)`, from the days' own items.
    async fn days(store: &MemoryRecords, (from, to): (Millis, Millis)) -> Vec<ChunkRecord> {
        let items = store
            .chunks(&Level::Days.key(&key()), from, to, usize::MAX)
            .await
            .unwrap();
        items
            .iter()
            .flat_map(|day| decode_chunk(&day.bytes).unwrap())
            .collect()
    }

    fn same(a: &[ChunkRecord], b: &[ChunkRecord]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same_bits(b))
    }

    #[tokio::test]
    async fn a_block_is_written_by_its_last_hour_and_again_by_an_hour_sent_late() {
        let store = MemoryRecords::default();
        let (start, end) = block();
        let last = end.plus(-Millis::HOUR);
        for h in (1..=72).rev() {
            let hour = end.plus(-h * Millis::HOUR);
            roll_up(&store, hour, h as f64, hour.plus(Millis::HOUR + 600_000)).await;
            if hour < last {
                assert!(stored_block(&store, start).await.is_none(), "{h} h before");
            }
        }
        let written = stored_block(&store, start)
            .await
            .expect("written by the last hour");
        assert!(same(&written, &days(&store, (start, end)).await));
        // Days past the block go on without one of their own until it ends.
        roll_up(&store, end, 1.0, end.plus(2 * Millis::HOUR)).await;
        assert!(stored_block(&store, end).await.is_none());

        // An hour two days back sent again, with a new least and greatest point.
        let late = end.plus(-50 * Millis::HOUR);
        roll_up(&store, late, 1_000.0, end.plus(3 * Millis::DAY)).await;
        let rewritten = stored_block(&store, start).await.unwrap();
        assert!(!same(&rewritten, &written));
        assert!(same(&rewritten, &days(&store, (start, end)).await));
        assert!(rewritten
            .iter()
            .any(|r| r.values == [(0, Value::Number(1_000.0))]));
    }

    /// The store as a block's writer sees it while another roll-up changes a day of the
    /// block between the writer's read of the days and its write of the block.
    #[derive(Default)]
    struct Raced {
        store: MemoryRecords,
        day: std::sync::Mutex<Option<StoredChunk>>,
    }

    #[async_trait::async_trait]
    impl ChunkStore for Raced {
        async fn put_chunk(
            &self,
            chunk: &StoredChunk,
            replacing: Option<u32>,
        ) -> Result<bool, StoreError> {
            let racing = match chunk.key == day_blocks_key(&key()) {
                true => self.day.lock().unwrap().take(),
                false => None,
            };
            if let Some(mut day) = racing {
                let stored = self.store.chunks(&day.key, day.hour, day.hour.plus(1), 1);
                let version = stored.await?.pop().map(|d| d.records);
                day.records = next_version(version);
                assert!(self.store.put_chunk(&day, version).await?);
            }
            self.store.put_chunk(chunk, replacing).await
        }

        async fn chunks(
            &self,
            key: &InstrumentKey,
            from: Millis,
            to: Millis,
            records: usize,
        ) -> Result<Vec<StoredChunk>, StoreError> {
            self.store.chunks(key, from, to, records).await
        }

        async fn newest_chunks(
            &self,
            key: &InstrumentKey,
            records: usize,
        ) -> Result<Vec<StoredChunk>, StoreError> {
            self.store.newest_chunks(key, records).await
        }

        async fn delete_released(&self, object: &str) -> Result<(), StoreError> {
            self.store.delete_released(object).await
        }
    }

    /// `day`'s item as another roll-up writes it, with a spike in its second hour; the
    /// spike.
    fn spiked(day: Millis) -> (StoredChunk, ChunkRecord) {
        let spike = ChunkRecord {
            t: day.plus(Millis::HOUR),
            values: vec![(0, Value::Number(99.0))],
        };
        let item = StoredChunk {
            key: Level::Days.key(&key()),
            hour: day,
            records: 0,
            bytes: encode_chunk(std::slice::from_ref(&spike)),
        };
        (item, spike)
    }

    /// Rolls up `hour` through the raced store, when it closed.
    async fn roll_up_raced(raced: &Raced, hour: Millis, value: f64) {
        let records = hour_of(hour, value);
        let now = hour.plus(Millis::HOUR + 600_000);
        assert!(roll_up_hour(raced, &key(), hour, &records, now)
            .await
            .unwrap());
    }

    /// The race was run, and the block holds the spike and is its days' skeletons.
    async fn holds_the_spike(raced: &Raced, spike: &ChunkRecord) {
        assert!(raced.day.lock().unwrap().is_none(), "the race was run");
        let (start, end) = block();
        let block = stored_block(&raced.store, start).await.unwrap();
        assert!(same(&block, &days(&raced.store, (start, end)).await));
        assert!(block.iter().any(|r| r.same_bits(spike)));
    }

    #[tokio::test]
    async fn a_day_changed_while_its_block_is_written_is_in_the_block() {
        let raced = Raced::default();
        let (start, end) = block();
        for h in (1..=30).rev() {
            roll_up_raced(&raced, end.plus(-h * Millis::HOUR), h as f64).await;
        }
        assert!(stored_block(&raced.store, start).await.is_some());
        // Another roll-up's new day, written just before the block's next write.
        let (day, spike) = spiked(end.plus(-2 * Millis::DAY));
        *raced.day.lock().unwrap() = Some(day);
        roll_up_raced(&raced, end.plus(-Millis::HOUR), -5.0).await;
        holds_the_spike(&raced, &spike).await;
    }

    #[tokio::test]
    async fn a_day_changed_while_a_later_day_writes_the_block_is_in_the_block() {
        let raced = Raced::default();
        let (start, end) = block();
        for h in 7..=30 {
            roll_up_raced(&raced, end.plus(-h * Millis::HOUR), h as f64).await;
        }
        assert!(stored_block(&raced.store, start).await.is_none());
        // A late hour's new day, written (its roll-up finding no block to keep) just before
        // the next morning's roll-up writes the block.
        let (day, spike) = spiked(end.plus(-2 * Millis::DAY));
        *raced.day.lock().unwrap() = Some(day);
        roll_up_raced(&raced, end.plus(7 * Millis::HOUR), 1.0).await;
        holds_the_spike(&raced, &spike).await;
    }

    #[tokio::test]
    async fn a_block_whose_last_hour_has_no_records_is_written_by_a_later_day() {
        let store = MemoryRecords::default();
        let (start, end) = block();
        // An instrument off at night: nothing in the block's last six hours.
        for h in 7..=30 {
            let hour = end.plus(-h * Millis::HOUR);
            roll_up(&store, hour, h as f64, hour.plus(Millis::HOUR + 600_000)).await;
        }
        assert!(stored_block(&store, start).await.is_none());
        // Its first hour of the next morning.
        let morning = end.plus(7 * Millis::HOUR);
        roll_up(&store, morning, 1.0, morning.plus(Millis::HOUR + 600_000)).await;
        let written = stored_block(&store, start)
            .await
            .expect("written the next day");
        assert!(same(&written, &days(&store, (start, end)).await));
        let days_held: std::collections::BTreeSet<Millis> =
            written.iter().map(|r| r.t.start_of_day()).collect();
        assert_eq!(days_held.len(), 2, "the block's last two days");
    }
}

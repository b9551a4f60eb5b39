//! The records table in memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{
    DeletedRecords, NewlyStored, RecordStore, StoreError, StoredChunk, StoredRecord,
};

/// Records by (instrument, time), as the records table keys them.
#[derive(Default)]
pub struct MemoryRecords {
    items: Mutex<BTreeMap<(InstrumentKey, Millis), Held>>,
    /// Chunks by (key, hour), as the records table keys them under their own key.
    pub(super) chunks: Mutex<BTreeMap<(InstrumentKey, Millis), StoredChunk>>,
    /// Items the ranges and chunk reads returned so far, and their bytes.
    read: (AtomicUsize, AtomicUsize),
}

impl MemoryRecords {
    /// How many items (records and chunks) ranges and chunk reads returned so far, and
    /// their bytes (a record's values, a chunk's blob): what a read would have read from
    /// the table.
    pub fn read_so_far(&self) -> (usize, usize) {
        (
            self.read.0.load(Ordering::Relaxed),
            self.read.1.load(Ordering::Relaxed),
        )
    }

    pub(super) fn count_read(&self, items: usize, bytes: usize) {
        self.read.0.fetch_add(items, Ordering::Relaxed);
        self.read.1.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Deletes every record not kept raw, as DynamoDB's Time to Live does once
    /// [`crate::usecases::compaction::RAW_RECORDS_KEPT`] has passed since they were
    /// written; how many.
    pub fn expire(&self) -> usize {
        let mut items = self.items();
        let before = items.len();
        items.retain(|_, held| held.kept);
        before - items.len()
    }

    /// Forgets `key`'s chunks stamped in `[from, to)`, as if never written (days rolled
    /// up by a version that did not keep one of today's levels).
    #[cfg(test)]
    pub(crate) fn forget_chunks(&self, key: &InstrumentKey, (from, to): (Millis, Millis)) {
        let mut chunks = self.chunks.lock().expect("no panic while holding the lock");
        chunks.retain(|(of, hour), _| of != key || *hour < from || to <= *hour);
    }

    fn items(&self) -> std::sync::MutexGuard<'_, BTreeMap<(InstrumentKey, Millis), Held>> {
        self.items.lock().expect("no panic while holding the lock")
    }
}

/// A record's values, and whether it was taken off expiry.
struct Held {
    values: Vec<u8>,
    kept: bool,
}

fn stored(((instrument, t), held): (&(InstrumentKey, Millis), &Held)) -> StoredRecord {
    StoredRecord {
        instrument: instrument.clone(),
        t: *t,
        values: held.values.clone(),
    }
}

#[async_trait]
impl RecordStore for MemoryRecords {
    async fn put(&self, records: &[StoredRecord]) -> Result<NewlyStored, StoreError> {
        let mut items = self.items();
        let newly = records
            .iter()
            .map(|record| {
                let key = (record.instrument.clone(), record.t);
                match items.entry(key) {
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(Held {
                            values: record.values.clone(),
                            kept: false,
                        });
                        true
                    }
                    std::collections::btree_map::Entry::Occupied(_) => false,
                }
            })
            .collect();
        Ok(NewlyStored(newly))
    }

    async fn get_many(
        &self,
        keys: &[(InstrumentKey, Millis)],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let items = self.items();
        Ok(keys
            .iter()
            .filter_map(|key| items.get_key_value(key).map(stored))
            .collect())
    }

    async fn newest(
        &self,
        instrument: &InstrumentKey,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let items = self.items();
        let all = (instrument.clone(), Millis(i64::MIN))..=(instrument.clone(), Millis(i64::MAX));
        Ok(items.range(all).rev().take(limit).map(stored).collect())
    }

    async fn range_consistently(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        // Memory is always consistent.
        self.range(instrument, from, to, limit).await
    }

    async fn keep_raw(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<usize, StoreError> {
        if to <= from {
            return Ok(0);
        }
        let mut items = self.items();
        let within = (instrument.clone(), from)..(instrument.clone(), to);
        Ok(items
            .range_mut(within)
            .filter(|(_, held)| !held.kept)
            .take(limit.max(1))
            .map(|(_, held)| held.kept = true)
            .count())
    }

    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        if to <= from {
            return Ok(Vec::new());
        }
        let items = self.items();
        let within = (instrument.clone(), from)..(instrument.clone(), to);
        let records: Vec<StoredRecord> = items.range(within).take(limit).map(stored).collect();
        self.count_read(records.len(), records.iter().map(|r| r.values.len()).sum());
        Ok(records)
    }

    async fn delete_before(
        &self,
        instrument: &InstrumentKey,
        before: Millis,
        limit: usize,
    ) -> Result<DeletedRecords, StoreError> {
        let mut items = self.items();
        let older = (instrument.clone(), Millis(i64::MIN))..(instrument.clone(), before);
        let doomed: Vec<_> = items
            .range(older.clone())
            .take(limit.max(1))
            .map(|(key, _)| key.clone())
            .collect();
        for key in &doomed {
            items.remove(key);
        }
        Ok(DeletedRecords {
            deleted: doomed.len(),
            more: items.range(older).next().is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_record_store_contract() {
        crate::contract::record_store(&MemoryRecords::default(), "memory").await;
    }
}

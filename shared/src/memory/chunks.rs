//! Compacted history in memory, beside the records.

use async_trait::async_trait;

use super::MemoryRecords;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, StoreError, StoredChunk};

#[async_trait]
impl ChunkStore for MemoryRecords {
    async fn put_chunk(
        &self,
        chunk: &StoredChunk,
        replacing: Option<u32>,
    ) -> Result<bool, StoreError> {
        let mut chunks = self.chunks.lock().expect("no panic while holding the lock");
        let key = (chunk.key.clone(), chunk.hour);
        if chunks.get(&key).map(|stored| stored.records) != replacing {
            return Ok(false);
        }
        chunks.insert(key, chunk.clone());
        Ok(true)
    }

    async fn chunks(
        &self,
        key: &InstrumentKey,
        from: Millis,
        to: Millis,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError> {
        if to <= from {
            return Ok(Vec::new());
        }
        let chunks = self.chunks.lock().expect("no panic while holding the lock");
        let mut out = Vec::new();
        let mut held = 0;
        for chunk in chunks
            .range((key.clone(), from)..(key.clone(), to))
            .map(|(_, c)| c)
        {
            if held >= records.max(1) {
                break;
            }
            held += chunk.records as usize;
            out.push(chunk.clone());
        }
        self.count_read(out.len(), out.iter().map(|c| c.bytes.len()).sum());
        Ok(out)
    }

    async fn newest_chunks(
        &self,
        key: &InstrumentKey,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError> {
        let chunks = self.chunks.lock().expect("no panic while holding the lock");
        let mut out = Vec::new();
        let mut held = 0;
        let all = (key.clone(), Millis(i64::MIN))..=(key.clone(), Millis(i64::MAX));
        for chunk in chunks.range(all).rev().map(|(_, c)| c) {
            if held >= records.max(1) {
                break;
            }
            held += chunk.records as usize;
            out.push(chunk.clone());
        }
        self.count_read(out.len(), out.iter().map(|c| c.bytes.len()).sum());
        Ok(out)
    }

    /// Nothing to delete: this store keeps every chunk's bytes with it, so no change it
    /// makes releases an object.
    async fn delete_released(&self, _object: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_chunk_store_contract() {
        crate::contract::chunk_store(&MemoryRecords::default(), "memory").await;
    }
}

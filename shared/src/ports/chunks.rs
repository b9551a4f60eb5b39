//! The [`ChunkStore`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;

/// One record key's records of one UTC hour, compressed into a chunk
/// ([`crate::domain::chunk`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChunk {
    pub key: InstrumentKey,
    /// The start of its hour.
    pub hour: Millis,
    /// How many records it holds. A chunk is only ever replaced by one holding more (what
    /// it held and what came late), so the count tells one version from the next. (A
    /// rollup item, stored as a chunk, keeps its version here instead: see
    /// [`crate::usecases::rollups`].)
    pub records: u32,
    pub bytes: Vec<u8>,
}

/// Compacted history, beside the records it was made of.
#[async_trait]
pub trait ChunkStore: Send + Sync {
    /// Stores `chunk` if the chunk stored for its key and hour holds `replacing` records
    /// (if none is stored, for `None`): `false` when another compaction stored another
    /// version first, so a stale one never overwrites a newer one.
    async fn put_chunk(
        &self,
        chunk: &StoredChunk,
        replacing: Option<u32>,
    ) -> Result<bool, StoreError>;
    /// The chunks of one key whose hour starts in `[from, to)`, oldest first, read
    /// consistently, up to the first that brings the records returned to `records` or
    /// more (`records` at least 1).
    async fn chunks(
        &self,
        key: &InstrumentKey,
        from: Millis,
        to: Millis,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError>;
    /// The newest chunks of one key, newest first, up to the first that brings the
    /// records returned to `records` or more (`records` at least 1): where the latest
    /// values of a key whose records expired are. Read eventually consistently, as
    /// latest values are.
    async fn newest_chunks(
        &self,
        key: &InstrumentKey,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError>;
    /// Deletes the bytes a chunk version kept apart from its item, once the records
    /// table's stream tells that no item points at them any more
    /// ([`crate::domain::usage::DataChange::released`], which only a store keeping
    /// bytes apart — DynamoDB's, in the history bucket — ever fills); deleting them
    /// again succeeds.
    async fn delete_released(&self, object: &str) -> Result<(), StoreError>;
}

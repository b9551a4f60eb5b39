//! Compacted history in the records table: one item per (record key, hour), under the
//! key's own partition with [`CHUNK_KEY_SUFFIX`], so a query of records never meets a
//! chunk, and the usage stream counts a chunk to its account (the key starts with it)
//! as it does a record, and the quota sweep deletes it with them.
//!
//! An item costs one write unit per started KB, so a chunk whose item would pass 1 KB
//! keeps its bytes in the history bucket and the item only points at them: every chunk
//! write costs one write unit (and, for a big one, an S3 PUT, which costs the same
//! whatever its size). The object is written first, under a key of its own version, so
//! an item never points at bytes not there yet; the usage function deletes an object
//! once the stream tells that the item pointing at it was replaced or deleted
//! ([`released_object`]).

use async_trait::async_trait;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::item_size::item_size;
use super::records::DynamoRecords;
use super::store::{from_item, to_item, written, ItemKind};
use super::unavailable;
use super::values::{n, s, Item};
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, StoreError, StoredChunk};

/// What a record key's partition is suffixed with for its chunks. No record key ends
/// with it (a measured instrument's ends with its instance ID, a calculated channel's
/// with a number), so a chunk partition is never a record key.
pub const CHUNK_KEY_SUFFIX: &str = "#hour";

/// The largest item one write unit pays for.
const ONE_WRITE_UNIT: usize = 1024;
/// Objects read from the history bucket at once.
const CONCURRENT_GETS: usize = 16;
/// Reads of a key's items and their objects before giving up: an object may be deleted
/// between the read of the item pointing at it and its own (a newer version replaced
/// it), and the next read of the items finds the newer version.
const READ_ATTEMPTS: usize = 3;

/// A chunk's item: `i` the record key and [`CHUNK_KEY_SUFFIX`], `t` the start of its hour,
/// `n` its records, and either `c` the chunk or, for a chunk kept in the history bucket,
/// `o` its object's key and `z` its size (charged as the item's own bytes are).
#[derive(Debug, Serialize, Deserialize)]
struct ChunkItem {
    i: String,
    t: i64,
    n: u32,
    #[serde(default, with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    c: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    z: Option<u64>,
}

impl ItemKind for ChunkItem {
    const KIND: &'static str = "chunk";
}

fn partition(key: &InstrumentKey) -> String {
    format!("{}{CHUNK_KEY_SUFFIX}", key.as_str())
}

/// The object a version of a chunk is kept in: its key and hour, the records it holds
/// and a random part, so that two compactions racing to store their versions never
/// write the same object (the loser deletes its own).
fn object_key(chunk: &StoredChunk) -> String {
    format!(
        "{}/{}/{}-{:016x}",
        chunk.key.as_str(),
        chunk.hour.0,
        chunk.records,
        rand::random::<u64>()
    )
}

/// The object a chunk item read back from the stream points at, if it keeps its bytes
/// in the history bucket: what the usage function deletes once the stream tells that the
/// item was replaced by one pointing elsewhere, or deleted.
pub fn released_object(old: &Item, new: Option<&Item>) -> Option<String> {
    let object = |item: &Item| item.get("o").and_then(|value| value.as_s().ok()).cloned();
    let old = object(old)?;
    (new.and_then(object).as_ref() != Some(&old)).then_some(old)
}

/// The bytes an item's object adds to what it is charged for.
pub fn object_size(item: &Item) -> i64 {
    item.get("z")
        .and_then(|value| value.as_n().ok())
        .and_then(|size| size.parse().ok())
        .unwrap_or(0)
}

impl DynamoRecords {
    /// The chunks of `items`, their objects read from the history bucket; `None` when an
    /// object could not be read (see [`READ_ATTEMPTS`]).
    async fn resolve(
        &self,
        key: &InstrumentKey,
        items: Vec<ChunkItem>,
    ) -> Result<Option<Vec<StoredChunk>>, StoreError> {
        let fetched: Vec<Option<StoredChunk>> = stream::iter(items)
            .map(|item| async move {
                let bytes = match (item.c, item.o) {
                    (Some(bytes), _) => bytes,
                    (None, Some(object)) => match self.history.get(&object).await {
                        Ok(bytes) => bytes,
                        Err(error) => {
                            tracing::warn!(%error, object, "a chunk's object unread: reading its item again");
                            return Ok(None);
                        }
                    },
                    (None, None) => {
                        return Err(StoreError::Corrupt(format!(
                            "chunk item of {} at {} has neither bytes nor object",
                            key.as_str(),
                            item.t
                        )))
                    }
                };
                Ok(Some(StoredChunk {
                    key: key.clone(),
                    hour: Millis(item.t),
                    records: item.n,
                    bytes,
                }))
            })
            .buffered(CONCURRENT_GETS)
            .try_collect()
            .await?;
        Ok(fetched.into_iter().collect())
    }

    /// Reads items with `query_items` and their objects, again if an object went
    /// missing meanwhile.
    async fn read_chunks<F, Fut>(
        &self,
        key: &InstrumentKey,
        query_items: F,
    ) -> Result<Vec<StoredChunk>, StoreError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<ChunkItem>, StoreError>>,
    {
        for _ in 0..READ_ATTEMPTS {
            if let Some(chunks) = self.resolve(key, query_items().await?).await? {
                return Ok(chunks);
            }
        }
        Err(StoreError::Unavailable(format!(
            "chunks of {}: their objects could not be read",
            key.as_str()
        )))
    }

    async fn chunk_items(
        &self,
        key: &InstrumentKey,
        from: Millis,
        to: Millis,
        records: usize,
    ) -> Result<Vec<ChunkItem>, StoreError> {
        let mut out = Vec::new();
        if to <= from {
            return Ok(out);
        }
        let (mut held, mut start_key) = (0usize, None);
        loop {
            // Items are at most 1 KB: a page of up to 1 MB holds many, and the records
            // they hold say when to stop.
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("i = :i AND t BETWEEN :from AND :last")
                .expression_attribute_values(":i", s(partition(key)))
                .expression_attribute_values(":from", n(from.0))
                .expression_attribute_values(":last", n(to.0 - 1))
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            start_key = output.last_evaluated_key;
            for item in output.items.unwrap_or_default() {
                if held >= records.max(1) {
                    return Ok(out);
                }
                let item: ChunkItem = from_item(item)?;
                held += item.n as usize;
                out.push(item);
            }
            if start_key.is_none() || held >= records.max(1) {
                return Ok(out);
            }
        }
    }

    async fn newest_chunk_items(
        &self,
        key: &InstrumentKey,
        records: usize,
    ) -> Result<Vec<ChunkItem>, StoreError> {
        let (mut out, mut held, mut start_key) = (Vec::new(), 0usize, None);
        loop {
            // Newest first, one on the first page (an hour's chunk usually holds the
            // records asked for), then ten a page.
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("i = :i")
                .expression_attribute_values(":i", s(partition(key)))
                .scan_index_forward(false)
                .limit(if out.is_empty() { 1 } else { 10 })
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            start_key = output.last_evaluated_key;
            for item in output.items.unwrap_or_default() {
                if held >= records.max(1) {
                    return Ok(out);
                }
                let item: ChunkItem = from_item(item)?;
                held += item.n as usize;
                out.push(item);
            }
            if start_key.is_none() || held >= records.max(1) {
                return Ok(out);
            }
        }
    }
}

#[async_trait]
impl ChunkStore for DynamoRecords {
    async fn put_chunk(
        &self,
        chunk: &StoredChunk,
        replacing: Option<u32>,
    ) -> Result<bool, StoreError> {
        let mut stored = ChunkItem {
            i: partition(&chunk.key),
            t: chunk.hour.0,
            n: chunk.records,
            c: Some(chunk.bytes.clone()),
            o: None,
            z: None,
        };
        let mut item = to_item(&stored);
        if item_size(&item) > ONE_WRITE_UNIT {
            let object = object_key(chunk);
            self.history.put(&object, chunk.bytes.clone()).await?;
            stored.c = None;
            stored.z = Some(chunk.bytes.len() as u64);
            stored.o = Some(object);
            item = to_item(&stored);
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = match replacing {
            None => put.condition_expression("attribute_not_exists(i)"),
            Some(records) => put
                .condition_expression("n = :n")
                .expression_attribute_values(":n", n(records)),
        };
        let won = written(put.send().await)?;
        if let (false, Some(object)) = (won, &stored.o) {
            // Another version was stored first: no item points at this object.
            self.history.delete(object).await?;
        }
        Ok(won)
    }

    async fn chunks(
        &self,
        key: &InstrumentKey,
        from: Millis,
        to: Millis,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError> {
        self.read_chunks(key, || self.chunk_items(key, from, to, records))
            .await
    }

    async fn newest_chunks(
        &self,
        key: &InstrumentKey,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError> {
        self.read_chunks(key, || self.newest_chunk_items(key, records))
            .await
    }

    async fn delete_released(&self, object: &str) -> Result<(), StoreError> {
        self.history.delete(object).await
    }
}

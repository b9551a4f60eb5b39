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

/// `chunk`'s item: its bytes inline while the item stays within one write unit, else
/// pointing at the object `object` names for it.
fn chunk_item(chunk: &StoredChunk, object: impl FnOnce(&StoredChunk) -> String) -> ChunkItem {
    let inline = ChunkItem {
        i: partition(&chunk.key),
        t: chunk.hour.0,
        n: chunk.records,
        c: Some(chunk.bytes.clone()),
        o: None,
        z: None,
    };
    if item_size(&to_item(&inline)) <= ONE_WRITE_UNIT {
        return inline;
    }
    ChunkItem {
        c: None,
        o: Some(object(chunk)),
        z: Some(chunk.bytes.len() as u64),
        ..inline
    }
}

/// The object the chunk item of record key `key` read back from the stream points at,
/// if it keeps its bytes in the history bucket: what the usage function deletes once the
/// stream tells that the item was replaced by one pointing elsewhere, or deleted. Only
/// objects under the key's own name: no item can have the function delete another's.
pub fn released_object(key: &str, old: &Item, new: Option<&Item>) -> Option<String> {
    let object = |item: &Item| item.get("o").and_then(|value| value.as_s().ok()).cloned();
    let old = object(old)?;
    if !old.starts_with(&format!("{key}/")) {
        tracing::error!(
            key,
            object = old,
            "a chunk item pointed at an object not under its key: left"
        );
        return None;
    }
    (new.and_then(object).as_ref() != Some(&old)).then_some(old)
}

/// The bytes an item's object adds to what it is charged for.
pub fn object_size(item: &Item) -> i64 {
    item.get("z")
        .and_then(|value| value.as_n().ok())
        .and_then(|size| size.parse().ok())
        .unwrap_or(0)
}

/// Pages of chunk items read up to the first that brings the records they hold to a
/// number asked for.
struct Taken {
    items: Vec<ChunkItem>,
    held: usize,
    wanted: usize,
}

impl Taken {
    fn new(records: usize) -> Self {
        Taken {
            items: Vec::new(),
            held: 0,
            wanted: records.max(1),
        }
    }

    fn enough(&self) -> bool {
        self.held >= self.wanted
    }

    /// Takes a page's items while more records are wanted: whether they are there.
    fn take(&mut self, page: Vec<Item>) -> Result<bool, StoreError> {
        for item in page {
            if self.enough() {
                break;
            }
            let item: ChunkItem = from_item(item)?;
            self.held += item.n as usize;
            self.items.push(item);
        }
        Ok(self.enough())
    }
}

impl DynamoRecords {
    /// The chunks of `items`, their objects read from the history bucket; `None` when an
    /// object is missing (see [`READ_ATTEMPTS`]), with the key of the first missing.
    async fn resolve(
        &self,
        key: &InstrumentKey,
        items: Vec<ChunkItem>,
    ) -> Result<Result<Vec<StoredChunk>, String>, StoreError> {
        let fetched: Vec<Result<StoredChunk, String>> = stream::iter(items)
            .map(|item| async move {
                let bytes = match (item.c, item.o) {
                    (Some(bytes), _) => bytes,
                    (None, Some(object)) => {
                        // Only this key's chunks put objects under its name: an item
                        // pointing elsewhere is not this key's to read.
                        if !object.starts_with(&format!("{}/", key.as_str())) {
                            return Err(StoreError::Corrupt(format!(
                                "chunk item of {} points at {object}, not under its key",
                                key.as_str()
                            )));
                        }
                        match self.history.get(&object).await? {
                            Some(bytes) => bytes,
                            None => return Ok(Err(object)),
                        }
                    }
                    (None, None) => {
                        return Err(StoreError::Corrupt(format!(
                            "chunk item of {} at {} has neither bytes nor object",
                            key.as_str(),
                            item.t
                        )))
                    }
                };
                Ok(Ok(StoredChunk {
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
    /// missing meanwhile. One still missing after [`READ_ATTEMPTS`] is no race but lost
    /// bytes: [`StoreError::Corrupt`], which readers answer as for a chunk that does not
    /// decode (compaction leaves the hour's records raw), where `Unavailable` would
    /// have the stream's batch retried for a day.
    async fn read_chunks<F, Fut>(
        &self,
        key: &InstrumentKey,
        query_items: F,
    ) -> Result<Vec<StoredChunk>, StoreError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<ChunkItem>, StoreError>>,
    {
        let mut missing = String::new();
        for _ in 0..READ_ATTEMPTS {
            match self.resolve(key, query_items().await?).await? {
                Ok(chunks) => return Ok(chunks),
                Err(object) => missing = object,
            }
        }
        tracing::error!(
            key = key.as_str(),
            object = missing,
            "a chunk's object is missing"
        );
        Err(StoreError::Corrupt(format!(
            "chunk of {}: its object {missing} is missing",
            key.as_str()
        )))
    }

    /// Whether the chunk item of `chunk`'s key and hour points at `object`, read
    /// consistently.
    async fn points_at(&self, chunk: &StoredChunk, object: &str) -> Result<bool, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("i = :i AND t = :t")
            .expression_attribute_values(":i", s(partition(&chunk.key)))
            .expression_attribute_values(":t", n(chunk.hour.0))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let items = output.items.unwrap_or_default();
        Ok(items
            .first()
            .and_then(|item| item.get("o"))
            .and_then(|value| value.as_s().ok())
            .is_some_and(|stored| stored == object))
    }

    async fn chunk_items(
        &self,
        key: &InstrumentKey,
        from: Millis,
        to: Millis,
        records: usize,
    ) -> Result<Vec<ChunkItem>, StoreError> {
        if to <= from {
            return Ok(Vec::new());
        }
        let (mut taken, mut start_key) = (Taken::new(records), None);
        loop {
            // Items are at most 1 KB (those written before big chunks' bytes moved to the
            // history bucket, up to 350 KB): the records they hold say when to stop.
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
            if taken.take(output.items.unwrap_or_default())? || start_key.is_none() {
                return Ok(taken.items);
            }
        }
    }

    async fn newest_chunk_items(
        &self,
        key: &InstrumentKey,
        records: usize,
    ) -> Result<Vec<ChunkItem>, StoreError> {
        let (mut taken, mut start_key) = (Taken::new(records), None);
        loop {
            // Newest first, one on the first page (an hour's chunk usually holds the
            // records asked for), then ten a page (items of at most 1 KB, but for those
            // written before big chunks' bytes moved to the history bucket).
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("i = :i")
                .expression_attribute_values(":i", s(partition(key)))
                .scan_index_forward(false)
                .limit(if taken.items.is_empty() { 1 } else { 10 })
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            start_key = output.last_evaluated_key;
            if taken.take(output.items.unwrap_or_default())? || start_key.is_none() {
                return Ok(taken.items);
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
        let stored = chunk_item(chunk, object_key);
        if let Some(object) = &stored.o {
            self.history.put(object, chunk.bytes.clone()).await?;
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&stored)));
        let put = match replacing {
            None => put.condition_expression("attribute_not_exists(i)"),
            Some(records) => put
                .condition_expression("n = :n")
                .expression_attribute_values(":n", n(records)),
        };
        let won = written(put.send().await)?;
        let Some(object) = stored.o.filter(|_| !won) else {
            return Ok(won);
        };
        // Refused: another version was stored first — or this one was, and the SDK's
        // retry of a write whose answer was lost found its own item there. Only an
        // object no item points at may go.
        if self.points_at(chunk, &object).await? {
            return Ok(true);
        }
        if let Err(error) = self.history.delete(&object).await {
            // The race is lost all the same; the object stays behind, charged to no one.
            tracing::warn!(%error, object, "a lost version's object not deleted");
        }
        Ok(false)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(bytes: usize) -> StoredChunk {
        StoredChunk {
            key: InstrumentKey::from_stored("acme/gw-1.r1/LR8450/i1".into()),
            hour: Millis(1_763_712_000_000),
            records: 60,
            bytes: vec![7; bytes],
        }
    }

    #[test]
    fn a_chunk_keeps_its_bytes_inline_up_to_one_write_unit_and_points_at_an_object_past_it() {
        let object = |_: &StoredChunk| "acme/gw-1.r1/LR8450/i1/1763712000000/60-0".to_owned();
        let largest_inline = (0..2_000)
            .take_while(|&size| chunk_item(&chunk(size), object).c.is_some())
            .last()
            .unwrap();
        let inline = to_item(&chunk_item(&chunk(largest_inline), object));
        assert_eq!(item_size(&inline), ONE_WRITE_UNIT, "filled to the byte");
        assert_eq!(
            inline
                .keys()
                .map(String::as_str)
                .collect::<std::collections::BTreeSet<_>>(),
            ["c", "i", "n", "t"].into()
        );

        let pointing = chunk_item(&chunk(largest_inline + 1), object);
        assert_eq!(pointing.c, None);
        assert_eq!(pointing.o.as_deref(), Some(object(&chunk(0)).as_str()));
        assert_eq!(pointing.z, Some(largest_inline as u64 + 1));
        let item = to_item(&pointing);
        assert!(item_size(&item) < 200, "a pointer, not the bytes");
        assert_eq!(object_size(&item), largest_inline as i64 + 1);
    }

    #[test]
    fn an_object_is_named_by_its_key_hour_and_records_and_is_its_versions_own() {
        let (first, second) = (object_key(&chunk(1)), object_key(&chunk(1)));
        assert!(first.starts_with("acme/gw-1.r1/LR8450/i1/1763712000000/60-"));
        assert_ne!(first, second, "two versions never share an object");
    }
}

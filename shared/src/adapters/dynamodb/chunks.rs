//! Compacted history in the records table: one item per (record key, hour), under the
//! key's own partition with [`CHUNK_KEY_SUFFIX`], so a query of records never meets a
//! chunk, and the usage stream counts a chunk to its account (the key starts with it)
//! as it does a record, and the quota sweep deletes it with them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::records::DynamoRecords;
use super::store::{from_item, to_item, written, ItemKind};
use super::unavailable;
use super::values::{n, s};
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, StoreError, StoredChunk};

/// What a record key's partition is suffixed with for its chunks. No record key ends
/// with it (a measured instrument's ends with its instance ID, a calculated channel's
/// with a number), so a chunk partition is never a record key.
pub const CHUNK_KEY_SUFFIX: &str = "#hour";

/// A chunk's item: `i` the record key and [`CHUNK_KEY_SUFFIX`], `t` the start of its hour,
/// `n` its records, `c` the chunk.
#[derive(Debug, Serialize, Deserialize)]
struct ChunkItem {
    i: String,
    t: i64,
    n: u32,
    #[serde(with = "serde_bytes")]
    c: Vec<u8>,
}

impl ItemKind for ChunkItem {
    const KIND: &'static str = "chunk";
}

fn partition(key: &InstrumentKey) -> String {
    format!("{}{CHUNK_KEY_SUFFIX}", key.as_str())
}

#[async_trait]
impl ChunkStore for DynamoRecords {
    async fn put_chunk(
        &self,
        chunk: &StoredChunk,
        replacing: Option<u32>,
    ) -> Result<bool, StoreError> {
        let item = to_item(&ChunkItem {
            i: partition(&chunk.key),
            t: chunk.hour.0,
            n: chunk.records,
            c: chunk.bytes.clone(),
        });
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
        written(put.send().await)
    }

    async fn chunks(
        &self,
        key: &InstrumentKey,
        from: Millis,
        to: Millis,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError> {
        let mut out = Vec::new();
        if to <= from {
            return Ok(out);
        }
        let (mut held, mut start_key) = (0usize, None);
        loop {
            // Chunks are up to 400 KB: DynamoDB ends a page at 1 MB, so pages are few
            // chunks, and the records they hold say when to stop.
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
                out.push(StoredChunk {
                    key: key.clone(),
                    hour: Millis(item.t),
                    records: item.n,
                    bytes: item.c,
                });
            }
            if start_key.is_none() || held >= records.max(1) {
                return Ok(out);
            }
        }
    }

    async fn newest_chunks(
        &self,
        key: &InstrumentKey,
        records: usize,
    ) -> Result<Vec<StoredChunk>, StoreError> {
        let (mut out, mut held, mut start_key) = (Vec::new(), 0usize, None);
        loop {
            // Newest first, one on the first page (an hour's chunk usually holds the
            // records asked for), then two a page: each may be 400 KB.
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("i = :i")
                .expression_attribute_values(":i", s(partition(key)))
                .scan_index_forward(false)
                .limit(if out.is_empty() { 1 } else { 2 })
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
                out.push(StoredChunk {
                    key: key.clone(),
                    hour: Millis(item.t),
                    records: item.n,
                    bytes: item.c,
                });
            }
            if start_key.is_none() || held >= records.max(1) {
                return Ok(out);
            }
        }
    }
}

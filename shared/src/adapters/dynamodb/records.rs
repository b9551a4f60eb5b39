//! The records table: one item per (instrument, record time).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, WriteRequest};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};

use super::schema::RECORD_EXPIRY_ATTRIBUTE;
use super::store::{from_item, to_item, written, ItemKind};
use super::unavailable;
use super::values::{n, s, Item};
use crate::adapters::history_bucket::HistoryBucket;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{DeletedRecords, NewlyStored, RecordStore, StoreError, StoredRecord};
use crate::usecases::compaction::RAW_RECORDS_KEPT;

/// Record writes in flight at once: a backlog of hundreds of records is written in
/// parallel, as BatchWriteItem would, without holding more connections than this.
const CONCURRENT_PUTS: usize = 25;
/// BatchGetItem takes at most 100 keys.
const GET_BATCH_SIZE: usize = 100;
/// BatchWriteItem's most requests a call.
const WRITE_BATCH_SIZE: usize = 25;
/// Attempts at reading keys DynamoDB left unprocessed (throttling) before giving up and
/// letting the invocation fail, so that Lambda redelivers the whole, idempotent batch.
const MAX_ATTEMPTS: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(25);

/// The records table on DynamoDB.
#[derive(Clone)]
pub struct DynamoRecords {
    pub(super) client: Client,
    pub(super) table: String,
    /// Where the bytes of chunks too big for a one-write-unit item are kept.
    pub(super) history: HistoryBucket,
}

impl DynamoRecords {
    pub fn new(client: Client, table: impl Into<String>, history: HistoryBucket) -> Self {
        DynamoRecords {
            client,
            table: table.into(),
            history,
        }
    }
}

/// A record's item: `i` the instrument key, `t` the record time, `v` every value of the
/// record in the compact binary of [`crate::domain::codec`], `e` when it expires (epoch
/// seconds: the table's Time to Live reads it; none once kept raw). One-letter names,
/// because every byte of a record item is paid for on every write.
#[derive(Debug, Serialize, Deserialize)]
struct RecordItem {
    i: String,
    t: i64,
    #[serde(with = "serde_bytes")]
    v: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<i64>,
}

impl ItemKind for RecordItem {
    const KIND: &'static str = "record";
}

impl From<&StoredRecord> for RecordItem {
    fn from(record: &StoredRecord) -> Self {
        RecordItem {
            i: record.instrument.as_str().to_owned(),
            t: record.t.0,
            v: record.values.clone(),
            e: None,
        }
    }
}

impl From<RecordItem> for StoredRecord {
    fn from(item: RecordItem) -> Self {
        StoredRecord {
            instrument: InstrumentKey::from_stored(item.i),
            t: Millis(item.t),
            values: item.v,
        }
    }
}

/// The item a record written at `now` is stored as, to expire
/// [`RAW_RECORDS_KEPT`] later; its bytes depend on the record only (and on the
/// number of digits of the expiry, ten until the year 2286).
pub fn record_item(record: &StoredRecord, now: SystemTime) -> Item {
    let written = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    to_item(&RecordItem {
        e: Some(written + RAW_RECORDS_KEPT / 1000),
        ..RecordItem::from(record)
    })
}

fn parse_record(item: Item) -> Result<StoredRecord, StoreError> {
    from_item::<RecordItem>(item).map(StoredRecord::from)
}

impl DynamoRecords {
    /// Writes one BatchWriteItem's requests, again with what DynamoDB left unprocessed
    /// (throttled) after a growing pause.
    async fn write_batch(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        let mut pending = requests;
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=MAX_ATTEMPTS {
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(unavailable)?;
            pending = output
                .unprocessed_items
                .and_then(|mut items| items.remove(&self.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(StoreError::Unavailable(format!(
            "records still undeleted after {MAX_ATTEMPTS} attempts"
        )))
    }
}

#[async_trait]
impl RecordStore for DynamoRecords {
    async fn put(&self, records: &[StoredRecord]) -> Result<NewlyStored, StoreError> {
        // Each record is written only if its item is not there yet: the first write of a
        // (instrument, time) is the one that stays. A replay — even one encoded after a
        // channel was deselected, without that channel — can never take a stored value
        // away. A refused write costs the same write unit as a put would, and a record's
        // key is its identity, so nothing accepted is ever changed by a redelivery.
        let mut newly = vec![false; records.len()];
        for (chunk_index, chunk) in records.chunks(CONCURRENT_PUTS).enumerate() {
            let mut writes = tokio::task::JoinSet::new();
            for (offset, record) in chunk.iter().enumerate() {
                let index = chunk_index * CONCURRENT_PUTS + offset;
                let put = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(record_item(record, SystemTime::now())))
                    .condition_expression("attribute_not_exists(i)");
                writes.spawn(async move { (index, written(put.send().await)) });
            }
            while let Some(result) = writes.join_next().await {
                let (index, written) = result
                    .map_err(|e| StoreError::Unavailable(format!("a record write stopped: {e}")))?;
                newly[index] = written?;
            }
        }
        Ok(NewlyStored(newly))
    }

    async fn get_many(
        &self,
        keys: &[(InstrumentKey, Millis)],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(GET_BATCH_SIZE) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(
                        chunk
                            .iter()
                            .map(|(instrument, t)| {
                                Item::from([
                                    ("i".to_owned(), s(instrument.as_str())),
                                    ("t".to_owned(), n(t.0)),
                                ])
                            })
                            .collect(),
                    ))
                    .consistent_read(true)
                    .build()
                    .expect("keys are set"),
            );
            let mut backoff = FIRST_BACKOFF;
            for attempt in 1.. {
                let Some(request) = pending.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for item in output
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    out.push(parse_record(item)?);
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut keys| keys.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
                if pending.is_some() {
                    if attempt == MAX_ATTEMPTS {
                        return Err(StoreError::Unavailable(format!(
                            "records still unread after {MAX_ATTEMPTS} attempts"
                        )));
                    }
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
        Ok(out)
    }

    async fn delete_before(
        &self,
        instrument: &InstrumentKey,
        before: Millis,
        limit: usize,
    ) -> Result<DeletedRecords, StoreError> {
        // Keys only, but DynamoDB ends a page at 1 MB of items *read*: records of a few
        // KB come fewer than `limit` a page, and only the page's last key says whether
        // more remain.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("i = :i AND t < :before")
            .expression_attribute_values(":i", s(instrument.as_str()))
            .expression_attribute_values(":before", n(before.0))
            .projection_expression("i, t")
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        let more = output.last_evaluated_key.is_some();
        let keys = output.items.unwrap_or_default();
        for chunk in keys.chunks(WRITE_BATCH_SIZE) {
            let deletes = chunk
                .iter()
                .map(|key| {
                    WriteRequest::builder()
                        .delete_request(
                            DeleteRequest::builder()
                                .set_key(Some(key.clone()))
                                .build()
                                .expect("the key is set"),
                        )
                        .build()
                })
                .collect();
            self.write_batch(deletes).await?;
        }
        Ok(DeletedRecords {
            deleted: keys.len(),
            more,
        })
    }

    async fn newest(
        &self,
        instrument: &InstrumentKey,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        // One page: a few records, each at most 400 KB (DynamoDB's item limit), so the
        // page is cut at 1 MB only for limits far beyond what callers ask.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("i = :i")
            .expression_attribute_values(":i", s(instrument.as_str()))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(parse_record)
            .collect()
    }

    async fn range_consistently(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.query_range(instrument, from, to, limit, true).await
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
        // Keys of the records still expiring (picked here: a filter expression saves no
        // read unit), so that a second call (late records came into an hour kept raw)
        // writes only the late ones.
        let mut expiring = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("i = :i AND t BETWEEN :from AND :last")
                .expression_attribute_names("#e", RECORD_EXPIRY_ATTRIBUTE)
                .expression_attribute_values(":i", s(instrument.as_str()))
                .expression_attribute_values(":from", n(from.0))
                .expression_attribute_values(":last", n(to.0 - 1))
                .projection_expression("i, t, #e")
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            for mut item in output.items.unwrap_or_default() {
                if item.remove(RECORD_EXPIRY_ATTRIBUTE).is_some() {
                    expiring.push(item);
                }
            }
            start_key = output.last_evaluated_key;
            if start_key.is_none() || expiring.len() >= limit.max(1) {
                expiring.truncate(limit.max(1));
                break;
            }
        }
        for chunk in expiring.chunks(CONCURRENT_PUTS) {
            let mut writes = tokio::task::JoinSet::new();
            for key in chunk {
                // Only a record still there: an update would otherwise create an item of
                // a key alone.
                let update = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key.clone()))
                    .update_expression("REMOVE #e")
                    .condition_expression("attribute_exists(i)")
                    .expression_attribute_names("#e", RECORD_EXPIRY_ATTRIBUTE);
                writes.spawn(async move { written(update.send().await) });
            }
            while let Some(result) = writes.join_next().await {
                // Refused only for a record gone meanwhile (expired, deleted): nothing
                // is left of it to keep.
                let _kept_or_gone = result.map_err(|e| {
                    StoreError::Unavailable(format!("a record update stopped: {e}"))
                })??;
            }
        }
        Ok(expiring.len())
    }

    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.query_range(instrument, from, to, limit, false).await
    }
}

impl DynamoRecords {
    /// Records of one key with `from <= t < to`, oldest first, at most `limit`, a page
    /// at a time.
    async fn query_range(
        &self,
        instrument: &InstrumentKey,
        from: Millis,
        to: Millis,
        limit: usize,
        consistent: bool,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut out = Vec::new();
        if to <= from || limit == 0 {
            return Ok(out);
        }
        let mut start_key = None;
        loop {
            let page_limit = i32::try_from(limit - out.len()).unwrap_or(i32::MAX);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("i = :i AND t BETWEEN :from AND :last")
                .expression_attribute_values(":i", s(instrument.as_str()))
                .expression_attribute_values(":from", n(from.0))
                .expression_attribute_values(":last", n(to.0 - 1))
                .limit(page_limit)
                .consistent_read(consistent)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(unavailable)?;
            start_key = output.last_evaluated_key;
            for item in output.items.unwrap_or_default() {
                out.push(parse_record(item)?);
            }
            if start_key.is_none() || out.len() >= limit {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::{item_size, write_units};
    use crate::domain::codec::encode_values;
    use crate::domain::record::Value;

    /// A record key as long as a realistic one: account, thing name and serial.
    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme-industries/gw-plant-north-01/LR8450-240100123".into())
    }

    fn record_of(values: impl Iterator<Item = f64>) -> StoredRecord {
        let entries: Vec<(u32, Value)> = values
            .enumerate()
            .map(|(i, v)| (i as u32, Value::Number(v)))
            .collect();
        StoredRecord {
            instrument: key(),
            t: Millis(1_763_713_201_234),
            values: encode_values(&entries),
        }
    }

    /// Readings as instruments report them: a few significant decimal digits.
    fn instrument_readings(channels: usize) -> StoredRecord {
        record_of((0..channels).map(|i| 1000.0 + i as f64 * 12.345 + 0.001))
    }

    /// The worst case: every value a full-precision binary fraction.
    fn full_precision(channels: usize) -> StoredRecord {
        record_of((0..channels).map(|i| (i as f64 + 1.0).sqrt() * std::f64::consts::PI))
    }

    /// When the test's records are written: the record's own time, to the second.
    fn written() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_763_713_201)
    }

    fn write_units_per_1000_points(record: &StoredRecord, channels: usize) -> f64 {
        write_units(&record_item(record, written())) as f64 * 1000.0 / channels as f64
    }

    #[test]
    fn a_record_is_stored_as_before_and_read_back_and_expires_a_week_after_written() {
        let record = instrument_readings(3);
        let item = record_item(&record, written());
        assert_eq!(
            item,
            Item::from([
                ("i".into(), s(key().as_str())),
                ("t".into(), n(1_763_713_201_234_i64)),
                (
                    "v".into(),
                    aws_sdk_dynamodb::types::AttributeValue::B(
                        aws_sdk_dynamodb::primitives::Blob::new(record.values.clone())
                    )
                ),
                (
                    RECORD_EXPIRY_ATTRIBUTE.into(),
                    n(1_763_713_201_i64 + 7 * 24 * 3600)
                ),
            ])
        );
        assert_eq!(parse_record(item).unwrap(), record);
    }

    #[test]
    fn one_write_unit_per_record_up_to_100_channels() {
        for channels in [30, 100] {
            for (kind, record) in [
                ("instrument readings", instrument_readings(channels)),
                ("full precision", full_precision(channels)),
            ] {
                let item = record_item(&record, written());
                println!(
                    "{channels} channels, {kind}: item {} bytes, {} WCU per record, {:.1} WCU per 1000 points",
                    item_size(&item),
                    write_units(&item),
                    write_units_per_1000_points(&record, channels)
                );
                assert_eq!(write_units(&item), 1, "{channels} channels of {kind}");
            }
        }
        assert!((write_units_per_1000_points(&instrument_readings(30), 30) - 33.3).abs() < 0.1);
        assert!((write_units_per_1000_points(&full_precision(100), 100) - 10.0).abs() < 1e-9);
    }
}

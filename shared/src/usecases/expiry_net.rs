//! The net under the records' expiry. Records expire
//! [`RAW_RECORDS_KEPT`] after they are written, compacted or not; their hours are
//! compacted once the records table's stream marks them. A part of the stream the usage
//! function gave up on (it retries for the stream's 24 hours) marks nothing, and its
//! records would expire uncompacted. So the daily sweep looks again at each record key's
//! hours whose live records expire next — stamped 4 to 6 days before it runs, so each hour
//! is looked at by two sweeps, one to three days before its records expire — and compacts
//! any that holds a record its chunk does not.

use std::collections::BTreeMap;

use crate::domain::chunk::decode_chunk;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, DataUsage, RecordStore, StoreError, StoredChunk, StoredRecord};
use crate::usecases::compact_pending::{take_in, PendingReport};
use crate::usecases::compaction::{MAX_CHUNK_RECORDS, RAW_RECORDS_KEPT};

/// The hours [`recheck_expiring`] looks at `now`: those stamped from 6 to 4 days before.
pub fn hours_rechecked(now: Millis) -> (Millis, Millis) {
    let from = now.plus(Millis::DAY - RAW_RECORDS_KEPT).start_of_hour();
    (from, from.plus(2 * Millis::DAY))
}

/// Compacts each hour of `key` among [`hours_rechecked`] that holds a record its chunk
/// does not (none, if every batch of the stream was counted): a Query of one record,
/// and for a key with records there, one of the window's chunks and one of each hour's
/// records.
pub async fn recheck_expiring(
    records: &(impl RecordStore + ChunkStore),
    usage: &impl DataUsage,
    account: &AccountId,
    key: &InstrumentKey,
    now: Millis,
) -> Result<PendingReport, StoreError> {
    let (from, to) = hours_rechecked(now);
    // Most keys ever counted have no record there (instruments deleted or quiet,
    // formulas replaced): one Query of one record tells.
    if records.range(key, from, to, 1).await?.is_empty() {
        return Ok(PendingReport::default());
    }
    // A chunk whose bytes are lost makes the window's read fail as corrupt: then every
    // hour goes through `take_in`, which compacts each again from its records, or
    // leaves the lost one raw, as for a chunk that does not decode.
    let chunks: BTreeMap<Millis, StoredChunk> = match records
        .chunks(key, from, to, usize::MAX)
        .await
    {
        Ok(chunks) => chunks
            .into_iter()
            .map(|chunk| (chunk.hour, chunk))
            .collect(),
        Err(StoreError::Corrupt(error)) => {
            tracing::error!(key = %key.as_str(), %error, "the window's chunks unreadable: every hour checked");
            BTreeMap::new()
        }
        Err(error) => return Err(error),
    };
    let mut report = PendingReport::default();
    let mut hour = from;
    while hour < to {
        let end = hour.plus(Millis::HOUR);
        let raw = records.range(key, hour, end, MAX_CHUNK_RECORDS + 1).await?;
        if !raw.is_empty() && !all_compacted(&raw, chunks.get(&hour)) {
            tracing::warn!(
                key = %key.as_str(), hour = %hour.iso(),
                "records nobody marked for compaction, compacted before they expire"
            );
            take_in(
                records,
                usage,
                (account, key),
                hour,
                now,
                false,
                &mut report,
            )
            .await?;
        }
        hour = end;
    }
    Ok(report)
}

/// Whether `chunk` holds a record at each time of `raw` (a chunk that does not decode
/// holds none: compacting it again tells so, and keeps the hour raw).
fn all_compacted(raw: &[StoredRecord], chunk: Option<&StoredChunk>) -> bool {
    let Some(Ok(compacted)) = chunk.map(|c| decode_chunk(&c.bytes)) else {
        return false;
    };
    raw.iter()
        .all(|r| compacted.binary_search_by_key(&r.t, |c| c.t).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::record::Value;
    use crate::memory::{MemoryRecords, MemoryStore};
    use crate::usecases::compaction::compact_hour;
    use crate::usecases::history;

    /// 2025-12-02T01:00:00Z.
    const HOUR: Millis = Millis(1_764_637_200_000);

    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
    }

    fn account() -> AccountId {
        AccountId::parse("acme").unwrap()
    }

    fn minute(hour: Millis, m: i64) -> StoredRecord {
        StoredRecord {
            instrument: key(),
            t: hour.plus(m * Millis::MINUTE),
            values: encode_values(&[(0, Value::Number(m as f64 / 4.0))]),
        }
    }

    #[test]
    fn each_hour_is_rechecked_by_two_daily_sweeps_before_its_live_records_expire() {
        let now = HOUR.plus(7 * Millis::DAY + 5 * Millis::MINUTE);
        let (from, to) = hours_rechecked(now);
        assert_eq!(to.0 - from.0, 2 * Millis::DAY);
        // Records stamped (and written) at an hour expire one to three days after.
        assert_eq!(
            from.plus(RAW_RECORDS_KEPT).0 - now.0,
            Millis::DAY - 5 * Millis::MINUTE
        );
        let next_day = hours_rechecked(now.plus(Millis::DAY));
        assert_eq!(next_day.0, from.plus(Millis::DAY));
    }

    #[tokio::test]
    async fn hours_nobody_marked_are_compacted_before_their_records_expire() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let now = HOUR.plus(5 * Millis::DAY);
        let (from, _) = hours_rechecked(now);
        // Three hours in the window: one compacted whole, one compacted before a record
        // came late, one never; and an hour too recent to look at.
        let (whole, late, never) = (from, from.plus(Millis::HOUR), from.plus(30 * Millis::HOUR));
        let recent = now.plus(-Millis::DAY);
        let stored: Vec<StoredRecord> = [whole, late, never, recent]
            .iter()
            .flat_map(|&hour| (0..30).map(move |m| minute(hour, m)))
            .collect();
        records.put(&stored).await.unwrap();
        for hour in [whole, late] {
            compact_hour(&records, &key(), hour, now).await.unwrap();
        }
        records.put(&[minute(late, 45)]).await.unwrap();

        let report = recheck_expiring(&records, &usage, &account(), &key(), now)
            .await
            .unwrap();
        assert_eq!((report.stored, report.up_to_date), (2, 0), "{report:?}");
        let again = recheck_expiring(&records, &usage, &account(), &key(), now)
            .await
            .unwrap();
        assert_eq!(again, PendingReport::default(), "nothing is left to do");

        // Kept only where compacted: the recent hour's records are not yet due here.
        records
            .keep_raw(&key(), recent, now, usize::MAX)
            .await
            .unwrap();
        records.expire();
        let read = history::range(&records, &key(), from, now, 1_000)
            .await
            .unwrap();
        assert_eq!(read.len(), 4 * 30 + 1);
    }
}

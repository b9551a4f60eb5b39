//! The sweep's part in compaction: each account's closed hours still marked pending, and
//! its keys' backlogs, are compacted once a day. The usage function compacts an hour on the first delivery of
//! the key after the hour closes; an instrument that went quiet sends none, so its last
//! hour waits for the sweep.

use async_trait::async_trait;

use super::deletion::StoredData;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::ports::{ChunkStore, DataUsage, RecordStore, StoreError};
use crate::usecases::compact_pending::{compact_backlog, compact_pending, PendingReport};

/// Compacts an account's marked hours: the sweep's one way to, so its decisions can be
/// tested apart from the stores.
#[async_trait]
pub trait CompactMarked: Send + Sync {
    /// Compacts the hours of `account`'s keys marked pending and closed by `now`, key by
    /// key while `time_left()` says another fits; what is left stays marked for the
    /// next delivery or sweep.
    async fn compact_marked(
        &self,
        account: &AccountId,
        now: Millis,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<PendingReport, StoreError>;
}

#[async_trait]
impl<S, R, B> CompactMarked for StoredData<'_, S, R, B>
where
    S: DataUsage,
    R: RecordStore + ChunkStore,
    B: Send + Sync,
{
    async fn compact_marked(
        &self,
        account: &AccountId,
        now: Millis,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<PendingReport, StoreError> {
        let mut report = PendingReport::default();
        for (key, pending) in self.store.pending_hours(account).await? {
            if !time_left() {
                report.still_pending += pending.len();
                continue;
            }
            let compacted =
                compact_pending(self.records, self.store, account, &key, &pending, now).await?;
            report.add(compacted);
            let pending = self.store.key_pending(account, &key).await?;
            if let Some(from) = pending.backlog_from {
                let read = (from, pending.backlog_version);
                let backlog =
                    compact_backlog(self.records, self.store, account, &key, read, now).await?;
                report.add(backlog);
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::record::Value;
    use crate::domain::registry::InstrumentKey;
    use crate::domain::usage::{StreamPosition, Tally};
    use crate::memory::{MemoryRecords, MemoryStore};
    use crate::ports::StoredRecord;

    /// 2025-12-02T01:00:00Z.
    const HOUR: Millis = Millis(1_764_637_200_000);

    /// Stores one record at `t` under `key` and marks its hour, as the stream would.
    async fn stored(records: &MemoryRecords, usage: &MemoryStore, key: &str, t: Millis) {
        let key = InstrumentKey::from_stored(key.into());
        let record = StoredRecord {
            instrument: key.clone(),
            t,
            values: encode_values(&[(0, Value::Number(1.5))]),
        };
        records.put(&[record]).await.unwrap();
        let at = StreamPosition::parse(&t.0.to_string()).unwrap();
        let tally = Tally {
            bytes: 1,
            first: at.clone(),
            last: at,
            stored_hours: [t.start_of_hour()].into(),
        };
        let account = key.account().unwrap();
        usage.count_data(&account, &key, &tally).await.unwrap();
    }

    #[tokio::test]
    async fn a_quiet_instruments_closed_hours_are_compacted_and_open_ones_wait() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        stored(&records, &usage, "acme/gw.r1/LR-1/i1", HOUR).await;
        stored(
            &records,
            &usage,
            "acme/gw.r1/LR-2/i1",
            HOUR.plus(Millis::HOUR),
        )
        .await;
        stored(&records, &usage, "other/gw.r1/LR-1/i1", HOUR).await;
        let data = StoredData {
            store: &usage,
            records: &records,
            bucket: &(),
        };
        let acme = AccountId::parse("acme").unwrap();
        // The first hour closed, the second not yet.
        let now = HOUR.plus(Millis::HOUR + 20 * Millis::MINUTE);

        let out_of_time = data.compact_marked(&acme, now, &|| false).await.unwrap();
        assert_eq!((out_of_time.stored, out_of_time.still_pending), (0, 2));

        let report = data.compact_marked(&acme, now, &|| true).await.unwrap();
        assert_eq!((report.stored, report.still_pending), (1, 1));
        let left = usage.pending_hours(&acme).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].0.as_str(), "acme/gw.r1/LR-2/i1");
        let other = AccountId::parse("other").unwrap();
        assert_eq!(usage.pending_hours(&other).await.unwrap().len(), 1);
    }
}

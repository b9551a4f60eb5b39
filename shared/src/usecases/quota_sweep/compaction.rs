//! The sweep's part in compaction: each account's closed hours still marked pending, and
//! its keys' backlogs, are compacted once a day, and the hours whose records expire soon
//! are looked at again ([`crate::usecases::expiry_net`]). The usage function compacts an hour on the first delivery of
//! the key after the hour closes; an instrument that went quiet sends none, so its last
//! hour waits for the sweep.

use async_trait::async_trait;

use super::deletion::StoredData;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::ports::{ChunkStore, DataUsage, RecordStore, StoreError};
use crate::usecases::compact_pending::{compact_backlog, compact_pending, PendingReport};
use crate::usecases::expiry_net::recheck_expiring;

/// Compacts an account's marked hours: the sweep's one way to, so its decisions can be
/// tested apart from the stores.
#[async_trait]
pub trait CompactMarked: Send + Sync {
    /// Compacts the hours of `account`'s keys marked pending and closed by `now` with a
    /// step of each backlog, key by key while `time_left()` says another fits; then the
    /// hours whose records expire soon ([`crate::usecases::expiry_net`]); then walks the
    /// backlogs on while there is time. What is left stays marked (a backlog where it
    /// got to) for the next delivery or sweep.
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
        // Every key's marked hours and a step of its backlog first, then the net, and
        // only then the rest of the backlogs: a long backlog of one key (a tenant's
        // import) takes no other key's turn.
        let mut report = PendingReport::default();
        let mut walking = Vec::new();
        for (key, pending) in self.store.pending_hours(account).await? {
            if !time_left() {
                report.still_pending += pending.len();
                continue;
            }
            let compacted =
                compact_pending(self.records, self.store, account, &key, &pending, now).await?;
            report.add(compacted);
            if self.backlog_step(account, &key, now, &mut report).await? {
                walking.push(key);
            }
        }
        // The net under expiry: hours whose records expire soon, compacted if unmarked.
        for key in self.store.data_keys(account).await? {
            if key.holds_records() && time_left() {
                let rechecked =
                    recheck_expiring(self.records, self.store, account, &key, now).await?;
                report.add(rechecked);
            }
        }
        // The backlogs left are walked to their ends while there is time: their records
        // expire a week after written, compacted or not, and deliveries walk them only
        // while they come.
        for key in walking {
            while time_left() {
                // The step before told the backlog still pending; this one tells anew.
                report.still_pending = report.still_pending.saturating_sub(1);
                if !self.backlog_step(account, &key, now, &mut report).await? {
                    break;
                }
            }
        }
        Ok(report)
    }
}

impl<S, R, B> StoredData<'_, S, R, B>
where
    S: DataUsage,
    R: RecordStore + ChunkStore,
    B: Send + Sync,
{
    /// Walks one step of `key`'s backlog, if it has one, into `report` (a backlog left is
    /// one still pending); whether the backlog is left and the step got on with it (moved
    /// on, or kept records of an hour left raw it waits at).
    async fn backlog_step(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        now: Millis,
        report: &mut PendingReport,
    ) -> Result<bool, StoreError> {
        let pending = self.store.key_pending(account, key).await?;
        let Some(from) = pending.backlog_from else {
            return Ok(false);
        };
        let read = (from, pending.backlog_version);
        let step = compact_backlog(self.records, self.store, account, key, read, now).await?;
        let kept = step.kept_raw;
        report.add(step);
        let after = self.store.key_pending(account, key).await?;
        Ok(after
            .backlog_from
            .is_some_and(|next| next > from || kept > 0))
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
    use crate::ports::{ChunkStore, StoredRecord};
    use crate::usecases::history;

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
        assert_eq!(report.awaiting_day, 1, "compacted, its day not over");
        let mut left = usage.pending_hours(&acme).await.unwrap();
        left.retain(|(_, hours)| hours.iter().any(|h| !h.marked.is_compacted()));
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].0.as_str(), "acme/gw.r1/LR-2/i1");
        let other = AccountId::parse("other").unwrap();
        assert_eq!(usage.pending_hours(&other).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn an_hour_nobody_marked_is_compacted_by_the_sweep_before_its_records_expire() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let key = InstrumentKey::from_stored("acme/gw.r1/LR-1/i1".into());
        let record = StoredRecord {
            instrument: key.clone(),
            t: HOUR,
            values: encode_values(&[(0, Value::Number(4.5))]),
        };
        records.put(&[record]).await.unwrap();
        // Counted, but its hour never marked (as if the batch that marked it was lost).
        let at = StreamPosition::parse("9").unwrap();
        let tally = Tally {
            bytes: 1,
            first: at.clone(),
            last: at,
            stored_hours: Default::default(),
        };
        let acme = AccountId::parse("acme").unwrap();
        usage.count_data(&acme, &key, &tally).await.unwrap();
        let data = StoredData {
            store: &usage,
            records: &records,
            bucket: &(),
        };
        let now = HOUR.plus(5 * Millis::DAY);
        let out_of_time = data.compact_marked(&acme, now, &|| false).await.unwrap();
        assert_eq!(out_of_time.stored, 0);
        let report = data.compact_marked(&acme, now, &|| true).await.unwrap();
        assert_eq!(report.stored, 1, "{report:?}");
        let chunks = records.chunks(&key, HOUR, now, 10).await.unwrap();
        assert_eq!(chunks.len(), 1);
    }

    #[tokio::test]
    async fn a_backlog_is_walked_to_its_end_in_one_sweep_while_there_is_time() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let key = InstrumentKey::from_stored("acme/gw.r1/LR-1/i1".into());
        // A logger's 200 hours in one delivery: 48 marked, the rest its backlog.
        let hours: Vec<Millis> = (0..200).map(|h| HOUR.plus(h * Millis::HOUR)).collect();
        let backlog: Vec<StoredRecord> = hours
            .iter()
            .map(|&t| StoredRecord {
                instrument: key.clone(),
                t,
                values: encode_values(&[(0, Value::Number(2.5))]),
            })
            .collect();
        records.put(&backlog).await.unwrap();
        let at = StreamPosition::parse("7").unwrap();
        let tally = Tally {
            bytes: 1,
            first: at.clone(),
            last: at,
            stored_hours: hours.iter().copied().collect(),
        };
        let acme = AccountId::parse("acme").unwrap();
        usage.count_data(&acme, &key, &tally).await.unwrap();
        assert!(usage
            .key_pending(&acme, &key)
            .await
            .unwrap()
            .backlog_from
            .is_some());
        let data = StoredData {
            store: &usage,
            records: &records,
            bucket: &(),
        };
        let now = HOUR.plus(201 * Millis::HOUR);

        // Time for one step of the walk only: the rest waits, still pending.
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let once = || asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0;
        let report = data.compact_marked(&acme, now, &once).await.unwrap();
        assert_eq!((report.stored, report.still_pending), (48 + 48, 1));

        let report = data.compact_marked(&acme, now, &|| true).await.unwrap();
        assert_eq!((report.stored, report.still_pending), (200 - 96, 0));
        let pending = usage.key_pending(&acme, &key).await.unwrap();
        assert_eq!((pending.hours.len(), pending.backlog_from), (0, None));
        assert_eq!(records.expire(), 200);
        let read = history::range(&records, &key, HOUR, now, 1_000)
            .await
            .unwrap();
        assert_eq!(
            read, backlog,
            "every hour read from its chunk once its records expired"
        );
        let chunks = records.chunks(&key, HOUR, now, usize::MAX).await.unwrap();
        assert_eq!(chunks.len(), 200);
    }
}

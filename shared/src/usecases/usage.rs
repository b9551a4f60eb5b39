//! Counting measurement data into the storage used: the `usage` function hands each
//! batch of the records table's stream to [`count_changes`]. See
//! [`crate::domain::usage`] for why it is counted this way.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;

use super::compact_pending::{compact_backlog, compact_pending, PendingReport};
use super::compaction::SETTLE;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::{
    tally, DataChange, Mark, PendingHour, StorageUsed, StreamPosition, MARKS_A_DELIVERY,
};
use crate::ports::{ChunkStore, Counted, DataUsage, Files, RecordStore, StoreError};

/// How long after its hour's end a record may still go without marking the hour again
/// (see [`marked_while_open`]): past the stream's longest batching window of 5 minutes,
/// short of [`SETTLE`] by 2.5 minutes.
const UNMARKED_UNTIL: i64 = SETTLE * 3 / 4;

/// Instrument keys counted at once: one small write each.
const CONCURRENT_KEYS: usize = 25;
/// A key found counted past a delivery's start is counted again for the rest; only
/// another reader of the same stream shard could move it on meanwhile, which Lambda
/// does not run. More rounds than this mean something is wrong.
const MAX_ROUNDS: usize = 3;

/// What `account` stores: its files' bytes (exact as each file is indexed or deleted)
/// and its measurement data's (counted from the records table's stream: an hour's data
/// when its chunk is, minutes after the hour closes for a live instrument, days later
/// for a backlog's hours the sweep compacts).
pub async fn storage_used(
    store: &(impl Files + DataUsage),
    account: &AccountId,
) -> Result<StorageUsed, StoreError> {
    let (files, data) =
        futures_util::future::try_join(store.files_bytes(account), store.data_bytes(account))
            .await?;
    Ok(StorageUsed { files, data })
}

/// What one batch did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UsageReport {
    /// Instrument keys whose bytes changed.
    pub keys: usize,
    /// The bytes added in all (negative when more was deleted).
    pub bytes: i64,
    /// Keys of the batch counted already, wholly or in part (a redelivery).
    pub seen_before: usize,
    /// Changes of keys that name no account, left out.
    pub ignored: usize,
    /// Stream records that are no change of a records-table item, left out (set by the
    /// function, which reads them).
    pub unreadable: usize,
    /// The hours of the batch's keys compacted, or still waiting.
    pub hours: PendingReport,
    /// Objects of chunks no item points at any more, deleted (again, on a redelivery).
    pub objects_deleted: usize,
}

/// Adds the bytes of `changes` to their accounts' storage used, each change once
/// however often its batch is delivered, marks the hours records were stored in, and
/// compacts each counted key's marked hours that have closed by `now`.
pub async fn count_changes(
    store: &impl DataUsage,
    records: &(impl RecordStore + ChunkStore),
    changes: &[DataChange],
    now: Millis,
) -> Result<UsageReport, StoreError> {
    // Before counting: a redelivered batch deletes them again, which succeeds.
    let released: Vec<&str> = changes
        .iter()
        .filter_map(|c| c.released.as_deref())
        .collect();
    for objects in released.chunks(CONCURRENT_KEYS) {
        try_join_all(objects.iter().map(|object| records.delete_released(object))).await?;
    }
    let mut by_key: BTreeMap<&InstrumentKey, Vec<&DataChange>> = BTreeMap::new();
    for change in changes {
        by_key.entry(&change.key).or_default().push(change);
    }
    let mut report = UsageReport {
        objects_deleted: released.len(),
        ..UsageReport::default()
    };
    let keys: Vec<_> = by_key.into_iter().collect();
    for chunk in keys.chunks(CONCURRENT_KEYS) {
        let outcomes = try_join_all(
            chunk
                .iter()
                .map(|(key, changes)| count_key(store, records, key, changes, now)),
        )
        .await?;
        for outcome in outcomes {
            match outcome {
                KeyOutcome::Counted {
                    bytes,
                    seen_before,
                    hours,
                } => {
                    report.keys += usize::from(bytes != 0);
                    report.bytes += bytes;
                    report.seen_before += usize::from(seen_before);
                    report.hours.add(hours);
                }
                KeyOutcome::NoAccount(key) => {
                    tracing::error!(key = %key.as_str(), "a records-table key names no account: not counted");
                    report.ignored += 1;
                }
            }
        }
    }
    Ok(report)
}

enum KeyOutcome {
    Counted {
        bytes: i64,
        seen_before: bool,
        hours: PendingReport,
    },
    NoAccount(InstrumentKey),
}

async fn count_key(
    store: &impl DataUsage,
    records: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    changes: &[&DataChange],
    now: Millis,
) -> Result<KeyOutcome, StoreError> {
    let Some(account) = key.account() else {
        return Ok(KeyOutcome::NoAccount(key.clone()));
    };
    let mut counted_through: Option<StreamPosition> = None;
    for _ in 0..MAX_ROUNDS {
        let tallies = tally(changes.iter().copied(), |_| counted_through.clone());
        let Some(tally) = tallies.get(key) else {
            // All of it was counted before.
            return Ok(KeyOutcome::Counted {
                bytes: 0,
                seen_before: true,
                hours: PendingReport::default(),
            });
        };
        // Every change nothing, not a sum of nothing: part of a redelivered batch may
        // have been counted already.
        if changes.iter().all(|change| change.bytes == 0) {
            if let Some(marks) = store.key_marks(&account, key).await? {
                if marked_while_open(&tally.stored_hours, &marks, now) {
                    let hours = compact_pending(records, store, &account, key, &marks, now).await?;
                    return Ok(KeyOutcome::Counted {
                        bytes: 0,
                        seen_before: counted_through.is_some(),
                        hours,
                    });
                }
            }
        }
        // A backlog over more hours than a delivery marks: its later hours start the
        // key's backlog, compacted below and by the daily sweep.
        let unmarked = tally.stored_hours.len().saturating_sub(MARKS_A_DELIVERY);
        if unmarked > 0 {
            tracing::error!(
                key = %key.as_str(), unmarked,
                "hours of a backlog left unmarked: the key's backlog, compacted from its start"
            );
        }
        match store.count_data(&account, key, tally).await? {
            Counted::Counted(pending) => {
                let mut hours =
                    compact_pending(records, store, &account, key, &pending, now).await?;
                hours.unmarked += unmarked;
                // A backlog this delivery started is compacted at once as far as a call
                // goes; one left over, by the daily sweep.
                if unmarked > 0 {
                    let pending = store.key_pending(&account, key).await?;
                    if let Some(from) = pending.backlog_from {
                        let read = (from, pending.backlog_version);
                        let backlog =
                            compact_backlog(records, store, &account, key, read, now).await?;
                        hours.add(backlog);
                    }
                }
                return Ok(KeyOutcome::Counted {
                    bytes: tally.bytes,
                    seen_before: counted_through.is_some(),
                    hours,
                });
            }
            Counted::Already(through) => counted_through = Some(through),
        }
    }
    Err(StoreError::Unavailable(format!(
        "the data bytes of {} kept moving under another counter",
        key.as_str()
    )))
}

/// Whether a delivery that adds no bytes may leave its key's item as it is: it
/// stored records only in `hours` already marked (`marks`) and more than
/// [`UNMARKED_UNTIL`] from closing as of `now`. A live instrument's batches are so
/// after the first of each hour, and write nothing. The mark's stream position stays
/// older than the records, which is safe only while no compaction of the hour can
/// have read its records before they were stored: compaction waits the whole of
/// [`SETTLE`] by its own clock (the sweep's trails; no clock may lead the
/// function's by the rest of it). A record for an hour closer to closing marks it
/// again.
fn marked_while_open(hours: &BTreeSet<Millis>, marks: &[PendingHour], now: Millis) -> bool {
    hours.len() <= MARKS_A_DELIVERY
        && hours.iter().all(|hour| {
            marks
                .iter()
                .any(|mark| mark.hour == *hour && matches!(mark.marked, Mark::Stored(_)))
                && now < hour.plus(Millis::HOUR + UNMARKED_UNTIL)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{MemoryRecords, MemoryStore};

    fn change(key: &str, sequence: u64, bytes: i64) -> DataChange {
        DataChange {
            key: InstrumentKey::from_stored(key.into()),
            position: StreamPosition::parse(&sequence.to_string()).unwrap(),
            bytes,
            stored_hour: None,
            released: None,
        }
    }

    /// Counts a batch of changes that store no record, so nothing is compacted.
    async fn count(store: &MemoryStore, changes: &[DataChange]) -> UsageReport {
        count_changes(store, &MemoryRecords::default(), changes, Millis(0))
            .await
            .unwrap()
    }

    fn account(id: &str) -> AccountId {
        AccountId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn each_change_counts_once_however_batches_are_delivered_again() {
        let store = MemoryStore::new();
        let stream: Vec<DataChange> = (0..40)
            .map(|i| {
                change(
                    if i % 3 == 0 { "acme/a" } else { "acme/b" },
                    100 + i,
                    10 + i as i64,
                )
            })
            .chain([change("other/c", 200, 99)])
            .collect();
        let expected: i64 = stream[..40].iter().map(|c| c.bytes).sum();

        // Delivered in batches, each batch again after it (a retry), then one
        // overlapping two batches (a retry cut elsewhere).
        for batch in stream.chunks(7) {
            count(&store, batch).await;
            let again = count(&store, batch).await;
            assert_eq!(again.bytes, 0);
            assert!(again.seen_before > 0);
        }
        let overlapping = count(&store, &stream[5..20]).await;
        assert_eq!(overlapping.bytes, 0);
        assert_eq!(
            store.data_bytes(&account("acme")).await.unwrap(),
            expected as u64
        );
        assert_eq!(store.data_bytes(&account("other")).await.unwrap(), 99);
    }

    #[tokio::test]
    async fn a_batch_partly_counted_counts_the_rest() {
        let store = MemoryStore::new();
        let stream: Vec<DataChange> = (0..10).map(|i| change("acme/a", 100 + i, 5)).collect();
        count(&store, &stream[..4]).await;
        let rest = count(&store, &stream).await;
        assert_eq!(rest.bytes, 30);
        assert_eq!(rest.seen_before, 1);
        assert_eq!(store.data_bytes(&account("acme")).await.unwrap(), 50);
    }

    #[tokio::test]
    async fn a_redelivery_partly_counted_whose_changes_add_up_to_nothing_counts_the_rest() {
        let store = MemoryStore::new();
        let stream = [change("acme/a", 100, 5), change("acme/a", 101, -5)];
        count(&store, &stream[..1]).await;
        count(&store, &stream).await;
        assert_eq!(store.data_bytes(&account("acme")).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn deletions_take_bytes_off_and_keys_of_no_account_are_left_out() {
        let store = MemoryStore::new();
        let changes = [
            change("acme/a", 100, 70),
            change("acme/a", 101, 70),
            change("acme/a", 102, -70),
            change("no-slash", 103, 1_000),
        ];
        let report = count(&store, &changes).await;
        assert_eq!(report.bytes, 70);
        assert_eq!(report.ignored, 1);
        assert_eq!(store.data_bytes(&account("acme")).await.unwrap(), 70);
    }

    #[tokio::test]
    async fn a_live_key_writes_its_marks_once_an_hour_and_again_for_a_record_near_closing() {
        let store = MemoryStore::new();
        let records = MemoryRecords::default();
        let (acme, key) = (account("acme"), InstrumentKey::from_stored("acme/a".into()));
        let hour = |h: i64| Millis(h * Millis::HOUR);
        let live = |sequence: u64, stored: i64| DataChange {
            stored_hour: Some(hour(stored)),
            ..change("acme/a", sequence, 0)
        };
        let deliver = |changes: Vec<DataChange>, now: i64| {
            let (store, records) = (&store, &records);
            async move {
                count_changes(store, records, &changes, Millis(now))
                    .await
                    .unwrap()
            }
        };
        let marks = || async { store.key_marks(&acme, &key).await.unwrap().unwrap() };
        let minute = Millis::MINUTE;
        deliver(vec![live(100, 5)], hour(5).0 + 3 * minute).await;
        assert_eq!(
            marks().await[0].marked,
            Mark::Stored(StreamPosition::parse("100").unwrap())
        );
        // Later batches of the hour, nothing charged: the item is not written.
        deliver(vec![live(110, 5), live(111, 5)], hour(5).0 + 40 * minute).await;
        deliver(vec![live(120, 5)], hour(6).0 + 7 * minute).await;
        assert_eq!(
            marks().await[0].marked,
            Mark::Stored(StreamPosition::parse("100").unwrap())
        );
        // A record of the hour close to its closing marks it again, as does one that
        // adds bytes.
        deliver(vec![live(130, 5)], hour(6).0 + 8 * minute).await;
        assert_eq!(
            marks().await[0].marked,
            Mark::Stored(StreamPosition::parse("130").unwrap())
        );
        deliver(
            vec![DataChange {
                bytes: 7,
                ..live(140, 5)
            }],
            hour(5).0 + 50 * minute,
        )
        .await;
        assert_eq!(
            marks().await[0].marked,
            Mark::Stored(StreamPosition::parse("140").unwrap())
        );
        // The next hour's first batch marks it; a later one, writing nothing, still
        // compacts the hour closed meanwhile (its mark then waits for its day's end).
        deliver(vec![live(150, 6)], hour(6).0 + 6 * minute).await;
        assert_eq!(marks().await.len(), 2);
        let report = deliver(vec![live(160, 6)], hour(6).0 + 12 * minute).await;
        assert_eq!(report.bytes, 0);
        assert_eq!(report.hours.awaiting_day, 1, "{report:?}");
        let left: Vec<_> = marks()
            .await
            .into_iter()
            .map(|p| (p.hour, p.marked))
            .collect();
        assert_eq!(
            left,
            vec![
                (
                    hour(5),
                    Mark::Stored(StreamPosition::parse("140").unwrap()).compacted()
                ),
                (hour(6), Mark::Stored(StreamPosition::parse("150").unwrap()))
            ]
        );
    }

    #[tokio::test]
    async fn a_backlog_marks_as_many_hours_as_a_delivery_may_and_tells_of_the_rest() {
        let store = MemoryStore::new();
        let hours = MARKS_A_DELIVERY + 12;
        let changes: Vec<DataChange> = (0..hours)
            .map(|h| DataChange {
                stored_hour: Some(Millis(h as i64 * Millis::HOUR)),
                ..change("acme/a", 100 + h as u64, 5)
            })
            .collect();
        let report = count(&store, &changes).await;
        assert_eq!(report.hours.unmarked, 12);
        let pending = store.pending_hours(&account("acme")).await.unwrap();
        assert_eq!(pending[0].1.len(), MARKS_A_DELIVERY);
        assert_eq!(pending[0].1[0].hour, Millis(0), "the oldest are marked");
    }
}

//! Compacting the hours marked pending ([`crate::domain::usage::PendingHour`]): the
//! `usage` function does it for each key right after a delivery marks it (so a live
//! instrument's hour is compacted by the first delivery after it closed), and the daily
//! quota sweep for every key still marked (an instrument that went quiet). A mark comes
//! off (or is made compacted) only once its hour is compacted and only if no delivery
//! marked it again meanwhile, so a record that arrives during a compaction is taken in
//! by the next.
//!
//! An hour compacted while its day goes on is not rolled up on its own: its mark is
//! made compacted ([`crate::domain::usage::Mark::Compacted`]), and once the day has
//! ended the first call after rolls the whole day up at once ([`roll_up_day`]) and
//! takes the day's marks off in one write. Graphs read a marked hour from its chunk
//! meanwhile, as they read any hour not known to be rolled up.

use serde::Serialize;

use std::collections::BTreeMap;

use super::compaction::{compact_hour, compact_hour_alone, Compacted, SETTLE};
use super::rollups::roll_up_day;
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::{PendingHour, MARKS_A_DELIVERY, NEVER};
use crate::ports::{BacklogStep, ChunkStore, DataUsage, RecordStore, StoreError};

/// Hours of one key compacted at most per call: as many as a delivery marks, so a
/// backlog's marks are taken off as fast as they come and its key's item stays small,
/// within a function's timeout; the rest stay marked.
pub const HOURS_A_CALL: usize = MARKS_A_DELIVERY;

/// What compacting pending hours did, in hours.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingReport {
    /// Compacted into a chunk stored now.
    pub stored: usize,
    /// Their chunk held every record already.
    pub up_to_date: usize,
    /// Too many records or too many bytes for a chunk, or a record that does not
    /// decode: left raw, logged.
    pub left_raw: usize,
    /// Still marked: not closed yet, compacted by another run at the same time, marked
    /// again meanwhile, past [`HOURS_A_CALL`], or left raw with records still to keep
    /// (past [`KEPT_A_CALL`]); compacted hours of an ended day whose roll-up raced or
    /// one of whose marks changed; or a backlog not done with.
    pub still_pending: usize,
    /// A backlog's hours past [`MARKS_A_DELIVERY`] of one delivery: never marked, they
    /// start the key's backlog (logged), compacted by [`compact_backlog`].
    pub unmarked: usize,
    /// Records of hours left raw taken off expiry (at most [`KEPT_A_CALL`] a call).
    pub kept_raw: usize,
    /// Compacted, marked so until their day ends and is rolled up whole.
    pub awaiting_day: usize,
    /// Days rolled up whole, their hours' marks taken off.
    pub days_rolled: usize,
}

impl PendingReport {
    pub fn add(&mut self, other: PendingReport) {
        self.kept_raw += other.kept_raw;
        self.stored += other.stored;
        self.up_to_date += other.up_to_date;
        self.left_raw += other.left_raw;
        self.still_pending += other.still_pending;
        self.unmarked += other.unmarked;
        self.awaiting_day += other.awaiting_day;
        self.days_rolled += other.days_rolled;
    }
}

/// Whether `hour` (an hour's start) has closed by `now`, so compacting it can take it in
/// for good.
pub fn is_closed(hour: Millis, now: Millis) -> bool {
    hour < first_open_hour(now)
}

/// The first hour not closed by `now`: an hour closes [`SETTLE`] after its end.
pub fn first_open_hour(now: Millis) -> Millis {
    now.plus(-(Millis::HOUR + SETTLE))
        .start_of_hour()
        .plus(Millis::HOUR)
}

/// Compacts the closed ones of `key`'s `pending` hours (oldest first, at most
/// [`HOURS_A_CALL`]) and takes their marks off, or makes them compacted while their day
/// goes on; rolls up each day that has ended with compacted hours, and takes their marks
/// off.
pub async fn compact_pending(
    records: &(impl RecordStore + ChunkStore),
    usage: &impl DataUsage,
    account: &AccountId,
    key: &InstrumentKey,
    pending: &[PendingHour],
    now: Millis,
) -> Result<PendingReport, StoreError> {
    let mut report = PendingReport::default();
    let (compacted, stored): (Vec<_>, Vec<_>) =
        pending.iter().partition(|p| p.marked.is_compacted());
    let mut awaiting: BTreeMap<Millis, Vec<PendingHour>> = BTreeMap::new();
    for mark in compacted {
        awaiting
            .entry(mark.hour.start_of_day())
            .or_default()
            .push(mark.clone());
    }
    let (closed, open): (Vec<_>, Vec<_>) = stored.into_iter().partition(|p| is_closed(p.hour, now));
    report.still_pending += open.len() + closed.len().saturating_sub(HOURS_A_CALL);
    let closed: Vec<&PendingHour> = closed.into_iter().take(HOURS_A_CALL).collect();
    let mut hours_of_day: BTreeMap<Millis, usize> = BTreeMap::new();
    for mark in &closed {
        *hours_of_day.entry(mark.hour.start_of_day()).or_default() += 1;
    }
    for mark in closed {
        let day = mark.hour.start_of_day();
        let ended = day_ended(day, now);
        // Rolled up with its day: while the day goes on, while other hours of it wait
        // for it to be rolled up anyway, or with others of it compacted here (a day
        // sent late), where each rolled up on its own would rewrite the day's items.
        let with_day = !ended || awaiting.contains_key(&day) || hours_of_day[&day] > 1;
        let raw_before = report.left_raw;
        let done = take_in(
            records,
            usage,
            (account, key),
            mark.hour,
            now,
            with_day,
            &mut report,
        )
        .await?;
        // Left raw, the key is rolled up no more: nothing for the day's roll-up to do.
        let left_raw = report.left_raw > raw_before;
        if !done {
            report.still_pending += 1;
        } else if !with_day || left_raw {
            if !usage.unmark_hour(account, key, mark).await? {
                report.still_pending += 1;
            }
        } else if ended {
            // Its day is rolled up below, in this call, and its mark taken off with the
            // day's; should that not happen, the next call compacts it again (finding
            // its chunk up to date) and rolls up its day.
            awaiting.entry(day).or_default().push(mark.clone());
        } else if usage.mark_compacted(account, key, mark).await? {
            awaiting.entry(day).or_default().push(PendingHour {
                hour: mark.hour,
                marked: mark.marked.compacted(),
            });
        } else {
            report.still_pending += 1;
        }
    }
    for (day, hours) in awaiting {
        if !day_ended(day, now) {
            report.awaiting_day += hours.len();
        } else if roll_up_whole_day(records, usage, account, key, day, now).await?
            && usage.unmark_hours(account, key, &hours).await?
        {
            report.days_rolled += 1;
        } else {
            report.still_pending += hours.len();
        }
    }
    Ok(report)
}

/// Whether every hour of `day` has closed by `now`.
fn day_ended(day: Millis, now: Millis) -> bool {
    is_closed(day.plus(Millis::DAY - Millis::HOUR), now)
}

/// Rolls `day` of `key` up whole: whether it is done with (its hours' marks may come
/// off). A day that cannot be rolled up (a chunk that does not decode, a day too big
/// for its items) stops the key's rollups, as an hour that cannot does.
async fn roll_up_whole_day(
    records: &impl ChunkStore,
    usage: &impl DataUsage,
    account: &AccountId,
    key: &InstrumentKey,
    day: Millis,
    now: Millis,
) -> Result<bool, StoreError> {
    match roll_up_day(records, key, day, now).await {
        Ok(done) => Ok(done),
        Err(StoreError::Corrupt(reason)) => {
            tracing::error!(
                key = %key.as_str(), day = %day.iso(), %reason,
                "a day that cannot be rolled up; the key is rolled up no more"
            );
            usage.keep_rollups_from(account, key, NEVER).await?;
            Ok(true)
        }
        Err(unavailable) => Err(unavailable),
    }
}

/// Compacts the closed hours of `key`'s backlog as read — its start and version (at most
/// [`HOURS_A_CALL`], finding each by its first record) — and moves the backlog's start
/// on past them; takes it off once no record is left from it on. A backlog kept again
/// meanwhile is not moved: the next walk goes over it.
pub async fn compact_backlog(
    records: &(impl RecordStore + ChunkStore),
    usage: &impl DataUsage,
    account: &AccountId,
    key: &InstrumentKey,
    (from, version): (Millis, u64),
    now: Millis,
) -> Result<PendingReport, StoreError> {
    let mut report = PendingReport::default();
    let mut at = from;
    let mut left = HOURS_A_CALL;
    let step = loop {
        let Some(hour) = next_hour(records, key, at).await? else {
            break BacklogStep::TakeOff { open_hours: vec![] };
        };
        if !is_closed(hour, now) {
            // Usually the last hour or two with a current clock: marked, they are
            // compacted like any other once closed, and the backlog is done with. More
            // (a sweep's clock hours behind) keep the backlog here for a later walk.
            let mut open_hours = vec![hour];
            let mut more = false;
            while let Some(later) = next_hour(records, key, hour_after(&open_hours)).await? {
                if open_hours.len() == MAX_OPEN_HOURS_MARKED {
                    more = true;
                    break;
                }
                open_hours.push(later);
            }
            break if more {
                BacklogStep::MoveTo(hour)
            } else {
                BacklogStep::TakeOff { open_hours }
            };
        }
        if left == 0
            || !take_in(
                records,
                usage,
                (account, key),
                hour,
                now,
                false,
                &mut report,
            )
            .await?
        {
            break BacklogStep::MoveTo(hour);
        }
        left -= 1;
        at = hour.plus(Millis::HOUR);
    };
    let moved_on = matches!(step, BacklogStep::MoveTo(_));
    // Only over the backlog read: a delivery may have kept one meanwhile.
    if !usage
        .advance_backlog(account, key, (from, version), step)
        .await?
        || moved_on
    {
        report.still_pending += 1;
    }
    Ok(report)
}

/// The most hours not closed yet a backlog's walk marks when it takes the backlog off.
const MAX_OPEN_HOURS_MARKED: usize = 4;

/// The hour of `key`'s first record at or after `at`, if any.
async fn next_hour(
    records: &impl RecordStore,
    key: &InstrumentKey,
    at: Millis,
) -> Result<Option<Millis>, StoreError> {
    let first = records
        .range_consistently(key, at, Millis(i64::MAX), 1)
        .await?
        .pop();
    Ok(first.map(|record| record.t.start_of_hour()))
}

/// The start of the hour after the last of `hours`.
fn hour_after(hours: &[Millis]) -> Millis {
    hours
        .last()
        .map_or(Millis(i64::MAX), |hour| hour.plus(Millis::HOUR))
}

/// Compacts `hour` of `key` (rolled up, unless `with_day`: left to its day's roll-up)
/// and counts what became of it: whether it is done with (its mark may come off).
pub(super) async fn take_in(
    records: &(impl RecordStore + ChunkStore),
    usage: &impl DataUsage,
    (account, key): (&AccountId, &InstrumentKey),
    hour: Millis,
    now: Millis,
    with_day: bool,
    report: &mut PendingReport,
) -> Result<bool, StoreError> {
    let compacted = if with_day {
        compact_hour_alone(records, key, hour, now).await
    } else {
        compact_hour(records, key, hour, now).await
    };
    Ok(match compacted {
        Ok(Compacted::Stored { .. }) => {
            report.stored += 1;
            true
        }
        Ok(Compacted::UpToDate) => {
            report.up_to_date += 1;
            true
        }
        Ok(Compacted::TooBig {
            records: count,
            bytes,
        }) => {
            // An operator searches for this: the hour stays raw records.
            tracing::error!(
                key = %key.as_str(), hour = %hour.iso(), records = count, bytes,
                "an hour too big for a chunk is left raw; the key is rolled up no more"
            );
            report.left_raw += 1;
            left_raw(records, usage, account, key, hour, report).await?
        }
        // A record (or chunk) that does not decode, or rollups too big to store, will
        // not do on a retry either: the hour stays raw rather than hold up the stream's
        // batch for good.
        Err(StoreError::Corrupt(reason)) => {
            tracing::error!(
                key = %key.as_str(), hour = %hour.iso(), %reason,
                "an hour that cannot be compacted or rolled up is left raw; the key is rolled up no more"
            );
            report.left_raw += 1;
            left_raw(records, usage, account, key, hour, report).await?
        }
        Ok(Compacted::Raced | Compacted::Open) => false,
        Err(unavailable) => return Err(unavailable),
    })
}

/// Records of hours left raw taken off expiry at most per call of [`compact_pending`],
/// [`compact_backlog`] or the sweep's net for one key (a write each, 1 WCU): a call's
/// time stays bounded, and an hour stays marked (a backlog at it) until all are.
pub const KEPT_A_CALL: usize = 5_000;

/// An hour left raw: its records are its only copy, kept from expiring (within what is
/// left of the call's [`KEPT_A_CALL`]); the key's graphs read its records from now on.
/// Whether all are kept.
async fn left_raw(
    records: &impl RecordStore,
    usage: &impl DataUsage,
    account: &AccountId,
    key: &InstrumentKey,
    hour: Millis,
    report: &mut PendingReport,
) -> Result<bool, StoreError> {
    usage.keep_rollups_from(account, key, NEVER).await?;
    let budget = KEPT_A_CALL.saturating_sub(report.kept_raw);
    if budget == 0 {
        return Ok(false);
    }
    let end = hour.plus(Millis::HOUR);
    let kept = records.keep_raw(key, hour, end, budget).await?;
    tracing::info!(key = %key.as_str(), hour = %hour.iso(), kept, "records kept raw");
    report.kept_raw += kept;
    Ok(kept < budget)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chunk::ChunkRecord;
    use crate::domain::codec::encode_values;
    use crate::domain::record::Value;
    use crate::domain::usage::{StreamPosition, Tally};
    use crate::memory::{MemoryRecords, MemoryStore};
    use crate::ports::{Counted, StoredRecord};
    use crate::usecases::history;

    /// 2025-12-02T01:00:00Z.
    const HOUR: Millis = Millis(1_764_637_200_000);

    fn account() -> AccountId {
        AccountId::parse("acme").unwrap()
    }

    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
    }

    fn minute(m: i64) -> StoredRecord {
        StoredRecord {
            instrument: key(),
            t: HOUR.plus(m * Millis::MINUTE),
            values: encode_values(&[(0, Value::Number(m as f64))]),
        }
    }

    /// Stores `records` and marks their hours as the usage stream would; the key's marks.
    async fn deliver(
        records: &MemoryRecords,
        usage: &MemoryStore,
        stored: &[StoredRecord],
        position: u64,
    ) -> Vec<PendingHour> {
        records.put(stored).await.unwrap();
        let at = StreamPosition::parse(&position.to_string()).unwrap();
        let tally = Tally {
            bytes: 1,
            first: at.clone(),
            last: at,
            stored_hours: stored.iter().map(|r| r.t.start_of_hour()).collect(),
        };
        match usage.count_data(&account(), &key(), &tally).await.unwrap() {
            Counted::Counted(pending) => pending,
            Counted::Already(_) => panic!("a new position is counted"),
        }
    }

    async fn compact(
        records: &MemoryRecords,
        usage: &MemoryStore,
        pending: &[PendingHour],
        now: Millis,
    ) -> PendingReport {
        compact_pending(records, usage, &account(), &key(), pending, now)
            .await
            .unwrap()
    }

    async fn chunked(records: &MemoryRecords) -> Vec<u32> {
        let all = records
            .chunks(&key(), Millis(0), Millis(i64::MAX), 1_000)
            .await
            .unwrap();
        all.iter().map(|c| c.records).collect()
    }

    #[tokio::test]
    async fn an_hour_is_compacted_once_closed_and_its_mark_then_comes_off() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let hour: Vec<_> = (0..60).map(minute).collect();
        let pending = deliver(&records, &usage, &hour, 100).await;
        let closing = HOUR.plus(Millis::HOUR + SETTLE);

        let early = compact(&records, &usage, &pending, closing.plus(-1)).await;
        assert_eq!(early.still_pending, 1);
        assert!(chunked(&records).await.is_empty());

        let report = compact(&records, &usage, &pending, closing).await;
        assert_eq!((report.stored, report.awaiting_day), (1, 1));
        assert_eq!(chunked(&records).await, vec![60]);
        assert!(waiting_compaction(&usage).await.is_empty());
        // Its day ended, the next call rolls the day up and takes the mark off.
        let marks = marks(&usage).await;
        let report = compact(&records, &usage, &marks, day_end()).await;
        assert_eq!(report.days_rolled, 1, "{report:?}");
        assert!(usage.pending_hours(&account()).await.unwrap().is_empty());
    }

    /// When every hour of `HOUR`'s day has closed.
    fn day_end() -> Millis {
        HOUR.start_of_day().plus(Millis::DAY + SETTLE)
    }

    /// The key's marks.
    async fn marks(usage: &MemoryStore) -> Vec<PendingHour> {
        let pending = usage.pending_hours(&account()).await.unwrap();
        pending.into_iter().flat_map(|(_, hours)| hours).collect()
    }

    /// The key's marks of hours still to compact (not compacted, waiting for their day).
    async fn waiting_compaction(usage: &MemoryStore) -> Vec<PendingHour> {
        let mut marks = marks(usage).await;
        marks.retain(|p| !p.marked.is_compacted());
        marks
    }

    #[tokio::test]
    async fn a_run_that_read_a_compacted_mark_before_a_late_record_leaves_the_new_one() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let closed = HOUR.plus(Millis::HOUR + SETTLE);
        let pending = deliver(&records, &usage, &[minute(1)], 100).await;
        compact(&records, &usage, &pending, closed).await;
        let read_before = marks(&usage).await;
        // A late record: marked, compacted again, its mark compacted anew.
        let pending = deliver(&records, &usage, &[minute(2)], 101).await;
        let report = compact(&records, &usage, &pending, closed).await;
        assert_eq!((report.stored, report.awaiting_day), (1, 1));
        let fresh = marks(&usage).await;
        assert!(fresh[0].marked.is_compacted());
        assert_ne!(fresh, read_before);
        // A run holding the marks read before cannot take the new one off, whatever it
        // rolled up; one that read it can.
        let stale = compact(&records, &usage, &read_before, day_end()).await;
        assert_eq!((stale.days_rolled, stale.still_pending), (0, 1));
        assert_eq!(marks(&usage).await, fresh);
        let report = compact(&records, &usage, &fresh, day_end()).await;
        assert_eq!(report.days_rolled, 1);
        assert!(marks(&usage).await.is_empty());
    }

    #[tokio::test]
    async fn hours_compacted_while_their_day_goes_on_are_rolled_up_with_it_once_it_ends() {
        use crate::domain::rollup::{skeleton, Level};
        use crate::usecases::rollups::decode_rollup;
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        // Hours 1 to 4 of the day, each compacted by the first call after it closed.
        for h in 0..4 {
            let hour: Vec<_> = (0..60).map(|m| minute(h * 60 + m)).collect();
            let pending = deliver(&records, &usage, &hour, 100 + h as u64).await;
            let closed = HOUR.plus((h + 1) * Millis::HOUR + SETTLE);
            compact(&records, &usage, &pending, closed).await;
        }
        let hours_key = Level::Hours.key(&key());
        let rollups = || records.chunks(&hours_key, Millis(0), Millis(i64::MAX), 10);
        assert!(rollups().await.unwrap().is_empty(), "nothing rolled up yet");
        assert_eq!(marks(&usage).await.len(), 4);
        assert!(waiting_compaction(&usage).await.is_empty());
        // A late record of the day's third hour, after the day ended: compacted and
        // rolled up with the rest.
        let late = StoredRecord {
            t: HOUR.plus(2 * Millis::HOUR + 30_000),
            ..minute(0)
        };
        deliver(&records, &usage, std::slice::from_ref(&late), 200).await;
        let report = compact(&records, &usage, &marks(&usage).await, day_end()).await;
        assert_eq!((report.stored, report.days_rolled), (1, 1), "{report:?}");
        assert!(marks(&usage).await.is_empty());
        let stored = rollups().await.unwrap();
        assert_eq!(stored.len(), 1, "one item of the day's hours");
        let all = history::range(&records, &key(), HOUR, HOUR.plus(4 * Millis::HOUR), 1_000)
            .await
            .unwrap();
        assert_eq!(all.len(), 241);
        let decoded: Vec<ChunkRecord> = all
            .iter()
            .map(|r| ChunkRecord {
                t: r.t,
                values: crate::domain::codec::decode_values(&r.values).unwrap(),
            })
            .collect();
        let expected = skeleton(&decoded, Millis::HOUR);
        let rolled = decode_rollup(&hours_key, &stored[0]).unwrap();
        assert_eq!(rolled.len(), expected.len());
        assert!(rolled.iter().zip(&expected).all(|(a, b)| a.same_bits(b)));
    }

    #[tokio::test]
    async fn hours_of_an_ended_day_compacted_together_roll_the_day_up_once() {
        use crate::domain::rollup::Level;
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        // Three hours of a day sent after it ended, in one delivery.
        let late: Vec<_> = (0..3).map(|h| minute(h * 60 + 5)).collect();
        let pending = deliver(&records, &usage, &late, 100).await;
        let report = compact(&records, &usage, &pending, day_end()).await;
        assert_eq!((report.stored, report.days_rolled), (3, 1), "{report:?}");
        assert!(marks(&usage).await.is_empty());
        for level in [Level::TenMinutes, Level::Hours, Level::Days] {
            let items = records
                .chunks(&level.key(&key()), Millis(0), Millis(i64::MAX), 10)
                .await
                .unwrap();
            let versions: Vec<u32> = items.iter().map(|item| item.records).collect();
            assert_eq!(versions, [1], "{level:?}: written once");
        }
    }

    #[tokio::test]
    async fn a_record_marked_during_a_compaction_keeps_its_hour_marked() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let read = deliver(&records, &usage, &[minute(1), minute(2)], 100).await;
        // A late record arrives and marks the hour again after the marks were read.
        let again = deliver(&records, &usage, &[minute(3)], 101).await;
        let now = HOUR.plus(2 * Millis::HOUR);

        let report = compact(&records, &usage, &read, now).await;
        assert_eq!(report.still_pending, 1);
        let report = compact(&records, &usage, &again, now).await;
        assert_eq!(
            report,
            PendingReport {
                up_to_date: 1,
                awaiting_day: 1,
                ..Default::default()
            },
            "the first run took the late record in already"
        );
        assert_eq!(chunked(&records).await, vec![3]);
        assert!(waiting_compaction(&usage).await.is_empty());
    }

    #[tokio::test]
    async fn a_backlog_is_worked_off_as_many_hours_a_call_as_a_delivery_marks() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let backlog: Vec<_> = (0..60 * 60).step_by(30).map(minute).collect();
        let (earlier, later) = backlog.split_at(backlog.len() / 2);
        deliver(&records, &usage, earlier, 100).await;
        let pending = deliver(&records, &usage, later, 101).await;
        assert_eq!(pending.len(), 60);
        let now = HOUR.plus(61 * Millis::HOUR + SETTLE);

        let first = compact(&records, &usage, &pending, now).await;
        assert_eq!((first.stored, first.still_pending), (HOURS_A_CALL, 12));
        let left = waiting_compaction(&usage).await;
        assert_eq!(left.len(), 12);
        assert_eq!(left[0].hour, HOUR.plus(48 * Millis::HOUR), "oldest first");
        let rest = compact(&records, &usage, &left, now).await;
        assert_eq!(rest.stored, 12);
        assert_eq!(chunked(&records).await, vec![2; 60]);
    }

    #[tokio::test]
    async fn an_hour_that_does_not_decode_is_left_raw_unmarked_and_kept_from_expiring() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let garbled = StoredRecord {
            values: vec![0xff, 0xff, 0xff],
            ..minute(5)
        };
        let next_hour = StoredRecord {
            t: HOUR.plus(Millis::HOUR),
            ..minute(0)
        };
        let pending = deliver(&records, &usage, &[minute(4), garbled], 100).await;
        let report = compact(&records, &usage, &pending, HOUR.plus(2 * Millis::HOUR)).await;
        assert_eq!(
            report,
            PendingReport {
                left_raw: 1,
                kept_raw: 2,
                ..Default::default()
            }
        );
        assert!(chunked(&records).await.is_empty());
        assert!(usage.pending_hours(&account()).await.unwrap().is_empty());
        // The next hour's record is compacted and expires; the hour left raw does not.
        let pending = deliver(&records, &usage, std::slice::from_ref(&next_hour), 101).await;
        let report = compact(&records, &usage, &pending, HOUR.plus(3 * Millis::HOUR)).await;
        assert_eq!(report.stored, 1, "{report:?}");
        assert_eq!(
            records.expire(),
            1,
            "only the compacted hour's record expires"
        );
        let raw = records
            .range(&key(), HOUR, HOUR.plus(2 * Millis::HOUR), 10)
            .await
            .unwrap();
        assert_eq!(raw.len(), 2, "the hour left raw stays");
        let read = history::range(&records, &key(), HOUR, HOUR.plus(2 * Millis::HOUR), 10)
            .await
            .unwrap();
        assert_eq!(read.len(), 3, "{read:?}");
        assert_eq!(read[2], next_hour);
    }

    #[tokio::test]
    async fn an_hour_too_big_for_a_chunk_keeps_its_records_a_bounded_number_a_call() {
        use crate::usecases::compaction::MAX_CHUNK_RECORDS;
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let eleven_a_second: Vec<StoredRecord> = (0..=MAX_CHUNK_RECORDS as i64)
            .map(|i| StoredRecord {
                t: HOUR.plus(i * 90),
                ..minute(0)
            })
            .collect();
        let mut pending = deliver(&records, &usage, &eleven_a_second, 100).await;
        let mut calls = 0;
        while !pending.is_empty() {
            let report = compact(&records, &usage, &pending, HOUR.plus(2 * Millis::HOUR)).await;
            assert_eq!(report.left_raw, 1, "{report:?}");
            calls += 1;
            let left = usage.pending_hours(&account()).await.unwrap().pop();
            pending = left.map(|(_, hours)| hours).unwrap_or_default();
        }
        assert_eq!(calls, (MAX_CHUNK_RECORDS + 1).div_ceil(KEPT_A_CALL));
        assert_eq!(records.expire(), 0, "every record is kept");
    }

    #[tokio::test]
    async fn a_backlog_past_a_deliverys_marks_is_compacted_hour_by_hour_and_then_taken_off() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let backlog = || async {
            let pending = usage.key_pending(&account(), &key()).await.unwrap();
            pending
                .backlog_from
                .map(|from| (from, pending.backlog_version))
        };
        // 60 hours, one record each, in one delivery: 48 marked, 12 a backlog.
        let hours: Vec<StoredRecord> = (0..60).map(|h| minute(h * 60 + 5)).collect();
        let pending = deliver(&records, &usage, &hours, 100).await;
        assert_eq!(pending.len(), MARKS_A_DELIVERY);
        let read = backlog().await.expect("a backlog");
        assert_eq!(read.0, HOUR.plus(48 * Millis::HOUR));
        // Closed up to hour 55 only: hours 48 to 55 compacted, 56 to 59 (still open)
        // marked as any delivery would, and the backlog taken off.
        let now = HOUR.plus(56 * Millis::HOUR + SETTLE);
        let report = compact_backlog(&records, &usage, &account(), &key(), read, now)
            .await
            .unwrap();
        assert_eq!((report.stored, report.still_pending), (8, 0));
        assert_eq!(backlog().await, None);
        let marked = usage.key_pending(&account(), &key()).await.unwrap().hours;
        let open: Vec<Millis> = (56..60).map(|h| HOUR.plus(h * Millis::HOUR)).collect();
        assert!(open.iter().all(|hour| marked.contains(hour)), "{marked:?}");
    }

    #[tokio::test]
    async fn a_backlog_with_more_open_hours_than_a_walk_marks_waits_and_moves_only_as_read() {
        let (records, usage) = (MemoryRecords::default(), MemoryStore::new());
        let backlog = || async {
            let pending = usage.key_pending(&account(), &key()).await.unwrap();
            pending
                .backlog_from
                .map(|from| (from, pending.backlog_version))
        };
        // 70 hours in one delivery: a backlog from hour 48; at hour 56's close, 14 hours
        // with records are not closed (a sweep's clock hours behind): the backlog waits
        // at hour 56, and none of them is marked.
        let hours: Vec<StoredRecord> = (0..70).map(|h| minute(h * 60 + 5)).collect();
        deliver(&records, &usage, &hours, 100).await;
        let read = backlog().await.expect("a backlog");
        let now = HOUR.plus(56 * Millis::HOUR + SETTLE);
        let report = compact_backlog(&records, &usage, &account(), &key(), read, now)
            .await
            .unwrap();
        assert_eq!((report.stored, report.still_pending), (8, 1));
        let waiting = backlog().await.expect("a backlog");
        assert_eq!(waiting.0, HOUR.plus(56 * Millis::HOUR));
        let marked = usage.key_pending(&account(), &key()).await.unwrap().hours;
        assert_eq!(marked.len(), MARKS_A_DELIVERY);
        // A later delivery keeps its own backlog (hour 148) behind the waiting one: the
        // start stays, its version changes, and a walk over the version read before
        // moves nothing.
        let later_hours: Vec<StoredRecord> = (100..150).map(|h| minute(h * 60)).collect();
        deliver(&records, &usage, &later_hours, 101).await;
        let kept = backlog().await.expect("a backlog");
        assert_eq!(kept.0, waiting.0);
        assert_ne!(kept.1, waiting.1);
        let later = HOUR.plus(151 * Millis::HOUR + SETTLE);
        let stale = compact_backlog(&records, &usage, &account(), &key(), waiting, later)
            .await
            .unwrap();
        assert_eq!(stale.still_pending, 1);
        assert_eq!(backlog().await, Some(kept));
        // Walked as it stands, 48 hours a call, until it comes off: every hour of both
        // backlogs compacted.
        for _ in 0..3 {
            if let Some(read) = backlog().await {
                compact_backlog(&records, &usage, &account(), &key(), read, later)
                    .await
                    .unwrap();
            }
        }
        assert_eq!(backlog().await, None);
        assert_eq!(chunked(&records).await.len(), 8 + 14 + 50);
    }
}

//! Reading a record key's history for a graph of buckets of whole ten minutes, hours or
//! days: its rollups where they are exact for those buckets and known to be complete,
//! its records (through [`history::range`]) elsewhere — see
//! [`crate::domain::rollup_plan`].

use crate::domain::codec::decode_values;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::rollup::{block_start, day_blocks_key, Level, DAY_BLOCK};
use crate::domain::rollup_plan::{plan, unrolled, Source};
use crate::domain::usage::KeyPending;
use crate::ports::{ChunkStore, DataUsage, RecordStore, StoreError, StoredChunk};

use super::compact_pending::first_open_hour;
use super::drawn::{Drawn, Wanted};
use super::history;
use super::rollups::decode_rollup_columns;

/// What `key` draws of the `wanted` channels in `[from, to)` at `level` (records only
/// for `None`) as of `now`, up to `limit` records: once that many are read, nothing
/// after them is; and rollup items until their values pass `values` (the caller refuses
/// such a read).
#[allow(clippy::too_many_arguments)]
pub async fn range(
    usage: &impl DataUsage,
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    wanted: Wanted,
    level: Option<Level>,
    (from, to): (Millis, Millis),
    now: Millis,
    caps: (usize, usize),
) -> Result<Drawn, StoreError> {
    let pending = match (level, key.account()) {
        (Some(_), Some(account)) => usage.key_pending(&account, key).await?,
        _ => KeyPending::default(),
    };
    let holes = unrolled(&pending, first_open_hour(now));
    let mut drawn = Drawn::new(wanted);
    for part in plan(from, to, level, &holes) {
        if !drawn.within(caps) {
            break;
        }
        let within = (part.from, part.to);
        match part.source {
            Source::Records => read_records(store, key, within, caps.0, &mut drawn).await?,
            Source::Rollup(Level::TenMinutes) => {
                read_tens(store, key, within, caps, &mut drawn).await?
            }
            Source::Rollup(Level::Hours) => {
                let hours = Level::Hours.key(key);
                read_items(store, &hours, within, caps.1, &mut drawn).await?;
            }
            Source::Rollup(Level::Days) => {
                read_days(store, key, within, caps.1, &mut drawn).await?;
            }
        }
    }
    Ok(drawn)
}

/// The records of `key` in `[from, to)` into `drawn`, until it holds `limit`.
pub(crate) async fn read_records(
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    (from, to): (Millis, Millis),
    limit: usize,
    drawn: &mut Drawn,
) -> Result<(), StoreError> {
    let left = limit.saturating_sub(drawn.from_records);
    for record in history::range(store, key, from, to, left).await? {
        let values = decode_values(&record.values).map_err(|e| {
            StoreError::Corrupt(format!("record of {} at {}: {e}", key.as_str(), record.t.0))
        })?;
        drawn.take_record(record.t, &values);
    }
    Ok(())
}

/// Days of ten-minute items a graph holds at once: at most 8 MB of them.
const TEN_MINUTE_DAYS_AT_ONCE: i64 = 8;

/// The ten-minute skeletons of `key` in `[from, to)` into `drawn`, and the records of
/// each run of days in it without a ten-minute item (none stored, or rolled up before
/// they were kept) in one read; until `drawn` holds `caps.0` records or its rollup values
/// pass `caps.1`.
async fn read_tens(
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    (from, to): (Millis, Millis),
    caps: (usize, usize),
    drawn: &mut Drawn,
) -> Result<(), StoreError> {
    let tens = Level::TenMinutes.key(key);
    // Where the run of days without an item read so far starts.
    let mut unrolled_from = from;
    let mut window = from.start_of_day();
    while window < to && drawn.within(caps) {
        let window_end = window.plus(TEN_MINUTE_DAYS_AT_ONCE * Millis::DAY).min(to);
        for item in store.chunks(&tens, window, window_end, usize::MAX).await? {
            let day = (from.max(item.hour), to.min(item.hour.plus(Millis::DAY)));
            if !drawn.within(caps) {
                return Ok(());
            }
            if unrolled_from < day.0 {
                read_records(store, key, (unrolled_from, day.0), caps.0, drawn).await?;
                if !drawn.within(caps) {
                    return Ok(());
                }
            }
            take_within(&tens, &item, day, drawn)?;
            unrolled_from = day.1;
        }
        window = window_end;
    }
    if unrolled_from < to && drawn.within(caps) {
        read_records(store, key, (unrolled_from, to), caps.0, drawn).await?;
    }
    Ok(())
}

/// The day skeletons of `key` in `[from, to)` into `drawn`: from its blocks of days where
/// they are stored, from the days' own items elsewhere; up to the first item after which
/// its rollup values pass `values`.
async fn read_days(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    (from, to): (Millis, Millis),
    values: usize,
    drawn: &mut Drawn,
) -> Result<(), StoreError> {
    let blocks_key = day_blocks_key(key);
    let blocks = store
        .chunks(&blocks_key, block_start(from), to, usize::MAX)
        .await?;
    let days_key = Level::Days.key(key);
    let mut at = from;
    for block in &blocks {
        if at < block.hour {
            read_items(store, &days_key, (at, block.hour), values, drawn).await?;
        }
        if drawn.rollup_values > values {
            return Ok(());
        }
        let within = (at.max(block.hour), block.hour.plus(DAY_BLOCK).min(to));
        take_within(&blocks_key, block, within, drawn)?;
        at = within.1;
    }
    if at < to && drawn.rollup_values <= values {
        read_items(store, &days_key, (at, to), values, drawn).await?;
    }
    Ok(())
}

/// The skeletons in `[from, to)` of the rollup items of `key` (one a day) into `drawn`,
/// up to the first item after which its rollup values pass `values`.
async fn read_items(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    (from, to): (Millis, Millis),
    values: usize,
    drawn: &mut Drawn,
) -> Result<(), StoreError> {
    // An item a day, stamped with its midnight: the first starts before `from` may.
    let items = store
        .chunks(key, from.start_of_day(), to, usize::MAX)
        .await?;
    for item in &items {
        if drawn.rollup_values > values {
            break;
        }
        take_within(key, item, (from, to), drawn)?;
    }
    Ok(())
}

/// The skeletons of rollup `item` of `key` in `[from, to)` into `drawn`.
fn take_within(
    key: &InstrumentKey,
    item: &StoredChunk,
    within: (Millis, Millis),
    drawn: &mut Drawn,
) -> Result<(), StoreError> {
    drawn.take_columns(&decode_rollup_columns(key, item)?, within);
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::downsample::m4_aligned;
    use crate::domain::ids::AccountId;
    use crate::domain::record::{Special, Value};
    use crate::domain::rollup_plan::aligned_buckets;
    use crate::domain::usage::{StreamPosition, Tally};
    use crate::memory::{MemoryRecords, MemoryStore};
    use crate::ports::{Counted, StoredRecord};
    use crate::usecases::compact_pending::{compact_backlog, compact_pending};

    /// 2025-12-24T00:00:00Z: two days before a block of days ends (see [`DAY_BLOCK`]).
    const START: i64 = 1_766_534_400_000;
    /// The last hour of that block, counted from `START`.
    const BLOCK_LAST_HOUR: i64 = 47;
    const CHANNELS: u32 = 3;

    fn key() -> InstrumentKey {
        InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            8 => (-20i32..20).prop_map(|n| Value::Number(f64::from(n) / 4.0)),
            1 => proptest::sample::select(Special::ALL.to_vec()).prop_map(Value::Special),
        ]
    }

    /// Records over four days, in clusters so that some hours hold many and most none;
    /// the first at the start of the first hour, one in the last hour of a block.
    fn records() -> impl Strategy<Value = Vec<StoredRecord>> {
        let values = proptest::collection::btree_map(0..CHANNELS, value(), 1..=3);
        let at = (0i64..96, 0i64..Millis::HOUR);
        proptest::collection::btree_map(at, values, 1..250).prop_map(|mut map| {
            map.insert((0, 0), vec![(0, Value::Number(1.0))].into_iter().collect());
            let last_of_block = vec![(1, Value::Number(-2.0))].into_iter().collect();
            map.insert((BLOCK_LAST_HOUR, 0), last_of_block);
            map.into_iter()
                .map(|((hour, offset), values)| StoredRecord {
                    instrument: key(),
                    t: Millis(START + hour * Millis::HOUR + offset),
                    values: encode_values(&values.into_iter().collect::<Vec<_>>()),
                })
                .collect()
        })
    }

    /// Stores `records` and marks their hours, as the usage stream does.
    async fn deliver(
        records: &MemoryRecords,
        usage: &MemoryStore,
        stored: &[StoredRecord],
        position: u64,
    ) -> Vec<crate::domain::usage::PendingHour> {
        records.put(stored).await.unwrap();
        let at = StreamPosition::parse(&position.to_string()).unwrap();
        let tally = Tally {
            bytes: 1,
            first: at.clone(),
            last: at,
            stored_hours: stored.iter().map(|r| r.t.start_of_hour()).collect(),
        };
        let account = AccountId::parse("acme").unwrap();
        match usage.count_data(&account, &key(), &tally).await.unwrap() {
            Counted::Counted(pending) => pending,
            Counted::Already(_) => panic!("a new position is counted"),
        }
    }

    #[tokio::test]
    async fn weeks_of_ten_minute_buckets_read_a_days_item_or_a_run_of_days_records() {
        let (store, usage) = (MemoryRecords::default(), MemoryStore::new());
        let account = AccountId::parse("acme").unwrap();
        let days = 20;
        // A record every 7 minutes for 20 days, each day delivered and compacted when
        // it has ended.
        let end = Millis(START + days * Millis::DAY);
        let now = end.plus(Millis::HOUR);
        for day in 0..days {
            let of_day: Vec<StoredRecord> = (0..206)
                .map(|i| {
                    let t = START + day * Millis::DAY + i * 7 * Millis::MINUTE;
                    let value = Value::Number(((t / Millis::MINUTE) % 13) as f64 - 6.0);
                    StoredRecord {
                        instrument: key(),
                        t: Millis(t),
                        values: encode_values(&[(0, value)]),
                    }
                })
                .collect();
            let pending = deliver(&store, &usage, &of_day, 100 + day as u64).await;
            compact_pending(&store, &usage, &account, &key(), &pending, now)
                .await
                .unwrap();
        }
        // The records expired, their hours compacted; days 3 and 4, and 7 and 8 (across
        // the edge of the first 8 days read at once), as a version before ten-minute
        // items left them.
        assert_eq!(store.expire(), days as usize * 206);
        let tens = Level::TenMinutes.key(&key());
        let day = |d: i64| Millis(START + d * Millis::DAY);
        store.forget_chunks(&tens, (day(3), day(5)));
        store.forget_chunks(&tens, (day(7), day(9)));
        let (from, to) = (day(0).plus(25 * Millis::MINUTE), end.plus(-Millis::HOUR));
        let width = 30 * Millis::MINUTE;
        assert_eq!(
            aligned_buckets(from, to, 960),
            Some((width, Level::TenMinutes))
        );
        let unlimited = (usize::MAX, usize::MAX);
        let read = |level, to, caps| {
            let (store, usage) = (&store, &usage);
            async move {
                let wanted = Wanted::all(1);
                range(usage, store, &key(), wanted, level, (from, to), now, caps)
                    .await
                    .unwrap()
            }
        };
        let all = read(None, to, unlimited).await;
        let before = store.read_so_far().0;
        let tens = Some(Level::TenMinutes);
        let rolled = read(tens, to, unlimited).await;
        assert_eq!(
            m4_aligned(&rolled.points[0], width),
            m4_aligned(&all.points[0], width)
        );
        // 16 days' items; the 4 other days' records, and the one of 00:28 before the
        // first whole ten minutes: their chunks.
        assert_eq!(rolled.from_records, 4 * 206 + 1);
        assert_eq!(store.read_so_far().0 - before, 16 + 4 * 24 + 1);
        // Capped: nothing more is read once the rollups' values pass the cap (day 2's
        // item passes it: days 3 and 4's records are not read), or the records reach
        // theirs (within days 3 and 4).
        let two_days = read(tens, day(2), unlimited).await.rollup_values;
        let read_capped = read(tens, to, (usize::MAX, two_days)).await;
        assert_eq!(
            (
                read_capped.from_records,
                read_capped.rollup_values > two_days
            ),
            (1, true)
        );
        assert!(read_capped.points[0].iter().all(|p| p.t < day(3)));
        let records_capped = read(tens, to, (300, usize::MAX)).await;
        assert_eq!(records_capped.from_records, 300);
        assert!(records_capped.points[0].iter().all(|p| p.t < day(5)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn a_graph_from_rollups_draws_exactly_what_its_records_draw(
            records in records(),
            late in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
            compacted_share in 0usize..=4,
            all_at_once in proptest::bool::weighted(0.2),
            backlog_compacted in any::<bool>(),
            late_compacted in any::<bool>(),
            block_end_sent in any::<bool>(),
            tens_kept_from_day in 0i64..5,
            (from, length) in (-Millis::DAY..4 * Millis::DAY, Millis::HOUR..5 * Millis::DAY),
            buckets in prop_oneof![1usize..6, 6usize..60, 60usize..700],
            now_hour in 0i64..110,
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let (store, usage) = (MemoryRecords::default(), MemoryStore::new());
                let account = AccountId::parse("acme").unwrap();
                let now = Millis(START + now_hour * Millis::HOUR);
                // The first delivery's newest hour is where rollups start: a record of
                // the first hour alone, then a delivery a day (or all at once, more
                // hours than a delivery marks: a backlog).
                // Without the block's last hour, a later day writes the block.
                let records: Vec<StoredRecord> = records
                    .into_iter()
                    .filter(|r| {
                        block_end_sent
                            || (r.t.0 - START).div_euclid(Millis::HOUR) != BLOCK_LAST_HOUR
                    })
                    .collect();
                let (first, rest) = records.split_at(1);
                deliver(&store, &usage, first, 100).await;
                if all_at_once {
                    deliver(&store, &usage, rest, 101).await;
                } else {
                    for (day, position) in (0..4).zip(101..) {
                        let of_day: Vec<StoredRecord> = rest
                            .iter()
                            .filter(|r| (r.t.0 - START).div_euclid(Millis::DAY) == day)
                            .cloned()
                            .collect();
                        deliver(&store, &usage, &of_day, position).await;
                    }
                }
                let pending = usage
                    .pending_hours(&account)
                    .await
                    .unwrap()
                    .pop()
                    .map(|(_, hours)| hours)
                    .unwrap_or_default();
                // Some of the marked hours compacted and rolled up, the rest still marked.
                let compacted: Vec<_> = pending
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 4 < compacted_share)
                    .map(|(_, p)| p.clone())
                    .collect();
                compact_pending(&store, &usage, &account, &key(), &compacted, now).await.unwrap();
                let read = usage.key_pending(&account, &key()).await.unwrap();
                if let (Some(from), true) = (read.backlog_from, backlog_compacted) {
                    let backlog = (from, read.backlog_version);
                    compact_backlog(&store, &usage, &account, &key(), backlog, now).await.unwrap();
                }
                // The days before this one rolled up before ten-minute skeletons were kept.
                let tens_kept_from = Millis(START + tens_kept_from_day * Millis::DAY);
                let before = (Millis(i64::MIN), tens_kept_from);
                store.forget_chunks(&Level::TenMinutes.key(&key()), before);
                // Records coming late into compacted hours mark them again.
                let resent: Vec<StoredRecord> = late
                    .iter()
                    .map(|i| {
                        let mut record = records[i.index(records.len())].clone();
                        record.t = record.t.plus(1);
                        record
                    })
                    .collect();
                let marked = deliver(&store, &usage, &resent, 200).await;
                if late_compacted {
                    compact_pending(&store, &usage, &account, &key(), &marked, now).await.unwrap();
                }

                let (from, to) = (Millis(START + from), Millis(START + from + length));
                let Some((width, level)) = aligned_buckets(from, to, buckets) else {
                    return Ok(());
                };
                let unlimited = (usize::MAX, usize::MAX);
                let all = Wanted::all(CHANNELS);
                let all = range(&usage, &store, &key(), all, None, (from, to), now, unlimited)
                    .await
                    .unwrap()
                    .points;
                // The channels asked in another order than their indices'.
                let slot_of = |channel: u32| ((channel + 1) % CHANNELS) as usize;
                let asked = Wanted::new((0..CHANNELS).map(|c| (slot_of(c), c)));
                let rolled = (from, to);
                let rolled = range(&usage, &store, &key(), asked, Some(level), rolled, now, unlimited)
                    .await
                    .unwrap()
                    .points;
                for channel in 0..CHANNELS {
                    prop_assert_eq!(
                        m4_aligned(&rolled[slot_of(channel)], width),
                        m4_aligned(&all[channel as usize], width),
                        "channel {} in buckets of {} ms", channel, width
                    );
                }
                Ok(())
            })?;
        }
    }
}

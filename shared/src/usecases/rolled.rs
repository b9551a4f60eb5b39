//! Reading a record key's history for a graph of buckets of whole hours or days: its
//! rollups where they are exact for those buckets and known to be complete, its records
//! (through [`history::range`]) elsewhere — see [`crate::domain::rollup_plan`].

use crate::domain::chunk::ChunkRecord;
use crate::domain::codec::decode_values;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::rollup::{block_start, day_blocks_key, Level, DAY_BLOCK};
use crate::domain::rollup_plan::{plan, unrolled, Source};
use crate::domain::usage::KeyPending;
use crate::ports::{ChunkStore, DataUsage, RecordStore, StoreError, StoredChunk};

use super::compact_pending::first_open_hour;
use super::history;
use super::rollups::decode_rollup;

/// What [`range`] read.
#[derive(Debug, Default)]
pub struct Drawn {
    /// Records and rollup skeletons, in time order.
    pub records: Vec<ChunkRecord>,
    /// How many of them are records.
    pub from_records: usize,
    /// How many values the skeletons among them hold.
    pub rollup_values: usize,
}

/// What `key` draws in `[from, to)` at `level` (records only for `None`) as of `now`,
/// up to `limit` records: once that many are read, nothing after them is; and rollup
/// items until their values pass `values` (the caller refuses such a read).
pub async fn range(
    usage: &impl DataUsage,
    store: &(impl RecordStore + ChunkStore),
    key: &InstrumentKey,
    level: Option<Level>,
    (from, to): (Millis, Millis),
    now: Millis,
    (limit, values): (usize, usize),
) -> Result<Drawn, StoreError> {
    let pending = match (level, key.account()) {
        (Some(_), Some(account)) => usage.key_pending(&account, key).await?,
        _ => KeyPending::default(),
    };
    let holes = unrolled(&pending, first_open_hour(now));
    let mut read = Vec::new();
    let (mut from_records, mut rollup_values) = (0, 0);
    for part in plan(from, to, level, &holes) {
        let left = limit.saturating_sub(from_records);
        if left == 0 || rollup_values > values {
            break;
        }
        match part.source {
            Source::Records => {
                let records = history::range(store, key, part.from, part.to, left).await?;
                from_records += records.len();
                for record in records {
                    let values = decode_values(&record.values).map_err(|e| {
                        StoreError::Corrupt(format!(
                            "record of {} at {}: {e}",
                            key.as_str(),
                            record.t.0
                        ))
                    })?;
                    read.push(ChunkRecord {
                        t: record.t,
                        values,
                    });
                }
            }
            Source::Rollup(level) => {
                let within = (part.from, part.to);
                let left = values.saturating_sub(rollup_values);
                rollup_values += match level {
                    Level::Hours => {
                        read_items(store, &level.key(key), within, left, &mut read).await?
                    }
                    Level::Days => read_days(store, key, within, left, &mut read).await?,
                };
            }
        }
    }
    Ok(Drawn {
        records: read,
        from_records,
        rollup_values,
    })
}

/// The day skeletons of `key` in `[from, to)` into `out`: from its blocks of days where
/// they are stored, from the days' own items elsewhere; the values taken, up to the first
/// item past `budget`.
async fn read_days(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    (from, to): (Millis, Millis),
    budget: usize,
    out: &mut Vec<ChunkRecord>,
) -> Result<usize, StoreError> {
    let blocks_key = day_blocks_key(key);
    let blocks = store
        .chunks(&blocks_key, block_start(from), to, usize::MAX)
        .await?;
    let days_key = Level::Days.key(key);
    let mut taken = 0;
    let mut at = from;
    for block in &blocks {
        if at < block.hour {
            let left = budget.saturating_sub(taken);
            taken += read_items(store, &days_key, (at, block.hour), left, out).await?;
            if taken > budget {
                return Ok(taken);
            }
        }
        let within = (at.max(block.hour), block.hour.plus(DAY_BLOCK).min(to));
        taken += take_within(&blocks_key, block, within, out)?;
        at = within.1;
        if taken > budget {
            return Ok(taken);
        }
    }
    if at < to {
        let left = budget.saturating_sub(taken);
        taken += read_items(store, &days_key, (at, to), left, out).await?;
    }
    Ok(taken)
}

/// The skeletons in `[from, to)` of the rollup items of `key` (one a day) into `out`: the
/// values taken, up to the first item past `budget`.
async fn read_items(
    store: &impl ChunkStore,
    key: &InstrumentKey,
    (from, to): (Millis, Millis),
    budget: usize,
    out: &mut Vec<ChunkRecord>,
) -> Result<usize, StoreError> {
    // An item a day, stamped with its midnight: the first starts before `from` may.
    let items = store
        .chunks(key, from.start_of_day(), to, usize::MAX)
        .await?;
    let mut taken = 0;
    for item in &items {
        taken += take_within(key, item, (from, to), out)?;
        if taken > budget {
            break;
        }
    }
    Ok(taken)
}

/// The skeletons of rollup `item` of `key` in `[from, to)` into `out`: the values taken.
fn take_within(
    key: &InstrumentKey,
    item: &StoredChunk,
    (from, to): (Millis, Millis),
    out: &mut Vec<ChunkRecord>,
) -> Result<usize, StoreError> {
    let mut taken = 0;
    for record in decode_rollup(key, item)?
        .into_iter()
        .filter(|r| from <= r.t && r.t < to)
    {
        taken += record.values.len();
        out.push(record);
    }
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::downsample::{m4_aligned, Point};
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

    fn points(records: &[ChunkRecord], channel: u32) -> Vec<Point> {
        records
            .iter()
            .filter_map(|r| {
                let (_, value) = r.values.iter().find(|(i, _)| *i == channel)?;
                Some(Point {
                    t: r.t,
                    value: *value,
                })
            })
            .collect()
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
            (from, length) in (-Millis::DAY..4 * Millis::DAY, Millis::HOUR..5 * Millis::DAY),
            buckets in prop_oneof![1usize..6, 6usize..60],
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
                let all = range(&usage, &store, &key(), None, (from, to), now, unlimited)
                    .await
                    .unwrap()
                    .records;
                let rolled = range(&usage, &store, &key(), Some(level), (from, to), now, unlimited)
                    .await
                    .unwrap()
                    .records;
                for channel in 0..CHANNELS {
                    prop_assert_eq!(
                        m4_aligned(&points(&rolled, channel), width),
                        m4_aligned(&points(&all, channel), width),
                        "channel {} in buckets of {} ms", channel, width
                    );
                }
                Ok(())
            })?;
        }
    }
}

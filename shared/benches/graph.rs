//! What a graph of one instrument costs as its range grows (issue 14): a year of
//! one-minute records of 32 channels (the chunk benchmark's readings) stored in memory,
//! every hour compacted and rolled up as the usage function does, then graphs of the
//! channels in 500 buckets over 1, 3, 7, 20 and 30 days and the whole year, read the way
//! the series route reads them. For each: the buckets drawn, the items the reader got
//! from the store (chunks, rollup items and blocks: the records have expired) and their
//! bytes, the points drawn, and the time to read and reduce them on one core (median of
//! 21).
//!
//! `cargo bench -p fieldcloud --no-default-features --bench graph` on the 2-core
//! development VM (rustc 1.95, bench profile):
//!
//! - 8,760 hours compacted and rolled up in 5.7 s;
//! - at rest, the year: chunks 16,625,772 B (0.99 B a point), rollups 10,649,185 B (0.63);
//!
//! | range | buckets | items read | bytes read | points | time |
//! |---|---|---|---|---|---|
//! | 1 d | 500 equal | 25 | 46,336 | 46,080 | 2.6 ms |
//! | 3 d | 433 of 10 min | 5 | 71,433 | 47,896 | 2.8 ms |
//! | 7 d | 337 of 30 min | 9 | 161,619 | 37,713 | 5.2 ms |
//! | 20 d | 481 of 1 h | 22 | 108,072 | 53,996 | 3.5 ms |
//! | 30 d | 361 of 2 h | 32 | 160,255 | 40,663 | 4.4 ms |
//! | 365 d | 366 of 24 h | 19 | 162,378 | 47,552 | 2.9 ms |
//!
//! The README's "Compacted history" gives them with what they mean. What compaction
//! writes is measured from the real items end to end, not here (`cargo test -p
//! fieldcloud-e2e --test e2e write_cost_pipeline -- --nocapture`).

use std::time::Instant;

use fieldcloud::domain::codec::encode_values;
use fieldcloud::domain::downsample::{m4, m4_aligned};
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::InstrumentKey;
use fieldcloud::domain::rollup::{day_blocks_key, Level};
use fieldcloud::domain::rollup_plan::{aligned_buckets, buckets_met};
use fieldcloud::domain::usage::{StreamPosition, Tally};
use fieldcloud::memory::{MemoryRecords, MemoryStore};
use fieldcloud::ports::{ChunkStore, Counted, DataUsage, RecordStore, StoredRecord};
use fieldcloud::usecases::compact_pending::compact_pending;
use fieldcloud::usecases::compaction::SETTLE;
use fieldcloud::usecases::drawn::Wanted;
use fieldcloud::usecases::rolled::range;

#[path = "common/readings.rs"]
mod readings;

use readings::Readings;

const CHANNELS: usize = 32;
const MINUTES_A_YEAR: usize = 365 * 24 * 60;
/// 2025-01-01T00:00:00Z.
const START: Millis = Millis(1_735_689_600_000);
const BUCKETS: usize = 500;

fn key() -> InstrumentKey {
    InstrumentKey::from_stored("acme/gw-1.r1/LR-1/i1".into())
}

/// The year stored, its hours marked a day's delivery at a time and compacted and
/// rolled up as the usage function does; the raw records then expired, as they will once
/// compacted.
async fn a_compacted_year(usage: &MemoryStore) -> MemoryRecords {
    let store = MemoryRecords::default();
    let mut readings = Readings::default();
    let mut values = vec![None; CHANNELS];
    let records: Vec<StoredRecord> = (0..MINUTES_A_YEAR)
        .map(|minute| {
            readings.row(minute, &mut values);
            let values: Vec<_> = values
                .iter()
                .enumerate()
                .filter_map(|(c, v)| v.map(|v| (c as u32, v)))
                .collect();
            StoredRecord {
                instrument: key(),
                t: START.plus(minute as i64 * Millis::MINUTE),
                values: encode_values(&values),
            }
        })
        .collect();
    store.put(&records).await.expect("stored in memory");
    let end = START.plus(365 * Millis::DAY);
    let now = end.plus(Millis::HOUR + SETTLE);
    let started = Instant::now();
    let account = AccountId::parse("acme").expect("an account ID");
    for day in 0..365 {
        let position = StreamPosition::parse(&(day + 1).to_string()).expect("a position");
        let tally = Tally {
            bytes: 0,
            first: position.clone(),
            last: position,
            stored_hours: (0..24)
                .map(|h| START.plus((day * 24 + h) * Millis::HOUR))
                .collect(),
        };
        let Counted::Counted(pending) = usage
            .count_data(&account, &key(), &tally)
            .await
            .expect("counted in memory")
        else {
            unreachable!("each day is a new delivery");
        };
        compact_pending(&store, usage, &account, &key(), &pending, now)
            .await
            .expect("compacted in memory");
    }
    eprintln!(
        "8,760 hours compacted and rolled up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store
        .delete_before(&key(), end, usize::MAX)
        .await
        .expect("deleted in memory");
    store
}

/// DynamoDB's size of a chunk item of `bytes` under `key` (`i`, `t`, `n`, `c`: names,
/// the key's text, two numbers of up to 8 and 3 bytes, the chunk).
fn item_size(key: &InstrumentKey, bytes: usize) -> usize {
    4 + key.as_str().len() + "#h#hour".len() + 8 + 3 + bytes
}

/// What the compacted year keeps at rest once its records expired: its chunks' items and
/// its rollups' (ten-minute, hour and day skeletons, blocks of days), sized as DynamoDB sizes them,
/// in bytes a point.
async fn at_rest(store: &MemoryRecords) {
    let points = (MINUTES_A_YEAR * CHANNELS) as f64;
    let stored = |key: InstrumentKey| async move {
        let all = store
            .chunks(&key, Millis(i64::MIN), Millis(i64::MAX), usize::MAX)
            .await
            .expect("read in memory");
        all.iter()
            .map(|c| item_size(&key, c.bytes.len()))
            .sum::<usize>()
    };
    let chunks = stored(key()).await;
    let mut rollups = stored(day_blocks_key(&key())).await;
    for level in [Level::TenMinutes, Level::Hours, Level::Days] {
        rollups += stored(level.key(&key())).await;
    }
    eprintln!(
        "at rest, the year: chunks {chunks} B ({:.2} B a point), rollups {rollups} B ({:.2} B a point)",
        chunks as f64 / points,
        rollups as f64 / points
    );
}

/// The graph's points of every channel, as the series route draws them.
async fn graph(
    usage: &MemoryStore,
    store: &MemoryRecords,
    (from, to): (Millis, Millis),
    now: Millis,
) -> usize {
    let aligned = aligned_buckets(from, to, BUCKETS);
    let read = range(
        usage,
        store,
        &key(),
        Wanted::all(CHANNELS as u32),
        aligned.map(|(_, level)| level),
        (from, to),
        now,
        (usize::MAX, usize::MAX),
    )
    .await
    .expect("read in memory")
    .points;
    read.iter()
        .map(|points| match aligned {
            Some((width, _)) => m4_aligned(points, width).len(),
            None => m4(points, from, to, BUCKETS).len(),
        })
        .sum()
}

fn main() {
    // `cargo test --benches` runs each benchmark once without --bench: it needs no year.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let usage = MemoryStore::new();
        let store = a_compacted_year(&usage).await;
        at_rest(&store).await;
        let end = START.plus(365 * Millis::DAY);
        let now = end.plus(Millis::HOUR + SETTLE);
        for days in [1, 3, 7, 20, 30, 365] {
            // Ending at the year's end, on a minute that is no whole hour: ragged ends.
            let to = end.plus(-7 * Millis::MINUTE);
            let from = to.plus(-days * Millis::DAY);
            let aligned = aligned_buckets(from, to, BUCKETS);
            let before = store.read_so_far();
            graph(&usage, &store, (from, to), now).await;
            let after = store.read_so_far();
            let (items, bytes) = (after.0 - before.0, after.1 - before.1);
            let mut times = Vec::new();
            let mut drawn = 0;
            for _ in 0..21 {
                let started = Instant::now();
                drawn = graph(&usage, &store, (from, to), now).await;
                times.push(started.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            let buckets = match aligned {
                Some((width, _)) if width < Millis::HOUR => format!(
                    "{} of {} min",
                    buckets_met(from, to, width),
                    width / Millis::MINUTE
                ),
                Some((width, _)) => format!(
                    "{} of {} h",
                    buckets_met(from, to, width),
                    width / Millis::HOUR
                ),
                None => format!("{BUCKETS} equal"),
            };
            eprintln!(
                "| {days} d | {buckets} | {items} | {bytes} | {drawn} points | {:.1} ms |",
                times[10]
            );
        }
    });
}

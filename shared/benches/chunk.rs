//! What compacted history takes (issue 14): a year of one-minute records of 32 channels
//! — the export benchmark's readings, two decimals with noise and now and then a special
//! value — compressed an hour a chunk (8,760 chunks), then read back. Under `cargo bench`
//! one pass over the year prints its bytes a point and how fast it compresses and reads,
//! and what its rollups take;
//! criterion times a day of chunks each way.
//!
//! `cargo bench -p fieldcloud --no-default-features --bench chunk -- --warm-up-time 1
//! --measurement-time 3` (without the AWS SDK, which this does not use) on the 2-core
//! development VM (rustc 1.95, bench profile):
//! - the year: 16,257,852 bytes, 0.967 bytes a point; compressed at 16.1 M points/s
//!   (1.04 s), read at 32.3 M points/s (0.52 s);
//! - a day, by criterion: compressed in 3.1 ms (14.8 M points/s), read in 1.03 ms
//!   (44.6 M points/s).
//! - its rollups ([`skeleton`]s): a day of hours an item, 365 items of 2,149,019 bytes
//!   in all (the largest 6,107; 984,824 points); 30 days of days an item, 13 items of
//!   300,687 bytes (the largest 24,807; 47,552 points).
//!
//! The README's "Compacted history" gives them with what they mean.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion, Throughput};
use fieldcloud::domain::chunk::{decode_chunk, encode_chunk, ChunkRecord};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::rollup::skeleton;

#[path = "common/readings.rs"]
mod readings;

use readings::Readings;

const CHANNELS: usize = 32;
const HOURS_A_YEAR: usize = 365 * 24;
/// 2025-01-01T00:00:00Z.
const START: Millis = Millis(1_735_689_600_000);

/// `hours` hours of one-minute records, an hour a chunk's worth.
fn hours(hours: usize) -> Vec<Vec<ChunkRecord>> {
    let mut readings = Readings::default();
    let mut values = vec![None; CHANNELS];
    (0..hours)
        .map(|hour| {
            (0..60)
                .map(|m| {
                    let minute = hour * 60 + m;
                    readings.row(minute, &mut values);
                    ChunkRecord {
                        t: START.plus(minute as i64 * Millis::MINUTE),
                        values: values
                            .iter()
                            .enumerate()
                            .filter_map(|(c, v)| v.map(|v| (c as u32, v)))
                            .collect(),
                    }
                })
                .collect()
        })
        .collect()
}

/// The year once: bytes a point, points compressed and read a second.
fn one_year() {
    let year = hours(HOURS_A_YEAR);
    let points = (HOURS_A_YEAR * 60 * CHANNELS) as f64;
    let started = Instant::now();
    let chunks: Vec<Vec<u8>> = year.iter().map(|hour| encode_chunk(hour)).collect();
    let encoding = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let read: Vec<Vec<ChunkRecord>> = chunks
        .iter()
        .map(|chunk| decode_chunk(chunk).expect("a chunk we wrote reads back"))
        .collect();
    let decoding = started.elapsed().as_secs_f64();
    assert_eq!(read.len(), year.len());
    let bytes: usize = chunks.iter().map(Vec::len).sum();
    eprintln!(
        "one year, {HOURS_A_YEAR} hour chunks of {CHANNELS} channels: {bytes} bytes, {:.3} bytes a point; compressed in {encoding:.3} s ({:.1} M points/s), read in {decoding:.3} s ({:.1} M points/s)",
        bytes as f64 / points,
        points / encoding / 1e6,
        points / decoding / 1e6,
    );
    rollups(&year);
}

/// What the year's rollups take: each day's hours as one chunk of their skeleton, and
/// each 30 days' days as one of theirs.
fn rollups(year: &[Vec<ChunkRecord>]) {
    let days: Vec<Vec<ChunkRecord>> = year
        .chunks(24)
        .map(|day| skeleton(&day.concat(), Millis::HOUR))
        .collect();
    let months: Vec<Vec<ChunkRecord>> = days
        .chunks(30)
        .map(|month| skeleton(&month.concat(), Millis::DAY))
        .collect();
    for (what, items) in [("a day of hours", &days), ("30 days of days", &months)] {
        let bytes: Vec<usize> = items.iter().map(|item| encode_chunk(item).len()).collect();
        let points: usize = items.iter().flatten().map(|r| r.values.len()).sum();
        eprintln!(
            "rollups, {what} an item: {} items, {} bytes in all, the largest {} bytes; {points} points",
            items.len(),
            bytes.iter().sum::<usize>(),
            bytes.iter().max().unwrap_or(&0),
        );
    }
}

fn one_day(c: &mut Criterion) {
    let day = hours(24);
    let chunks: Vec<Vec<u8>> = day.iter().map(|hour| encode_chunk(hour)).collect();
    let mut group = c.benchmark_group("chunk");
    group.throughput(Throughput::Elements((24 * 60 * CHANNELS) as u64));
    group.bench_function(
        "a day of one-minute records, 32 channels, compressed",
        |b| {
            b.iter(|| {
                day.iter()
                    .map(|hour| black_box(encode_chunk(hour)).len())
                    .sum::<usize>()
            })
        },
    );
    group.bench_function("a day of one-minute records, 32 channels, read", |b| {
        b.iter(|| {
            chunks
                .iter()
                .map(|chunk| black_box(decode_chunk(chunk)).map_or(0, |r| r.len()))
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, one_day);

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs each benchmark once
    // without it, and needs no year of it.
    if std::env::args().any(|arg| arg == "--bench") {
        one_year();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

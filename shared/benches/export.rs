//! What an export costs (issue 12): a year of one-minute records of 32 channels — 525,600
//! rows — through the full path (`ExportZip`: CSV text, DEFLATE, the ZIP's records) into a
//! sink that only counts bytes, as S3 multipart parts would take them. Readings are what
//! a logger sends: two-decimal values drifting slowly around each channel's level with a
//! daily cycle and noise, now and then a special value. Making them is part of each row's
//! time, a small one next to formatting and compressing.
//!
//! Criterion times a month (43,200 rows) for rows per second; before it, under
//! `cargo bench`, one pass exports the whole year and prints its rows per second, its
//! compressed size and the peak heap it took (a counting global allocator: the peak of
//! bytes allocated and not yet freed, from before the export to after `finish`).
//!
//! `cargo bench -p fieldcloud --no-default-features --bench export -- --warm-up-time 1
//! --measurement-time 3` (without the AWS SDK, which this does not use) on the 2-core
//! development VM (rustc 1.95, bench profile), a CI run beside it:
//! - the year: about 170,000 rows/s (3.1 s), a ZIP of 38,088,125 bytes (36.3 MiB), a
//!   peak heap of 488,154 bytes (0.47 MiB);
//! - the month, by criterion: 174,000 rows/s (249 ms).
//!
//! The README's "Exports: the ZIP writer" gives them with what they mean.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use criterion::{criterion_group, Criterion, Throughput};
use fieldcloud::domain::export::{ExportSummary, ExportZip};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::settings::TimeZone;

#[path = "common/readings.rs"]
mod readings;

use readings::Readings;

/// Counts the bytes allocated and not yet freed, and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; only counts are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            grew(layout.size());
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc_zeroed(layout) };
        if !block.is_null() {
            grew(layout.size());
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { System.dealloc(block, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CHANNELS: usize = 32;
const YEAR_ROWS: usize = 365 * 24 * 60;
const MONTH_ROWS: usize = 30 * 24 * 60;
/// 2025-01-01T00:00:00+09:00.
const START: Millis = Millis(1_735_657_200_000);

/// A sink that keeps nothing and counts what it is given.
#[derive(Default)]
struct CountingSink {
    bytes: u64,
}

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn headings() -> Vec<String> {
    (1..=CHANNELS - 2)
        .map(|c| format!("gw-1/LR8450-1/CH{c}"))
        .chain(["calc:power".to_owned(), "calc:efficiency".to_owned()])
        .collect()
}

/// `rows` one-minute rows of all channels, exported into a counting sink.
fn export(rows: usize) -> (CountingSink, ExportSummary) {
    let zone = TimeZone::parse("Asia/Tokyo").expect("a known zone");
    let mut export = ExportZip::new(CountingSink::default(), &zone, START);
    export
        .start_csv("LR8450-1 2025", &headings())
        .expect("32 channels are allowed");
    let mut readings = Readings::default();
    let mut values = vec![None; CHANNELS];
    for minute in 0..rows {
        readings.row(minute, &mut values);
        let t = START.plus(minute as i64 * Millis::MINUTE);
        export.row(t, &values).expect("a row of the file's width");
    }
    export.finish().expect("a counting sink does not fail")
}

/// The whole year once: rows per second, the ZIP's size, the peak heap.
fn one_year() {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let (sink, summary) = export(YEAR_ROWS);
    let seconds = started.elapsed().as_secs_f64();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(sink.bytes, summary.bytes);
    eprintln!(
        "one year, {} rows of {CHANNELS} channels in {:?}: {:.3} s, {:.0} rows/s; ZIP {} bytes ({:.1} MiB); peak heap {} bytes ({:.2} MiB)",
        summary.rows,
        summary.files,
        seconds,
        summary.rows as f64 / seconds,
        summary.bytes,
        summary.bytes as f64 / 1048576.0,
        peak,
        peak as f64 / 1048576.0,
    );
}

fn one_month(c: &mut Criterion) {
    let mut group = c.benchmark_group("export");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MONTH_ROWS as u64));
    group.bench_function(
        "a month of one-minute rows, 32 channels, CSV in a ZIP",
        |b| b.iter(|| black_box(export(MONTH_ROWS)).1.bytes),
    );
    group.finish();
}

criterion_group!(benches, one_month);

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs each benchmark once
    // without it, and needs no year of it.
    if std::env::args().any(|arg| arg == "--bench") {
        one_year();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

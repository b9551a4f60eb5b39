//! What a record costs every function together in the steady state: ingest's writes
//! (priced in `write_cost.rs`) and the usage function's on account of them — the marks
//! of the hours records are stored in, the chunk each hour is compacted into, the
//! chunk's count in the storage used, and the day's rollups once it has ended.
//!
//! One live instrument's day: its first 21 hours sent as a backlog, then live records a
//! minute apart with the local cloud's clock following them and the usage function
//! handed each message before the next is sent (as the stream hands it within minutes
//! in AWS). Two whole hours are priced from the real items: 22:15 to 23:15 (the 22nd
//! hour compacted, the 24th marked: any hour of the day but its last) and 23:15 to
//! 00:15 (the last hour compacted and the whole day rolled up). A day costs 23 of the
//! first and one of the second, and the app's last-seen time every 6 hours. `cargo test
//! -p fieldcloud-e2e --test e2e write_cost_pipeline -- --nocapture` prints the table the
//! README gives.

use std::collections::BTreeMap;

use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::presence::LAST_SEEN_RESOLUTION_MILLIS;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::DataUsage;

use crate::helpers::{spawn, TestCloud};
use crate::history_bucket::only_objects_pointed_at;
use crate::storage_used::{item_kind, stored, ItemKind};
use crate::write_cost::{assert_stored, price, snapshot, Meter};

/// Where a write went, as the table below splits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Records,
    Chunks,
    Rollups,
    /// The usage function's items: counts and marks.
    Counting,
    /// The usage function's items counting a key's rollups, made by the first write of
    /// each (its first day) and written no more (rollups are charged nothing).
    RollupCounting,
    /// The app's and the instrument's items.
    Registry,
}

type Units = BTreeMap<Part, usize>;

/// Write units of the app's last-seen time in a day: one write of its item and its
/// index entry (1 unit each) every 6 hours.
const LAST_SEEN_A_DAY: usize = 2 * (Millis::DAY / LAST_SEEN_RESOLUTION_MILLIS) as usize;

struct Day {
    channels: usize,
    records_per_message: usize,
    /// An hour of the day but its last.
    hour: Units,
    /// The day's last hour, and its end.
    last_hour: Units,
}

impl Day {
    /// A day's write units in the steady state: the app's last-seen time as its
    /// resolution has it, the rest as measured but the items made once in a key's life.
    fn units(&self) -> usize {
        let measured = |units: &Units| {
            units
                .iter()
                .filter(|(part, _)| ![Part::Registry, Part::RollupCounting].contains(part))
                .map(|(_, units)| units)
                .sum::<usize>()
        };
        23 * measured(&self.hour) + measured(&self.last_hour) + LAST_SEEN_A_DAY
    }

    fn per_record(&self) -> f64 {
        self.units() as f64 / (24 * 60) as f64
    }
}

fn of(units: &Units, part: Part) -> usize {
    units.get(&part).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_live_instruments_day_costs_its_records_and_a_few_items_more() {
    let mut running = tokio::task::JoinSet::new();
    for channels in [30, 100] {
        for records_per_message in [1, 12] {
            running.spawn(one_day(channels, records_per_message));
        }
    }
    let mut days = running.join_all().await;
    days.sort_by_key(|d| (d.channels, d.records_per_message));
    println!("| channels | records per message | hour | records | chunk | rollups | counting and marks | counts of rollups made (first day) | WCU |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for day in &days {
        for (name, units) in [
            ("any but the last", &day.hour),
            ("the last", &day.last_hour),
        ] {
            println!(
                "| {} | {} | {name} | {} | {} | {} | {} | {} | {} |",
                day.channels,
                day.records_per_message,
                of(units, Part::Records),
                of(units, Part::Chunks),
                of(units, Part::Rollups),
                of(units, Part::Counting),
                of(units, Part::RollupCounting),
                units.values().sum::<usize>(),
            );
        }
    }
    println!();
    println!("| channels | records per message | WCU a day (last-seen time {LAST_SEEN_A_DAY} included) | WCU per record |");
    println!("|---|---|---|---|");
    for day in &days {
        println!(
            "| {} | {} | {} | {:.3} |",
            day.channels,
            day.records_per_message,
            day.units(),
            day.per_record()
        );
    }
    for day in &days {
        let (channels, hour) = (day.channels, &day.hour);
        assert_eq!(of(hour, Part::Records), 60, "one unit a record");
        assert_eq!(
            of(hour, Part::Chunks),
            1,
            "one chunk item of at most 1 KB, its bytes in the history bucket"
        );
        // The usage function writes three times an hour whatever the batches: the next
        // hour's mark, the compacted hour's mark, the chunk's bytes counted. The day's
        // last hour, compacted after the day ended, is rolled up with it at once: its
        // mark taken off with the day's, in one write, not made compacted first.
        assert_eq!(of(hour, Part::Counting), 3, "{channels} channels");
        assert_eq!(of(&day.last_hour, Part::Counting), 3, "{channels} channels");
        assert_eq!(of(hour, Part::RollupCounting), 0);
        assert!(
            of(&day.last_hour, Part::RollupCounting) <= 4,
            "ten minutes, hours, days, blocks"
        );
        assert_eq!(of(hour, Part::Rollups), 0, "rolled up when the day ends");
        assert_eq!(
            of(&day.last_hour, Part::Rollups) > 0,
            channels <= 40,
            "keys of more than 40 channels have no rollups"
        );
        assert_eq!(of(hour, Part::Registry), 0);
        assert!(
            day.per_record() <= 1.1,
            "{channels} channels: {:.3} write units a record",
            day.per_record()
        );
    }
}

/// One instrument of `channels` sending `records_per_message` one-minute records a
/// message through a day: its last two hours priced.
async fn one_day(channels: usize, records_per_message: usize) -> Day {
    let app = spawn(Plan::Pro).await;
    let day = devcloud::wall_clock().start_of_day().plus(Millis::DAY);
    let meter = Meter::register(&app, channels, records_per_message, day).await;
    let minute = |m: usize| day.plus(m as i64 * Millis::MINUTE);
    let follow = |at: Millis| {
        let behind = at.0 - app.cloud.clock.now().0;
        if behind > 0 {
            app.cloud.clock.advance(behind);
        }
    };
    // The day's first 21 hours as a backlog, sent at 21:00.
    follow(minute(21 * 60));
    for first in (0..21 * 60).step_by(12) {
        assert_stored(&app, &meter.records(first, 12).0, 12).await;
    }
    app.cloud.records_stream_settled().await;
    let live_from = 21 * 60 / records_per_message;
    let mut n = live_from;
    // Sends every message whose records are before minute `until`, live.
    let mut send_until = |until: usize| {
        let (app, meter) = (&app, &meter);
        let from = n;
        n = until / records_per_message;
        async move {
            for k in from..until / records_per_message {
                let (event, received) = meter.message(k);
                follow(received);
                assert_stored(app, &event, records_per_message).await;
                app.cloud.records_stream_settled().await;
            }
        }
    };
    send_until(22 * 60 + 15).await;
    let hour = priced(&app, async {
        send_until(23 * 60 + 15).await;
        // The 22nd hour compacted, its mark waiting for the day's end; the last marked.
        assert_eq!(waiting(&app).await, vec![minute(23 * 60)]);
    })
    .await;
    let last_hour = priced(&app, async {
        send_until(24 * 60 + 15).await;
        // The day rolled up, its marks taken off; the next day's first hour marked.
        assert_eq!(waiting(&app).await, vec![minute(24 * 60)]);
        let marks = app.cloud.store.pending_hours(&app.account).await.unwrap();
        assert_eq!(marks.iter().map(|(_, hours)| hours.len()).sum::<usize>(), 1);
    })
    .await;
    only_objects_pointed_at(&app).await;
    Day {
        channels,
        records_per_message,
        hour,
        last_hour,
    }
}

/// The write units of every write `sending` makes happen, by part, once the usage
/// function has had them all and counted every chunk.
async fn priced(app: &TestCloud, sending: impl std::future::Future<Output = ()>) -> Units {
    let before = snapshot(app).await;
    app.cloud.take_writes();
    sending.await;
    let charged = stored(app, &app.account).await.charged;
    assert_eq!(
        app.cloud.store.data_bytes(&app.account).await.unwrap(),
        charged,
        "the stream settled, every chunk counted"
    );
    let writes = app.cloud.take_writes();
    let after = snapshot(app).await;
    let mut units = Units::new();
    for write in &writes {
        *units.entry(part_of(write)).or_insert(0) +=
            price(std::slice::from_ref(write), &before, &after);
    }
    units
}

/// The hours marked for compaction (not those waiting for their day's end).
async fn waiting(app: &TestCloud) -> Vec<Millis> {
    let pending = app.cloud.store.pending_hours(&app.account).await.unwrap();
    pending
        .iter()
        .flat_map(|(_, hours)| hours)
        .filter(|hour| !hour.marked.is_compacted())
        .map(|hour| hour.hour)
        .collect()
}

fn part_of(write: &devcloud::write_log::Write) -> Part {
    let text = |name: &str| {
        write.key[name]["S"]
            .as_str()
            .expect("a string key")
            .to_owned()
    };
    if write.table == devcloud::RECORDS_TABLE {
        match item_kind(&text("i")) {
            ItemKind::Record => Part::Records,
            ItemKind::Chunk => Part::Chunks,
            ItemKind::Rollups => Part::Rollups,
        }
    } else if text("pk").starts_with("DATA#") {
        if item_kind(&text("sk")) == ItemKind::Rollups {
            Part::RollupCounting
        } else {
            Part::Counting
        }
    } else {
        Part::Registry
    }
}

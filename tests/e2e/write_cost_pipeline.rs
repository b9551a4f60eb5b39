//! What a record costs every function together in the steady state: ingest's writes
//! (priced in `write_cost.rs`) and the usage function's on account of them — the marks
//! of the hours records are stored in, the chunk each hour is compacted into, the
//! chunk's count in the storage used, and the hour's rollups. One whole hour of a live
//! instrument is measured, from a quarter past one hour to a quarter past the next (the
//! hour before it compacted, the next one's first records marked), with the local
//! cloud's clock following the records and the usage function handed each message
//! before the next is sent, as the stream hands it in minutes in AWS. `cargo test -p
//! fieldcloud-e2e --test e2e write_cost_pipeline -- --nocapture` prints the table the
//! README gives.

use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::DataUsage;

use crate::helpers::{spawn, TestCloud};
use crate::write_cost::{assert_stored, price, snapshot, Meter};

/// Where a write went, as the table below splits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Records,
    Chunks,
    Rollups,
    /// The usage function's item per key: counts and marks.
    Counting,
    /// The app's and the instrument's items.
    Registry,
}

struct Hour {
    channels: usize,
    records_per_message: usize,
    records: usize,
    units: std::collections::BTreeMap<Part, usize>,
}

#[tokio::test]
async fn an_hour_of_a_live_instrument_writes_its_records_and_a_few_items_more() {
    let mut running = tokio::task::JoinSet::new();
    for channels in [30, 100] {
        for records_per_message in [1, 12] {
            running.spawn(one_hour(channels, records_per_message));
        }
    }
    let mut hours = running.join_all().await;
    hours.sort_by_key(|h| (h.channels, h.records_per_message));
    println!("| channels | records per message | records | chunks | rollups | counting and marks | registry | WCU per record |");
    println!("|---|---|---|---|---|---|---|---|");
    for hour in &hours {
        let of = |part| hour.units.get(&part).copied().unwrap_or(0);
        let total: usize = hour.units.values().sum();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.3} |",
            hour.channels,
            hour.records_per_message,
            of(Part::Records),
            of(Part::Chunks),
            of(Part::Rollups),
            of(Part::Counting),
            of(Part::Registry),
            total as f64 / hour.records as f64
        );
        // Every record one write unit; the hour's chunk once; the usage function's
        // item written three times an hour whatever the batches: the next hour's mark,
        // the compacted hour's mark taken off, the chunk counted.
        assert_eq!(of(Part::Records), hour.records, "one unit a record");
        let chunk_units = (2 * hour.channels * hour.records).div_ceil(1024);
        assert!(
            (1..=chunk_units).contains(&of(Part::Chunks)),
            "one chunk of at most two bytes a point: {} units",
            of(Part::Chunks)
        );
        assert_eq!(of(Part::Counting), 3, "{} channels", hour.channels);
    }
}

/// One instrument of `channels`, sending `records_per_message` one-minute records a
/// message, measured over one whole hour after two.
async fn one_hour(channels: usize, records_per_message: usize) -> Hour {
    let app = spawn(Plan::Pro).await;
    // The records start with the next hour; the clock moves with them.
    let start = devcloud::wall_clock().start_of_hour().plus(Millis::HOUR);
    let meter = Meter::register(&app, channels, records_per_message, start).await;
    let message = |n: usize| meter.message(n);
    let minutes = |m: i64| start.plus(m * Millis::MINUTE);
    let mut n = 0;
    // Sends every message whose newest record is before `until`.
    let mut send_until = |until: Millis| {
        let app = &app;
        let message = &message;
        let from = n;
        let to = (from..)
            .find(|k| message(*k).1.plus(-5_000) >= until)
            .expect("a message past it");
        n = to;
        async move {
            for k in from..to {
                let (event, received) = message(k);
                let behind = received.0 - app.cloud.clock.now().0;
                if behind > 0 {
                    app.cloud.clock.advance(behind);
                }
                assert_stored(app, &event, records_per_message).await;
                app.cloud.records_stream_settled().await;
            }
        }
    };
    send_until(minutes(75)).await;
    let marked = || async {
        let pending = app.cloud.store.pending_hours(&app.account).await.unwrap();
        pending
            .iter()
            .flat_map(|(_, hours)| hours.iter().map(|p| p.hour))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        marked().await,
        vec![minutes(60)],
        "the first hour compacted"
    );
    charged_settled(&app).await;
    let before = snapshot(&app).await;
    app.cloud.take_writes();
    send_until(minutes(135)).await;
    assert_eq!(
        marked().await,
        vec![minutes(120)],
        "the second hour compacted"
    );
    charged_settled(&app).await;
    let writes = app.cloud.take_writes();
    let after = snapshot(&app).await;
    let mut units = std::collections::BTreeMap::new();
    for write in &writes {
        let part = part_of(write);
        *units.entry(part).or_insert(0) += price(std::slice::from_ref(write), &before, &after);
    }
    Hour {
        channels,
        records_per_message,
        records: 60,
        units,
    }
}

/// Waits until the chunks' bytes are counted.
async fn charged_settled(app: &TestCloud) {
    let charged = crate::storage_used::stored(app, &app.account).await.charged;
    assert_eq!(
        app.cloud.store.data_bytes(&app.account).await.unwrap(),
        charged,
        "the stream settled, every chunk counted"
    );
}

fn part_of(write: &devcloud::write_log::Write) -> Part {
    let text = |name: &str| {
        write.key[name]["S"]
            .as_str()
            .expect("a string key")
            .to_owned()
    };
    if write.table == devcloud::RECORDS_TABLE {
        let key = text("i");
        if ["#h#hour", "#d#hour", "#b#hour"]
            .iter()
            .any(|rollup| key.ends_with(rollup))
        {
            Part::Rollups
        } else if key.ends_with("#hour") {
            Part::Chunks
        } else {
            Part::Records
        }
    } else if text("pk").starts_with("DATA#") {
        Part::Counting
    } else {
        Part::Registry
    }
}

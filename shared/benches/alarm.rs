//! What data alarms cost ingest in CPU: one record of a 30-channel instrument decided by
//! 30 alarms, one per channel (the Standard plan's limit per group), through the very
//! path ingest takes (`evaluate_on_ingest`) on the in-memory adapters — the records
//! decoded, each alarm's samples found and its state machine run, the group's states
//! compared and saved.
//!
//! `cargo bench -p fieldcloud --no-default-features --bench alarm -- --warm-up-time 1
//! --measurement-time 3` (without the AWS SDK, which this does not use) on the 2-core
//! development VM (rustc 1.95, bench profile):
//! - 30 alarms, a message of one record: 47 µs per message (1.6 µs per alarm)
//! - 30 alarms, a message of 12 records: 68 µs per message (5.7 µs per record)
//!
//! Most of it is per message, not per record: the states read, compared and saved, and
//! each rule's fingerprint.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fieldcloud::domain::alarm::{Alarm, Condition, Join, Limit, Rule};
use fieldcloud::domain::channel::SeriesRef;
use fieldcloud::domain::codec::encode_values;
use fieldcloud::domain::ids::{AccountId, AlarmId, AppId, ChannelName, GroupId, InstrumentSerial};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::{Millis, Value};
use fieldcloud::domain::registry::{Account, App, AppKind, Group, Instrument, RegistrationId};
use fieldcloud::memory::{MemoryNotifyQueue, MemoryRecords, MemoryStore};
use fieldcloud::ports::{Alarms, Created, GroupKey, Groups, NewlyStored, StoredRecord};
use fieldcloud::usecases::alarm_evaluation::{evaluate_on_ingest, Arrivals};

const CHANNELS: usize = 30;

struct Bench {
    store: MemoryStore,
    records: MemoryRecords,
    queue: MemoryNotifyQueue,
    instrument: Instrument,
    account: AccountId,
    group: GroupId,
}

fn bench() -> Bench {
    let store = MemoryStore::new();
    let account = AccountId::parse("acme").unwrap();
    let group = GroupId::parse("plant").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let app = App {
        id: AppId::parse("gw-1").unwrap(),
        account: account.clone(),
        group: group.clone(),
        registration: RegistrationId::from_random(1 << 16),
        registered: Millis(0),
        name: "gw-1".into(),
        kind: AppKind::Gateway,
        enabled: true,
        certificate: None,
        last_seen: None,
        status: Default::default(),
    };
    let mut instrument = Instrument::new(
        &app,
        InstrumentSerial::parse("LR8450-1").unwrap(),
        RegistrationId::from_random(2 << 16),
    );
    instrument.channels = (1..=CHANNELS)
        .map(|c| ChannelName::parse(format!("CH{c}")).unwrap())
        .collect();
    store.create_account(&Account::new(
        account.clone(),
        "Acme".into(),
        Plan::Pro,
        Millis(0),
    ));
    runtime.block_on(async {
        let plant = Group {
            account: account.clone(),
            id: group.clone(),
            name: "Plant".into(),
            grants: Vec::new(),
        };
        assert_eq!(
            store.create_group(&plant, 10).await.unwrap(),
            Created::Created
        );
        for c in 1..=CHANNELS {
            // Thresholds the readings never cross: the steady state, no notification.
            let alarm = Alarm {
                account: account.clone(),
                group: group.clone(),
                id: AlarmId::parse(format!("a{c}")).unwrap(),
                name: format!("CH{c} high"),
                rule: Rule {
                    conditions: vec![Condition {
                        channel: SeriesRef::parse(&format!("gw-1/LR8450-1/CH{c}")).unwrap(),
                        raise: Limit::Above { value: 1000.0 },
                        clear: Some(Limit::Above { value: 900.0 }),
                    }],
                    join: Join::And,
                    window: None,
                    hold_millis: 60_000,
                    recovery: true,
                    special_values: true,
                },
                enabled: true,
                version: 1,
            };
            assert_eq!(
                store.create_alarm(&alarm, 100).await.unwrap(),
                Created::Created
            );
        }
    });
    Bench {
        store,
        records: MemoryRecords::default(),
        queue: MemoryNotifyQueue::default(),
        instrument,
        account,
        group,
    }
}

/// `count` records from `first`, a minute apart, every channel a reading.
fn arrivals(instrument: &Instrument, first: i64, count: usize) -> Arrivals {
    let records: Vec<StoredRecord> = (0..count as i64)
        .map(|k| {
            let values: Vec<(u32, Value)> = (0..CHANNELS as u32)
                .map(|c| (c, Value::Number(20.0 + f64::from(c) / 10.0)))
                .collect();
            StoredRecord {
                instrument: instrument.key(),
                t: Millis(first + k * Millis::MINUTE),
                values: encode_values(&values),
            }
        })
        .collect();
    let mut arrivals = Arrivals::default();
    arrivals.measured(instrument, records, NewlyStored(vec![true; count]));
    arrivals
}

fn thirty_alarms(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("30 alarms");
    for records in [1usize, 12] {
        let bench = bench();
        let key = GroupKey {
            account: &bench.account,
            group: &bench.group,
        };
        let mut t = 1_700_000_000_000;
        group.throughput(Throughput::Elements(records as u64));
        group.bench_function(format!("{records} records per message"), |b| {
            b.iter(|| {
                // Each message newer than the last, as live traffic is.
                let message = arrivals(&bench.instrument, t, records);
                t += records as i64 * Millis::MINUTE;
                let report = runtime.block_on(async {
                    evaluate_on_ingest(
                        &bench.store,
                        &bench.records,
                        &bench.queue,
                        key,
                        &chrono_tz::UTC,
                        black_box(&message),
                    )
                    .await
                    .unwrap()
                });
                assert_eq!(report.watching, CHANNELS, "every alarm decides");
                report
            })
        });
    }
    group.finish();
}

criterion_group!(benches, thirty_alarms);
criterion_main!(benches);

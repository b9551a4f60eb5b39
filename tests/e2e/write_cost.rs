//! The write cost model: what a message really costs in DynamoDB write units, priced from
//! the real items before and after every write ingest sends (moto's consumed capacity is
//! made up). The rules DynamoDB bills by:
//!
//! - a put, update or delete costs one unit per started KB of the larger of the item
//!   before and after (a refused conditional write too: it is billed as if written);
//! - each part of a transaction costs twice that;
//! - an index that projects the item (the registry's `byGroup` projects ALL) costs the
//!   same again for every item that is in it before or after and changes; where the
//!   item's index key changes, the old entry's delete and the new one's put both count.
//!
//! Every write must find its item before or after it, or the test fails: a key the model
//! cannot see would be priced at nothing. What it leaves out: reads (the `latest` view's
//! are priced apart below), and the refused conditional writes of concurrent invocations
//! racing for the same app item (messages are delivered here one at a time).
//!
//! Steady state: an app registered through the API (a real certificate in its item), one
//! instrument whose channels are known, then two hours of records at the normal
//! one-minute interval — either a message a minute with one record, or a message every
//! twelve minutes with the twelve records it buffered — optionally with a calculated
//! channel computing from the instrument, or with data alarms watching its channels (on
//! thresholds the readings never cross: the steady state, with no notification). `cargo test -p fieldcloud-e2e
//! --test e2e write_cost -- --nocapture` prints the table the README gives.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use devcloud::tables::IndexSpec;
use devcloud::write_log::{ItemKey, Write};
use fieldcloud::adapters::dynamodb::item_size;
use fieldcloud::domain::iot_thing::IotThing;
use fieldcloud::domain::latest::LATEST_LOOKBACK;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::protocol::RuleEvent;
use fieldcloud::domain::record::Millis;
use serde_json::{json, Value as Json};

use crate::calculated::backfilled;
use crate::helpers::{batch, record, spawn, TestCloud};

type Item = HashMap<String, AttributeValue>;

/// The tables the functions write: logical ID in the template, local name.
const TABLES: [(&str, &str); 2] = [
    ("RegistryTable", devcloud::REGISTRY_TABLE),
    ("RecordsTable", devcloud::RECORDS_TABLE),
];
pub(crate) type Snapshot = HashMap<(String, ItemKey), Item>;

/// One instrument's traffic: how wide its records are, how many a message carries, and
/// how many calculated channels compute from it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scenario {
    channels: usize,
    records_per_message: usize,
    calculated: usize,
    alarms: usize,
}

/// The figures of one scenario.
struct Cost {
    scenario: Scenario,
    messages: usize,
    units: usize,
    /// Read units of the instrument's part of one `latest` view: one eventually
    /// consistent Query of its newest records (half a unit per started 4 KB).
    latest_read_units: f64,
    /// Read units the group's alarms add to each message: a consistent Query of their
    /// definitions and a consistent GetItem of their states (a unit per started 4 KB).
    alarm_read_units: usize,
    /// Write units of one write of the alarm states item, as it ends.
    alarm_state_units: usize,
}

impl Cost {
    fn per_message(&self) -> f64 {
        self.units as f64 / self.messages as f64
    }

    fn per_record(&self) -> f64 {
        self.per_message() / self.scenario.records_per_message as f64
    }

    fn per_thousand_points(&self) -> f64 {
        self.per_record() * 1000.0 / self.scenario.channels as f64
    }
}

#[tokio::test]
async fn ingest_costs_at_most_1_1_write_units_a_record_in_the_steady_state() {
    let mut scenarios = Vec::new();
    for channels in [30, 100] {
        for records_per_message in [1, 12] {
            scenarios.push(Scenario {
                channels,
                records_per_message,
                calculated: 0,
                alarms: 0,
            });
        }
    }
    let with_calculated = Scenario {
        channels: 30,
        records_per_message: 1,
        calculated: 1,
        alarms: 0,
    };
    scenarios.push(with_calculated);
    let with_alarms: Vec<Scenario> = [(1, 1), (30, 1), (30, 12)]
        .into_iter()
        .map(|(alarms, records_per_message)| Scenario {
            channels: 30,
            records_per_message,
            calculated: 0,
            alarms,
        })
        .collect();
    scenarios.extend(&with_alarms);
    // Each on a local cloud of its own, all at once.
    let mut running = tokio::task::JoinSet::new();
    for scenario in scenarios.iter().copied() {
        running.spawn(steady_state(scenario));
    }
    let mut costs = running.join_all().await;
    costs.sort_by_key(|c| scenarios.iter().position(|s| *s == c.scenario));
    println!("| channels | records per message | calculated channels | data alarms | WCU per message | WCU per record | WCU per 1,000 points | RCU per message for alarms | RRU per instrument of a `latest` view |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for cost in &costs {
        let s = cost.scenario;
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.3} | {:.1} | {} | {:.1} |",
            s.channels,
            s.records_per_message,
            s.calculated,
            s.alarms,
            cost.per_message(),
            cost.per_record(),
            cost.per_thousand_points(),
            cost.alarm_read_units,
            cost.latest_read_units
        );
    }
    let plain = |c: &&Cost| c.scenario.calculated == 0 && c.scenario.alarms == 0;
    for cost in costs.iter().filter(plain) {
        assert!(
            cost.per_record() <= 1.1,
            "{:?}: {:.3} write units per record",
            cost.scenario,
            cost.per_record()
        );
    }
    // A calculated channel's value is a record of its own: one more write per record.
    let cost_of = |scenario: Scenario| {
        costs
            .iter()
            .find(|c| c.scenario == scenario)
            .expect("every scenario ran")
            .per_record()
    };
    let without = Scenario {
        calculated: 0,
        ..with_calculated
    };
    assert!(
        (cost_of(with_calculated) - cost_of(without) - 1.0).abs() < 1e-9,
        "a calculated channel costs {:.3} write units per record",
        cost_of(with_calculated) - cost_of(without)
    );
    // Alarms add one write of their states item per message, whatever their number;
    // 30 alarms' states fit in 2 KB.
    for scenario in with_alarms {
        let cost = costs.iter().find(|c| c.scenario == scenario).unwrap();
        let without = costs
            .iter()
            .find(|c| {
                c.scenario
                    == Scenario {
                        alarms: 0,
                        ..scenario
                    }
            })
            .unwrap();
        assert_eq!(
            cost.units - without.units,
            cost.messages * cost.alarm_state_units,
            "{scenario:?}: one states write per message"
        );
        assert!(
            cost.alarm_state_units <= 2,
            "{scenario:?}: states of {} write units",
            cost.alarm_state_units
        );
    }
}

/// Two hours of one instrument's records after the first message, priced.
async fn steady_state(scenario: Scenario) -> Cost {
    let Scenario {
        channels,
        records_per_message,
        calculated,
        alarms,
    } = scenario;
    let app = spawn(Plan::Pro).await;
    let start = devcloud::wall_clock().plus(Millis::MINUTE);
    let meter = Meter::register(&app, channels, records_per_message, start).await;
    let message = |n: usize| meter.message(n).0;
    // The first message registers the instrument and its channels: not the steady state.
    assert_stored(&app, &message(0), records_per_message).await;
    for n in 0..calculated {
        let (status, channel) = app
            .call(
                "POST",
                "/v1/groups/plant/calculated",
                Some(json!({ "name": format!("P{n}"), "expression": "[PW3390-01/CH1] * [PW3390-01/CH2]" })),
            )
            .await;
        assert_eq!(status, 201, "{channel}");
        backfilled(&app, channel["id"].as_str().expect("an id")).await;
    }
    for n in 0..alarms {
        let channel = format!("meter-1/PW3390-01/CH{}", n % channels + 1);
        let (status, alarm) = app
            .call(
                "POST",
                "/v1/groups/plant/alarms",
                Some(never_raised(&channel)),
            )
            .await;
        assert_eq!(status, 201, "{alarm}");
    }

    let messages = 120 / records_per_message;
    let mut units = 0;
    for n in 1..=messages {
        let before = snapshot(&app).await;
        app.cloud.take_writes();
        assert_stored(&app, &message(n), records_per_message).await;
        // The usage function counts the records from the stream on its own time (in
        // AWS once per instrument per batch of up to five minutes; priced apart in the
        // README): left out of what a message costs ingest.
        let (writes, counting): (Vec<Write>, Vec<Write>) = app
            .cloud
            .take_writes()
            .into_iter()
            .partition(|w| w.function == "IngestFunction");
        assert!(
            counting.iter().all(|w| w.function == "UsageFunction"),
            "only ingest writes, and the usage function counting them"
        );
        units += price(&writes, &before, &snapshot(&app).await);
    }
    let after = snapshot(&app).await;
    let registry_item = |sk_prefix: &str| -> Vec<usize> {
        after
            .iter()
            .filter(|((table, _), _)| table == devcloud::REGISTRY_TABLE)
            .filter(|(_, item)| {
                item["pk"].as_s().is_ok_and(|pk| pk == "ACCOUNT#acme")
                    && item["sk"].as_s().is_ok_and(|sk| sk.starts_with(sk_prefix))
            })
            .map(|(_, item)| item_size(item))
            .collect()
    };
    let definitions: usize = registry_item("ALARM#plant#").iter().sum();
    let states = registry_item("ALARMSTATE#plant");
    assert_eq!(
        states.len(),
        usize::from(alarms > 0),
        "one states item per group"
    );
    let state_bytes = states.first().copied().unwrap_or(0);
    Cost {
        scenario,
        messages,
        units,
        latest_read_units: latest_read_units(&after),
        alarm_read_units: if alarms > 0 {
            definitions.div_ceil(4096).max(1) + state_bytes.div_ceil(4096).max(1)
        } else {
            0
        },
        alarm_state_units: state_bytes.div_ceil(1024),
    }
}

/// An alarm on `channel` that the readings (200 to 310) never raise.
fn never_raised(channel: &str) -> Json {
    json!({
        "name": "Overload",
        "rule": {
            "conditions": [{"channel": channel, "raise": {"compare": "above", "value": 1000}}],
            "join": "and",
            "hold_millis": 0,
            "recovery": true,
            "special_values": true
        }
    })
}

/// The read units of one `latest` view of the scenario's instrument: a Query of its
/// newest [`LATEST_LOOKBACK`] records, eventually consistent.
fn latest_read_units(items: &Snapshot) -> f64 {
    let mut records: Vec<(&str, i64, usize)> = items
        .iter()
        .filter(|((table, _), _)| table == devcloud::RECORDS_TABLE)
        .filter_map(|(_, item)| {
            let key = item["i"].as_s().ok()?;
            let t = item["t"].as_n().ok()?.parse().ok()?;
            // The instrument's records, not a calculated channel's (`calc:` keys).
            (!key.contains("/calc:")).then_some((key.as_str(), t, item_size(item)))
        })
        .collect();
    records.sort_by_key(|(_, t, _)| std::cmp::Reverse(*t));
    let bytes: usize = records
        .iter()
        .take(LATEST_LOOKBACK)
        .map(|(_, _, size)| size)
        .sum();
    bytes.div_ceil(4096) as f64 * 0.5
}

/// A power meter's app, registered through the API, sending one-minute records of
/// `channels` from `start`, `records_per_message` a message.
pub(crate) struct Meter {
    thing: IotThing,
    certificate: Option<String>,
    channels: usize,
    records_per_message: usize,
    start: Millis,
}

impl Meter {
    pub(crate) async fn register(
        app: &TestCloud,
        channels: usize,
        records_per_message: usize,
        start: Millis,
    ) -> Meter {
        let (status, registered) = app
            .call(
                "POST",
                "/v1/groups/plant/apps",
                Some(json!({ "thing": "meter-1", "name": "Power meter, line 1" })),
            )
            .await;
        assert_eq!(status, 201, "{registered}");
        Meter {
            thing: app.iot_thing("meter-1"),
            certificate: registered["certificate_id"].as_str().map(str::to_owned),
            channels,
            records_per_message,
            start,
        }
    }

    /// Message `n` (from 0), and when it is received: a few seconds after its newest
    /// record, as a live gateway sends it.
    pub(crate) fn message(&self, n: usize) -> (RuleEvent, Millis) {
        let per_message = self.records_per_message;
        self.records(n * per_message, per_message)
    }

    /// A message of `count` records from minute `first` on (from 0), and when it is
    /// received.
    pub(crate) fn records(&self, first: usize, count: usize) -> (RuleEvent, Millis) {
        let at = |minute: usize| self.start.plus(minute as i64 * Millis::MINUTE).0;
        let records = (first..first + count)
            .map(|minute| record("PW3390-01", at(minute), readings(self.channels, at(minute))))
            .collect();
        let received = Millis(at(first + count - 1) + 5_000);
        let payload = batch(records).to_string();
        let event = RuleEvent::new(
            self.thing.as_str(),
            self.certificate.as_deref(),
            payload.as_bytes(),
            received,
        );
        (event, received)
    }
}

/// A power meter's readings: two decimals, as instruments send them.
fn readings(channels: usize, t: i64) -> Json {
    let values: serde_json::Map<String, Json> = (0..channels)
        .map(|c| {
            let reading = ((t / Millis::MINUTE) % 1000 + c as i64 * 37) as f64 / 100.0 + 200.0;
            (format!("CH{}", c + 1), json!(reading))
        })
        .collect();
    Json::Object(values)
}

pub(crate) async fn assert_stored(app: &TestCloud, event: &RuleEvent, records: usize) {
    let outcome = app.cloud.deliver(event).await;
    let report = outcome.result.expect("ingest succeeds");
    assert_eq!(report.stored, records, "{report:?}");
}

/// Every item of both tables, by table and key.
pub(crate) async fn snapshot(app: &TestCloud) -> Snapshot {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let mut items = Snapshot::new();
    let key_names = devcloud::table_keys().expect("the template declares the tables");
    for (_, table) in TABLES {
        let keys = &key_names[table];
        let scanned: Vec<Item> = client
            .scan()
            .table_name(table)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .expect("scan");
        for item in scanned {
            let key = keys
                .iter()
                .map(|name| (name.clone(), as_json(&item[name])))
                .collect();
            items.insert((table.to_owned(), key), item);
        }
    }
    items
}

/// A key attribute in DynamoDB's JSON, as the write log holds it.
fn as_json(value: &AttributeValue) -> Json {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        other => panic!("key attributes are strings or numbers, not {other:?}"),
    }
}

/// The write units `writes` cost, from the items before and after them.
pub(crate) fn price(writes: &[Write], before: &Snapshot, after: &Snapshot) -> usize {
    let indexes: HashMap<String, Vec<IndexSpec>> = TABLES
        .iter()
        .map(|(logical_id, table)| {
            let spec = devcloud::tables::table_spec(logical_id).expect("the template declares it");
            (table.to_string(), spec.global_secondary_indexes)
        })
        .collect();
    writes
        .iter()
        .map(|write| {
            let key = (write.table.clone(), write.key.clone());
            let (old, new) = (before.get(&key), after.get(&key));
            assert!(
                old.is_some() || new.is_some(),
                "a write the model cannot see: {write:?}"
            );
            let mut cost = units(larger(old, new));
            if old != new {
                for index in &indexes[&write.table] {
                    cost += match (index_entry(index, old), index_entry(index, new)) {
                        (Some((was, o)), Some((now, n))) if was == now => {
                            units(larger(Some(o), Some(n)))
                        }
                        // The old entry deleted and the new one put, each if any.
                        (o, n) => [o, n]
                            .into_iter()
                            .flatten()
                            .map(|(_, i)| units(Some(i)))
                            .sum(),
                    };
                }
            }
            cost * if write.transactional { 2 } else { 1 }
        })
        .sum()
}

/// Write units of one write of `item` (or of none: the one unit a write costs at least).
fn units(item: Option<&Item>) -> usize {
    item.map_or(0, item_size).div_ceil(1024).max(1)
}

fn larger<'a>(old: Option<&'a Item>, new: Option<&'a Item>) -> Option<&'a Item> {
    if old.map_or(0, item_size) >= new.map_or(0, item_size) {
        old
    } else {
        new
    }
}

/// The item's entry in `index` with the entry's key, if the item has the index key.
fn index_entry<'a>(
    index: &IndexSpec,
    item: Option<&'a Item>,
) -> Option<(Vec<&'a AttributeValue>, &'a Item)> {
    let item = item?;
    let key = index
        .key_schema
        .iter()
        .map(|k| item.get(&k.attribute_name))
        .collect::<Option<Vec<_>>>()?;
    Some((key, item))
}

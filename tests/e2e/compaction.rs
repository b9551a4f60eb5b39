//! Compacted history on the real tables: an hour and more of records sent over MQTT into
//! hours already closed is compacted by the usage function from the records table's
//! stream, its policy enforced, and charged in the storage used; the whole stream handed
//! over again compacts nothing twice; with the records expired (every item that carries
//! the Time to Live attribute deleted, as DynamoDB will a week on) the charge falls to
//! the chunks and the series reads back through the API exactly as before — raw and
//! downsampled alike; buckets of whole hours are drawn from the hours' rollups alone,
//! buckets of whole days from a block of days; an hour that cannot be compacted keeps
//! its records from expiring.

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::adapters::dynamodb::item_size;
use fieldcloud::adapters::dynamodb::schema::RECORD_EXPIRY_ATTRIBUTE;
use fieldcloud::domain::downsample::{m4_aligned, Point};
use fieldcloud::domain::ids::{AppId, InstrumentSerial};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::{Millis, Special, Value};
use fieldcloud::domain::registry::InstrumentKey;
use fieldcloud::domain::rollup::{block_start, day_blocks_key, Level, DAY_BLOCK};
use fieldcloud::ports::{ChunkStore, DataUsage, Instruments, RecordStore};
use serde_json::json;

use crate::helpers::{batch, record, spawn, TestCloud};
use crate::notify::until;
use crate::storage_used::{counted, stored, waiting_compaction};

#[tokio::test]
async fn closed_hours_are_compacted_from_the_stream_and_read_back_as_their_records_did() {
    let app = spawn(Plan::Standard).await;
    // Every 30 s for an hour and a half, ending two hours ago (so each of its two or
    // three UTC hours has closed): a special value, a channel in some records only.
    let (first, last) = (-9_000, -3_600);
    let records: Vec<_> = (0..180)
        .map(|i| {
            let mut values = json!({ "CH1": 20.0 + (i % 17) as f64 / 100.0, "CH2": -(i as f64) });
            if i % 3 == 0 {
                values["CH3"] = json!(i);
            }
            if i == 77 {
                values["CH1"] = json!("BURNOUT");
            }
            record("LR-1", app.at(first + i * 30), values)
        })
        .collect();
    for chunk in records.chunks(60) {
        app.publish("gw-a", &batch(chunk.to_vec()))
            .await
            .result
            .expect("ingest succeeds");
    }
    let series = |buckets: usize| {
        let path = format!(
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&channel=gw-a/LR-1/CH2&channel=gw-a/LR-1/CH3&from={}&to={}&buckets={buckets}",
            app.at(first),
            app.at(last)
        );
        let app = &app;
        async move {
            let (status, body) = app.get(&path).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    let (raw, downsampled) = (series(5_000).await, series(7).await);
    assert_eq!(raw["series"][0]["downsampled"], false);
    assert_eq!(downsampled["series"][0]["downsampled"], true);

    let key = registered_key(&app).await;
    let chunked_records = || async {
        let chunks = app
            .cloud
            .records
            .chunks(&key, Millis(0), Millis(app.at(0)), usize::MAX)
            .await
            .unwrap();
        chunks.iter().map(|c| c.records as usize).sum::<usize>()
    };
    until("the usage function compacted every hour", || async {
        chunked_records().await == 180 && waiting_compaction(&app, &app.account).await == 0
    })
    .await;

    // The chunks are charged, not the records that will expire nor the rollups.
    let charged = counted(&app, &app.account).await;
    let keys = app.cloud.store.data_keys(&app.account).await.unwrap();
    assert!(keys
        .iter()
        .any(|k| k.as_str() == format!("{}#hour", key.as_str())));

    let again = app.cloud.redeliver_records_stream().await.unwrap();
    let stored_again: usize = again.iter().map(|report| report.hours.stored).sum();
    assert_eq!(stored_again, 0, "a redelivery compacts nothing again");
    assert_eq!(chunked_records().await, 180);

    // The monitor's latest values and last-seen times, from records and then from chunks.
    let seen = || async {
        let (status, latest) = app.get("/v1/groups/plant/latest").await;
        assert_eq!(status, 200, "{latest}");
        let apps = latest["apps"].as_array().unwrap().iter();
        apps.map(|a| (a["last_seen"].clone(), a["instruments"].clone()))
            .collect::<Vec<_>>()
    };
    let monitored = seen().await;
    let newest = app.at(first + 179 * 30);
    assert!(
        monitored
            .iter()
            .any(|(_, instruments)| instruments[0]["last_seen"] == newest),
        "{monitored:?}"
    );
    assert_eq!(expire(&app).await, 180, "the records expire, nothing else");
    assert_eq!(seen().await, monitored);
    assert_eq!(
        counted(&app, &app.account).await,
        charged,
        "records expiring take nothing off what is charged"
    );
    assert_eq!(series(5_000).await, raw);
    assert_eq!(series(7).await, downsampled);

    // Buckets of whole hours are drawn from the hours' rollups: exactly what the records
    // draw in them, and still with the chunks gone as well.
    let from = Millis(app.at(first))
        .start_of_hour()
        .plus(-3 * Millis::HOUR);
    let to = Millis(app.at(last)).start_of_hour().plus(Millis::HOUR);
    let hours = ((to.0 - from.0) / Millis::HOUR) as usize;
    let over = |buckets: usize| {
        format!(
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&channel=gw-a/LR-1/CH2&channel=gw-a/LR-1/CH3&from={}&to={}&buckets={buckets}",
            from.0, to.0
        )
    };
    let (status, every) = app.get(&over(5_000)).await;
    assert_eq!(status, 200, "{every}");
    assert_eq!(every["bucket_width"], serde_json::Value::Null);
    let path = over(hours);
    let (status, hourly) = app.get(&path).await;
    assert_eq!(status, 200, "{hourly}");
    assert_eq!(hourly["bucket_width"], Millis::HOUR);
    assert_eq!(hourly["buckets"], hours);
    for (channel, drawn) in every["series"].as_array().unwrap().iter().enumerate() {
        assert_eq!(drawn["downsampled"], false);
        let expected = m4_aligned(&points_of(drawn), Millis::HOUR);
        assert!(expected.len() >= 2, "channel {channel} has points");
        assert_eq!(
            points_of(&hourly["series"][channel]),
            expected,
            "channel {channel}"
        );
    }
    // Hours compacted while their day went on are rolled up once it has ended: here by
    // the daily sweep, under its policy, at 00:20 the next day.
    let next_day = Millis(app.at(0)).start_of_day().plus(Millis::DAY);
    let reports = app
        .cloud
        .quota_sweep(next_day.plus(20 * Millis::MINUTE), 50, None)
        .await
        .unwrap();
    assert!(
        reports.iter().all(|r| r.hours.still_pending == 0),
        "{reports:?}"
    );
    assert!(app
        .cloud
        .store
        .pending_hours(&app.account)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(app.get(&path).await.1, hourly, "drawn from the rollups now");
    // Buckets of whole ten minutes, from the day's ten-minute rollup.
    let ten_minutes = 10 * Millis::MINUTE;
    let tens_path = over(hours * 6);
    let (status, by_tens) = app.get(&tens_path).await;
    assert_eq!(status, 200, "{by_tens}");
    assert_eq!(by_tens["bucket_width"], ten_minutes);
    for (channel, drawn) in every["series"].as_array().unwrap().iter().enumerate() {
        let expected = m4_aligned(&points_of(drawn), ten_minutes);
        assert!(
            expected.len() >= 9,
            "channel {channel}: nine buckets at least"
        );
        assert_eq!(
            points_of(&by_tens["series"][channel]),
            expected,
            "channel {channel}"
        );
    }
    let chunks_key = InstrumentKey::from_stored(format!("{}#hour", key.as_str()));
    let deleted = app
        .cloud
        .records
        .delete_before(&chunks_key, Millis(app.at(0)), usize::MAX)
        .await
        .unwrap();
    assert!(deleted.deleted >= 2, "{} chunks", deleted.deleted);
    assert!(app
        .cloud
        .records
        .chunks(&key, Millis(0), Millis(app.at(0)), 1)
        .await
        .unwrap()
        .is_empty());
    let (status, again) = app.get(&path).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, hourly);
    assert_eq!(app.get(&tens_path).await.1, by_tens, "with no chunk left");
}

/// Deletes every item of the records table that carries the Time to Live attribute, as
/// DynamoDB does once its time has come (moto never does); how many.
pub(crate) async fn expire(app: &TestCloud) -> usize {
    let client =
        aws_sdk_dynamodb::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await);
    let expiring: Vec<_> = client
        .scan()
        .table_name(devcloud::RECORDS_TABLE)
        .filter_expression("attribute_exists(#e)")
        .expression_attribute_names("#e", RECORD_EXPIRY_ATTRIBUTE)
        .projection_expression("i, t, #e")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .expect("scan");
    for item in &expiring {
        let mut key = item.clone();
        key.remove(RECORD_EXPIRY_ATTRIBUTE);
        client
            .delete_item()
            .table_name(devcloud::RECORDS_TABLE)
            .set_key(Some(key))
            .send()
            .await
            .expect("delete");
    }
    expiring.len()
}

#[tokio::test]
async fn an_hour_that_cannot_be_compacted_keeps_its_records_from_expiring() {
    let app = spawn(Plan::Standard).await;
    // Minutes of an hour closed an hour ago or more, whatever the minute now.
    let hour = Millis(app.at(-2 * 3_600)).start_of_hour();
    let at = |minute: i64| hour.plus(minute * Millis::MINUTE).0;
    let sent: Vec<_> = (0..5)
        .map(|m| record("LR-1", at(m), json!({ "CH1": m })))
        .collect();
    app.publish("gw-a", &batch(sent))
        .await
        .result
        .expect("ingest succeeds");
    let key = registered_key(&app).await;
    // A record whose values do not decode (none that ingest writes): its hour cannot be
    // compacted (again, if the others were already), and the usage function keeps the
    // hour's records raw, under its policy.
    let client =
        aws_sdk_dynamodb::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await);
    client
        .put_item()
        .table_name(devcloud::RECORDS_TABLE)
        .item("i", AttributeValue::S(key.as_str().into()))
        .item("t", AttributeValue::N(at(30).to_string()))
        .item("v", AttributeValue::B(vec![0xff, 0xff, 0xff].into()))
        .item(
            RECORD_EXPIRY_ATTRIBUTE,
            AttributeValue::N("4102444800".into()),
        )
        .send()
        .await
        .unwrap();
    let expiring = || async {
        client
            .query()
            .table_name(devcloud::RECORDS_TABLE)
            .key_condition_expression("i = :i")
            .filter_expression("attribute_exists(#e)")
            .expression_attribute_names("#e", RECORD_EXPIRY_ATTRIBUTE)
            .expression_attribute_values(":i", AttributeValue::S(key.as_str().into()))
            .send()
            .await
            .unwrap()
            .count
    };
    until("the hour is left raw, its records kept", || async {
        expiring().await == 0
            && app
                .cloud
                .store
                .pending_hours(&app.account)
                .await
                .unwrap()
                .is_empty()
    })
    .await;
    assert_eq!(expire(&app).await, 0, "nothing expires");
    let kept = app
        .cloud
        .records
        .range(&key, hour, hour.plus(Millis::HOUR), 100)
        .await
        .unwrap();
    assert_eq!(kept.len(), 6);
    // Kept raw, they are the hour's only copy, and charged as themselves.
    until("the records kept are charged", || async {
        let charged = stored(&app, &app.account).await.charged;
        app.cloud.store.data_bytes(&app.account).await.unwrap() == charged
    })
    .await;
    assert_eq!(stored(&app, &app.account).await.expiring_records, 0);
    let records = client
        .query()
        .table_name(devcloud::RECORDS_TABLE)
        .key_condition_expression("i = :i")
        .expression_attribute_values(":i", AttributeValue::S(key.as_str().into()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(records.len(), 6);
    let records_bytes: usize = records.iter().map(item_size).sum();
    let charged = app.cloud.store.data_bytes(&app.account).await.unwrap();
    assert!(
        charged >= records_bytes as u64,
        "{charged} B charged, the records kept take {records_bytes} B"
    );
}

/// The points of one channel of a series answer.
/// The record key ingest registered for `gw-a`'s `LR-1`.
async fn registered_key(app: &TestCloud) -> InstrumentKey {
    app.cloud
        .store
        .instrument(
            &app.account,
            &AppId::parse("gw-a").unwrap(),
            &InstrumentSerial::parse("LR-1").unwrap(),
        )
        .await
        .unwrap()
        .expect("registered by ingest")
        .key()
}

fn points_of(series: &serde_json::Value) -> Vec<Point> {
    series["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|pair| {
            let value = match &pair[1] {
                serde_json::Value::String(special) => {
                    Value::Special(Special::parse(special).expect("a special value"))
                }
                number => Value::Number(number.as_f64().expect("a number")),
            };
            Point {
                t: Millis(pair[0].as_i64().expect("a time")),
                value,
            }
        })
        .collect()
}

#[tokio::test]
async fn a_logger_back_after_days_away_has_every_hour_compacted_and_graphed_from_rollups() {
    let app = spawn(Plan::Standard).await;
    // A logger back after 60 hours away sends one record of each hour in one message.
    // Handed over in one delivery (as the stream usually does here), it marks 48 of the
    // hours and makes the other 12 its key's backlog, which the same delivery compacts
    // (the backlog's own steps are tested in `compact_pending::tests`); in several, each
    // marks its own. Either way, under the usage function's policy, every hour ends up
    // compacted and rolled up (today's once the day has ended: graphs read their chunks
    // meanwhile), and no hour is left marked for compaction.
    let start = Millis(app.at(-62 * 3_600)).start_of_hour();
    let records: Vec<_> = (0..60)
        .map(|h| {
            let t = start.plus(h * Millis::HOUR + 90 * Millis::SECOND).0;
            record("LR-1", t, json!({ "CH1": (h % 7) as f64 - 3.0 }))
        })
        .collect();
    app.publish("gw-a", &batch(records))
        .await
        .result
        .expect("ingest succeeds");
    let key = registered_key(&app).await;
    until("every hour compacted and the backlog taken off", || async {
        let chunks = app
            .cloud
            .records
            .chunks(&key, start, start.plus(60 * Millis::HOUR), usize::MAX)
            .await
            .unwrap();
        let pending = app
            .cloud
            .store
            .key_pending(&app.account, &key)
            .await
            .unwrap();
        chunks.len() == 60
            && pending.backlog_from.is_none()
            && waiting_compaction(&app, &app.account).await == 0
    })
    .await;
    let path = |buckets: usize| {
        format!(
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&from={}&to={}&buckets={buckets}",
            start.0,
            start.plus(60 * Millis::HOUR).0
        )
    };
    let (status, every) = app.get(&path(5_000)).await;
    assert_eq!(status, 200, "{every}");
    let (status, hourly) = app.get(&path(60)).await;
    assert_eq!(status, 200, "{hourly}");
    assert_eq!(hourly["bucket_width"], Millis::HOUR);
    let expected = m4_aligned(&points_of(&every["series"][0]), Millis::HOUR);
    assert_eq!(expected.len(), 60);
    assert_eq!(points_of(&hourly["series"][0]), expected);
}

#[tokio::test]
async fn a_block_of_days_is_kept_once_it_ends_and_daily_graphs_read_it() {
    let app = spawn(Plan::Standard).await;
    // Records in four days of the last block of days that ended (the last within the
    // retention of a Standard account), one in its last hour, sent late in one message.
    let end = block_start(Millis(app.at(0)));
    let start = end.plus(-DAY_BLOCK);
    let records: Vec<_> = [75i64, 54, 30, 1]
        .into_iter()
        .enumerate()
        .flat_map(|(i, hours_before)| {
            let hour = end.plus(-hours_before * Millis::HOUR);
            (0..3).map(move |m| {
                let value = (i * 3 + m) as f64 * if m == 1 { -1.0 } else { 1.0 };
                let t = hour.plus(m as i64 * 7 * Millis::MINUTE).0;
                record("LR-1", t, json!({ "CH1": value, "CH2": value / 2.0 }))
            })
        })
        .collect();
    app.publish("gw-a", &batch(records))
        .await
        .result
        .expect("ingest succeeds");
    let key = registered_key(&app).await;
    let blocks = day_blocks_key(&key);
    until("the block written by its last hour", || async {
        let block = app
            .cloud
            .records
            .chunks(&blocks, start, start.plus(1), 1)
            .await
            .unwrap();
        let pending = app
            .cloud
            .store
            .key_pending(&app.account, &key)
            .await
            .unwrap();
        !block.is_empty() && pending.hours.is_empty()
    })
    .await;
    let path = |buckets: usize| {
        format!(
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&channel=gw-a/LR-1/CH2&from={}&to={}&buckets={buckets}",
            start.0, end.0
        )
    };
    let (status, every) = app.get(&path(5_000)).await;
    assert_eq!(status, 200, "{every}");
    let (status, daily) = app.get(&path(32)).await;
    assert_eq!(status, 200, "{daily}");
    assert_eq!(daily["bucket_width"], Millis::DAY);
    for channel in 0..2 {
        let expected = m4_aligned(&points_of(&every["series"][channel]), Millis::DAY);
        assert_eq!(expected.len(), 12, "channel {channel}: 3 points in 4 days");
        assert_eq!(points_of(&daily["series"][channel]), expected);
    }
    // The days' own items gone, the whole days of the block (all but the first, which
    // the key is rolled up from within) are drawn from the block.
    let days = InstrumentKey::from_stored(format!("{}#hour", Level::Days.key(&key).as_str()));
    let deleted = app
        .cloud
        .records
        .delete_before(&days, end, usize::MAX)
        .await
        .unwrap();
    assert_eq!(deleted.deleted, 4);
    let (status, again) = app.get(&path(32)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, daily);
}

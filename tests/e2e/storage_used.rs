//! Measurement data in the storage used: every record ingest stores, and every chunk its
//! hour is compacted into, reaches the usage function through the records table's stream
//! and is counted once — a chunk with the size DynamoDB bills for its item, a record that
//! will expire with nothing (its chunk is its charge); the account shows files and data,
//! and an upload that would pass the plan with them is refused.

use aws_sdk_dynamodb::types::AttributeValue;
use devcloud::seed;
use fieldcloud::adapters::dynamodb::item_size;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::registry::InstrumentKey;
use fieldcloud::domain::rollup::is_rollups_key;
use fieldcloud::ports::DataUsage;
use serde_json::json;

use crate::files::{exists, put};
use crate::helpers::{batch, record, spawn, TestCloud};
use crate::notify::until;

/// What `account` stores in the records table, as the storage used charges it: the
/// bytes of its chunks and of its records kept raw, sized as DynamoDB sizes them, and
/// of the objects of the history bucket its chunks point at, as S3 sizes them (a record
/// that will expire, and a rollup, is charged nothing); and how many records will expire
/// and how many its chunks hold.
pub(crate) struct Stored {
    pub charged: u64,
    pub expiring_records: usize,
    pub chunked_records: usize,
}

pub(crate) async fn stored(app: &TestCloud, account: &AccountId) -> Stored {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let items: Vec<_> = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(devcloud::RECORDS_TABLE)
        .filter_expression("begins_with(i, :prefix)")
        .expression_attribute_values(":prefix", AttributeValue::S(format!("{account}/")))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .expect("scan");
    let history = aws_sdk_s3::Client::new(&config);
    let mut stored = Stored {
        charged: 0,
        expiring_records: 0,
        chunked_records: 0,
    };
    for item in &items {
        let kind = item_kind(item["i"].as_s().expect("a key"));
        if kind == ItemKind::Rollups {
            continue;
        }
        if kind == ItemKind::Chunk {
            let records: usize = item["n"].as_n().expect("a count").parse().unwrap();
            stored.chunked_records += records;
            if let Some(object) = item.get("o") {
                let head = history
                    .head_object()
                    .bucket(devcloud::HISTORY_BUCKET)
                    .key(object.as_s().expect("an object key"))
                    .send()
                    .await
                    .expect("the object a chunk item points at");
                let size = head.content_length().expect("a size") as u64;
                assert_eq!(
                    item["z"].as_n().map(String::as_str),
                    Ok(size.to_string().as_str()),
                    "the item's size of its object"
                );
                stored.charged += size;
            }
        } else if item.contains_key("e") {
            stored.expiring_records += 1;
            continue;
        }
        stored.charged += item_size(item) as u64;
    }
    stored
}

/// What an item of the records table is, by its key `i` (a storage count's sort key
/// names its items the same way).
#[derive(Debug, PartialEq)]
pub(crate) enum ItemKind {
    Record,
    Chunk,
    Rollups,
}

pub(crate) fn item_kind(key: &str) -> ItemKind {
    // A chunk's key is its record key's and `#hour`; a rollup is a chunk of the
    // level's key.
    match key.strip_suffix("#hour") {
        None => ItemKind::Record,
        Some(key) if is_rollups_key(&InstrumentKey::from_stored(key.to_owned())) => {
            ItemKind::Rollups
        }
        Some(_) => ItemKind::Chunk,
    }
}

/// How many hours of `account` are marked for compaction (not those compacted and
/// waiting for their day's end to be rolled up).
pub(crate) async fn waiting_compaction(app: &TestCloud, account: &AccountId) -> usize {
    let pending = app.cloud.store.pending_hours(account).await.unwrap();
    pending
        .iter()
        .flat_map(|(_, hours)| hours)
        .filter(|hour| !hour.marked.is_compacted())
        .count()
}

/// Waits until the usage function has compacted every record of `account` that will
/// expire (their hours all closed: [`readings`] are days old) and counted every item
/// stored so far; its count.
pub(crate) async fn counted(app: &TestCloud, account: &AccountId) -> u64 {
    let store = &app.cloud.store;
    let counted = std::sync::atomic::AtomicU64::new(0);
    // In this order: the count, then no marks left, then what is stored. Marks come off
    // only after the chunk is written, so a count read before them that equals what is
    // stored after them, with every record in a chunk, has the chunks in it (not a count
    // caught before a later batch's hours were even marked).
    until(
        "the stream's records compacted and their chunks counted",
        || async {
            let data = store.data_bytes(account).await.unwrap();
            let settled = waiting_compaction(app, account).await == 0;
            counted.store(data, std::sync::atomic::Ordering::Relaxed);
            let stored = stored(app, account).await;
            settled && data == stored.charged && stored.chunked_records >= stored.expiring_records
        },
    )
    .await;
    let counted = counted.into_inner();
    assert!(counted > 0, "records were stored");
    counted
}

/// `count` one-minute records from minute `from` of a day two days ago: their hours have
/// closed, so the first delivery compacts them (no compaction comes mid-test).
fn readings(app: &TestCloud, instrument: &str, from: i64, count: i64) -> serde_json::Value {
    batch(
        (from..from + count)
            .map(|i| {
                record(
                    instrument,
                    app.at(i * 60 - 2 * 86_400),
                    json!({"CH1": i as f64 * 0.5, "CH2": -1.25}),
                )
            })
            .collect(),
    )
}

#[tokio::test]
async fn records_count_once_into_the_storage_used_however_often_they_come() {
    let app = spawn(Plan::Standard).await;
    let rival = seed::tenant(&app.cloud.store, "rival", Plan::Free, "lab", &["gw-r"])
        .await
        .unwrap();
    let first = readings(&app, "LR8450-0001", 0, 10);
    app.publish("gw-a", &first).await;
    app.publish("gw-b", &readings(&app, "PW3390-0001", 0, 4))
        .await;
    app.publish_as(
        &rival.account.id,
        "gw-r",
        &readings(&app, "MR6000-0001", 0, 3),
    )
    .await;
    let data = counted(&app, &app.account).await;
    let theirs = counted(&app, &rival.account.id).await;

    // A device sending again, and the whole stream handed over again (a Lambda retry):
    // nothing stored or counted twice, however often.
    app.publish("gw-a", &first).await;
    app.cloud.redeliver_records_stream().await.unwrap();
    let redelivered = app.cloud.redeliver_records_stream().await.unwrap();
    assert!(!redelivered.is_empty());
    assert!(
        redelivered.iter().all(|report| report.bytes == 0),
        "{redelivered:?}"
    );
    assert!(redelivered.iter().any(|report| report.seen_before > 0));
    assert_eq!(
        app.cloud.store.data_bytes(&app.account).await.unwrap(),
        data
    );
    assert_eq!(
        app.cloud.store.data_bytes(&rival.account.id).await.unwrap(),
        theirs
    );

    // New records are counted on top, the rival's data stays its own.
    app.publish("gw-a", &readings(&app, "LR8450-0001", 10, 5))
        .await;
    let more = counted(&app, &app.account).await;
    assert!(more > data);
    assert_eq!(
        app.cloud.store.data_bytes(&rival.account.id).await.unwrap(),
        theirs
    );

    // One small item per instrument key: each count is 1 write unit.
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let counters = aws_sdk_dynamodb::Client::new(&config)
        .query()
        .table_name(devcloud::REGISTRY_TABLE)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("DATA#{}", app.account)))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let of_records = counters.iter().filter(|counter| {
        !matches!(counter.get("sk"), Some(AttributeValue::S(sk)) if sk.ends_with("#hour"))
    });
    assert_eq!(
        of_records.count(),
        2,
        "one per instrument (and one for each one's chunks, once it has any)"
    );
    for counter in &counters {
        let size = item_size(counter);
        println!("data bytes item: {size} B");
        assert!(size < 1024, "{size} B");
    }

    let (status, account) = app.get("/v1/account").await;
    assert_eq!(status, 200, "{account}");
    let capacity = Plan::Standard.limits().storage_bytes;
    assert_eq!(
        account["storage"],
        json!({"used": more, "files": 0, "data": more, "capacity": capacity})
    );
}

#[tokio::test]
async fn an_upload_is_weighed_with_the_measurement_data() {
    let app = spawn(Plan::Free).await;
    app.publish("gw-a", &readings(&app, "LR8450-0001", 0, 20))
        .await;
    let data = counted(&app, &app.account).await;
    let capacity = Plan::Free.limits().storage_bytes;
    let draft = |size: u64| json!({"name": "big.bin", "size": size, "content_type": "application/octet-stream", "multipart": true});

    let (status, refused) = app
        .call(
            "POST",
            "/v1/groups/plant/files",
            Some(draft(capacity - data + 1)),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "limit_reached", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("measurement data {data}")),
        "{message}"
    );

    // Exactly full is allowed.
    let (status, handed) = app
        .call(
            "POST",
            "/v1/groups/plant/files",
            Some(draft(capacity - data)),
        )
        .await;
    assert_eq!(status, 201, "{handed}");
}

/// Sets `acme`'s bytes of files and of measurement data, as if it stored that much.
async fn stores(app: &TestCloud, files: u64, data: u64) {
    app.set_on_account("filesBytes", AttributeValue::N(files.to_string()))
        .await;
    aws_sdk_dynamodb::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await)
        .put_item()
        .table_name(devcloud::REGISTRY_TABLE)
        .item("pk", AttributeValue::S(format!("DATA#{}", app.account)))
        .item(
            "sk",
            AttributeValue::S(format!("KEY#{}/gw-a.r/L/i", app.account)),
        )
        .item("bytes", AttributeValue::N(data.to_string()))
        .item("through", AttributeValue::S(format!("{:040}", 1)))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_file_arriving_when_measurement_data_took_its_room_is_removed() {
    let app = spawn(Plan::Free).await;
    let capacity = Plan::Free.limits().storage_bytes;
    stores(&app, capacity - 100, 0).await;
    let draft = json!({"name": "a.csv", "size": 100, "content_type": "text/csv"});
    let (status, full) = app
        .call("POST", "/v1/groups/plant/files", Some(draft.clone()))
        .await;
    assert_eq!(status, 201, "{full}");
    let (status, late) = app
        .call("POST", "/v1/groups/plant/files", Some(draft))
        .await;
    assert_eq!(status, 201, "{late}");

    // Records came in meanwhile: one byte of data, and the file no longer fits.
    stores(&app, capacity - 100, 1).await;
    assert_eq!(put(&late["upload"], vec![b'x'; 100]).await, 200);
    let key = format!(
        "files/{}/plant/{}",
        app.account,
        late["id"].as_str().unwrap()
    );
    until("the file that no longer fits removed", || async {
        !exists(&app, &key).await
    })
    .await;
    let (status, _) = app
        .get(&format!(
            "/v1/groups/plant/files/{}",
            late["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404);

    // Without it, exactly full is indexed.
    stores(&app, capacity - 100, 0).await;
    assert_eq!(put(&full["upload"], vec![b'y'; 100]).await, 200);
    let id = full["id"].as_str().unwrap();
    until("the file that fits exactly indexed", || async {
        app.get(&format!("/v1/groups/plant/files/{id}")).await.0 == 200
    })
    .await;
}

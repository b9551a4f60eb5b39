//! The history bucket: a chunk too big for a one-write-unit item keeps its bytes in an
//! object its item points at. The object of a version another replaced, or of a chunk
//! deleted (as the quota sweep deletes), is deleted by the usage function when the
//! records table's stream tells of it, and its bytes leave the storage used; a version
//! that lost the race to be stored leaves no object behind, and one whose write went
//! through with its answer lost keeps its object.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use fieldcloud::adapters::dynamodb::DynamoRecords;
use fieldcloud::adapters::history_bucket::HistoryBucket;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::InstrumentKey;
use fieldcloud::ports::{ChunkStore, DataUsage, StoredChunk};

use crate::helpers::{spawn, TestCloud};
use crate::storage_used::stored;

/// The objects of the history bucket under `key`.
pub(crate) async fn objects(app: &TestCloud, key: &InstrumentKey) -> Vec<String> {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let listed = aws_sdk_s3::Client::new(&config)
        .list_objects_v2()
        .bucket(devcloud::HISTORY_BUCKET)
        .prefix(format!("{}/", key.as_str()))
        .send()
        .await
        .expect("list");
    listed
        .contents()
        .iter()
        .filter_map(|object| object.key().map(str::to_owned))
        .collect()
}

/// The object the chunk item of `key`'s first hour points at, if any.
async fn pointed_at(app: &TestCloud, key: &InstrumentKey) -> Option<String> {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let item = aws_sdk_dynamodb::Client::new(&config)
        .get_item()
        .table_name(devcloud::RECORDS_TABLE)
        .key("i", AttributeValue::S(format!("{}#hour", key.as_str())))
        .key("t", AttributeValue::N("0".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get")
        .item?;
    item.get("o").map(|o| o.as_s().expect("a key").clone())
}

/// Asserts that the history bucket holds for `app`'s account exactly the objects its
/// chunk items point at: none left behind by a version replaced or lost.
pub(crate) async fn only_objects_pointed_at(app: &TestCloud) {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let prefix = format!("{}/", app.account);
    let listed: Vec<_> = aws_sdk_s3::Client::new(&config)
        .list_objects_v2()
        .bucket(devcloud::HISTORY_BUCKET)
        .prefix(&prefix)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .expect("list");
    let mut objects: Vec<String> = listed
        .iter()
        .flat_map(|page| page.contents())
        .filter_map(|object| object.key().map(str::to_owned))
        .collect();
    let items: Vec<_> = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(devcloud::RECORDS_TABLE)
        .filter_expression("begins_with(i, :prefix) AND attribute_exists(o)")
        .expression_attribute_values(":prefix", AttributeValue::S(prefix))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .expect("scan");
    let mut pointed: Vec<String> = items
        .iter()
        .map(|item| item["o"].as_s().expect("a key").clone())
        .collect();
    objects.sort();
    pointed.sort();
    assert_eq!(
        objects, pointed,
        "the objects chunk items point at, no more"
    );
}

/// A chunk of `records` records of `key`'s first hour whose bytes pass what an item of
/// one write unit holds.
fn big(key: &InstrumentKey, records: u32) -> StoredChunk {
    big_at(key, Millis(0), records)
}

/// [`big`], of the hour starting at `hour`.
pub(crate) fn big_at(key: &InstrumentKey, hour: Millis, records: u32) -> StoredChunk {
    StoredChunk {
        key: key.clone(),
        hour,
        records,
        bytes: (0..6_000u32).map(|i| (i * 31 + records) as u8).collect(),
    }
}

#[tokio::test]
async fn a_big_chunks_object_lives_as_long_as_an_item_points_at_it() {
    let app = spawn(Plan::Standard).await;
    let key = InstrumentKey::from_stored(format!("{}/app.1/S1/1", app.account));
    let records = &app.cloud.records;
    let counted = || async { app.cloud.store.data_bytes(&app.account).await.unwrap() };
    let before = counted().await;

    assert!(records.put_chunk(&big(&key, 10), None).await.unwrap());
    app.cloud.records_stream_settled().await;
    let first = pointed_at(&app, &key).await.expect("kept in the bucket");
    assert_eq!(objects(&app, &key).await, vec![first.clone()]);
    let charged = stored(&app, &app.account).await.charged;
    assert!(charged > 6_000, "the object's bytes are charged: {charged}");
    assert_eq!(counted().await - before, charged);

    // A newer version: its own object, the older one deleted once the stream tells.
    assert!(records.put_chunk(&big(&key, 12), Some(10)).await.unwrap());
    app.cloud.records_stream_settled().await;
    let second = pointed_at(&app, &key).await.expect("kept in the bucket");
    assert_ne!(second, first);
    assert_eq!(objects(&app, &key).await, vec![second.clone()]);
    let read = records.chunks(&key, Millis(0), Millis(1), 1).await.unwrap();
    assert_eq!(read, [big(&key, 12)], "read back bit-exact");

    // A stale version loses, and takes its object with it.
    assert!(!records.put_chunk(&big(&key, 13), Some(10)).await.unwrap());
    assert_eq!(objects(&app, &key).await, vec![second.clone()]);
    assert_eq!(
        records.newest_chunks(&key, 1).await.unwrap(),
        [big(&key, 12)]
    );

    // Deleted as the quota sweep deletes: the object goes, and its bytes from the count.
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    aws_sdk_dynamodb::Client::new(&config)
        .delete_item()
        .table_name(devcloud::RECORDS_TABLE)
        .key("i", AttributeValue::S(format!("{}#hour", key.as_str())))
        .key("t", AttributeValue::N("0".into()))
        .send()
        .await
        .expect("delete");
    app.cloud.records_stream_settled().await;
    assert!(objects(&app, &key).await.is_empty());
    assert_eq!(counted().await, before);

    // A redelivery of the whole stream deletes again harmlessly and counts nothing twice.
    app.cloud.redeliver_records_stream().await.unwrap();
    assert_eq!(counted().await, before);
}

/// Lets the first PutItem of a chunk item reach DynamoDB, then hands the SDK a 500 for
/// its answer, as a connection dropped after DynamoDB stored the item would look: the
/// SDK sends the write again, which finds the item there and is refused.
#[derive(Debug, Clone, Default)]
struct LoseFirstChunkAnswer {
    chunk_put: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
}

impl Intercept for LoseFirstChunkAnswer {
    fn name(&self) -> &'static str {
        "LoseFirstChunkAnswer"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let put = cfg
            .load::<Metadata>()
            .is_some_and(|m| m.name() == "PutItem");
        let body = context.request().body().bytes().unwrap_or_default();
        let chunk = put && String::from_utf8_lossy(body).contains("#hour");
        self.chunk_put.store(chunk, Ordering::SeqCst);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.chunk_put.load(Ordering::SeqCst) && !self.lost.swap(true, Ordering::SeqCst) {
            let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"the answer was lost"}"#;
            let mut lost =
                HttpResponse::new(500.try_into().expect("a status"), SdkBody::from(body));
            lost.headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            *context.response_mut() = lost;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_chunk_written_whose_answer_was_lost_keeps_its_object() {
    let app = spawn(Plan::Standard).await;
    let key = InstrumentKey::from_stored(format!("{}/app.1/S2/1", app.account));
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let losing = LoseFirstChunkAnswer::default();
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config)
            .interceptor(losing.clone())
            .build(),
    );
    let records = DynamoRecords::new(
        dynamodb,
        devcloud::RECORDS_TABLE,
        HistoryBucket::new(aws_sdk_s3::Client::new(&config), devcloud::HISTORY_BUCKET),
    );

    assert!(
        records.put_chunk(&big(&key, 10), None).await.unwrap(),
        "the write that went through is the version stored"
    );
    assert!(losing.lost.load(Ordering::SeqCst), "an answer was lost");
    let object = pointed_at(&app, &key).await.expect("kept in the bucket");
    assert_eq!(objects(&app, &key).await, vec![object]);
    assert_eq!(
        records.chunks(&key, Millis(0), Millis(1), 1).await.unwrap(),
        [big(&key, 10)]
    );
}

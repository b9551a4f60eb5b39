//! The records table's change stream, read as Lambda's DynamoDB event source mapping
//! reads it for the `usage` function: every shard from its start (`TRIM_HORIZON`), a
//! batch at a time, each batch handed to the function in process and handed over again,
//! whole, until it is counted (the template's `MaximumRetryAttempts: -1`).
//!
//! In AWS the mapping reads with the function's role: the reader asks the function's
//! policy in the template for each stream action before it calls, as IAM would, and a
//! refusal is a denial like any other. The stream's API is called as JSON over HTTP, and
//! its records become the Lambda event as they are (Lambda adds `eventSourceARN`).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{anyhow, bail};
use fieldcloud::adapters::dynamodb::stream::StreamEvent;
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoStore};
use fieldcloud::usecases::usage::UsageReport;
use serde_json::{json, Value as Json};

use crate::iam::{Denials, Policy};
use crate::ApiClock;

/// How long the reader waits before asking a shard with nothing new again.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// Records one GetRecords call returns at most: a batch here (Lambda gathers up to the
/// template's `BatchSize` from several calls, within its batching window).
const BATCH_SIZE: usize = 1000;

/// Reads one table's stream for the `usage` function.
#[derive(Clone)]
pub struct StreamReader {
    http: reqwest::Client,
    endpoint: String,
    stream_arn: String,
    /// The usage function's own table clients (its policy enforced, its writes logged).
    store: DynamoStore,
    records: DynamoRecords,
    /// What the function takes as now: whether an hour has closed for compaction.
    clock: ApiClock,
    policy: std::sync::Arc<Policy>,
    denied: Denials,
    /// Passes over the shards that found nothing to hand over: one that began after a
    /// write means the function has had it, and all it wrote on account of it.
    idle_passes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl StreamReader {
    pub fn new(
        endpoint: &str,
        stream_arn: String,
        (store, records): (DynamoStore, DynamoRecords),
        clock: ApiClock,
        policy: Policy,
        denied: Denials,
    ) -> Self {
        StreamReader {
            http: reqwest::Client::new(),
            endpoint: endpoint.to_owned(),
            stream_arn,
            store,
            records,
            clock,
            policy: std::sync::Arc::new(policy),
            denied,
            idle_passes: Default::default(),
        }
    }

    /// Waits until the function has been handed everything the stream holds now, and
    /// what it wrote on account of it: two passes over the shards finding nothing (the
    /// first may have begun before this call).
    pub async fn settled(&self) {
        use std::sync::atomic::Ordering;
        let from = self.idle_passes.load(Ordering::SeqCst);
        while self.idle_passes.load(Ordering::SeqCst) < from + 2 {
            tokio::time::sleep(IDLE_POLL / 4).await;
        }
    }

    /// Runs until the process ends: follows every shard and hands each batch over.
    pub async fn run(self) {
        let mut iterators: BTreeMap<String, Option<String>> = BTreeMap::new();
        loop {
            match self.poll(&mut iterators).await {
                Ok(0) => {
                    self.idle_passes
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(IDLE_POLL).await;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "reading the records stream failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// One pass over the shards; how many records were handed over.
    async fn poll(
        &self,
        iterators: &mut BTreeMap<String, Option<String>>,
    ) -> anyhow::Result<usize> {
        for shard in self.shards().await? {
            if let std::collections::btree_map::Entry::Vacant(new) = iterators.entry(shard) {
                let first = self.trim_horizon(new.key()).await?;
                new.insert(Some(first));
            }
        }
        let mut handed = 0;
        for iterator in iterators.values_mut() {
            let Some(current) = iterator.clone() else {
                continue; // a closed shard, read to its end
            };
            let (records, next) = self.records(&current).await?;
            if !records.is_empty() {
                handed += records.len();
                self.hand_over(records).await;
            }
            *iterator = next;
        }
        Ok(handed)
    }

    /// Hands the whole stream over again, from its start, as a redelivery would: a test
    /// of the function's promise that nothing is counted twice.
    pub async fn redeliver_all(&self) -> anyhow::Result<Vec<UsageReport>> {
        let mut reports = Vec::new();
        for shard in self.shards().await? {
            let mut iterator = Some(self.trim_horizon(&shard).await?);
            while let Some(current) = iterator {
                let (records, next) = self.records(&current).await?;
                if records.is_empty() {
                    break;
                }
                reports.push(self.invoke(records).await.map_err(|e| anyhow!(e))?);
                iterator = next;
            }
        }
        Ok(reports)
    }

    /// Invokes the function with `records` until it succeeds, as the mapping retries.
    async fn hand_over(&self, records: Vec<Json>) {
        loop {
            match self.invoke(records.clone()).await {
                Ok(_) => return,
                Err(error) => {
                    tracing::warn!(%error, "the usage function failed a batch; it is handed over again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn invoke(&self, records: Vec<Json>) -> Result<UsageReport, String> {
        let records: Vec<Json> = records
            .into_iter()
            .map(|mut record| {
                record["eventSourceARN"] = json!(self.stream_arn);
                record
            })
            .collect();
        let event: StreamEvent = serde_json::from_value(json!({ "Records": records }))
            .map_err(|error| format!("the stream's records are not Lambda's event: {error}"))?;
        usage::handle_batch(&event, &self.store, &self.records, self.clock.now())
            .await
            .map_err(|error| error.to_string())
    }

    async fn shards(&self) -> anyhow::Result<Vec<String>> {
        let described = self
            .call("DescribeStream", json!({ "StreamArn": self.stream_arn }))
            .await?;
        Ok(described["StreamDescription"]["Shards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|shard| shard["ShardId"].as_str().map(str::to_owned))
            .collect())
    }

    async fn trim_horizon(&self, shard: &str) -> anyhow::Result<String> {
        let iterator = self
            .call(
                "GetShardIterator",
                json!({
                    "StreamArn": self.stream_arn,
                    "ShardId": shard,
                    "ShardIteratorType": "TRIM_HORIZON",
                }),
            )
            .await?;
        iterator["ShardIterator"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no iterator for shard {shard}"))
    }

    /// A batch from `iterator` and where the shard goes on (none once it is closed).
    async fn records(&self, iterator: &str) -> anyhow::Result<(Vec<Json>, Option<String>)> {
        let mut output = self
            .call(
                "GetRecords",
                json!({ "ShardIterator": iterator, "Limit": BATCH_SIZE }),
            )
            .await?;
        let records = match output["Records"].take() {
            Json::Array(records) => records,
            _ => Vec::new(),
        };
        Ok((
            records,
            output["NextShardIterator"].as_str().map(str::to_owned),
        ))
    }

    async fn call(&self, operation: &str, body: Json) -> anyhow::Result<Json> {
        let action = format!("dynamodb:{operation}");
        if !self.policy.allows(&action, &self.stream_arn) {
            let denial = format!(
                "AccessDenied: UsageFunction may not {action} on {} (template.yaml)",
                self.stream_arn
            );
            tracing::error!("{denial}");
            self.denied
                .lock()
                .expect("no panic while holding the lock")
                .push(denial.clone());
            bail!(denial);
        }
        let response = self
            .http
            .post(&self.endpoint)
            .header("Content-Type", "application/x-amz-json-1.0")
            .header(
                "X-Amz-Target",
                format!("DynamoDBStreams_20120810.{operation}"),
            )
            // moto routes a request by the service its credential names and checks no
            // signature: the local cloud's credentials, as its SDK clients send them.
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-target, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{operation} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }
}

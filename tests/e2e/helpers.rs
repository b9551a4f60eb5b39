//! Starting a local cloud, publishing as an app and reading the API.

use std::time::Duration;

use devcloud::{seed, LocalCloud, Ports, RuleOutcome};
use fieldcloud::domain::auth::Role;
use fieldcloud::domain::ids::{AccountId, AppId};
use fieldcloud::domain::iot_thing::IotThing;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::protocol::records_topic;
use fieldcloud::domain::record::Millis;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::openapi::{accepted_as_documented, conforms};

/// The password of `tester`, the admin whose session [`TestCloud::token`] is: admin
/// changes that create a lasting way in ask for it again (`admin_password`).
pub const ADMIN_PASSWORD: &str = "Tester-Pass-1";

/// Long enough for a slow CI machine; only reached when something is broken.
const HANG_GUARD: Duration = Duration::from_secs(60);

pub struct TestCloud {
    pub cloud: LocalCloud,
    /// The seeded account, `acme`, whose apps `publish` sends as.
    pub account: AccountId,
    /// An hour ago when the cloud started: record times are `base + offset`, fixed for the
    /// whole test and never "in the future".
    base: i64,
    pub token: String,
    http: reqwest::Client,
}

/// A local cloud with one account on `plan`, group `plant`, apps `gw-a` and `gw-b`.
pub async fn spawn(plan: Plan) -> TestCloud {
    spawn_with(plan, api::ReadLimits::default()).await
}

/// [`spawn`] with other read limits for series.
pub async fn spawn_with(plan: Plan, read_limits: api::ReadLimits) -> TestCloud {
    if std::env::var_os("TEST_LOG").is_some() {
        // Logs only when asked; several tests may race to install it.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info,rumqttd=off,aws=warn")
            .with_test_writer()
            .try_init();
    }
    let cloud = LocalCloud::start_with(Ports::default(), read_limits)
        .await
        .expect("local cloud starts");
    let tenant = seed::tenant(&cloud.store, "acme", plan, "plant", &["gw-a", "gw-b"])
        .await
        .expect("seeding");
    seed::admin(&cloud.store, &tenant.account, "tester", ADMIN_PASSWORD)
        .await
        .expect("seeding the tester");
    let token = cloud
        .session_token(
            &tenant.account.id,
            "tester",
            Role::Admin,
            60 * Millis::MINUTE,
        )
        .await
        .expect("a session");
    TestCloud {
        account: tenant.account.id.clone(),
        base: devcloud::wall_clock().0 - 3_600_000,
        cloud,
        token,
        http: reqwest::Client::new(),
    }
}

/// Every test also proves the template's permissions: a call a function made that its
/// policy does not allow fails the test that made it, even where the call's failure was
/// handled (a best-effort clean-up, say).
impl Drop for TestCloud {
    fn drop(&mut self) {
        let denied = self.cloud.denied();
        if !std::thread::panicking() {
            assert!(denied.is_empty(), "IAM would refuse: {denied:#?}");
        }
    }
}

impl TestCloud {
    /// The record time `offset_seconds` after the test's base time.
    pub fn at(&self, offset_seconds: i64) -> i64 {
        self.base + offset_seconds * 1000
    }

    /// The IoT thing of app `app_id` of `acme`: its MQTT client ID and topic.
    pub fn iot_thing(&self, app_id: &str) -> IotThing {
        self.iot_thing_of(&self.account, app_id)
    }

    pub fn iot_thing_of(&self, account: &AccountId, app_id: &str) -> IotThing {
        let app = AppId::parse(app_id).expect("test app IDs are valid");
        self.cloud.stack.thing(account, &app)
    }

    /// Publishes `payload` as `acme`'s app `app_id` and waits until the IoT rule has
    /// handled it.
    pub async fn publish(&self, app_id: &str, payload: &Value) -> RuleOutcome {
        self.publish_raw(app_id, payload.to_string().into_bytes())
            .await
    }

    /// Publishes `payload` as app `app_id` of `account`.
    pub async fn publish_as(
        &self,
        account: &AccountId,
        app_id: &str,
        payload: &Value,
    ) -> RuleOutcome {
        let thing = self.iot_thing_of(account, app_id);
        self.publish_on(&thing, payload.to_string().into_bytes())
            .await
    }

    pub async fn publish_raw(&self, app_id: &str, payload: Vec<u8>) -> RuleOutcome {
        self.publish_on(&self.iot_thing(app_id), payload).await
    }

    async fn publish_on(&self, thing: &IotThing, payload: Vec<u8>) -> RuleOutcome {
        let outcomes = self.cloud.outcomes();
        publish_qos1(self.cloud.mqtt, thing, &[payload]).await;
        next_outcome_for(outcomes, thing.as_str()).await
    }

    /// Publishes several payloads on one connection and waits for all their outcomes.
    pub async fn publish_all(&self, app_id: &str, payloads: &[Value]) -> Vec<RuleOutcome> {
        let mut outcomes = self.cloud.outcomes();
        let raw: Vec<Vec<u8>> = payloads
            .iter()
            .map(|p| p.to_string().into_bytes())
            .collect();
        let iot_thing = self.iot_thing(app_id);
        let thing = iot_thing.as_str();
        publish_qos1(self.cloud.mqtt, &iot_thing, &raw).await;
        let mut seen = Vec::new();
        while seen.len() < payloads.len() {
            let outcome = tokio::time::timeout(HANG_GUARD, outcomes.recv())
                .await
                .expect("the rule handles every message")
                .expect("outcome channel open");
            if outcome.thing == thing {
                seen.push(outcome);
            }
        }
        seen
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(path, &self.token).await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> (u16, Value) {
        self.send(
            self.http
                .get(format!("{}{path}", self.cloud.api_url))
                .bearer_auth(token),
        )
        .await
    }

    /// A request with a JSON body, as the test account.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.cloud.api_url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// A request with a JSON body, as the holder of `token`.
    pub async fn call_as(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let url = format!("{}{path}", self.cloud.api_url);
        self.send(
            self.http
                .request(method, url)
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    /// A request with a JSON body and no Authorization header.
    pub async fn call_anonymous(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let url = format!("{}{path}", self.cloud.api_url);
        self.send(self.http.request(method, url).json(&body)).await
    }

    /// A request without any Authorization header.
    pub async fn get_anonymous(&self, path: &str) -> (u16, Value) {
        self.send(self.http.get(format!("{}{path}", self.cloud.api_url)))
            .await
    }

    /// Sends `request` and reads its JSON answer, which must be what the API's OpenAPI
    /// document says the route answers with that status.
    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let (client, request) = request.build_split();
        let request = request.expect("a request the test built");
        let (method, url) = (request.method().clone(), request.url().clone());
        let sent: Option<Value> = request
            .body()
            .and_then(|body| body.as_bytes())
            .and_then(|bytes| serde_json::from_slice(bytes).ok());
        let response = client.execute(request).await.expect("API answers");
        let status = response.status().as_u16();
        let body = response.json().await.expect("API answers JSON");
        conforms(method.as_str(), url.path(), status, &body);
        if let Some(sent) = sent.filter(|_| (200..300).contains(&status)) {
            accepted_as_documented(method.as_str(), url.path(), &sent);
        }
        (status, body)
    }

    /// The latest-values document of the test group.
    pub async fn latest(&self) -> Value {
        let (status, body) = self.get("/v1/groups/plant/latest").await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Raw points of one channel from 200 days before the test's base time to 8 days
    /// after it, 16 days a request: 5,000 buckets of under five minutes each, so read
    /// from records.
    pub async fn points(&self, channel: &str) -> Vec<(i64, Value)> {
        const WINDOW: i64 = 16 * 86_400;
        let mut points = Vec::new();
        for start in (-200 * 86_400..8 * 86_400).step_by(WINDOW as usize) {
            let (from, to) = (self.at(start), self.at((start + WINDOW).min(8 * 86_400)));
            let (status, body) = self
                .get(&format!(
                    "/v1/groups/plant/series?channel={channel}&from={from}&to={to}&buckets=5000"
                ))
                .await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["bucket_width"], Value::Null, "{body}");
            assert_eq!(body["series"][0]["downsampled"], false, "{body}");
            let window = body["series"][0]["points"].as_array().expect("points");
            points.extend(
                window
                    .iter()
                    .map(|p| (p[0].as_i64().expect("time"), p[1].clone())),
            );
        }
        points
    }

    /// Sets attribute `name` of `acme`'s account item to `value`, as the operator (a
    /// license) or what a test cannot wait for (bytes stored) would.
    pub async fn set_on_account(&self, name: &str, value: aws_sdk_dynamodb::types::AttributeValue) {
        use aws_sdk_dynamodb::types::AttributeValue::S;
        let config = devcloud::sdk_config(&self.cloud.moto.endpoint).await;
        aws_sdk_dynamodb::Client::new(&config)
            .update_item()
            .table_name(devcloud::REGISTRY_TABLE)
            .key("pk", S(format!("ACCOUNT#{}", self.account)))
            .key("sk", S("ACCOUNT".into()))
            .update_expression("SET #name = :value")
            .expression_attribute_names("#name", name)
            .expression_attribute_values(":value", value)
            .send()
            .await
            .expect("the account item updated");
    }

    /// Record items (not chunks) in the records table for instrument `serial` of
    /// `acme`'s app `app_id`, of any registration of the app or the instrument, counted in
    /// DynamoDB itself.
    pub async fn stored_items(&self, app_id: &str, serial: &str) -> usize {
        let config = devcloud::sdk_config(&self.cloud.moto.endpoint).await;
        let prefix = format!("{}/{app_id}.", self.account);

        aws_sdk_dynamodb::Client::new(&config)
            .scan()
            .table_name(devcloud::RECORDS_TABLE)
            .filter_expression("begins_with(i, :prefix)")
            .expression_attribute_values(
                ":prefix",
                aws_sdk_dynamodb::types::AttributeValue::S(prefix),
            )
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("scan")
            .iter()
            .filter(|item| {
                item.get("i")
                    .and_then(|i| i.as_s().ok())
                    // `{account}/{app}.{registration}/{serial}/{instance}`
                    .is_some_and(|i| i.split('/').nth(2) == Some(serial) && !i.ends_with("#hour"))
            })
            .count()
    }
}

/// The latest value of `channel` on `instrument` in a latest-values document.
pub fn latest_value(latest: &Value, instrument: &str, channel: &str) -> Option<(i64, Value)> {
    latest["apps"]
        .as_array()?
        .iter()
        .flat_map(|a| a["instruments"].as_array().into_iter().flatten())
        .find(|i| i["instrument"] == instrument)?["channels"]
        .as_array()?
        .iter()
        .find(|c| c["channel"] == channel)
        .map(|c| (c["t"].as_i64().unwrap_or_default(), c["value"].clone()))
}

/// Everything the emulator's SES has sent, as moto reports it.
pub async fn mail_dump(app: &TestCloud) -> String {
    reqwest::get(format!("{}/moto-api/data.json", app.cloud.moto.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The subject of every mail sent so far.
pub async fn mail_subjects(app: &TestCloud) -> Vec<String> {
    let dump: Value = serde_json::from_str(&mail_dump(app).await).unwrap();
    let mut subjects = Vec::new();
    collect_subjects(&dump, &mut subjects);
    subjects
}

/// Every string under a key `subject` (any case) in moto's data dump.
fn collect_subjects(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(text) if key.eq_ignore_ascii_case("subject") => {
                        found.push(text.clone())
                    }
                    _ => collect_subjects(value, found),
                }
            }
        }
        Value::Array(values) => values.iter().for_each(|v| collect_subjects(v, found)),
        _ => {}
    }
}

/// The secrets (a 4-character prefix and 32 hex digits) that follow `marker` in the links
/// of every mail sent so far, oldest first.
pub async fn mailed_secrets(app: &TestCloud, marker: &str) -> Vec<String> {
    mail_dump(app)
        .await
        .split(marker)
        .skip(1)
        .map(|rest| rest.chars().take(4 + 32).collect())
        .collect()
}

/// A record in the device protocol.
pub fn record(instrument: &str, t: i64, values: Value) -> Value {
    json!({ "instrument": instrument, "t": t, "values": values })
}

pub fn batch(records: Vec<Value>) -> Value {
    json!({ "records": records })
}

async fn publish_qos1(broker: std::net::SocketAddr, thing: &IotThing, payloads: &[Vec<u8>]) {
    let mut options = MqttOptions::new(
        format!("{thing}-{}", connection_number()),
        broker.ip().to_string(),
        broker.port(),
    );
    options.set_max_packet_size(512 * 1024, 512 * 1024);
    let (client, mut connection) = AsyncClient::new(options, payloads.len() + 10);
    let topic = records_topic(thing);
    for payload in payloads {
        client
            .publish(&topic, QoS::AtLeastOnce, false, payload.clone())
            .await
            .expect("queue publish");
    }
    let mut acked = 0;
    tokio::time::timeout(HANG_GUARD, async {
        while acked < payloads.len() {
            if let Event::Incoming(Packet::PubAck(_)) =
                connection.poll().await.expect("broker connection")
            {
                acked += 1;
            }
        }
    })
    .await
    .expect("broker acknowledges every publish");
    let _ = client.disconnect().await;
}

/// Distinct MQTT client IDs, so concurrent publishers do not take over each other's session.
fn connection_number() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn next_outcome_for(
    mut outcomes: broadcast::Receiver<RuleOutcome>,
    thing: &str,
) -> RuleOutcome {
    tokio::time::timeout(HANG_GUARD, async {
        loop {
            let outcome = outcomes.recv().await.expect("outcome channel open");
            if outcome.thing == thing {
                return outcome;
            }
        }
    })
    .await
    .expect("the rule handles the message")
}

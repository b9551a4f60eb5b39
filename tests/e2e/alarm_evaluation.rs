//! Data alarms evaluated on ingest, end to end: records published over MQTT, each
//! message three times at once (as IoT Core and Lambda may redeliver), decided on
//! DynamoDB with the revision check, notifications read from the group's inbox over
//! HTTP.

use fieldcloud::domain::plan::Plan;
use serde_json::{json, Value};

use crate::helpers::{batch, record, spawn, TestCloud};

/// Above `raise` raises, at or below `clear` clears; recovery notified.
pub(crate) fn alarm_on(channel: &str, raise: f64, clear: f64) -> Value {
    json!({
        "name": "Hot",
        "rule": {
            "conditions": [{
                "channel": channel,
                "raise": {"compare": "above", "value": raise},
                "clear": {"compare": "above", "value": clear}
            }],
            "join": "and",
            "hold_millis": 0,
            "recovery": true,
            "special_values": true
        }
    })
}

/// A cloud whose group `plant` has app `gw-a` with instrument `LR-1` (CH1 acquired).
pub(crate) async fn cloud() -> TestCloud {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 20.0}))]),
    )
    .await;
    app
}

pub(crate) async fn create_alarm(app: &TestCloud, body: Value) -> String {
    let (status, created) = app
        .call("POST", "/v1/groups/plant/alarms", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// The inbox, oldest first, as (kind, record time, first value).
async fn inbox(app: &TestCloud) -> Vec<(String, i64, Value)> {
    let (status, answer) = app.call("GET", "/v1/groups/plant/inbox", None).await;
    assert_eq!(status, 200, "{answer}");
    let mut notes: Vec<_> = answer["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["event"]["kind"].as_str().unwrap().to_owned(),
                n["event"]["at"].as_i64().unwrap(),
                n["values"][0].clone(),
            )
        })
        .collect();
    notes.reverse();
    notes
}

#[tokio::test]
async fn every_batch_delivered_three_times_at_once_notifies_each_event_once() {
    let app = cloud().await;
    let alarm = create_alarm(&app, alarm_on("gw-a/LR-1/CH1", 30.0, 25.0)).await;
    let batches = [
        batch(vec![
            record("LR-1", app.at(1), json!({"CH1": 22.0})),
            record("LR-1", app.at(2), json!({"CH1": 31.5})),
        ]),
        batch(vec![
            record("LR-1", app.at(3), json!({"CH1": 27.0})),
            record("LR-1", app.at(4), json!({"CH1": 24.0})),
        ]),
        batch(vec![record("LR-1", app.at(5), json!({"CH1": "BURNOUT"}))]),
    ];
    let mut notified = 0;
    for message in &batches {
        let copies = vec![message.clone(), message.clone(), message.clone()];
        for outcome in app.publish_all("gw-a", &copies).await {
            let report = outcome.result.expect("ingested");
            notified += report.alarms.notified;
        }
    }
    let expected = vec![
        ("raised".to_owned(), app.at(2), json!(31.5)),
        ("cleared".to_owned(), app.at(4), json!(24.0)),
        ("special_value".to_owned(), app.at(5), json!("BURNOUT")),
    ];
    assert_eq!(inbox(&app).await, expected);
    assert_eq!(notified, 3, "each recorded by one delivery only");

    // Each notification names its alarm, version and channels.
    let (_, answer) = app.call("GET", "/v1/groups/plant/inbox", None).await;
    let newest = &answer["notifications"][0];
    assert_eq!(newest["alarm"], json!(alarm));
    assert_eq!(newest["alarm_name"], json!("Hot"));
    assert_eq!(newest["version"], json!(1));
    assert_eq!(newest["channels"], json!(["gw-a/LR-1/CH1"]));
    assert_eq!(
        newest["id"],
        json!(format!("{:015}.{alarm}.1.special0", app.at(5)))
    );

    // Delivered all over again, in reverse: nothing new.
    for message in batches.iter().rev() {
        let outcome = app.publish("gw-a", message).await;
        assert_eq!(outcome.result.expect("ingested").alarms.notified, 0);
    }
    assert_eq!(inbox(&app).await, expected);
}

#[tokio::test]
async fn an_alarm_on_a_calculated_channel_fires_on_the_values_ingest_computes() {
    let app = cloud().await;
    let (status, calc) = app
        .call(
            "POST",
            "/v1/groups/plant/calculated",
            Some(json!({"name": "Double", "expression": "[gw-a/LR-1/CH1] * 2"})),
        )
        .await;
    assert_eq!(status, 201, "{calc}");
    let channel = format!("calc:{}", calc["id"].as_str().unwrap());
    create_alarm(&app, alarm_on(&channel, 50.0, 40.0)).await;
    app.publish(
        "gw-a",
        &batch(vec![
            record("LR-1", app.at(1), json!({"CH1": 24.0})),
            record("LR-1", app.at(2), json!({"CH1": 26.0})),
        ]),
    )
    .await;
    assert_eq!(
        inbox(&app).await,
        vec![("raised".to_owned(), app.at(2), json!(52.0))]
    );
}

#[tokio::test]
async fn a_group_without_alarms_watches_nothing_and_its_inbox_is_empty() {
    let app = cloud().await;
    let outcome = app
        .publish(
            "gw-a",
            &batch(vec![record("LR-1", app.at(1), json!({"CH1": 99.0}))]),
        )
        .await;
    let report = outcome.result.expect("ingested");
    assert_eq!(report.alarms.watching, 0);
    assert_eq!(inbox(&app).await, vec![]);
}

#[tokio::test]
async fn a_backtest_of_the_stored_records_answers_what_ingest_notified() {
    let app = cloud().await;
    // Two channels of one instrument, either above its threshold for two seconds.
    let rule = json!({
        "conditions": [
            {"channel": "gw-a/LR-1/CH1", "raise": {"compare": "above", "value": 30}},
            {"channel": "gw-a/LR-1/CH2", "raise": {"compare": "below", "value": 0},
             "clear": {"compare": "below", "value": 5}}
        ],
        "join": "or",
        "hold_millis": 2000,
        "recovery": true,
        "special_values": true
    });
    app.publish(
        "gw-a",
        &batch(vec![record(
            "LR-1",
            app.at(-1),
            json!({"CH1": 20.0, "CH2": 10.0}),
        )]),
    )
    .await;
    create_alarm(&app, json!({"name": "Either", "rule": rule})).await;
    let readings: [(f64, Value); 16] = [
        (20.0, json!(10.0)),
        (31.0, json!(10.0)),
        (32.0, json!(10.0)),
        (33.0, json!(10.0)),
        (20.0, json!(-1.0)),
        (20.0, json!(3.0)),
        (20.0, json!(4.0)),
        (20.0, json!(6.0)),
        (20.0, json!("+OVER")),
        (20.0, json!(7.0)),
        (20.0, json!(8.0)),
        (20.0, json!(9.0)),
        (20.0, json!(9.5)),
        (35.0, json!(-2.0)),
        (36.0, json!(-3.0)),
        (37.0, json!(-4.0)),
    ];
    let records: Vec<Value> = (1..)
        .zip(readings)
        .map(|(second, (ch1, ch2))| record("LR-1", app.at(second), json!({"CH1": ch1, "CH2": ch2})))
        .collect();
    // Live: the records in messages of three, a backlog of the last five first.
    let (early, backlog) = records.split_at(11);
    for message in early.chunks(3) {
        app.publish("gw-a", &batch(message.to_vec())).await;
    }
    app.publish("gw-a", &batch(backlog.to_vec())).await;
    let live: Vec<(String, i64)> = inbox(&app)
        .await
        .into_iter()
        .map(|(kind, at, _)| (kind, at))
        .collect();

    let (status, backtest) = app
        .call(
            "POST",
            "/v1/groups/plant/alarms/backtest",
            Some(json!({"rule": rule, "from": app.at(1), "to": app.at(100)})),
        )
        .await;
    assert_eq!(status, 200, "{backtest}");
    let backtested: Vec<(String, i64)> = backtest["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["notifies"] == json!(true))
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["at"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(backtested, live);
    // Raised after two seconds above; the +OVER of CH2 restarts the clearing
    // seconds; raised again from the backlog.
    let expected: Vec<(String, i64)> = [
        ("raised", 4),
        ("special_value", 9),
        ("cleared", 12),
        ("raised", 16),
    ]
    .into_iter()
    .map(|(kind, second)| (kind.to_owned(), app.at(second)))
    .collect();
    assert_eq!(live, expected);
}

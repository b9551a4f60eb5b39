//! Data alarms evaluated on ingest, end to end: records published over MQTT, each
//! message three times at once (as IoT Core and Lambda may redeliver), decided on
//! DynamoDB with the revision check, notifications read from the group's inbox over
//! HTTP.

use fieldcloud::domain::plan::Plan;
use serde_json::{json, Value};

use crate::helpers::{batch, record, spawn, TestCloud};

/// Above `raise` raises, at or below `clear` clears; recovery notified.
fn alarm_on(channel: &str, raise: f64, clear: f64) -> Value {
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
async fn cloud() -> TestCloud {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 20.0}))]),
    )
    .await;
    app
}

async fn create_alarm(app: &TestCloud, body: Value) -> String {
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

//! When an app was last heard from, without a write per message: live records show it,
//! and the app's own receive time is written only when they cannot.

use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::protocol::RuleEvent;
use fieldcloud::domain::record::Millis;
use serde_json::{json, Value};

use crate::helpers::{batch, record, spawn, TestCloud};

const MINUTE: i64 = Millis::MINUTE;

/// Delivers a message of gw-a received at `received`, with one record of LR-1 at `t`;
/// returns whether it wrote the app's item.
async fn message(app: &TestCloud, received: i64, t: i64) -> bool {
    app.cloud.take_writes();
    let payload = batch(vec![record("LR-1", t, json!({ "CH1": 1.5 }))]).to_string();
    let event = RuleEvent::new(
        app.iot_thing("gw-a").as_str(),
        None,
        payload.as_bytes(),
        Millis(received),
    );
    let outcome = app.cloud.deliver(&event).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    app.cloud
        .take_writes()
        .iter()
        .any(|w| w.key.get("sk") == Some(&json!({ "S": "APP" })))
}

/// gw-a as `GET /v1/groups/plant/apps` shows it when the API's clock reads `now`.
async fn shown(app: &TestCloud, now: i64) -> Value {
    app.cloud.clock.advance(now - app.cloud.clock.now().0);
    let (status, apps) = app.get("/v1/groups/plant/apps").await;
    assert_eq!(status, 200, "{apps}");
    apps["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .find(|a| a["app"] == "gw-a")
        .expect("gw-a is listed")
        .clone()
}

#[tokio::test]
async fn live_records_show_an_app_connected_between_writes_of_its_last_seen_time() {
    let app = spawn(Plan::Standard).await;
    let start = devcloud::wall_clock().0 + MINUTE;
    assert!(message(&app, start, start - 5_000).await, "first message");
    for minute in 1..10 {
        let received = start + minute * MINUTE;
        assert!(
            !message(&app, received, received - 5_000).await,
            "minute {minute}: live records show the app, nothing more is written"
        );
    }
    let last_record = start + 9 * MINUTE - 5_000;
    let gw = shown(&app, start + 10 * MINUTE).await;
    assert_eq!(gw["last_seen"], json!(last_record), "{gw}");
    assert_eq!(gw["connected"], json!(true), "{gw}");
    // Silent for more than three minutes: disconnected.
    let gw = shown(&app, last_record + 3 * MINUTE + 1).await;
    assert_eq!(gw["connected"], json!(false), "{gw}");
}

#[tokio::test]
async fn an_app_replaying_a_backlog_or_with_a_wrong_clock_is_shown_by_its_receive_time() {
    let app = spawn(Plan::Standard).await;
    let start = devcloud::wall_clock().0 + MINUTE;
    assert!(message(&app, start, start - 5_000).await);
    // A backlog from two hours ago: the records cannot show the app present now.
    let received = start + 10 * MINUTE;
    assert!(message(&app, received, start - 120 * MINUTE).await);
    let gw = shown(&app, received + MINUTE).await;
    assert_eq!(gw["last_seen"], json!(received), "{gw}");
    assert_eq!(gw["connected"], json!(true), "{gw}");
    // Within a minute of that write, another such message writes nothing.
    assert!(!message(&app, received + 30_000, start - 119 * MINUTE).await);
    // A clock eight minutes ahead: its records count for nothing, the receive time does.
    let received = start + 20 * MINUTE;
    assert!(message(&app, received, received + 8 * MINUTE).await);
    let gw = shown(&app, received + 4 * MINUTE).await;
    assert_eq!(gw["last_seen"], json!(received), "{gw}");
    assert_eq!(gw["connected"], json!(false), "{gw}");
}

#[tokio::test]
async fn an_instrument_deleted_and_sent_again_starts_with_no_history() {
    let app = spawn(Plan::Standard).await;
    let first = app
        .publish(
            "gw-a",
            &batch(vec![record(
                "LR-1",
                app.at(0),
                json!({ "TEMP": 20.5, "HUM": 40.0 }),
            )]),
        )
        .await;
    assert!(first.result.is_ok_and(|r| r.stored == 1));
    let (status, body) = app
        .call(
            "DELETE",
            "/v1/groups/plant/apps/gw-a/instruments/LR-1",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The same serial again, its channels in another order: the dictionary starts over.
    let again = app
        .publish(
            "gw-a",
            &batch(vec![record("LR-1", app.at(60), json!({ "HUM": 55.0 }))]),
        )
        .await;
    assert!(again.result.is_ok_and(|r| r.stored == 1));
    let (status, instrument) = app.get("/v1/groups/plant/apps/gw-a/instruments/LR-1").await;
    assert_eq!(status, 200, "{instrument}");
    assert_eq!(
        instrument["channels"],
        json!([{ "channel": "HUM", "acquired": true, "latest": { "t": app.at(60), "value": 55.0 } }]),
    );
    assert_eq!(
        app.points("gw-a/LR-1/HUM").await,
        vec![(app.at(60), json!(55.0))]
    );
}

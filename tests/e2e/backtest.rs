//! Alarm backtests over HTTP: a draft rule run over records published through the local
//! cloud, answering when it would have raised and cleared, storing and notifying nothing.

use devcloud::seed;
use fieldcloud::domain::auth::Role;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use serde_json::{json, Value};

use crate::access::{grant, member};
use crate::calculated::backfilled;
use crate::helpers::{batch, record, spawn_with, TestCloud};

const BACKTEST: &str = "/v1/groups/plant/alarms/backtest";

/// A cloud whose instrument `LR-1` of app `gw-a` sent CH1 a record a minute for seven
/// minutes: 25, above 30 at minutes 1 and 2, 20, a burnout at minute 4, then 20.
async fn cloud(read_limits: api::ReadLimits) -> TestCloud {
    let app = spawn_with(Plan::Standard, read_limits).await;
    let values = [
        json!(25.0),
        json!(31.0),
        json!(32.0),
        json!(20.0),
        json!("BURNOUT"),
        json!(20.0),
        json!(20.0),
    ];
    let records = (0..)
        .zip(values)
        .map(|(minute, value)| record("LR-1", app.at(60 * minute), json!({ "CH1": value })))
        .collect();
    let report = app
        .publish("gw-a", &batch(records))
        .await
        .result
        .expect("ingest succeeds");
    assert_eq!(report.stored, 7, "{report:?}");
    app
}

/// Raised once CH1 is above 30 for a minute, cleared once it is not for a minute.
fn rule(channel: &str) -> Value {
    json!({
        "conditions": [{"channel": channel, "raise": {"compare": "above", "value": 30}}],
        "hold_millis": 60_000,
        "recovery": true,
        "special_values": true
    })
}

fn asked(app: &TestCloud, rule: Value, to_minute: i64) -> Value {
    json!({"rule": rule, "from": app.at(0), "to": app.at(60 * to_minute)})
}

#[tokio::test]
async fn a_backtest_answers_when_a_draft_rule_would_have_raised_and_cleared_storing_nothing() {
    let app = cloud(api::ReadLimits::default()).await;
    let (status, answer) = app
        .call(
            "POST",
            BACKTEST,
            Some(asked(&app, rule("gw-a/LR-1/CH1"), 10)),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({
            "group": "plant",
            "from": app.at(0),
            "to": app.at(600),
            "time_zone": "UTC",
            "records": 7,
            "events": [
                {"at": app.at(120), "kind": "raised", "notifies": true},
                {"at": app.at(240), "kind": "special_value", "condition": 0, "value": "BURNOUT", "notifies": true},
                // The burnout broke the minute of not above that began at minute 3.
                {"at": app.at(360), "kind": "cleared", "notifies": true}
            ],
            "raised_at_end": false
        })
    );

    // A range that ends before the clear ends raised; `to` is excluded.
    let (status, answer) = app
        .call(
            "POST",
            BACKTEST,
            Some(asked(&app, rule("gw-a/LR-1/CH1"), 3)),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["records"], &answer["raised_at_end"]),
        (&json!(3), &json!(true))
    );

    // A calculated channel is backtested like a measured one.
    let (status, double) = app
        .call(
            "POST",
            "/v1/groups/plant/calculated",
            Some(json!({"name": "double", "expression": "[LR-1/CH1] * 2"})),
        )
        .await;
    assert_eq!(status, 201, "{double}");
    let id = double["id"].as_str().unwrap();
    backfilled(&app, id).await;
    let mut on_double = rule(&format!("calc:{id}"));
    on_double["conditions"][0]["raise"]["value"] = json!(60);
    on_double["hold_millis"] = json!(0);
    let (status, answer) = app
        .call("POST", BACKTEST, Some(asked(&app, on_double, 4)))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["events"],
        json!([
            {"at": app.at(60), "kind": "raised", "notifies": true},
            {"at": app.at(180), "kind": "cleared", "notifies": true}
        ])
    );

    // Nothing was stored: the group has no alarms.
    let (_, list) = app.call("GET", "/v1/groups/plant/alarms", None).await;
    assert_eq!(list, json!({"alarms": []}));
}

#[tokio::test]
async fn a_viewer_may_backtest_and_another_account_finds_no_group() {
    let app = cloud(api::ReadLimits::default()).await;
    let body = asked(&app, rule("gw-a/LR-1/CH1"), 10);
    let ann = member(&app, "ann").await;
    let (status, _) = app.call_as("POST", BACKTEST, &ann, body.clone()).await;
    assert_eq!(status, 404, "not granted: not found");
    let (status, answer) = grant(&app, "plant", json!([{"user": "ann", "role": "viewer"}])).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = app.call_as("POST", BACKTEST, &ann, body.clone()).await;
    assert_eq!(
        (status, answer["records"].clone()),
        (200, json!(7)),
        "{answer}"
    );

    let rival = seed::tenant(&app.cloud.store, "rival", Plan::Pro, "lab", &["gw-r"])
        .await
        .unwrap();
    let rival_token = app
        .cloud
        .session_token(&rival.account.id, "spy", Role::Admin, 60 * Millis::MINUTE)
        .await
        .expect("a session");
    let (status, answer) = app.call_as("POST", BACKTEST, &rival_token, body).await;
    assert_eq!(
        (status, answer["message"].clone()),
        (404, json!("measurement group `plant` not found"))
    );
}

#[tokio::test]
async fn bad_input_and_a_range_over_the_read_limit_are_refused_naming_the_problem() {
    let limits = api::ReadLimits {
        per_instrument: 5,
        ..api::ReadLimits::default()
    };
    let app = cloud(limits).await;
    let refused = |body: Value| {
        let app = &app;
        async move {
            let (status, answer) = app.call("POST", BACKTEST, Some(body)).await;
            assert_eq!(status, 400, "{answer}");
            answer["message"].as_str().unwrap().to_owned()
        }
    };
    let good = asked(&app, rule("gw-a/LR-1/CH1"), 4);

    let mut backwards = good.clone();
    backwards["to"] = backwards["from"].clone();
    assert_eq!(refused(backwards).await, "`from` must be before `to`");
    let mut text = good.clone();
    text["from"] = json!("yesterday");
    let message = refused(text).await;
    assert!(message.contains("invalid type"), "{message}");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("to");
    assert!(refused(missing).await.contains("missing field `to`"));
    let mut unknown = good.clone();
    unknown["buckets"] = json!(10);
    assert!(refused(unknown).await.contains("buckets"));
    let message = refused(asked(&app, rule("gw-a/LR-9/CH1"), 4)).await;
    assert!(
        message.contains("`rule.conditions[0].channel`") && message.contains("gw-a/LR-9/CH1"),
        "{message}"
    );
    let mut broken = good.clone();
    broken["rule"]["hold_millis"] = json!(-1);
    assert!(refused(broken).await.contains("`hold_millis`"));
    let response = reqwest::Client::new()
        .post(format!("{}{BACKTEST}", app.cloud.api_url))
        .bearer_auth(&app.token)
        .body("{\"rule\":")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    // Five records of one instrument are the limit: the whole range is refused, not cut.
    let (status, answer) = app
        .call(
            "POST",
            BACKTEST,
            Some(asked(&app, rule("gw-a/LR-1/CH1"), 10)),
        )
        .await;
    assert_eq!(
        (status, answer["code"].clone()),
        (422, json!("too_much_data")),
        "{answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("ask for a shorter range (`from`, `to`)"),
        "{answer}"
    );
    let (status, answer) = app.call("POST", BACKTEST, Some(good)).await;
    assert_eq!((status, answer["records"].clone()), (200, json!(4)));

    // The path is the backtest's under any method, never an alarm called `backtest`.
    let (status, answer) = app.call("GET", BACKTEST, None).await;
    assert_eq!(
        (status, answer["message"].clone()),
        (405, json!("GET is not allowed here; use POST")),
        "{answer}"
    );
}

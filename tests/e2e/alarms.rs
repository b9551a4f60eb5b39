//! Data alarm definitions over HTTP: stored per group within the plan's limit, checked
//! against the group's channels, edited on the version read (their evaluation is in
//! `alarm_evaluation.rs`).

use fieldcloud::domain::plan::Plan;
use serde_json::{json, Value};

use crate::access::{grant, member};
use crate::helpers::{batch, record, spawn, TestCloud};

const ALARMS: &str = "/v1/groups/plant/alarms";

fn body(name: &str, channel: &str) -> Value {
    json!({
        "name": name,
        "enabled": true,
        "rule": {
            "conditions": [{
                "channel": channel,
                "raise": {"compare": "above", "value": 30.5},
                "clear": {"compare": "above", "value": 28.5}
            }],
            "join": "and",
            "window": {"from": "22:00", "to": "06:00"},
            "hold_millis": 60000,
            "recovery": true,
            "special_values": false
        }
    })
}

/// A cloud whose group `plant` has app `gw-a` with instrument `LR-1`.
async fn cloud(plan: Plan) -> TestCloud {
    let app = spawn(plan).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 25.0}))]),
    )
    .await;
    app
}

#[tokio::test]
async fn an_alarm_is_created_listed_read_edited_on_its_version_and_deleted() {
    let app = cloud(Plan::Standard).await;
    let (status, created) = app
        .call("POST", ALARMS, Some(body("Hot", "gw-a/LR-1/CH1")))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let expected = json!({
        "id": id,
        "name": "Hot",
        "enabled": true,
        "rule": body("Hot", "gw-a/LR-1/CH1")["rule"],
        "version": 1
    });
    assert_eq!(created, expected);

    let (status, list) = app.call("GET", ALARMS, None).await;
    assert_eq!((status, list), (200, json!({"alarms": [expected.clone()]})));
    let path = format!("{ALARMS}/{id}");
    let (status, read) = app.call("GET", &path, None).await;
    assert_eq!((status, read), (200, expected));

    // An edit of version 1 makes version 2; a second edit of version 1 is stale.
    let mut edit = body("Very hot", "gw-a/LR-1/CH1");
    edit["enabled"] = json!(false);
    edit["version"] = json!(1);
    let (status, edited) = app.call("PUT", &path, Some(edit.clone())).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (
            edited["name"].clone(),
            edited["enabled"].clone(),
            edited["version"].clone()
        ),
        (json!("Very hot"), json!(false), json!(2))
    );
    let (status, stale) = app.call("PUT", &path, Some(edit)).await;
    assert_eq!(
        (status, stale["code"].clone()),
        (409, json!("changed_meanwhile")),
        "{stale}"
    );
    let (_, read) = app.call("GET", &path, None).await;
    assert_eq!(read, edited, "the stale edit changed nothing");

    // A group with an alarm stays; the alarm goes, then the group could.
    let (status, refused) = app.call("DELETE", "/v1/groups/plant", None).await;
    assert_eq!((status, refused["code"].clone()), (409, json!("not_empty")));
    let (status, deleted) = app.call("DELETE", &path, None).await;
    assert_eq!((status, deleted), (200, json!({"deleted": id})));
    let (status, _) = app.call("GET", &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = app.call("DELETE", &path, None).await;
    assert_eq!(status, 404);
    let (_, list) = app.call("GET", ALARMS, None).await;
    assert_eq!(list, json!({"alarms": []}));
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let app = cloud(Plan::Standard).await;
    let refused = |body: Value| {
        let app = &app;
        async move {
            let (status, answer) = app.call("POST", ALARMS, Some(body)).await;
            assert_eq!(status, 400, "{answer}");
            answer["message"].as_str().unwrap().to_owned()
        }
    };
    // A channel not in the group, measured or calculated.
    for channel in ["gw-a/LR-9/CH1", "gw-z/LR-1/CH1", "calc:nothing"] {
        let message = refused(body("Hot", channel)).await;
        assert!(
            message.contains("`rule.conditions[0].channel`") && message.contains(channel),
            "{message}"
        );
    }
    // Clearing thresholds beyond the raising ones.
    let mut order = body("Hot", "gw-a/LR-1/CH1");
    order["rule"]["conditions"][0]["clear"]["value"] = json!(31);
    let message = refused(order).await;
    assert!(message.contains("conditions[0]"), "{message}");
    // A threshold that is not a number.
    let mut wrong = body("Hot", "gw-a/LR-1/CH1");
    wrong["rule"]["conditions"][0]["raise"]["value"] = json!("x");
    let message = refused(wrong).await;
    assert!(message.contains("invalid type"), "{message}");
    // Unknown fields, at the top and in the rule.
    let mut unknown = body("Hot", "gw-a/LR-1/CH1");
    unknown["colour"] = json!("red");
    assert!(refused(unknown).await.contains("colour"));
    let mut unknown = body("Hot", "gw-a/LR-1/CH1");
    unknown["rule"]["hold"] = json!(5);
    assert!(refused(unknown).await.contains("hold"));
    // No name, no rule.
    let mut nameless = body("Hot", "gw-a/LR-1/CH1");
    nameless.as_object_mut().unwrap().remove("name");
    assert!(refused(nameless).await.contains("`name`"));
    assert!(refused(json!({"name": "Hot"})).await.contains("`rule`"));
    // An edit without the version it read.
    let (_, created) = app
        .call("POST", ALARMS, Some(body("Hot", "gw-a/LR-1/CH1")))
        .await;
    let path = format!("{ALARMS}/{}", created["id"].as_str().unwrap());
    let (status, answer) = app
        .call("PUT", &path, Some(body("Hot", "gw-a/LR-1/CH1")))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("`version`"));
}

#[tokio::test]
async fn the_plan_limits_alarms_per_group_and_a_delete_frees_a_slot() {
    let app = cloud(Plan::Free).await;
    for n in 0..3 {
        let (status, answer) = app
            .call(
                "POST",
                ALARMS,
                Some(body(&format!("a{n}"), "gw-a/LR-1/CH1")),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer) = app
        .call("POST", ALARMS, Some(body("a3", "gw-a/LR-1/CH1")))
        .await;
    assert_eq!(
        (status, answer["code"].clone(), answer["message"].clone()),
        (
            409,
            json!("limit_reached"),
            json!("plan free allows 3 data alarms per measurement group; group `plant` has 3")
        )
    );
    let (_, list) = app.call("GET", ALARMS, None).await;
    let first = list["alarms"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app.call("DELETE", &format!("{ALARMS}/{first}"), None).await;
    assert_eq!(status, 200);
    let (status, answer) = app
        .call("POST", ALARMS, Some(body("a3", "gw-a/LR-1/CH1")))
        .await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test]
async fn a_viewer_reads_alarms_and_cannot_change_them() {
    let app = cloud(Plan::Standard).await;
    let (status, created) = app
        .call("POST", ALARMS, Some(body("Hot", "gw-a/LR-1/CH1")))
        .await;
    assert_eq!(status, 201, "{created}");
    let ann = member(&app, "ann").await;
    let (status, _) = app.get_as(ALARMS, &ann).await;
    assert_eq!(status, 404, "not granted: not found");
    let (status, answer) = grant(&app, "plant", json!([{"user": "ann", "role": "viewer"}])).await;
    assert_eq!(status, 200, "{answer}");
    let (status, list) = app.get_as(ALARMS, &ann).await;
    assert_eq!(
        (status, list["alarms"][0]["id"].clone()),
        (200, created["id"].clone())
    );
    let (status, answer) = app
        .call_as("POST", ALARMS, &ann, body("Mine", "gw-a/LR-1/CH1"))
        .await;
    assert_eq!(
        (status, answer["message"].clone()),
        (
            403,
            json!(
                "you are a viewer of measurement group `plant`; changing it needs an editor grant"
            )
        )
    );
    let path = format!("{ALARMS}/{}", created["id"].as_str().unwrap());
    let (status, _) = app.call_as("DELETE", &path, &ann, json!({})).await;
    assert_eq!(status, 403);
    let (status, _) = app.call("GET", &path, None).await;
    assert_eq!(status, 200, "still there");
}

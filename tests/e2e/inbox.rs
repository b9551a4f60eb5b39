//! The inbox end to end: notifications made by ingest from records published over
//! MQTT, listed, counted and marked read over HTTP by two users of the account, each
//! with their own read state; a viewer of the group reads and marks, a temporary login
//! only reads; another account finds no group.

use devcloud::seed;
use fieldcloud::domain::auth::Role;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use serde_json::{json, Value};

use crate::access::{grant, member};
use crate::alarm_evaluation::{alarm_on, cloud, create_alarm};
use crate::helpers::{batch, record, TestCloud};

const INBOX: &str = "/v1/groups/plant/inbox";

/// Raises and clears the alarm by turns: five notifications, at 1 to 5 seconds.
async fn five_notifications(app: &TestCloud) -> String {
    let alarm = create_alarm(app, alarm_on("gw-a/LR-1/CH1", 30.0, 25.0)).await;
    let values = [31.0, 24.0, 32.0, 20.0, 33.0];
    let records = (1..=5)
        .zip(values)
        .map(|(second, value)| record("LR-1", app.at(second), json!({"CH1": value})))
        .collect();
    let outcome = app.publish("gw-a", &batch(records)).await;
    assert_eq!(outcome.result.expect("ingested").alarms.notified, 5);
    alarm
}

/// The IDs of a page, with whether each is read, and its `next`.
async fn page(app: &TestCloud, token: &str, query: &str) -> (Vec<(String, bool)>, Value) {
    let (status, body) = app.get_as(&format!("{INBOX}{query}"), token).await;
    assert_eq!(status, 200, "{query}: {body}");
    let listed = body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap().to_owned(), n["read"] == true))
        .collect();
    (listed, body["next"].clone())
}

async fn unread(app: &TestCloud, token: &str) -> Value {
    let (status, body) = app.get_as(&format!("{INBOX}/unread"), token).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn mark(app: &TestCloud, token: &str, id: &str) -> (u16, Value) {
    app.call_as("POST", &format!("{INBOX}/{id}/read"), token, json!({}))
        .await
}

fn count(n: usize) -> Value {
    json!({"unread": n, "unread_capped": false})
}

#[tokio::test]
async fn two_users_list_count_and_mark_the_notifications_of_ingest_each_their_own() {
    let app = cloud().await;
    let alarm = five_notifications(&app).await;
    let ann = member(&app, "ann").await;
    let bob = member(&app, "bob").await;
    let (status, body) = grant(
        &app,
        "plant",
        json!([{"user": "ann", "role": "viewer"}, {"user": "bob", "role": "editor"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Newest first, all unread, paged by `next`.
    let id = |second: i64, kind: &str| format!("{:015}.{alarm}.1.{kind}", app.at(second));
    let newest_first = [
        id(5, "raised"),
        id(4, "cleared"),
        id(3, "raised"),
        id(2, "cleared"),
        id(1, "raised"),
    ];
    let (first, next) = page(&app, &ann, "?limit=2").await;
    assert_eq!(
        first,
        vec![
            (newest_first[0].clone(), false),
            (newest_first[1].clone(), false)
        ]
    );
    let next = next.as_str().expect("a next page").to_owned();
    let (second, _) = page(&app, &ann, &format!("?limit=2&cursor={next}")).await;
    assert_eq!(second[0].0, newest_first[2]);
    let (all, next) = page(&app, &ann, "").await;
    assert_eq!(all.len(), 5);
    assert_eq!(next, Value::Null);
    assert_eq!(unread(&app, &ann).await, count(5));

    // Ann, a viewer of the group, marks one, twice: read for her, not for bob.
    for _ in 0..2 {
        let (status, body) = mark(&app, &ann, &newest_first[1]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({"id": newest_first[1], "read": true}));
    }
    assert_eq!(unread(&app, &ann).await, count(4));
    assert_eq!(unread(&app, &bob).await, count(5));
    let (listed, _) = page(&app, &ann, "?filter=unread").await;
    let ids: Vec<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            &newest_first[0],
            &newest_first[2],
            &newest_first[3],
            &newest_first[4]
        ]
    );
    let (listed, _) = page(&app, &ann, "?filter=all").await;
    assert_eq!(listed[1], (newest_first[1].clone(), true));

    // Bob marks all: up to the newest now; what comes later is unread again.
    let (status, body) = app
        .call_as("POST", &format!("{INBOX}/read"), &bob, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"read_through": newest_first[0]}));
    assert_eq!(unread(&app, &bob).await, count(0));
    assert_eq!(page(&app, &bob, "?filter=unread").await.0, vec![]);
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(6), json!({"CH1": 10.0}))]),
    )
    .await;
    assert_eq!(unread(&app, &bob).await, count(1));
    assert_eq!(unread(&app, &ann).await, count(5));

    // No such notification in the group: not found; a malformed ID: refused by name.
    let (status, body) = mark(&app, &ann, &id(9, "raised")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = mark(&app, &ann, "not.an.id").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("notification ID"),
        "{body}"
    );

    // A user deleted and created again under the ID has read nothing.
    let (status, body) = app.call("DELETE", "/v1/users/ann", None).await;
    assert_eq!(status, 200, "{body}");
    let ann = member(&app, "ann").await;
    grant(&app, "plant", json!([{"user": "ann", "role": "viewer"}])).await;
    assert_eq!(unread(&app, &ann).await, count(6));
}

#[tokio::test]
async fn marks_made_at_once_by_many_tabs_all_land() {
    let app = cloud().await;
    five_notifications(&app).await;
    let (listed, _) = page(&app, &app.token, "").await;
    let mut tabs = tokio::task::JoinSet::new();
    for (id, _) in listed {
        let url = format!("{}{INBOX}/{id}/read", app.cloud.api_url);
        let token = app.token.clone();
        tabs.spawn(async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .send()
                .await;
            response.expect("API answers").status().as_u16()
        });
    }
    assert_eq!(tabs.join_all().await, vec![200; 5]);
    assert_eq!(unread(&app, &app.token).await, count(0));
}

#[tokio::test]
async fn bad_inbox_queries_are_refused_by_name() {
    let app = cloud().await;
    for (query, field) in [
        ("filter=read", "`filter`"),
        ("limit=0", "`limit`"),
        ("limit=101", "`limit`"),
        ("cursor=xyz", "`cursor`"),
    ] {
        let (status, body) = app.call("GET", &format!("{INBOX}?{query}"), None).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(field), "{query}: {message}");
    }
}

#[tokio::test]
async fn a_temporary_login_lists_the_inbox_and_marks_nothing() {
    let app = cloud().await;
    five_notifications(&app).await;
    let (status, temporary) = app
        .call("POST", "/v1/temporary-logins", Some(json!({})))
        .await;
    assert_eq!(status, 201, "{temporary}");
    let token = temporary["token"].as_str().unwrap();
    let (listed, _) = page(&app, token, "").await;
    assert_eq!(listed.len(), 5);
    assert_eq!(unread(&app, token).await, count(5));
    let (status, body) = app
        .call_as("POST", &format!("{INBOX}/read"), token, json!({}))
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (403, json!("a temporary login is view-only"))
    );
    let (status, _) = mark(&app, token, &listed[0].0).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn another_account_finds_no_inbox() {
    let app = cloud().await;
    let alarm = five_notifications(&app).await;
    let rival = seed::tenant(&app.cloud.store, "rival", Plan::Pro, "plant", &["gw-r"])
        .await
        .unwrap();
    let spy = app
        .cloud
        .session_token(&rival.account.id, "spy", Role::Admin, 60 * Millis::MINUTE)
        .await
        .expect("a session");
    // The rival's own group of the same name holds none of acme's notifications.
    let (listed, _) = page(&app, &spy, "").await;
    assert_eq!(listed, vec![]);
    assert_eq!(unread(&app, &spy).await, count(0));
    let acme_id = format!("{:015}.{alarm}.1.raised", app.at(1));
    let (status, body) = mark(&app, &spy, &acme_id).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.call("GET", &format!("{INBOX}/unread"), None).await;
    assert_eq!(
        (status, body),
        (200, count(5)),
        "acme's own marks untouched"
    );
}

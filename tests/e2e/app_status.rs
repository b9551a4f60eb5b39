//! Apps' connection statuses end to end: an app's MQTT connection opening and closing
//! (the local cloud's relay plays IoT Core's lifecycle events and the presence rule)
//! and an app gone silent (the presence function's schedule) each reach the group's
//! inbox, its mail and its Slack once, however often the events come; another account
//! sees none of it.

use std::time::Duration;

use fieldcloud::domain::app_status::PresenceEvent;
use fieldcloud::domain::ids::AppId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::protocol::RuleEvent;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::Apps;
use rumqttc::{AsyncClient, MqttOptions};
use serde_json::{json, Value};

use crate::helpers::{batch, mail_subjects, record, spawn, TestCloud};
use crate::notify::{notify_queue_settled, until, SLACK};

const MINUTE: i64 = Millis::MINUTE;

/// The app-status notifications of `group`'s inbox, oldest first, as (connected, at, by).
async fn app_notices(app: &TestCloud, token: &str, group: &str) -> Vec<(bool, i64, String)> {
    let (status, answer) = app
        .get_as(&format!("/v1/groups/{group}/inbox"), token)
        .await;
    assert_eq!(status, 200, "{answer}");
    let mut notes: Vec<_> = answer["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "app")
        .map(|n| {
            assert_eq!(n["app"], "gw-a", "{n}");
            (
                n["connected"].as_bool().unwrap(),
                n["at"].as_i64().unwrap(),
                n["cause"]["by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    notes.reverse();
    notes
}

async fn notices(app: &TestCloud) -> Vec<(bool, i64, String)> {
    app_notices(app, &app.token, "plant").await
}

/// Whether `gw-a`'s outbox is empty: every change decided has been delivered and the
/// function that decided it has written its last write. The inbox shows a change before
/// that last write; a test that went on at once would race it.
async fn delivered(app: &TestCloud) -> bool {
    let id = AppId::parse("gw-a").unwrap();
    let read = app.cloud.store.app(&app.account, &id).await.unwrap();
    read.expect("gw-a is registered").status.outbox.is_empty()
}

fn app_subjects(subjects: Vec<String>) -> Vec<String> {
    subjects
        .into_iter()
        .filter(|s| s.starts_with("[fieldcloud] App"))
        .collect()
}

async fn with_destinations(app: &TestCloud) {
    let (status, answer) = app
        .call(
            "PUT",
            "/v1/groups/plant/destinations",
            Some(json!({"mail": ["tester"], "slack": SLACK})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

/// Connects as app `gw-a` with its thing name as client ID, as IoT Core requires; the
/// connection lives until the client is dropped or disconnects.
async fn connect(app: &TestCloud) -> (AsyncClient, tokio::task::JoinHandle<()>) {
    let thing = app.iot_thing("gw-a");
    let mut options = MqttOptions::new(
        thing.as_str(),
        app.cloud.mqtt.ip().to_string(),
        app.cloud.mqtt.port(),
    );
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = AsyncClient::new(options, 10);
    let driver = tokio::spawn(async move { while connection.poll().await.is_ok() {} });
    (client, driver)
}

fn lifecycle(app: &TestCloud, kind: &str, version: u64, at: i64) -> PresenceEvent {
    PresenceEvent {
        client_id: app.iot_thing("gw-a").as_str().to_owned(),
        timestamp: at,
        event_type: kind.into(),
        version_number: version,
        disconnect_reason: None,
    }
}

#[tokio::test]
async fn an_app_connecting_and_leaving_is_told_once_each_by_mail_post_and_inbox() {
    let app = spawn(Plan::Standard).await;
    with_destinations(&app).await;
    app.cloud.take_writes();

    let (client, driver) = connect(&app).await;
    until(
        "the connection in the inbox, its outbox emptied",
        || async { notices(&app).await.len() == 1 && delivered(&app).await },
    )
    .await;
    client.disconnect().await.unwrap();
    driver.await.unwrap();
    until(
        "the disconnection in the inbox, its outbox emptied",
        || async { notices(&app).await.len() == 2 && delivered(&app).await },
    )
    .await;
    let told = notices(&app).await;
    let (opened, closed) = (told[0].1, told[1].1);
    assert_eq!(
        told,
        [
            (true, opened, "lifecycle".to_owned()),
            (false, closed, "lifecycle".to_owned())
        ]
    );
    assert!(opened <= closed);

    // IoT Core delivers at least once and in no particular order: the same two events
    // again, three times, the end before the start.
    for _ in 0..3 {
        for (kind, at) in [("disconnected", closed), ("connected", opened)] {
            let event = lifecycle(&app, kind, 1, at);
            app.cloud.lifecycle(&event).await.unwrap();
        }
    }
    until("two mails and two posts delivered", || async {
        app_subjects(mail_subjects(&app).await).len() >= 2
            && app.cloud.captures.all().len() >= 2
            && notify_queue_settled(&app).await
    })
    .await;
    assert_eq!(notices(&app).await, told, "nothing new");
    let subjects = app_subjects(mail_subjects(&app).await);
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[0].starts_with("[fieldcloud] App connected: "));
    assert!(subjects[1].starts_with("[fieldcloud] App disconnected: "));
    let posts = app.cloud.captures.all();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(posts.iter().all(|p| p.path.starts_with("/slack/services/")));

    // What the README prices: each change is the status written with its outbox, the
    // inbox item, the outbox emptied; the sweep's list entry is written (in a
    // transaction with the status) only when the app comes on it or goes off it. The
    // events delivered again wrote nothing.
    let writes: Vec<_> = app
        .cloud
        .take_writes()
        .into_iter()
        .filter(|w| w.function == "PresenceFunction")
        .collect();
    let sort_keys: Vec<String> = writes
        .iter()
        .map(|w| {
            let sk = w.key["sk"]["S"].as_str().unwrap();
            let kind = sk.split(['#', '.']).next().unwrap_or(sk);
            format!(
                "{kind}{}",
                if w.transactional {
                    " (transaction)"
                } else {
                    ""
                }
            )
        })
        .collect();
    assert_eq!(
        sort_keys,
        [
            "APP (transaction)",
            "acme (transaction)",
            "NOTE",
            "APP",
            "APP",
            "NOTE",
            "APP (transaction)",
            "acme (transaction)",
        ]
    );
}

#[tokio::test]
async fn an_app_gone_silent_is_told_disconnected_once_and_its_next_message_connects_it() {
    let app = spawn(Plan::Standard).await;
    let (client, _driver) = connect(&app).await;
    until("the connection in the inbox", || async {
        notices(&app).await.len() == 1
    })
    .await;
    let connected_at = notices(&app).await[0].1;

    // Still connected over MQTT, but nothing sent: the sweep three minutes on.
    let silent_from = connected_at + 3 * MINUTE;
    for at in [
        silent_from,
        silent_from + 1,
        silent_from + MINUTE,
        silent_from + 1,
    ] {
        app.cloud.sweep_apps(Millis(at)).await.unwrap();
    }
    assert_eq!(
        notices(&app).await,
        [
            (true, connected_at, "lifecycle".to_owned()),
            (false, silent_from, "silence".to_owned())
        ]
    );

    // A message received after that shows it connected again, once however often the
    // rule delivers it.
    let received = silent_from + MINUTE;
    let payload = batch(vec![record("LR-1", received - 5_000, json!({"CH1": 1.0}))]);
    let event = RuleEvent::new(
        app.iot_thing("gw-a").as_str(),
        None,
        payload.to_string().as_bytes(),
        Millis(received),
    );
    for _ in 0..3 {
        let outcome = app.cloud.deliver(&event).await;
        assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    }
    let told = notices(&app).await;
    assert_eq!(told.len(), 3, "{told:?}");
    assert_eq!(told[2], (true, received, "message".to_owned()));

    // Its records keep it connected: no sweep within the silence of the last one
    // tells anything.
    app.cloud
        .sweep_apps(Millis(received + 2 * MINUTE))
        .await
        .unwrap();
    assert_eq!(notices(&app).await.len(), 3);
    drop(client);

    // Another account's users see none of it, in their own group or in this one.
    let other = devcloud::seed::tenant(
        &app.cloud.store,
        "globex",
        Plan::Standard,
        "plant",
        &["gw-a"],
    )
    .await
    .unwrap();
    devcloud::seed::admin(
        &app.cloud.store,
        &other.account,
        "tester",
        "another-Secret-9",
    )
    .await
    .unwrap();
    let token = app
        .cloud
        .session_token(
            &other.account.id,
            "tester",
            fieldcloud::domain::auth::Role::Admin,
            MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(app_notices(&app, &token, "plant").await, []);
    let (_, answer): (u16, Value) = app.get_as("/v1/groups/plant/inbox", &token).await;
    assert_eq!(answer["notifications"], json!([]), "{answer}");
}

//! Notifications delivered end to end: records over MQTT raise an alarm, ingest queues
//! the notification, the `notify` function (the local queue worker runs it) mails the
//! group's users through the emulator's SES and posts to Slack and WeCom (the local
//! cloud's capture server stands in for both), each once however often the records
//! come; a webhook that keeps failing ends in the dead-letter queue.

use std::future::Future;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};

use crate::alarm_evaluation::{alarm_on, cloud, create_alarm};
use crate::helpers::{batch, mail_dump, mail_subjects, record, TestCloud};

const DESTINATIONS: &str = "/v1/groups/plant/destinations";
pub(crate) const SLACK: &str = "https://hooks.slack.com/services/T1/B1/hook1234";
const WECOM: &str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-5678";

/// Waits for `done` to hold; only a broken cloud makes it wait a minute.
pub(crate) async fn until<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}"));
}

async fn sqs(app: &TestCloud) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await)
}

/// Whether every message of the notify queue has been handled (none waiting, none
/// being handled).
pub(crate) async fn notify_queue_settled(app: &TestCloud) -> bool {
    let attributes = sqs(app)
        .await
        .get_queue_attributes()
        .queue_url(&app.cloud.notify_queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    count(QueueAttributeName::ApproximateNumberOfMessages)
        + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        == 0
}

fn alarm_subjects(subjects: &[String]) -> Vec<String> {
    subjects
        .iter()
        .filter(|s| s.starts_with("[fieldcloud]"))
        .cloned()
        .collect()
}

async fn set_destinations(app: &TestCloud, body: Value) -> Value {
    let (status, answer) = app.call("PUT", DESTINATIONS, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test]
async fn an_alarm_is_mailed_and_posted_once_each_when_every_batch_comes_three_times() {
    let app = cloud().await;
    let shown = set_destinations(
        &app,
        json!({"mail": ["tester"], "slack": SLACK, "wecom": WECOM, "language": "ja"}),
    )
    .await;
    assert_eq!(
        shown,
        json!({
            "mail": ["tester"],
            "slack": "https://hooks.slack.com/…1234",
            "wecom": "https://qyapi.weixin.qq.com/…5678",
            "language": "ja",
            "app_status": true
        })
    );
    // Sent back as read, the masked addresses keep the stored ones.
    set_destinations(&app, shown.clone()).await;
    create_alarm(&app, alarm_on("gw-a/LR-1/CH1", 30.0, 25.0)).await;

    let message = batch(vec![
        record("LR-1", app.at(1), json!({"CH1": 31.0})),
        record("LR-1", app.at(2), json!({"CH1": 24.0})),
    ]);
    let copies = vec![message.clone(), message.clone(), message];
    app.publish_all("gw-a", &copies).await;

    // Raised and cleared: two mails, two posts to each webhook, then nothing more.
    until("two mails and four posts", || async {
        alarm_subjects(&mail_subjects(&app).await).len() >= 2
            && app.cloud.captures.all().len() >= 4
            && notify_queue_settled(&app).await
    })
    .await;
    let subjects = alarm_subjects(&mail_subjects(&app).await);
    assert_eq!(
        subjects,
        vec![
            "[fieldcloud] アラーム発生: Hot (アラーム: plant)",
            "[fieldcloud] アラーム解除: Hot (アラーム: plant)"
        ]
    );
    let posts = app.cloud.captures.all();
    let paths: Vec<&str> = posts.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths
            .iter()
            .filter(|p| **p == "/slack/services/T1/B1/hook1234")
            .count(),
        2,
        "{paths:?}"
    );
    assert_eq!(
        paths
            .iter()
            .filter(|p| **p == "/wecom/cgi-bin/webhook/send?key=k-5678")
            .count(),
        2,
        "{paths:?}"
    );
    assert_eq!(posts.len(), 4);
    let wecom = posts.iter().find(|p| p.path.starts_with("/wecom")).unwrap();
    assert_eq!(wecom.body["msgtype"], json!("text"));
    assert!(wecom.body["text"]["content"]
        .as_str()
        .unwrap()
        .contains("gw-a/LR-1/CH1 = 31"));
    let slack = posts.iter().find(|p| p.path.starts_with("/slack")).unwrap();
    assert!(
        !slack.body["text"].as_str().unwrap().contains("token="),
        "no login in chat"
    );

    // The mail's link is a view-only login of its recipient.
    let dump = mail_dump(&app).await;
    let token: String = dump
        .split("#token=")
        .nth(1)
        .expect("a login link in the mail")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    let (status, latest) = app.get_as("/v1/groups/plant/latest", &token).await;
    assert_eq!(status, 200, "{latest}");
    let (status, refused) = app
        .call_as("PUT", DESTINATIONS, &token, json!({"mail": []}))
        .await;
    assert_eq!(status, 403, "{refused}");
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_ends_in_the_dead_letter_queue_and_the_rest_is_delivered() {
    let app = cloud().await;
    // Slack answers 404 `no_service` to a revoked webhook.
    set_destinations(
        &app,
        json!({"mail": ["tester"], "slack": "https://hooks.slack.com/services/revoked/B1/x", "wecom": WECOM}),
    )
    .await;
    create_alarm(&app, alarm_on("gw-a/LR-1/CH1", 30.0, 25.0)).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(1), json!({"CH1": 31.0}))]),
    )
    .await;
    let client = sqs(&app).await;
    let dead = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let received = client
                .receive_message()
                .queue_url(&app.cloud.notify_dead_letters_url)
                .send()
                .await
                .unwrap();
            if let Some(message) = received.messages.unwrap_or_default().pop() {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the message in the dead-letter queue");
    let body: Value = serde_json::from_str(dead.body().unwrap()).unwrap();
    assert_eq!(body["type"], json!("notice"));
    assert_eq!(body["notice"]["kind"], json!("alarm"));
    assert_eq!(body["notice"]["event"]["at"], json!(app.at(1)));
    // Delivered to the others once, however often the message came back.
    assert_eq!(alarm_subjects(&mail_subjects(&app).await).len(), 1);
    let posts = app.cloud.captures.all();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(posts[0].path.starts_with("/wecom"));
}

#[tokio::test]
async fn destinations_refuse_what_is_not_theirs_naming_the_field() {
    let app = cloud().await;
    for (body, field) in [
        (
            json!({"slack": "https://evil.example/services/x"}),
            "`slack`",
        ),
        (json!({"wecom": SLACK}), "`wecom`"),
        (json!({"mail": ["nobody"]}), "no user `nobody`"),
        (json!({"mail": ["tester", "tester"]}), "twice"),
        (json!({"language": "xx"}), "`xx`"),
        (json!({"mail": "tester"}), "expected a sequence"),
        (json!({"cc": []}), "cc"),
    ] {
        let (status, answer) = app.call("PUT", DESTINATIONS, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    let (status, stored) = app.call("GET", DESTINATIONS, None).await;
    assert_eq!(
        (status, stored),
        (
            200,
            json!({"mail": [], "slack": null, "wecom": null, "language": null, "app_status": true})
        )
    );
}

#[tokio::test]
async fn a_test_notification_reaches_every_destination_and_not_the_inbox() {
    let app = cloud().await;
    set_destinations(&app, json!({"mail": ["tester"], "slack": SLACK})).await;
    let alarm = create_alarm(&app, alarm_on("gw-a/LR-1/CH1", 30.0, 25.0)).await;
    let path = format!("/v1/groups/plant/alarms/{alarm}/test");
    let (status, queued) = app.call("POST", &path, Some(json!({}))).await;
    assert_eq!(status, 202, "{queued}");
    until("the test mail and post", || async {
        !alarm_subjects(&mail_subjects(&app).await).is_empty()
            && !app.cloud.captures.all().is_empty()
            && notify_queue_settled(&app).await
    })
    .await;
    assert_eq!(
        alarm_subjects(&mail_subjects(&app).await),
        vec!["[fieldcloud] Test notification: Hot (Alarm: plant)"]
    );
    assert_eq!(app.cloud.captures.all().len(), 1);
    let (_, inbox) = app.call("GET", "/v1/groups/plant/inbox", None).await;
    assert_eq!(inbox["notifications"], json!([]), "{inbox}");
    let (status, _) = app
        .call(
            "POST",
            "/v1/groups/plant/alarms/000000000000/test",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 404);
}

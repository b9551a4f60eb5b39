//! File alarms end to end: a rule set over the API, an upload PUT to the emulator's S3
//! and indexed by the `files` function, the group told through its inbox and its Slack
//! once — however often S3 reports the upload, and again after a crash between the
//! index and the notice; an upload no rule matches tells nothing; bad rules are refused
//! naming what is wrong.

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::domain::plan::Plan;
use serde_json::{json, Value};

use super::{put, FILES};
use crate::helpers::{batch, mail_subjects, record, spawn, TestCloud};
use crate::notify::{notify_queue_settled, until, SLACK};

const RULES: &str = "/v1/groups/plant/file-alarms";

/// Uploads `body` as `name` of `content_type` to `plant` from `source` (app and
/// instrument, if any) and waits until it is indexed; its ID.
async fn upload(
    app: &TestCloud,
    name: &str,
    content_type: &str,
    source: Option<(&str, &str)>,
    body: &[u8],
) -> String {
    let mut draft = json!({"name": name, "size": body.len(), "content_type": content_type});
    if let Some((app_id, serial)) = source {
        draft["app"] = json!(app_id);
        draft["instrument"] = json!(serial);
    }
    let (status, handed) = app.call("POST", FILES, Some(draft)).await;
    assert_eq!(status, 201, "{handed}");
    assert_eq!(put(&handed["upload"], body.to_vec()).await, 200);
    let id = handed["id"].as_str().unwrap().to_owned();
    until("the file indexed", || async {
        app.call("GET", &format!("{FILES}/{id}"), None).await.0 == 200
    })
    .await;
    id
}

/// The file notices of `plant`'s inbox, newest first.
async fn file_notices(app: &TestCloud) -> Vec<Value> {
    let (status, answer) = app.call("GET", "/v1/groups/plant/inbox", None).await;
    assert_eq!(status, 200, "{answer}");
    answer["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "file")
        .cloned()
        .collect()
}

async fn sqs(app: &TestCloud) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await)
}

async fn files_queue(app: &TestCloud) -> String {
    let url = sqs(app)
        .await
        .get_queue_url()
        .queue_name(devcloud::FILES_QUEUE)
        .send()
        .await
        .unwrap();
    url.queue_url().unwrap().to_owned()
}

/// Whether the files queue has nothing waiting or in flight: every report handled,
/// the file alarms' notices with it.
async fn files_queue_settled(app: &TestCloud) -> bool {
    use aws_sdk_sqs::types::QueueAttributeName as Name;
    let attributes = sqs(app)
        .await
        .get_queue_attributes()
        .queue_url(files_queue(app).await)
        .attribute_names(Name::All)
        .send()
        .await
        .unwrap();
    let count = |name: Name| {
        attributes
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    count(Name::ApproximateNumberOfMessages) + count(Name::ApproximateNumberOfMessagesNotVisible)
        == 0
}

#[tokio::test]
async fn an_upload_a_file_alarm_matches_is_told_once_however_often_s3_reports_it() {
    let app = spawn(Plan::Standard).await;
    // gw-a's instrument LR-1 comes with its first record.
    let first = batch(vec![record("LR-1", app.at(0), json!({"CH1": 1.5}))]);
    app.publish("gw-a", &first).await.result.unwrap();
    let (status, answer) = app
        .call(
            "PUT",
            "/v1/groups/plant/destinations",
            Some(json!({"slack": SLACK})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let rule = json!({
        "name": "LR-1 recordings",
        "app": "gw-a",
        "instrument": "LR-1",
        "glob": "rec-??.csv",
        "kind": "text/*"
    });
    let (status, created) = app.call("POST", RULES, Some(rule)).await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&created["glob"], &created["kind"]),
        (&json!("rec-??.csv"), &json!("text/*"))
    );
    let (status, images) = app
        .call(
            "POST",
            RULES,
            Some(json!({"name": "Photos", "kind": "image/*"})),
        )
        .await;
    assert_eq!(status, 201, "{images}");

    let body = b"time,CH1\r\n2026-12-02T10:00:00Z,21.5\r\n";
    let file = upload(&app, "rec-01.csv", "text/csv", Some(("gw-a", "LR-1")), body).await;
    until("the file notice in the inbox", || async {
        file_notices(&app).await.len() == 1
    })
    .await;
    let notice = &file_notices(&app).await[0];
    assert_eq!(
        (
            &notice["rule"],
            &notice["rule_name"],
            &notice["file"],
            &notice["name"]
        ),
        (
            &json!(rule_id),
            &json!("LR-1 recordings"),
            &json!(file),
            &json!("rec-01.csv")
        )
    );
    assert_eq!(
        (&notice["app"], &notice["instrument"], &notice["size"]),
        (&json!("gw-a"), &json!("LR-1"), &json!(body.len()))
    );

    // Uploads no rule matches: another name, no app, another kind.
    upload(
        &app,
        "rec-001.csv",
        "text/csv",
        Some(("gw-a", "LR-1")),
        b"x",
    )
    .await;
    upload(&app, "rec-02.csv", "text/csv", None, b"x").await;
    upload(
        &app,
        "rec-03.csv",
        "application/zip",
        Some(("gw-a", "LR-1")),
        b"x",
    )
    .await;

    // S3 reports the first upload again, twice (it delivers at least once).
    let event = json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": devcloud::FILES_BUCKET},
            "object": {"key": format!("files/acme/plant/{file}"), "size": body.len()}
        }
    }]});
    report_again(&app, &event, 2).await;
    until(
        "every report handled and every notice delivered",
        || async {
            files_queue_settled(&app).await
                && notify_queue_settled(&app).await
                && !app.cloud.captures.all().is_empty()
        },
    )
    .await;
    let told = file_notices(&app).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let posts = app.cloud.captures.all();
    assert_eq!(posts.len(), 1, "one post: {posts:?}");
    assert!(
        posts[0].body.to_string().contains("rec-01.csv"),
        "{posts:?}"
    );
    assert!(mail_subjects(&app).await.is_empty(), "no mail destination");

    // A crash after the index was written and before the notice was: the file indexed,
    // its notice nowhere. The report's redelivery tells it, under the same ID.
    let id = told[0]["id"].as_str().unwrap().to_owned();
    let dynamodb =
        aws_sdk_dynamodb::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await);
    dynamodb
        .delete_item()
        .table_name(devcloud::REGISTRY_TABLE)
        .key("pk", AttributeValue::S("INBOX#acme#plant".into()))
        .key("sk", AttributeValue::S(format!("NOTE#{id}")))
        .send()
        .await
        .unwrap();
    assert!(file_notices(&app).await.is_empty());
    report_again(&app, &event, 1).await;
    until("the notice told again", || async {
        file_notices(&app).await.len() == 1
    })
    .await;
    assert_eq!(file_notices(&app).await[0]["id"], json!(id));
}

/// Sends the S3 event `event` to the files queue `times` times, as S3 reporting again.
async fn report_again(app: &TestCloud, event: &Value, times: usize) {
    let queue = files_queue(app).await;
    for _ in 0..times {
        sqs(app)
            .await
            .send_message()
            .queue_url(&queue)
            .message_body(event.to_string())
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn file_alarms_are_listed_replaced_and_deleted_and_bad_ones_refused_by_name() {
    let app = spawn(Plan::Standard).await;
    let refusals = [
        (json!({"name": ""}), "`name`"),
        (json!({"glob": "*.csv"}), "name"),
        (json!({"name": "x", "glob": "*".repeat(201)}), "`glob`"),
        (json!({"name": "x", "glob": "line 1/*.csv"}), "`glob`"),
        (json!({"name": "x", "app": "gw-zz"}), "`app`: `gw-zz`"),
        (json!({"name": "x", "app": "gw a"}), "`app`"),
        (
            json!({"name": "x", "app": "gw-a", "instrument": "LR-9"}),
            "`instrument`: `LR-9`",
        ),
        (json!({"name": "x", "instrument": "LR-1"}), "needs `app`"),
        (json!({"name": "x", "kind": "csv"}), "`kind`"),
        (json!({"name": "x", "pattern": "*.csv"}), "pattern"),
    ];
    for (body, why) in refusals {
        let (status, answer) = app.call("POST", RULES, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{body}: {answer}");
    }
    let (_, list) = app.call("GET", RULES, None).await;
    assert_eq!(list, json!({"file_alarms": []}));

    let (status, created) = app
        .call("POST", RULES, Some(json!({"name": "CSV", "glob": "*.csv"})))
        .await;
    assert_eq!(status, 201, "{created}");
    let path = format!("{RULES}/{}", created["id"].as_str().unwrap());
    let (status, replaced) = app
        .call(
            "PUT",
            &path,
            Some(json!({"name": "gw-b files", "app": "gw-b"})),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    let (status, read) = app.call("GET", &path, None).await;
    assert_eq!((status, &read), (200, &replaced));
    assert_eq!(read["app"], "gw-b");
    assert!(read.get("glob").is_none(), "left out, cleared: {read}");
    let (status, refused) = app
        .call("PUT", &path, Some(json!({"name": "x", "kind": "*"})))
        .await;
    assert_eq!(status, 400, "{refused}");
    let (_, list) = app.call("GET", RULES, None).await;
    assert_eq!(list["file_alarms"], json!([read]));

    let (status, _) = app.call("DELETE", &path, None).await;
    assert_eq!(status, 200);
    let (status, _) = app.call("DELETE", &path, None).await;
    assert_eq!(status, 404);
}

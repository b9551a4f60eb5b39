//! The drive end to end: an upload handed out over the API, PUT by the client to the
//! emulator's S3 itself, reported by S3 on the files queue and indexed by the `files`
//! function with the SHA-256 of what arrived — once however often S3 reports it; what
//! no upload was handed out for, or not as handed out, is removed; the plan's storage
//! refuses an upload up front, exactly at its limit.

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::domain::ids::GroupId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::ports::{Files, GroupKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn, TestCloud};
use crate::notify::until;

const FILES: &str = "/v1/groups/plant/files";

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn request_upload(app: &TestCloud, name: &str, size: usize) -> (u16, Value) {
    app.call(
        "POST",
        FILES,
        Some(json!({"name": name, "folder": "line 1", "size": size, "content_type": "text/csv"})),
    )
    .await
}

/// PUTs `body` as the handed-out upload says; the emulator's answer status.
async fn put(upload: &Value, body: Vec<u8>) -> u16 {
    let mut request = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for header in upload["headers"].as_array().unwrap() {
        let (name, value) = (header[0].as_str().unwrap(), header[1].as_str().unwrap());
        // reqwest sets the length from the body itself.
        if !name.eq_ignore_ascii_case("content-length") {
            request = request.header(name, value);
        }
    }
    request.body(body).send().await.unwrap().status().as_u16()
}

async fn listed(app: &TestCloud) -> Vec<Value> {
    let (status, files) = app.call("GET", FILES, None).await;
    assert_eq!(status, 200, "{files}");
    files.as_array().unwrap().clone()
}

async fn s3(app: &TestCloud) -> aws_sdk_s3::Client {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    devcloud::iam::s3_client(&config, None)
}

async fn exists(app: &TestCloud, key: &str) -> bool {
    s3(app)
        .await
        .head_object()
        .bucket(devcloud::FILES_BUCKET)
        .key(key)
        .send()
        .await
        .is_ok()
}

fn group_key<'a>(app: &'a TestCloud, group: &'a GroupId) -> GroupKey<'a> {
    GroupKey {
        account: &app.account,
        group,
    }
}

#[tokio::test]
async fn an_upload_is_indexed_once_with_the_sha256_of_what_arrived() {
    let app = spawn(Plan::Standard).await;
    let body = b"time,CH1\r\n2026-12-02T10:00:00+09:00,21.5\r\n".to_vec();
    let (status, handed) = request_upload(&app, "report 1.csv", body.len()).await;
    assert_eq!(status, 201, "{handed}");
    let key = format!("files/acme/plant/{}", handed["id"].as_str().unwrap());
    assert_eq!(put(&handed["upload"], body.clone()).await, 200);

    until("the file in the drive", || async {
        listed(&app).await.len() == 1
    })
    .await;
    let file = &listed(&app).await[0];
    assert_eq!(file["sha256"], json!(sha256(&body)));
    assert_eq!(
        (&file["name"], &file["folder"], &file["size"]),
        (&json!("report 1.csv"), &json!("line 1"), &json!(body.len()))
    );
    assert_eq!(file["uploader"], "tester");
    let bytes = app.cloud.store.files_bytes(&app.account).await.unwrap();
    assert_eq!(bytes, body.len() as u64);

    // S3 reports it again (it delivers at least once): one entry, the same total.
    let event = json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {"object": {"key": key.replace(' ', "+"), "size": body.len()}}
    }]});
    let sqs = aws_sdk_sqs::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await);
    let queue = sqs
        .get_queue_url()
        .queue_name(devcloud::FILES_QUEUE)
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        sqs.send_message()
            .queue_url(queue.queue_url().unwrap())
            .message_body(event.to_string())
            .send()
            .await
            .unwrap();
    }
    until("the queue handled", || async {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(queue.queue_url().unwrap())
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let count = |name| {
            attributes
                .attributes()
                .and_then(|a| a.get(&name))
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0)
        };
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            + count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            == 0
    })
    .await;
    assert_eq!(listed(&app).await.len(), 1);
    assert_eq!(
        app.cloud.store.files_bytes(&app.account).await.unwrap(),
        body.len() as u64
    );
    assert!(exists(&app, &key).await);

    // Deleted: the object, the entry and its bytes; once.
    let path = format!("{FILES}/{}", handed["id"].as_str().unwrap());
    let (status, answer) = app.call("DELETE", &path, None).await;
    assert_eq!(status, 200, "{answer}");
    assert!(!exists(&app, &key).await);
    assert_eq!(listed(&app).await, Vec::<Value>::new());
    assert_eq!(app.cloud.store.files_bytes(&app.account).await.unwrap(), 0);
    let (status, _) = app.call("DELETE", &path, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn what_arrives_otherwise_than_handed_out_is_removed_and_never_indexed() {
    let app = spawn(Plan::Standard).await;
    // A larger body than the upload was handed out for (S3 itself refuses it in AWS, the
    // length being signed; the emulator checks no signature, the files function does).
    let (_, handed) = request_upload(&app, "small.csv", 10).await;
    let larger = format!("files/acme/plant/{}", handed["id"].as_str().unwrap());
    put(&handed["upload"], vec![b'x'; 11]).await;
    // An object at a key no upload was handed out for.
    let stray = "files/acme/plant/0123456789abcdef01234567";
    s3(&app)
        .await
        .put_object()
        .bucket(devcloud::FILES_BUCKET)
        .key(stray)
        .body(b"stray".to_vec().into())
        .send()
        .await
        .unwrap();
    until("both removed", || async {
        !exists(&app, &larger).await && !exists(&app, stray).await
    })
    .await;
    assert_eq!(listed(&app).await, Vec::<Value>::new());
    let plant = GroupId::parse("plant").unwrap();
    assert_eq!(
        app.cloud
            .store
            .files(group_key(&app, &plant))
            .await
            .unwrap(),
        []
    );
    assert_eq!(app.cloud.store.files_bytes(&app.account).await.unwrap(), 0);
}

#[tokio::test]
async fn an_upload_that_would_pass_the_plans_storage_is_refused_up_front_exactly_at_the_limit() {
    let app = spawn(Plan::Free).await;
    let capacity = Plan::Free.limits().storage_bytes;
    // As if the account's files took all but 100 bytes.
    let dynamodb =
        aws_sdk_dynamodb::Client::new(&devcloud::sdk_config(&app.cloud.moto.endpoint).await);
    dynamodb
        .update_item()
        .table_name(devcloud::REGISTRY_TABLE)
        .key("pk", AttributeValue::S(format!("ACCOUNT#{}", app.account)))
        .key("sk", AttributeValue::S("ACCOUNT".into()))
        .update_expression("SET filesBytes = :bytes")
        .expression_attribute_values(":bytes", AttributeValue::N((capacity - 100).to_string()))
        .send()
        .await
        .unwrap();
    let (status, refused) = request_upload(&app, "one too many.bin", 101).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "limit_reached", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("plan free stores 5 GB"), "{message}");
    let (status, handed) = request_upload(&app, "exactly full.bin", 100).await;
    assert_eq!(status, 201, "{handed}");

    for (body, why) in [
        (
            json!({"name": "a/b", "size": 1, "content_type": "text/csv"}),
            "`name`",
        ),
        (
            json!({"name": "a", "size": 0, "content_type": "text/csv"}),
            "`size`",
        ),
        (
            json!({"name": "a", "size": 1, "content_type": "csv"}),
            "`content_type`",
        ),
        (
            json!({"name": "a", "size": 1, "content_type": "text/csv", "key": "x"}),
            "key",
        ),
    ] {
        let (status, answer) = app.call("POST", FILES, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(why),
            "{answer}"
        );
    }
}

//! The drive end to end: an upload handed out over the API, PUT by the client to the
//! emulator's S3 itself, reported by S3 on the files queue and indexed by the `files`
//! function with the SHA-256 of what arrived — once however often S3 reports it; what
//! no upload was handed out for, or not as handed out, is removed; the plan's storage
//! refuses an upload up front, exactly at its limit; a file downloads under its own name,
//! moves between folders and lists a page at a time.

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::domain::ids::GroupId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::ports::{Files, GroupKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn, TestCloud};
use crate::notify::until;

mod alarms;

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
pub async fn put(upload: &Value, body: Vec<u8>) -> u16 {
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
    let (status, page) = app.call("GET", FILES, None).await;
    assert_eq!(status, 200, "{page}");
    page["files"].as_array().unwrap().clone()
}

/// Uploads `body` as `name` in `folder` of `plant` and waits until it is indexed; its ID.
pub async fn uploaded(app: &TestCloud, name: &str, folder: &str, body: &[u8]) -> String {
    let draft =
        json!({"name": name, "folder": folder, "size": body.len(), "content_type": "text/csv"});
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

async fn s3(app: &TestCloud) -> aws_sdk_s3::Client {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    devcloud::iam::s3_client(&config, None)
}

pub async fn exists(app: &TestCloud, key: &str) -> bool {
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
        "s3": {
            "bucket": {"name": devcloud::FILES_BUCKET},
            "object": {"key": key.replace(' ', "+"), "size": body.len()}
        }
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
    let waiting = |queue_url: String| {
        let sqs = sqs.clone();
        async move {
            let attributes = sqs
                .get_queue_attributes()
                .queue_url(queue_url)
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
                + count(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                )
        }
    };
    let files_queue = queue.queue_url().unwrap().to_owned();
    until("the queue handled", || async {
        waiting(files_queue.clone()).await == 0
    })
    .await;
    // Handled, not failed: nothing went on to the dead letters.
    let dead_letters = sqs
        .get_queue_url()
        .queue_name(devcloud::FILES_DEAD_LETTER_QUEUE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        waiting(dead_letters.queue_url().unwrap().to_owned()).await,
        0
    );
    assert_eq!(listed(&app).await.len(), 1);
    assert_eq!(
        app.cloud.store.files_bytes(&app.account).await.unwrap(),
        body.len() as u64
    );
    assert!(exists(&app, &key).await);
    // The signed PUT again, with other bytes: S3 takes a key once.
    assert_eq!(put(&handed["upload"], vec![b'!'; body.len()]).await, 412);
    let fetched = s3(&app)
        .await
        .get_object()
        .bucket(devcloud::FILES_BUCKET)
        .key(&key)
        .send()
        .await
        .unwrap();
    let stored = fetched.body.collect().await.unwrap().into_bytes();
    assert_eq!(sha256(&stored), sha256(&body));

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
    app.set_on_account(
        "filesBytes",
        AttributeValue::N((capacity - 100).to_string()),
    )
    .await;
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

#[tokio::test]
async fn a_file_downloads_under_its_name_moves_between_folders_and_lists_a_page_at_a_time() {
    let app = spawn(Plan::Standard).await;
    let report = b"time,CH1\r\n2026-12-02T10:00:00+09:00,21.5\r\n".to_vec();
    let id = uploaded(&app, "März report.csv", "line 1", &report).await;
    let small = uploaded(&app, "b.csv", "line 1/power", b"x").await;
    let large = uploaded(&app, "a.csv", "", &[b'y'; 300]).await;

    // The download: the very bytes, saved under the file's own name.
    let (status, file) = app.call("GET", &format!("{FILES}/{id}"), None).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["download"]["method"], "GET");
    let url = reqwest::Url::parse(file["download"]["url"].as_str().unwrap()).unwrap();
    // Signed into the URL, and S3 answers with it: a browser saves the file rather than
    // showing it.
    let disposition = url
        .query_pairs()
        .find(|(name, _)| name == "response-content-disposition")
        .map(|(_, value)| value.into_owned());
    assert_eq!(
        disposition.as_deref(),
        Some("attachment; filename=\"M_rz report.csv\"; filename*=UTF-8''M%C3%A4rz%20report.csv")
    );
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(
        fetched.headers()["content-disposition"].to_str().ok(),
        disposition.as_deref()
    );
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), report);
    assert_eq!(file["sha256"], json!(sha256(&report)));

    // A folder lists its own files and the folders below it.
    let (status, top) = app.call("GET", &format!("{FILES}?folder="), None).await;
    assert_eq!(status, 200, "{top}");
    assert_eq!(top["folders"], json!(["line 1"]));
    assert_eq!(top["files"][0]["id"], json!(large));
    let (_, line) = app
        .call("GET", &format!("{FILES}?folder=line%201"), None)
        .await;
    assert_eq!(line["folders"], json!(["power"]));
    assert_eq!(line["files"].as_array().unwrap().len(), 1);

    // Sorted by size, largest first, a file a page: each file once.
    let mut seen = Vec::new();
    let mut path = format!("{FILES}?sort=size&order=desc&limit=1");
    loop {
        let (status, page) = app.call("GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].clone()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("{FILES}?sort=size&order=desc&limit=1&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, [json!(large), json!(id), json!(small)]);

    // Renamed and moved: the entry changes, the bytes and the storage do not.
    let path = format!("{FILES}/{id}");
    let (status, moved) = app
        .call(
            "PUT",
            &path,
            Some(json!({"name": "final.csv", "folder": "archive/2026"})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (&moved["name"], &moved["folder"]),
        (&json!("final.csv"), &json!("archive/2026"))
    );
    let (_, archive) = app
        .call("GET", &format!("{FILES}?folder=archive%2F2026"), None)
        .await;
    assert_eq!(archive["files"][0]["id"], json!(id));
    assert_eq!(archive["files"][0]["sha256"], json!(sha256(&report)));
    let stored = app.cloud.store.files_bytes(&app.account).await.unwrap();
    assert_eq!(stored, (report.len() + 1 + 300) as u64);

    // What is not a placement is refused by name, and changes nothing.
    for (body, why) in [
        (json!({}), "`name`"),
        (json!({"name": "a/b"}), "`name`"),
        (json!({"folder": "a//b"}), "`folder`"),
        (json!({"name": "x", "size": 1}), "size"),
    ] {
        let (status, answer) = app.call("PUT", &path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(why),
            "{answer}"
        );
    }
    let (status, _) = app
        .call(
            "PUT",
            &format!("{FILES}/0123456789abcdef01234567"),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, 404);
    let (_, unchanged) = app.call("GET", &path, None).await;
    assert_eq!(
        (&unchanged["name"], &unchanged["folder"]),
        (&json!("final.csv"), &json!("archive/2026"))
    );
    let (status, refused) = app.call("GET", &format!("{FILES}?sort=colour"), None).await;
    assert_eq!(status, 400, "{refused}");
}

/// PUTs one part as handed out; the ETag S3 answered with.
async fn put_part(part: &Value, body: Vec<u8>) -> String {
    let mut request = reqwest::Client::new().put(part["url"].as_str().unwrap());
    for header in part["headers"].as_array().unwrap() {
        let (name, value) = (header[0].as_str().unwrap(), header[1].as_str().unwrap());
        if !name.eq_ignore_ascii_case("content-length") {
            request = request.header(name, value);
        }
    }
    let response = request.body(body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_file_too_large_for_one_put_goes_in_parts_and_is_indexed_whole() {
    let app = spawn(Plan::Standard).await;
    let part_bytes = fieldcloud::domain::files::PART_BYTES as usize;
    let body: Vec<u8> = (0..part_bytes + 1_000).map(|i| (i % 251) as u8).collect();
    let draft = json!({"name": "capture.bin", "size": body.len(), "content_type": "application/octet-stream", "multipart": true});
    let (status, handed) = app.call("POST", FILES, Some(draft)).await;
    assert_eq!(status, 201, "{handed}");
    assert_eq!(
        handed["multipart"],
        json!({"part_bytes": part_bytes, "parts": 2})
    );
    assert!(handed.get("upload").is_none(), "{handed}");
    let id = handed["id"].as_str().unwrap();
    let parts_path = format!("{FILES}/{id}/parts");
    let complete_path = format!("{FILES}/{id}/complete");

    // Part URLs for this upload's own parts only.
    let (status, refused) = app
        .call("POST", &parts_path, Some(json!({"parts": [3]})))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("part 3"),
        "{refused}"
    );
    let (status, signed) = app
        .call("POST", &parts_path, Some(json!({"parts": [2, 1]})))
        .await;
    assert_eq!(status, 200, "{signed}");
    let parts = signed["parts"].as_array().unwrap();
    assert_eq!(
        (&parts[0]["number"], &parts[1]["number"]),
        (&json!(2), &json!(1))
    );
    let second = put_part(&parts[0], body[part_bytes..].to_vec()).await;
    let first = put_part(&parts[1], body[..part_bytes].to_vec()).await;

    // Completed only with every part, in order, as S3 tagged it.
    for (given, why) in [
        (
            json!([{"number": 1, "etag": first}]),
            "has 2 parts, 1 were given",
        ),
        (
            json!([{"number": 2, "etag": second}, {"number": 1, "etag": first}]),
            "got part 2",
        ),
        (
            json!([{"number": 1, "etag": first}, {"number": 2, "etag": first}]),
            "did not take the parts",
        ),
    ] {
        let (status, refused) = app
            .call("POST", &complete_path, Some(json!({"parts": given})))
            .await;
        assert_eq!(status, 400, "{given}: {refused}");
        assert!(
            refused["message"].as_str().unwrap().contains(why),
            "{refused}"
        );
    }
    // A completion naming every part of the largest file is read, then refused here.
    let largest: Vec<Value> = (1..=1_280)
        .map(|number| json!({"number": number, "etag": format!("\"{}\"", "f".repeat(32))}))
        .collect();
    let (status, refused) = app
        .call("POST", &complete_path, Some(json!({"parts": largest})))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("1280 were given"),
        "{refused}"
    );
    let parts = json!([{"number": 1, "etag": first}, {"number": 2, "etag": second}]);
    let (status, completed) = app
        .call("POST", &complete_path, Some(json!({"parts": parts})))
        .await;
    assert_eq!(status, 202, "{completed}");

    until("the file indexed", || async {
        app.call("GET", &format!("{FILES}/{id}"), None).await.0 == 200
    })
    .await;
    let (_, file) = app.call("GET", &format!("{FILES}/{id}"), None).await;
    assert_eq!(file["sha256"], json!(sha256(&body)));
    assert_eq!(file["size"], json!(body.len()));
    let stored = app.cloud.store.files_bytes(&app.account).await.unwrap();
    assert_eq!(stored, body.len() as u64);
    // Completed once: the upload is expected no more.
    let (status, _) = app
        .call("POST", &complete_path, Some(json!({"parts": parts})))
        .await;
    assert_eq!(status, 404);

    // An upload in parts deleted before completion: its parts are dropped.
    let draft = json!({"name": "dropped.bin", "size": body.len(), "content_type": "application/octet-stream", "multipart": true});
    let (_, handed) = app.call("POST", FILES, Some(draft)).await;
    let id = handed["id"].as_str().unwrap();
    let (_, signed) = app
        .call(
            "POST",
            &format!("{FILES}/{id}/parts"),
            Some(json!({"parts": [1]})),
        )
        .await;
    let etag = put_part(&signed["parts"][0], body[..part_bytes].to_vec()).await;
    let (status, deleted) = app.call("DELETE", &format!("{FILES}/{id}"), None).await;
    assert_eq!(status, 200, "{deleted}");
    assert!(!etag.is_empty());
    let unfinished = s3(&app)
        .await
        .list_multipart_uploads()
        .bucket(devcloud::FILES_BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(unfinished.uploads().len(), 0, "{unfinished:?}");
    assert_eq!(listed(&app).await.len(), 1);
}

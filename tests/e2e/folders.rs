//! Folders of the drive end to end: made empty and listed, renamed and moved with
//! everything below them (never merged by accident), deleted with everything below
//! them — objects, entries and the bytes they took.

use fieldcloud::domain::plan::Plan;
use fieldcloud::ports::Files;
use serde_json::{json, Value};

use crate::files::{exists, uploaded};
use crate::helpers::{spawn, TestCloud};

const FOLDERS: &str = "/v1/groups/plant/folders";

/// The folders directly below `folder`, and the names of its files.
async fn listing(app: &TestCloud, folder: &str) -> (Vec<String>, Vec<String>) {
    let path = format!("/v1/groups/plant/files?folder={}", urlencode(folder));
    let (status, page) = app.call("GET", &path, None).await;
    assert_eq!(status, 200, "{page}");
    let names = |list: &Value, field: Option<&str>| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|v| match field {
                Some(field) => v[field].as_str().unwrap().to_owned(),
                None => v.as_str().unwrap().to_owned(),
            })
            .collect()
    };
    (
        names(&page["folders"], None),
        names(&page["files"], Some("name")),
    )
}

fn urlencode(text: &str) -> String {
    text.replace(' ', "%20")
}

#[tokio::test]
async fn folders_are_made_moved_and_deleted_with_everything_below_them() {
    let app = spawn(Plan::Standard).await;
    let a = uploaded(&app, "a.csv", "plant/line 1", b"a").await;
    uploaded(&app, "b.csv", "plant/line 1/2026", b"bb").await;
    uploaded(&app, "c.csv", "other", b"ccc").await;

    // Made empty: listed with its parents, once.
    let (status, made) = app
        .call("POST", FOLDERS, Some(json!({"path": "empty/sub"})))
        .await;
    assert_eq!(
        (status, &made["path"]),
        (201, &json!("empty/sub")),
        "{made}"
    );
    let (status, again) = app
        .call("POST", FOLDERS, Some(json!({"path": "empty/sub"})))
        .await;
    assert_eq!((status, &again["code"]), (409, &json!("exists")), "{again}");
    let (status, taken) = app
        .call("POST", FOLDERS, Some(json!({"path": "plant"})))
        .await;
    assert_eq!(status, 409, "a folder holding files exists: {taken}");
    assert_eq!(listing(&app, "").await.0, ["empty", "other", "plant"]);
    assert_eq!(listing(&app, "empty").await.0, ["sub"]);

    // Renamed with what is below it: the files keep their IDs and bytes.
    let moving = |from: &str, to: &str| json!({"from": from, "to": to});
    let (status, moved) = app
        .call(
            "POST",
            &format!("{FOLDERS}/move"),
            Some(moving("plant", "site")),
        )
        .await;
    assert_eq!((status, &moved["files"]), (200, &json!(2)), "{moved}");
    assert_eq!(
        listing(&app, "site/line 1").await,
        (vec!["2026".into()], vec!["a.csv".into()])
    );
    assert_eq!(listing(&app, "site/line 1/2026").await.1, ["b.csv"]);
    assert!(!listing(&app, "").await.0.contains(&"plant".to_owned()));
    let (_, file) = app
        .call("GET", &format!("/v1/groups/plant/files/{a}"), None)
        .await;
    assert_eq!(
        (&file["folder"], &file["size"]),
        (&json!("site/line 1"), &json!(1))
    );

    // Into itself, onto a folder that exists, from one that does not: refused by name.
    let (status, body) = app
        .call(
            "POST",
            &format!("{FOLDERS}/move"),
            Some(moving("site", "site/inner")),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("into itself"),
        "{body}"
    );
    let (status, body) = app
        .call(
            "POST",
            &format!("{FOLDERS}/move"),
            Some(moving("empty", "other")),
        )
        .await;
    assert_eq!((status, &body["code"]), (409, &json!("exists")), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("merge"),
        "{body}"
    );
    let (status, body) = app
        .call(
            "POST",
            &format!("{FOLDERS}/move"),
            Some(moving("nowhere", "x")),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let mut merge = moving("empty", "other");
    merge["merge"] = json!(true);
    let (status, merged) = app
        .call("POST", &format!("{FOLDERS}/move"), Some(merge))
        .await;
    assert_eq!((status, &merged["folders"]), (200, &json!(1)), "{merged}");
    assert_eq!(
        listing(&app, "other").await,
        (vec!["sub".into()], vec!["c.csv".into()])
    );

    // Deleted with everything below: the objects, the entries, their bytes.
    let before = app.cloud.store.files_bytes(&app.account).await.unwrap();
    let (status, deleted) = app
        .call(
            "POST",
            &format!("{FOLDERS}/delete"),
            Some(json!({"path": "site"})),
        )
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(
        (&deleted["files"], &deleted["bytes"], &deleted["left"]),
        (&json!(2), &json!(3), &json!(0))
    );
    assert_eq!(
        app.cloud.store.files_bytes(&app.account).await.unwrap(),
        before - 3
    );
    assert!(!exists(&app, &format!("files/acme/plant/{a}")).await);
    assert_eq!(listing(&app, "").await.0, ["other"]);
    let (status, _) = app
        .call(
            "POST",
            &format!("{FOLDERS}/delete"),
            Some(json!({"path": "site"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .call(
            "POST",
            &format!("{FOLDERS}/delete"),
            Some(json!({"path": ""})),
        )
        .await;
    assert_eq!(status, 400, "the top is not deleted: {body}");
}

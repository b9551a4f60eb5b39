//! Exports and imports end to end: asked for over the API, carried out by the `files`
//! function from the files queue, the ZIP fetched from S3 with the signed link, a CSV
//! uploaded to the drive and imported into an instrument — back to the very same values.

use std::io::Read;

use fieldcloud::domain::plan::Plan;
use serde_json::{json, Value};

use crate::files::uploaded;
use crate::helpers::{batch, record, spawn, TestCloud};
use crate::notify::until;

/// Asks for an export or import (`kind` `exports` or `imports`); its ID.
async fn request(app: &TestCloud, kind: &str, body: Value) -> String {
    let (status, job) = app
        .call("POST", &format!("/v1/groups/plant/{kind}"), Some(body))
        .await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["state"], "queued", "{job}");
    job["id"].as_str().unwrap().to_owned()
}

/// Waits until job `id` has ended; the job as the API shows it.
async fn ended(app: &TestCloud, kind: &str, id: &str) -> Value {
    let path = format!("/v1/groups/plant/{kind}/{id}");
    until("the job ended", || async {
        let (_, job) = app.call("GET", &path, None).await;
        job["state"] == "done" || job["state"] == "failed"
    })
    .await;
    let (status, job) = app.call("GET", &path, None).await;
    assert_eq!(status, 200, "{job}");
    job
}

/// The CSV files of a ZIP, by name.
fn unzip(bytes: Vec<u8>) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().expect("a UTF-8 name").into_owned(), text)
        })
        .collect()
}

/// Values no text format keeps by accident: the nearest doubles to decimal fractions,
/// a negative zero, the smallest subnormal, and each special value.
fn awkward_values() -> Vec<Value> {
    vec![
        json!({"CH1": 0.1 + 0.2, "CH2": "+OVER"}),
        json!({"CH1": -0.0, "CH2": 1e-300}),
        json!({"CH1": 5e-324, "CH2": "-OVER"}),
        json!({"CH1": 123_456_789.123_456_78, "CH2": "BURNOUT"}),
        json!({"CH1": std::f64::consts::PI}),
        json!({"CH1": -2.5e17, "CH2": "ERROR"}),
    ]
}

#[tokio::test]
async fn an_export_imports_back_to_the_very_same_values() {
    let app = spawn(Plan::Pro).await;
    let records = awkward_values()
        .into_iter()
        .enumerate()
        .map(|(i, values)| record("LR-1", app.at(i as i64 * 61), values))
        .collect();
    app.publish("gw-a", &batch(records)).await;

    let id = request(
        &app,
        "exports",
        json!({
            "channels": ["gw-a/LR-1/CH1", "gw-a/LR-1/CH2"],
            "from": app.at(-60),
            "to": app.at(3600),
            "timeZone": "Asia/Tokyo"
        }),
    )
    .await;
    let export = ended(&app, "exports", &id).await;
    assert_eq!(export["state"], "done", "{export}");
    assert_eq!(export["rows"], 6, "{export}");
    assert_eq!(export["files"], json!(["gw-a_LR-1.csv"]), "{export}");
    let download = reqwest::get(export["download"]["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    let zip = download.bytes().await.unwrap().to_vec();
    assert_eq!(export["bytes"], json!(zip.len()), "{export}");
    let files = unzip(zip);
    let (name, csv) = &files[0];
    assert_eq!(name, "gw-a_LR-1.csv");
    assert!(
        csv.starts_with("\u{feff}time,gw-a/LR-1/CH1,gw-a/LR-1/CH2\r\n"),
        "{csv}"
    );
    assert!(csv.contains("+09:00,"), "times in the asked zone: {csv}");

    let file = uploaded(&app, "export.csv", "imports", csv.as_bytes()).await;
    let import = json!({"file": file, "app": "gw-a", "instrument": "IMPORTED-1"});
    let id = request(&app, "imports", import.clone()).await;
    let done = ended(&app, "imports", &id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (&done["rows"], &done["stored"]),
        (&json!(6), &json!(6)),
        "{done}"
    );
    for channel in ["CH1", "CH2"] {
        let exported = app.points(&format!("gw-a/LR-1/{channel}")).await;
        let imported = app.points(&format!("gw-a/IMPORTED-1/{channel}")).await;
        assert_eq!(imported, exported, "{channel}");
        assert!(!imported.is_empty());
    }
    let zero = app.points("gw-a/IMPORTED-1/CH1").await[1]
        .1
        .as_f64()
        .unwrap();
    assert!(zero == 0.0 && zero.is_sign_negative(), "-0 stays -0");

    // The same file again: every record is stored already, nothing changes.
    let again = request(&app, "imports", import).await;
    let done = ended(&app, "imports", &again).await;
    assert_eq!(
        (&done["state"], &done["stored"]),
        (&json!("done"), &json!(0)),
        "{done}"
    );
    assert_eq!(app.stored_items("gw-a", "IMPORTED-1").await, 6);
}

#[tokio::test]
async fn an_import_with_a_bad_line_names_it_and_stores_nothing_unless_told_to_skip() {
    let app = spawn(Plan::Pro).await;
    let (t1, t2, t3) = (app.at(0), app.at(60), app.at(120));
    let csv = format!("time,CH1,CH2\n{t1},1.5,2\n{t2},12;5,3\n{t3},,BURNOUT\n");
    let file = uploaded(&app, "bad.csv", "imports", csv.as_bytes()).await;

    let strict = json!({"file": file, "app": "gw-a", "instrument": "IMPORTED-2"});
    let id = request(&app, "imports", strict).await;
    let failed = ended(&app, "imports", &id).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("line 3, column 2 (CH1): ") && reason.ends_with("nothing was imported"),
        "{reason}"
    );
    assert_eq!(app.stored_items("gw-a", "IMPORTED-2").await, 0);

    let lenient =
        json!({"file": file, "app": "gw-a", "instrument": "IMPORTED-2", "skipBadLines": true});
    let id = request(&app, "imports", lenient).await;
    let done = ended(&app, "imports", &id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (&done["rows"], &done["stored"], &done["skipped"]),
        (&json!(2), &json!(2), &json!(1)),
        "{done}"
    );
    assert!(done["skippedLines"][0]
        .as_str()
        .unwrap()
        .starts_with("line 3, column 2 (CH1)"));
    let points = app.points("gw-a/IMPORTED-2/CH2").await;
    assert_eq!(points, vec![(t1, json!(2.0)), (t3, json!("BURNOUT"))]);
}

#[tokio::test]
async fn an_import_whose_channels_cannot_all_be_stored_stores_none_of_them() {
    let app = spawn(Plan::Pro).await;
    let limit = Plan::Pro.limits().channels_per_instrument as usize;
    let t = app.at(0);
    let headings: Vec<String> = (1..=limit + 1).map(|n| format!("CH{n}")).collect();
    let values = vec!["1"; limit + 1].join(",");
    let wide = format!("time,{}\n{t},{values}\n", headings.join(","));
    let twice = format!("time,CH1,gw-b/LR-7/CH1\n{t},1,2\n");
    for (csv, skip, expected) in [
        (
            wide,
            true,
            format!(
                "line 1, column {} (CH{}): the instrument would have more than {limit} channels",
                limit + 2,
                limit + 1
            ),
        ),
        (
            twice,
            false,
            "line 1, column 3: channel `gw-b/LR-7/CH1` is already column 2".to_owned(),
        ),
    ] {
        let file = uploaded(&app, "wide.csv", "imports", csv.as_bytes()).await;
        let import =
            json!({"file": file, "app": "gw-a", "instrument": "IMPORTED-3", "skipBadLines": skip});
        let id = request(&app, "imports", import).await;
        let failed = ended(&app, "imports", &id).await;
        assert_eq!(failed["state"], "failed", "{failed}");
        let reason = failed["reason"].as_str().unwrap();
        assert!(reason.starts_with(&expected), "{reason}");
        assert_eq!(app.stored_items("gw-a", "IMPORTED-3").await, 0);
    }
}

#[tokio::test]
async fn exports_and_imports_asked_for_wrongly_are_refused_by_name() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 1.0}))]),
    )
    .await;
    let exports = "/v1/groups/plant/exports";
    let many: Vec<String> = (1..=33).map(|n| format!("gw-a/LR-1/CH{n}")).collect();
    let asked =
        |channels: Value| json!({"channels": channels, "from": app.at(0), "to": app.at(60)});
    let (status, body) = app.call("POST", exports, Some(asked(json!(many)))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("1 to 32 channels"), "{body}");
    let (status, body) = app
        .call("POST", exports, Some(asked(json!(["gw-a/LR-1/CH9"]))))
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.to_string().contains("gw-a/LR-1/CH9"), "{body}");
    let mut reversed = asked(json!(["gw-a/LR-1/CH1"]));
    reversed["to"] = json!(app.at(-60));
    let (status, body) = app.call("POST", exports, Some(reversed)).await;
    assert_eq!(
        (
            status,
            body.to_string().contains("`from` must be before `to`")
        ),
        (400, true),
        "{body}"
    );

    let file = uploaded(&app, "data.csv", "", b"time,CH1\n1700000000000,1\n").await;
    let import = json!({"file": file, "app": "gw-a", "instrument": "LR-9"});
    let (status, body) = app
        .call("POST", "/v1/groups/plant/imports", Some(import))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("Pro"), "{body}");

    // An export's ID is not an import's.
    let id = request(&app, "exports", asked(json!(["gw-a/LR-1/CH1"]))).await;
    let (status, body) = app
        .call("GET", &format!("/v1/groups/plant/imports/{id}"), None)
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = app
        .call("GET", "/v1/groups/plant/exports/not-an-id", None)
        .await;
    assert_eq!(status, 400);
}

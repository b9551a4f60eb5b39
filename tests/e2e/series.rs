//! The series route: downsampling over real stored data, and its error shape.

use fieldcloud::domain::plan::Plan;
use serde_json::json;

use crate::helpers::{batch, record, spawn, spawn_with};

#[tokio::test]
async fn a_long_series_is_downsampled_and_keeps_its_peak() {
    let app = spawn(Plan::Standard).await;
    let records: Vec<_> = (0..300)
        .map(|i| {
            let value = if i == 137 {
                99.5
            } else if i == 211 {
                -40.0
            } else {
                20.0 + (i % 7) as f64 / 10.0
            };
            record("LR-1", app.at(i), json!({ "CH1": value }))
        })
        .collect();
    for chunk in records.chunks(100) {
        app.publish("gw-a", &batch(chunk.to_vec()))
            .await
            .result
            .expect("ingest succeeds");
    }
    let (status, body) = app
        .get(&format!(
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&from={}&to={}&buckets=10",
            app.at(0),
            app.at(300)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let series = &body["series"][0];
    assert_eq!(series["downsampled"], true);
    let points = series["points"].as_array().unwrap();
    assert!(points.len() <= 40, "{} points", points.len());
    assert!(
        points.contains(&json!([app.at(137), 99.5])),
        "the peak survives"
    );
    assert!(
        points.contains(&json!([app.at(211), -40.0])),
        "the trough survives"
    );
}

#[tokio::test]
async fn bad_series_requests_get_a_stable_error_shape() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 1}))]),
    )
    .await;
    for (path, status, code, fragment) in [
        (
            "/v1/groups/plant/series?from=0&to=1",
            400,
            "bad_request",
            "1 to 32 channels",
        ),
        (
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&from=x&to=1",
            400,
            "bad_request",
            "`from` must be",
        ),
        (
            "/v1/groups/plant/series?channel=gw-a/LR-1/NOPE&from=0&to=1",
            404,
            "not_found",
            "gw-a/LR-1/NOPE",
        ),
        (
            "/v1/groups/Plant!/latest",
            400,
            "bad_request",
            "measurement group ID",
        ),
        ("/v1/nothing", 404, "not_found", "no route"),
    ] {
        let (got, body) = app.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["code"], code, "{path}");
        assert!(
            body["message"].as_str().unwrap().contains(fragment),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_series_that_would_read_more_than_a_request_may_is_refused_with_what_to_narrow() {
    let limits = api::ReadLimits {
        per_instrument: 8,
        per_request: 10,
        per_request_values: 1_000,
    };
    let app = spawn_with(Plan::Standard, limits).await;
    for (thing, serial) in [("gw-a", "LR-1"), ("gw-b", "LR-2")] {
        let records: Vec<_> = (0..6)
            .map(|i| record(serial, app.at(i), json!({ "CH1": i })))
            .collect();
        app.publish(thing, &batch(records)).await.result.unwrap();
    }
    let path = |channels: &str, to: i64| {
        format!(
            "/v1/groups/plant/series?{channels}&from={}&to={}",
            app.at(0),
            app.at(to)
        )
    };
    // 6 + 6 records: over the request's 10.
    let both = "channel=gw-a/LR-1/CH1&channel=gw-b/LR-2/CH1";
    let (status, body) = app.get(&path(both, 6)).await;
    assert_eq!(
        (status, body["code"].clone()),
        (422, json!("too_much_data")),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("more than 10 records") && message.contains("shorter range"),
        "{message}"
    );
    // Narrowed either way, it is answered: 5 + 5, or one instrument's 6.
    let (status, body) = app.get(&path(both, 5)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series"][1]["points"].as_array().unwrap().len(), 5);
    let (status, body) = app.get(&path("channel=gw-a/LR-1/CH1", 6)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["truncated_at"], json!(null));
}

#[tokio::test]
async fn a_series_of_wide_records_is_bounded_by_the_values_it_would_read() {
    let limits = api::ReadLimits {
        per_instrument: 100,
        per_request: 100,
        per_request_values: 50,
    };
    let app = spawn_with(Plan::Standard, limits).await;
    // Ten channels a record: five records are the request's fifty values.
    let wide: serde_json::Map<String, serde_json::Value> =
        (1..=10).map(|i| (format!("CH{i}"), json!(i))).collect();
    let records: Vec<_> = (0..6)
        .map(|i| record("LR-1", app.at(i), json!(wide)))
        .collect();
    app.publish("gw-a", &batch(records)).await.result.unwrap();
    let path = |to: i64| {
        format!(
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&from={}&to={}",
            app.at(0),
            app.at(to)
        )
    };
    let (status, body) = app.get(&path(6)).await;
    assert_eq!(
        (status, body["code"].clone()),
        (422, json!("too_much_data")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("50 values"),
        "{body}"
    );
    let (status, body) = app.get(&path(5)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series"][0]["points"].as_array().unwrap().len(), 5);
}

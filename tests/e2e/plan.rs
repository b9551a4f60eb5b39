//! The plan routes: what the plan is, until when and what it stores; an admin's change
//! between Standard and Pro converting the license's days, once a calendar month, one
//! of two racing changes passing, audited.

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use serde_json::json;

use crate::helpers::{spawn, TestCloud};

/// Gives `acme` a license ending `days` days from now, as the operator would.
async fn license(app: &TestCloud, days: i64) -> i64 {
    let expires = devcloud::wall_clock().0 + days * Millis::DAY;
    app.set_on_account("licenseExpires", AttributeValue::N(expires.to_string()))
        .await;
    expires
}

#[tokio::test]
async fn a_license_converts_between_standard_and_pro_once_a_month() {
    let app = spawn(Plan::Standard).await;
    let expires = license(&app, 100).await;
    let (status, plan) = app.get("/v1/account/plan").await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["plan"], "standard");
    assert_eq!(plan["license_expires"], expires);
    assert_eq!(plan["next_change_allowed"], json!(null));
    assert_eq!(
        plan["storage"]["capacity"],
        Plan::Standard.limits().storage_bytes
    );

    for (body, field) in [
        (json!({"plan": "gold"}), "`plan`: `gold` is no plan"),
        (json!({"plan": "free"}), "not from standard to free"),
        (json!({"plan": "standard"}), "the plan is standard already"),
        (json!({"plan": "pro", "days": 3}), "days"),
    ] {
        let (status, refused) = app.call("POST", "/v1/account/plan", Some(body)).await;
        assert_eq!(status, 400, "{refused}");
        assert!(
            refused["message"].as_str().unwrap().contains(field),
            "{refused}"
        );
    }

    // Two changes at once: one passes, the other finds the plan changed.
    let body = json!({"plan": "pro"});
    let ((first, one), (second, other)) = tokio::join!(
        app.call("POST", "/v1/account/plan", Some(body.clone())),
        app.call("POST", "/v1/account/plan", Some(body)),
    );
    let mut statuses = [first, second];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{one} {other}");
    let changed = if first == 200 { one } else { other };
    assert_eq!(
        (&changed["from"], &changed["to"]),
        (&json!("standard"), &json!("pro"))
    );
    let days_left = changed["days_left"].as_u64().unwrap();
    assert!((99..=101).contains(&days_left), "{changed}");
    assert_eq!(
        changed["days_converted"].as_u64().unwrap(),
        (days_left + 2) / 5,
        "Standard days are Pro days × 5, rounded"
    );

    let (status, refused) = app
        .call(
            "POST",
            "/v1/account/plan",
            Some(json!({"plan": "standard"})),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "too_soon");
    let (_, plan) = app.get("/v1/account/plan").await;
    assert_eq!(plan["plan"], "pro");
    assert_eq!(plan["license_expires"], changed["license_expires"]);
    let next = plan["next_change_allowed"].as_str().unwrap();
    assert!(next.ends_with("-01"), "the first of a month: {next}");
    assert!(
        refused["message"].as_str().unwrap().contains(next),
        "{refused}"
    );
    assert_eq!(
        plan["storage"]["capacity"],
        Plan::Pro.limits().storage_bytes
    );

    let (_, log) = app.get("/v1/audit").await;
    let changes = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "POST /v1/account/plan")
        .count();
    assert!(changes >= 1, "{log}");
}

#[tokio::test]
async fn without_a_paid_license_there_is_nothing_to_convert() {
    let app = spawn(Plan::Free).await;
    let (status, refused) = app
        .call("POST", "/v1/account/plan", Some(json!({"plan": "pro"})))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("from free to pro"),
        "{refused}"
    );
    let (status, plan) = app.get("/v1/account/plan").await;
    assert_eq!(status, 200);
    assert_eq!(plan["plan"], "free");
}

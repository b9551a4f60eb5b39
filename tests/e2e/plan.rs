//! The plan routes: what the plan is, until when and what it stores; an admin's change
//! between Standard and Pro converting the license's days, once a calendar month, one
//! of two racing changes passing, audited; a quote asked for, recorded and mailed.

use aws_sdk_dynamodb::types::AttributeValue;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use serde_json::json;

use fieldcloud::usecases::quote;

use crate::helpers::{mail_dump, mail_subjects, spawn, TestCloud};

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
    // The other loses the race (409) or, come after, finds the plan Pro already (400).
    let (changed, lost, lost_status) = match (first, second) {
        (200, status) => (one, other, status),
        (status, 200) => (other, one, status),
        _ => panic!("one change passes: {one} {other}"),
    };
    match lost_status {
        409 => assert_eq!(lost["code"], "changed_meanwhile", "{lost}"),
        400 => assert!(
            lost["message"].as_str().unwrap().contains("already"),
            "{lost}"
        ),
        _ => panic!("{lost}"),
    }
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
    let changes: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "plan_changed")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(changes.len(), 1, "{log}");
    let expected = format!(
        "standard to pro: {days_left} days left became {}, 0 dropped",
        changed["days_converted"]
    );
    assert!(changes[0].starts_with(&expected), "{changes:?}");
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

#[tokio::test]
async fn a_quote_request_is_recorded_and_mailed_to_the_operator() {
    let app = spawn(Plan::Free).await;
    for (body, why) in [
        (json!({"plan": "free", "months": 12}), "`plan`"),
        (json!({"plan": "pro", "months": 0}), "`months`"),
        (json!({"plan": "pro", "months": 6}), "`months`"),
        (
            json!({"plan": "pro", "months": 12, "note": "x".repeat(1_001)}),
            "`note`",
        ),
        (
            json!({"plan": "pro", "months": 12, "note": "a\u{7}b"}),
            "`note`",
        ),
        (
            json!({"plan": "pro", "months": 12, "note": "pay to\u{202E}NYC ni"}),
            "`note`",
        ),
    ] {
        let (status, refused) = app.call("POST", "/v1/account/quote", Some(body)).await;
        assert_eq!(status, 400, "{refused}");
        assert!(
            refused["message"].as_str().unwrap().contains(why),
            "{refused}"
        );
    }
    assert!(
        mail_subjects(&app).await.is_empty(),
        "nothing mailed for a refusal"
    );

    let body = json!({"plan": "pro", "months": 12, "note": "Two sites from April.\r\nInvoice in CNY.\t(VAT)"});
    let (status, asked) = app.call("POST", "/v1/account/quote", Some(body)).await;
    assert_eq!(status, 202, "{asked}");
    assert_eq!(
        (&asked["plan"], &asked["months"]),
        (&json!("pro"), &json!(12))
    );
    let subjects = mail_subjects(&app).await;
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(subjects[0].contains("pro for 12 months"), "{subjects:?}");
    let dump = mail_dump(&app).await;
    assert!(
        dump.contains(devcloud::OPERATOR_EMAIL),
        "mailed to the operator"
    );
    assert!(
        dump.contains("> Two sites from April.\\n> Invoice in CNY."),
        "with the note, quoted line by line"
    );

    let (_, log) = app.get("/v1/audit").await;
    let recorded: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "quote_requested")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(recorded.len(), 1, "{log}");
    assert!(
        recorded[0].starts_with("pro for 12 months: Two sites"),
        "{recorded:?}"
    );

    // A few more, then the operator's mailbox is spared.
    for _ in 1..quote::QUOTES_PER_WINDOW {
        let body = json!({"plan": "standard", "months": 1});
        let (status, _) = app.call("POST", "/v1/account/quote", Some(body)).await;
        assert_eq!(status, 202);
    }
    let body = json!({"plan": "standard", "months": 1});
    let (status, refused) = app.call("POST", "/v1/account/quote", Some(body)).await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(
        mail_subjects(&app).await.len(),
        quote::QUOTES_PER_WINDOW as usize
    );
}

//! Short-lived items expire: every session, login counter, mailed code and link carries
//! the `ttl` attribute the registry table's Time to Live reads, so none piles up forever.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use devcloud::seed;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::ports::Accounts;
use serde_json::json;

use crate::helpers::spawn;

const PASSWORD: &str = "Correct-Horse-9";

/// Kinds of registry items (their key's prefix) that live until deleted on purpose. A
/// user's session generation (`SESSIONS`) even outlives the user, so that a user created
/// again under the same ID inherits no session.
const LASTING: &[&str] = &[
    "ACCOUNT", "ACCOUNTS", "LICENSES", "ALIAS", "APP", "EMAIL", "APITOKEN", "SESSIONS",
];
/// Kinds that are short-lived by nature and must carry a `ttl`.
const SHORT_LIVED: &[&str] = &["SESSION", "THROTTLE", "CODE", "RESET", "SIGNUP"];

#[tokio::test]
async fn every_short_lived_item_carries_a_ttl_for_dynamodb_to_expire_it() {
    let app = spawn(Plan::Pro).await;
    let acme = AccountId::parse("acme").unwrap();
    let account = app.cloud.store.account(&acme).await.unwrap().unwrap();
    seed::admin(&app.cloud.store, &account, "boss", PASSWORD)
        .await
        .unwrap();
    let login = |password: &str| {
        app.call_anonymous(
            "POST",
            "/v1/login",
            json!({"account": "acme", "user": "boss", "password": password}),
        )
    };
    // A failed login (counters), a login (a session), a mailed code, a reset link and
    // a sign-up link: every kind of short-lived item the API writes.
    let (status, _) = login("Wrong-Horse-1").await;
    assert_eq!(status, 401);
    let (status, session) = login(PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().unwrap();
    let (status, body) = app
        .call_as("POST", "/v1/two-step/email", token, json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    let (status, _) = app
        .call_anonymous(
            "POST",
            "/v1/password-reset",
            json!({"account": "acme", "user": "boss"}),
        )
        .await;
    assert_eq!(status, 202);
    let (status, _) = app
        .call_anonymous(
            "POST",
            "/v1/trial",
            json!({"email": "new@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 202);

    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let items: Vec<_> = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(devcloud::REGISTRY_TABLE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan");
    let now_seconds = devcloud::wall_clock().0 / 1000;
    let mut seen = BTreeSet::new();
    for item in &items {
        let Some(AttributeValue::S(pk)) = item.get("pk") else {
            panic!("an item without a string pk: {item:?}");
        };
        let kind = pk.split('#').next().unwrap_or_default();
        seen.insert(kind.to_owned());
        if LASTING.contains(&kind) {
            continue;
        }
        assert!(
            SHORT_LIVED.contains(&kind),
            "item kind {kind} is new: say whether it is lasting or short-lived ({pk})"
        );
        let ttl = match item.get("ttl") {
            Some(AttributeValue::N(seconds)) => seconds.parse::<i64>().unwrap(),
            other => panic!("{pk} has no numeric ttl: {other:?}"),
        };
        assert!(
            ttl > now_seconds,
            "{pk} expires in the future, not at {ttl}"
        );
        assert!(
            ttl < now_seconds + 2 * 86_400,
            "{pk} expires within two days, not at {ttl}"
        );
    }
    for kind in SHORT_LIVED {
        assert!(
            seen.contains(*kind),
            "the flow wrote no {kind} item: {seen:?}"
        );
    }
}

//! Tokens and tenants: no data route answers without a valid token, and one account's
//! token never reaches another account's data.

use devcloud::seed;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::{Principal, TokenKey};
use serde_json::json;

use crate::helpers::{batch, record, spawn};

#[tokio::test]
async fn another_accounts_token_sees_nothing() {
    let app = spawn(Plan::Pro).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 42.25}))]),
    )
    .await;
    // Account "rival" has a group of the same name and an app of its own.
    let rival = seed::tenant(&app.cloud.registry, "rival", Plan::Pro, "plant", &["gw-r"])
        .await
        .unwrap();
    let rival_token = app
        .cloud
        .token(&rival.account.id, "spy", 60 * Millis::MINUTE);
    let secret = "42.25";

    let (status, body) = app.get_as("/v1/groups/plant/latest", &rival_token).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["apps"].as_array().unwrap().len(),
        1,
        "only the rival's own app: {body}"
    );
    assert_eq!(body["apps"][0]["app"], "gw-r");
    assert!(!body.to_string().contains(secret));

    for path in [
        "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&from=0&to=4102444800000",
        "/v1/groups/plant/series?channel=gw-r/LR-1/CH1&channel=gw-a/LR-1/CH1&from=0&to=4102444800000",
    ] {
        let (status, body) = app.get_as(path, &rival_token).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.to_string().contains(secret));
    }
    // Nor can the rival reach acme's calculated channels, by any route.
    let (status, calc) = app
        .call(
            "POST",
            "/v1/groups/plant/calculated",
            Some(json!({"name": "secret", "expression": "[LR-1/CH1] * 2"})),
        )
        .await;
    assert_eq!(status, 201, "{calc}");
    let id = calc["id"].as_str().unwrap();
    let path = format!("/v1/groups/plant/calculated/{id}");
    for (method, path) in [
        ("GET", path.clone()),
        ("PUT", path.clone()),
        ("DELETE", path.clone()),
        ("POST", format!("{path}/copy")),
        (
            "GET",
            format!("/v1/groups/plant/series?channel=calc:{id}&from=0&to=4102444800000"),
        ),
    ] {
        let request = reqwest::Client::new()
            .request(
                method.parse().unwrap(),
                format!("{}{path}", app.cloud.api_url),
            )
            .bearer_auth(&rival_token)
            .json(&json!({"name": "mine now"}));
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "{method} {path}");
        assert!(!response.text().await.unwrap().contains("secret"));
    }
    let (_, list) = app
        .get_as("/v1/groups/plant/calculated", &rival_token)
        .await;
    assert_eq!(list, json!({"calculated": []}));
    let (status, still) = app.call("GET", &path, None).await;
    assert_eq!(
        (status, still["name"].clone()),
        (200, json!("secret")),
        "untouched"
    );

    // A group that exists only in the other account is not found, as if it did not exist.
    let (status, _) = app.get_as("/v1/groups/plant/latest", &app.token).await;
    assert_eq!(status, 200);
    seed::tenant(&app.cloud.registry, "rival", Plan::Pro, "lab", &[])
        .await
        .unwrap();
    let (status, body) = app.get("/v1/groups/lab/latest").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn data_routes_refuse_missing_expired_and_forged_tokens() {
    let app = spawn(Plan::Standard).await;
    let account = AccountId::parse("acme").unwrap();
    let expired = app.cloud.token(&account, "tester", -1);
    let forged = TokenKey::new(vec![7; 32]).unwrap().sign(&Principal {
        account,
        user: "tester".into(),
        expires: Millis(i64::MAX),
    });
    for (token, message) in [
        ("", "Authorization header must be `Bearer <token>`"),
        ("not-a-token", "token is invalid"),
        (expired.as_str(), "token expired; log in again"),
        (forged.as_str(), "token is invalid"),
    ] {
        for path in [
            "/v1/groups/plant/latest",
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&from=0&to=1",
        ] {
            let (status, body) = app.get_as(path, token).await;
            assert_eq!(status, 401, "{path} with {token:?}: {body}");
            assert_eq!(body, json!({"code": "unauthorized", "message": message}));
        }
    }
    let (status, body) = app.get_anonymous("/v1/groups/plant/latest").await;
    assert_eq!(status, 401);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("missing Authorization header"));
    let (status, body) = app.get_anonymous("/health").await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
}

//! Login, sessions, users, roles, throttling and the audit log, over HTTP.

use devcloud::seed;
use fieldcloud::domain::auth::{MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER};
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::ports::Registry;
use serde_json::{json, Value};

use crate::helpers::{spawn, TestCloud};

const PASSWORD: &str = "Measure4Me";

async fn login(app: &TestCloud, account: &str, user: &str, password: &str) -> (u16, Value) {
    app.call_anonymous(
        "POST",
        "/v1/login",
        json!({ "account": account, "user": user, "password": password }),
    )
    .await
}

async fn admin_of_acme(app: &TestCloud, user: &str) {
    let acme = AccountId::parse("acme").unwrap();
    let account = app.cloud.registry.account(&acme).await.unwrap().unwrap();
    seed::admin(&app.cloud.registry, &account, user, PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_login_gives_a_token_for_the_data_and_logout_ends_it() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let (status, session) = login(&app, "acme", "boss", PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["role"], "admin");
    assert_eq!(session["idle_timeout_seconds"], 86_400);
    let token = session["token"].as_str().unwrap();
    let (status, _) = app.get_as("/v1/groups/plant/latest", token).await;
    assert_eq!(status, 200);

    let (status, _) = app.call_as("POST", "/v1/logout", token, json!({})).await;
    assert_eq!(status, 200);
    let (status, body) = app.get_as("/v1/groups/plant/latest", token).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("session ended; log in again"))
    );
}

#[tokio::test]
async fn a_wrong_password_user_or_account_gets_one_and_the_same_answer() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let refusals = [
        login(&app, "acme", "boss", "Wrong4Password").await,
        login(&app, "acme", "nobody", PASSWORD).await,
        login(&app, "no-such-account", "boss", PASSWORD).await,
        login(&app, "Not An Id", "boss", PASSWORD).await,
    ];
    for (status, body) in &refusals {
        assert_eq!(*status, 401);
        assert_eq!(
            *body,
            json!({"code": "unauthorized", "message": "account ID, user ID or password is wrong"})
        );
    }
}

#[tokio::test]
async fn failed_logins_are_throttled_per_user_and_per_address() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    admin_of_acme(&app, "deputy").await;
    for _ in 0..MAX_FAILURES_PER_USER {
        assert_eq!(login(&app, "acme", "boss", "Wrong4Password").await.0, 401);
    }
    // Even the right password is refused until the window ends.
    let (status, body) = login(&app, "acme", "boss", PASSWORD).await;
    assert_eq!(
        (status, body["code"].clone()),
        (429, json!("too_many_attempts"))
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("too many failed logins; try again after 20"));
    // Another user is not locked out by boss's failures…
    assert_eq!(login(&app, "acme", "deputy", PASSWORD).await.0, 200);
    // …until this address has failed too often, whichever user IDs it tried.
    for n in MAX_FAILURES_PER_USER..MAX_FAILURES_PER_ADDRESS {
        assert_eq!(
            login(&app, "acme", &format!("guess-{n}"), PASSWORD).await.0,
            401
        );
    }
    assert_eq!(login(&app, "acme", "deputy", PASSWORD).await.0, 429);
}

#[tokio::test]
async fn users_are_created_within_the_plan_with_a_policy_checked_password_and_roles_apply() {
    let app = spawn(Plan::Free).await; // Free: 3 users
    admin_of_acme(&app, "boss").await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": "viewer", "password": "short"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "the password needs at least 8 characters, a digit, an upper-case letter"
    );
    for user in ["viewer", "second"] {
        let (status, body) = app
            .call(
                "POST",
                "/v1/users",
                Some(json!({"user": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(
            (status, body),
            (201, json!({"user": user, "role": "member"}))
        );
    }
    let (status, body) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": "fourth", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["message"],
        "plan free allows 3 users; the account has 3"
    );

    // A member reads data but changes nothing an admin owns.
    let (_, member) = login(&app, "acme", "viewer", PASSWORD).await;
    let token = member["token"].as_str().unwrap();
    assert_eq!(app.get_as("/v1/groups/plant/latest", token).await.0, 200);
    for (method, path) in [
        ("POST", "/v1/groups"),
        ("GET", "/v1/users"),
        ("GET", "/v1/audit"),
        ("DELETE", "/v1/users/boss"),
    ] {
        let (status, body) = app.call_as(method, path, token, json!({"id": "g2"})).await;
        assert_eq!(
            (status, body["code"].clone()),
            (403, json!("forbidden")),
            "{method} {path}"
        );
    }
    // An admin can remove a user, but not themselves.
    let (status, _) = app.call("DELETE", "/v1/users/viewer", None).await;
    assert_eq!(status, 200);
    let (_, boss) = login(&app, "acme", "boss", PASSWORD).await;
    let (status, body) = app
        .call_as(
            "DELETE",
            "/v1/users/boss",
            boss["token"].as_str().unwrap(),
            json!({}),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!("self")));
}

#[tokio::test]
async fn logins_failures_and_admin_changes_are_in_the_audit_log() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    login(&app, "acme", "boss", "Wrong4Password").await;
    let (_, session) = login(&app, "acme", "boss", PASSWORD).await;
    let token = session["token"].as_str().unwrap();
    app.call_as("POST", "/v1/groups", token, json!({"id": "lab"}))
        .await;
    app.call_as("POST", "/v1/logout", token, json!({})).await;

    let (status, log) = app.call("GET", "/v1/audit", None).await;
    assert_eq!(status, 200);
    let actions: Vec<(&str, &str)> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["user"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("logout", "boss"),
            ("POST /v1/groups", "boss"),
            ("login", "boss"),
            ("login_failed", "boss"),
        ],
        "newest first"
    );
    assert!(log["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["address"] == "127.0.0.1"));
}

//! Tokens and tenants: no data route answers without a valid token, and one account's
//! token never reaches another account's data.

use devcloud::seed;
use fieldcloud::domain::auth::Role;
use fieldcloud::domain::ids::{AccountId, UserId};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::{Principal, TokenKey};
use serde_json::json;

use crate::files::uploaded;
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
    let rival = seed::tenant(&app.cloud.store, "rival", Plan::Pro, "plant", &["gw-r"])
        .await
        .unwrap();
    let rival_token = app
        .cloud
        .session_token(&rival.account.id, "spy", Role::Admin, 60 * Millis::MINUTE)
        .await
        .expect("a session");
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
    seed::tenant(&app.cloud.store, "rival", Plan::Pro, "lab", &[])
        .await
        .unwrap();
    let (status, body) = app.get("/v1/groups/lab/latest").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn data_routes_refuse_missing_expired_and_forged_tokens() {
    let app = spawn(Plan::Standard).await;
    let account = AccountId::parse("acme").unwrap();
    let expired = app
        .cloud
        .session_token(&account, "tester", Role::Admin, -1)
        .await
        .expect("a session");
    let forged = TokenKey::new(vec![7; 32]).unwrap().sign(&Principal {
        account,
        user: UserId::parse("tester").unwrap(),
        role: Role::Admin,
        session: "guessed".into(),
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

/// A rule on acme's channel, as alarm routes take it.
fn alarm_rule() -> serde_json::Value {
    json!({"conditions": [{"channel": "gw-a/LR-1/CH1", "raise": {"compare": "above", "value": 30}}]})
}

/// The IDs of acme's things a probe names.
struct Named<'a> {
    id: &'a str,
    alarm: &'a str,
    file: &'a str,
    rule: &'a str,
    job: &'a str,
}

/// A path of `ROUTES` with its placeholders filled in.
fn fill(pattern: &str, group: &str, app: &str, named: &Named) -> String {
    let Named {
        id,
        alarm,
        file,
        rule,
        job,
    } = *named;
    pattern
        .replace("{group}", group)
        .replace("{rule}", rule)
        .replace("{file}", file)
        .replace("{job}", job)
        .replace("{app}", app)
        .replace("{id}", id)
        .replace("{alarm}", alarm)
        .replace(
            "{notification}",
            &format!("001700000000000.{alarm}.1.raised"),
        )
        .replace("{user}", "tester")
        .replace("{token}", id)
        .replace("{team}", "secret-team")
        .replace("{serial}", "LR-1")
}

/// An export of acme's channel, over all the time records may have.
fn export_body() -> serde_json::Value {
    json!({"channels": ["gw-a/LR-1/CH1"], "from": 946_684_800_000_i64, "to": 4_102_444_800_000_i64})
}

#[tokio::test]
async fn every_route_but_the_public_ones_refuses_a_request_without_a_token() {
    let app = spawn(Plan::Standard).await;
    for api::Route {
        method,
        pattern,
        access,
        ..
    } in api::ROUTES
    {
        if *access == api::Access::Public {
            continue;
        }
        let unknown = Named {
            id: "abc",
            alarm: "abc",
            file: "0123456789abcdef01234567",
            rule: "abc",
            job: "0123456789abcdef01234567",
        };
        let path = fill(pattern, "plant", "gw-a", &unknown);
        let response = reqwest::Client::new()
            .request(
                method.parse().unwrap(),
                format!("{}{path}", app.cloud.api_url),
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{method} {path}");
    }
}

#[tokio::test]
async fn no_route_lets_another_account_see_or_change_anything() {
    let app = spawn(Plan::Pro).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 31.4159}))]),
    )
    .await;
    let (_, renamed) = app
        .call(
            "PUT",
            "/v1/groups/plant",
            Some(json!({"name": "Secret plant"})),
        )
        .await;
    assert_eq!(renamed["name"], "Secret plant");
    let (_, calc) = app
        .call(
            "POST",
            "/v1/groups/plant/calculated",
            Some(json!({"name": "secret-calc", "expression": "[LR-1/CH1] * 2"})),
        )
        .await;
    let calc_id = calc["id"].as_str().unwrap().to_owned();
    let (status, alarm) = app
        .call(
            "POST",
            "/v1/groups/plant/alarms",
            Some(json!({"name": "secret-alarm", "rule": alarm_rule()})),
        )
        .await;
    assert_eq!(status, 201, "{alarm}");
    let alarm_id = alarm["id"].as_str().unwrap().to_owned();
    let (status, team) = app
        .call(
            "POST",
            "/v1/teams",
            Some(json!({"id": "secret-team", "name": "Secret team"})),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    let file_id = uploaded(&app, "secret-file.csv", "secret-folder", b"secret").await;
    let (status, rule) = app
        .call(
            "POST",
            "/v1/groups/plant/file-alarms",
            Some(json!({"name": "secret-file-alarm", "glob": "secret-*.csv"})),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    let rule_id = rule["id"].as_str().unwrap().to_owned();
    let (status, export) = app
        .call("POST", "/v1/groups/plant/exports", Some(export_body()))
        .await;
    assert_eq!(status, 202, "{export}");
    let job_id = export["id"].as_str().unwrap().to_owned();
    let secrets = [
        "secret-file-alarm",
        "secret-*.csv",
        "secret-file.csv",
        "secret-folder",
        "31.4159",
        "Secret plant",
        "secret-calc",
        "secret-alarm",
        "Gateway gw-a",
        "Secret team",
    ];
    let before = app.latest().await;

    let rival = seed::tenant(&app.cloud.store, "rival", Plan::Pro, "lab", &["gw-r"])
        .await
        .unwrap();
    let rival_token = app
        .cloud
        .session_token(&rival.account.id, "spy", Role::Admin, 60 * Millis::MINUTE)
        .await
        .expect("a session");
    // Every route, with acme's IDs in every place, and with the rival's own group but
    // acme's app, calculated channel and alarm.
    let mut probes = 0;
    // Logout last: it ends the rival's own session, which the other probes need.
    let mut routes: Vec<_> = api::ROUTES.iter().collect();
    routes.sort_by_key(|route| route.pattern == "/v1/logout");
    for api::Route {
        method, pattern, ..
    } in routes
    {
        // A body and query each route accepts, so every probe reaches the tenant check
        // instead of stopping at validation.
        let body = match (*method, *pattern) {
            ("POST", "/v1/groups") => json!({"id": "rivals-group"}),
            ("POST", "/v1/teams") => json!({"id": "rivals-team"}),
            ("PUT", "/v1/users/{user}") => json!({"role": "admin"}),
            ("PUT", p) if p.ends_with("/grants") => json!({"grants": []}),
            ("POST", p) if p.ends_with("/apps") => json!({"thing": "stolen-gw"}),
            ("PUT", p) if p.contains("/instruments/") => json!({"acquire": ["CH1"]}),
            ("PUT", p) if p.contains("/apps/") => json!({"name": "taken over", "enabled": false}),
            ("POST", p) if p.ends_with("/alarms/backtest") => {
                json!({"rule": alarm_rule(), "from": 0, "to": 4_102_444_800_000_i64})
            }
            ("POST", p) if p.ends_with("/files/{file}/parts") => json!({"parts": [1]}),
            ("POST", p) if p.ends_with("/files/{file}/complete") => {
                json!({"parts": [{"number": 1, "etag": "\"0\""}]})
            }
            ("POST", p) if p.ends_with("/exports") => export_body(),
            ("POST", p) if p.ends_with("/imports") => {
                json!({"file": file_id, "app": "gw-a", "instrument": "LR-9"})
            }
            ("POST", p) if p.ends_with("/files") => {
                json!({"name": "taken over.csv", "size": 1, "content_type": "text/csv"})
            }
            ("POST", p) if p.ends_with("/alarms") => {
                json!({"name": "taken over", "rule": alarm_rule()})
            }
            ("PUT", p) if p.contains("/alarms/") => {
                json!({"name": "taken over", "enabled": false, "rule": alarm_rule(), "version": 1})
            }
            (_, p) if p.contains("/calculated") && *method != "DELETE" && !p.ends_with("/copy") => {
                json!({"name": "taken over", "expression": "[LR-1/CH1] * 3"})
            }
            _ => json!({"name": "taken over"}),
        };
        let query = if pattern.ends_with("/series") {
            "?channel=gw-a/LR-1/CH1&from=0&to=4102444800000"
        } else {
            ""
        };
        let named = Named {
            id: &calc_id,
            alarm: &alarm_id,
            file: &file_id,
            rule: &rule_id,
            job: &job_id,
        };
        for path in [
            fill(pattern, "plant", "gw-a", &named),
            fill(pattern, "lab", "gw-a", &named),
        ] {
            let response = reqwest::Client::new()
                .request(
                    method.parse().unwrap(),
                    format!("{}{path}{query}", app.cloud.api_url),
                )
                .bearer_auth(&rival_token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            probes += 1;
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{method} {path} leaked {secret}: {text}"
                );
            }
            // A route naming one of acme's resources finds nothing; the others act on
            // the rival's own account only.
            let names_acme = path.contains("/plant")
                || path.contains("gw-a")
                || path.contains(&calc_id)
                || path.contains(&alarm_id)
                || path.contains(&file_id)
                || path.contains(&rule_id)
                || path.contains(&job_id)
                || path.contains("/users/")
                || path.contains("/teams/")
                || path.contains("/api-tokens/");
            if names_acme {
                assert_eq!(status, 404, "{method} {path}{query}: {text}");
            }
        }
    }
    assert_eq!(probes, 2 * api::ROUTES.len());
    // Acme's user was not deleted, nor was anything done in acme's name.
    let (_, audit) = app.call("GET", "/v1/audit", None).await;
    assert!(!audit.to_string().contains("spy"), "{audit}");
    // acme's data is as it was.
    assert_eq!(app.latest().await["apps"], before["apps"]);
    let (status, still) = app
        .call(
            "GET",
            &format!("/v1/groups/plant/calculated/{calc_id}"),
            None,
        )
        .await;
    assert_eq!((status, still["name"].clone()), (200, json!("secret-calc")));
    let (status, still) = app
        .call("GET", &format!("/v1/groups/plant/alarms/{alarm_id}"), None)
        .await;
    assert_eq!(
        (status, still["name"].clone(), still["version"].clone()),
        (200, json!("secret-alarm"), json!(1))
    );
    let (status, still) = app
        .call(
            "GET",
            &format!("/v1/groups/plant/file-alarms/{rule_id}"),
            None,
        )
        .await;
    assert_eq!(
        (status, still["name"].clone(), still["glob"].clone()),
        (200, json!("secret-file-alarm"), json!("secret-*.csv"))
    );
    let (_, group) = app.call("GET", "/v1/groups/plant", None).await;
    assert_eq!(group["name"], "Secret plant");
    let (status, file) = app
        .call("GET", &format!("/v1/groups/plant/files/{file_id}"), None)
        .await;
    assert_eq!(
        (status, file["name"].clone(), file["folder"].clone()),
        (200, json!("secret-file.csv"), json!("secret-folder"))
    );
}

#[tokio::test]
async fn tokens_are_signed_with_the_key_kept_as_an_ssm_secure_string() {
    let app = spawn(Plan::Standard).await;
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let stored = ssm
        .get_parameter()
        .name(devcloud::TOKEN_KEY_PARAMETER)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(
        stored.r#type,
        Some(aws_sdk_ssm::types::ParameterType::SecureString)
    );
    // Read as the deployed API reads it: the token the local cloud signed verifies.
    let key = fieldcloud::adapters::ssm::secure_parameter(&ssm, devcloud::TOKEN_KEY_PARAMETER)
        .await
        .unwrap();
    let now = devcloud::wall_clock();
    let principal = TokenKey::new(key).unwrap().verify(&app.token, now).unwrap();
    assert_eq!(principal.account.as_str(), "acme");
    let other = TokenKey::new(vec![7; 32]).unwrap();
    assert!(other.verify(&app.token, now).is_err());
}

/// Points of `channel` in `group` as seen with `token`: the status and the values.
async fn series_values(
    app: &crate::helpers::TestCloud,
    token: &str,
    group: &str,
    channel: &str,
) -> (u16, Vec<serde_json::Value>) {
    let path = format!("/v1/groups/{group}/series?channel={channel}&from=0&to=4102444800000");
    let (status, body) = app.get_as(&path, token).await;
    let values = body["series"][0]["points"]
        .as_array()
        .map(|points| points.iter().map(|p| p[1].clone()).collect())
        .unwrap_or_default();
    (status, values)
}

#[tokio::test]
async fn an_app_id_registered_again_elsewhere_starts_with_no_history() {
    let app = spawn(Plan::Pro).await;
    let old = batch(vec![record("LR-1", app.at(0), json!({"CH1": 42.25}))]);
    app.publish("gw-a", &old).await.result.unwrap();
    let (status, calc) = app
        .call(
            "POST",
            "/v1/groups/plant/calculated",
            Some(json!({"name": "double", "expression": "[LR-1/CH1] * 2"})),
        )
        .await;
    assert_eq!(status, 201, "{calc}");
    let calc_id = calc["id"].as_str().unwrap().to_owned();
    crate::calculated::backfilled(&app, &calc_id).await;

    // The same account moves the app ID to another group: deleted, registered in `lab`.
    let (status, _) = app
        .call(
            "POST",
            "/v1/groups",
            Some(json!({"id": "lab", "name": "Lab"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app.call("DELETE", "/v1/groups/plant/apps/gw-a", None).await;
    assert_eq!(status, 200);
    let (status, body) = app
        .call(
            "POST",
            "/v1/groups/lab/apps",
            Some(json!({"thing": "gw-a"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, values) = series_values(&app, &app.token, "lab", "gw-a/LR-1/CH1").await;
    assert_eq!(status, 404, "the new registration has no instrument yet");
    assert!(values.is_empty());

    // Its first record starts its history; the old record is not part of it.
    let new = batch(vec![record("LR-1", app.at(60), json!({"CH1": 7.5}))]);
    let report = app.publish("gw-a", &new).await.result.unwrap();
    assert_eq!(report.stored, 1, "{report:?}");
    let (status, values) = series_values(&app, &app.token, "lab", "gw-a/LR-1/CH1").await;
    assert_eq!((status, values), (200, vec![json!(7.5)]));

    // The old group's calculated channel neither computes from the new registration nor
    // copies onto it, and says why it stopped.
    let (_, detail) = app
        .call(
            "GET",
            &format!("/v1/groups/plant/calculated/{calc_id}"),
            None,
        )
        .await;
    let stopped = detail["stopped"].as_str().unwrap_or_default();
    assert!(stopped.contains("gw-a/LR-1/CH1` is gone"), "{detail}");
    let (status, values) =
        series_values(&app, &app.token, "plant", &format!("calc:{calc_id}")).await;
    assert_eq!(
        (status, values),
        (200, vec![json!(84.5)]),
        "only the old value"
    );
    let (status, body) = app
        .call(
            "POST",
            &format!("/v1/groups/plant/calculated/{calc_id}/copy"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("stopped")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains("is gone"));

    // Back in the first group, registered once more: still no history of its own.
    let (status, _) = app.call("DELETE", "/v1/groups/lab/apps/gw-a", None).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            "POST",
            "/v1/groups/plant/apps",
            Some(json!({"thing": "gw-a"})),
        )
        .await;
    assert_eq!(status, 201);
    let newest = batch(vec![record("LR-1", app.at(120), json!({"CH1": 1.0}))]);
    let report = app.publish("gw-a", &newest).await.result.unwrap();
    assert_eq!((report.stored, report.calculated), (1, 0), "{report:?}");
    let (status, body) = app
        .call(
            "POST",
            &format!("/v1/groups/plant/calculated/{calc_id}/copy"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("stopped")),
        "not copied onto the new registration: {body}"
    );
    let (status, values) = series_values(&app, &app.token, "plant", "gw-a/LR-1/CH1").await;
    assert_eq!((status, values), (200, vec![json!(1.0)]));
}

#[tokio::test]
async fn an_app_id_of_another_account_is_neither_revealed_nor_reachable() {
    let app = spawn(Plan::Pro).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 42.25}))]),
    )
    .await
    .result
    .unwrap();
    let rival = seed::tenant(&app.cloud.store, "rival", Plan::Pro, "plant", &[])
        .await
        .unwrap();
    let rival_token = app
        .cloud
        .session_token(&rival.account.id, "spy", Role::Admin, 60 * Millis::MINUTE)
        .await
        .expect("a session");

    // The rival registers the same app ID: its own, answered like any free name.
    let (status, body) = app
        .call_as(
            "POST",
            "/v1/groups/plant/apps",
            &rival_token,
            json!({"thing": "gw-a"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["mqtt"]["client_id"], "local:rival:gw-a");
    let (status, values) = series_values(&app, &rival_token, "plant", "gw-a/LR-1/CH1").await;
    assert_eq!(status, 404, "no instrument of acme's: {values:?}");

    // What the rival's gw-a sends is the rival's; acme's history stays acme's alone.
    let rivals = batch(vec![record("LR-1", app.at(30), json!({"CH1": -1.0}))]);
    let report = app
        .publish_as(&rival.account.id, "gw-a", &rivals)
        .await
        .result
        .unwrap();
    assert_eq!(report.stored, 1, "{report:?}");
    let (_, values) = series_values(&app, &rival_token, "plant", "gw-a/LR-1/CH1").await;
    assert_eq!(values, vec![json!(-1.0)]);
    let (_, values) = series_values(&app, &app.token, "plant", "gw-a/LR-1/CH1").await;
    assert_eq!(values, vec![json!(42.25)]);
}

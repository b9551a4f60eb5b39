//! The account over HTTP: settings, Pro's alternate login ID, the logo, and Trial sign-up
//! with e-mail login and its 93-day end.

use base64::Engine;
use devcloud::seed;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::Accounts;
use serde_json::{json, Value};

use crate::helpers::{mail_dump, mailed_secrets, spawn, TestCloud};

const PASSWORD: &str = "Measure4Me";

async fn login(app: &TestCloud, body: Value) -> (u16, Value) {
    app.call_anonymous("POST", "/v1/login", body).await
}

#[tokio::test]
async fn settings_are_read_by_members_changed_by_admins_and_checked() {
    let app = spawn(Plan::Standard).await;
    let (status, account) = app.get("/v1/account").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &account["time_zone"],
            &account["language"],
            &account["contract_email"]
        ),
        (&json!("UTC"), &json!("en"), &Value::Null)
    );
    let (status, changed) = app
        .call(
            "PUT",
            "/v1/account",
            Some(json!({
                "name": "Acme Ltd",
                "contract_email": "contracts@acme.example",
                "time_zone": "Asia/Shanghai",
                "language": "zh-CN",
            })),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    // A read shows the storage used beside the settings a change answers with.
    let settings = |mut read: Value| {
        let storage = read.as_object_mut().unwrap().remove("storage");
        assert_eq!(storage.unwrap()["files"], 0, "{read}");
        read
    };
    let read_back = settings(app.get("/v1/account").await.1);
    assert_eq!(read_back, changed);
    assert_eq!(
        (
            &read_back["name"],
            &read_back["contract_email"],
            &read_back["time_zone"],
            &read_back["language"]
        ),
        (
            &json!("Acme Ltd"),
            &json!("contracts@acme.example"),
            &json!("Asia/Shanghai"),
            &json!("zh-CN")
        )
    );

    let refusals = [
        (
            json!({"time_zone": "Mars/Olympus"}),
            "`time_zone`: unknown time zone `Mars/Olympus`; use an IANA name such as Asia/Shanghai",
        ),
        (
            json!({"language": "tlh"}),
            "`language`: unknown language `tlh`; use one of zh-CN, ja, en, es, fr, de, it",
        ),
        (
            json!({"contract_email": "contracts at acme"}),
            "`contract_email`: `contracts at acme` is not an e-mail address",
        ),
        (
            json!({"name": ""}),
            "`name` must be 1 to 100 printable characters, none of them invisible",
        ),
        // A name that would read other than it is in others' screens and mails.
        (
            json!({"name": "Acme\u{2028}Plan now: pro"}),
            "`name` must be 1 to 100 printable characters, none of them invisible",
        ),
        (
            json!({"contract_email": "boss@acme\u{202E}moc.example"}),
            "`contract_email`: `boss@acme\u{202E}moc.example` is not an e-mail address",
        ),
    ];
    for (body, message) in refusals {
        let (status, answer) = app.call("PUT", "/v1/account", Some(body.clone())).await;
        assert_eq!(
            (status, answer["message"].clone()),
            (400, json!(message)),
            "{body}"
        );
    }
    let (status, answer) = app
        .call("PUT", "/v1/account", Some(json!({"plan": "pro"})))
        .await;
    assert_eq!(status, 400, "the plan is not a setting: {answer}");
    assert_eq!(
        settings(app.get("/v1/account").await.1),
        changed,
        "nothing changed"
    );

    // `null` removes the contract e-mail; fields left out stay.
    let (_, cleared) = app
        .call("PUT", "/v1/account", Some(json!({"contract_email": null})))
        .await;
    assert_eq!(
        (&cleared["contract_email"], &cleared["time_zone"]),
        (&Value::Null, &json!("Asia/Shanghai"))
    );
}

#[tokio::test]
async fn a_pro_account_logs_in_with_an_alternate_id_no_other_account_can_take() {
    let app = spawn(Plan::Pro).await;
    let acme = AccountId::parse("acme").unwrap();
    let account = app.cloud.store.account(&acme).await.unwrap().unwrap();
    seed::admin(&app.cloud.store, &account, "boss", PASSWORD)
        .await
        .unwrap();
    let as_boss = |account: &str| json!({"account": account, "user": "boss", "password": PASSWORD});

    let (status, body) = app
        .call(
            "PUT",
            "/v1/account/login-alias",
            Some(json!({"alias": "acme-tokyo"})),
        )
        .await;
    assert_eq!(
        (status, body["login_alias"].clone()),
        (200, json!("acme-tokyo"))
    );
    let (status, session) = login(&app, as_boss("acme-tokyo")).await;
    assert_eq!((status, session["account"].clone()), (200, json!("acme")));
    assert_eq!(
        login(&app, as_boss("acme")).await.0,
        200,
        "the ID still works"
    );

    // Another account can take neither acme's alias nor acme's ID as its alias.
    let rival = seed::tenant(&app.cloud.store, "rival", Plan::Pro, "lab", &[])
        .await
        .unwrap();
    seed::admin(&app.cloud.store, &rival.account, "spy", PASSWORD)
        .await
        .unwrap();
    let (_, spy) = login(
        &app,
        json!({"account": "rival", "user": "spy", "password": PASSWORD}),
    )
    .await;
    let spy = spy["token"].as_str().unwrap();
    for taken in ["acme-tokyo", "acme"] {
        let (status, body) = app
            .call_as(
                "PUT",
                "/v1/account/login-alias",
                spy,
                json!({ "alias": taken }),
            )
            .await;
        assert_eq!(
            (status, body["code"].clone()),
            (409, json!("taken")),
            "{taken}"
        );
    }
    let (status, body) = app
        .call(
            "PUT",
            "/v1/account/login-alias",
            Some(json!({"alias": "Acme Tokyo"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // A new alias frees the old one; removing it leaves only the account ID.
    let (status, _) = app
        .call(
            "PUT",
            "/v1/account/login-alias",
            Some(json!({"alias": "acme-osaka"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(login(&app, as_boss("acme-tokyo")).await.0, 401);
    assert_eq!(login(&app, as_boss("acme-osaka")).await.0, 200);
    let (status, _) = app
        .call_as(
            "PUT",
            "/v1/account/login-alias",
            spy,
            json!({"alias": "acme-tokyo"}),
        )
        .await;
    assert_eq!(status, 200, "the freed alias can be taken");
    let (status, body) = app
        .call(
            "PUT",
            "/v1/account/login-alias",
            Some(json!({"alias": null})),
        )
        .await;
    assert_eq!((status, body["login_alias"].clone()), (200, Value::Null));
    assert_eq!(login(&app, as_boss("acme-osaka")).await.0, 401);

    let standard = spawn(Plan::Standard).await;
    let (status, body) = standard
        .call(
            "PUT",
            "/v1/account/login-alias",
            Some(json!({"alias": "acme-tokyo"})),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            403,
            json!("plan standard has no alternate login account ID; it comes with pro")
        )
    );
}

/// A PNG header and some bytes: enough for the format to be known by its magic number.
fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(size, 7);
    bytes
}

fn encoded(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn a_logo_is_a_png_jpeg_or_webp_of_at_most_64_kb_and_not_on_trial() {
    let app = spawn(Plan::Free).await;
    assert_eq!(app.get("/v1/account/logo").await.0, 404);
    let logo = png(64 * 1024);
    let (status, body) = app
        .call(
            "PUT",
            "/v1/account/logo",
            Some(json!({ "data": encoded(&logo) })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, read) = app.get("/v1/account/logo").await;
    assert_eq!(
        (status, read),
        (
            200,
            json!({"content_type": "image/png", "data": encoded(&logo)})
        )
    );

    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let refusals = [
        (
            encoded(svg),
            "`data`: the logo must be a PNG, JPEG or WebP image",
        ),
        (
            encoded(&png(64 * 1024 + 1)),
            "`data`: the logo is 65537 bytes; at most 65536 are accepted",
        ),
    ];
    for (data, message) in refusals {
        let (status, body) = app
            .call("PUT", "/v1/account/logo", Some(json!({ "data": data })))
            .await;
        assert_eq!((status, body["message"].clone()), (400, json!(message)));
    }
    let (status, body) = app
        .call(
            "PUT",
            "/v1/account/logo",
            Some(json!({"data": "not base64!"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app
        .call(
            "PUT",
            "/v1/account/logo",
            Some(json!({ "data": "A".repeat(200 * 1024) })),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (413, json!("too_large")));
    assert_eq!(
        app.get("/v1/account/logo").await.1["data"],
        json!(encoded(&logo)),
        "the stored logo is untouched"
    );
    let (status, _) = app.call("DELETE", "/v1/account/logo", None).await;
    assert_eq!(status, 200);
    assert_eq!(app.get("/v1/account/logo").await.0, 404);

    let trial = spawn(Plan::Trial).await;
    let (status, body) = trial
        .call(
            "PUT",
            "/v1/account/logo",
            Some(json!({ "data": encoded(&png(100)) })),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            403,
            json!("plan trial has no own logo; it comes with free, standard and pro")
        )
    );
}

#[tokio::test]
async fn a_trial_signs_up_by_mail_logs_in_by_email_and_ends_after_93_days() {
    let app = spawn(Plan::Standard).await;
    let email = "Field.Engineer@example.com";
    let ask = |password: &str| json!({ "email": email, "password": password });
    let (status, body) = app.call_anonymous("POST", "/v1/trial", ask("weak")).await;
    assert_eq!(status, 400, "the policy is checked before any mail: {body}");
    let (status, _) = app.call_anonymous("POST", "/v1/trial", ask(PASSWORD)).await;
    assert_eq!(status, 202);
    let links = mailed_secrets(&app, "trial#token=").await;
    assert_eq!(links.len(), 1);
    let confirm = json!({ "token": links[0] });
    let (status, session) = app
        .call_anonymous("POST", "/v1/trial/confirm", confirm.clone())
        .await;
    assert_eq!(status, 201, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    let (_, account) = app.get_as("/v1/account", &token).await;
    assert_eq!(account["plan"], "trial");
    let created = account["created"].as_i64().unwrap();
    assert_eq!(account["trial_ends"], json!(created + 93 * Millis::DAY));
    assert_eq!(account["contract_email"], "field.engineer@example.com");

    // The link works once; asking again mails a reminder, not a second trial.
    let (status, _) = app
        .call_anonymous("POST", "/v1/trial/confirm", confirm)
        .await;
    assert_eq!(status, 401);
    let (status, _) = app.call_anonymous("POST", "/v1/trial", ask(PASSWORD)).await;
    assert_eq!(status, 202);
    assert!(mail_dump(&app).await.contains("you have a trial already"));
    assert_eq!(mailed_secrets(&app, "trial#token=").await.len(), 1);

    // E-mail login, whatever the case; the account ID is no way in for a Trial.
    let by_email = json!({"email": "field.engineer@EXAMPLE.com", "password": PASSWORD});
    assert_eq!(login(&app, by_email.clone()).await.0, 200);
    let (status, body) = login(&app, json!({"email": email, "password": "Wrong4Sure"})).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("e-mail or password is wrong"))
    );
    let by_id = json!({"account": account["id"], "user": "owner", "password": PASSWORD});
    assert_eq!(login(&app, by_id).await.0, 401);
    let (status, _) = login(
        &app,
        json!({"account": "acme", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 400, "one way of naming the login at a time");

    // The 93rd day's last second still works; then login and sessions stop.
    let now = app.cloud.clock.now().0;
    app.cloud
        .clock
        .advance(created + 93 * Millis::DAY - Millis::SECOND - now);
    let (status, last) = login(&app, by_email.clone()).await;
    assert_eq!(status, 200, "{last}");
    app.cloud.clock.advance(2 * Millis::SECOND);
    let (status, body) = login(&app, by_email).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("the trial ended at"));
    let (status, _) = app
        .get_as("/v1/account", last["token"].as_str().unwrap())
        .await;
    assert_eq!(status, 403);
}

//! Login, sessions, users, roles, throttling and the audit log, over HTTP.

use devcloud::seed;
use fieldcloud::domain::auth::{
    Role, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER_ANYWHERE,
    MAX_FAILURES_PER_USER_AT_ADDRESS, SESSION_IDLE_MILLIS, TEMPORARY_LOGIN_MILLIS,
    THROTTLE_WINDOW_MILLIS,
};
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{Accounts, Users};
use serde_json::{json, Value};

use crate::helpers::{mail_dump, mail_subjects, mailed_secrets, spawn, TestCloud, ADMIN_PASSWORD};

const PASSWORD: &str = "Measure4Me";

async fn login(app: &TestCloud, account: &str, user: &str, password: &str) -> (u16, Value) {
    app.call_anonymous(
        "POST",
        "/v1/login",
        json!({ "account": account, "user": user, "password": password }),
    )
    .await
}

/// A session token of acme's user `user` (password [`PASSWORD`]).
async fn token_of(app: &TestCloud, user: &str) -> String {
    let (status, session) = login(app, "acme", user, PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    session["token"].as_str().unwrap().to_owned()
}

async fn admin_of_acme(app: &TestCloud, user: &str) {
    let acme = AccountId::parse("acme").unwrap();
    let account = app.cloud.store.account(&acme).await.unwrap().unwrap();
    seed::admin(&app.cloud.store, &account, user, PASSWORD)
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
    for _ in 0..MAX_FAILURES_PER_USER_AT_ADDRESS {
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
    for n in MAX_FAILURES_PER_USER_AT_ADDRESS..MAX_FAILURES_PER_ADDRESS {
        assert_eq!(
            login(&app, "acme", &format!("guess-{n}"), PASSWORD).await.0,
            401
        );
    }
    assert_eq!(login(&app, "acme", "deputy", PASSWORD).await.0, 429);
}

/// A login sent from a chosen local address (the local API takes connections from the
/// whole 127/8 loopback, so each is another source address).
async fn login_from(app: &TestCloud, local: &str, user: &str, password: &str) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let body = json!({"account": "acme", "user": user, "password": password});
    let response = client
        .post(format!("{}/v1/login", app.cloud.api_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_flood_from_one_address_does_not_lock_the_user_out_elsewhere() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    // A stranger floods boss's login from 127.0.0.2: a few guesses, then refusals unchecked.
    let mut statuses = Vec::new();
    for n in 0..MAX_FAILURES_PER_ADDRESS + 5 {
        statuses.push(
            login_from(&app, "127.0.0.2", "boss", &format!("Guess{n}x"))
                .await
                .0,
        );
    }
    let mut expected = vec![401; MAX_FAILURES_PER_USER_AT_ADDRESS as usize];
    expected.resize(statuses.len(), 429);
    assert_eq!(statuses, expected);
    // Even the right password is refused there…
    assert_eq!(login_from(&app, "127.0.0.2", "boss", PASSWORD).await.0, 429);
    // …but boss, from his own address, logs in.
    let (status, body) = login_from(&app, "127.0.0.1", "boss", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn failures_from_many_addresses_lock_the_user_out_by_the_slower_backstop() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let per_address = MAX_FAILURES_PER_USER_AT_ADDRESS;
    let addresses = MAX_FAILURES_PER_USER_ANYWHERE.div_ceil(per_address);
    for a in 0..addresses {
        let local = format!("127.0.1.{}", a + 1);
        for n in 0..per_address {
            let (status, _) = login_from(&app, &local, "boss", &format!("Guess{n}x")).await;
            assert_eq!(status, 401, "guess {n} from {local}");
        }
    }
    // Spread over enough addresses, the failures reach the per-user backstop: the user is
    // refused everywhere until the window ends.
    assert_eq!(login_from(&app, "127.0.0.1", "boss", PASSWORD).await.0, 429);
    app.cloud
        .clock
        .advance(THROTTLE_WINDOW_MILLIS + Millis::SECOND);
    assert_eq!(login_from(&app, "127.0.0.1", "boss", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn parallel_wrong_passwords_get_no_more_tries_than_sequential_ones() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    // Each attempt takes its slot before the password is checked: of twelve guesses at
    // once, five are checked (and fail), seven are turned away unchecked.
    let guesses: Vec<_> = (0..12)
        .map(|n| {
            let url = format!("{}/v1/login", app.cloud.api_url);
            let body = json!({"account": "acme", "user": "boss", "password": format!("Guess{n}x")});
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    statuses.sort_unstable();
    let mut expected = vec![401; MAX_FAILURES_PER_USER_AT_ADDRESS as usize];
    expected.resize(12, 429);
    assert_eq!(statuses, expected);
    assert_eq!(login(&app, "acme", "boss", PASSWORD).await.0, 429);
}

#[tokio::test]
async fn users_are_created_within_the_plan_with_a_policy_checked_password_and_roles_apply() {
    let app = spawn(Plan::Free).await; // Free: 3 users
    admin_of_acme(&app, "boss").await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": "viewer", "password": "short", "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "the password needs at least 8 characters, a digit, an upper-case letter"
    );
    // With tester and boss, one more makes the plan's three.
    for user in ["viewer"] {
        let (status, body) = app
            .call(
                "POST",
                "/v1/users",
                Some(json!({"user": user, "password": PASSWORD, "admin_password": ADMIN_PASSWORD})),
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
            Some(json!({"user": "fourth", "password": PASSWORD, "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["message"],
        "plan free allows 3 users; the account has 3"
    );

    // A member granted a group reads its data but changes nothing an admin owns.
    let grant = json!({"grants": [{"user": "viewer", "role": "viewer"}]});
    let (status, body) = app
        .call("PUT", "/v1/groups/plant/grants", Some(grant))
        .await;
    assert_eq!(status, 200, "{body}");
    let token = &token_of(&app, "viewer").await;
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
    let token = &token_of(&app, "boss").await;
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

#[tokio::test]
async fn repeated_failed_logins_fold_into_one_audit_entry_with_a_count() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    for _ in 0..4 {
        assert_eq!(login(&app, "acme", "boss", "Wrong4Password").await.0, 401);
    }
    assert_eq!(
        login_from(&app, "127.0.0.2", "boss", "Wrong4Password")
            .await
            .0,
        401
    );
    let (status, log) = app.get("/v1/audit?kind=login_failed").await;
    assert_eq!(status, 200, "{log}");
    let folded: Vec<(Value, Value)> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["address"].clone(), e["count"].clone()))
        .collect();
    let mut folded = folded;
    folded.sort_by_key(|(address, _)| address.to_string());
    assert_eq!(
        folded,
        vec![
            (json!("127.0.0.1"), json!(4)),
            (json!("127.0.0.2"), json!(1))
        ],
        "one entry per address, with a count"
    );
    // A new window starts a new entry.
    app.cloud
        .clock
        .advance(THROTTLE_WINDOW_MILLIS + Millis::SECOND);
    assert_eq!(login(&app, "acme", "boss", "Wrong4Password").await.0, 401);
    let boss = token_of(&app, "boss").await;
    let (_, log) = app.get_as("/v1/audit?kind=login_failed", &boss).await;
    assert_eq!(log["events"].as_array().unwrap().len(), 3, "{log}");
    assert_eq!(log["events"][0]["count"], 1);
}

#[tokio::test]
async fn the_audit_log_is_paged_and_filtered_by_kind_user_and_time() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let start = app.cloud.clock.now().0;
    for n in 0..7 {
        let (status, _) = app
            .call_as("POST", "/v1/groups", &boss, json!({"id": format!("g{n}")}))
            .await;
        assert_eq!(status, 201);
        app.cloud.clock.advance(Millis::SECOND);
    }
    let middle = app.cloud.clock.now().0;
    app.cloud.clock.advance(Millis::SECOND);
    app.call_as("POST", "/v1/logout", &boss, json!({})).await;
    let boss = token_of(&app, "boss").await;

    // Pages of three, newest first, each going on where the last ended.
    let mut seen = Vec::new();
    let mut cursors = Vec::new();
    let mut path = "/v1/audit?limit=3".to_owned();
    loop {
        let (status, page) = app.get_as(&path, &boss).await;
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 3);
        seen.extend(events.iter().map(|e| e["at"].as_i64().unwrap()));
        match page["next"].as_str() {
            Some(next) => {
                cursors.push(next.to_owned());
                path = format!("/v1/audit?limit=3&cursor={next}");
            }
            None => break,
        }
    }
    // login, 7 groups, logout, login: nothing twice, nothing left out.
    assert_eq!(seen.len(), 10, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {seen:?}"
    );

    let kinds = |query: &str| {
        let path = format!("/v1/audit?{query}");
        let (app, boss) = (&app, &boss);
        async move {
            let (status, page) = app.get_as(&path, boss).await;
            assert_eq!(status, 200, "{path}: {page}");
            actions(&page)
        }
    };
    assert_eq!(kinds("kind=logout").await, vec!["logout"]);
    assert_eq!(kinds("kind=POST%20%2Fv1%2Fgroups&limit=2").await.len(), 2);
    assert_eq!(kinds("user=nobody").await, Vec::<String>::new());
    assert_eq!(kinds("user=boss").await.len(), 10);
    let window = format!("from={start}&to={middle}&kind=POST%20%2Fv1%2Fgroups");
    assert_eq!(kinds(&window).await.len(), 7);
    let after = format!("from={middle}");
    assert_eq!(kinds(&after).await, vec!["login", "logout"]);
    // A cursor of another query goes on within this one's range: below it, nothing is
    // left; above it, the range is read from its top.
    let below = format!("from={middle}&cursor={}", cursors[0]);
    assert_eq!(kinds(&below).await, Vec::<String>::new());
    let above = format!("to={start}&cursor={}", cursors[0]);
    assert_eq!(kinds(&above).await, vec!["login"]);

    for (query, message) in [
        (
            "limit=0",
            "`limit` must be a whole number from 1 to 500, got `0`",
        ),
        (
            "cursor=xyz",
            "`cursor` must be the `next` of a page of this log",
        ),
        (
            "since=1",
            "unknown parameter `since`; use limit, cursor, kind, user, from, to",
        ),
        ("from=2&to=1", "`from` must be before `to`"),
    ] {
        let (status, body) = app.get_as(&format!("/v1/audit?{query}"), &boss).await;
        assert_eq!(
            (status, body["message"].clone()),
            (400, json!(message)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_session_ends_after_24_hours_without_a_request_and_activity_keeps_it_alive() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let token = &token_of(&app, "boss").await;
    let almost_a_day = SESSION_IDLE_MILLIS - Millis::SECOND;
    for _ in 0..2 {
        // Each request within the day moves the idle limit on.
        app.cloud.clock.advance(almost_a_day);
        assert_eq!(app.get_as("/v1/groups/plant/latest", token).await.0, 200);
    }
    app.cloud.clock.advance(SESSION_IDLE_MILLIS);
    let (status, body) = app.get_as("/v1/groups/plant/latest", token).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("session ended; log in again"))
    );
    assert_eq!(
        login(&app, "acme", "boss", PASSWORD).await.0,
        200,
        "a new login works"
    );
}

/// A GET from a chosen local address (127.0.0.2 is loopback too, but another address).
async fn get_from(base: &str, local: &str, path: &str, token: &str) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let response = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_ip_allow_list_admits_only_its_ipv4_and_ipv6_ranges() {
    let app = spawn(Plan::Pro).await;
    admin_of_acme(&app, "boss").await;
    let (v4, v6) = (
        app.cloud.api_url.clone(),
        app.cloud.api_url_v6.clone().expect("IPv6 loopback"),
    );
    let set = |list: Value| {
        app.call(
            "PUT",
            "/v1/account/allow-list",
            Some(json!({ "allow_list": list, "admin_password": ADMIN_PASSWORD })),
        )
    };

    let (status, body) = set(json!(["10.0.0.0/8"])).await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("lockout")),
        "{body}"
    );
    let (status, body) = set(json!(["10.0.0.0/33"])).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "`allow_list`: `10.0.0.0/33`: the prefix length must be 0 to 32"
    );
    let (status, body) = set(json!(["127.0.0.1", "2001:db8::7/32"])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allow_list"], json!(["127.0.0.1/32", "2001:db8::/32"]));

    let path = "/v1/groups/plant/latest";
    assert_eq!(get_from(&v4, "127.0.0.1", path, &app.token).await.0, 200);
    let (status, body) = get_from(&v4, "127.0.0.2", path, &app.token).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            403,
            json!("your address 127.0.0.2 is not on the account's IP allow-list")
        )
    );
    assert_eq!(get_from(&v6, "::1", path, &app.token).await.0, 403);

    // From a refused address the right password gets the answer of a wrong one: it
    // learns nothing, not even of the allow-list. The reason is in the audit log.
    let wrong = login_from(&app, "127.0.0.2", "boss", "Wrong4Password").await;
    assert_eq!(wrong.0, 401);
    assert_eq!(login_from(&app, "127.0.0.2", "boss", PASSWORD).await, wrong);

    let (status, _) = set(json!(["127.0.0.0/30", "::1"])).await;
    assert_eq!(status, 200);
    assert_eq!(get_from(&v4, "127.0.0.2", path, &app.token).await.0, 200);
    assert_eq!(get_from(&v6, "::1", path, &app.token).await.0, 200);
    let (_, log) = app.call("GET", "/v1/audit", None).await;
    assert!(log["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "login_refused" && e["address"] == "127.0.0.2"));
}

#[tokio::test]
async fn only_pro_has_an_ip_allow_list() {
    let app = spawn(Plan::Standard).await;
    let (status, body) = app
        .call(
            "PUT",
            "/v1/account/allow-list",
            Some(json!({"allow_list": ["127.0.0.1"], "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            403,
            json!("plan standard has no IP allow-list; it comes with pro")
        )
    );
    let (_, account) = app.call("GET", "/v1/account", None).await;
    assert_eq!(account["allow_list"], json!([]));
}

#[tokio::test]
async fn a_web_api_token_is_shown_once_works_until_revoked_and_is_audited() {
    let app = spawn(Plan::Pro).await;
    // Issued by a real user: a token acts as its user, and not once the user is gone.
    admin_of_acme(&app, "boss").await;
    let (_, boss) = login(&app, "acme", "boss", PASSWORD).await;
    let (status, issued) = app
        .call_as(
            "POST",
            "/v1/api-tokens",
            boss["token"].as_str().unwrap(),
            json!({"name": "nightly export", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let secret = issued["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("fcapi_") && secret.len() == 38);
    assert_eq!(app.get_as("/v1/groups/plant/latest", &secret).await.0, 200);

    let (_, list) = app.call("GET", "/v1/api-tokens", None).await;
    assert_eq!(list["api_tokens"][0]["name"], "nightly export");
    assert!(
        !list.to_string().contains(&secret),
        "the secret is shown once only"
    );
    let (status, body) = app.call_as("POST", "/v1/logout", &secret, json!({})).await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("web_api_token"))
    );

    // The allow-list applies to Web API tokens as to everything else.
    app.call(
        "PUT",
        "/v1/account/allow-list",
        Some(json!({"allow_list": ["127.0.0.1"], "admin_password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(
        get_from(
            &app.cloud.api_url,
            "127.0.0.2",
            "/v1/groups/plant/latest",
            &secret
        )
        .await
        .0,
        403
    );
    app.call(
        "PUT",
        "/v1/account/allow-list",
        Some(json!({"allow_list": [], "admin_password": ADMIN_PASSWORD})),
    )
    .await;

    let id = issued["id"].as_str().unwrap();
    let (status, _) = app
        .call("DELETE", &format!("/v1/api-tokens/{id}"), None)
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.get_as("/v1/groups/plant/latest", &secret).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("token is invalid"))
    );
    let (_, log) = app.call("GET", "/v1/audit", None).await;
    let actions: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"api_token_issued") && actions.contains(&"api_token_revoked"),
        "{actions:?}"
    );

    // A token stops with its user.
    let (_, second) = app
        .call_as(
            "POST",
            "/v1/api-tokens",
            boss["token"].as_str().unwrap(),
            json!({"name": "second", "password": PASSWORD}),
        )
        .await;
    let second = second["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_as("/v1/groups/plant/latest", &second).await.0, 200);
    // (Another admin first: the last one cannot be deleted.)
    admin_of_acme(&app, "deputy").await;
    let (status, _) = app.call("DELETE", "/v1/users/boss", None).await;
    assert_eq!(status, 200);
    assert_eq!(app.get_as("/v1/groups/plant/latest", &second).await.0, 401);
}

#[tokio::test]
async fn issuing_a_web_api_token_asks_for_the_password_again() {
    let app = spawn(Plan::Pro).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let issue = |body: Value| app.call_as("POST", "/v1/api-tokens", &boss, body);
    let (status, body) = issue(json!({"name": "stolen"})).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("missing field `password`"),
        "{body}"
    );
    let (status, body) = issue(json!({"name": "stolen", "password": "Wrong4Sure"})).await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("the password is wrong"))
    );
    let (status, body) = issue(json!({"name": "export", "password": PASSWORD})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires"], Value::Null, "works until revoked");
}

#[tokio::test]
async fn a_web_api_token_issued_with_an_expiry_stops_then_and_an_admin_can_revoke_any() {
    let app = spawn(Plan::Pro).await;
    admin_of_acme(&app, "boss").await;
    let (status, _) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": "ann", "password": PASSWORD, "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status, 201);
    let ann = token_of(&app, "ann").await;
    let issue = |days: Value| {
        app.call_as(
            "POST",
            "/v1/api-tokens",
            &ann,
            json!({"name": "logger", "password": PASSWORD, "expires_in_days": days}),
        )
    };
    let (status, body) = issue(json!(0)).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("`expires_in_days` must be 1 to 3650, got 0"),
        "{body}"
    );
    let (status, daily) = issue(json!(1)).await;
    assert_eq!(status, 201, "{daily}");
    let secret = daily["token"].as_str().unwrap().to_owned();
    let expires = daily["expires"].as_i64().unwrap();
    app.cloud
        .clock
        .advance(expires - Millis::SECOND - app.cloud.clock.now().0);
    assert_eq!(
        app.get_as("/v1/me", &secret).await.0,
        200,
        "a second before"
    );
    app.cloud.clock.advance(2 * Millis::SECOND);
    let (status, body) = app.get_as("/v1/me", &secret).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            401,
            json!("token expired; an admin or its user can issue a new one")
        )
    );

    // The admin sees every token of the account, whoever issued it, and revokes it.
    let boss = token_of(&app, "boss").await;
    let (_, list) = app.get_as("/v1/api-tokens", &boss).await;
    let listed = &list["api_tokens"][0];
    assert_eq!(
        (&listed["user"], &listed["expires"]),
        (&json!("ann"), &json!(expires))
    );
    let id = listed["id"].as_str().unwrap();
    let path = format!("/v1/api-tokens/{id}");
    assert_eq!(app.call_as("DELETE", &path, &boss, json!({})).await.0, 200);
    let (_, list) = app.get_as("/v1/api-tokens", &boss).await;
    assert_eq!(list["api_tokens"], json!([]));
}

#[tokio::test]
async fn a_password_change_or_reset_ends_the_other_sessions_and_can_revoke_the_tokens() {
    let app = spawn(Plan::Pro).await;
    admin_of_acme(&app, "boss").await;
    let (mine, stolen) = (token_of(&app, "boss").await, token_of(&app, "boss").await);
    let (_, issued) = app
        .call_as(
            "POST",
            "/v1/api-tokens",
            &stolen,
            json!({"name": "thief's", "password": PASSWORD}),
        )
        .await;
    let thiefs_token = issued["token"].as_str().unwrap().to_owned();
    let change = json!({"current": PASSWORD, "new": "Better4Now"});
    let (status, body) = app.call_as("PUT", "/v1/me/password", &mine, change).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["api_tokens_revoked"], &body["api_tokens_left"]),
        (&json!(0), &json!(1)),
        "offered, not done"
    );
    assert_eq!(
        app.get_as("/v1/me", &mine).await.0,
        200,
        "the changing one goes on"
    );
    let (status, body) = app.get_as("/v1/me", &stolen).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("session ended; log in again"))
    );
    assert_eq!(app.get_as("/v1/me", &thiefs_token).await.0, 200);

    // A reset ends every session, the one that asked too, and here revokes the tokens.
    app.call_anonymous(
        "POST",
        "/v1/password-reset",
        json!({"account": "acme", "user": "boss"}),
    )
    .await;
    let link = mailed_secrets(&app, "reset-password#token=")
        .await
        .pop()
        .unwrap();
    let (status, body) = app
        .call_anonymous(
            "POST",
            "/v1/password-reset/complete",
            json!({"token": link, "password": "Reset4Now", "revoke_api_tokens": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["api_tokens_revoked"], &body["api_tokens_left"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(app.get_as("/v1/me", &mine).await.0, 401);
    assert_eq!(app.get_as("/v1/me", &thiefs_token).await.0, 401);
    assert_eq!(login(&app, "acme", "boss", "Reset4Now").await.0, 200);
}

#[tokio::test]
async fn a_new_role_or_deletion_ends_the_users_sessions_at_once_and_a_new_user_inherits_none() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await; // so that ann, made an admin, is not the last one
    let create_ann = || {
        app.call(
            "POST",
            "/v1/users",
            Some(json!({"user": "ann", "password": PASSWORD, "admin_password": ADMIN_PASSWORD})),
        )
    };
    assert_eq!(create_ann().await.0, 201);
    let ann = token_of(&app, "ann").await;
    let (status, _) = app
        .call("PUT", "/v1/users/ann", Some(json!({"role": "admin"})))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.get_as("/v1/users", &ann).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("session ended; log in again")),
        "not a minute later: at once"
    );
    // A change of e-mail address alone leaves the sessions be.
    let ann = token_of(&app, "ann").await;
    let (status, _) = app
        .call(
            "PUT",
            "/v1/users/ann",
            Some(json!({"email": "ann@acme.example", "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.get_as("/v1/users", &ann).await.0, 200);

    assert_eq!(app.call("DELETE", "/v1/users/ann", None).await.0, 200);
    assert_eq!(app.get_as("/v1/me", &ann).await.0, 401);
    // Created again with the same ID, before a minute passed: the old session stays ended.
    assert_eq!(create_ann().await.0, 201);
    assert_eq!(app.get_as("/v1/me", &ann).await.0, 401);
    assert_eq!(
        app.get_as("/v1/me", &token_of(&app, "ann").await).await.0,
        200
    );
}

#[tokio::test]
async fn only_pro_has_web_api_tokens() {
    let app = spawn(Plan::Standard).await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/api-tokens",
            Some(json!({"name": "x", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            403,
            json!("plan standard has no Web API; it comes with pro")
        )
    );
    let (status, body) = app
        .get_as(
            "/v1/groups/plant/latest",
            "fcapi_00000000000000000000000000000000",
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("token is invalid"))
    );
}

#[tokio::test]
async fn a_temporary_login_is_view_only_on_every_route_and_ends_after_30_minutes() {
    let app = spawn(Plan::Standard).await;
    // Issued by a real user: a session of a user who does not exist ends within a minute.
    admin_of_acme(&app, "boss").await;
    let boss = &token_of(&app, "boss").await;
    let before = app.cloud.clock.now().0;
    let (status, temporary) = app
        .call_as("POST", "/v1/temporary-logins", boss, json!({}))
        .await;
    assert_eq!(status, 201, "{temporary}");
    let after = app.cloud.clock.now().0;
    let expires = temporary["expires"].as_i64().unwrap();
    assert!(
        (before + TEMPORARY_LOGIN_MILLIS..=after + TEMPORARY_LOGIN_MILLIS).contains(&expires),
        "valid for 30 minutes from its issue"
    );
    assert_eq!(temporary["role"], "viewer");
    let token = temporary["token"].as_str().unwrap().to_owned();
    // It says so of itself: the portal shows it no admin's page.
    let (status, me) = app.get_as("/v1/me", &token).await;
    assert_eq!((status, me["role"].clone()), (200, json!("viewer")), "{me}");

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
        let path = pattern
            .replace("{group}", "plant")
            .replace("{app}", "gw-a")
            .replace("{id}", "abc")
            .replace("{alarm}", "abc")
            .replace("{notification}", "001700000000000.abc.1.raised")
            .replace("{user}", "tester")
            .replace("{token}", "abc")
            .replace("{team}", "ops")
            .replace("{serial}", "LR-1");
        let (status, body) = app
            .call_as(method, &path, &token, json!({"name": "x"}))
            .await;
        let reads_member_data =
            *method == "GET" && matches!(*access, api::Access::Member | api::Access::GroupViewer);
        if reads_member_data {
            assert_ne!(status, 403, "{method} {path}: {body}");
        } else {
            assert_eq!(
                (status, body["message"].clone()),
                (403, json!("a temporary login is view-only")),
                "{method} {path}"
            );
        }
    }

    // Measured from the issue time the API answered, not from now: walking the routes
    // took a while of real time.
    app.cloud
        .clock
        .advance(expires - Millis::SECOND - app.cloud.clock.now().0);
    let (status, body) = app.get_as("/v1/groups/plant/latest", &token).await;
    assert_eq!(status, 200, "at 29:59: {body}");
    app.cloud.clock.advance(2 * Millis::SECOND);
    let (status, body) = app.get_as("/v1/groups/plant/latest", &token).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("token expired; log in again")),
        "at 30:01"
    );
}

/// The code an authenticator app shows for `secret` at `at` (an independent TOTP
/// implementation, the one apps are compatible with).
fn authenticator_code(secret: &str, at: Millis) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        "app".into(),
    )
    .unwrap();
    totp.generate(u64::try_from(at.0 / 1000).unwrap())
}

#[tokio::test]
async fn two_step_login_asks_for_an_authenticator_code_that_works_once() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let (status, enrolled) = app
        .call_as(
            "POST",
            "/v1/two-step/totp",
            &boss,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{enrolled}");
    assert!(enrolled["uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/fieldcloud:acme%2Fboss?secret="));
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    let code = |at| authenticator_code(&secret, at);
    // Until a code confirms it, login does not ask for one.
    assert!(login(&app, "acme", "boss", PASSWORD).await.1["token"].is_string());
    let (status, _) = app
        .call_as(
            "POST",
            "/v1/two-step/totp/confirm",
            &boss,
            json!({"code": code(app.cloud.clock.now().plus(600_000))}),
        )
        .await;
    assert_eq!(status, 400, "a code of another time");
    let (status, _) = app
        .call_as(
            "POST",
            "/v1/two-step/totp/confirm",
            &boss,
            json!({"code": code(app.cloud.clock.now())}),
        )
        .await;
    assert_eq!(status, 200);

    app.cloud.clock.advance(30 * Millis::SECOND);
    let second_step = |challenge: Value, code: String| {
        app.call_anonymous(
            "POST",
            "/v1/login/two-step",
            json!({"challenge": challenge, "code": code}),
        )
    };
    let (status, first) = login(&app, "acme", "boss", PASSWORD).await;
    assert_eq!((status, first["two_step"].clone()), (200, json!("totp")));
    assert!(first.get("token").is_none(), "no session before the code");
    let (status, body) = second_step(
        first["challenge"].clone(),
        code(app.cloud.clock.now().plus(600_000)),
    )
    .await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("the code is wrong or was used already"))
    );
    let now_code = code(app.cloud.clock.now());
    let (status, done) = second_step(first["challenge"].clone(), now_code.clone()).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        app.get_as("/v1/groups/plant/latest", done["token"].as_str().unwrap())
            .await
            .0,
        200
    );

    // The same code again, with a fresh challenge: spent.
    let (_, again) = login(&app, "acme", "boss", PASSWORD).await;
    assert_eq!(
        second_step(again["challenge"].clone(), now_code).await.0,
        401
    );
    // A challenge lasts five minutes.
    let (_, late) = login(&app, "acme", "boss", PASSWORD).await;
    app.cloud.clock.advance(5 * Millis::MINUTE + Millis::SECOND);
    let (status, body) = second_step(late["challenge"].clone(), code(app.cloud.clock.now())).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("the login challenge expired; log in again"))
    );
}

/// Enrolls and confirms `token`'s user's authenticator app: its secret.
async fn confirmed_authenticator(app: &TestCloud, token: &str) -> String {
    let (status, enrolled) = app
        .call_as(
            "POST",
            "/v1/two-step/totp",
            token,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{enrolled}");
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    let code = authenticator_code(&secret, app.cloud.clock.now());
    let (status, body) = app
        .call_as(
            "POST",
            "/v1/two-step/totp/confirm",
            token,
            json!({ "code": code }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The next code is of another time step: the confirming one is spent.
    app.cloud.clock.advance(30 * Millis::SECOND);
    secret
}

/// The actions of an audit log answer, newest first.
fn actions(log: &Value) -> Vec<String> {
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_confirmed_authenticator_cannot_be_replaced_by_enrolling_again() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    confirmed_authenticator(&app, &boss).await;
    // A stolen session alone cannot swap the authenticator for one the thief holds.
    let (status, body) = app
        .call_as(
            "POST",
            "/v1/two-step/totp",
            &boss,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("two_step_on")),
        "{body}"
    );
    let (status, first) = login(&app, "acme", "boss", PASSWORD).await;
    assert_eq!((status, first["two_step"].clone()), (200, json!("totp")));
    let (_, log) = app.get_as("/v1/audit", &app.token).await;
    let actions = actions(&log);
    for change in ["two_step_enrollment_started", "two_step_enabled"] {
        assert!(actions.iter().any(|a| a == change), "{change}: {actions:?}");
    }
}

#[tokio::test]
async fn wrong_codes_to_turn_the_authenticator_off_count_like_wrong_passwords() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let secret = confirmed_authenticator(&app, &boss).await;
    let disable = |code: String| {
        app.call_as(
            "POST",
            "/v1/two-step/totp/disable",
            &boss,
            json!({ "code": code }),
        )
    };
    let right = authenticator_code(&secret, app.cloud.clock.now());
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    for _ in 0..MAX_FAILURES_PER_USER_AT_ADDRESS {
        assert_eq!(disable(wrong.to_owned()).await.0, 400);
    }
    let (status, body) = disable(right).await;
    assert_eq!(
        (status, body["code"].clone()),
        (429, json!("too_many_attempts"))
    );
    assert_eq!(
        login(&app, "acme", "boss", PASSWORD).await.0,
        429,
        "the same throttle"
    );

    app.cloud
        .clock
        .advance(THROTTLE_WINDOW_MILLIS + Millis::SECOND);
    let right = authenticator_code(&secret, app.cloud.clock.now());
    assert_eq!(disable(right).await, (200, json!({"two_step": "none"})));
    let (_, log) = app.get_as("/v1/audit", &token_of(&app, "boss").await).await;
    assert!(
        actions(&log).iter().any(|a| a == "two_step_disabled"),
        "{log}"
    );
}

#[tokio::test]
async fn a_reset_link_is_mailed_works_once_within_30_minutes_and_reveals_no_user() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let ask = |account: &str, user: &str| {
        app.call_anonymous(
            "POST",
            "/v1/password-reset",
            json!({"account": account, "user": user}),
        )
    };
    let answers = [
        ask("acme", "boss").await,
        ask("acme", "nobody").await,
        ask("nope", "boss").await,
    ];
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 202);
    let tokens = mailed_secrets(&app, "reset-password#token=").await;
    assert_eq!(tokens.len(), 1, "one mail, to the user that exists");
    let complete = |token: &str, password: &str| {
        app.call_anonymous(
            "POST",
            "/v1/password-reset/complete",
            json!({"token": token, "password": password}),
        )
    };

    let (status, body) = complete(&tokens[0], "weak").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        complete(&tokens[0], "NewPass2Go").await.0,
        200,
        "a weak try does not spend the link"
    );
    assert_eq!(login(&app, "acme", "boss", PASSWORD).await.0, 401);
    assert_eq!(login(&app, "acme", "boss", "NewPass2Go").await.0, 200);
    let (status, body) = complete(&tokens[0], "Another3One").await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("the reset link is invalid, used or expired"))
    );

    ask("acme", "boss").await;
    // Measured from when the second link was asked for: a request takes a while of real
    // time (a reset answers no sooner than a second after it came).
    let asked = app.cloud.clock.now();
    ask("acme", "boss").await;
    let tokens = mailed_secrets(&app, "reset-password#token=").await;
    let (late, in_time) = (&tokens[1], &tokens[2]);
    app.cloud
        .clock
        .advance(asked.0 + 30 * Millis::MINUTE - Millis::SECOND - app.cloud.clock.now().0);
    assert_eq!(complete(in_time, "InTime4Sure").await.0, 200, "at 29:59");
    app.cloud.clock.advance(2 * Millis::SECOND);
    assert_eq!(complete(late, "TooLate4It").await.0, 401, "at 30:01");
    let (_, boss) = login(&app, "acme", "boss", "InTime4Sure").await;
    let (_, log) = app
        .call_as(
            "GET",
            "/v1/audit",
            boss["token"].as_str().unwrap(),
            json!({}),
        )
        .await;
    assert_eq!(
        log["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "password_reset")
            .count(),
        2
    );
}

/// The registry's items whose partition key starts with `prefix`.
async fn registry_items(
    app: &TestCloud,
    prefix: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(devcloud::REGISTRY_TABLE)
        .filter_expression("begins_with(pk, :prefix)")
        .expression_attribute_values(
            ":prefix",
            aws_sdk_dynamodb::types::AttributeValue::S(prefix.into()),
        )
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}

#[tokio::test]
async fn a_reset_request_does_the_same_work_whether_or_not_the_user_exists() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let asks = [
        json!({"account": "acme", "user": "boss"}),
        json!({"account": "acme", "user": "nobody"}),
        json!({"account": "nope", "user": "boss"}),
        json!({"account": "Not An Id", "user": "boss"}),
        json!({"email": "nobody@example.com"}),
    ];
    for ask in &asks {
        let (status, _) = app
            .call_anonymous("POST", "/v1/password-reset", ask.clone())
            .await;
        assert_eq!(status, 202);
    }
    // Each took a throttle slot and stored a link; only the real one was mailed.
    assert_eq!(
        registry_items(&app, "THROTTLE#reset:").await.len(),
        asks.len()
    );
    assert_eq!(registry_items(&app, "RESET#").await.len(), asks.len());
    assert_eq!(mailed_secrets(&app, "reset-password#token=").await.len(), 1);
}

#[tokio::test]
async fn a_mailed_code_is_in_the_body_and_not_in_the_subject() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let (status, _) = app
        .call_as("POST", "/v1/two-step/email", &boss, json!({}))
        .await;
    assert_eq!(status, 202);
    let code = mailed_codes(&app).await.pop().expect("a code in the body");
    let subjects = mail_subjects(&app).await;
    assert!(!subjects.is_empty(), "moto shows the sent mail's subject");
    for subject in subjects {
        assert!(!subject.contains(&code), "{subject}");
    }
}

#[tokio::test]
async fn an_authenticator_secret_is_stored_sealed() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let secret = confirmed_authenticator(&app, &boss).await;
    let users = registry_items(&app, "ACCOUNT#acme").await;
    let stored = users
        .iter()
        .find(|item| item["sk"].as_s().unwrap() == "USER#boss")
        .and_then(|item| item.get("totpSecret"))
        .and_then(|value| value.as_s().ok())
        .expect("a stored secret")
        .clone();
    assert!(!stored.contains(&secret), "{stored}");
    assert!(stored.starts_with("v1."), "{stored}");
    // …and it still does its job.
    let (_, first) = login(&app, "acme", "boss", PASSWORD).await;
    let code = authenticator_code(&secret, app.cloud.clock.now());
    let (status, body) = app
        .call_anonymous(
            "POST",
            "/v1/login/two-step",
            json!({"challenge": first["challenge"], "code": code}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The codes mailed so far ("Your fieldcloud verification code is 123456."), oldest
/// first.
async fn mailed_codes(app: &TestCloud) -> Vec<String> {
    mail_dump(app)
        .await
        .split("verification code is ")
        .skip(1)
        .map(|rest| rest.chars().take(6).collect())
        .collect()
}

#[tokio::test]
async fn an_admin_whose_login_codes_are_mailed_cannot_move_them_to_another_address() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let set_email = |email: &'static str| {
        app.call_as(
            "PUT",
            "/v1/users/boss",
            &boss,
            json!({ "email": email, "admin_password": PASSWORD }),
        )
    };
    let (status, body) = set_email("boss@acme.example").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .call_as("POST", "/v1/two-step/email", &boss, json!({}))
        .await;
    assert_eq!(status, 202);
    assert!(
        mail_dump(&app)
            .await
            .contains("It is to turn ON two-step verification"),
        "the mail says what its code is for"
    );
    let code = mailed_codes(&app).await.pop().unwrap();
    let (status, body) = app
        .call_as(
            "POST",
            "/v1/two-step/email/confirm",
            &boss,
            json!({ "code": code }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // A session and the password alone would otherwise send the codes elsewhere.
    let (status, body) = set_email("thief@elsewhere.example").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("turn the e-mail step off first"),
        "{body}"
    );
    let (_, me) = app.get_as("/v1/me", &boss).await;
    assert_eq!(me["email"], "boss@acme.example");

    // A code for turning it off says so, unlike a login's.
    let (status, _) = app
        .call_as("POST", "/v1/two-step/email", &boss, json!({}))
        .await;
    assert_eq!(status, 202);
    assert!(mail_dump(&app)
        .await
        .contains("It is to turn OFF two-step verification"));
}

#[tokio::test]
async fn mailed_code_login_works_once_and_turning_it_off_takes_password_and_new_code() {
    let app = spawn(Plan::Standard).await;
    let (status, _) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": "ann", "password": PASSWORD, "email": "ann@acme.example", "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status, 201);
    // A user without an e-mail address cannot turn it on.
    let (_, boss) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": "bob", "password": PASSWORD, "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(boss["user"], "bob");
    let (_, bob) = login(&app, "acme", "bob", PASSWORD).await;
    let (status, body) = app
        .call_as(
            "POST",
            "/v1/two-step/email",
            bob["token"].as_str().unwrap(),
            json!({}),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!("no_email")));

    let ann = token_of(&app, "ann").await;

    // Turning it on proves the address: the mailed code must come back, once.
    let (status, _) = app
        .call_as("POST", "/v1/two-step/email", &ann, json!({}))
        .await;
    assert_eq!(status, 202);
    let code = mailed_codes(&app).await.pop().expect("a code was mailed");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let confirm = |code: &str| {
        app.call_as(
            "POST",
            "/v1/two-step/email/confirm",
            &ann,
            json!({ "code": code }),
        )
    };
    assert_eq!(confirm(wrong).await.0, 400);
    assert_eq!(confirm(&code).await, (200, json!({"two_step": "email"})));
    assert_eq!(confirm(&code).await.0, 400, "spent");
    let (status, body) = app
        .call_as(
            "POST",
            "/v1/two-step/totp",
            &ann,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("two_step_on")),
        "one second step at a time"
    );

    // Login now waits for a mailed code.
    let (status, first) = login(&app, "acme", "ann", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(first["two_step"], "email");
    assert!(first.get("token").is_none(), "{first}");
    let code = mailed_codes(&app).await.pop().unwrap();
    let second = |code: &str| {
        app.call_anonymous(
            "POST",
            "/v1/login/two-step",
            json!({ "challenge": first["challenge"], "code": code }),
        )
    };
    assert_eq!(second(wrong).await.0, 401);
    let (status, done) = second(&code).await;
    assert_eq!(status, 200, "{done}");
    assert!(done["token"].as_str().is_some());
    assert_eq!(second(&code).await.0, 401, "a code works once");
    // A code belongs to its own login: another login's challenge cannot spend it.
    let (_, other) = login(&app, "acme", "ann", PASSWORD).await;
    let (status, _) = app
        .call_anonymous(
            "POST",
            "/v1/login/two-step",
            json!({ "challenge": other["challenge"], "code": code }),
        )
        .await;
    assert_eq!(status, 401);

    // A login takes three codes at most, counted atomically: even the right code comes
    // too late after three wrong ones. (A new throttle window first, so that the
    // failures above do not answer for it.)
    app.cloud
        .clock
        .advance(THROTTLE_WINDOW_MILLIS + Millis::SECOND);
    let (_, third) = login(&app, "acme", "ann", PASSWORD).await;
    let code = mailed_codes(&app).await.pop().unwrap();
    let try_code = |code: &str| {
        app.call_anonymous(
            "POST",
            "/v1/login/two-step",
            json!({ "challenge": third["challenge"], "code": code }),
        )
    };
    for _ in 0..3 {
        assert_eq!(try_code(wrong).await.0, 401);
    }
    let (status, body) = try_code(&code).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            401,
            json!("this login had its tries or ended; log in again")
        )
    );

    // Turning it off needs the password again and a code mailed for it: a session and
    // the password alone are not enough.
    let disable = |password: &str, code: &str| {
        app.call_as(
            "POST",
            "/v1/two-step/email/disable",
            &ann,
            json!({ "password": password, "code": code }),
        )
    };
    let (status, refused) = disable(PASSWORD, "123456").await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("no code is pending"),
        "{refused}"
    );
    let (status, _) = app
        .call_as("POST", "/v1/two-step/email", &ann, json!({}))
        .await;
    assert_eq!(status, 202);
    let code = mailed_codes(&app).await.pop().unwrap();
    assert_eq!(disable("Wrong4Sure", &code).await.0, 400);
    assert_eq!(
        disable(PASSWORD, &code).await,
        (200, json!({"two_step": "none"}))
    );
    let (_, plain) = login(&app, "acme", "ann", PASSWORD).await;
    assert!(plain["token"].as_str().is_some(), "{plain}");
}

#[tokio::test]
async fn an_admin_reads_and_changes_users_and_the_last_admin_stays() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    // Boss and ann are to be the only admins: the test's own admin goes.
    let (status, _) = app
        .call_as("DELETE", "/v1/users/tester", &boss, json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call_as(
            "POST",
            "/v1/users",
            &boss,
            json!({"user": "ann", "password": PASSWORD, "email": "ann@acme.example", "admin_password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, ann_user) = app.get_as("/v1/users/ann", &boss).await;
    assert_eq!(
        (status, ann_user),
        (
            200,
            json!({"user": "ann", "role": "member", "email": "ann@acme.example", "two_step": "none"})
        )
    );
    let ann = token_of(&app, "ann").await;
    assert_eq!(app.get_as("/v1/users", &ann).await.0, 403);

    // Promoted: the next login carries the new role.
    let promote = json!({"role": "admin"});
    let (status, _) = app.call_as("PUT", "/v1/users/ann", &boss, promote).await;
    assert_eq!(status, 200);
    let ann = token_of(&app, "ann").await;
    assert_eq!(app.get_as("/v1/users", &ann).await.0, 200);

    // Bad changes are refused by name; the last admin cannot step down.
    for (body, message) in [
        (
            json!({"role": "owner"}),
            "`role` must be admin or member, got `owner`",
        ),
        (
            json!({"email": "ann at acme"}),
            "`email`: `ann at acme` is not an e-mail address",
        ),
    ] {
        let (status, answer) = app.call_as("PUT", "/v1/users/ann", &ann, body).await;
        assert_eq!((status, answer["message"].clone()), (400, json!(message)));
    }
    let demote = json!({"role": "member"});
    let (status, _) = app
        .call_as("PUT", "/v1/users/boss", &ann, demote.clone())
        .await;
    assert_eq!(status, 200, "ann is an admin too");
    let (status, body) = app.call_as("PUT", "/v1/users/ann", &ann, demote).await;
    assert_eq!((status, body["code"].clone()), (409, json!("last_admin")));
    assert_eq!(app.get_as("/v1/users/nobody", &ann).await.0, 404);

    // Two admins demoting each other at the same moment: one of them stays an admin.
    // (The one demoted first may find their session ended by it: 401 rather than 409.)
    let (status, _) = app
        .call_as("PUT", "/v1/users/boss", &ann, json!({"role": "admin"}))
        .await;
    assert_eq!(status, 200);
    let boss = token_of(&app, "boss").await;
    let demote = json!({"role": "member"});
    let (first, second) = tokio::join!(
        app.call_as("PUT", "/v1/users/boss", &ann, demote.clone()),
        app.call_as("PUT", "/v1/users/ann", &boss, demote.clone()),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert!(
        statuses == [200, 401] || statuses == [200, 409],
        "{first:?} {second:?}"
    );
    let acme = AccountId::parse("acme").unwrap();
    let users = app.cloud.store.users(&acme).await.unwrap();
    let admins: Vec<&str> = users
        .iter()
        .filter(|u| u.role == Role::Admin)
        .map(|u| u.id.as_str())
        .collect();
    assert_eq!(admins.len(), 1, "{admins:?}");
    if admins[0] == "boss" {
        // Ann was demoted: the rest of the test needs her an admin again.
        let promote = json!({"role": "admin"});
        let boss = token_of(&app, "boss").await;
        let (status, _) = app.call_as("PUT", "/v1/users/ann", &boss, promote).await;
        assert_eq!(status, 200);
    }
    let ann = token_of(&app, "ann").await;

    // Her own user and password.
    let (_, me) = app.get_as("/v1/me", &ann).await;
    assert_eq!((&me["user"], &me["role"]), (&json!("ann"), &json!("admin")));
    let change = |current: &str, new: &str| json!({"current": current, "new": new});
    let (status, body) = app
        .call_as(
            "PUT",
            "/v1/me/password",
            &ann,
            change("Wrong4Sure", "Better4Now"),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("the password is wrong"))
    );
    let (status, body) = app
        .call_as("PUT", "/v1/me/password", &ann, change(PASSWORD, "weak"))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app
        .call_as(
            "PUT",
            "/v1/me/password",
            &ann,
            change(PASSWORD, "Better4Now"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(login(&app, "acme", "ann", PASSWORD).await.0, 401);
    assert_eq!(login(&app, "acme", "ann", "Better4Now").await.0, 200);
    let (_, audit) = app.get_as("/v1/audit", &ann).await;
    assert!(audit.to_string().contains("password_changed"), "{audit}");
}

#[tokio::test]
async fn a_stolen_admin_session_alone_can_neither_add_a_user_nor_move_an_e_mail_address() {
    let app = spawn(Plan::Standard).await;
    let new_user = |admin_password: Option<&str>| {
        let mut body = json!({"user": "backup", "password": PASSWORD, "role": "admin"});
        if let Some(password) = admin_password {
            body["admin_password"] = json!(password);
        }
        app.call("POST", "/v1/users", Some(body))
    };
    let (status, body) = new_user(None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("`admin_password` is missing"));
    let (status, body) = new_user(Some("Not-The-Password-1")).await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("the password is wrong"))
    );
    let (status, _) = app.get("/v1/users/backup").await;
    assert_eq!(status, 404, "no user was made");

    // Password resets go to a user's address: moving it asks for the password too.
    let (status, _) = new_user(Some(ADMIN_PASSWORD)).await;
    assert_eq!(status, 201);
    let move_mail = |admin_password: Option<&str>| {
        let mut body = json!({"email": "thief@example.com"});
        if let Some(password) = admin_password {
            body["admin_password"] = json!(password);
        }
        app.call("PUT", "/v1/users/backup", Some(body))
    };
    let (status, body) = move_mail(None).await;
    assert_eq!(status, 400, "{body}");
    let (_, user) = app.get("/v1/users/backup").await;
    assert_eq!(user["email"], json!(null), "unchanged: {user}");
    let (status, user) = move_mail(Some(ADMIN_PASSWORD)).await;
    assert_eq!(
        (status, user["email"].clone()),
        (200, json!("thief@example.com"))
    );
    // A role change alone makes no new way in and asks for nothing more.
    let (status, _) = app
        .call("PUT", "/v1/users/backup", Some(json!({"role": "member"})))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_admin_turns_a_users_second_step_off_with_their_own_password() {
    let app = spawn(Plan::Standard).await;
    let (status, _) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": "ann", "password": PASSWORD, "email": "ann@acme.example", "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status, 201);
    let ann = token_of(&app, "ann").await;
    let (status, _) = app
        .call_as("POST", "/v1/two-step/email", &ann, json!({}))
        .await;
    assert_eq!(status, 202);
    let code = mailed_codes(&app).await.pop().expect("a code was mailed");
    let (status, _) = app
        .call_as(
            "POST",
            "/v1/two-step/email/confirm",
            &ann,
            json!({ "code": code }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, challenge) = login(&app, "acme", "ann", PASSWORD).await;
    assert_eq!(challenge["two_step"], "email", "{challenge}");

    // One's own second step goes off with one's own proof, not an admin's password.
    let (status, body) = app
        .call(
            "PUT",
            "/v1/users/tester",
            Some(json!({"two_step": "none", "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!("own_two_step")));

    let turn_off = |body: Value| app.call("PUT", "/v1/users/ann", Some(body));
    let (status, body) = turn_off(json!({"two_step": "none"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("`admin_password` is missing"));
    let (status, body) =
        turn_off(json!({"two_step": "totp", "admin_password": ADMIN_PASSWORD})).await;
    assert_eq!(status, 400, "only off: {body}");
    let (status, user) =
        turn_off(json!({"two_step": "none", "admin_password": ADMIN_PASSWORD})).await;
    assert_eq!(
        (status, user["two_step"].clone()),
        (200, json!("none")),
        "{user}"
    );
    let (status, session) = login(&app, "acme", "ann", PASSWORD).await;
    assert_eq!(status, 200);
    assert!(
        session["token"].is_string(),
        "no second step now: {session}"
    );
    let (_, audit) = app.get("/v1/audit?kind=two_step_turned_off").await;
    assert!(audit.to_string().contains("of user ann"), "{audit}");
}

#[tokio::test]
async fn enrolling_an_authenticator_asks_for_the_password_again() {
    let app = spawn(Plan::Standard).await;
    admin_of_acme(&app, "boss").await;
    let boss = token_of(&app, "boss").await;
    let enroll = |body: Value| app.call_as("POST", "/v1/two-step/totp", &boss, body);
    let (status, body) = enroll(json!({})).await;
    assert_eq!(status, 400, "a session alone is not enough: {body}");
    let (status, body) = enroll(json!({"password": "Not-The-Password-1"})).await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("the password is wrong"))
    );
    let (_, me) = app.get_as("/v1/me", &boss).await;
    assert_eq!(me["two_step"], "none");
    let (status, enrolled) = enroll(json!({"password": PASSWORD})).await;
    assert_eq!(status, 200, "{enrolled}");
    assert!(enrolled["secret"].is_string());
}

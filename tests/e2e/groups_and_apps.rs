//! Measurement groups and apps over HTTP, and the plan limits on creating them.

use devcloud::seed;
use fieldcloud::domain::auth::Role;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use serde_json::json;

use crate::helpers::{batch, record, spawn};

#[tokio::test]
async fn every_plan_allows_exactly_its_groups_and_apps() {
    let app = spawn(Plan::Standard).await;
    for plan in Plan::ALL {
        let limits = plan.limits();
        let account = format!("limits-{plan}");
        // The seed makes one group ("g0") and no app.
        let tenant = seed::tenant(&app.cloud.store, &account, plan, "g0", &[])
            .await
            .unwrap();
        let token = app
            .cloud
            .session_token(
                &tenant.account.id,
                "admin",
                Role::Admin,
                60 * Millis::MINUTE,
            )
            .await
            .expect("a session");
        let post = |path: &'static str, body| {
            let (http, url, token) = (
                reqwest::Client::new(),
                format!("{}{path}", app.cloud.api_url),
                token.clone(),
            );
            async move {
                let response = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.json::<serde_json::Value>().await.unwrap())
            }
        };
        for n in 1..limits.groups {
            let (status, body) = post("/v1/groups", json!({ "id": format!("g{n}") })).await;
            assert_eq!(
                status,
                201,
                "{plan}: group {} of {}: {body}",
                n + 1,
                limits.groups
            );
        }
        let (status, body) = post("/v1/groups", json!({ "id": "one-over" })).await;
        assert_eq!(status, 409, "{plan}: {body}");
        assert_eq!(
            body["message"],
            format!(
                "plan {plan} allows {0} measurement groups; the account has {0}",
                limits.groups
            )
        );
        for n in 0..limits.apps {
            let (status, body) = post(
                "/v1/groups/g0/apps",
                json!({ "thing": format!("{account}-gw-{n}") }),
            )
            .await;
            assert_eq!(
                status,
                201,
                "{plan}: app {} of {}: {body}",
                n + 1,
                limits.apps
            );
        }
        let (status, body) = post(
            "/v1/groups/g0/apps",
            json!({ "thing": format!("{account}-gw-over") }),
        )
        .await;
        assert_eq!(status, 409, "{plan}: {body}");
        assert_eq!(body["code"], "limit_reached");
        assert_eq!(
            body["message"],
            format!(
                "plan {plan} allows {0} registered apps; the account has {0}",
                limits.apps
            )
        );
    }
}

#[tokio::test]
async fn concurrent_registrations_cannot_both_take_the_last_app_slot() {
    let app = spawn(Plan::Trial).await; // Trial: 2 apps, both taken by the seed
    let (status, _) = app.call("DELETE", "/v1/groups/plant/apps/gw-b", None).await;
    assert_eq!(status, 200);
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (url, token) = (
            format!("{}/v1/groups/plant/apps", app.cloud.api_url),
            app.token.clone(),
        );
        racers.spawn(async move {
            let body = json!({ "thing": format!("racer-{i}") });
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await;
            response.expect("API answers").status().as_u16()
        });
    }
    let statuses = racers.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    let (_, apps) = app.call("GET", "/v1/groups/plant/apps", None).await;
    assert_eq!(apps["apps"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn groups_and_apps_can_be_listed_renamed_disabled_and_deleted() {
    let app = spawn(Plan::Standard).await;
    let (status, created) = app
        .call(
            "POST",
            "/v1/groups",
            Some(json!({"id": "lab", "name": "Lab 2"})),
        )
        .await;
    assert_eq!(
        (status, created),
        (
            201,
            json!({"id": "lab", "name": "Lab 2", "access": "editor"})
        )
    );
    let (status, body) = app
        .call("POST", "/v1/groups", Some(json!({"id": "lab"})))
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!("exists")));
    let (status, body) = app
        .call("POST", "/v1/groups", Some(json!({"id": "Bad Id"})))
        .await;
    assert_eq!(status, 400);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("measurement group ID"));
    let (_, renamed) = app
        .call("PUT", "/v1/groups/lab", Some(json!({"name": "Lab two"})))
        .await;
    assert_eq!(renamed["name"], "Lab two");
    let (_, list) = app.call("GET", "/v1/groups", None).await;
    assert_eq!(list["groups"].as_array().unwrap().len(), 2);

    // An app's kind is one of two, and fixed at registration.
    let (status, body) = app
        .call(
            "POST",
            "/v1/groups/plant/apps",
            Some(json!({"thing": "gw-x", "kind": "satellite"})),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            400,
            json!("`kind` must be gateway or direct_logger, got `satellite`")
        )
    );
    let (status, body) = app
        .call(
            "PUT",
            "/v1/groups/plant/apps/gw-a",
            Some(json!({"kind": "direct_logger"})),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("an app's `thing` name and `kind` cannot change"))
    );
    let (_, apps) = app.call("GET", "/v1/groups/plant/apps", None).await;
    assert!(!apps.to_string().contains("gw-x"), "{apps}");
    assert_eq!(
        app.call("GET", "/v1/groups/plant/apps/gw-a", None).await.1["kind"],
        "gateway"
    );

    // A disabled app's messages are refused; enabling it again lets them in.
    let (status, disabled) = app
        .call(
            "PUT",
            "/v1/groups/plant/apps/gw-a",
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!((status, disabled["enabled"].clone()), (200, json!(false)));
    let refused = app
        .publish(
            "gw-a",
            &batch(vec![record("LR-1", app.at(0), json!({"CH1": 1.0}))]),
        )
        .await;
    assert_eq!(
        refused.result.unwrap().refused.as_deref(),
        Some("app is disabled")
    );
    app.call(
        "PUT",
        "/v1/groups/plant/apps/gw-a",
        Some(json!({"enabled": true})),
    )
    .await;
    let accepted = app
        .publish(
            "gw-a",
            &batch(vec![record("LR-1", app.at(0), json!({"CH1": 1.0}))]),
        )
        .await;
    assert_eq!(accepted.result.unwrap().stored, 1);
    let (_, detail) = app.call("GET", "/v1/groups/plant/apps/gw-a", None).await;
    assert_eq!(
        detail["instruments"],
        json!([{"instrument": "LR-1", "name": "LR-1", "channels": ["CH1"], "last_seen": app.at(0)}])
    );

    // A group with apps cannot go; without them it can.
    let (status, body) = app.call("DELETE", "/v1/groups/plant", None).await;
    assert_eq!((status, body["code"].clone()), (409, json!("not_empty")));
    for thing in ["gw-a", "gw-b"] {
        let (status, _) = app
            .call("DELETE", &format!("/v1/groups/plant/apps/{thing}"), None)
            .await;
        assert_eq!(status, 200);
    }
    let (status, _) = app.call("DELETE", "/v1/groups/plant", None).await;
    assert_eq!(status, 200);
    let (status, _) = app.call("GET", "/v1/groups/plant/latest", None).await;
    assert_eq!(status, 404);
    // A deleted app is an unknown app again.
    let gone = app
        .publish(
            "gw-a",
            &batch(vec![record("LR-1", app.at(9), json!({"CH1": 1.0}))]),
        )
        .await;
    assert_eq!(
        gone.result.unwrap().refused.as_deref(),
        Some("unknown app: not registered")
    );
}

#[tokio::test]
async fn acquisition_chooses_the_stored_channels_within_the_plan_and_instruments_can_be_deleted() {
    let app = spawn(Plan::Trial).await; // Trial: 10 channels per instrument, 1 instrument per app
    let twelve: serde_json::Map<String, serde_json::Value> = (1..=12)
        .map(|i| (format!("CH{i}"), json!(i as f64)))
        .collect();
    app.publish(
        "gw-a",
        &batch(vec![record(
            "LR-1",
            app.at(0),
            serde_json::Value::Object(twelve.clone()),
        )]),
    )
    .await;
    let path = "/v1/groups/plant/apps/gw-a/instruments/LR-1";
    let (_, detail) = app.call("GET", path, None).await;
    let acquired = |detail: &serde_json::Value| -> Vec<String> {
        detail["channels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["acquired"] == true)
            .map(|c| c["channel"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        acquired(&detail).len(),
        10,
        "the first ten, the Trial limit"
    );

    let (status, body) = app
        .call("PUT", path, Some(json!({"acquire": ["CH1", "CH11"]})))
        .await;
    assert_eq!(
        status, 400,
        "CH11 was over the limit, so never acquired nor known"
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("the instrument has not sent channels CH11"));
    let (status, detail) = app
        .call("PUT", path, Some(json!({"acquire": ["CH1", "CH2"]})))
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(acquired(&detail), vec!["CH1", "CH2"]);

    // Name and note are edited on their own and leave the acquisition as it is.
    let (status, named) = app
        .call(
            "PUT",
            path,
            Some(json!({"name": "Furnace logger", "note": "Hall 3, north wall"})),
        )
        .await;
    assert_eq!(status, 200, "{named}");
    assert_eq!(
        (&named["name"], &named["note"]),
        (&json!("Furnace logger"), &json!("Hall 3, north wall"))
    );
    assert_eq!(acquired(&named), vec!["CH1", "CH2"]);
    for bad in [json!({"name": ""}), json!({"note": "x".repeat(1001)})] {
        let (status, body) = app.call("PUT", path, Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(
        app.call("GET", path, None).await.1,
        named,
        "nothing changed"
    );
    let (_, reset) = app
        .call("PUT", path, Some(json!({"name": null, "note": null})))
        .await;
    assert_eq!(
        (&reset["name"], &reset["note"]),
        (&json!("LR-1"), &serde_json::Value::Null)
    );

    // From now on only CH1 and CH2 are stored, and the freed slots take channels not seen
    // before.
    let mut next = twelve.clone();
    next.insert("CH13".into(), json!(13.0));
    app.publish(
        "gw-a",
        &batch(vec![record(
            "LR-1",
            app.at(60),
            serde_json::Value::Object(next),
        )]),
    )
    .await;
    assert_eq!(app.points("gw-a/LR-1/CH1").await.len(), 2);
    assert_eq!(
        app.points("gw-a/LR-1/CH3").await.len(),
        1,
        "CH3's history stays; nothing new"
    );
    let (_, detail) = app.call("GET", path, None).await;
    assert_eq!(
        acquired(&detail),
        vec!["CH1", "CH2", "CH11", "CH12", "CH13"]
    );
    // Choosing all thirteen would pass the limit.
    let all: Vec<String> = (1..=13).map(|i| format!("CH{i}")).collect();
    let (status, body) = app.call("PUT", path, Some(json!({"acquire": all}))).await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("limit_reached")),
        "{body}"
    );
    assert_eq!(
        body["message"],
        "plan trial allows 10 acquired channels per instrument; 13 were chosen"
    );

    // Deleting the instrument frees the app's only Trial slot.
    let (status, _) = app.call("DELETE", path, None).await;
    assert_eq!(status, 200);
    assert_eq!(app.call("GET", path, None).await.0, 404);
    let outcome = app
        .publish(
            "gw-a",
            &batch(vec![record("LR-2", app.at(120), json!({"CH1": 1.0}))]),
        )
        .await;
    assert_eq!(outcome.result.unwrap().stored, 1);
}

#[tokio::test]
async fn an_app_gets_its_thing_and_certificate_in_iot_core_for_as_long_as_it_is_registered() {
    let app = spawn(Plan::Standard).await;
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let iot = aws_sdk_iot::Client::new(&config);
    let (status, registered) = app
        .call(
            "POST",
            "/v1/groups/plant/apps",
            Some(json!({"thing": "gw-new"})),
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    let credentials = &registered["credentials"];
    assert!(credentials["certificate_pem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(credentials["private_key"]
        .as_str()
        .unwrap()
        .contains("PRIVATE KEY"));
    assert_eq!(
        registered["mqtt"],
        json!({
            "endpoint": app.cloud.mqtt.to_string(),
            "client_id": "local:acme:gw-new",
            "topic": "fieldcloud/v1/local:acme:gw-new/records",
        })
    );
    let certificate = credentials["certificate_id"].as_str().unwrap().to_owned();

    // In IoT Core: the thing, its certificate (active) and the apps' policy on it.
    let principals = iot
        .list_thing_principals()
        .thing_name("local:acme:gw-new")
        .send()
        .await
        .unwrap()
        .principals
        .unwrap_or_default();
    assert_eq!(principals.len(), 1);
    assert!(principals[0].ends_with(&format!("cert/{certificate}")));
    let policies = iot
        .list_attached_policies()
        .target(&principals[0])
        .send()
        .await
        .unwrap()
        .policies
        .unwrap_or_default();
    assert_eq!(
        policies
            .iter()
            .filter_map(|p| p.policy_name())
            .collect::<Vec<_>>(),
        vec![devcloud::APP_POLICY]
    );
    let status_of = |id: String| {
        let iot = iot.clone();
        async move {
            iot.describe_certificate()
                .certificate_id(id)
                .send()
                .await
                .map(|c| c.certificate_description.unwrap().status.unwrap())
        }
    };
    assert_eq!(
        status_of(certificate.clone()).await.unwrap(),
        aws_sdk_iot::types::CertificateStatus::Active
    );
    // The private key was shown once: reading the app back shows only the certificate ID.
    let (_, detail) = app.call("GET", "/v1/groups/plant/apps/gw-new", None).await;
    assert_eq!(detail["certificate_id"], json!(certificate));
    assert!(!detail.to_string().contains("PRIVATE KEY"), "{detail}");

    // Disabling stops the certificate; enabling starts it again.
    for (enabled, expected) in [
        (false, aws_sdk_iot::types::CertificateStatus::Inactive),
        (true, aws_sdk_iot::types::CertificateStatus::Active),
    ] {
        let (status, _) = app
            .call(
                "PUT",
                "/v1/groups/plant/apps/gw-new",
                Some(json!({ "enabled": enabled })),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(status_of(certificate.clone()).await.unwrap(), expected);
    }

    // Deleting the app removes the thing and the certificate.
    let (status, _) = app
        .call("DELETE", "/v1/groups/plant/apps/gw-new", None)
        .await;
    assert_eq!(status, 200);
    let thing = iot
        .describe_thing()
        .thing_name("local:acme:gw-new")
        .send()
        .await;
    assert!(thing.is_err(), "the thing is gone");
    assert!(
        status_of(certificate).await.is_err(),
        "the certificate is gone"
    );

    // When IoT Core fails, the registration is taken back: no entry, no slot used.
    iot.delete_policy()
        .policy_name(devcloud::APP_POLICY)
        .send()
        .await
        .unwrap();
    let (status, body) = app
        .call(
            "POST",
            "/v1/groups/plant/apps",
            Some(json!({"thing": "gw-later"})),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (503, json!("unavailable")));
    let (_, apps) = app.call("GET", "/v1/groups/plant/apps", None).await;
    assert!(!apps.to_string().contains("gw-later"), "{apps}");
    assert!(iot
        .describe_thing()
        .thing_name("local:acme:gw-later")
        .send()
        .await
        .is_err());
    iot.create_policy()
        .policy_name(devcloud::APP_POLICY)
        .policy_document(r#"{"Version": "2012-10-17", "Statement": []}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = app
        .call(
            "POST",
            "/v1/groups/plant/apps",
            Some(json!({"thing": "gw-later"})),
        )
        .await;
    assert_eq!(status, 201, "the name and the slot are free again: {body}");
}

#[tokio::test]
async fn a_thing_that_exists_in_iot_core_already_is_a_conflict_and_stays_untouched() {
    let app = spawn(Plan::Standard).await;
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let iot = aws_sdk_iot::Client::new(&config);
    // Someone else's thing under the name the registration would use, with its own
    // certificate attached.
    let name = "local:acme:gw-taken";
    iot.create_thing().thing_name(name).send().await.unwrap();
    let theirs = iot
        .create_keys_and_certificate()
        .set_as_active(true)
        .send()
        .await
        .unwrap();
    let their_arn = theirs.certificate_arn.unwrap();
    iot.attach_thing_principal()
        .thing_name(name)
        .principal(&their_arn)
        .send()
        .await
        .unwrap();

    let (status, body) = app
        .call(
            "POST",
            "/v1/groups/plant/apps",
            Some(json!({"thing": "gw-taken"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("thing_exists")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains(name), "{body}");

    // Nothing of theirs was detached or deleted, and no entry or slot was left behind.
    let principals = iot
        .list_thing_principals()
        .thing_name(name)
        .send()
        .await
        .expect("the thing is still there")
        .principals
        .unwrap_or_default();
    assert_eq!(principals, vec![their_arn]);
    let described = iot
        .describe_certificate()
        .certificate_id(theirs.certificate_id.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.certificate_description.unwrap().status.unwrap(),
        aws_sdk_iot::types::CertificateStatus::Active
    );
    let (_, apps) = app.call("GET", "/v1/groups/plant/apps", None).await;
    assert!(!apps.to_string().contains("gw-taken"), "{apps}");
}

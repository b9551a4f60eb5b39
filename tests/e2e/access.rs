//! Teams and group grants over HTTP: who sees which measurement group, and who may change
//! it.

use devcloud::seed;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::ports::Accounts;
use serde_json::{json, Value};

use crate::helpers::{batch, record, spawn, TestCloud, ADMIN_PASSWORD};

const PASSWORD: &str = "Measure4Me";

/// Creates member `user` and logs them in; their token.
pub(crate) async fn member(app: &TestCloud, user: &str) -> String {
    let (status, body) = app
        .call(
            "POST",
            "/v1/users",
            Some(json!({"user": user, "password": PASSWORD, "admin_password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .call_anonymous(
            "POST",
            "/v1/login",
            json!({"account": "acme", "user": user, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn visible_groups(app: &TestCloud, token: &str) -> Vec<(String, String)> {
    let (status, body) = app.get_as("/v1/groups", token).await;
    assert_eq!(status, 200, "{body}");
    body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_owned(),
                g["access"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(id: &str, access: &str) -> (String, String) {
    (id.to_owned(), access.to_owned())
}

pub(crate) async fn grant(app: &TestCloud, group: &str, grants: Value) -> (u16, Value) {
    app.call(
        "PUT",
        &format!("/v1/groups/{group}/grants"),
        Some(json!({ "grants": grants })),
    )
    .await
}

async fn create_calculated(app: &TestCloud, group: &str, token: &str) -> (u16, Value) {
    app.call_as(
        "POST",
        &format!("/v1/groups/{group}/calculated"),
        token,
        json!({"name": "double", "expression": "[LR-1/CH1] * 2"}),
    )
    .await
}

#[tokio::test]
async fn a_member_sees_and_edits_only_what_is_granted_to_them_or_their_team() {
    let app = spawn(Plan::Standard).await;
    // The calculated channels below need a source in each group.
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 1.5}))]),
    )
    .await;
    let (status, _) = app
        .call("POST", "/v1/groups", Some(json!({"id": "lab"})))
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .call(
            "POST",
            "/v1/groups/lab/apps",
            Some(json!({"thing": "gw-lab"})),
        )
        .await;
    assert_eq!(status, 201);
    app.publish(
        "gw-lab",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 2.5}))]),
    )
    .await;
    let ann = member(&app, "ann").await;
    let bob = member(&app, "bob").await;

    // Nothing granted: no group, and a group's routes answer as if it did not exist.
    assert_eq!(visible_groups(&app, &ann).await, vec![]);
    for path in ["/v1/groups/plant", "/v1/groups/plant/latest"] {
        let (status, body) = app.get_as(path, &ann).await;
        assert_eq!(
            (status, body["message"].clone()),
            (404, json!("measurement group `plant` not found")),
            "{path}"
        );
    }

    // Every route of a group, walked from the router: not granted is not found, and the
    // admin's routes stay the admin's.
    for api::Route {
        method,
        pattern,
        access,
        ..
    } in api::ROUTES
    {
        if !pattern.starts_with("/v1/groups/{group}") {
            continue;
        }
        let path = pattern
            .replace("{group}", "plant")
            .replace("{app}", "gw-a")
            .replace("{serial}", "LR-1")
            .replace("{id}", "abc")
            .replace("{alarm}", "abc")
            .replace("{notification}", "001700000000000.abc.1.raised");
        let (status, body) = app.call_as(method, &path, &ann, json!({})).await;
        let expected = if *access == api::Access::Admin {
            403
        } else {
            404
        };
        assert_eq!(status, expected, "{method} {path}: {body}");
    }

    // A viewer grant to ann: she reads plant, and changes nothing in it.
    let (status, body) = grant(&app, "plant", json!([{"user": "ann", "role": "viewer"}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        visible_groups(&app, &ann).await,
        vec![pair("plant", "viewer")]
    );
    let (status, latest) = app.get_as("/v1/groups/plant/latest", &ann).await;
    assert_eq!(status, 200);
    assert!(latest.to_string().contains("1.5"), "{latest}");
    let (status, body) = create_calculated(&app, "plant", &ann).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            403,
            json!(
                "you are a viewer of measurement group `plant`; changing it needs an editor grant"
            )
        )
    );
    // Grants are the admin's: a member can neither read nor change them.
    assert_eq!(app.get_as("/v1/groups/plant/grants", &ann).await.0, 403);

    // An editor grant to a team bob is in: bob edits lab and sees nothing else.
    let (status, body) = app
        .call(
            "POST",
            "/v1/teams",
            Some(json!({"id": "ops", "name": "Operations", "members": ["bob"]})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            201,
            json!({"id": "ops", "name": "Operations", "members": ["bob"]})
        )
    );
    let (status, _) = grant(&app, "lab", json!([{"team": "ops", "role": "editor"}])).await;
    assert_eq!(status, 200);
    assert_eq!(
        visible_groups(&app, &bob).await,
        vec![pair("lab", "editor")]
    );
    let (status, body) = create_calculated(&app, "lab", &bob).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.get_as("/v1/groups/plant/latest", &bob).await.0, 404);
    // The strongest grant wins: ann as a viewer herself and an editor through the team.
    let (status, _) = app
        .call(
            "PUT",
            "/v1/teams/ops",
            Some(json!({"members": ["ann", "bob"]})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = grant(
        &app,
        "plant",
        json!([{"user": "ann", "role": "viewer"}, {"team": "ops", "role": "editor"}]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        visible_groups(&app, &ann).await,
        vec![pair("lab", "editor"), pair("plant", "editor")]
    );

    // A temporary login made by ann sees what ann sees, read-only.
    let (status, temporary) = app
        .call_as("POST", "/v1/temporary-logins", &ann, json!({}))
        .await;
    assert_eq!(status, 201);
    let temporary = temporary["token"].as_str().unwrap();
    assert_eq!(
        visible_groups(&app, temporary).await,
        vec![pair("lab", "editor"), pair("plant", "editor")]
    );
    assert_eq!(create_calculated(&app, "lab", temporary).await.0, 403);

    // Leaving the team takes its grants away at once.
    let (status, _) = app
        .call("PUT", "/v1/teams/ops", Some(json!({"members": ["ann"]})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(visible_groups(&app, &bob).await, vec![]);
    assert_eq!(app.get_as("/v1/groups/lab/latest", &bob).await.0, 404);

    // Deleting the team removes its grants; deleting ann removes hers and her
    // memberships, so a new user named ann starts with nothing.
    let (status, _) = app.call("DELETE", "/v1/teams/ops", None).await;
    assert_eq!(status, 200);
    let (_, lab) = app.call("GET", "/v1/groups/lab/grants", None).await;
    assert_eq!(lab, json!({"group": "lab", "grants": []}));
    let (status, _) = app.call("DELETE", "/v1/users/ann", None).await;
    assert_eq!(status, 200);
    let (_, plant) = app.call("GET", "/v1/groups/plant/grants", None).await;
    assert_eq!(plant, json!({"group": "plant", "grants": []}));
    let ann_again = member(&app, "ann").await;
    assert_eq!(visible_groups(&app, &ann_again).await, vec![]);

    // An account admin sees every group as an editor without any grant.
    let acme = AccountId::parse("acme").unwrap();
    let account = app.cloud.store.account(&acme).await.unwrap().unwrap();
    seed::admin(&app.cloud.store, &account, "boss", PASSWORD)
        .await
        .unwrap();
    let (_, boss) = app
        .call_anonymous(
            "POST",
            "/v1/login",
            json!({"account": "acme", "user": "boss", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        visible_groups(&app, boss["token"].as_str().unwrap()).await,
        vec![pair("lab", "editor"), pair("plant", "editor")]
    );
}

#[tokio::test]
async fn bad_grants_and_teams_are_refused_by_name_and_change_nothing() {
    let app = spawn(Plan::Standard).await;
    member(&app, "ann").await;
    let (status, _) = grant(&app, "plant", json!([{"user": "ann", "role": "viewer"}])).await;
    assert_eq!(status, 200);
    let before = app.call("GET", "/v1/groups/plant/grants", None).await;

    let refusals = [
        (
            json!([{"user": "ghost", "role": "viewer"}]),
            "`grants[0]`: the account has no user `ghost`",
        ),
        (
            json!([{"user": "ann", "role": "viewer"}, {"team": "nope", "role": "editor"}]),
            "`grants[1]`: the account has no team `nope`",
        ),
        (
            json!([{"user": "ann", "role": "owner"}]),
            "`grants[0]`: `role` must be viewer or editor, got `owner`",
        ),
        (
            json!([{"user": "ann", "team": "ops", "role": "viewer"}]),
            "`grants[0]`: name exactly one of `user` and `team`",
        ),
        (
            json!([{"user": "ann", "role": "viewer"}, {"user": "ann", "role": "editor"}]),
            "`grants[1]`: `user:ann` is granted twice",
        ),
    ];
    for (grants, message) in refusals {
        let (status, body) = grant(&app, "plant", grants.clone()).await;
        assert_eq!(
            (status, body["message"].clone()),
            (400, json!(message)),
            "{grants}"
        );
    }
    let (status, body) = grant(&app, "plant", json!("everyone")).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("request body:"),
        "{body}"
    );
    assert_eq!(
        app.call("GET", "/v1/groups/plant/grants", None).await,
        before
    );

    let (status, body) = app
        .call(
            "POST",
            "/v1/teams",
            Some(json!({"id": "ops", "members": ["ann", "ghost", "Bad Name"]})),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            400,
            json!("`members`: the account has no user ghost, Bad Name")
        )
    );
    let (status, body) = app
        .call("POST", "/v1/teams", Some(json!({"id": "Ops Team"})))
        .await;
    assert_eq!(status, 400, "{body}");
    let (_, teams) = app.call("GET", "/v1/teams", None).await;
    assert_eq!(teams, json!({"teams": []}), "nothing was created");
    let (status, _) = app
        .call("POST", "/v1/teams", Some(json!({"id": "ops"})))
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .call("POST", "/v1/teams", Some(json!({"id": "ops"})))
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!("exists")));
    let (status, body) = app
        .call("PUT", "/v1/teams/ops", Some(json!({"id": "renamed"})))
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("a team's `id` cannot change"))
    );
    assert_eq!(app.call("GET", "/v1/teams/nope", None).await.0, 404);
}

//! Every countable limit of the plan table (SPEC.md 3) that has a feature, at the limit and
//! one over, on each plan. Groups and registered apps are in `groups_and_apps`; each test here
//! walks the four plans on one local cloud with an account per plan.

use devcloud::seed;
use fieldcloud::domain::auth::Role;
use fieldcloud::domain::ids::AccountId;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use serde_json::{json, Map, Value};

use crate::helpers::{batch, record, spawn, TestCloud};

const PASSWORD: &str = "Measure4Me";

/// An account `limits-{plan}` with group `g0`, app `{plan}-gw` and an admin session.
/// The account [`tenant`] makes for `plan`.
fn account_of(plan: Plan) -> AccountId {
    AccountId::parse(format!("limits-{plan}")).unwrap()
}

async fn tenant(app: &TestCloud, plan: Plan) -> String {
    let account = account_of(plan);
    let gateway = format!("{plan}-gw");
    let tenant = seed::tenant(&app.cloud.store, account.as_str(), plan, "g0", &[&gateway])
        .await
        .unwrap();
    // The admin is a user of the account, and counts against its users.
    seed::admin(&app.cloud.store, &tenant.account, "admin", PASSWORD)
        .await
        .unwrap();
    app.cloud
        .session_token(&account, "admin", Role::Admin, 60 * Millis::MINUTE)
        .await
        .expect("a session")
}

/// Creates `limit` things through `create(n)`, all 201, then one more: its answer.
async fn fill_then_one_over<F, Fut>(limit: u32, what: &str, create: F) -> (u16, Value)
where
    F: Fn(u32) -> Fut,
    Fut: std::future::Future<Output = (u16, Value)>,
{
    for n in 0..limit {
        let (status, body) = create(n).await;
        assert_eq!(status, 201, "{what} {} of {limit}: {body}", n + 1);
    }
    create(limit).await
}

fn channels(count: u32) -> Value {
    Value::Object(
        (1..=count)
            .map(|i| (format!("CH{i}"), json!(i)))
            .collect::<Map<_, _>>(),
    )
}

#[tokio::test]
async fn every_plan_allows_exactly_its_users_and_teams() {
    let app = spawn(Plan::Standard).await;
    for plan in Plan::ALL {
        let limits = plan.limits();
        let token = tenant(&app, plan).await;
        // The admin making them is one of the plan's users already.
        let (status, body) = fill_then_one_over(limits.users - 1, "user", |n| {
            let body = json!({"user": format!("user-{n}"), "password": PASSWORD, "admin_password": PASSWORD});
            app.call_as("POST", "/v1/users", &token, body)
        })
        .await;
        assert_eq!(
            (status, body["message"].clone()),
            (
                409,
                json!(format!(
                    "plan {plan} allows {0} users; the account has {0}",
                    limits.users
                ))
            ),
            "{plan}"
        );
        let (status, body) = fill_then_one_over(limits.teams, "team", |n| {
            let body = json!({"id": format!("team-{n}")});
            app.call_as("POST", "/v1/teams", &token, body)
        })
        .await;
        let expected = if limits.teams == 0 {
            (
                403,
                json!(format!(
                    "plan {plan} has no teams; they come with free, standard and pro"
                )),
            )
        } else {
            (
                409,
                json!(format!(
                    "plan {plan} allows {0} teams; the account has {0}",
                    limits.teams
                )),
            )
        };
        assert_eq!((status, body["message"].clone()), expected, "{plan}");
    }
}

#[tokio::test]
async fn every_plan_allows_exactly_its_calculated_channels_per_group() {
    let app = spawn(Plan::Standard).await;
    for plan in Plan::ALL {
        let limits = plan.limits();
        let token = tenant(&app, plan).await;
        let gateway = format!("{plan}-gw");
        app.publish_as(
            &account_of(plan),
            &gateway,
            &batch(vec![record("LR-1", app.at(0), json!({"CH1": 1.0}))]),
        )
        .await;
        let (status, body) =
            fill_then_one_over(limits.calculated_channels_per_group, "calc", |n| {
                let body = json!({"name": format!("c{n}"), "expression": "[LR-1/CH1] * 2"});
                app.call_as("POST", "/v1/groups/g0/calculated", &token, body)
            })
            .await;
        let limit = limits.calculated_channels_per_group;
        let expected = if limit == 0 {
            (403, "forbidden")
        } else {
            (409, "limit_reached")
        };
        assert_eq!(
            (status, body["code"].as_str().unwrap()),
            expected,
            "{plan}: {body}"
        );
        if limit > 0 {
            assert_eq!(
                body["message"],
                format!(
                    "plan {plan} allows {limit} calculated channels per measurement group; group `g0` has {limit}"
                )
            );
        }
    }
}

#[tokio::test]
async fn every_plan_allows_exactly_its_instruments_per_app_and_channels_per_instrument() {
    let app = spawn(Plan::Standard).await;
    for plan in Plan::ALL {
        let limits = plan.limits();
        tenant(&app, plan).await;
        let gateway = format!("{plan}-gw");
        // One record per instrument, one instrument more than the app may have; the
        // first brings one channel more than an instrument may acquire.
        let over = limits.instruments_per_app + 1;
        let records = (0..over)
            .map(|n| {
                let count = if n == 0 {
                    limits.channels_per_instrument + 1
                } else {
                    1
                };
                record(&format!("LR-{n:02}"), app.at(0), channels(count))
            })
            .collect();
        let report = app
            .publish_as(&account_of(plan), &gateway, &batch(records))
            .await
            .result
            .unwrap();
        assert_eq!(
            report.stored, limits.instruments_per_app as usize,
            "{plan}: {report:?}"
        );
        assert_eq!(report.rejected.len(), 1, "{plan}: {report:?}");
        assert!(
            report.rejected[0].contains(&format!(
                "instrument LR-{:02}: the app already has {} instruments",
                limits.instruments_per_app, limits.instruments_per_app
            )),
            "{plan}: {report:?}"
        );
        assert_eq!(
            report.channels_over_limit,
            vec![format!(
                "LR-00/CH{}: not acquired, the instrument has {} channels, the limit of its plan",
                limits.channels_per_instrument + 1,
                limits.channels_per_instrument
            )],
            "{plan}"
        );
    }
}

#[tokio::test]
async fn every_plan_allows_exactly_its_direct_connected_logger_channels() {
    let app = spawn(Plan::Standard).await;
    for plan in Plan::ALL {
        let limits = plan.limits();
        let token = tenant(&app, plan).await;
        let logger = format!("{plan}-logger");
        let (status, body) = app
            .call_as(
                "POST",
                "/v1/groups/g0/apps",
                &token,
                json!({"thing": logger, "kind": "direct_logger"}),
            )
            .await;
        let Some(limit) = limits.channels_per_direct_logger else {
            assert_eq!(
                (status, body["message"].clone()),
                (
                    403,
                    json!(format!(
                        "plan {plan} has no direct-connected loggers; they come with free, standard and pro"
                    ))
                )
            );
            continue;
        };
        assert_eq!(
            (status, body["kind"].clone()),
            (201, json!("direct_logger"))
        );
        // The logger is its own one instrument. A record carries at most 1000 channels
        // (the protocol's bound), so the one over the limit comes in a second record.
        let one_over = json!({ "CH1": 2, format!("CH{}", limit + 1): 1 });
        let report = app
            .publish_as(
                &account_of(plan),
                &logger,
                &batch(vec![
                    record("LOGGER-1", app.at(0), channels(limit)),
                    record("LOGGER-1", app.at(1), one_over.clone()),
                    record("LOGGER-2", app.at(0), channels(1)),
                ]),
            )
            .await
            .result
            .unwrap();
        assert_eq!(report.stored, 2, "{plan}: {report:?}");
        assert!(
            report.rejected[0].contains("instrument LOGGER-2: the app already has 1 instruments"),
            "{plan}: {report:?}"
        );
        assert_eq!(
            report.channels_over_limit,
            vec![format!(
                "LOGGER-1/CH{}: not acquired, the instrument has {limit} channels, the limit of its plan",
                limit + 1
            )],
            "{plan}"
        );
        // Choosing the acquired channels is bounded by the same limit: deselecting CH1
        // frees the slot CH{limit+1} then takes, and all of them at once is one too many.
        let path = format!("/v1/groups/g0/apps/{logger}/instruments/LOGGER-1");
        let all_but_first: Vec<String> = (2..=limit).map(|i| format!("CH{i}")).collect();
        let (status, body) = app
            .call_as("PUT", &path, &token, json!({"acquire": all_but_first}))
            .await;
        assert_eq!(status, 200, "{plan}: {body}");
        let report = app
            .publish_as(
                &account_of(plan),
                &logger,
                &batch(vec![record("LOGGER-1", app.at(2), one_over.clone())]),
            )
            .await
            .result
            .unwrap();
        assert!(report.channels_over_limit.is_empty(), "{plan}: {report:?}");
        let all: Vec<String> = (1..=limit + 1).map(|i| format!("CH{i}")).collect();
        let (status, body) = app
            .call_as("PUT", &path, &token, json!({"acquire": all}))
            .await;
        assert_eq!(
            (status, body["message"].clone()),
            (
                409,
                json!(format!(
                    "plan {plan} allows {limit} acquired channels per direct-connected logger; {} were chosen",
                    limit + 1
                ))
            )
        );
    }
}

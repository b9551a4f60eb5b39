//! The `api` Lambda: the portal's and Web API's HTTP routes (API Gateway HTTP API,
//! payload v2). Routing is done here, on the path, so the same handler serves API
//! Gateway's `/{proxy+}` route and the local cloud's plain HTTP server. [`ROUTES`] lists
//! them all.

mod access;
mod account;
mod apps;
mod audit;
mod auth;
mod calculated;
mod caller;
mod error;
mod groups;
mod identity;
mod input;
mod instruments;
mod latest;
mod mailed_code;
mod newest;
mod series;
mod throttle;
mod trial;
mod users;

use lambda_http::{Body, Request, Response};
use serde_json::json;

use fieldcloud::adapters::context::{required_env, Ctx};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoStore};
use fieldcloud::adapters::iot::IotThings;
use fieldcloud::adapters::ses::SesMailer;
use fieldcloud::adapters::sqs::SqsJobQueue;
use fieldcloud::domain::access::GroupRole;
use fieldcloud::domain::ids::{AppId, CalcId, GroupId, InstrumentSerial, UserId};
use fieldcloud::domain::iot_thing::Stack;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::Group;
use fieldcloud::domain::token::{Principal, TokenKey};
use fieldcloud::ports::{JobQueue, Mailer, RecordStore, Store, Things};

pub use auth::Access;
pub use error::ApiError;
pub use series::{ReadLimits, SeriesQuery};

/// What the routes need: the registry, the records, the backfill queue, the mailer, the
/// apps' identities in IoT Core and the stack that names them, the token key, and the
/// portal's address (for links in mail).
pub struct Api<R, S, Q, M, T> {
    pub registry: R,
    pub records: S,
    pub jobs: Q,
    pub mailer: M,
    pub things: T,
    pub stack: Stack,
    /// How much one series request may read.
    pub read_limits: ReadLimits,
    pub key: TokenKey,
    pub portal_url: String,
}

/// The API as deployed: on DynamoDB, SQS, SES and IoT Core.
pub type DeployedApi = Api<DynamoStore, DynamoRecords, SqsJobQueue, SesMailer, IotThings>;

impl DeployedApi {
    /// Builds the API from a function's context and the rest of its environment
    /// (`RECOMPUTE_QUEUE_URL`, `MAIL_FROM`, `APP_POLICY_NAME`, `PORTAL_URL`, the token
    /// key's parameter).
    pub async fn deployed(ctx: Ctx) -> Result<DeployedApi, String> {
        // Every variable before the one remote call: a missing one fails at once.
        let portal_url = required_env("PORTAL_URL")?;
        Ok(Api {
            jobs: ctx.recompute_queue()?,
            mailer: ctx.mailer()?,
            things: ctx.things()?,
            portal_url,
            key: ctx.token_key().await?,
            read_limits: ReadLimits::default(),
            registry: ctx.store,
            records: ctx.records,
            stack: ctx.stack,
        })
    }
}

/// Handles one request at `now`; every outcome, errors included, is a response.
pub async fn handle<R: Store, S: RecordStore, Q: JobQueue, M: Mailer, T: Things>(
    api: &Api<R, S, Q, M, T>,
    request: &Request,
    now: Millis,
) -> Response<Body> {
    match route(api, request, now).await {
        Ok((status, body)) => error::json_response(status, &body),
        Err(error) => error.into_response(),
    }
}

/// The largest request body any route takes.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every route: method, path pattern (`{…}` is one path segment) and who may call it.
/// Only these are answered — a path that matches a pattern under another method gets
/// 405 — and the tenant-isolation tests walk this list, so no route escapes them.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/health", Access::Public),
    ("POST", "/v1/login", Access::Public),
    ("POST", "/v1/login/two-step", Access::Public),
    ("POST", "/v1/trial", Access::Public),
    ("POST", "/v1/trial/confirm", Access::Public),
    ("POST", "/v1/password-reset", Access::Public),
    ("POST", "/v1/password-reset/complete", Access::Public),
    ("POST", "/v1/two-step/email", Access::Member),
    ("POST", "/v1/two-step/email/confirm", Access::Member),
    ("POST", "/v1/two-step/email/disable", Access::Member),
    ("POST", "/v1/two-step/totp", Access::Member),
    ("POST", "/v1/two-step/totp/confirm", Access::Member),
    ("POST", "/v1/two-step/totp/disable", Access::Member),
    ("POST", "/v1/logout", Access::Member),
    ("GET", "/v1/users", Access::Admin),
    ("POST", "/v1/users", Access::Admin),
    ("GET", "/v1/users/{user}", Access::Admin),
    ("PUT", "/v1/users/{user}", Access::Admin),
    ("DELETE", "/v1/users/{user}", Access::Admin),
    ("GET", "/v1/me", Access::Member),
    ("PUT", "/v1/me/password", Access::Member),
    ("GET", "/v1/audit", Access::Admin),
    ("GET", "/v1/account", Access::Member),
    ("PUT", "/v1/account", Access::Admin),
    ("PUT", "/v1/account/login-alias", Access::Admin),
    ("GET", "/v1/account/logo", Access::Member),
    ("PUT", "/v1/account/logo", Access::Admin),
    ("DELETE", "/v1/account/logo", Access::Admin),
    ("POST", "/v1/temporary-logins", Access::Member),
    ("GET", "/v1/api-tokens", Access::Member),
    ("POST", "/v1/api-tokens", Access::Member),
    ("DELETE", "/v1/api-tokens/{token}", Access::Member),
    ("PUT", "/v1/account/allow-list", Access::Admin),
    ("GET", "/v1/teams", Access::Admin),
    ("POST", "/v1/teams", Access::Admin),
    ("GET", "/v1/teams/{team}", Access::Admin),
    ("PUT", "/v1/teams/{team}", Access::Admin),
    ("DELETE", "/v1/teams/{team}", Access::Admin),
    ("GET", "/v1/groups", Access::Member),
    ("POST", "/v1/groups", Access::Admin),
    ("GET", "/v1/groups/{group}", Access::GroupViewer),
    ("PUT", "/v1/groups/{group}", Access::Admin),
    ("DELETE", "/v1/groups/{group}", Access::Admin),
    ("GET", "/v1/groups/{group}/grants", Access::Admin),
    ("PUT", "/v1/groups/{group}/grants", Access::Admin),
    ("GET", "/v1/groups/{group}/latest", Access::GroupViewer),
    ("GET", "/v1/groups/{group}/series", Access::GroupViewer),
    ("GET", "/v1/groups/{group}/apps", Access::GroupViewer),
    ("POST", "/v1/groups/{group}/apps", Access::Admin),
    ("GET", "/v1/groups/{group}/apps/{app}", Access::GroupViewer),
    ("PUT", "/v1/groups/{group}/apps/{app}", Access::Admin),
    ("DELETE", "/v1/groups/{group}/apps/{app}", Access::Admin),
    (
        "GET",
        "/v1/groups/{group}/apps/{app}/instruments/{serial}",
        Access::GroupViewer,
    ),
    (
        "PUT",
        "/v1/groups/{group}/apps/{app}/instruments/{serial}",
        Access::Admin,
    ),
    (
        "DELETE",
        "/v1/groups/{group}/apps/{app}/instruments/{serial}",
        Access::Admin,
    ),
    ("GET", "/v1/groups/{group}/calculated", Access::GroupViewer),
    ("POST", "/v1/groups/{group}/calculated", Access::GroupEditor),
    (
        "GET",
        "/v1/groups/{group}/calculated/{id}",
        Access::GroupViewer,
    ),
    (
        "PUT",
        "/v1/groups/{group}/calculated/{id}",
        Access::GroupEditor,
    ),
    (
        "DELETE",
        "/v1/groups/{group}/calculated/{id}",
        Access::GroupEditor,
    ),
    (
        "POST",
        "/v1/groups/{group}/calculated/{id}/copy",
        Access::GroupEditor,
    ),
];

/// Whether `path`'s segments fit `pattern`'s.
fn fits(pattern: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    parts.len() == segments.len()
        && parts
            .iter()
            .zip(segments)
            .all(|(part, segment)| part.starts_with('{') || part == segment)
}

async fn route<R: Store, S: RecordStore, Q: JobQueue, M: Mailer, T: Things>(
    api: &Api<R, S, Q, M, T>,
    request: &Request,
    now: Millis,
) -> Result<(u16, serde_json::Value), ApiError> {
    let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
    let method = request.method().as_str();
    let matching: Vec<&(&str, &str, Access)> = ROUTES
        .iter()
        .filter(|(_, pattern, _)| fits(pattern, &segments))
        .collect();
    if matching.is_empty() {
        return Err(no_route(request));
    }
    let Some(&&(_, pattern, access)) = matching.iter().find(|(m, _, _)| *m == method) else {
        let allowed: Vec<&str> = matching.iter().map(|(m, _, _)| *m).collect();
        return Err(ApiError::method_not_allowed(format!(
            "{method} is not allowed here; use {}",
            allowed.join(" or ")
        )));
    };
    let address = auth::source_address(request);
    let address = address.as_deref();
    let registry = &api.registry;
    match (method, segments.as_slice()) {
        ("GET", ["health"]) => return Ok((200, json!({ "status": "ok" }))),
        ("POST", ["v1", "login"]) => {
            let login = json_body(request)?;
            return Ok((
                200,
                identity::login(registry, &api.mailer, &api.key, request, login, now).await?,
            ));
        }
        ("POST", ["v1", "trial"]) => {
            let asked = json_body(request)?;
            let answer =
                trial::request_trial(registry, &api.mailer, &api.portal_url, asked, now).await?;
            return Ok((202, answer));
        }
        ("POST", ["v1", "trial", "confirm"]) => {
            let confirmation = json_body(request)?;
            let session =
                trial::confirm_trial(registry, &api.key, confirmation, address, now).await?;
            return Ok((201, session));
        }
        ("POST", ["v1", "password-reset"]) => {
            let asked = json_body(request)?;
            let answer =
                identity::request_reset(registry, &api.mailer, &api.portal_url, asked, now).await?;
            return Ok((202, answer));
        }
        ("POST", ["v1", "password-reset", "complete"]) => {
            let done = json_body(request)?;
            let address = auth::source_address(request);
            let answer = identity::complete_reset(registry, done, address.as_deref(), now).await?;
            return Ok((200, answer));
        }
        ("POST", ["v1", "login", "two-step"]) => {
            let second = json_body(request)?;
            let answer = identity::login_two_step(registry, &api.key, request, second, now).await?;
            return Ok((200, answer));
        }
        _ => {}
    }
    let principal = auth::authenticate(request, &api.key, registry, now).await?;
    auth::permit(&principal, access, method == "GET")?;
    // The group of a group route is found, and the caller's right to it checked, here
    // once; the handlers take it as found.
    let scope = match segments.as_slice() {
        ["v1", "groups", group, ..] => {
            let edit = access == Access::GroupEditor;
            Some(access::require_group(registry, &principal, &group_id(group)?, edit).await?)
        }
        _ => None,
    };
    let outcome = dispatch(api, request, &principal, address, now, scope.as_ref()).await?;
    if access == Access::Admin && method != "GET" {
        let detail = request.uri().path().to_owned();
        let action = format!("{method} {pattern}");
        audit::audit(
            registry,
            &principal.account,
            Some(&principal.user),
            address,
            &action,
            detail,
            now,
        )
        .await?;
    }
    Ok(outcome)
}

/// Runs an authenticated route.
async fn dispatch<R: Store, S: RecordStore, Q: JobQueue, M: Mailer, T: Things>(
    api: &Api<R, S, Q, M, T>,
    request: &Request,
    principal: &Principal,
    address: Option<&str>,
    now: Millis,
    scope: Option<&(Group, GroupRole)>,
) -> Result<(u16, serde_json::Value), ApiError> {
    let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
    let method = request.method().as_str();
    let registry = &api.registry;
    let ok = |body| Ok((200, body));
    let created = |body| Ok((201, body));
    match (method, segments.as_slice()) {
        ("POST", ["v1", "logout"]) => {
            ok(identity::logout(registry, principal, address, now).await?)
        }
        ("POST", ["v1", "two-step", "email"]) => {
            let sent = mailed_code::enroll(registry, &api.mailer, principal, now).await?;
            Ok((202, sent))
        }
        ("POST", ["v1", "two-step", "email", "confirm"]) => {
            let code = json_body(request)?;
            ok(mailed_code::confirm(registry, principal, code, address, now).await?)
        }
        ("POST", ["v1", "two-step", "email", "disable"]) => {
            let password = json_body(request)?;
            ok(mailed_code::disable(registry, principal, password, address, now).await?)
        }
        ("POST", ["v1", "two-step", "totp"]) => {
            let password = json_body(request)?;
            let key = &api.key;
            ok(identity::enroll_totp(registry, key, principal, password, address, now).await?)
        }
        ("POST", ["v1", "two-step", "totp", "confirm"]) => {
            let code = json_body(request)?;
            ok(identity::confirm_totp(registry, &api.key, principal, code, address, now).await?)
        }
        ("POST", ["v1", "two-step", "totp", "disable"]) => {
            let code = json_body(request)?;
            ok(identity::disable_totp(registry, &api.key, principal, code, address, now).await?)
        }
        ("GET", ["v1", "users"]) => ok(users::list_users(registry, principal).await?),
        ("POST", ["v1", "users"]) => {
            let new = json_body(request)?;
            created(users::create_user(registry, principal, new, address, now).await?)
        }
        ("GET", ["v1", "users", user]) => {
            ok(users::user_detail(registry, principal, &user_id(user)?).await?)
        }
        ("PUT", ["v1", "users", user]) => {
            let draft = json_body(request)?;
            let id = user_id(user)?;
            ok(users::update_user(registry, principal, &id, draft, address, now).await?)
        }
        ("GET", ["v1", "me"]) => ok(users::me(registry, principal).await?),
        ("PUT", ["v1", "me", "password"]) => {
            let change = json_body(request)?;
            ok(users::change_password(registry, principal, change, address, now).await?)
        }
        ("DELETE", ["v1", "users", user]) => {
            ok(users::delete_user(registry, principal, &user_id(user)?).await?)
        }
        ("GET", ["v1", "audit"]) => {
            let query = request.uri().query().unwrap_or("");
            ok(identity::audit_log(registry, principal, query).await?)
        }
        ("GET", ["v1", "account"]) => ok(account::account(registry, principal).await?),
        ("PUT", ["v1", "account"]) => {
            ok(account::update_settings(registry, principal, json_body(request)?).await?)
        }
        ("PUT", ["v1", "account", "login-alias"]) => {
            ok(account::set_login_alias(registry, principal, json_body(request)?).await?)
        }
        ("GET", ["v1", "account", "logo"]) => ok(account::logo(registry, principal).await?),
        ("PUT", ["v1", "account", "logo"]) => {
            let logo = json_body_up_to(request, account::MAX_LOGO_BODY_BYTES)?;
            ok(account::set_logo(registry, principal, logo).await?)
        }
        ("DELETE", ["v1", "account", "logo"]) => {
            ok(account::delete_logo(registry, principal).await?)
        }
        ("POST", ["v1", "temporary-logins"]) => {
            created(identity::temporary_login(registry, &api.key, principal, address, now).await?)
        }
        ("GET", ["v1", "api-tokens"]) => ok(identity::list_api_tokens(registry, principal).await?),
        ("POST", ["v1", "api-tokens"]) => {
            let new = json_body(request)?;
            created(identity::issue_api_token(registry, principal, new, address, now).await?)
        }
        ("DELETE", ["v1", "api-tokens", id]) => {
            ok(identity::revoke_api_token(registry, principal, id, address, now).await?)
        }
        ("PUT", ["v1", "account", "allow-list"]) => {
            let list = json_body(request)?;
            ok(account::set_allow_list(registry, principal, request, list, now).await?)
        }
        ("GET", ["v1", "teams"]) => ok(access::list_teams(registry, principal).await?),
        ("POST", ["v1", "teams"]) => {
            created(access::create_team(registry, principal, json_body(request)?).await?)
        }
        ("GET", ["v1", "teams", team]) => ok(access::team_detail(registry, principal, team).await?),
        ("PUT", ["v1", "teams", team]) => {
            let draft = json_body(request)?;
            ok(access::update_team(registry, principal, team, draft).await?)
        }
        ("DELETE", ["v1", "teams", team]) => {
            ok(access::delete_team(registry, principal, team).await?)
        }
        ("GET", ["v1", "groups"]) => ok(groups::list_groups(registry, principal).await?),
        ("POST", ["v1", "groups"]) => {
            created(groups::create_group(registry, principal, json_body(request)?).await?)
        }
        (_, ["v1", "groups", _, rest @ ..]) => {
            let Some((group, role)) = scope else {
                return Err(no_route(request));
            };
            match (method, rest) {
                ("GET", []) => ok(groups::group_detail(group, *role)),
                ("PUT", []) => {
                    let draft = json_body(request)?;
                    ok(groups::rename_group(registry, group, draft).await?)
                }
                ("DELETE", []) => ok(groups::delete_group(registry, principal, group).await?),
                ("GET", ["grants"]) => ok(access::grants(group)),
                ("PUT", ["grants"]) => {
                    let draft = json_body(request)?;
                    ok(access::set_grants(registry, principal, group, draft).await?)
                }
                ("GET", ["latest"]) => {
                    ok(latest::latest(registry, &api.records, principal, group, now).await?)
                }
                ("GET", ["series"]) => {
                    let query = SeriesQuery::parse(request.uri().query().unwrap_or(""))?;
                    ok(series::series(
                        registry,
                        &api.records,
                        principal,
                        group,
                        &query,
                        api.read_limits,
                    )
                    .await?)
                }
                ("GET", ["apps"]) => {
                    ok(apps::list_apps(registry, &api.records, principal, group, now).await?)
                }
                ("POST", ["apps"]) => {
                    let draft = json_body(request)?;
                    created(
                        apps::register_app(
                            registry,
                            &api.things,
                            &api.stack,
                            principal,
                            group,
                            draft,
                            now,
                        )
                        .await?,
                    )
                }
                ("GET", ["apps", app]) => ok(apps::app_detail(
                    registry,
                    &api.records,
                    principal,
                    group,
                    &app_id(app)?,
                    now,
                )
                .await?),
                ("PUT", ["apps", app]) => {
                    let draft = json_body(request)?;
                    ok(apps::update_app(
                        registry,
                        &api.records,
                        &api.things,
                        principal,
                        group,
                        &app_id(app)?,
                        draft,
                        now,
                    )
                    .await?)
                }
                ("DELETE", ["apps", app]) => ok(apps::delete_app(
                    registry,
                    &api.things,
                    &api.stack,
                    principal,
                    group,
                    &app_id(app)?,
                )
                .await?),
                ("GET", ["apps", app, "instruments", serial]) => {
                    let (app, serial) = (app_id(app)?, serial_id(serial)?);
                    ok(instruments::instrument_detail(
                        registry,
                        &api.records,
                        principal,
                        group,
                        &app,
                        &serial,
                    )
                    .await?)
                }
                ("PUT", ["apps", app, "instruments", serial]) => {
                    let (app, serial) = (app_id(app)?, serial_id(serial)?);
                    let draft = json_body(request)?;
                    ok(instruments::update_instrument(
                        registry,
                        &api.records,
                        principal,
                        group,
                        &app,
                        &serial,
                        draft,
                    )
                    .await?)
                }
                ("DELETE", ["apps", app, "instruments", serial]) => {
                    let (app, serial) = (app_id(app)?, serial_id(serial)?);
                    ok(
                        instruments::delete_instrument(registry, principal, group, &app, &serial)
                            .await?,
                    )
                }
                ("GET", ["calculated"]) => {
                    ok(calculated::list(registry, &api.records, principal, group).await?)
                }
                ("POST", ["calculated"]) => {
                    let draft = json_body(request)?;
                    created(calculated::create(registry, &api.jobs, principal, group, draft).await?)
                }
                ("GET", ["calculated", id]) => {
                    ok(
                        calculated::detail(registry, &api.records, principal, group, &calc_id(id)?)
                            .await?,
                    )
                }
                ("PUT", ["calculated", id]) => {
                    let draft = json_body(request)?;
                    ok(calculated::edit(
                        registry,
                        &api.records,
                        &api.jobs,
                        principal,
                        group,
                        &calc_id(id)?,
                        draft,
                    )
                    .await?)
                }
                ("DELETE", ["calculated", id]) => {
                    ok(calculated::delete(registry, principal, group, &calc_id(id)?).await?)
                }
                ("POST", ["calculated", id, "copy"]) => created(
                    calculated::copy(registry, &api.jobs, principal, group, &calc_id(id)?).await?,
                ),
                _ => Err(no_route(request)),
            }
        }
        _ => Err(no_route(request)),
    }
}

fn no_route(request: &Request) -> ApiError {
    ApiError::not_found(format!("no route for {}", request.uri().path()))
}

/// The request body as JSON of type `T`; serde's message names the field and what it
/// expected.
fn json_body<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    json_body_up_to(request, MAX_BODY_BYTES)
}

/// [`json_body`] for a route that takes larger bodies, up to `max_bytes`.
fn json_body_up_to<T: serde::de::DeserializeOwned>(
    request: &Request,
    max_bytes: usize,
) -> Result<T, ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.len() > max_bytes {
        return Err(ApiError::too_large(format!(
            "request body is {} bytes; at most {max_bytes} are accepted",
            bytes.len()
        )));
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "request body is empty; send a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("request body: {e}")))
}

fn user_id(text: &str) -> Result<UserId, ApiError> {
    UserId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn app_id(text: &str) -> Result<AppId, ApiError> {
    AppId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn serial_id(text: &str) -> Result<InstrumentSerial, ApiError> {
    InstrumentSerial::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn calc_id(text: &str) -> Result<CalcId, ApiError> {
    CalcId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn group_id(text: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

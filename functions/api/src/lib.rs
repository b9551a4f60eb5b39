//! The `api` Lambda: the portal's and Web API's HTTP routes (API Gateway HTTP API,
//! payload v2). Routing is done here, on the path, so the same handler serves API
//! Gateway's `/{proxy+}` route and the local cloud's plain HTTP server. [`ROUTES`] lists
//! them all.

mod auth;
mod calculated;
mod error;
mod latest;
mod series;
mod tenancy;

use lambda_http::{Body, Request, Response};
use serde_json::json;

use fieldcloud::domain::ids::{CalcId, GroupId, ThingName};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::Group;
use fieldcloud::domain::token::{Principal, TokenKey};
use fieldcloud::ports::{JobQueue, RecordStore, Registry};

pub use error::ApiError;
pub use series::SeriesQuery;

/// What the routes need: the registry, the records, the backfill queue and the token key.
pub struct Api<R, S, Q> {
    pub registry: R,
    pub records: S,
    pub jobs: Q,
    pub key: TokenKey,
}

/// Handles one request at `now`; every outcome, errors included, is a response.
pub async fn handle<R: Registry, S: RecordStore, Q: JobQueue>(
    api: &Api<R, S, Q>,
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

/// Every route: method and path pattern (`{…}` is one path segment). Only these are
/// answered — a path that matches a pattern under another method gets 405 — and the
/// tenant-isolation tests walk this list, so no route escapes them.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/v1/groups"),
    ("POST", "/v1/groups"),
    ("GET", "/v1/groups/{group}"),
    ("PUT", "/v1/groups/{group}"),
    ("DELETE", "/v1/groups/{group}"),
    ("GET", "/v1/groups/{group}/latest"),
    ("GET", "/v1/groups/{group}/series"),
    ("GET", "/v1/groups/{group}/apps"),
    ("POST", "/v1/groups/{group}/apps"),
    ("GET", "/v1/groups/{group}/apps/{app}"),
    ("PUT", "/v1/groups/{group}/apps/{app}"),
    ("DELETE", "/v1/groups/{group}/apps/{app}"),
    ("GET", "/v1/groups/{group}/calculated"),
    ("POST", "/v1/groups/{group}/calculated"),
    ("GET", "/v1/groups/{group}/calculated/{id}"),
    ("PUT", "/v1/groups/{group}/calculated/{id}"),
    ("DELETE", "/v1/groups/{group}/calculated/{id}"),
    ("POST", "/v1/groups/{group}/calculated/{id}/copy"),
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

async fn route<R: Registry, S: RecordStore, Q: JobQueue>(
    api: &Api<R, S, Q>,
    request: &Request,
    now: Millis,
) -> Result<(u16, serde_json::Value), ApiError> {
    let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
    let method = request.method().as_str();
    let allowed: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, pattern)| fits(pattern, &segments))
        .map(|(m, _)| *m)
        .collect();
    if allowed.is_empty() {
        return Err(no_route(request));
    }
    if !allowed.contains(&method) {
        return Err(ApiError::method_not_allowed(format!(
            "{method} is not allowed here; use {}",
            allowed.join(" or ")
        )));
    }
    if segments == ["health"] {
        return Ok((200, json!({ "status": "ok" })));
    }
    let principal = auth::authenticate(request, &api.key, now)?;
    let registry = &api.registry;
    let principal = &principal;
    let ok = |body| Ok((200, body));
    let created = |body| Ok((201, body));
    match (method, segments.as_slice()) {
        ("GET", ["v1", "groups"]) => ok(tenancy::list_groups(registry, principal).await?),
        ("POST", ["v1", "groups"]) => {
            created(tenancy::create_group(registry, principal, json_body(request)?).await?)
        }
        (_, ["v1", "groups", group, rest @ ..]) => {
            let group = &group_id(group)?;
            match (method, rest) {
                ("GET", []) => ok(tenancy::group_detail(registry, principal, group).await?),
                ("PUT", []) => {
                    let draft = json_body(request)?;
                    ok(tenancy::rename_group(registry, principal, group, draft).await?)
                }
                ("DELETE", []) => ok(tenancy::delete_group(registry, principal, group).await?),
                ("GET", ["latest"]) => ok(latest::latest(registry, principal, group, now).await?),
                ("GET", ["series"]) => {
                    let query = SeriesQuery::parse(request.uri().query().unwrap_or(""))?;
                    ok(series::series(registry, &api.records, principal, group, &query).await?)
                }
                ("GET", ["apps"]) => ok(tenancy::list_apps(registry, principal, group, now).await?),
                ("POST", ["apps"]) => {
                    let draft = json_body(request)?;
                    created(tenancy::register_app(registry, principal, group, draft, now).await?)
                }
                ("GET", ["apps", app]) => {
                    ok(tenancy::app_detail(registry, principal, group, &thing(app)?, now).await?)
                }
                ("PUT", ["apps", app]) => {
                    let draft = json_body(request)?;
                    ok(
                        tenancy::update_app(registry, principal, group, &thing(app)?, draft, now)
                            .await?,
                    )
                }
                ("DELETE", ["apps", app]) => {
                    ok(tenancy::delete_app(registry, principal, group, &thing(app)?).await?)
                }
                ("GET", ["calculated"]) => ok(calculated::list(registry, principal, group).await?),
                ("POST", ["calculated"]) => {
                    let draft = json_body(request)?;
                    created(calculated::create(registry, &api.jobs, principal, group, draft).await?)
                }
                ("GET", ["calculated", id]) => {
                    ok(calculated::detail(registry, principal, group, &calc_id(id)?).await?)
                }
                ("PUT", ["calculated", id]) => {
                    let draft = json_body(request)?;
                    ok(calculated::edit(
                        registry,
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
    let bytes: &[u8] = match request.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::too_large(format!(
            "request body is {} bytes; at most {MAX_BODY_BYTES} are accepted",
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

fn thing(text: &str) -> Result<ThingName, ApiError> {
    ThingName::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn calc_id(text: &str) -> Result<CalcId, ApiError> {
    CalcId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn group_id(text: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The principal's measurement group; another account's group is simply not found, so
/// its existence is not revealed.
async fn group_of(
    registry: &impl Registry,
    principal: &Principal,
    group: &GroupId,
) -> Result<Group, ApiError> {
    registry
        .group(&principal.account, group)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("measurement group `{group}` not found")))
}

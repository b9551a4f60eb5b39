//! The `api` Lambda: the portal's and Web API's HTTP routes (API Gateway HTTP API,
//! payload v2). Routing is done here, on the path, so the same handler serves API
//! Gateway's `/{proxy+}` route and the local cloud's plain HTTP server.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | liveness, no token |
//! | `GET /v1/groups/{group}/latest` | latest values of a measurement group |
//! | `GET /v1/groups/{group}/series` | series of up to 32 channels, downsampled |
//! | `GET, POST /v1/groups/{group}/calculated` | list, create calculated channels |
//! | `GET, PUT, DELETE /v1/groups/{group}/calculated/{id}` | one calculated channel |
//! | `POST /v1/groups/{group}/calculated/{id}/copy` | copy one |

mod auth;
mod calculated;
mod error;
mod latest;
mod series;

use lambda_http::{Body, Request, Response};
use serde_json::json;

use fieldcloud::domain::ids::{CalcId, GroupId};
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

async fn route<R: Registry, S: RecordStore, Q: JobQueue>(
    api: &Api<R, S, Q>,
    request: &Request,
    now: Millis,
) -> Result<(u16, serde_json::Value), ApiError> {
    let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
    let method = request.method().as_str();
    let allow = |allowed: &[&str]| {
        if allowed.contains(&method) {
            Ok(())
        } else {
            Err(ApiError::method_not_allowed(format!(
                "{method} is not allowed here; use {}",
                allowed.join(" or ")
            )))
        }
    };
    let ok = |body| Ok((200, body));
    let created = |body| Ok((201, body));
    match segments.as_slice() {
        ["health"] => {
            allow(&["GET"])?;
            ok(json!({ "status": "ok" }))
        }
        ["v1", "groups", group, rest @ ..] => {
            allow(match rest {
                ["calculated"] => &["GET", "POST"],
                ["calculated", _] => &["GET", "PUT", "DELETE"],
                ["calculated", _, "copy"] => &["POST"],
                _ => &["GET"],
            })?;
            let principal = auth::authenticate(request, &api.key, now)?;
            let group = &group_id(group)?;
            let registry = &api.registry;
            match (method, rest) {
                (_, ["latest"]) => ok(latest::latest(registry, &principal, group, now).await?),
                (_, ["series"]) => {
                    let query = SeriesQuery::parse(request.uri().query().unwrap_or(""))?;
                    ok(series::series(registry, &api.records, &principal, group, &query).await?)
                }
                ("GET", ["calculated"]) => ok(calculated::list(registry, &principal, group).await?),
                ("POST", ["calculated"]) => {
                    let draft = json_body(request)?;
                    created(
                        calculated::create(registry, &api.jobs, &principal, group, draft).await?,
                    )
                }
                ("GET", ["calculated", id]) => {
                    ok(calculated::detail(registry, &principal, group, &calc_id(id)?).await?)
                }
                ("PUT", ["calculated", id]) => {
                    let draft = json_body(request)?;
                    ok(calculated::edit(
                        registry,
                        &api.jobs,
                        &principal,
                        group,
                        &calc_id(id)?,
                        draft,
                    )
                    .await?)
                }
                ("DELETE", ["calculated", id]) => {
                    ok(calculated::delete(registry, &principal, group, &calc_id(id)?).await?)
                }
                (_, ["calculated", id, "copy"]) => created(
                    calculated::copy(registry, &api.jobs, &principal, group, &calc_id(id)?).await?,
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

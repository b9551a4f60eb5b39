//! The `api` Lambda: the portal's and Web API's HTTP routes (API Gateway HTTP API,
//! payload v2). Routing is done here, on the path, so the same handler serves API
//! Gateway's `/{proxy+}` route and the local cloud's plain HTTP server.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | liveness, no token |
//! | `GET /v1/groups/{group}/latest` | latest values of a measurement group |
//! | `GET /v1/groups/{group}/series` | series of up to 32 channels, downsampled |

mod auth;
mod error;
mod latest;
mod series;

use lambda_http::{Body, Request, Response};
use serde_json::json;

use fieldcloud::domain::ids::GroupId;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::Group;
use fieldcloud::domain::token::{Principal, TokenKey};
use fieldcloud::ports::{RecordStore, Registry};

pub use error::ApiError;
pub use series::{ChannelRef, SeriesQuery};

/// What the routes need: the registry, the records and the token key.
pub struct Api<R, S> {
    pub registry: R,
    pub records: S,
    pub key: TokenKey,
}

/// Handles one request at `now`; every outcome, errors included, is a response.
pub async fn handle<R: Registry, S: RecordStore>(
    api: &Api<R, S>,
    request: &Request,
    now: Millis,
) -> Response<Body> {
    match route(api, request, now).await {
        Ok(body) => error::json_response(200, &body),
        Err(error) => error.into_response(),
    }
}

async fn route<R: Registry, S: RecordStore>(
    api: &Api<R, S>,
    request: &Request,
    now: Millis,
) -> Result<serde_json::Value, ApiError> {
    let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
    let get_only = || {
        if request.method() == lambda_http::http::Method::GET {
            Ok(())
        } else {
            Err(ApiError::method_not_allowed(format!(
                "{} is not allowed here; use GET",
                request.method()
            )))
        }
    };
    match segments.as_slice() {
        ["health"] => {
            get_only()?;
            Ok(json!({ "status": "ok" }))
        }
        ["v1", "groups", group, "latest"] => {
            get_only()?;
            let principal = auth::authenticate(request, &api.key, now)?;
            latest::latest(&api.registry, &principal, &group_id(group)?, now).await
        }
        ["v1", "groups", group, "series"] => {
            get_only()?;
            let principal = auth::authenticate(request, &api.key, now)?;
            let query = SeriesQuery::parse(request.uri().query().unwrap_or(""))?;
            series::series(
                &api.registry,
                &api.records,
                &principal,
                &group_id(group)?,
                &query,
            )
            .await
        }
        _ => Err(ApiError::not_found(format!(
            "no route for {}",
            request.uri().path()
        ))),
    }
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

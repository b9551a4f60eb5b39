//! The audit log's query string: `limit` (1 to 500, 100 by default), `cursor` (a page's
//! `next`), `kind` (an action), `user`, `from` and `to` (milliseconds or RFC 3339; `to`
//! exclusive).

use fieldcloud::domain::auth::AuditQuery;
use fieldcloud::domain::ids::UserId;
use fieldcloud::usecases::audit::{cursor, page_limit, DEFAULT_AUDIT_EVENTS};

use crate::error::ApiError;
use crate::input::parse_time;

pub fn audit_query(text: &str) -> Result<AuditQuery, ApiError> {
    let mut query = AuditQuery {
        limit: DEFAULT_AUDIT_EVENTS,
        cursor: None,
        kind: None,
        user: None,
        from: None,
        to: None,
    };
    for (name, value) in form_urlencoded::parse(text.as_bytes()) {
        match name.as_ref() {
            "limit" => query.limit = page_limit(&value)?,
            "cursor" => query.cursor = Some(cursor(&value)?),
            "kind" => query.kind = Some(value.into_owned()),
            "user" => {
                let user = UserId::parse(value.as_ref())
                    .map_err(|e| ApiError::bad_request(format!("`user`: {e}")))?;
                query.user = Some(user);
            }
            "from" => query.from = Some(parse_time("from", &value)?),
            "to" => query.to = Some(parse_time("to", &value)?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{other}`; use limit, cursor, kind, user, from, to"
                )))
            }
        }
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from >= to {
            return Err(ApiError::bad_request("`from` must be before `to`"));
        }
    }
    Ok(query)
}

//! The one place a request becomes a principal. Every data route goes through
//! [`authenticate`]; a route that does not cannot see tenant data, because every
//! registry read is keyed by the principal's account.

use lambda_http::Request;

use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::{Principal, TokenError, TokenKey};

use crate::error::ApiError;

/// The principal of a request carrying `Authorization: Bearer <token>`.
pub fn authenticate(request: &Request, key: &TokenKey, now: Millis) -> Result<Principal, ApiError> {
    let header = request.headers().get("authorization").ok_or_else(|| {
        ApiError::unauthorized("missing Authorization header: send `Authorization: Bearer <token>`")
    })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be `Bearer <token>`"))?;
    key.verify(token.trim(), now).map_err(|error| match error {
        TokenError::Expired => ApiError::unauthorized("token expired; log in again"),
        TokenError::Malformed | TokenError::BadSignature => {
            ApiError::unauthorized("token is invalid")
        }
    })
}

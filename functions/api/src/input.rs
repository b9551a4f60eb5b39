//! Rules for fields of request bodies and queries that several routes share.

use serde::{Deserialize, Deserializer};

use fieldcloud::domain::record::Millis;

use crate::error::ApiError;

/// A display name: `name`, or `fallback` when left out; 1 to 100 printable characters.
pub fn display_name(name: Option<String>, fallback: &str) -> Result<String, ApiError> {
    let name = name.unwrap_or_else(|| fallback.to_owned());
    if name.trim().is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "`name` must be 1 to 100 printable characters",
        ));
    }
    Ok(name)
}

/// `Some(None)` for a field sent as `null`, `None` for one left out.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A time as milliseconds since the epoch or an RFC 3339 timestamp with its offset.
pub fn parse_time(name: &str, value: &str) -> Result<Millis, ApiError> {
    if let Ok(millis) = value.parse::<i64>() {
        return Ok(Millis(millis));
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| Millis(t.timestamp_millis()))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "`{name}` must be milliseconds since the epoch or an RFC 3339 time like 2026-11-21T09:00:00+08:00, got `{value}`"
            ))
        })
}

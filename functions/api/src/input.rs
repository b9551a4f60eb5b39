//! Rules for fields of request bodies and queries that several routes share.

use lambda_http::{Body, Request};

use fieldcloud::domain::ids::{
    AlarmId, AppId, CalcId, FileAlarmId, FileId, GroupId, InstrumentSerial, JobId, UserId,
};
use fieldcloud::domain::inbox::NotificationId;
use fieldcloud::domain::record::Millis;

use crate::error::ApiError;

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

/// The largest request body any route takes but the logo's.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The request body as JSON of type `T`; serde's message names the field and what it
/// expected.
pub fn json_body<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    json_body_up_to(request, MAX_BODY_BYTES)
}

/// [`json_body`] for a route that takes larger bodies, up to `max_bytes`.
pub fn json_body_up_to<T: serde::de::DeserializeOwned>(
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

pub fn user_id(text: &str) -> Result<UserId, ApiError> {
    UserId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn app_id(text: &str) -> Result<AppId, ApiError> {
    AppId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn serial_id(text: &str) -> Result<InstrumentSerial, ApiError> {
    InstrumentSerial::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn alarm_id(text: &str) -> Result<AlarmId, ApiError> {
    AlarmId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn file_alarm_id(text: &str) -> Result<FileAlarmId, ApiError> {
    FileAlarmId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn file_id(text: &str) -> Result<FileId, ApiError> {
    FileId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn job_id(text: &str) -> Result<JobId, ApiError> {
    JobId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn calc_id(text: &str) -> Result<CalcId, ApiError> {
    CalcId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn group_id(text: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// A notification's ID: dots and all, as the inbox lists it.
pub fn notification_id(text: &str) -> Result<NotificationId, ApiError> {
    NotificationId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

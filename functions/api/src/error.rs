//! The one error shape every route answers with: `{"code": "...", "message": "..."}`.

use lambda_http::{Body, Response};
use serde_json::json;

use fieldcloud::ports::StoreError;

/// An error a route returns; `code` is stable for programs, `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "bad_request",
            message: message.into(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: 401,
            code: "unauthorized",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: 404,
            code: "not_found",
            message: message.into(),
        }
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError {
            status: 405,
            code: "method_not_allowed",
            message: message.into(),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        json_response(
            self.status,
            &json!({ "code": self.code, "message": self.message }),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        // Details go to the log, not to the caller.
        tracing::error!(%error, "storage failure");
        match error {
            StoreError::Unavailable(_) => ApiError {
                status: 503,
                code: "unavailable",
                message: "storage is unavailable; try again".into(),
            },
            StoreError::Corrupt(_) => ApiError {
                status: 500,
                code: "internal",
                message: "stored data could not be read".into(),
            },
        }
    }
}

/// A JSON response with the given status.
pub fn json_response(status: u16, body: &serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))
        .expect("status and header are valid")
}

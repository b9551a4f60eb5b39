//! The one error shape every route answers with: `{"code": "...", "message": "..."}`.

use lambda_http::{Body, Response};
use schemars::JsonSchema;
use serde::Serialize;

use fieldcloud::domain::expr::ExprError;
use fieldcloud::ports::StoreError;
use fieldcloud::usecases::Refused;

/// An error a route returns; `code` is stable for programs, `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Where in the submitted expression the problem is (a character index), for the
    /// portal to underline.
    pub position: Option<usize>,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "bad_request",
            message: message.into(),
            position: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: 401,
            code: "unauthorized",
            message: message.into(),
            position: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: 404,
            code: "not_found",
            message: message.into(),
            position: None,
        }
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError {
            status: 405,
            code: "method_not_allowed",
            message: message.into(),
            position: None,
        }
    }

    /// A refused request the caller can fix: a conflict with what is stored, or a limit.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: 409,
            code,
            message: message.into(),
            position: None,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError {
            status: 403,
            code: "forbidden",
            message: message.into(),
            position: None,
        }
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError {
            status: 413,
            code: "too_large",
            message: message.into(),
            position: None,
        }
    }

    /// A read that would take more work than one request may: 422 with what to narrow.
    pub fn too_much_data(message: impl Into<String>) -> Self {
        ApiError {
            status: 422,
            code: "too_much_data",
            message: message.into(),
            position: None,
        }
    }

    pub fn too_many(message: impl Into<String>) -> Self {
        ApiError {
            status: 429,
            code: "too_many_attempts",
            message: message.into(),
            position: None,
        }
    }

    /// A service the request needs did not answer; the same request may succeed later.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: 503,
            code: "unavailable",
            message: message.into(),
            position: None,
        }
    }

    /// A fault of this service, not of the request.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: 500,
            code: "internal",
            message: message.into(),
            position: None,
        }
    }

    pub fn invalid_expression(error: &ExprError) -> Self {
        ApiError {
            status: 400,
            code: "invalid_expression",
            message: error.to_string(),
            position: Some(error.position()),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let body = ErrorBody {
            code: self.code,
            message: &self.message,
            position: self.position,
        };
        let body = serde_json::to_value(body).expect("an error body serializes");
        json_response(self.status, &body)
    }
}

/// What an error answers.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ErrorBody<'a> {
    /// What went wrong, for programs: `bad_request`, `not_found`, `forbidden`…
    code: &'a str,
    /// What went wrong, for people.
    message: &'a str,
    /// Where in an expression the fault is, in characters from its start.
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<usize>,
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
                position: None,
            },
            StoreError::Corrupt(_) => ApiError {
                status: 500,
                code: "internal",
                message: "stored data could not be read".into(),
                position: None,
            },
        }
    }
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        let message = refused.to_string();
        match refused {
            Refused::Invalid(_) => ApiError::bad_request(message),
            Refused::Expression(error) => ApiError::invalid_expression(&error),
            Refused::NotAuthenticated(_) => ApiError::unauthorized(message),
            Refused::NotAllowed(_) => ApiError::forbidden(message),
            Refused::NotFound(_) => ApiError::not_found(message),
            Refused::LimitReached { .. } => ApiError::conflict("limit_reached", message),
            Refused::Conflict { kind, .. } => ApiError::conflict(kind.code(), message),
            Refused::TooMany(_) => ApiError::too_many(message),
            Refused::TooMuchData(_) => ApiError::too_much_data(message),
            Refused::Unavailable(_) => ApiError::unavailable(message),
            Refused::Store(error) => ApiError::from(error),
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

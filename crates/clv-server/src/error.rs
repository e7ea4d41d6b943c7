//! The API's errors: a status and a message for the client, never a path
//! or a stack trace.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error: String,
}

/// An error the API answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request or its data is wrong; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token.
    #[error("this call needs a token: send the header Authorization: Bearer TOKEN")]
    Unauthorized,
    /// 403: a wrong token.
    #[error("the token is not valid")]
    Forbidden,
    /// 404: nothing by that name.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the state (a name taken, a dataset in use).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// 500: an internal failure; the details go to the server's log only.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// An internal failure: logged on stderr, answered as "internal error".
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(what.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            eprintln!("clv serve: internal error: {detail}");
        }
        let mut resp = (
            self.status(),
            Json(ErrorBody {
                error: self.to_string(),
            }),
        )
            .into_response();
        if matches!(self, ApiError::Unauthorized) {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(format!("database: {e}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::internal(format!("io: {e}"))
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

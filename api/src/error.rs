//! Error answers: PMS envelopes (HTTP 200 with `errors`, as PMS does) on the PMS-compatible
//! paths, RFC 9457 problem+json on the native ones; 401/403 carry the kernel auth codes
//! KER-ATH-401 / KER-ATH-403. Database errors never reach the client: they are logged and
//! answered as a 500 without internals, except a value the database cannot store (SQLSTATE
//! class 22, e.g. a NUL character in text), which is the client's mistake: 400 on the native
//! paths, `PMS_COR_001` on the PMS ones.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use pmsflow_core::codes::{self, Code};
use pmsflow_core::envelope::{ResponseWrapper, ServiceError};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

/// An error on a PMS-compatible path.
#[derive(Debug)]
pub enum PmsError {
    /// A business or validation error: HTTP 200, `errors: [{errorCode, message}]`.
    Business(ServiceError),
    /// Several at once, as PMS's validators report them (`FilterColumnValidator`): HTTP 200,
    /// `errors` listing each.
    BusinessAll(Vec<ServiceError>),
    /// Missing or invalid token: HTTP 401, KER-ATH-401.
    Unauthenticated,
    /// Role not allowed: HTTP 403, KER-ATH-403.
    Forbidden,
    /// A refusal with its own HTTP status and code (a cross-site request with the session
    /// cookie: 403 `PMSFLOW_CROSS_SITE`; a body that is not JSON: 415 `PMSFLOW_MEDIA_TYPE`).
    Refused(StatusCode, Code),
    /// Internal failure (logged): HTTP 500, PMS_PRT_500.
    Internal(String),
}

impl PmsError {
    /// A business error: `code` of the catalogue with a message of the caller's (PMS builds
    /// some messages from the request).
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self::Business(ServiceError::new(code.code, message))
    }

    /// A business error with the catalogue's message for `code`.
    pub fn of(code: Code) -> Self {
        Self::new(code, code.message)
    }
}

impl From<ServiceError> for PmsError {
    fn from(e: ServiceError) -> Self {
        Self::Business(e)
    }
}

/// A client value the database refused (SQLSTATE class 22, "data exception": a NUL
/// character in text, a number out of range ...), as opposed to a failure of ours.
fn is_data_exception(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code.starts_with("22"))
}

impl From<sqlx::Error> for PmsError {
    fn from(e: sqlx::Error) -> Self {
        if is_data_exception(&e) {
            tracing::info!(error = %e, "request value refused by the database");
            return Self::Business(pmsflow_core::envelope::invalid_parameter(
                "request",
                "a value holds a character or number that cannot be stored",
            ));
        }
        Self::Internal(e.to_string())
    }
}

fn envelope(status: StatusCode, err: ServiceError) -> Response {
    envelope_all(status, vec![err])
}

fn envelope_all(status: StatusCode, errors: Vec<ServiceError>) -> Response {
    let body: ResponseWrapper<()> =
        ResponseWrapper::error(None, None, errors, OffsetDateTime::now_utc());
    (status, Json(body)).into_response()
}

impl IntoResponse for PmsError {
    fn into_response(self) -> Response {
        match self {
            Self::Business(e) => envelope(StatusCode::OK, e),
            Self::BusinessAll(errors) => envelope_all(StatusCode::OK, errors),
            Self::Unauthenticated => envelope(
                StatusCode::UNAUTHORIZED,
                ServiceError::new(codes::KER_ATH_401.code, codes::KER_ATH_401.message),
            ),
            Self::Forbidden => envelope(
                StatusCode::FORBIDDEN,
                ServiceError::new(codes::KER_ATH_403.code, codes::KER_ATH_403.message),
            ),
            Self::Refused(status, code) => {
                envelope(status, ServiceError::new(code.code, code.message))
            }
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                envelope(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ServiceError::new(codes::PMS_PRT_500.code, codes::PMS_PRT_500.message),
                )
            }
        }
    }
}

/// A problem+json error of the native API.
#[derive(Debug)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Short title.
    pub title: &'static str,
    /// Detail for the caller.
    pub detail: String,
    /// MOSIP/PMS error code, when one applies.
    pub code: Option<String>,
    /// Run concerned, when one applies.
    pub run_id: Option<Uuid>,
}

impl Problem {
    /// A problem with status, title and detail.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            code: None,
            run_id: None,
        }
    }

    /// 401.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "a valid bearer token is required",
        )
        .with_code(codes::KER_ATH_401)
    }

    /// 403.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the token's roles do not allow this",
        )
        .with_code(codes::KER_ATH_403)
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Not Found",
            format!("{what} not found"),
        )
    }

    /// 410 `PMSFLOW_RUN_PRUNED`: a run the `run-retention` sweep deleted.
    pub fn pruned(id: Uuid) -> Self {
        Self::new(
            StatusCode::GONE,
            "Gone",
            format!("run {id} ended more than engine.retention_days ago and was pruned"),
        )
        .with_code(codes::PMSFLOW_RUN_PRUNED)
    }

    /// 400 `PMS_COR_001`: a body that is not JSON of the expected shape.
    pub fn bad_body(e: serde_json::Error) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Invalid request", e.to_string())
            .with_code(codes::PMS_COR_001)
    }

    /// 422 `PMS_COR_001`: a well-formed body with a value that is not allowed.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request", detail)
            .with_code(codes::PMS_COR_001)
    }

    /// Attach an error code of the catalogue.
    pub fn with_code(mut self, code: Code) -> Self {
        self.code = Some(code.code.to_owned());
        self
    }

    /// A 422 carrying a PMS validation error.
    pub fn from_service(e: ServiceError) -> Self {
        let status = match e.error_code.as_str() {
            c if c == codes::PMS_PRT_051.code || c == codes::PMS_PRT_011.code => {
                StatusCode::CONFLICT
            }
            c if c == codes::PMS_PRT_055.code => StatusCode::FORBIDDEN,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut p = Self::new(status, "Invalid request", e.message);
        p.code = Some(e.error_code);
        p
    }
}

/// The JSON body of a native or console request ([`Problem::bad_body`] when it does not
/// parse): the one body parser of the problem+json surfaces, as
/// `crate::pms::envelope::envelope` is the PMS surface's.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(Problem::bad_body)
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        if is_data_exception(&e) {
            tracing::info!(error = %e, "request value refused by the database");
            return Self::new(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "a value of the request holds a character or number that cannot be stored (e.g. a NUL character)",
            );
        }
        tracing::error!(error = %e, "database error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "the request could not be processed",
        )
    }
}

impl From<PmsError> for Problem {
    fn from(e: PmsError) -> Self {
        match e {
            PmsError::Business(s) => Self::from_service(s),
            // A problem carries one code: the first.
            PmsError::BusinessAll(errors) => errors.into_iter().next().map_or_else(
                || Self::new(StatusCode::BAD_REQUEST, "Bad Request", "invalid request"),
                Self::from_service,
            ),
            PmsError::Unauthenticated => Self::unauthenticated(),
            PmsError::Forbidden => Self::forbidden(),
            PmsError::Refused(status, code) => {
                Self::new(status, "Refused", code.message).with_code(code)
            }
            PmsError::Internal(d) => {
                tracing::error!(detail = %d, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                    "the request could not be processed",
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(code) = self.code {
            body["code"] = json!(code);
        }
        if let Some(run) = self.run_id {
            body["runId"] = json!(run);
        }
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

//! CSRF protection of cookie sessions: a state-changing request authenticated by the
//! `Authorization` cookie must carry `X-CSRF-Token` = base64url(HMAC-SHA256(csrf key, session
//! token)), which only a page that read `GET /v1/admin/session` knows. Bearer callers are not
//! asked: a browser never attaches that header by itself.

use axum::http::{request::Parts, StatusCode};
use pmsflow_core::codes;

use crate::error::Problem;
use crate::state::AppState;

/// Header carrying the CSRF token of a cookie session.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The request carries the `X-CSRF-Token` of cookie session `token`; 403 `PMSFLOW_CSRF`
/// otherwise.
pub(crate) fn check_csrf_of(parts: &Parts, state: &AppState, token: &str) -> Result<(), Problem> {
    let presented = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if state.console.csrf_ok(token, presented) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "missing or wrong X-CSRF-Token header (read it from GET /v1/admin/session)",
        )
        .with_code(codes::PMSFLOW_CSRF))
    }
}

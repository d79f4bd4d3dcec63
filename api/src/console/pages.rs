//! The operator console's pages and its dev sign-in.
//!
//! - `GET /console` and its screens `/console/runs`, `/console/runs/{id}`,
//!   `/console/bulk/{id}`, `/console/schedules`, `/console/audit`: the single-page console
//!   (`api/console/`, built into the binary; it reads and acts through `/v1/admin/...`, see
//!   [`crate::console::api`]).
//! - `GET /console/assets/console.js|console.css`.
//! - `GET /console/login`: the dev sign-in form (`auth.mode = "dev"`), or a redirect to
//!   `console.login_url`, the IdP's login page (`jwks` mode).
//! - `POST /console/login` (form `username`, `role`): dev mode only; sets the `Authorization`
//!   cookie (HttpOnly, SameSite=Strict) with a dev token carrying the realm role mapped to the
//!   console role, then `303` to `/console`.
//! - `POST /console/logout`: clears the cookie (CSRF-checked).
//!
//! Who may see and do what is decided in [`crate::access`] (console roles, CSRF).

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use pmsflow_core::operator::ConsoleRole;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::console::{posted_cross_site, valid_user_id};
use crate::access::transport::{over_https, redirect_with_session, session_cookie};
use crate::access::ConsoleCsrf;
use crate::services::html::{page, HTML as PAGE};
use crate::state::AppState;

const INDEX_HTML: &str = include_str!("../../console/index.html");
const LOGIN_HTML: &str = include_str!("../../console/login.html");
const CONSOLE_JS: &str = include_str!("../../console/console.js");
const CONSOLE_CSS: &str = include_str!("../../console/console.css");

/// Routes of the console pages.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(runs_page))
        .routes(routes!(run_page))
        .routes(routes!(bulk_page))
        .routes(routes!(schedules_page))
        .routes(routes!(audit_page))
        .routes(routes!(script))
        .routes(routes!(style))
        .routes(routes!(login_page, login))
        .routes(routes!(logout))
}

/// The console's overview screen (the single-page app's shell).
#[utoipa::path(get, path = "/console", tag = "console",
    responses((status = 200, description = "HTML shell of the console; it signs in at `/console/login` when `/v1/admin/session` answers 401.", content_type = "text/html", body = String)))]
async fn index() -> Response {
    page(PAGE, INDEX_HTML)
}

/// The runs screen (filters in the query string).
#[utoipa::path(get, path = "/console/runs", tag = "console",
    responses((status = 200, description = "HTML shell of the console.", content_type = "text/html", body = String)))]
async fn runs_page() -> Response {
    page(PAGE, INDEX_HTML)
}

/// The run detail screen.
#[utoipa::path(get, path = "/console/runs/{id}", tag = "console",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, description = "HTML shell of the console.", content_type = "text/html", body = String)))]
async fn run_page() -> Response {
    page(PAGE, INDEX_HTML)
}

/// The bulk action progress screen.
#[utoipa::path(get, path = "/console/bulk/{id}", tag = "console",
    params(("id" = String, Path, description = "Bulk action id")),
    responses((status = 200, description = "HTML shell of the console.", content_type = "text/html", body = String)))]
async fn bulk_page() -> Response {
    page(PAGE, INDEX_HTML)
}

/// The schedules screen.
#[utoipa::path(get, path = "/console/schedules", tag = "console",
    responses((status = 200, description = "HTML shell of the console.", content_type = "text/html", body = String)))]
async fn schedules_page() -> Response {
    page(PAGE, INDEX_HTML)
}

/// The operator audit log screen.
#[utoipa::path(get, path = "/console/audit", tag = "console",
    responses((status = 200, description = "HTML shell of the console.", content_type = "text/html", body = String)))]
async fn audit_page() -> Response {
    page(PAGE, INDEX_HTML)
}

/// The console's script.
#[utoipa::path(get, path = "/console/assets/console.js", tag = "console",
    responses((status = 200, description = "JavaScript.", content_type = "text/javascript", body = String)))]
async fn script() -> Response {
    page("text/javascript; charset=utf-8", CONSOLE_JS)
}

/// The console's style sheet.
#[utoipa::path(get, path = "/console/assets/console.css", tag = "console",
    responses((status = 200, description = "CSS.", content_type = "text/css", body = String)))]
async fn style() -> Response {
    page("text/css; charset=utf-8", CONSOLE_CSS)
}

/// The sign-in page: the dev form, or a redirect to the IdP (`console.login_url`, jwks mode).
#[utoipa::path(get, path = "/console/login", tag = "console",
    responses((status = 200, description = "HTML sign-in form (dev mode).", content_type = "text/html", body = String),
        (status = 303, description = "Redirect to the IdP's login page (jwks mode with `console.login_url`).")))]
async fn login_page(State(state): State<AppState>) -> Response {
    if !state.auth.is_dev() && !state.console.login_url.is_empty() {
        return Redirect::to(&state.console.login_url).into_response();
    }
    page(PAGE, LOGIN_HTML)
}

/// Form of `POST /console/login`.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// User id, 1..=64 of `A-Z a-z 0-9 . _ @ -`.
    pub username: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// The server's `auth.dev_secret`; needed unless it is the published default.
    #[serde(default)]
    pub secret: String,
}

/// Dev sign-in: sets the session cookie and redirects to the console.
#[utoipa::path(post, path = "/console/login", tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`username` (1..=64 of `A-Z a-z 0-9 . _ @ -`), `role` (`viewer`, `operator`, `admin`), `secret` (the server's `auth.dev_secret`, unless it is the published default)."),
    responses((status = 303, description = "Signed in: `Set-Cookie: Authorization=<dev token>; HttpOnly; SameSite=Strict` (and `Secure` when `X-Forwarded-Proto: https`), then `/console`; or `/console/login?error=1` for a bad form, a wrong dev secret, a post from another site, or outside dev mode."),
        (status = 429, description = "More sign-ins this minute than `console.dev_sign_ins_per_minute` (all users together): no body, `Retry-After: 60`.",
            headers(("Retry-After" = u32, description = "Seconds to wait.")))))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let failed = || Redirect::to("/console/login?error=1").into_response();
    if let Some(throttled) = state.console.sign_in_throttled() {
        return throttled;
    }
    let cross_site = posted_cross_site(&headers);
    let Ok(Form(form)) = form else {
        return failed();
    };
    if cross_site || !state.console.dev_login_ok(&form.secret) {
        tracing::warn!(user = %form.username, cross_site, "console dev sign-in refused");
        return failed();
    }
    let name_ok = valid_user_id(&form.username);
    let role = ConsoleRole::parse(&form.role);
    let realm_role = role.and_then(|r| state.console.mapping.realm_role_for(r));
    let (true, Some(realm_role)) = (name_ok, realm_role) else {
        return failed();
    };
    // `mint` answers only in dev mode: with an IdP, sign-in happens there.
    let Some(token) = state.auth.mint(
        &form.username,
        &[realm_role.to_owned()],
        state.console.dev_session,
    ) else {
        return failed();
    };
    let r = redirect_with_session(
        "/console",
        &token,
        state.console.dev_session.as_secs(),
        &headers,
    );
    tracing::info!(user = %form.username, role = %form.role, "console dev sign-in");
    r
}

/// Sign out: the session token is refused from now on, on every replica, until it expires
/// (`revoked_session`), and the cookie is cleared (needs `X-CSRF-Token`).
#[utoipa::path(post, path = "/console/logout", tag = "console",
    responses((status = 204, description = "Signed out: the token no longer authenticates anything."),
        (status = 500, description = "The revocation could not be recorded (the session stays valid)."),
        (status = 401, description = "No session.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "No console role, or missing CSRF token.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json")))]
async fn logout(
    State(state): State<AppState>,
    ConsoleCsrf(caller): ConsoleCsrf,
    headers: HeaderMap,
) -> Response {
    // The token itself stops working, not only the browser's copy of it.
    if let Err(e) =
        pmsflow_store::sessions::revoke(&state.pool, &caller.token, caller.user.expires_at).await
    {
        tracing::error!(error = %e, "sign-out could not revoke the session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, over_https(&headers)),
    );
    r
}

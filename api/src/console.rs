//! The operator console's pages and its access rules.
//!
//! - `GET /console` and its screens `/console/runs`, `/console/runs/{id}`,
//!   `/console/bulk/{id}`, `/console/schedules`, `/console/audit`: the single-page console
//!   (`api/console/`, built into the binary; it reads and acts through `/v1/admin/...`, see
//!   [`crate::admin`]).
//! - `GET /console/assets/console.js|console.css`.
//! - `GET /console/login`: the dev sign-in form (`auth.mode = "dev"`), or a redirect to
//!   `console.login_url`, the IdP's login page (`jwks` mode).
//! - `POST /console/login` (form `username`, `role`): dev mode only; sets the `Authorization`
//!   cookie (HttpOnly, SameSite=Strict) with a dev token carrying the realm role mapped to the
//!   console role, then `303` to `/console`.
//! - `POST /console/logout`: clears the cookie (CSRF-checked).
//!
//! Access: [`ConsoleCaller`] maps the token's realm roles to a console role (`[console]`
//! `viewer_roles` / `operator_roles` / `admin_roles`; none: `403`). [`ConsoleOperator`] and
//! [`ConsoleAdmin`] also require the role's rights and, for a cookie session, the CSRF token:
//! header `X-CSRF-Token` = base64url(HMAC-SHA256(csrf key, session token)), which only a page
//! that read `GET /v1/admin/session` knows. Bearer-token callers (scripts) need no CSRF token,
//! since a browser never attaches one by itself.

use std::sync::Arc;
use std::time::Duration;

use axum::{
    extract::{FromRequestParts, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Form, Router,
};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use pmsflow_core::operator::{ConsoleRole, RoleMapping};
use serde::Deserialize;
use sha2::Sha256;

use crate::auth::{token_with_source, AuthUser, TokenSource};
use crate::error::Problem;
use crate::state::AppState;

const INDEX_HTML: &str = include_str!("../console/index.html");
const LOGIN_HTML: &str = include_str!("../console/login.html");
const CONSOLE_JS: &str = include_str!("../console/console.js");
const CONSOLE_CSS: &str = include_str!("../console/console.css");

/// Header carrying the CSRF token of a cookie session.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Console access settings, shared by every handler.
pub struct ConsoleAccess {
    /// Realm role → console role.
    pub mapping: RoleMapping,
    csrf_key: [u8; 32],
    /// IdP login page (`jwks` mode).
    pub login_url: String,
    /// Lifetime of a dev sign-in.
    pub dev_session: Duration,
    /// Runs per transaction of a bulk action.
    pub bulk_batch: u32,
    /// HMAC (CSRF key) of the dev secret the sign-in form asks for; `None` when the form asks
    /// for none (the published default dev secret, which only works with the sandbox).
    dev_login_tag: Option<Vec<u8>>,
}

impl std::fmt::Debug for ConsoleAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleAccess")
            .field("mapping", &self.mapping)
            .field("login_url", &self.login_url)
            .finish_non_exhaustive()
    }
}

impl ConsoleAccess {
    /// Access rules from `[console]`: an empty `csrf_secret` gives a random key.
    pub fn new(
        mapping: RoleMapping,
        csrf_secret: &str,
        login_url: &str,
        dev_session: Duration,
        bulk_batch: u32,
    ) -> Self {
        let csrf_key = if csrf_secret.is_empty() {
            rand::random()
        } else {
            use sha2::Digest;
            Sha256::digest(csrf_secret.as_bytes()).into()
        };
        Self {
            mapping,
            csrf_key,
            login_url: login_url.to_owned(),
            dev_session,
            bulk_batch: bulk_batch.max(1),
            dev_login_tag: None,
        }
    }

    /// Make the dev sign-in form ask for `dev_secret` (the server's `auth.dev_secret`), unless
    /// it is the published default: whoever signs in could otherwise mint any token.
    pub fn with_dev_secret(mut self, dev_secret: &str) -> Self {
        self.dev_login_tag = (dev_secret != pmsflow_store::config::DEFAULT_DEV_SECRET)
            .then(|| self.keyed(dev_secret).finalize().into_bytes().to_vec());
        self
    }

    /// HMAC-SHA256 of `data` under the CSRF key (finalise it, or verify a tag with it in
    /// constant time).
    fn keyed(&self, data: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.csrf_key)
            .expect("HMAC accepts keys of any length");
        mac.update(data.as_bytes());
        mac
    }

    /// Does `presented` open the dev sign-in form? Always with the default dev secret;
    /// otherwise only the server's dev secret (compared in constant time).
    fn dev_login_ok(&self, presented: &str) -> bool {
        match &self.dev_login_tag {
            None => true,
            Some(tag) => self.keyed(presented).verify_slice(tag).is_ok(),
        }
    }

    /// The CSRF token of session `token`.
    pub fn csrf_token(&self, token: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.keyed(token).finalize().into_bytes())
    }

    fn csrf_ok(&self, token: &str, presented: &str) -> bool {
        let Ok(tag) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(presented) else {
            return false;
        };
        // Constant-time comparison.
        self.keyed(token).verify_slice(&tag).is_ok()
    }
}

/// Routes of the console pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(index))
        .route("/console/assets/console.js", get(script))
        .route("/console/assets/console.css", get(style))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", axum::routing::post(logout))
        .route("/console/runs", get(runs_page))
        .route("/console/runs/{id}", get(run_page))
        .route("/console/bulk/{id}", get(bulk_page))
        .route("/console/schedules", get(schedules_page))
        .route("/console/audit", get(audit_page))
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

const PAGE: &str = "text/html; charset=utf-8";

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
    page("text/html; charset=utf-8", LOGIN_HTML)
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

/// Did the request reach us over HTTPS (a TLS-terminating ingress says so in
/// `X-Forwarded-Proto`)? Then the session cookie is `Secure`; plain-HTTP dev keeps working.
fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

fn session_cookie(value: &str, max_age_s: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "Authorization={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Authorization=; Path=/; Max-Age=0"))
}

/// Dev sign-in: sets the session cookie and redirects to the console.
#[utoipa::path(post, path = "/console/login", tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`username` (1..=64 of `A-Z a-z 0-9 . _ @ -`), `role` (`viewer`, `operator`, `admin`), `secret` (the server's `auth.dev_secret`, unless it is the published default)."),
    responses((status = 303, description = "Signed in: `Set-Cookie: Authorization=<dev token>; HttpOnly; SameSite=Strict` (and `Secure` when `X-Forwarded-Proto: https`), then `/console`; or `/console/login?error=1` for a bad form, a wrong dev secret, a post from another site, or outside dev mode.")))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let failed = || Redirect::to("/console/login?error=1").into_response();
    // A form posted from another site would sign the victim in as the attacker's user.
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| !matches!(site, "same-origin" | "none"));
    let Ok(Form(form)) = form else {
        return failed();
    };
    if cross_site || !state.console.dev_login_ok(&form.secret) {
        tracing::warn!(user = %form.username, cross_site, "console dev sign-in refused");
        return failed();
    }
    let name_ok = (1..=64).contains(&form.username.len())
        && form
            .username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
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
    let mut r = Redirect::to("/console").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(
            &token,
            state.console.dev_session.as_secs(),
            over_https(&headers),
        ),
    );
    tracing::info!(user = %form.username, role = %form.role, "console dev sign-in");
    r
}

/// Sign out: clears the session cookie (needs `X-CSRF-Token`).
#[utoipa::path(post, path = "/console/logout", tag = "console",
    responses((status = 204, description = "Signed out."),
        (status = 401, description = "No session.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "No console role, or missing CSRF token.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json")))]
async fn logout(_caller: ConsoleCsrf, headers: HeaderMap) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, over_https(&headers)),
    );
    r
}

/// An authenticated caller with a console role.
#[derive(Debug, Clone)]
pub struct ConsoleCaller {
    /// The caller.
    pub user: AuthUser,
    /// Its console role.
    pub role: ConsoleRole,
    /// The session token (for the CSRF token).
    token: String,
    /// The token came from the cookie (a browser session), not a Bearer header.
    from_cookie: bool,
}

impl ConsoleCaller {
    /// The CSRF token the console must send with its actions.
    pub fn csrf_token(&self, access: &ConsoleAccess) -> String {
        access.csrf_token(&self.token)
    }
}

impl FromRequestParts<AppState> for ConsoleCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let (token, source) = token_with_source(parts).ok_or_else(Problem::unauthenticated)?;
        let from_cookie = source == TokenSource::Cookie;
        let user = state.auth.verify(&token).await.map_err(|e| {
            tracing::debug!(error = %e, "console authentication failed");
            Problem::unauthenticated()
        })?;
        let role = state
            .console
            .mapping
            .role_of(user.roles.iter().map(String::as_str))
            .ok_or_else(Problem::forbidden)?;
        Ok(Self {
            user,
            role,
            token,
            from_cookie,
        })
    }
}

fn check_csrf(parts: &Parts, state: &AppState, caller: &ConsoleCaller) -> Result<(), Problem> {
    if !caller.from_cookie {
        return Ok(());
    }
    check_csrf_of(parts, state, &caller.token)
}

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
        .with_code("PMSFLOW_CSRF"))
    }
}

/// A caller whose console role passes `allowed`, with the CSRF token of a cookie session.
async fn guarded(
    parts: &mut Parts,
    state: &AppState,
    allowed: fn(ConsoleRole) -> bool,
) -> Result<ConsoleCaller, Problem> {
    let caller = ConsoleCaller::from_request_parts(parts, state).await?;
    if !allowed(caller.role) {
        return Err(Problem::forbidden());
    }
    check_csrf(parts, state, &caller)?;
    Ok(caller)
}

/// Any console role, CSRF-checked (sign-out).
#[derive(Debug, Clone)]
pub struct ConsoleCsrf(pub ConsoleCaller);

impl FromRequestParts<AppState> for ConsoleCsrf {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        guarded(parts, state, |_| true).await.map(Self)
    }
}

/// A console operator or admin, CSRF-checked: may act on runs.
#[derive(Debug, Clone)]
pub struct ConsoleOperator(pub ConsoleCaller);

impl FromRequestParts<AppState> for ConsoleOperator {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        guarded(parts, state, ConsoleRole::can_act).await.map(Self)
    }
}

/// A console admin, CSRF-checked: may pause and resume schedules.
#[derive(Debug, Clone)]
pub struct ConsoleAdmin(pub ConsoleCaller);

impl FromRequestParts<AppState> for ConsoleAdmin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        guarded(parts, state, ConsoleRole::can_admin)
            .await
            .map(Self)
    }
}

/// Build the shared access rules from `[console]` and the dev secret of `[auth]`.
pub fn access(
    settings: &pmsflow_store::config::ConsoleSettings,
    auth: &pmsflow_store::config::AuthSettings,
) -> Arc<ConsoleAccess> {
    Arc::new(
        ConsoleAccess::new(
            RoleMapping {
                viewer_roles: settings.viewer_roles.clone(),
                operator_roles: settings.operator_roles.clone(),
                admin_roles: settings.admin_roles.clone(),
            },
            &settings.csrf_secret,
            &settings.login_url,
            Duration::from_secs(settings.dev_session_s.max(60)),
            settings.bulk_batch,
        )
        .with_dev_secret(&auth.dev_secret),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_form_asks_for_a_dev_secret_of_ones_own() {
        let new = || {
            ConsoleAccess::new(
                RoleMapping::default(),
                "k1",
                "",
                Duration::from_secs(60),
                50,
            )
        };
        let open = new().with_dev_secret(pmsflow_store::config::DEFAULT_DEV_SECRET);
        assert!(open.dev_login_ok(""));
        let closed = new().with_dev_secret("a-secret-of-our-own-0123");
        assert!(!closed.dev_login_ok(""));
        assert!(!closed.dev_login_ok("a-secret-of-our-own-012"));
        assert!(closed.dev_login_ok("a-secret-of-our-own-0123"));
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_the_key() {
        let a = ConsoleAccess::new(
            RoleMapping::default(),
            "k1",
            "",
            Duration::from_secs(60),
            50,
        );
        let b = ConsoleAccess::new(
            RoleMapping::default(),
            "k2",
            "",
            Duration::from_secs(60),
            50,
        );
        let t = a.csrf_token("session-1");
        assert!(a.csrf_ok("session-1", &t));
        assert!(!a.csrf_ok("session-2", &t));
        assert!(!b.csrf_ok("session-1", &t));
        assert!(!a.csrf_ok("session-1", ""));
        assert!(!a.csrf_ok("session-1", "not base64!"));
    }
}

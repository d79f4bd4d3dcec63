//! The partner portal's session calls, as PMS 1.2.0.1 answers them through MOSIP's
//! authcodeflowproxy (`kernel-authcodeflowproxy-api` `LoginController`, mounted under
//! `/v1/partnermanager`):
//!
//! - `GET /authorize/admin/validateToken`: who the session is. HTTP 200 with
//!   `response: {userId, mobile, mail, langCode, userPassword, name, role, rid, token}`, `role`
//!   each realm role followed by a comma (`"AUTH_PARTNER,"`: the portal drops the last piece
//!   of the split), `token` the session JWT, whose profile claims (`email`,
//!   `organizationName`, `addressTest`, `phoneNumber`, `partnerType`, `langCode`, `locale`)
//!   the portal decodes. Without a session: HTTP 401 (the portal then sends the browser to
//!   `login`) with `KER-ATH-006` (no cookie at all), `KER-ATH-007` (no `Authorization`
//!   cookie) or `KER-ATH-401` (a token that is invalid, expired or signed out).
//! - `GET /login/{base64 return URL}?state={uuid}`: in dev mode (`auth.mode = "dev"`) the
//!   sign-in page (user, realm roles, profile claims, the dev secret); `POST` of that form
//!   sets the `Authorization` cookie and sends the browser back. With an IdP (`jwks` mode)
//!   pmsflow does not run the authorization-code flow: `PMSFLOW_LOGIN_AT_IDP` names the IdP's
//!   login page (`console.login_url`).
//! - `GET /logout/user?redirecturi={base64}`: the session token is revoked on every replica
//!   ([`pmsflow_store::sessions`]), the cookie cleared, the browser sent back.
//!
//! A return URL must be on this server's origin or one of `portal.origins`
//! ([`PortalAccess::return_url`](crate::access::PortalAccess::return_url)), else
//! `KER-ACP-009`; `state` must be a UUID (`KER-ACP-010` missing, `KER-ACP-011` not a UUID).
//! These errors are PMS envelopes with HTTP 200, as the authcodeflowproxy answers them.

use axum::{
    extract::{Path, Query, State},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Form, Json,
};
use base64::Engine as _;
use pmsflow_core::codes::{self, Code};
use pmsflow_core::envelope::ResponseWrapper;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::console::{posted_cross_site, valid_user_id};
use crate::access::token::token_with_source;
use crate::access::transport::redirect_with_session;
use crate::access::{verify_session, Profile};
use crate::error::PmsError;
use crate::services::html::{page, HTML};
use crate::state::AppState;

const LOGIN_HTML: &str = include_str!("../../portal/login.html");

/// Profile claims the sign-in form sets (those MOSIP's partner portal reads).
pub const PROFILE_CLAIMS: [&str; 7] = [
    "email",
    "organizationName",
    "addressTest",
    "phoneNumber",
    "partnerType",
    "langCode",
    "locale",
];

/// Realm roles one dev sign-in may carry.
const MAX_ROLES: usize = 16;

/// Routes of the session calls.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(validate_token))
        .routes(routes!(portal_login_page, portal_login))
        .routes(routes!(portal_logout))
}

/// The signed-in user, as MOSIP's authmanager describes it (`MosipUserDto`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MosipUser {
    /// The user id (`preferred_username`, else `sub`); a partner's id.
    pub user_id: String,
    /// `mobile` claim, else `phoneNumber`.
    pub mobile: Option<String>,
    /// `email` claim.
    pub mail: Option<String>,
    /// Always null, as 1.2.0.1's authmanager leaves it.
    pub lang_code: Option<String>,
    /// Always null.
    pub user_password: Option<String>,
    /// The user id again (authmanager's `name` is `preferred_username`).
    pub name: String,
    /// Each realm role followed by a comma: `"PARTNER_ADMIN,POLICYMANAGER,"`.
    pub role: String,
    /// `rid` claim (null for partners). Spelt `rid`, as Jackson writes `MosipUserDto.rId`.
    pub rid: Option<String>,
    /// The session token itself (the portal decodes its profile claims).
    pub token: String,
}

/// The payload claims of a token that was verified before (JSON object; empty when it does
/// not decode).
fn payload_claims(token: &str) -> Map<String, Value> {
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Who the session is.
///
/// `GET /v1/partnermanager/authorize/admin/validateToken` (authcodeflowproxy
/// `LoginController#validateAdminToken`): any valid session, whatever its roles.
#[utoipa::path(get, path = "/v1/partnermanager/authorize/admin/validateToken", tag = "portal",
    responses((status = 200, description = "`response`: the user (`MosipUserDto`), `errors: []`.", body = crate::openapi::schemas::PmsResponse<MosipUser>),
        (status = 401, description = "No session: `KER-ATH-006` (no cookie), `KER-ATH-007` (no `Authorization` cookie or bearer token), `KER-ATH-401` (invalid, expired or signed out).", body = crate::openapi::schemas::PmsErrorEnvelope)),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn validate_token(State(state): State<AppState>, parts: Parts) -> Response {
    let Some((token, _)) = token_with_source(&parts) else {
        let code = if parts.headers.contains_key(header::COOKIE) {
            codes::KER_ATH_007
        } else {
            codes::KER_ATH_006
        };
        return PmsError::Refused(StatusCode::UNAUTHORIZED, code).into_response();
    };
    let user = match verify_session(&state, &token).await {
        Ok(user) => user,
        Err(e) => {
            tracing::debug!(error = %e, "validateToken: no valid session");
            return PmsError::Unauthenticated.into_response();
        }
    };
    let claims = payload_claims(&token);
    // The token's own order of roles (a set would shuffle them).
    let roles: Vec<String> = claims
        .get("realm_access")
        .and_then(|r| r.get("roles"))
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let body = MosipUser {
        mobile: claim(&claims, "mobile").or_else(|| claim(&claims, "phoneNumber")),
        mail: claim(&claims, "email"),
        lang_code: None,
        user_password: None,
        name: user.user_id.clone(),
        role: roles.iter().map(|r| format!("{r},")).collect(),
        rid: claim(&claims, "rid"),
        token,
        user_id: user.user_id,
    };
    Json(ResponseWrapper::ok(
        None,
        None,
        body,
        OffsetDateTime::now_utc(),
    ))
    .into_response()
}

/// Query of `login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// The portal's `uuid()` for this sign-in (checked as 1.2.0.1 checks it).
    pub state: Option<String>,
}

/// The return URL and state of a sign-in, checked: `Err` is the code to answer (HTTP 200).
fn checked_return(
    state: &AppState,
    redirect_uri: &str,
    query: &LoginQuery,
    headers: &HeaderMap,
) -> Result<url::Url, Code> {
    match query.state.as_deref().map(str::trim) {
        None | Some("") => return Err(codes::KER_ACP_010),
        // The canonical form only (`8-4-4-4-12` hex digits), as `UUID.fromString(s).toString()`.
        Some(s) if s.len() != 36 || uuid::Uuid::try_parse(s).is_err() => {
            return Err(codes::KER_ACP_011)
        }
        Some(_) => {}
    }
    state
        .portal
        .return_url(redirect_uri, headers)
        .ok_or_else(|| {
            tracing::warn!("portal sign-in refused a return URL outside the allowed origins");
            codes::KER_ACP_009
        })
}

/// The sign-in page.
///
/// `GET /v1/partnermanager/login/{redirectURI}?state={uuid}` (authcodeflowproxy
/// `LoginController#login`); `redirectURI` is the base64 of the portal's URL (it may contain
/// `/`). Public.
#[utoipa::path(get, path = "/v1/partnermanager/login/{*redirect_uri}", tag = "portal",
    params(("redirect_uri" = String, Path, description = "Base64 (`btoa`) of the URL to return to: on this server's origin or one of `portal.origins`."),
        ("state" = String, Query, description = "A UUID (the portal's `uuid()`).")),
    responses((status = 200, description = "Dev mode: the sign-in form (HTML). Otherwise a PMS error envelope: `KER-ACP-009` (return URL not allowed), `KER-ACP-010` / `KER-ACP-011` (state missing / not a UUID), `PMSFLOW_LOGIN_AT_IDP` (jwks mode: sign in at the IdP, `console.login_url`).",
        content((String = "text/html"), (crate::openapi::schemas::PmsErrorEnvelope = "application/json")))))]
async fn portal_login_page(
    State(state): State<AppState>,
    Path(redirect_uri): Path<String>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(code) = checked_return(&state, &redirect_uri, &query, &headers) {
        return PmsError::of(code).into_response();
    }
    if !state.auth.is_dev() {
        return at_idp(&state);
    }
    page(HTML, LOGIN_HTML)
}

/// jwks mode: the IdP signs users in, and pmsflow does not run the code flow.
fn at_idp(state: &AppState) -> Response {
    let login_url = &state.console.login_url;
    let message = if login_url.is_empty() {
        format!(
            "{} Set console.login_url to the IdP's login page.",
            codes::PMSFLOW_LOGIN_AT_IDP.message
        )
    } else {
        format!(
            "{} Sign in at {login_url}, then open the portal again.",
            codes::PMSFLOW_LOGIN_AT_IDP.message
        )
    };
    PmsError::new(codes::PMSFLOW_LOGIN_AT_IDP, message).into_response()
}

/// Form of the dev sign-in (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize)]
pub struct PortalLoginForm {
    /// User id, 1..=64 of `A-Z a-z 0-9 . _ @ -` (a partner's id).
    pub username: String,
    /// Comma-separated realm roles, 1..=16 of `A-Z a-z 0-9 _ -`.
    pub roles: String,
    /// The server's `auth.dev_secret`; needed unless it is the published default.
    #[serde(default)]
    pub secret: String,
    /// The profile claims ([`PROFILE_CLAIMS`]); empty ones are left out of the token.
    #[serde(flatten)]
    pub profile: std::collections::BTreeMap<String, String>,
}

fn valid_roles(roles: &str) -> Option<Vec<String>> {
    let roles: Vec<String> = roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let ok = (1..=MAX_ROLES).contains(&roles.len())
        && roles.iter().all(|r| {
            r.len() <= 64
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        });
    ok.then_some(roles)
}

/// Dev sign-in: sets the session cookie and sends the browser back.
///
/// `POST /v1/partnermanager/login/{redirectURI}?state={uuid}`, the form of the page above.
#[utoipa::path(post, path = "/v1/partnermanager/login/{*redirect_uri}", tag = "portal",
    params(("redirect_uri" = String, Path, description = "Base64 (`btoa`) of the URL to return to."),
        ("state" = String, Query, description = "A UUID.")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`username` (1..=64 of `A-Z a-z 0-9 . _ @ -`), `roles` (comma-separated realm roles), `secret` (the dev secret), profile claims `email`, `organizationName`, `addressTest`, `phoneNumber`, `partnerType`, `langCode`, `locale` (each at most 2,000 characters)."),
    responses((status = 303, description = "Signed in: `Set-Cookie: Authorization=<dev token>; HttpOnly; SameSite=Strict` (`Secure` over HTTPS), then the return URL."),
        (status = 200, description = "A PMS error envelope: `KER-ACP-009`, `KER-ACP-010`, `KER-ACP-011`, `PMSFLOW_LOGIN_AT_IDP` (not dev mode), `PMS_COR_001` (a bad form or dev secret, or a post from another site).", body = crate::openapi::schemas::PmsErrorEnvelope),
        (status = 429, description = "More sign-ins this minute than `console.dev_sign_ins_per_minute` (all users, console and portal together): `Retry-After: 60`.",
            headers(("Retry-After" = u32, description = "Seconds to wait.")))))]
async fn portal_login(
    State(state): State<AppState>,
    Path(redirect_uri): Path<String>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
    form: Result<Form<PortalLoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let back = match checked_return(&state, &redirect_uri, &query, &headers) {
        Ok(url) => url,
        Err(code) => return PmsError::of(code).into_response(),
    };
    if !state.auth.is_dev() {
        return at_idp(&state);
    }
    if let Some(throttled) = state.console.sign_in_throttled() {
        return throttled;
    }
    let failed = |why: &str| {
        PmsError::Business(pmsflow_core::envelope::invalid_parameter("request", why))
            .into_response()
    };
    let cross_site = posted_cross_site(&headers);
    let Ok(Form(form)) = form else {
        return failed("the sign-in form does not parse");
    };
    if cross_site || !state.console.dev_login_ok(&form.secret) {
        tracing::warn!(user = %form.username, cross_site, "portal dev sign-in refused");
        return failed("sign-in refused: wrong dev secret, or posted from another site");
    }
    let Some(roles) = valid_roles(&form.roles) else {
        return failed("roles must be 1 to 16 comma-separated names of A-Z a-z 0-9 _ -");
    };
    if !valid_user_id(&form.username) {
        return failed("the user id must be 1 to 64 of A-Z a-z 0-9 . _ @ -");
    }
    let profile: Profile = form
        .profile
        .into_iter()
        .filter(|(k, v)| PROFILE_CLAIMS.contains(&k.as_str()) && !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
    if profile.values().any(|v| v.chars().count() > 2000) {
        return failed("a profile claim is longer than 2000 characters");
    }
    let Some(token) =
        state
            .auth
            .mint_with_profile(&form.username, &roles, &profile, state.console.dev_session)
    else {
        return at_idp(&state);
    };
    tracing::info!(user = %form.username, roles = roles.len(), "portal dev sign-in");
    redirect_with_session(
        back.as_str(),
        &token,
        state.console.dev_session.as_secs(),
        &headers,
    )
}

/// Query of `logout/user`.
#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    /// Base64 (`btoa`) of the URL to return to.
    pub redirecturi: Option<String>,
}

/// Sign out and go back.
///
/// `GET /v1/partnermanager/logout/user?redirecturi={base64}` (authcodeflowproxy
/// `LoginController#logoutUser`, its offline variant): the session's token is refused from
/// now on, on every replica, until it expires; the cookie is cleared. Without a valid session
/// only the cookie is cleared.
#[utoipa::path(get, path = "/v1/partnermanager/logout/user", tag = "portal",
    params(("redirecturi" = String, Query, description = "Base64 (`btoa`) of the URL to return to: on this server's origin or one of `portal.origins`.")),
    responses((status = 303, description = "Signed out (`Set-Cookie: Authorization=; Max-Age=0`), then the return URL."),
        (status = 200, description = "`KER-ACP-009`: no return URL, or one outside the allowed origins (nothing changed).", body = crate::openapi::schemas::PmsErrorEnvelope),
        (status = 500, description = "The revocation could not be recorded (the session stays valid).", body = crate::openapi::schemas::PmsErrorEnvelope)))]
async fn portal_logout(
    State(state): State<AppState>,
    Query(query): Query<LogoutQuery>,
    parts: Parts,
) -> Response {
    let back = query
        .redirecturi
        .as_deref()
        .and_then(|b64| state.portal.return_url(b64, &parts.headers));
    let Some(back) = back else {
        tracing::warn!("portal sign-out refused a return URL outside the allowed origins");
        return PmsError::of(codes::KER_ACP_009).into_response();
    };
    if let Some((token, _)) = token_with_source(&parts) {
        if let Ok(user) = verify_session(&state, &token).await {
            if let Err(e) =
                pmsflow_store::sessions::revoke(&state.pool, &token, user.expires_at).await
            {
                return PmsError::from(e).into_response();
            }
            tracing::info!(user = %user.user_id, "portal sign-out");
        }
    }
    redirect_with_session(back.as_str(), "", 0, &parts.headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_users_are_checked() {
        assert_eq!(
            valid_roles("PARTNER_ADMIN, POLICYMANAGER,"),
            Some(vec!["PARTNER_ADMIN".into(), "POLICYMANAGER".into()])
        );
        assert_eq!(valid_roles(""), None);
        assert_eq!(valid_roles("A B"), None);
        assert_eq!(valid_roles(&"R,".repeat(17)), None);
        assert!(valid_user_id("mpartner-default-auth"));
        assert!(!valid_user_id("system:scheduler"));
        assert!(!valid_user_id(""));
    }

    #[test]
    fn claims_of_a_token_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"email":"a@b.org","realm_access":{"roles":["X"]}}"#);
        let claims = payload_claims(&format!("h.{payload}.s"));
        assert_eq!(claim(&claims, "email").as_deref(), Some("a@b.org"));
        assert!(payload_claims("not a token").is_empty());
    }
}

//! Request extractors that authenticate the caller and check what its surface asks:
//! [`PmsCaller`] (PMS envelopes on rejection), [`NativeCaller`] (problem+json, CSRF for
//! cookie sessions), and the console's [`ConsoleCaller`], [`ConsoleCsrf`],
//! [`ConsoleOperator`], [`ConsoleAdmin`] (console role from the realm roles, CSRF for cookie
//! sessions).

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, Method, StatusCode},
};
use pmsflow_core::codes;
use pmsflow_core::operator::ConsoleRole;

use super::console::ConsoleAccess;
use super::csrf::{check_csrf_of, is_json_body, same_origin};
use super::token::{token_of, token_with_source, AuthError, AuthUser, TokenSource};
use crate::error::{PmsError, Problem};
use crate::state::AppState;

/// `GET` and `HEAD` change nothing (no handler changes state on them).
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<AuthUser, AuthError> {
    let token = token_of(parts).ok_or(AuthError::Missing)?;
    verify_session(state, &token).await
}

/// `token` verified ([`Authenticator::verify`](super::token::Authenticator::verify)) and not
/// signed out ([`pmsflow_store::sessions`]).
pub async fn verify_session(state: &AppState, token: &str) -> Result<AuthUser, AuthError> {
    let user = state.auth.verify(token).await?;
    match pmsflow_store::sessions::is_revoked(&state.pool, token).await {
        Ok(false) => Ok(user),
        Ok(true) => Err(AuthError::Invalid("signed out".into())),
        Err(e) => {
            tracing::error!(error = %e, "session revocation lookup failed");
            Err(AuthError::Invalid("session lookup failed".into()))
        }
    }
}

/// A caller on a PMS path (rejections are PMS envelopes): no or a bad token is 401
/// `KER-ATH-401`; a state-changing request (not `GET` / `HEAD`) authenticated by the session
/// cookie must come from this origin or carry the `X-CSRF-Token` (403 `PMSFLOW_CROSS_SITE`
/// otherwise), and any request body must be JSON (415 `PMSFLOW_MEDIA_TYPE`).
#[derive(Debug, Clone)]
pub struct PmsCaller(pub AuthUser);

impl FromRequestParts<AppState> for PmsCaller {
    type Rejection = PmsError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = authenticate(parts, state).await.map_err(|e| {
            tracing::debug!(error = %e, "authentication failed");
            PmsError::Unauthenticated
        })?;
        if !is_safe(&parts.method) {
            if let Some((token, TokenSource::Cookie)) = token_with_source(parts) {
                if !same_origin(parts) && check_csrf_of(parts, state, &token).is_err() {
                    return Err(PmsError::Refused(
                        StatusCode::FORBIDDEN,
                        codes::PMSFLOW_CROSS_SITE,
                    ));
                }
            }
            if !is_json_body(parts) {
                return Err(PmsError::Refused(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    codes::PMSFLOW_MEDIA_TYPE,
                ));
            }
        }
        Ok(PmsCaller(user))
    }
}

/// A caller on a native path (rejections are problem+json 401). A state-changing request
/// (anything but `GET` / `HEAD`) authenticated by the session cookie must carry the
/// console's `X-CSRF-Token` (403 `PMSFLOW_CSRF` otherwise), so another page cannot act with
/// an operator's browser session; Bearer callers are not asked.
#[derive(Debug, Clone)]
pub struct NativeCaller(pub AuthUser);

impl FromRequestParts<AppState> for NativeCaller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = authenticate(parts, state).await.map_err(|e| {
            tracing::debug!(error = %e, "authentication failed");
            Problem::unauthenticated()
        })?;
        if let (false, Some((token, TokenSource::Cookie))) =
            (is_safe(&parts.method), token_with_source(parts))
        {
            check_csrf_of(parts, state, &token)?;
        }
        Ok(NativeCaller(user))
    }
}

/// An authenticated caller with a console role.
#[derive(Debug, Clone)]
pub struct ConsoleCaller {
    /// The caller.
    pub user: AuthUser,
    /// Its console role.
    pub role: ConsoleRole,
    /// The session token (for the CSRF token).
    pub(crate) token: String,
    /// The token came from the cookie (a browser session), not a Bearer header.
    pub(crate) from_cookie: bool,
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
        let user = verify_session(state, &token).await.map_err(|e| {
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

//! # pmsflow-api
//!
//! The HTTP API (axum): PMS-compatible partner endpoints under `/v1/partnermanager` (PMS's
//! paths, envelopes, validation order and error codes, errors with HTTP 200) and the native run
//! API under `/v1` (RFC 9457 problem+json errors). Every endpoint authenticates the caller
//! (JWT from `Authorization: Bearer` or the `Authorization` cookie) and checks its roles; only
//! the API's own documentation (`/v1/openapi.json`, `/v1/docs`) is public.
//!
//! # Layout
//! - [`auth`]: token verification (dev key or IdP JWKS), roles, the own-data rule.
//! - [`error`]: PMS envelopes and problem+json.
//! - [`pms`]: PMS-compatible partner registration and certificates.
//! - [`misp`]: MISP licence keys.
//! - [`credentials`]: bio-extractors and credential-type mappings of credential partners.
//! - [`partner_manager`]: partner update, policy mapping, API keys, activation.
//! - [`policy`]: PMS-compatible policy manager (groups, policies).
//! - [`lookups`]: e-mail check, portal roles, request and API-key lookups.
//! - [`roles`]: role lists per endpoint (`mosip.role.pms.*`), configurable.
//! - [`search`]: PMS searches and filter values.
//! - [`native`]: onboardings and runs.
//! - [`schedules`]: the sweeps' schedules: list, pause, resume, trigger now.
//! - [`console`]: the operator console's pages (`/console`), dev sign-in, console roles, CSRF.
//! - [`admin`]: the console's JSON API under `/v1/admin` (overview, runs, actions, bulk
//!   actions, audit log, schedules, live events).
//! - [`live`]: the Postgres-notification feed behind the console's server-sent events.
//! - [`openapi`]: the OpenAPI 3 document of every endpoint (`GET /v1/openapi.json`) and its
//!   self-contained HTML rendering (`GET /v1/docs`), both without authentication.
//! - [`state`]: shared handles.

pub mod admin;
pub mod auth;
pub mod console;
pub mod credentials;
mod effects;
pub mod error;
pub mod live;
pub mod lookups;
pub mod misp;
pub mod native;
pub mod oidc;
pub mod openapi;
pub mod partner_manager;
pub mod pms;
pub mod policy;
pub mod republish;
pub mod roles;
pub mod schedules;
pub mod search;
pub mod state;

use axum::Router;
use tower_http::{normalize_path::NormalizePath, trace::TraceLayer};

pub use state::AppState;

/// The whole API router.
pub fn router(state: AppState) -> Router {
    let routed = Router::new()
        .merge(pms::routes())
        .merge(policy::routes())
        .merge(partner_manager::routes())
        .merge(misp::routes())
        .merge(oidc::routes())
        .merge(search::routes())
        .merge(credentials::routes())
        .merge(lookups::routes())
        .merge(native::routes())
        .merge(schedules::routes())
        .merge(republish::routes())
        .merge(admin::routes())
        .merge(console::routes())
        .merge(openapi::routes())
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    // A trailing slash is ignored, as Spring's default path matching in PMS ignores it
    // (`PUT /partners/policy/` reaches `PUT /partners/{partnerId}`). The normaliser must run
    // before routing, so the routed app is the fallback of an outer router with no routes.
    Router::new().fallback_service(NormalizePath::trim_trailing_slash(routed))
}

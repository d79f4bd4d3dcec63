//! MOSIP's partner portal, served by the API under `/pmp/` when `[portal] dir` names a built
//! portal (built outside pmsflow: `docs/portal.md`), on the same origin as the API as behind
//! MOSIP's ingress, so its cookie session and its calls need no CORS.
//!
//! - `GET /pmp/assets/config.json` is generated: `baseUrl` is this server's public URL with a
//!   trailing slash (the portal builds `${baseUrl}v1/partnermanager/...`), the languages are
//!   MOSIP's defaults (`eng`, `ara`).
//! - Other paths are the directory's files (tower-http's `ServeDir`: no path outside the
//!   directory, conditional and range requests); a path whose last segment has no `.` is the
//!   portal's `index.html` (its routes live after `#`), a missing file with an extension 404.
//! - Without `[portal] dir`: 404 naming the setting.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::services::html::harden;
use crate::state::AppState;

/// Where the portal is served.
pub const PREFIX: &str = "/pmp";

/// Routes of the hosted portal.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(portal_index))
        .routes(routes!(portal_file))
}

/// The portal's runtime configuration (`assets/config.json` of pmp-ui 1.2.0.x; MOSIP's Helm
/// chart mounts the same keys).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortalConfig {
    /// The API root the portal calls, ending in `/`.
    pub base_url: String,
    /// The portal's own path, `/pmp/`.
    pub pmp_url: String,
    /// First language (the session token's `locale` replaces it).
    pub primary_lang_code: String,
    /// Second language.
    pub secondary_lang_code: String,
    /// API version prefix (not read by the portal; kept for parity).
    pub version: String,
}

/// The built portal's entry page.
#[utoipa::path(get, path = "/pmp", tag = "portal",
    responses((status = 200, description = "The portal's `index.html` (`[portal] dir`).", content_type = "text/html", body = String),
        (status = 404, description = "No portal is configured (`[portal] dir` is empty).", content_type = "text/plain", body = String)))]
async fn portal_index(State(state): State<AppState>, req: Request) -> Response {
    serve(&state, "/", req).await
}

/// A file of the built portal, or its generated `assets/config.json`.
#[utoipa::path(get, path = "/pmp/{*path}", tag = "portal",
    params(("path" = String, Path, description = "A file of the built portal, e.g. `main.js`, `assets/i18n/eng.json`.")),
    responses((status = 200, description = "The file, its content type from its extension; a path without an extension is `index.html`; `assets/config.json` is generated: `{baseUrl, pmpUrl, primaryLangCode, secondaryLangCode, version}` (`PortalConfig`).",
            content((Object = "application/json"), (String = "text/html"), (String = "text/javascript"), (String = "text/css"))),
        (status = 404, description = "No such file, or no portal configured.", content_type = "text/plain", body = String)))]
async fn portal_file(State(state): State<AppState>, req: Request) -> Response {
    // The path as sent (still percent-encoded): ServeDir decodes it and keeps it inside `dir`.
    let rel = req
        .uri()
        .path()
        .strip_prefix(PREFIX)
        .unwrap_or("/")
        .to_owned();
    serve(&state, &rel, req).await
}

async fn serve(state: &AppState, rel: &str, req: Request) -> Response {
    let Some(dir) = &state.portal.dir else {
        return (
            StatusCode::NOT_FOUND,
            "No partner portal is configured: set [portal] dir to a built pmp-ui (docs/portal.md).",
        )
            .into_response();
    };
    if rel == "/assets/config.json" {
        return config(state, req.headers());
    }
    let last = rel.rsplit('/').next().unwrap_or_default();
    let target = if last.contains('.') {
        rel
    } else {
        "/index.html"
    };
    let (mut parts, body) = req.into_parts();
    let Ok(uri) = target.parse() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    parts.uri = uri;
    let served = ServeDir::new(dir)
        .oneshot(Request::from_parts(parts, body))
        .await;
    let mut resp = match served {
        Ok(resp) => resp.map(Body::new),
        Err(never) => match never {},
    };
    harden(resp.headers_mut());
    // The entry page is revalidated on every load; the other files are left to the browser's
    // heuristics (as MOSIP's nginx serves them), which also spares the portal the race
    // between its translation and page-layout files that refetching every time provokes.
    if target != "/index.html" {
        resp.headers_mut().remove(header::CACHE_CONTROL);
    }
    resp
}

/// `assets/config.json`, from the public URL (`portal.public_url` or the request's host).
fn config(state: &AppState, headers: &HeaderMap) -> Response {
    let base_url = state
        .portal
        .public_url(headers)
        .map_or_else(|| "/".to_owned(), |u| format!("{u}/"));
    let mut resp = Json(PortalConfig {
        base_url,
        pmp_url: format!("{PREFIX}/"),
        primary_lang_code: "eng".into(),
        secondary_lang_code: "ara".into(),
        version: "v1/".into(),
    })
    .into_response();
    harden(resp.headers_mut());
    resp
}

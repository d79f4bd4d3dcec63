//! CSRF protection of cookie sessions: a state-changing request authenticated by the
//! `Authorization` cookie must carry `X-CSRF-Token` = base64url(HMAC-SHA256(csrf key, session
//! token)), which only a page that read `GET /v1/admin/session` knows. Bearer callers are not
//! asked: a browser never attaches that header by itself.
//!
//! The PMS-compatible routes also accept a cookie request that the browser itself marks as
//! same-origin ([`same_origin`]: `Sec-Fetch-Site`, else `Origin` against `Host`), because
//! MOSIP's partner portal, served on the same origin, sends no CSRF token; and they take only
//! JSON bodies ([`is_json_body`]), so a cross-site HTML form (`text/plain`, no preflight)
//! cannot post a valid envelope.

use axum::http::{header, request::Parts, StatusCode};
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

/// Whether the browser says this request comes from a page of this origin:
///
/// - `Sec-Fetch-Site` (every current browser sends it): `same-origin`, or `none` (the user
///   typed the address), pass; `same-site` and `cross-site` do not;
/// - else `Origin`: passes when its `host[:port]` equals the `Host` header (`null` does not);
/// - neither header: not a browser (a script or a service sending the cookie), which no other
///   site can drive: passes.
pub(crate) fn same_origin(parts: &Parts) -> bool {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(site) = header("sec-fetch-site") {
        return matches!(site.to_ascii_lowercase().as_str(), "same-origin" | "none");
    }
    let Some(origin) = header("origin") else {
        return true;
    };
    let host = header("host").unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or_default();
    !origin_host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Whether the request has no body, or a JSON one (`application/json`, `application/*+json`,
/// parameters such as `charset` allowed), as Spring's `@RequestBody` demands (415 otherwise).
pub(crate) fn is_json_body(parts: &Parts) -> bool {
    let has_body = parts.headers.contains_key(header::TRANSFER_ENCODING)
        || parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    if !has_body {
        return true;
    }
    let Some(kind) = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = kind
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::post("/v1/partnermanager/partners");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn same_origin_follows_fetch_metadata_then_origin() {
        assert!(same_origin(&parts(&[("sec-fetch-site", "same-origin")])));
        assert!(same_origin(&parts(&[("sec-fetch-site", "none")])));
        assert!(!same_origin(&parts(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&parts(&[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://pms.example"),
            ("host", "pms.example"),
        ])));
        assert!(same_origin(&parts(&[
            ("origin", "https://pms.example"),
            ("host", "pms.example")
        ])));
        assert!(!same_origin(&parts(&[
            ("origin", "https://evil.example"),
            ("host", "pms.example")
        ])));
        assert!(!same_origin(&parts(&[
            ("origin", "null"),
            ("host", "pms.example")
        ])));
        assert!(same_origin(&parts(&[])));
    }

    #[test]
    fn only_json_bodies_pass() {
        assert!(is_json_body(&parts(&[])));
        assert!(is_json_body(&parts(&[("content-length", "0")])));
        assert!(is_json_body(&parts(&[
            ("content-length", "2"),
            ("content-type", "application/json; charset=UTF-8")
        ])));
        assert!(is_json_body(&parts(&[
            ("content-length", "2"),
            ("content-type", "application/merge-patch+json")
        ])));
        assert!(!is_json_body(&parts(&[
            ("content-length", "2"),
            ("content-type", "text/plain")
        ])));
        assert!(!is_json_body(&parts(&[("content-length", "2")])));
        assert!(!is_json_body(&parts(&[
            ("transfer-encoding", "chunked"),
            ("content-type", "application/x-www-form-urlencoded")
        ])));
    }
}

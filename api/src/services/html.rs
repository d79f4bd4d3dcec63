//! Built-in HTML, script and style answers (the console's pages, the partner portal's dev
//! sign-in): no caching, a content security policy that allows only this origin, no framing,
//! no MIME sniffing, no referrer to other sites.

use axum::{
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
};

/// `Content-Type` of HTML pages.
pub const HTML: &str = "text/html; charset=utf-8";

/// `body` as `content_type`, with the headers above.
pub fn page(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    );
    harden(h);
    r
}

/// The headers every built-in page and file carries: no framing, no MIME sniffing, no
/// referrer to other sites, revalidated on each use (`Cache-Control: no-cache`).
pub fn harden(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

//! What the transport tells about a request: whether it reached us over HTTPS (a
//! TLS-terminating ingress says so in `X-Forwarded-Proto`), and the HSTS header such requests
//! get back, so a browser never talks to pmsflow in clear again.

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};

/// `Strict-Transport-Security` of answers to HTTPS requests: one year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Did the request reach us over HTTPS (`X-Forwarded-Proto: https`)? Then session cookies are
/// `Secure` and answers carry [`HSTS`]; plain-HTTP development keeps working.
pub fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// Middleware: answers to HTTPS requests carry `Strict-Transport-Security` ([`HSTS`]).
pub async fn hsts(req: Request, next: Next) -> Response {
    let https = over_https(req.headers());
    let mut resp = next.run(req).await;
    if https {
        resp.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

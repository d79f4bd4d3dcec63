//! What the transport tells about a request: whether it reached us over HTTPS (a
//! TLS-terminating ingress says so in `X-Forwarded-Proto`), the HSTS header such requests
//! get back, so a browser never talks to pmsflow in clear again, and the session cookie
//! (`Secure` over HTTPS).

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

/// The `Set-Cookie` value of a browser session: `Authorization=<token>` (the cookie MOSIP's
/// partner portal and the console send), `Path=/; HttpOnly; SameSite=Strict`, `Max-Age` in
/// seconds (0 ends the session), `Secure` when the request came over HTTPS.
pub fn session_cookie(token: &str, max_age_s: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "Authorization={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Authorization=; Path=/; Max-Age=0"))
}

/// A `303 See Other` to `to` that sets the session cookie to `token` for `max_age_s` seconds
/// (an empty token and 0 end the session), `Secure` when `request` came over HTTPS.
pub fn redirect_with_session(
    to: &str,
    token: &str,
    max_age_s: u64,
    request: &HeaderMap,
) -> Response {
    use axum::response::IntoResponse as _;
    let mut r = axum::response::Redirect::to(to).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(token, max_age_s, over_https(request)),
    );
    r
}

//! The partner portal's access rules (`[portal]`): where its session calls may send the
//! browser back to, and the public URL its `config.json` names.
//!
//! MOSIP's partner portal sends the browser to `login/{base64 of its URL}` and
//! `logout/user?redirecturi={base64}` (`btoa(window.location.href)`: the standard alphabet,
//! padded, not URL-encoded, so a `/` may split the path and a `+` may arrive as a space).
//! MOSIP's authcodeflowproxy accepts only URLs listed in `auth.allowed.urls`; pmsflow accepts a
//! URL on this server's own origin or one of `portal.origins`, so a link built by someone else
//! cannot make pmsflow an open redirect.

use std::path::PathBuf;

use axum::http::{header, HeaderMap};
use base64::Engine as _;
use url::{Origin, Url};

use super::transport::over_https;

/// Portal settings, shared by every handler.
#[derive(Debug, Clone, Default)]
pub struct PortalAccess {
    /// Directory of the built portal served under `/pmp/`; `None`: no portal.
    pub dir: Option<PathBuf>,
    /// `portal.public_url` without its trailing slash; `None`: from each request.
    public_url: Option<String>,
    /// Origins a return URL may name besides this server's.
    origins: Vec<Origin>,
}

impl PortalAccess {
    /// Rules from `[portal]`: `dir` (empty: none), `public_url` (empty: from each request),
    /// `origins` (those that are not `scheme://host[:port]` are dropped; configuration
    /// validation refuses them first).
    pub fn new(dir: &str, public_url: &str, origins: &[String]) -> Self {
        let public_url = public_url.trim_end_matches('/');
        Self {
            dir: (!dir.is_empty()).then(|| PathBuf::from(dir)),
            public_url: (!public_url.is_empty()).then(|| public_url.to_owned()),
            origins: origins
                .iter()
                .filter_map(|o| pmsflow_store::config::origin_of(o))
                .collect(),
        }
    }

    /// This server's public URL, `scheme://host[:port]` without a trailing slash:
    /// `portal.public_url`, else the request's `Host` with `https` when
    /// `X-Forwarded-Proto: https` says so (`http` otherwise). `None` without either.
    pub fn public_url(&self, headers: &HeaderMap) -> Option<String> {
        if let Some(url) = &self.public_url {
            return Some(url.clone());
        }
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let scheme = if over_https(headers) { "https" } else { "http" };
        // The host must be a host: a value with a path, user info or spaces is refused.
        let url = Url::parse(&format!("{scheme}://{host}")).ok()?;
        (url.path() == "/" && url.username().is_empty() && !host.contains(['/', '@', ' ']))
            .then(|| url.origin().ascii_serialization())
    }

    /// The URL to send the browser back to, from the `base64` a session call received:
    /// decoded ([`decode_base64_url`]), made absolute against this server's public URL when
    /// it is a path, and accepted only when its origin is this server's or one of
    /// `portal.origins`. `None`: refuse it (`KER-ACP-009`).
    pub fn return_url(&self, base64: &str, headers: &HeaderMap) -> Option<Url> {
        let decoded = decode_base64_url(base64)?;
        let own = self.public_url(headers).and_then(|u| Url::parse(&u).ok());
        let url = match Url::parse(&decoded) {
            Ok(url) => url,
            // A path on this server: `/pmp/#/pmp/home`, never `//host` or `/\host`.
            Err(url::ParseError::RelativeUrlWithoutBase)
                if decoded.starts_with('/')
                    && !decoded.starts_with("//")
                    && !decoded.contains('\\') =>
            {
                own.as_ref()?.join(&decoded).ok()?
            }
            Err(_) => return None,
        };
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return None;
        }
        let origin = url.origin();
        let allowed =
            own.is_some_and(|own| own.origin() == origin) || self.origins.contains(&origin);
        allowed.then_some(url)
    }
}

/// The text of a return URL as MOSIP's partner portal encodes it (`btoa`): the standard or the
/// URL-safe alphabet, padded or not, a `+` turned into a space by form decoding put back,
/// a `/` of the alphabet kept. `None` when it is not base64 of UTF-8 text.
pub fn decode_base64_url(raw: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let cleaned: String = raw
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| if c == ' ' { '+' } else { c })
        .collect();
    let bytes = STANDARD_NO_PAD
        .decode(&cleaned)
        .or_else(|_| URL_SAFE_NO_PAD.decode(&cleaned))
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn host(h: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        headers
    }

    #[test]
    fn a_url_on_this_origin_comes_back_with_its_fragment() {
        let portal = PortalAccess::new("", "", &[]);
        let url = portal
            .return_url(
                &b64("http://pms.local:8080/pmp/#/pmp/home"),
                &host("pms.local:8080"),
            )
            .expect("same origin");
        assert_eq!(url.as_str(), "http://pms.local:8080/pmp/#/pmp/home");
        let path = portal
            .return_url(&b64("/pmp/"), &host("pms.local:8080"))
            .expect("a path");
        assert_eq!(path.as_str(), "http://pms.local:8080/pmp/");
    }

    #[test]
    fn another_origin_is_refused_unless_configured() {
        let portal = PortalAccess::new("", "https://pms.example.org", &[]);
        let h = host("pms.example.org");
        for evil in [
            "https://evil.example/pmp/",
            "http://pms.example.org/pmp/", // another scheme is another origin
            "https://pms.example.org.evil.example/",
            "https://pms.example.org@evil.example/",
            "//evil.example/pmp/",
            "/\\evil.example/",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert!(portal.return_url(&b64(evil), &h).is_none(), "{evil}");
        }
        assert!(portal.return_url("%%%", &h).is_none());
        let listed = PortalAccess::new(
            "",
            "https://pms.example.org",
            &["https://pmp.example.org".into()],
        );
        assert!(listed
            .return_url(&b64("https://pmp.example.org/#/x"), &h)
            .is_some());
    }

    #[test]
    fn the_public_url_wins_over_the_host_header() {
        let portal = PortalAccess::new("", "https://pms.example.org/", &[]);
        // A forged Host does not widen what is accepted.
        let h = host("evil.example");
        assert!(portal
            .return_url(&b64("https://evil.example/"), &h)
            .is_none());
        assert_eq!(portal.public_url(&h).unwrap(), "https://pms.example.org");
    }

    #[test]
    fn base64_as_browsers_send_it() {
        // `btoa` output with `+` and `/`, the `+` turned into a space by a query string.
        let text = "http://h/pmp/#/pmp/resources/policymapping/view?x=>>>???";
        let standard = b64(text);
        assert!(
            standard.contains('+') || standard.contains('/'),
            "{standard}"
        );
        assert_eq!(decode_base64_url(&standard).unwrap(), text);
        assert_eq!(
            decode_base64_url(&standard.replace('+', " ")).unwrap(),
            text
        );
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        assert_eq!(decode_base64_url(&url_safe).unwrap(), text);
        assert_eq!(decode_base64_url("!!"), None);
    }
}

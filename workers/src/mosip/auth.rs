//! The service-account token from MOSIP's authmanager (mosip-contracts.md §2.1, §1.2(a)).
//!
//! PMS re-authenticates before every call; pmsflow caches the token until 60 s before its JWT
//! `exp` (§5) and shares one refresh between concurrent callers: the cache sits behind a tokio
//! mutex that is held while a refresh is in flight, so callers that arrive meanwhile wait for it
//! and then read the fresh token instead of starting their own.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use pmsflow_core::failure::StepFailure;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, SET_COOKIE};
use reqwest::Url;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::envelope::{errors_field, mosip_datetime, parse_json, ErrorsField};
use super::errors::{self, codes};
use super::http::{execute, join};
use super::ServiceCredentials;

/// A token is refreshed this long before its `exp`.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// How long a token without a readable `exp` is cached.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// A service-account JWT together with the two request headers that carry it.
///
/// Its `Debug` never shows the token. Clone is cheap.
#[derive(Clone)]
pub struct AccessToken {
    jwt: Arc<str>,
    cookie: HeaderValue,
    bearer: HeaderValue,
}

impl AccessToken {
    /// Wraps a JWT; `None` when it cannot be sent in a header (empty, control characters).
    pub fn new(jwt: &str) -> Option<Self> {
        let jwt = jwt.trim();
        if jwt.is_empty() {
            return None;
        }
        let mut cookie = HeaderValue::from_str(&format!("Authorization={jwt}")).ok()?;
        let mut bearer = HeaderValue::from_str(&format!("Bearer {jwt}")).ok()?;
        cookie.set_sensitive(true);
        bearer.set_sensitive(true);
        Some(Self {
            jwt: jwt.into(),
            cookie,
            bearer,
        })
    }

    /// The raw JWT. Do not log it.
    pub fn expose(&self) -> &str {
        &self.jwt
    }

    /// `Authorization=<jwt>`, the value of the `Cookie` header MOSIP's auth adapter reads.
    pub fn cookie_header(&self) -> HeaderValue {
        self.cookie.clone()
    }

    /// `Bearer <jwt>`, the value of the `Authorization` header.
    pub fn bearer_header(&self) -> HeaderValue {
        self.bearer.clone()
    }

    /// The JWT payload's `exp` (seconds since the epoch), read without verifying the signature.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        jwt_exp(&self.jwt)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        self.jwt == other.jwt
    }
}

/// Reads `exp` from a JWT payload (base64url, with or without padding) without verifying it.
fn jwt_exp(jwt: &str) -> Option<OffsetDateTime> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    let secs = exp
        .as_i64()
        .or_else(|| exp.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))?;
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// How long a token fetched now may be reused: until `exp − 60 s`, 5 minutes without `exp`,
/// `None` (use once, do not cache) when it is already inside the margin.
fn cache_lifetime(token: &AccessToken, now: OffsetDateTime) -> Option<Duration> {
    let Some(exp) = token.expires_at() else {
        return Some(DEFAULT_LIFETIME);
    };
    let left = exp - now - REFRESH_MARGIN;
    if left.is_positive() {
        Duration::try_from(left).ok()
    } else {
        None
    }
}

struct Cached {
    token: AccessToken,
    fresh_until: Instant,
}

/// Fetches, caches and refreshes the service token (§2.1).
///
/// `POST {authmanager}/v1/authmanager/authenticate/clientidsecretkey` with
/// `{"metadata":{},"request":{"clientId","secretKey","appId"},"requesttime":<UTC now>}`; the
/// token is the `Authorization=<jwt>` value of the first such `Set-Cookie` header, else the
/// `authorization` response header.
pub struct TokenProvider {
    client: reqwest::Client,
    url: Url,
    credentials: ServiceCredentials,
    timeout: Duration,
    cache: Mutex<Option<Cached>>,
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenProvider")
            .field("url", &self.url.as_str())
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct TokenRequest<'a> {
    metadata: serde_json::Map<String, Value>,
    request: TokenCredentials<'a>,
    requesttime: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenCredentials<'a> {
    client_id: &'a str,
    secret_key: &'a str,
    app_id: &'a str,
}

impl TokenProvider {
    /// A provider that authenticates at `authmanager_url` (base URL without the context path,
    /// e.g. `http://authmanager.kernel`) with `credentials`, each fetch bounded by `timeout`.
    pub fn new(
        client: reqwest::Client,
        authmanager_url: &Url,
        credentials: ServiceCredentials,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            url: join(
                authmanager_url,
                &["v1", "authmanager", "authenticate", "clientidsecretkey"],
            ),
            credentials,
            timeout,
            cache: Mutex::new(None),
        }
    }

    /// A valid token: the cached one while it is fresh, else a new one from authmanager.
    ///
    /// # Errors
    /// A [`StepFailure`] as for any MOSIP call: `PMS_KKS_001` (retryable) on transport errors or
    /// when authmanager answers 2xx without a token; the HTTP-status mapping for non-2xx
    /// (a bad secret surfaces as HTTP 500, retryable); authmanager's `errors[0]` when it sends one.
    pub async fn token(&self) -> Result<AccessToken, StepFailure> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref() {
            if Instant::now() < cached.fresh_until {
                return Ok(cached.token.clone());
            }
        }
        *cache = None;
        let token = self.fetch().await?;
        match cache_lifetime(&token, OffsetDateTime::now_utc()) {
            Some(lifetime) => {
                *cache = Some(Cached {
                    token: token.clone(),
                    fresh_until: Instant::now() + lifetime,
                });
                tracing::debug!(
                    cached_for_s = lifetime.as_secs(),
                    "fetched a MOSIP service token"
                );
            }
            None => tracing::warn!(
                "authmanager issued a token that expires within 60 s; not caching it"
            ),
        }
        Ok(token)
    }

    /// Drops the cached token, so the next [`token`](Self::token) call fetches a new one.
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    /// Drops the cached token only if it is `rejected` (a concurrent caller may already have
    /// replaced it with a fresh one, which must survive). Used after an HTTP 401.
    pub async fn invalidate_if_current(&self, rejected: &AccessToken) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| &c.token == rejected) {
            *cache = None;
        }
    }

    async fn fetch(&self) -> Result<AccessToken, StepFailure> {
        let body = TokenRequest {
            metadata: serde_json::Map::new(),
            request: TokenCredentials {
                client_id: &self.credentials.client_id,
                secret_key: &self.credentials.secret_key,
                app_id: &self.credentials.app_id,
            },
            requesttime: mosip_datetime(OffsetDateTime::now_utc()),
        };
        let request = self
            .client
            .post(self.url.clone())
            .json(&body)
            .timeout(self.timeout);
        let raw = execute("authmanager.authenticate", request, self.timeout).await?;
        if !(200..300).contains(&raw.status) {
            tracing::warn!(status = raw.status, "authmanager refused to issue a token");
            return Err(errors::http_status(&raw));
        }
        if let Some(token) = token_from_headers(&raw.headers) {
            return Ok(token);
        }
        let failure = match parse_json(&raw.body).map(|b| errors_field(&b)) {
            Some(ErrorsField::First(first)) => StepFailure::from_code(first.code, first.message),
            _ => StepFailure::retryable(
                codes::API_NOT_ACCESSIBLE,
                "authmanager answered without an Authorization cookie",
            ),
        };
        Err(failure.with_response(raw.status, raw.redacted_body()))
    }
}

/// The JWT from the first `Set-Cookie: Authorization=<jwt>; ...`, else from `authorization`.
fn token_from_headers(headers: &HeaderMap) -> Option<AccessToken> {
    let from_cookie = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookie| {
            let (name, rest) = cookie.trim().split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("Authorization")
                .then(|| rest.split(';').next().unwrap_or_default().trim())
                .filter(|v| !v.is_empty())
        });
    let jwt = from_cookie.or_else(|| {
        let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
        let value = value
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("bearer "))
            .map_or(value, |_| &value[7..]);
        Some(value).filter(|v| !v.is_empty())
    })?;
    AccessToken::new(jwt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt_with(payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn lifetime_follows_exp_minus_margin() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let t = AccessToken::new(&jwt_with(r#"{"exp":1000160}"#)).unwrap();
        assert_eq!(cache_lifetime(&t, now), Some(Duration::from_secs(100)));
        let t = AccessToken::new(&jwt_with(r#"{"exp":1000030}"#)).unwrap();
        assert_eq!(cache_lifetime(&t, now), None);
        let t = AccessToken::new(&jwt_with(r#"{"sub":"x"}"#)).unwrap();
        assert_eq!(cache_lifetime(&t, now), Some(DEFAULT_LIFETIME));
        let t = AccessToken::new("not-a-jwt").unwrap();
        assert_eq!(cache_lifetime(&t, now), Some(DEFAULT_LIFETIME));
    }

    #[test]
    fn token_comes_from_the_authorization_cookie_first() {
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, HeaderValue::from_static("other=1; Path=/"));
        h.append(
            SET_COOKIE,
            HeaderValue::from_static("Authorization=aaa.bbb.ccc; Max-Age=3600; Path=/; HttpOnly"),
        );
        h.insert(AUTHORIZATION, HeaderValue::from_static("zzz"));
        assert_eq!(token_from_headers(&h).unwrap().expose(), "aaa.bbb.ccc");
        h.remove(SET_COOKIE);
        assert_eq!(token_from_headers(&h).unwrap().expose(), "zzz");
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer yyy"));
        assert_eq!(token_from_headers(&h).unwrap().expose(), "yyy");
        h.remove(AUTHORIZATION);
        assert!(token_from_headers(&h).is_none());
    }

    #[test]
    fn debug_hides_the_token() {
        let t = AccessToken::new("secret.jwt.value").unwrap();
        assert_eq!(format!("{t:?}"), "AccessToken(***)");
    }
}

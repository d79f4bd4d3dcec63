//! Authentication and authorisation.
//!
//! Tokens come from `Authorization: Bearer <jwt>` or, as MOSIP's portal sends them, the
//! `Authorization` cookie. In `dev` mode they are HS256 tokens signed with `auth.dev_secret`
//! (minted by `pmsflow token`); in `jwks` mode they are the IdP's (Keycloak) RS256 tokens,
//! verified against its JWKS: fetched at start (a failed fetch stops start-up), again when
//! the cached set is older than `auth.jwks_ttl_s` (so a key the IdP removed stops being
//! trusted) and when an unknown `kid` appears (at most every 30 s), one fetch at a time.
//!
//! Every token needs `exp` and `iss`; `iss` must be the configured issuer, `exp` and `nbf`
//! hold within `auth.leeway_s`. In `jwks` mode the token's `aud` (a string or an array) or its
//! `azp` must be one of `auth.audience`. A user id in the system actors' namespace
//! ([`pmsflow_core::actors::SYSTEM_ACTOR_PREFIX`], `system:`) is refused: that namespace
//! belongs to pmsflow's own actors.
//!
//! Roles come from `realm_access.roles`; the caller's user id is `preferred_username`
//! (falling back to `sub`). The own-data rule of PMS: a caller without the partner-admin role
//! acts only on the partner whose id equals its user id
//! (`PartnerServiceImpl#validateLoggedInUserAuthorization`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use jsonwebtoken::{
    decode, decode_header, jwk::JwkSet, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use pmsflow_core::actors::{is_system_actor, SYSTEM_ACTOR_PREFIX};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// `realm_access` claim of Keycloak tokens.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RealmAccess {
    /// Realm roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The claims pmsflow reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Subject.
    pub sub: String,
    /// Keycloak username (= partner id for partners).
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// Roles.
    #[serde(default)]
    pub realm_access: RealmAccess,
    /// Email, if the IdP sends it.
    #[serde(default)]
    pub email: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issuer.
    #[serde(default)]
    pub iss: Option<String>,
    /// Audiences: the `aud` claim, a string or an array of strings (empty when absent).
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Authorized party: the client the token was issued to (Keycloak's client id).
    #[serde(default)]
    pub azp: Option<String>,
}

impl Claims {
    /// `true` when `aud` holds one of `accepted`, or `azp` is one of them.
    pub fn audience_matches(&self, accepted: &[String]) -> bool {
        self.aud.iter().any(|a| accepted.contains(a))
            || self.azp.as_ref().is_some_and(|a| accepted.contains(a))
    }
}

/// A string or an array of strings, as JWT's `aud` may be (RFC 7519 §4.1.3).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(a)) => vec![a],
        Some(OneOrMany::Many(a)) => a,
    })
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// User id (`preferred_username`, else `sub`).
    pub user_id: String,
    /// Realm roles.
    pub roles: HashSet<String>,
    /// Whether the caller may act on any partner.
    pub is_partner_admin: bool,
    /// When the token expires (`exp`), seconds since the Unix epoch.
    pub expires_at: i64,
}

impl AuthUser {
    /// `true` if the caller has any of `roles`.
    pub fn has_any(&self, roles: &[&str]) -> bool {
        roles.iter().any(|r| self.roles.contains(*r))
    }

    /// The own-data rule: may this caller act on `partner_id`?
    pub fn may_act_on(&self, partner_id: &str) -> bool {
        self.is_partner_admin || self.user_id == partner_id
    }
}

/// Why a token was refused (never shown to the caller beyond 401).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token in the header or cookie.
    #[error("no token")]
    Missing,
    /// Signature, expiry, issuer, audience, user id or shape invalid.
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Why IdP mode could not start ([`Authenticator::jwks`]).
#[derive(Debug, thiserror::Error)]
pub enum JwksSetupError {
    /// reqwest could not build the HTTP client (TLS backend initialisation).
    #[error("could not build the HTTP client of the JWKS")]
    HttpClient(#[source] reqwest::Error),
    /// The JWKS could not be fetched or parsed at start, or holds no key.
    #[error("the JWKS at {url} could not be loaded: {reason}")]
    FirstFetch {
        /// `auth.jwks_url`.
        url: String,
        /// What failed.
        reason: String,
    },
}

/// IdP mode's settings (`[auth]` with `mode = "jwks"`).
#[derive(Debug, Clone)]
pub struct JwksConfig {
    /// The IdP's JWKS URL (Keycloak's `.../protocol/openid-connect/certs`).
    pub url: String,
    /// The required `iss`.
    pub issuer: String,
    /// Accepted `aud` or `azp` values (see [`Claims::audience_matches`]).
    pub audience: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// Age after which the cached JWKS is fetched again before a verification; zero = before
    /// every verification.
    pub ttl: Duration,
    /// CA certificates trusted for the IdP in addition to the built-in roots.
    pub extra_roots: Vec<reqwest::Certificate>,
    /// Role that bypasses the own-data rule.
    pub partner_admin_role: String,
}

/// Least time between two JWKS fetches caused by an unknown `kid`, or after a failed fetch.
const REFETCH_AFTER: Duration = Duration::from_secs(30);

/// Timeout of one JWKS fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The cached JWKS and when it was fetched.
struct KeyCache {
    set: JwkSet,
    /// Last successful fetch.
    fetched_at: Instant,
    /// Last fetch, successful or not.
    attempted_at: Instant,
}

enum Verifier {
    Dev {
        decoding: DecodingKey,
        encoding: EncodingKey,
    },
    Jwks {
        url: String,
        http: reqwest::Client,
        ttl: Duration,
        keys: RwLock<KeyCache>,
        /// Held while one request refreshes the set (others keep reading the old one).
        refreshing: tokio::sync::Mutex<()>,
    },
}

/// Verifies tokens; one per process.
pub struct Authenticator {
    verifier: Verifier,
    issuer: String,
    /// Accepted `aud`/`azp` values; `None` (dev mode): not checked.
    audience: Option<Vec<String>>,
    leeway_s: u64,
    partner_admin_role: String,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// Issuer of dev tokens.
pub const DEV_ISSUER: &str = "pmsflow-dev";

/// Profile claims of a dev token, name → value (`email` → `a@b.org`): what an IdP would put
/// in a user's token besides its roles.
pub type Profile = std::collections::BTreeMap<String, String>;

/// Claims a dev token's profile may not set: pmsflow sets them itself.
pub const RESERVED_CLAIMS: [&str; 10] = [
    "sub",
    "preferred_username",
    "realm_access",
    "iat",
    "exp",
    "nbf",
    "iss",
    "aud",
    "azp",
    "jti",
];

/// Clock skew allowed on dev tokens, seconds (jsonwebtoken's default).
const DEV_LEEWAY_S: u64 = 60;

impl Authenticator {
    /// Dev mode: HS256 with `secret`; tokens must carry `iss` = [`DEV_ISSUER`] (those of
    /// [`Authenticator::mint`] do); `aud` is not checked.
    pub fn dev(secret: &str, partner_admin_role: &str) -> Self {
        Self {
            verifier: Verifier::Dev {
                decoding: DecodingKey::from_secret(secret.as_bytes()),
                encoding: EncodingKey::from_secret(secret.as_bytes()),
            },
            issuer: DEV_ISSUER.to_owned(),
            audience: None,
            leeway_s: DEV_LEEWAY_S,
            partner_admin_role: partner_admin_role.to_owned(),
        }
    }

    /// IdP mode: RS256 (and RS384/512, ES256, PS256) tokens checked against the JWKS at
    /// `config.url` (TLS verified against the built-in roots and `config.extra_roots`, no
    /// redirects), which is fetched now.
    ///
    /// # Errors
    /// [`JwksSetupError::FirstFetch`] when the JWKS cannot be fetched or parsed, or holds no
    /// key; [`JwksSetupError::HttpClient`] when the TLS backend cannot start.
    pub async fn jwks(config: JwksConfig) -> Result<Self, JwksSetupError> {
        let mut http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        for root in config.extra_roots {
            http = http.add_root_certificate(root);
        }
        let http = http.build().map_err(JwksSetupError::HttpClient)?;
        let now = Instant::now();
        let auth = Self {
            verifier: Verifier::Jwks {
                url: config.url.clone(),
                http,
                ttl: config.ttl,
                keys: RwLock::new(KeyCache {
                    set: JwkSet { keys: Vec::new() },
                    fetched_at: now,
                    attempted_at: now,
                }),
                refreshing: tokio::sync::Mutex::new(()),
            },
            issuer: config.issuer,
            audience: Some(config.audience),
            leeway_s: config.leeway.as_secs(),
            partner_admin_role: config.partner_admin_role,
        };
        let first = |reason: String| JwksSetupError::FirstFetch {
            url: config.url.clone(),
            reason,
        };
        auth.refresh().await.map_err(|e| first(e.to_string()))?;
        if let Verifier::Jwks { keys, .. } = &auth.verifier {
            if keys.read().await.set.keys.is_empty() {
                return Err(first("it holds no key".into()));
            }
        }
        Ok(auth)
    }

    /// Fetch the JWKS now and replace the cached set (IdP mode; nothing in dev mode). One
    /// fetch runs at a time: a caller arriving during a fetch waits for it, then fetches
    /// again. On failure the cached set stays.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] naming the failed fetch or parse.
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let Verifier::Jwks { refreshing, .. } = &self.verifier else {
            return Ok(());
        };
        let _single = refreshing.lock().await;
        self.fetch_locked().await
    }

    /// Fetch and store the JWKS; the caller holds `refreshing`.
    async fn fetch_locked(&self) -> Result<(), AuthError> {
        let Verifier::Jwks {
            url, http, keys, ..
        } = &self.verifier
        else {
            return Ok(());
        };
        let fetched: Result<JwkSet, AuthError> = async {
            http.get(url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| AuthError::Invalid(format!("JWKS fetch: {e}")))?
                .json()
                .await
                .map_err(|e| AuthError::Invalid(format!("JWKS parse: {e}")))
        }
        .await;
        let mut cache = keys.write().await;
        let now = Instant::now();
        cache.attempted_at = now;
        let set = fetched?;
        cache.set = set;
        cache.fetched_at = now;
        Ok(())
    }

    /// `true` in dev mode (tokens signed with the local key, the console's sign-in form).
    pub fn is_dev(&self) -> bool {
        matches!(self.verifier, Verifier::Dev { .. })
    }

    /// Mint a dev token for `sub` with `roles`, valid `ttl` (dev mode only).
    pub fn mint(&self, sub: &str, roles: &[String], ttl: Duration) -> Option<String> {
        self.mint_with_profile(sub, roles, &Profile::new(), ttl)
    }

    /// As [`mint`](Self::mint), with profile claims added to the token (`email`,
    /// `organizationName`, `phoneNumber`... as MOSIP's partner portal decodes them from its
    /// session token). A profile claim never replaces a claim pmsflow sets
    /// ([`RESERVED_CLAIMS`]); `None` outside dev mode.
    pub fn mint_with_profile(
        &self,
        sub: &str,
        roles: &[String],
        profile: &Profile,
        ttl: Duration,
    ) -> Option<String> {
        let Verifier::Dev { encoding, .. } = &self.verifier else {
            return None;
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims: serde_json::Map<String, serde_json::Value> = profile
            .iter()
            .filter(|(k, _)| !RESERVED_CLAIMS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        claims.extend([
            ("sub".to_owned(), sub.into()),
            ("preferred_username".to_owned(), sub.into()),
            (
                "realm_access".to_owned(),
                serde_json::json!({ "roles": roles }),
            ),
            ("iat".to_owned(), now.into()),
            ("exp".to_owned(), (now + ttl.as_secs() as i64).into()),
            ("iss".to_owned(), DEV_ISSUER.into()),
            ("azp".to_owned(), "pmsflow".into()),
        ]);
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, encoding).ok()
    }

    /// The key `kid` of the JWKS: the cached set is fetched again first when older than the
    /// TTL (unless a fetch is already running; a failed fetch keeps the set, and is retried
    /// after [`REFETCH_AFTER`]), and when `kid` is unknown (at most every [`REFETCH_AFTER`],
    /// waiting for a running fetch).
    async fn jwk_key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let Verifier::Jwks {
            url,
            ttl,
            keys,
            refreshing,
            ..
        } = &self.verifier
        else {
            return Err(AuthError::Invalid("not in jwks mode".into()));
        };
        let stale = |c: &KeyCache| {
            c.fetched_at.elapsed() >= *ttl
                && (c.attempted_at <= c.fetched_at || c.attempted_at.elapsed() >= REFETCH_AFTER)
        };
        if stale(&*keys.read().await) {
            // One refresh at a time; while one runs, other requests use the current set.
            if let Ok(_single) = refreshing.try_lock() {
                // Another request may have refreshed the set just before.
                if stale(&*keys.read().await) {
                    if let Err(e) = self.fetch_locked().await {
                        tracing::warn!(%url, error = %e, "JWKS refresh failed; keeping the cached keys");
                    }
                }
            }
        }
        let lookup = |set: &JwkSet| {
            set.find(kid).map(|jwk| {
                DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Invalid(e.to_string()))
            })
        };
        if let Some(key) = lookup(&keys.read().await.set) {
            return key;
        }
        // Unknown kid: refresh at most every 30 s, one request at a time, without blocking
        // readers of the current set during the fetch.
        let _single = refreshing.lock().await;
        if keys.read().await.attempted_at.elapsed() >= REFETCH_AFTER {
            self.fetch_locked().await?;
        }
        lookup(&keys.read().await.set)
            .unwrap_or_else(|| Err(AuthError::Invalid("unknown key id".into())))
    }

    /// Verify `token` and return the caller.
    pub async fn verify(&self, token: &str) -> Result<AuthUser, AuthError> {
        let (key, alg) = match &self.verifier {
            Verifier::Dev { decoding, .. } => (decoding.clone(), Algorithm::HS256),
            Verifier::Jwks { .. } => {
                let header = decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
                let kid = header
                    .kid
                    .ok_or_else(|| AuthError::Invalid("no kid".into()))?;
                if !matches!(
                    header.alg,
                    Algorithm::RS256
                        | Algorithm::RS384
                        | Algorithm::RS512
                        | Algorithm::ES256
                        | Algorithm::PS256
                ) {
                    return Err(AuthError::Invalid("unexpected algorithm".into()));
                }
                (self.jwk_key(&kid).await?, header.alg)
            }
        };
        let mut validation = Validation::new(alg);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway_s;
        // The audience is checked below, against `aud` or `azp`.
        validation.validate_aud = false;
        let data = decode::<Claims>(token, &key, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let c = data.claims;
        if let Some(accepted) = &self.audience {
            if !c.audience_matches(accepted) {
                return Err(AuthError::Invalid(
                    "neither aud nor azp is an accepted audience".into(),
                ));
            }
        }
        let user_id = c.preferred_username.unwrap_or(c.sub);
        if is_system_actor(&user_id) {
            return Err(AuthError::Invalid(format!(
                "user ids starting with {SYSTEM_ACTOR_PREFIX} are reserved for pmsflow's own actors"
            )));
        }
        let roles: HashSet<String> = c.realm_access.roles.into_iter().collect();
        Ok(AuthUser {
            user_id,
            is_partner_admin: roles.contains(&self.partner_admin_role),
            expires_at: c.exp,
            roles,
        })
    }
}

/// Where a request's token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer ...` (a script or a service; a browser never adds it by itself).
    Bearer,
    /// The `Authorization` cookie (a browser session: state-changing native and console
    /// requests must prove they come from the console with `X-CSRF-Token`).
    Cookie,
}

/// The token of a request: Bearer header first, then the `Authorization` cookie.
pub fn token_of(parts: &Parts) -> Option<String> {
    token_with_source(parts).map(|(token, _)| token)
}

/// The token of a request and where it came from ([`token_of`]). Any other `Authorization`
/// header (e.g. `Basic` from an ingress) does not count: the cookie is then the token.
pub fn token_with_source(parts: &Parts) -> Option<(String, TokenSource)> {
    if let Some(v) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        if let Ok(s) = v.to_str() {
            if let Some(t) = s
                .strip_prefix("Bearer ")
                .or_else(|| s.strip_prefix("bearer "))
            {
                return Some((t.trim().to_owned(), TokenSource::Bearer));
            }
        }
    }
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(&parts.headers);
    jar.get("Authorization")
        .map(|c| (c.value().to_owned(), TokenSource::Cookie))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dev_tokens_round_trip_and_reject_tampering() {
        let a = Authenticator::dev("0123456789abcdef0123", "PARTNER_ADMIN");
        let t = a
            .mint("movp", &["AUTH_PARTNER".into()], Duration::from_secs(60))
            .unwrap();
        let u = a.verify(&t).await.unwrap();
        assert_eq!(u.user_id, "movp");
        assert!(u.has_any(&["AUTH_PARTNER"]));
        assert!(!u.is_partner_admin);
        assert!(u.may_act_on("movp") && !u.may_act_on("other"));
        let other = Authenticator::dev("another-secret-0123456", "PARTNER_ADMIN");
        assert!(other.verify(&t).await.is_err());
        assert!(a.verify("garbage").await.is_err());
    }

    #[tokio::test]
    async fn user_ids_of_the_system_namespace_are_refused() {
        let a = Authenticator::dev("0123456789abcdef0123", "PARTNER_ADMIN");
        let t = a
            .mint(
                &format!("{SYSTEM_ACTOR_PREFIX}scheduler"),
                &["PARTNER_ADMIN".into()],
                Duration::from_secs(60),
            )
            .unwrap();
        let err = a.verify(&t).await.unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
        // Only the user id counts: `sub` in the namespace with another preferred_username
        // is a different user.
        let key = EncodingKey::from_secret(b"0123456789abcdef0123");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = |sub: &str, username: Option<&str>| {
            serde_json::json!({
                "sub": sub, "preferred_username": username, "iss": DEV_ISSUER, "exp": now + 60,
            })
        };
        let encode = |c| jsonwebtoken::encode(&Header::new(Algorithm::HS256), &c, &key).unwrap();
        assert!(a
            .verify(&encode(claims("system:scheduler", None)))
            .await
            .is_err());
        assert_eq!(
            a.verify(&encode(claims("system:x", Some("movp"))))
                .await
                .unwrap()
                .user_id,
            "movp"
        );
    }

    #[tokio::test]
    async fn dev_tokens_need_iss_and_respect_nbf() {
        let a = Authenticator::dev("0123456789abcdef0123", "PARTNER_ADMIN");
        let key = EncodingKey::from_secret(b"0123456789abcdef0123");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let encode = |c: serde_json::Value| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &c, &key).unwrap()
        };
        let no_iss = encode(serde_json::json!({"sub": "movp", "exp": now + 60}));
        assert!(a.verify(&no_iss).await.is_err());
        let later = encode(
            serde_json::json!({"sub": "movp", "iss": DEV_ISSUER, "exp": now + 3600, "nbf": now + 600}),
        );
        assert!(a.verify(&later).await.is_err());
    }

    #[test]
    fn the_audience_is_aud_as_string_or_array_or_azp() {
        let parse = |v: serde_json::Value| serde_json::from_value::<Claims>(v).unwrap();
        let accepted = vec!["pmsflow".to_owned()];
        let base = |extra: serde_json::Value| {
            let mut c = serde_json::json!({"sub": "u", "exp": 1});
            c.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            parse(c)
        };
        assert!(base(serde_json::json!({"aud": "pmsflow"})).audience_matches(&accepted));
        assert!(
            base(serde_json::json!({"aud": ["account", "pmsflow"]})).audience_matches(&accepted)
        );
        assert!(
            base(serde_json::json!({"aud": "account", "azp": "pmsflow"}))
                .audience_matches(&accepted)
        );
        assert!(!base(serde_json::json!({"aud": "account", "azp": "other"}))
            .audience_matches(&accepted));
        assert!(!base(serde_json::json!({})).audience_matches(&accepted));
        assert!(!base(serde_json::json!({"aud": null})).audience_matches(&accepted));
    }
}

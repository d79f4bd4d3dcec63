//! Authentication and authorisation.
//!
//! Tokens come from `Authorization: Bearer <jwt>` or, as MOSIP's portal sends them, the
//! `Authorization` cookie. In `dev` mode they are HS256 tokens signed with `auth.dev_secret`
//! (minted by `pmsflow token`); in `jwks` mode they are the IdP's (Keycloak) RS256 tokens,
//! verified against its JWKS, fetched at start and again when an unknown `kid` appears.
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
    /// Signature, expiry, issuer or shape invalid.
    #[error("invalid token: {0}")]
    Invalid(String),
}

enum Verifier {
    Dev {
        decoding: DecodingKey,
        encoding: EncodingKey,
    },
    Jwks {
        url: String,
        http: reqwest::Client,
        keys: RwLock<(JwkSet, Option<Instant>)>,
        /// Held while one request refreshes the set (others keep reading the old one).
        refreshing: tokio::sync::Mutex<()>,
    },
}

/// Verifies tokens; one per process.
pub struct Authenticator {
    verifier: Verifier,
    issuer: Option<String>,
    partner_admin_role: String,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// Issuer of dev tokens.
pub const DEV_ISSUER: &str = "pmsflow-dev";

impl Authenticator {
    /// Dev mode: HS256 with `secret`.
    pub fn dev(secret: &str, partner_admin_role: &str) -> Self {
        Self {
            verifier: Verifier::Dev {
                decoding: DecodingKey::from_secret(secret.as_bytes()),
                encoding: EncodingKey::from_secret(secret.as_bytes()),
            },
            issuer: Some(DEV_ISSUER.to_owned()),
            partner_admin_role: partner_admin_role.to_owned(),
        }
    }

    /// IdP mode: RS256 tokens checked against the JWKS at `url` (TLS verified).
    pub fn jwks(
        url: &str,
        issuer: Option<String>,
        partner_admin_role: &str,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            verifier: Verifier::Jwks {
                url: url.to_owned(),
                http,
                keys: RwLock::new((JwkSet { keys: Vec::new() }, None)),
                refreshing: tokio::sync::Mutex::new(()),
            },
            issuer: issuer.filter(|s| !s.is_empty()),
            partner_admin_role: partner_admin_role.to_owned(),
        })
    }

    /// `true` in dev mode (tokens signed with the local key, the console's sign-in form).
    pub fn is_dev(&self) -> bool {
        matches!(self.verifier, Verifier::Dev { .. })
    }

    /// Mint a dev token for `sub` with `roles`, valid `ttl` (dev mode only).
    pub fn mint(&self, sub: &str, roles: &[String], ttl: Duration) -> Option<String> {
        let Verifier::Dev { encoding, .. } = &self.verifier else {
            return None;
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "sub": sub,
            "preferred_username": sub,
            "realm_access": {"roles": roles},
            "iat": now,
            "exp": now + ttl.as_secs() as i64,
            "iss": DEV_ISSUER,
            "azp": "pmsflow",
        });
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, encoding).ok()
    }

    async fn jwk_key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let Verifier::Jwks {
            url,
            http,
            keys,
            refreshing,
        } = &self.verifier
        else {
            return Err(AuthError::Invalid("not in jwks mode".into()));
        };
        let lookup = |set: &JwkSet| {
            set.find(kid).map(|jwk| {
                DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Invalid(e.to_string()))
            })
        };
        if let Some(key) = lookup(&keys.read().await.0) {
            return key;
        }
        // Unknown kid: refresh at most every 30 s, one request at a time, without blocking
        // readers of the current set during the fetch.
        let _single = refreshing.lock().await;
        let fetched_recently = keys
            .read()
            .await
            .1
            .is_some_and(|t| t.elapsed() < Duration::from_secs(30));
        if !fetched_recently {
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
            let mut guard = keys.write().await;
            match fetched {
                Ok(set) => *guard = (set, Some(Instant::now())),
                Err(e) => {
                    guard.1 = Some(Instant::now());
                    return Err(e);
                }
            }
        }
        lookup(&keys.read().await.0)
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
        validation.validate_aud = false;
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
        }
        let data = decode::<Claims>(token, &key, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let c = data.claims;
        let roles: HashSet<String> = c.realm_access.roles.into_iter().collect();
        Ok(AuthUser {
            user_id: c.preferred_username.unwrap_or(c.sub),
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
}

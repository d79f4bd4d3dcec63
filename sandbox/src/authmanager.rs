//! Authmanager `POST /v1/authmanager/authenticate/clientidsecretkey` (mosip-contracts.md
//! §2.1) and the auth adapter's token check on every other endpoint (§1.2 "How callees read
//! the token").

use pmsflow_core::codes;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::envelope::{self, Echo, Reply};
use crate::App;

/// Token lifetime, in seconds (`Max-Age` of the cookie and `exp − iat`).
pub const TOKEN_TTL_SECONDS: i64 = 3600;

/// The topics PMS publishes (mosip-contracts.md §2.4); the service account gets
/// `PUBLISH_<TOPIC>_GENERAL` for each.
const PMS_TOPICS: &[&str] = &[
    "PARTNER_UPDATED",
    "CA_CERTIFICATE_UPLOADED",
    "APIKEY_APPROVED",
    "APIKEY_UPDATED",
    "POLICY_UPDATED",
    "MISP_LICENSE_GENERATED",
    "MISP_LICENSE_UPDATED",
    "OIDC_CLIENT_CREATED",
    "OIDC_CLIENT_UPDATED",
];

/// `realm_access` claim (Keycloak).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealmAccess {
    /// Realm roles, e.g. `PARTNER_ADMIN`.
    pub roles: Vec<String>,
}

/// Claims of a sandbox token, shaped like a Keycloak service-account token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the client id.
    pub sub: String,
    /// Authorised party: the client id (checked against `allowed.audience` by MOSIP).
    pub azp: String,
    /// `clientId`, which PMS's `isValidBearerToken` compares.
    #[serde(rename = "clientId")]
    pub client_id: String,
    /// `service-account-<clientId>`.
    pub preferred_username: String,
    /// Issuer: `<base>/auth/realms/mosip`.
    pub iss: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch (`iat + 3600`).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// `Bearer`.
    pub typ: String,
    /// OAuth scopes (eSignet's `add_oidc_client update_oidc_client`).
    pub scope: String,
    /// Realm roles.
    pub realm_access: RealmAccess,
}

/// Mints and checks HS256 tokens with a random per-sandbox secret.
pub(crate) struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. }")
    }
}

impl Tokens {
    /// A fresh 256-bit secret.
    pub(crate) fn generate() -> Tokens {
        let secret: [u8; 32] = rand::random();
        Tokens {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
        }
    }

    /// A token for `client_id` valid for [`TOKEN_TTL_SECONDS`] from `now`.
    pub(crate) fn mint(
        &self,
        client_id: &str,
        issuer: &str,
        now: OffsetDateTime,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.mint_with_scope(client_id, issuer, now, "add_oidc_client update_oidc_client")
    }

    /// [`mint`](Self::mint) with another OAuth `scope` claim (space-separated).
    pub(crate) fn mint_with_scope(
        &self,
        client_id: &str,
        issuer: &str,
        now: OffsetDateTime,
        scope: &str,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut roles: Vec<String> = ["PARTNER_ADMIN", "CREATE_SHARE", "ZONAL_ADMIN"]
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
        roles.extend(PMS_TOPICS.iter().map(|t| format!("PUBLISH_{t}_GENERAL")));
        let iat = now.unix_timestamp();
        let claims = Claims {
            sub: client_id.to_owned(),
            azp: client_id.to_owned(),
            client_id: client_id.to_owned(),
            preferred_username: format!("service-account-{client_id}"),
            iss: issuer.to_owned(),
            iat,
            exp: iat + TOKEN_TTL_SECONDS,
            jti: uuid::Uuid::new_v4().to_string(),
            typ: "Bearer".to_owned(),
            scope: scope.to_owned(),
            realm_access: RealmAccess { roles },
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The claims of a valid (signature and `exp`) sandbox token.
    pub(crate) fn validate(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 0;
        decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// The token from a cookie whose name contains `Authorization` (the kernel auth adapter's
/// rule), else from an `Authorization: Bearer` header.
pub(crate) fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    let from_cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| name.contains("Authorization") && !value.is_empty())
        .map(|(_, value)| value.to_owned());
    from_cookie.or_else(|| bearer_token(headers))
}

/// The token of an `Authorization: Bearer <jwt>` header only (how eSignet's Spring resource
/// server reads it; cookies are ignored).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
}

/// `POST /v1/authmanager/authenticate/clientidsecretkey`.
///
/// Success: HTTP 200, `Set-Cookie: Authorization=<jwt>; Max-Age=3600; Path=/; HttpOnly`,
/// `authorization: <jwt>`, body `response:{status:"SUCCESS", message:…}`.
/// A missing field: HTTP 200 `KER-ATH-019`. Wrong client id, secret or app id: HTTP 500
/// with code `"500"` and message `401 Unauthorized: …` — the contract's *inferred* behaviour
/// (authmanager's generic handler wrapping Keycloak's 401), not an observed one.
pub(crate) async fn authenticate(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    app.public("authmanager", "authenticate", async {
        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
            return envelope::kernel_failure(
                &Echo::default(),
                codes::KER_ATH_019.code,
                "Invalid request: body is not JSON",
            );
        };
        let echo = Echo::of(&request);
        let field = |name: &str| {
            request
                .pointer(&format!("/request/{name}"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let (Some(client_id), Some(secret_key), Some(app_id)) =
            (field("clientId"), field("secretKey"), field("appId"))
        else {
            return envelope::kernel_failure(
                &echo,
                codes::KER_ATH_019.code,
                "Invalid request: clientId, secretKey and appId are required",
            );
        };
        let config = &app.config;
        if client_id != config.client_id
            || secret_key != config.secret_key
            || app_id != config.app_id
        {
            return envelope::kernel_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &echo,
                "500",
                "401 Unauthorized: Invalid client or Invalid client credentials",
            );
        }
        let issuer = format!("{}/auth/realms/mosip", app.base_url(&headers));
        let token = match app
            .tokens
            .mint(client_id, &issuer, OffsetDateTime::now_utc())
        {
            Ok(token) => token,
            Err(error) => {
                tracing::error!(%error, "sandbox token minting failed");
                return envelope::kernel_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &echo,
                    codes::KER_ATH_501.code,
                    codes::KER_ATH_501.message,
                );
            }
        };
        let reply = envelope::kernel_ok(
            &echo,
            json!({
                "status": "SUCCESS",
                "message": "Clientid and Token combination had been validated successfully",
            }),
        );
        let cookie =
            format!("Authorization={token}; Max-Age={TOKEN_TTL_SECONDS}; Path=/; HttpOnly");
        match (HeaderValue::try_from(cookie), HeaderValue::try_from(token)) {
            (Ok(cookie), Ok(bare)) => reply
                .with_header(SET_COOKIE, cookie)
                .with_header(AUTHORIZATION, bare),
            _ => envelope::kernel_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &echo,
                codes::KER_ATH_501.code,
                codes::KER_ATH_501.message,
            ),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_validate_and_expire() {
        let tokens = Tokens::generate();
        let now = OffsetDateTime::now_utc();
        let token = tokens
            .mint("mosip-pms-client", "http://x/auth/realms/mosip", now)
            .expect("mint");
        let claims = tokens.validate(&token).expect("valid");
        assert_eq!(claims.client_id, "mosip-pms-client");
        assert_eq!(
            claims.preferred_username,
            "service-account-mosip-pms-client"
        );
        assert_eq!(claims.exp - claims.iat, 3600);
        assert!(claims
            .realm_access
            .roles
            .contains(&"PUBLISH_PARTNER_UPDATED_GENERAL".to_owned()));

        let old = tokens
            .mint("mosip-pms-client", "x", now - time::Duration::hours(2))
            .expect("mint");
        assert!(tokens.validate(&old).is_none(), "expired");
        assert!(
            Tokens::generate().validate(&token).is_none(),
            "other sandbox's secret"
        );
        assert!(tokens.validate("not.a.jwt").is_none());
    }

    #[test]
    fn token_is_read_from_cookie_or_bearer() {
        let mut headers = HeaderMap::new();
        assert_eq!(token_from_headers(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc"));
        headers.insert(
            COOKIE,
            HeaderValue::from_static("x=1; Authorization=def; y=2"),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("def"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic zzz"));
        headers.remove(COOKIE);
        assert_eq!(token_from_headers(&headers), None);
    }
}

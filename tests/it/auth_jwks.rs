//! IdP mode: RS256 tokens verified against a JWKS fetched over HTTP (as from Keycloak's
//! `.../protocol/openid-connect/certs`): issuer, audience (`aud` or `azp`), `exp`, `nbf`, key
//! rotation and the start-up checks of `[auth]`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pmsflow_api::access::token::{JwksConfig, JwksSetupError};
use pmsflow_api::access::Authenticator;
use pmsflow_store::config::{AuthMode, Settings};
use rsa::{
    pkcs1::{EncodeRsaPrivateKey, LineEnding},
    traits::PublicKeyParts,
    RsaPrivateKey,
};
use serde_json::{json, Value};

const CERTS: &str = "/auth/realms/mosip/protocol/openid-connect/certs";
const CLIENT: &str = "mosip-pms-client";

fn key() -> RsaPrivateKey {
    RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key")
}

fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    json!({
        "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Keycloak-shaped access-token claims: `aud = account`, `azp` = the client.
fn claims(iss: &str, exp_in: i64) -> Value {
    let now = now();
    json!({
        "sub": "f3c1", "preferred_username": "movp", "iss": iss, "iat": now, "exp": now + exp_in,
        "realm_access": {"roles": ["AUTH_PARTNER", "offline_access"]},
        "aud": "account", "azp": CLIENT
    })
}

/// `claims` with `changes` applied (a `null` removes the claim).
fn with(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn sign(key: &RsaPrivateKey, kid: &str, claims: &Value) -> String {
    let pem = key.to_pkcs1_pem(LineEnding::LF).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn token(key: &RsaPrivateKey, kid: &str, iss: &str, exp_in: i64) -> String {
    sign(key, kid, &claims(iss, exp_in))
}

/// A stand-in IdP serving a JWKS the test can replace, and counting its fetches.
struct Idp {
    base: String,
    jwks: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

impl Idp {
    async fn start(keys: Vec<Value>) -> Idp {
        let jwks = Arc::new(Mutex::new(json!({ "keys": keys })));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (j, f) = (jwks.clone(), fetches.clone());
        let app = axum::Router::new()
            .route(
                CERTS,
                axum::routing::get(move || {
                    let set = j.lock().unwrap().clone();
                    f.fetch_add(1, Ordering::SeqCst);
                    async move { axum::Json(set) }
                }),
            )
            .route(
                "/broken",
                axum::routing::get(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Idp {
            base,
            jwks,
            fetches,
        }
    }

    fn iss(&self) -> String {
        format!("{}/auth/realms/mosip", self.base)
    }

    /// Serve `keys` from now on (a key rotation or revocation at the IdP).
    fn publish(&self, keys: Vec<Value>) {
        *self.jwks.lock().unwrap() = json!({ "keys": keys });
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    fn config(&self, ttl: Duration) -> JwksConfig {
        JwksConfig {
            url: format!("{}{CERTS}", self.base),
            issuer: self.iss(),
            audience: vec![CLIENT.to_owned()],
            leeway: Duration::from_secs(30),
            ttl,
            extra_roots: Vec::new(),
            partner_admin_role: "PARTNER_ADMIN".into(),
        }
    }

    async fn authenticator(&self, ttl: Duration) -> Authenticator {
        Authenticator::jwks(self.config(ttl))
            .await
            .expect("the JWKS loads")
    }
}

#[tokio::test]
async fn tokens_are_verified_against_the_idp_jwks() {
    let signing = key();
    let other = key();
    let idp = Idp::start(vec![jwk(&signing, "k1")]).await;
    let iss = idp.iss();
    let auth = idp.authenticator(Duration::from_secs(300)).await;
    assert_eq!(idp.fetches(), 1, "fetched once, at start");

    let user = auth
        .verify(&token(&signing, "k1", &iss, 300))
        .await
        .expect("valid IdP token");
    assert_eq!(user.user_id, "movp");
    assert!(user.has_any(&["AUTH_PARTNER"]));
    assert!(!user.is_partner_admin);

    // Same kid, wrong key; unknown kid; other issuer; expired: all refused.
    assert!(auth.verify(&token(&other, "k1", &iss, 300)).await.is_err());
    assert!(auth
        .verify(&token(&signing, "k2", &iss, 300))
        .await
        .is_err());
    assert!(auth
        .verify(&token(
            &signing,
            "k1",
            "https://evil.example.org/realms/x",
            300
        ))
        .await
        .is_err());
    assert!(auth
        .verify(&token(&signing, "k1", &iss, -120))
        .await
        .is_err());
    // An HS256 token cannot pass as an IdP token.
    let dev = Authenticator::dev("0123456789abcdef0123", "PARTNER_ADMIN")
        .mint("movp", &["PARTNER_ADMIN".into()], Duration::from_secs(60))
        .unwrap();
    assert!(auth.verify(&dev).await.is_err());
    // The unknown kid fetched no new set: the last fetch is younger than 30 s.
    assert_eq!(idp.fetches(), 1);
}

#[tokio::test]
async fn the_audience_must_be_in_aud_or_azp() {
    let signing = key();
    let idp = Idp::start(vec![jwk(&signing, "k1")]).await;
    let auth = idp.authenticator(Duration::from_secs(300)).await;
    let base = claims(&idp.iss(), 300);
    let verify = |changes: Value| {
        let t = sign(&signing, "k1", &with(base.clone(), changes));
        let auth = &auth;
        async move { auth.verify(&t).await }
    };

    // Keycloak's shape: aud = account, azp = the client.
    verify(json!({})).await.expect("azp accepted");
    verify(json!({"aud": CLIENT, "azp": null}))
        .await
        .expect("aud as a string accepted");
    verify(json!({"aud": ["account", CLIENT], "azp": "another-client"}))
        .await
        .expect("aud as an array accepted");

    let err = verify(json!({"azp": "another-client"})).await.unwrap_err();
    assert!(err.to_string().contains("audience"), "{err}");
    assert!(
        verify(json!({"aud": ["account", "realm-management"], "azp": null}))
            .await
            .is_err()
    );
    assert!(verify(json!({"aud": null, "azp": null})).await.is_err());
}

#[tokio::test]
async fn a_token_without_iss_is_refused() {
    let signing = key();
    let idp = Idp::start(vec![jwk(&signing, "k1")]).await;
    let auth = idp.authenticator(Duration::from_secs(300)).await;
    let no_iss = with(claims(&idp.iss(), 300), json!({"iss": null}));
    let err = auth
        .verify(&sign(&signing, "k1", &no_iss))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("iss"), "{err}");
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let signing = key();
    let idp = Idp::start(vec![jwk(&signing, "k1")]).await;
    let auth = idp.authenticator(Duration::from_secs(300)).await;
    let base = claims(&idp.iss(), 3600);
    let later = with(base.clone(), json!({"nbf": now() + 600}));
    let err = auth
        .verify(&sign(&signing, "k1", &later))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ImmatureSignature"), "{err}");
    // Within the leeway (30 s) of a clock a little behind the IdP's: accepted.
    let skewed = with(base, json!({"nbf": now() + 5}));
    auth.verify(&sign(&signing, "k1", &skewed))
        .await
        .expect("nbf within the leeway");
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_stops_being_trusted() {
    let old = key();
    let new = key();
    let idp = Idp::start(vec![jwk(&old, "k1")]).await;
    let iss = idp.iss();
    let old_token = token(&old, "k1", &iss, 300);

    // TTL 300 s: the cached set holds until it is refreshed.
    let cached = idp.authenticator(Duration::from_secs(300)).await;
    // TTL 0: the set is fetched before every verification.
    let fresh = idp.authenticator(Duration::ZERO).await;
    cached.verify(&old_token).await.expect("k1 trusted");
    fresh.verify(&old_token).await.expect("k1 trusted");

    // The IdP rotates: k1 is revoked, k2 signs.
    idp.publish(vec![jwk(&new, "k2")]);
    let err = fresh.verify(&old_token).await.unwrap_err();
    assert!(err.to_string().contains("unknown key id"), "{err}");
    fresh
        .verify(&token(&new, "k2", &iss, 300))
        .await
        .expect("k2 trusted");

    cached
        .verify(&old_token)
        .await
        .expect("within the TTL the cached k1 is still trusted");
    cached.refresh().await.expect("refresh");
    assert!(cached.verify(&old_token).await.is_err());
    cached
        .verify(&token(&new, "k2", &iss, 300))
        .await
        .expect("k2 trusted after the refresh");
}

#[tokio::test]
async fn start_up_stops_when_the_first_jwks_fetch_fails() {
    let idp = Idp::start(vec![]).await;
    let err = Authenticator::jwks(idp.config(Duration::from_secs(300)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, JwksSetupError::FirstFetch { reason, .. } if reason.contains("no key")),
        "{err}"
    );
    let broken = JwksConfig {
        url: format!("{}/broken", idp.base),
        ..idp.config(Duration::from_secs(300))
    };
    let err = Authenticator::jwks(broken).await.unwrap_err();
    assert!(
        err.to_string().contains("/broken") && err.to_string().contains("500"),
        "{err}"
    );
}

/// `[auth]` in jwks mode with `changes` applied by the caller.
fn jwks_settings(jwks_url: &str) -> Settings {
    let mut s = Settings::defaults().expect("defaults");
    s.auth.mode = AuthMode::Jwks;
    s.auth.jwks_url = jwks_url.to_owned();
    s.auth.issuer = "https://iam.example.org/auth/realms/mosip".into();
    s.auth.audience = vec![CLIENT.into()];
    s
}

#[test]
fn a_plain_http_jwks_url_off_loopback_is_refused() {
    for url in [
        "http://iam.example.org/auth/realms/mosip/protocol/openid-connect/certs",
        "http://keycloak.keycloak:8080/auth/realms/mosip/protocol/openid-connect/certs",
        "http://10.0.0.7/certs",
    ] {
        let err = jwks_settings(url).validate().unwrap_err().to_string();
        assert!(
            err.contains("auth.jwks_url") && err.contains("https"),
            "{url}: {err}"
        );
    }
    for url in [
        "https://iam.example.org/auth/realms/mosip/protocol/openid-connect/certs",
        "http://127.0.0.1:8180/certs",
        "http://localhost:8180/certs",
        "http://[::1]:8180/certs",
    ] {
        jwks_settings(url).validate().expect(url);
    }
}

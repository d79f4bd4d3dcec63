//! IdP mode: RS256 tokens verified against a JWKS fetched over HTTP (as from Keycloak's
//! `.../protocol/openid-connect/certs`).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pmsflow_api::access::Authenticator;
use rsa::{
    pkcs1::{EncodeRsaPrivateKey, LineEnding},
    traits::PublicKeyParts,
    RsaPrivateKey,
};
use serde_json::json;

fn key() -> RsaPrivateKey {
    RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key")
}

fn jwk(key: &RsaPrivateKey, kid: &str) -> serde_json::Value {
    json!({
        "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

fn token(key: &RsaPrivateKey, kid: &str, iss: &str, exp_in: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let pem = key.to_pkcs1_pem(LineEnding::LF).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        &json!({
            "sub": "f3c1", "preferred_username": "movp", "iss": iss, "iat": now, "exp": now + exp_in,
            "realm_access": {"roles": ["AUTH_PARTNER", "offline_access"]}, "azp": "mosip-pms-client"
        }),
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn tokens_are_verified_against_the_idp_jwks() {
    let signing = key();
    let other = key();
    let jwks = json!({"keys": [jwk(&signing, "k1")]});
    let app = axum::Router::new().route(
        "/auth/realms/mosip/protocol/openid-connect/certs",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let iss = format!("{base}/auth/realms/mosip");
    let auth = Authenticator::jwks(
        &format!("{base}/auth/realms/mosip/protocol/openid-connect/certs"),
        Some(iss.clone()),
        "PARTNER_ADMIN",
    )
    .unwrap();

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
        .mint(
            "movp",
            &["PARTNER_ADMIN".into()],
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert!(auth.verify(&dev).await.is_err());
}

//! The sandbox's eSignet client management (`POST/PUT /v1/esignet/client-mgmt/oidc-client`)
//! over real HTTP: eSignet v1.5.1's validation and error codes, the stored clients, the
//! ledger, `Idempotency-Key` replay and fault injection.

use std::collections::BTreeSet;
use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pmsflow_core::certificate::Certificate;
use pmsflow_sandbox::{
    EsignetClient, FaultConfig, FaultRule, Sandbox, SandboxConfig, SandboxHandle,
    ESIGNET_CLAIMS_SUPPORTED,
};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

const CREATE: &str = "/v1/esignet/client-mgmt/oidc-client";

fn shared(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The four distinct RSA-2048 moduli of the verbatim JWK examples in `esignet-openapi.yaml`.
fn openapi_moduli() -> Vec<String> {
    let yaml = shared("fixtures/mosip/contracts/esignet/esignet-openapi.yaml");
    let mut moduli: Vec<String> = Vec::new();
    for line in yaml.lines() {
        if let Some(n) = line.trim().strip_prefix("'n': ") {
            if !moduli.iter().any(|m| m == n) {
                moduli.push(n.to_owned());
            }
        }
    }
    assert_eq!(moduli.len(), 4, "{moduli:?}");
    moduli
}

fn rsa_jwk(n: &str) -> Value {
    json!({"kty": "RSA", "e": "AQAB", "use": "sig", "alg": "RS256", "n": n})
}

/// The RSA-4096 key of an api-test partner certificate, as a JWK.
fn certificate_jwk(relative: &str) -> Value {
    let cert = Certificate::from_pem(&shared(&format!("fixtures/mosip/certs/{relative}")))
        .expect("fixture parses");
    let (_, x509) = x509_parser::parse_x509_certificate(cert.der()).expect("x509");
    let key = rsa::RsaPublicKey::from_public_key_der(x509.public_key().raw).expect("rsa key");
    json!({"kty": "RSA", "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
           "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be())})
}

fn now_mosip() -> String {
    pmsflow_sandbox::mosip_timestamp(OffsetDateTime::now_utc())
}

/// A valid create request in PMS's shape (mosip-contracts.md §2.5), for `client_id` and the
/// JWK `public_key`; values from the eSignet OpenAPI / Postman examples.
fn create_body(client_id: &str, public_key: Value) -> Value {
    json!({
        "requestTime": now_mosip(),
        "request": {
            "clientId": client_id,
            "clientName": "Fastlane e-Sim Service",
            "publicKey": public_key,
            "relyingPartyId": "mpartner-auth-1",
            "userClaims": ["name", "email", "phone_number", "address"],
            "authContextRefs": ["mosip:idp:acr:generated-code", "mosip:idp:acr:biometrics", "mosip:idp:acr:linked-wallet"],
            "logoUri": "https://fastlane.com/fastline-esim.png",
            "redirectUris": ["https://fastlane.com/homepage", "io.mosip.residentapp://oauth", "http://localhost:3000/**"],
            "grantTypes": ["authorization_code"],
            "clientAuthMethods": ["private_key_jwt"]
        }
    })
}

/// A valid update request (the Postman "Update OIDC client" shape).
fn update_body(status: &str) -> Value {
    json!({
        "requestTime": now_mosip(),
        "request": {
            "logoUri": "https://fastlane.com/logo-v2.png",
            "redirectUris": ["https://fastlane.com/callback"],
            "userClaims": ["name", "email", "gender", "phone_number", "birthdate", "picture", "address"],
            "authContextRefs": ["mosip:idp:acr:generated-code", "mosip:idp:acr:password", "mosip:idp:acr:static-code"],
            "status": status,
            "grantTypes": ["authorization_code"],
            "clientName": "Fastlane e-Sim Service v2",
            "clientAuthMethods": ["private_key_jwt"]
        }
    })
}

struct Esignet {
    handle: SandboxHandle,
    http: reqwest::Client,
    token: String,
}

impl Esignet {
    async fn start() -> Esignet {
        let handle = Sandbox::spawn(SandboxConfig::default())
            .await
            .expect("sandbox");
        let token = handle
            .sandbox
            .mint_token(&format!("{}/auth/realms/mosip", handle.base_url))
            .expect("token");
        Esignet {
            handle,
            http: reqwest::Client::new(),
            token,
        }
    }

    fn sandbox(&self) -> &Sandbox {
        &self.handle.sandbox
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.expect("send");
        let status = response.status();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        };
        (status, body)
    }

    async fn create(&self, body: &Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.url(CREATE))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }

    async fn update(
        &self,
        client_id: &str,
        body: &Value,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .put(self.url(&format!("{CREATE}/{client_id}")))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }
}

/// The error codes of an HTTP 200 eSignet failure (asserting its shape).
fn codes(status: StatusCode, body: &Value) -> Vec<String> {
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["response"].is_null(), "{body}");
    assert_mosip_time(body["responseTime"].as_str().expect("responseTime"));
    let errors = body["errors"].as_array().expect("errors array");
    assert!(!errors.is_empty(), "{body}");
    errors
        .iter()
        .map(|e| {
            assert!(e["errorMessage"].is_string(), "{e}");
            assert!(e.get("message").is_none(), "eSignet spells it errorMessage");
            e["errorCode"].as_str().expect("errorCode").to_owned()
        })
        .collect()
}

fn first_error(body: &Value) -> (&str, &str) {
    (
        body["errors"][0]["errorCode"].as_str().unwrap_or("<none>"),
        body["errors"][0]["errorMessage"]
            .as_str()
            .unwrap_or("<none>"),
    )
}

fn assert_mosip_time(text: &str) {
    let bytes = text.as_bytes();
    assert_eq!(bytes.len(), 24, "{text}");
    assert_eq!(
        (bytes[4], bytes[10], bytes[19], bytes[23]),
        (b'-', b'T', b'.', b'Z'),
        "{text}"
    );
}

fn set(body: &mut Value, pointer: &str, value: Value) {
    *body
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = value;
}

fn remove(body: &mut Value, field: &str) {
    body["request"]
        .as_object_mut()
        .expect("request")
        .remove(field);
}

#[tokio::test]
async fn create_ok_stores_the_client_and_records_the_effect() {
    let esignet = Esignet::start().await;
    let n = &openapi_moduli()[0];
    let mut body = create_body("WMX5pO6dYdCFR3iaVWGclVPNxTNSADDv", rsa_jwk(n));
    // A JSON null ACR item passes eSignet's validator and is dropped when stored.
    set(
        &mut body,
        "/request/authContextRefs",
        json!([
            "mosip:idp:acr:generated-code",
            null,
            "mosip:idp:acr:biometrics"
        ]),
    );
    let (status, answer) = esignet.create(&body, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["response"],
        json!({"clientId": "WMX5pO6dYdCFR3iaVWGclVPNxTNSADDv", "status": "ACTIVE"})
    );
    assert_eq!(answer["errors"], json!([]));
    assert_mosip_time(answer["responseTime"].as_str().expect("responseTime"));
    let keys: BTreeSet<&str> = answer
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["responseTime", "response", "errors"]));

    let clients = esignet.sandbox().esignet_clients();
    assert_eq!(clients.len(), 1);
    let client = &clients[0];
    assert_eq!(client.client_id, "WMX5pO6dYdCFR3iaVWGclVPNxTNSADDv");
    assert_eq!(client.client_name, "Fastlane e-Sim Service");
    assert_eq!(client.relying_party_id, "mpartner-auth-1");
    assert_eq!(client.public_key, rsa_jwk(n));
    assert_eq!(client.status, "ACTIVE");
    assert_eq!(
        client.auth_context_refs,
        vec!["mosip:idp:acr:generated-code", "mosip:idp:acr:biometrics"]
    );
    assert_eq!(client.redirect_uris.len(), 3);
    assert_eq!(client.updated_at, None);

    let listed: Vec<EsignetClient> = esignet
        .http
        .get(esignet.url("/_sandbox/esignet/clients"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(listed, clients);

    let ledger = esignet.sandbox().ledger_for("esignet");
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (ledger[0].operation.as_str(), ledger[0].effect_key.as_str()),
        ("create", "WMX5pO6dYdCFR3iaVWGclVPNxTNSADDv")
    );
    assert!(!ledger[0].replay);
    assert_eq!(ledger[0].detail["status"], "ACTIVE");

    // A 4096-bit key (api-test partner certificate) and a private JWK are fine; private
    // members are not stored.
    let mut private = certificate_jwk("apitest-credential/partner.movp.pem");
    private["d"] = json!("c2VjcmV0");
    let (status, answer) = esignet
        .create(&create_body("movp-client", private), None)
        .await;
    assert_eq!((status, &answer["errors"]), (StatusCode::OK, &json!([])));
    let stored = &esignet.sandbox().esignet_clients()[1];
    assert!(stored.public_key.get("d").is_none());
    assert_eq!(
        stored.public_key,
        certificate_jwk("apitest-credential/partner.movp.pem")
    );

    // Discovery: what PMS filters its claims with.
    let (status, discovery) = esignet
        .send(
            esignet
                .http
                .get(esignet.url("/v1/esignet/oidc/.well-known/openid-configuration")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        discovery["claims_supported"],
        json!(ESIGNET_CLAIMS_SUPPORTED)
    );
    assert_eq!(
        discovery["issuer"],
        format!("{}/v1/esignet", esignet.handle.base_url)
    );
}

#[tokio::test]
async fn every_validation_error_code() {
    let esignet = Esignet::start().await;
    let moduli = openapi_moduli();
    let valid = create_body("client-1", rsa_jwk(&moduli[0]));
    let long = |c: char, len: usize| Value::String(std::iter::repeat_n(c, len).collect());

    // (what, mutation, expected (code, errorMessage) of errors[0], expected error count)
    type Mutation = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Mutation, (&str, &str), usize)> = vec![
        (
            "stale requestTime",
            Box::new(|b| {
                let old = pmsflow_sandbox::mosip_timestamp(
                    OffsetDateTime::now_utc() - Duration::minutes(5),
                );
                set(b, "/requestTime", json!(old));
            }),
            ("invalid_request", "requestTime: invalid_request"),
            1,
        ),
        (
            "requestTime without millis",
            Box::new(|b| set(b, "/requestTime", json!("2025-07-04T10:20:00Z"))),
            ("invalid_request", "requestTime: invalid_request"),
            1,
        ),
        (
            "no request",
            Box::new(|b| {
                b.as_object_mut().expect("object").remove("request");
            }),
            ("invalid_request", "request: invalid_request"),
            1,
        ),
        (
            "missing clientId",
            Box::new(|b| remove(b, "clientId")),
            ("invalid_client_id", "request.clientId: invalid_client_id"),
            1,
        ),
        (
            "clientId with a space",
            Box::new(|b| set(b, "/request/clientId", json!("client 1"))),
            ("invalid_client_id", "request.clientId: invalid_client_id"),
            1,
        ),
        (
            "clientId of 101",
            Box::new(move |b| set(b, "/request/clientId", long('c', 101))),
            ("invalid_client_id", "request.clientId: invalid_client_id"),
            1,
        ),
        (
            "blank clientName",
            Box::new(|b| set(b, "/request/clientName", json!("  "))),
            (
                "invalid_client_name",
                "request.clientName: invalid_client_name",
            ),
            1,
        ),
        (
            "clientName of 257",
            Box::new(move |b| set(b, "/request/clientName", long('n', 257))),
            (
                "invalid_client_name",
                "request.clientName: invalid_client_name",
            ),
            1,
        ),
        (
            "empty publicKey",
            Box::new(|b| set(b, "/request/publicKey", json!({}))),
            (
                "invalid_public_key",
                "request.publicKey: invalid_public_key",
            ),
            1,
        ),
        (
            "missing relyingPartyId",
            Box::new(|b| remove(b, "relyingPartyId")),
            ("invalid_rp_id", "request.relyingPartyId: invalid_rp_id"),
            1,
        ),
        (
            "unsupported claim",
            Box::new(|b| {
                set(
                    b,
                    "/request/userClaims",
                    json!(["name", "favourite_colour"]),
                )
            }),
            ("invalid_claim", "request.userClaims[1]: invalid_claim"),
            1,
        ),
        (
            "31 claims",
            Box::new(|b| set(b, "/request/userClaims", json!(vec!["name"; 31]))),
            ("invalid_claim", "request.userClaims: invalid_claim"),
            1,
        ),
        (
            "missing userClaims",
            Box::new(|b| remove(b, "userClaims")),
            ("invalid_claim", "request.userClaims: invalid_claim"),
            1,
        ),
        (
            "no ACR",
            Box::new(|b| set(b, "/request/authContextRefs", json!([]))),
            ("invalid_acr", "request.authContextRefs: invalid_acr"),
            1,
        ),
        (
            "unknown ACR",
            Box::new(|b| {
                set(
                    b,
                    "/request/authContextRefs",
                    json!(["mosip:idp:acr:knowledge"]),
                )
            }),
            ("invalid_acr", "request.authContextRefs[0]: invalid_acr"),
            1,
        ),
        (
            "relative logoUri",
            Box::new(|b| set(b, "/request/logoUri", json!("logo.png"))),
            ("invalid_uri", "request.logoUri: invalid_uri"),
            1,
        ),
        (
            "missing logoUri",
            Box::new(|b| remove(b, "logoUri")),
            ("invalid_uri", "request.logoUri: invalid_uri"),
            1,
        ),
        (
            "relative redirect URI",
            Box::new(|b| {
                set(
                    b,
                    "/request/redirectUris",
                    json!(["https://fastlane.com/cb", "/cb"]),
                )
            }),
            (
                "invalid_redirect_uri",
                "request.redirectUris[1]: invalid_redirect_uri",
            ),
            1,
        ),
        (
            "reserved-TLD redirect URI",
            Box::new(|b| {
                set(
                    b,
                    "/request/redirectUris",
                    json!(["https://acme.example/cb"]),
                )
            }),
            (
                "invalid_redirect_uri",
                "request.redirectUris[0]: invalid_redirect_uri",
            ),
            1,
        ),
        (
            "blank redirect URI",
            Box::new(|b| set(b, "/request/redirectUris", json!([""]))),
            (
                "invalid_redirect_uri",
                "request.redirectUris[0]: invalid_redirect_uri",
            ),
            2,
        ),
        (
            "no redirect URI",
            Box::new(|b| set(b, "/request/redirectUris", json!([]))),
            (
                "invalid_redirect_uri",
                "request.redirectUris: invalid_redirect_uri",
            ),
            1,
        ),
        (
            "6 redirect URIs",
            Box::new(|b| {
                set(
                    b,
                    "/request/redirectUris",
                    json!(vec!["https://fastlane.com/cb"; 6]),
                )
            }),
            (
                "invalid_redirect_uri",
                "request.redirectUris: invalid_redirect_uri",
            ),
            1,
        ),
        (
            "client_credentials grant",
            Box::new(|b| set(b, "/request/grantTypes", json!(["client_credentials"]))),
            (
                "invalid_grant_type",
                "request.grantTypes[0]: invalid_grant_type",
            ),
            1,
        ),
        (
            "no grant type",
            Box::new(|b| set(b, "/request/grantTypes", json!([]))),
            (
                "invalid_grant_type",
                "request.grantTypes: invalid_grant_type",
            ),
            1,
        ),
        (
            "client_secret_basic",
            Box::new(|b| {
                set(
                    b,
                    "/request/clientAuthMethods",
                    json!(["client_secret_basic"]),
                )
            }),
            (
                "invalid_client_auth",
                "request.clientAuthMethods[0]: invalid_client_auth",
            ),
            1,
        ),
        (
            "missing clientAuthMethods",
            Box::new(|b| remove(b, "clientAuthMethods")),
            (
                "invalid_client_auth",
                "request.clientAuthMethods: invalid_client_auth",
            ),
            1,
        ),
        // Service-level checks (after bean validation): one error, message = code.
        (
            "EC key",
            Box::new(|b| set(b, "/request/publicKey/kty", json!("EC"))),
            ("invalid_public_key", "invalid_public_key"),
            1,
        ),
        (
            "n not base64url",
            Box::new(|b| set(b, "/request/publicKey/n", json!("g7KP+/=="))),
            ("invalid_public_key", "invalid_public_key"),
            1,
        ),
        (
            "missing e",
            Box::new(|b| {
                b["request"]["publicKey"]
                    .as_object_mut()
                    .expect("jwk")
                    .remove("e");
            }),
            ("invalid_public_key", "invalid_public_key"),
            1,
        ),
        (
            "1024-bit key",
            Box::new(|b| {
                let n = b["request"]["publicKey"]["n"]
                    .as_str()
                    .expect("n")
                    .to_owned();
                let mut bytes = URL_SAFE_NO_PAD.decode(n).expect("n");
                bytes.truncate(128);
                bytes[127] |= 1;
                set(
                    b,
                    "/request/publicKey/n",
                    json!(URL_SAFE_NO_PAD.encode(bytes)),
                );
            }),
            ("invalid_public_key", "invalid_public_key"),
            1,
        ),
        (
            "logoUri longer than its column",
            Box::new(|b| {
                set(
                    b,
                    "/request/logoUri",
                    json!(format!("https://fastlane.com/{}", "l".repeat(2048))),
                );
            }),
            ("duplicate_public_key", "duplicate_public_key"),
            1,
        ),
        // Unreadable bodies.
        (
            "userClaims not a list",
            Box::new(|b| set(b, "/request/userClaims", json!("name"))),
            ("unknown_error", ""),
            1,
        ),
    ];
    for (what, mutate, (code, message), count) in &cases {
        let mut body = valid.clone();
        mutate(&mut body);
        let (status, answer) = esignet.create(&body, None).await;
        let found = codes(status, &answer);
        assert_eq!(found.len(), *count, "{what}: {answer}");
        let (found_code, found_message) = first_error(&answer);
        assert_eq!(found_code, *code, "{what}: {answer}");
        if !message.is_empty() {
            assert_eq!(found_message, *message, "{what}");
        }
    }

    // Everything missing at once: every constraint is reported.
    let (status, answer) = esignet
        .create(&json!({"requestTime": now_mosip(), "request": {}}), None)
        .await;
    let found: BTreeSet<String> = codes(status, &answer).into_iter().collect();
    let expected: BTreeSet<String> = [
        "invalid_client_id",
        "invalid_client_name",
        "invalid_public_key",
        "invalid_rp_id",
        "invalid_claim",
        "invalid_acr",
        "invalid_uri",
        "invalid_redirect_uri",
        "invalid_grant_type",
        "invalid_client_auth",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(found, expected, "{answer}");

    // Not JSON at all.
    let (status, answer) = esignet
        .send(
            esignet
                .http
                .post(esignet.url(CREATE))
                .bearer_auth(&esignet.token)
                .header(CONTENT_TYPE, "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(codes(status, &answer), vec!["unknown_error"]);

    // Update-only: the status pattern is case-sensitive and required.
    let (status, answer) = esignet.create(&valid, None).await;
    assert_eq!((status, &answer["errors"]), (StatusCode::OK, &json!([])));
    for (status_value, message) in [
        (json!("active"), "request.status: invalid_status"),
        (Value::Null, "request.status: invalid_status"),
    ] {
        let mut body = update_body("ACTIVE");
        set(&mut body, "/request/status", status_value);
        let (status, answer) = esignet.update("client-1", &body, None).await;
        assert_eq!(codes(status, &answer), vec!["invalid_status"]);
        assert_eq!(first_error(&answer).1, message);
    }
    let mut body = update_body("ACTIVE");
    set(&mut body, "/request/userClaims", json!([]));
    let (status, answer) = esignet.update("client-1", &body, None).await;
    assert_eq!(
        codes(status, &answer),
        vec!["invalid_claim"],
        "update needs ≥ 1 claim"
    );

    // Nothing but the one valid create had an effect.
    assert_eq!(esignet.sandbox().esignet_clients().len(), 1);
    assert_eq!(esignet.sandbox().ledger_for("esignet").len(), 1);
}

#[tokio::test]
async fn duplicate_client_id_and_duplicate_public_key() {
    let esignet = Esignet::start().await;
    let moduli = openapi_moduli();
    let first = create_body("client-a", rsa_jwk(&moduli[0]));
    let (status, answer) = esignet.create(&first, None).await;
    assert_eq!((status, &answer["errors"]), (StatusCode::OK, &json!([])));

    // Same id (even with another key): duplicate_client_id, checked before the key.
    let again = create_body("client-a", rsa_jwk(&moduli[1]));
    let (status, answer) = esignet.create(&again, None).await;
    assert_eq!(codes(status, &answer), vec!["duplicate_client_id"]);
    assert_eq!(
        first_error(&answer),
        ("duplicate_client_id", "duplicate_client_id")
    );
    let broken_key = create_body("client-a", json!({"kty": "RSA"}));
    let (status, answer) = esignet.create(&broken_key, None).await;
    assert_eq!(codes(status, &answer), vec!["duplicate_client_id"]);

    // Another id with the same modulus: the unique index on `n`.
    let same_key = create_body("client-b", rsa_jwk(&moduli[0]));
    let (status, answer) = esignet.create(&same_key, None).await;
    assert_eq!(codes(status, &answer), vec!["duplicate_public_key"]);

    let clients = esignet.sandbox().esignet_clients();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].public_key["n"], moduli[0].as_str());
    assert_eq!(esignet.sandbox().ledger_for("esignet").len(), 1);
}

#[tokio::test]
async fn update_of_an_unknown_client_is_invalid_client_id() {
    let esignet = Esignet::start().await;
    let (status, answer) = esignet
        .update("no-such-client", &update_body("ACTIVE"), None)
        .await;
    assert_eq!(codes(status, &answer), vec!["invalid_client_id"]);
    assert_eq!(
        first_error(&answer),
        ("invalid_client_id", "invalid_client_id")
    );
    assert!(esignet.sandbox().esignet_clients().is_empty());
    assert!(esignet.sandbox().ledger_for("esignet").is_empty());
}

#[tokio::test]
async fn update_replaces_the_stored_fields() {
    let esignet = Esignet::start().await;
    let n = &openapi_moduli()[2];
    let (status, answer) = esignet
        .create(&create_body("client-u", rsa_jwk(n)), None)
        .await;
    assert_eq!((status, &answer["errors"]), (StatusCode::OK, &json!([])));
    let before = esignet.sandbox().esignet_clients()[0].clone();

    let body = update_body("INACTIVE");
    let (status, answer) = esignet.update("client-u", &body, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["response"],
        json!({"clientId": "client-u", "status": "INACTIVE"})
    );
    assert_eq!(answer["errors"], json!([]));

    let after = esignet.sandbox().esignet_clients()[0].clone();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|s| s.as_str().expect("str").to_owned())
            .collect()
    };
    let request = &body["request"];
    assert_eq!(after.status, "INACTIVE");
    assert_eq!(after.client_name, "Fastlane e-Sim Service v2");
    assert_eq!(after.logo_uri, "https://fastlane.com/logo-v2.png");
    assert_eq!(after.redirect_uris, strings(&request["redirectUris"]));
    assert_eq!(after.user_claims, strings(&request["userClaims"]));
    assert_eq!(
        after.auth_context_refs,
        strings(&request["authContextRefs"])
    );
    assert!(after.updated_at.is_some());
    // Not updatable through this API.
    assert_eq!(after.client_id, before.client_id);
    assert_eq!(after.public_key, before.public_key);
    assert_eq!(after.relying_party_id, before.relying_party_id);
    assert_eq!(after.created_at, before.created_at);

    // Back to ACTIVE (INACTIVE clients can still be updated in eSignet).
    let (status, answer) = esignet
        .update("client-u", &update_body("ACTIVE"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["response"]["status"], "ACTIVE");
    assert_eq!(esignet.sandbox().esignet_clients()[0].status, "ACTIVE");

    // The same update again (new requestTime): the same natural effect key.
    let (status, _) = esignet
        .update("client-u", &update_body("ACTIVE"), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let ledger = esignet.sandbox().ledger_for("esignet");
    let operations: Vec<&str> = ledger.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(operations, vec!["create", "update", "update", "update"]);
    assert!(ledger[1].effect_key.starts_with("client-u:"));
    assert_eq!(ledger[1].detail["status"], "INACTIVE");
    assert_ne!(ledger[1].effect_key, ledger[2].effect_key);
    assert_eq!(ledger[2].effect_key, ledger[3].effect_key);
}

#[tokio::test]
async fn replay_with_the_same_effect_key_creates_once() {
    let esignet = Esignet::start().await;
    let body = create_body("client-r", rsa_jwk(&openapi_moduli()[3]));
    let (status_a, first) = esignet.create(&body, Some("run-1/esignet-create")).await;
    let (status_b, second) = esignet.create(&body, Some("run-1/esignet-create")).await;
    assert_eq!((status_a, status_b), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        first, second,
        "byte-identical replay, not duplicate_client_id"
    );
    assert_eq!(first["response"]["status"], "ACTIVE");
    assert_eq!(esignet.sandbox().esignet_clients().len(), 1);

    // Concurrent retries with the key still have one effect.
    let calls = (0..3).map(|_| esignet.create(&body, Some("run-1/esignet-create")));
    for (status, answer) in futures::future::join_all(calls).await {
        assert_eq!((status, &answer), (StatusCode::OK, &first));
    }

    // Without the key (or with another one) eSignet's own rule applies.
    let (status, answer) = esignet.create(&body, Some("run-2/esignet-create")).await;
    assert_eq!(codes(status, &answer), vec!["duplicate_client_id"]);

    // Update replay: the same stored answer, one effect.
    let update = update_body("INACTIVE");
    let (_, u1) = esignet
        .update("client-r", &update, Some("run-1/esignet-update"))
        .await;
    let (_, u2) = esignet
        .update("client-r", &update, Some("run-1/esignet-update"))
        .await;
    assert_eq!(u1, u2);

    let ledger = esignet.sandbox().ledger_for("esignet");
    let create_entries: Vec<_> = ledger
        .iter()
        .filter(|e| e.effect_key == "run-1/esignet-create")
        .collect();
    assert_eq!(create_entries.len(), 5);
    assert_eq!(create_entries.iter().filter(|e| !e.replay).count(), 1);
    assert!(create_entries
        .iter()
        .filter(|e| e.replay)
        .all(|e| e.detail["replayOf"] == create_entries[0].seq));
    let update_entries: Vec<_> = ledger
        .iter()
        .filter(|e| e.effect_key == "run-1/esignet-update")
        .collect();
    assert_eq!(
        update_entries.iter().map(|e| e.replay).collect::<Vec<_>>(),
        vec![false, true]
    );
    assert!(ledger
        .iter()
        .all(|e| e.effect_key != "run-2/esignet-create"));
    assert_eq!(esignet.sandbox().esignet_clients().len(), 1);
}

#[tokio::test]
async fn injected_faults_fail_without_effect() {
    let esignet = Esignet::start().await;
    let moduli = openapi_moduli();
    let body = create_body("client-f", rsa_jwk(&moduli[0]));

    // 503 on create, via the admin endpoint.
    let response = esignet
        .http
        .put(esignet.url("/_sandbox/faults"))
        .json(&json!({"rules": {"esignet.create": {"error_rate": 1.0}}}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, answer) = esignet.create(&body, Some("fault-key")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first_error(&answer).0, "unknown_error");
    assert!(answer["response"].is_null());

    // eSignet's transient HTTP 200 error, then an injected permanent code.
    esignet.sandbox().set_faults(FaultConfig::single(
        "esignet.create",
        FaultRule::always_http200_error(None),
    ));
    let (status, answer) = esignet.create(&body, Some("fault-key")).await;
    assert_eq!(codes(status, &answer), vec!["unknown_error"]);
    esignet.sandbox().set_faults(FaultConfig::single(
        "esignet.*",
        FaultRule::always_http200_error(Some("duplicate_client_id")),
    ));
    let (status, answer) = esignet.create(&body, Some("fault-key")).await;
    assert_eq!(codes(status, &answer), vec!["duplicate_client_id"]);
    assert!(esignet.sandbox().esignet_clients().is_empty());
    assert!(esignet.sandbox().ledger().is_empty());

    // The rule on update leaves create alone.
    esignet.sandbox().set_faults(FaultConfig::single(
        "esignet.update",
        FaultRule {
            outage: true,
            ..FaultRule::default()
        },
    ));
    let (status, answer) = esignet.create(&body, Some("fault-key")).await;
    assert_eq!((status, &answer["errors"]), (StatusCode::OK, &json!([])));
    let (status, _) = esignet
        .update("client-f", &update_body("INACTIVE"), None)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(esignet.sandbox().esignet_clients()[0].status, "ACTIVE");

    esignet.sandbox().clear_faults();
    let (status, answer) = esignet
        .update("client-f", &update_body("INACTIVE"), None)
        .await;
    assert_eq!((status, &answer["errors"]), (StatusCode::OK, &json!([])));
    let operations: Vec<String> = esignet
        .sandbox()
        .ledger()
        .into_iter()
        .map(|e| format!("{}.{}", e.service, e.operation))
        .collect();
    assert_eq!(operations, vec!["esignet.create", "esignet.update"]);
}

#[tokio::test]
async fn bearer_token_and_json_are_required() {
    let esignet = Esignet::start().await;
    let body = create_body("client-t", rsa_jwk(&openapi_moduli()[0]));

    let (status, answer) = esignet
        .send(esignet.http.post(esignet.url(CREATE)).json(&body))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(first_error(&answer).0, "UNAUTHORIZED");

    // The kernel cookie is not enough for eSignet's resource server.
    let (status, _) = esignet
        .send(
            esignet
                .http
                .post(esignet.url(CREATE))
                .header("Cookie", format!("Authorization={}", esignet.token))
                .json(&body),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = esignet
        .send(
            esignet
                .http
                .put(esignet.url(&format!("{CREATE}/client-t")))
                .bearer_auth("not.a.jwt")
                .json(&update_body("ACTIVE")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = esignet
        .send(
            esignet
                .http
                .post(esignet.url(CREATE))
                .bearer_auth(&esignet.token)
                .header(CONTENT_TYPE, "text/plain")
                .body(body.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert!(esignet.sandbox().esignet_clients().is_empty());
    assert!(esignet.sandbox().ledger().is_empty());
}

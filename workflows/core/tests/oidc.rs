//! OIDC client decisions against the real MOSIP fixtures in `$PMSFLOW_SHARED_DIR` (default: the
//! `shared/` beside the work tree, i.e. `/work/shared`):
//! - `fixtures/mosip/contracts/esignet/identity-mapping.json` and `amr-acr-mapping.json`
//!   (the config-server files PMS reads);
//! - the Auth policies `fixtures/mosip/policies/auth-policy.*.json`;
//! - the eSignet sample JWK of `esignet-openapi.yaml` (`/client-mgmt/oidc-client` example) and
//!   the RSA partner certificate `fixtures/mosip/certs/pms-api-chain/partner.PMS_API_ABC_ORG.pem`.
//!
//! Expected values were produced by running MOSIP's own code paths on the JVM: jose4j 0.5.5
//! compiled from source, `new RsaJsonWebKey(map).toJson()` then SHA-256 and
//! `Base64.getUrlEncoder().withoutPadding()` (PMS 1.2.0.1 `createOIDCClient`), and a verbatim
//! copy of `AuthenticationContextRefUtil#getPolicySupportedClaims` / `#getAuthFactors` with
//! `java.util.HashMap`/`HashSet` (OpenJDK 17) for the claim and ACR order. Each client id is
//! also recomputed here from the expected canonical JSON with `sha2` + `base64`.

use std::path::PathBuf;

use base64::Engine as _;
use pmsflow_core::oidc::{
    client_id, create_body, derive, join_list, split_list, update_body, CanonicalJwk,
    ClaimsAndAcrs, ClientDetailCreateRequest, ClientDetailUpdateRequest, EsignetRequest, Jwk,
    Mappings, OidcError,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::macros::datetime;

fn shared_dir() -> PathBuf {
    std::env::var_os("PMSFLOW_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn read(relative: &str) -> String {
    let path = shared_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mappings() -> Mappings {
    Mappings::parse(
        &read("fixtures/mosip/contracts/esignet/identity-mapping.json"),
        &read("fixtures/mosip/contracts/esignet/amr-acr-mapping.json"),
    )
    .expect("real mapping files parse")
}

fn policy(name: &str) -> Value {
    serde_json::from_str(&read(&format!("fixtures/mosip/policies/{name}"))).expect("policy json")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// `claims_supported` of eSignet's `.well-known/openid-configuration` example in
/// `fixtures/mosip/contracts/esignet/esignet-openapi.yaml`.
fn claims_supported() -> Vec<String> {
    strings(&[
        "name",
        "picture",
        "gender",
        "birthdate",
        "address",
        "email",
        "phone_number",
    ])
}

/// Every claim identity-mapping.json knows, in file order (a stress case for the `List`-keyed
/// map: `phone`/`phoneNumber`/`phone_number`, `email`/`emailId`, `address`/`fullAddress`...
/// share attribute lists).
fn all_identity_claims() -> Vec<String> {
    mappings().identity.into_iter().map(|(c, _)| c).collect()
}

const ACR_BIO: &str = "mosip:idp:acr:biometrics";
const ACR_OTP: &str = "mosip:idp:acr:generated-code";
const ACR_WALLET: &str = "mosip:idp:acr:linked-wallet";

// ---------------------------------------------------------------------------------------------
// Claims and ACRs
// ---------------------------------------------------------------------------------------------

#[test]
fn mappings_parse_the_real_files() {
    let m = mappings();
    assert!(m
        .identity
        .iter()
        .any(|(c, attrs)| c == "address" && attrs.len() == 7 && attrs[3] == "city"));
    assert_eq!(
        m.supported_acrs(),
        vec![
            "mosip:idp:acr:password",
            "mosip:idp:acr:static-code",
            ACR_OTP,
            ACR_WALLET,
            ACR_BIO
        ]
    );
    assert_eq!(m.amr.len(), 5);
    assert_eq!(m.amr[4].0, "L1-bio-device");
    assert_eq!(m.amr[4].1[0].kind, "BIO");
    assert_eq!(m.amr[4].1[0].count, 1);
}

#[test]
fn docs_example_auth_policy() {
    let got = derive(
        &policy("auth-policy.docs-example.json"),
        &mappings(),
        &claims_supported(),
    )
    .expect("derive");
    // fullName → name, gender, dateOfBirth → birthdate; residenceStatus and photo map to
    // nothing eSignet supports. bio → BIO, otp → OTP; kyc/demo/otp-request → no AMR.
    assert_eq!(
        got,
        ClaimsAndAcrs {
            user_claims: strings(&["birthdate", "gender", "name"]),
            auth_context_refs: strings(&[ACR_BIO, ACR_OTP]),
        }
    );
}

#[test]
fn kyc_languages_apitest_auth_policy() {
    let got = derive(
        &policy("auth-policy.kyc-languages.apitest.json"),
        &mappings(),
        &claims_supported(),
    )
    .expect("derive");
    assert_eq!(
        got.user_claims,
        strings(&[
            "birthdate",
            "address",
            "gender",
            "name",
            "phone_number",
            "email"
        ])
    );
    assert_eq!(got.auth_context_refs, strings(&[ACR_BIO, ACR_OTP]));
}

#[test]
fn oidc_relying_party_auth_policy() {
    let got = derive(
        &policy("auth-policy.oidc-relying-party.json"),
        &mappings(),
        &claims_supported(),
    )
    .expect("derive");
    // face → picture; city and addressLine1 → address (one claim); wla → WLA → linked-wallet.
    assert_eq!(
        got.user_claims,
        strings(&[
            "birthdate",
            "address",
            "gender",
            "name",
            "phone_number",
            "picture",
            "email"
        ])
    );
    assert_eq!(
        got.auth_context_refs,
        strings(&[ACR_WALLET, ACR_BIO, ACR_OTP])
    );
}

#[test]
fn every_identity_claim_supported_matches_java_order() {
    let m = mappings();
    let all = all_identity_claims();
    let cases = [
        (
            "auth-policy.docs-example.json",
            vec!["birthdate", "gender", "name", "residenceStatus"],
        ),
        (
            "auth-policy.kyc-languages.apitest.json",
            vec![
                "country",
                "birthdate",
                "address",
                "gender",
                "locality",
                "name",
                "residenceStatus",
                "phone_number",
                "emailId",
                "locationHierarchyForProfiling",
                "location4",
                "postal_code",
            ],
        ),
        (
            "auth-policy.oidc-relying-party.json",
            vec![
                "street_address",
                "birthdate",
                "address",
                "gender",
                "locality",
                "name",
                "addressLine1",
                "phone_number",
                "emailId",
                "picture",
            ],
        ),
    ];
    for (file, expected) in cases {
        let got = derive(&policy(file), &m, &all).expect(file);
        assert_eq!(got.user_claims, strings(&expected), "{file}");
    }
}

#[test]
fn auth_sub_types_are_ignored() {
    let p = json!({
        "allowedKycAttributes": [{"attributeName": "fullName"}],
        "allowedAuthTypes": [{"authType": "BIO", "authSubType": "FACE", "mandatory": false}],
        "authTokenType": "partner"
    });
    let got = derive(&p, &mappings(), &claims_supported()).expect("derive");
    assert_eq!(got.user_claims, strings(&["name"]));
    assert_eq!(got.auth_context_refs, strings(&[ACR_BIO]));
}

#[test]
fn duplicate_attributes_give_one_claim() {
    let p = json!({
        "allowedKycAttributes": [
            {"attributeName": "city"}, {"attributeName": "CITY"}, {"attributeName": "postalCode"}
        ],
        "allowedAuthTypes": [
            {"authType": "otp", "mandatory": false}, {"authType": "OTP", "mandatory": false}
        ],
        "authTokenType": "partner"
    });
    let got = derive(&p, &mappings(), &claims_supported()).expect("derive");
    assert_eq!(got.user_claims, strings(&["address"]));
    assert_eq!(got.auth_context_refs, strings(&[ACR_OTP]));
}

#[test]
fn mandatory_auth_type_is_refused() {
    let mut p = policy("auth-policy.oidc-relying-party.json");
    p["allowedAuthTypes"][3]["mandatory"] = json!(true);
    let err = derive(&p, &mappings(), &claims_supported()).expect_err("mandatory");
    assert_eq!(err, OidcError::MandatoryAuth);
    assert_eq!(err.code(), "PMS_IDP_003");
    assert_eq!(
        err.to_string(),
        "Policy having mandatory auths. So client can't be created for the same."
    );
}

#[test]
fn claims_are_checked_before_mandatory_auths() {
    let p = json!({
        "allowedKycAttributes": [{"attributeName": "photo"}],
        "allowedAuthTypes": [{"authType": "otp", "mandatory": true}],
        "authTokenType": "partner"
    });
    assert_eq!(
        derive(&p, &mappings(), &claims_supported()),
        Err(OidcError::NoClaims)
    );
}

#[test]
fn empty_claims_are_refused() {
    let p = json!({
        "allowedKycAttributes": [{"attributeName": "photo"}, {"attributeName": "residenceStatus"}],
        "allowedAuthTypes": [{"authType": "otp", "mandatory": false}],
        "authTokenType": "partner"
    });
    let err = derive(&p, &mappings(), &claims_supported()).expect_err("no claims");
    assert_eq!(err, OidcError::NoClaims);
    assert_eq!(err.code(), "PMS_IDP_005");
    assert_eq!(err.to_string(), "Partner has no user claims");

    // Nothing supported by eSignet: no claim either.
    let err = derive(&policy("auth-policy.docs-example.json"), &mappings(), &[])
        .expect_err("no claims supported");
    assert_eq!(err, OidcError::NoClaims);
}

#[test]
fn empty_acrs_are_refused() {
    let p = json!({
        "allowedKycAttributes": [{"attributeName": "fullName"}],
        "allowedAuthTypes": [{"authType": "demo", "mandatory": false}, {"authType": "kyc", "mandatory": false}],
        "authTokenType": "partner"
    });
    let err = derive(&p, &mappings(), &claims_supported()).expect_err("no acr");
    assert_eq!(err, OidcError::NoAcrs);
    assert_eq!(err.code(), "PMS_IDP_005");
    assert_eq!(
        err.to_string(),
        "Partner has no Authentication Context Refrences"
    );
}

#[test]
fn malformed_policies_and_mappings() {
    let no_flag = json!({
        "allowedKycAttributes": [{"attributeName": "fullName"}],
        "allowedAuthTypes": [{"authType": "otp"}]
    });
    let err = derive(&no_flag, &mappings(), &claims_supported()).expect_err("no mandatory");
    assert!(matches!(err, OidcError::InvalidPolicy(_)));
    assert_eq!(err.code(), "PMS_PRT_500");
    let no_kyc = json!({"allowedAuthTypes": []});
    assert!(matches!(
        derive(&no_kyc, &mappings(), &claims_supported()),
        Err(OidcError::InvalidPolicy(_))
    ));

    let amr = read("fixtures/mosip/contracts/esignet/amr-acr-mapping.json");
    let err = Mappings::parse("{}", &amr).expect_err("no identity");
    assert_eq!(err.code(), "PMS-MSD-393");
    let err = Mappings::parse(r#"{"identity": {}}"#, r#"{"amr": {}}"#).expect_err("no acr_amr");
    assert_eq!(err.code(), "PMS-MSD-395");
}

// ---------------------------------------------------------------------------------------------
// clientId
// ---------------------------------------------------------------------------------------------

/// The sample RSA key of eSignet's OpenAPI (`/client-mgmt/oidc-client` request example).
const ESIGNET_N: &str = "g7KPXZdZ18H2JoW9FhYz8WrSbLeKA5mO8ROW5YQVyzYDfjbRA9sy0FwpF7pa7mBmU1_G0RvD0xbEhSaFtCL5hyNVVZCfgVqNl41C7-F2yUWhfVQPhT5YnT3eH3gV9ZczhP1trNjIzGuH-8D7EDJcoxuwdGaaY-wTmEtHykHRyab08qr62hfwLuSjHAGN6VgV-Na81XIdXmR7Dwnd1U4MxWJxzRvnVlHFCBaZIG6jNJ21vbzM-DBMq1d8tvtrGQx4w3niK_sctUZ5NP1BLkQhYSEGLr-e_mbmHFCnGtuKfnfIm-PVD-6ihfEwX3j_YQT3LhphBZj7AdXg6iyyQn9EJQ";

fn jwk(json: &str) -> Jwk {
    Jwk::from_json(json).expect("jwk json")
}

/// The MOSIP rule, computed independently: base64url-no-pad(SHA-256(canonical JSON bytes)).
fn expected_id(canonical: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[test]
fn client_id_of_the_esignet_sample_key() {
    let input =
        format!(r#"{{"kty":"RSA","e":"AQAB","use":"sig","alg":"RS256","n":"{ESIGNET_N}"}}"#);
    let key = CanonicalJwk::parse(&jwk(&input)).expect("valid key");
    // jose4j order: kty, (kid), use, (key_ops), alg, n, e.
    let canonical =
        format!(r#"{{"kty":"RSA","use":"sig","alg":"RS256","n":"{ESIGNET_N}","e":"AQAB"}}"#);
    assert_eq!(key.as_json(), canonical);
    // Value printed by jose4j + JDK for the same input.
    assert_eq!(
        key.client_id(),
        "adwdruneh5I6D_IYiRYzHI2j4mvIBwEEIwPxOeWVvsA"
    );
    assert_eq!(key.client_id(), expected_id(&canonical));
    assert_eq!(key.client_id().len(), 43);
    assert_eq!(client_id(&jwk(&input)).expect("id"), key.client_id());
    // The object sent to eSignet keeps that order.
    assert_eq!(serde_json::to_string(key.jwk()).expect("json"), canonical);
}

#[test]
fn client_id_ignores_kty_padding_and_noise_in_n() {
    let bare = format!(r#"{{"kty":"RSA","n":"{ESIGNET_N}","e":"AQAB"}}"#);
    let expected = "nnavEArSm_6M-YoK4x_m3kH1D2eYF4GQ9YreFdauO_I";
    assert_eq!(expected_id(&bare), expected);
    let (head, tail) = ESIGNET_N.split_at(100);
    for input in [
        bare.clone(),
        format!(r#"{{"e":"AQAB","n":"{ESIGNET_N}"}}"#),
        format!(r#"{{"kty":"EC","e":"AQAB","n":"{ESIGNET_N}"}}"#),
        format!(r#"{{"kty":"RSA","e":"AQAB==","n":"{head} \n{tail}="}}"#),
    ] {
        let key = CanonicalJwk::parse(&jwk(&input)).expect("valid key");
        assert_eq!(key.as_json(), bare, "{input}");
        assert_eq!(key.client_id(), expected, "{input}");
    }
}

#[test]
fn client_id_with_extra_members_and_private_part() {
    // n with two leading zero bytes, members out of jose4j order, a private exponent, extra
    // members of every JSON type (nested objects keep their order).
    let n0 = {
        let mut bytes = vec![0u8, 0];
        bytes.extend(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(ESIGNET_N)
                .expect("n"),
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let d = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([1u8; 200]);
    let input = format!(
        r#"{{"n":"{n0}","e":"AQAB","x-extra":"a/b\u2028c\"\u0001\u00e9","kid":"key-1","kty":"RSA","key_ops":["verify"],"alg":"RS256","use":"sig","num":1,"neg":-5,"flt":1.5,"big":12345678.0,"small":0.0001,"flag":true,"nul":null,"obj":{{"z":1,"a":[1,"x",{{"q":false,"b":2}}]}},"d":"{d}"}}"#
    );
    let key = CanonicalJwk::parse(&jwk(&input)).expect("valid key");
    // jose4j's output, verbatim (é is not escaped, U+2028 and U+0001 are; `/` is not).
    let canonical = format!(
        r#"{{"kty":"RSA","kid":"key-1","use":"sig","key_ops":["verify"],"alg":"RS256","n":"{ESIGNET_N}","e":"AQAB","x-extra":"a/b\u2028c\"\u0001é","num":1,"neg":-5,"flt":1.5,"big":1.2345678E7,"small":1.0E-4,"flag":true,"nul":null,"obj":{{"z":1,"a":[1,"x",{{"q":false,"b":2}}]}}}}"#
    );
    assert_eq!(key.as_json(), canonical);
    assert_eq!(
        key.client_id(),
        "JIgpJ169zk-5T_So1PSp8nRNkdHiKYNNMTSHII8tRoI"
    );
    assert_eq!(key.client_id(), expected_id(&canonical));
    assert!(key.jwk().get("d").is_none());
}

/// A JWK of the RSA partner certificate of the pms-api-chain fixture, with its `x5c`.
fn certificate_jwk() -> (String, String) {
    use x509_parser::prelude::{FromDer, X509Certificate};
    use x509_parser::public_key::PublicKey;
    let pem = read("fixtures/mosip/certs/pms-api-chain/partner.PMS_API_ABC_ORG.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .expect("pem body");
    let (_, cert) = X509Certificate::from_der(&der).expect("certificate");
    let Ok(PublicKey::RSA(rsa)) = cert.public_key().parsed() else {
        panic!("not an RSA certificate")
    };
    let strip = |b: &[u8]| {
        b.iter()
            .skip_while(|x| **x == 0)
            .copied()
            .collect::<Vec<_>>()
    };
    let b64 = |b: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    (b64(strip(rsa.modulus)), body)
}

#[test]
fn client_id_with_x5c() {
    let (n, x5c) = certificate_jwk();
    let input = format!(
        r#"{{"kty":"RSA","n":"{n}","e":"AQAB","x5c":["{x5c}"],"x5t#S256":"abc","x5u":"https://x/y"}}"#
    );
    let key = CanonicalJwk::parse(&jwk(&input)).expect("valid key");
    assert_eq!(key.as_json(), input);
    assert_eq!(
        key.client_id(),
        "dgZoZxNLTlJlsknSH7fVHkS1EwuQqTnUsSo002vZzn0"
    );
    assert_eq!(key.client_id(), expected_id(&input));

    // The certificate's key is not the bare key.
    let mismatch = format!(r#"{{"kty":"RSA","n":"{ESIGNET_N}","e":"AQAB","x5c":["{x5c}"]}}"#);
    let err = CanonicalJwk::parse(&jwk(&mismatch)).expect_err("mismatch");
    assert!(
        err.to_string().contains("MUST match the bare public key"),
        "{err}"
    );
    // Not a certificate.
    let garbage = format!(r#"{{"kty":"RSA","n":"{ESIGNET_N}","e":"AQAB","x5c":["AAAA"]}}"#);
    assert!(CanonicalJwk::parse(&jwk(&garbage)).is_err());
}

#[test]
fn invalid_public_keys() {
    let cases = [
        (
            r#"{"kty":"RSA","e":"AQAB"}"#.to_owned(),
            "Missing required 'n' parameter.",
        ),
        (
            format!(r#"{{"kty":"RSA","n":"{ESIGNET_N}"}}"#),
            "Missing required 'e' parameter.",
        ),
        (
            format!(r#"{{"kty":"RSA","e":"Ag","n":"{ESIGNET_N}"}}"#),
            "exponent is smaller than 3",
        ),
        (
            format!(
                r#"{{"kty":"RSA","e":"AQAB","n":"{}"}}"#,
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xffu8; 32])
            ),
            "RSA keys must be at least 512 bits long",
        ),
        (
            format!(r#"{{"kty":"RSA","e":"AQAB","use":5,"n":"{ESIGNET_N}"}}"#),
            "'use' parameter was Number type but is required to be a String.",
        ),
        (
            r#"{"kty":"RSA","e":"AQAB","n":{"a":1}}"#.to_owned(),
            "'n' parameter was Object type but is required to be a String.",
        ),
        (
            format!(r#"{{"kty":"RSA","e":"{ESIGNET_N}A","n":"{ESIGNET_N}"}}"#),
            "exponent is larger than modulus",
        ),
    ];
    for (input, reason) in cases {
        let err = CanonicalJwk::parse(&jwk(&input)).expect_err(&input);
        assert_eq!(err, OidcError::InvalidPublicKey(reason.into()), "{input}");
        assert_eq!(err.code(), "PMS_COR_002");
    }
}

// ---------------------------------------------------------------------------------------------
// Request validation
// ---------------------------------------------------------------------------------------------

fn create_request() -> ClientDetailCreateRequest {
    serde_json::from_value(json!({
        "name": "ACME Health",
        "policyId": "mpolicy-default-auth",
        "publicKey": {"kty": "RSA", "e": "AQAB", "use": "sig", "alg": "RS256", "n": ESIGNET_N},
        "authPartnerId": "mpartner-auth-1",
        "logoUri": "https://acme.example/logo.png",
        "redirectUris": ["https://acme.example/cb"],
        "grantTypes": ["authorization_code"],
        "clientAuthMethods": ["private_key_jwt"]
    }))
    .expect("create request")
}

fn update_request() -> ClientDetailUpdateRequest {
    serde_json::from_value(json!({
        "logoUri": "https://acme.example/logo.png",
        "redirectUris": ["https://acme.example/cb"],
        "status": "active",
        "grantTypes": ["authorization_code"],
        "clientName": "ACME Health",
        "clientAuthMethods": ["private_key_jwt"]
    }))
    .expect("update request")
}

fn create_error(change: impl FnOnce(&mut Value)) -> String {
    let mut v = serde_json::to_value(create_request()).expect("to value");
    change(&mut v);
    let req: ClientDetailCreateRequest = serde_json::from_value(v).expect("from value");
    let err = req.validate().expect_err("invalid");
    assert_eq!(err.error_code, "PMS_COR_001");
    err.message
}

fn update_error(change: impl FnOnce(&mut Value)) -> String {
    let mut v = serde_json::to_value(update_request()).expect("to value");
    change(&mut v);
    let req: ClientDetailUpdateRequest = serde_json::from_value(v).expect("from value");
    let err = req.validate().expect_err("invalid");
    assert_eq!(err.error_code, "PMS_COR_001");
    err.message
}

/// An edit of a valid request body.
type Change = Box<dyn FnOnce(&mut Value)>;

fn many(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!(format!("https://a.example/{i}")))
            .collect(),
    )
}

#[test]
fn valid_requests_pass() {
    create_request().validate().expect("valid create");
    update_request().validate().expect("valid update");
    let mut r = update_request();
    r.status = Some("InActive".into());
    r.validate().expect("status is case-insensitive");
}

#[test]
fn create_request_field_rules() {
    let p = "Invalid request parameter - ";
    let cases: Vec<(Change, String)> = vec![
        (
            Box::new(|v| v["name"] = Value::Null),
            format!("{p}must not be blank :name"),
        ),
        (
            Box::new(|v| v["name"] = json!("  ")),
            format!("{p}must not be blank :name"),
        ),
        (
            Box::new(|v| v["name"] = json!("n".repeat(257))),
            format!("{p}size must be between 1 and 256 :name"),
        ),
        (
            Box::new(|v| v["policyId"] = json!("p".repeat(37))),
            format!("{p}size must be between 1 and 36 :policyId"),
        ),
        (
            Box::new(|v| v["publicKey"] = Value::Null),
            format!("{p}must not be empty :publicKey"),
        ),
        (
            Box::new(|v| v["publicKey"] = json!({})),
            format!("{p}must not be empty :publicKey"),
        ),
        (
            Box::new(|v| v["publicKey"]["kid"] = Value::Null),
            format!("{p}must not be null :publicKey[kid]"),
        ),
        (
            Box::new(|v| v["authPartnerId"] = json!("")),
            format!("{p}must not be blank :authPartnerId"),
        ),
        (
            Box::new(|v| v["authPartnerId"] = json!("a".repeat(101))),
            format!("{p}size must be between 1 and 100 :authPartnerId"),
        ),
        (
            Box::new(|v| v["logoUri"] = json!(" ")),
            format!("{p}must not be blank :logoUri"),
        ),
        (
            Box::new(|v| v["logoUri"] = json!("acme.example/logo.png")),
            format!("{p}must be a valid URL :logoUri"),
        ),
        (
            Box::new(|v| v["logoUri"] = json!(format!("https://a.example/{}", "x".repeat(2040)))),
            format!("{p}size must be between 0 and 2048 :logoUri"),
        ),
        (
            Box::new(|v| v["redirectUris"] = Value::Null),
            format!("{p}must not be null :redirectUris"),
        ),
        (
            Box::new(|v| v["redirectUris"] = json!([])),
            format!("{p}size must be between 1 and 5 :redirectUris"),
        ),
        (
            Box::new(|v| v["redirectUris"] = many(6)),
            format!("{p}size must be between 1 and 5 :redirectUris"),
        ),
        (
            Box::new(|v| v["grantTypes"] = json!([])),
            format!("{p}size must be between 1 and 3 :grantTypes"),
        ),
        (
            Box::new(|v| v["grantTypes"] = many(4)),
            format!("{p}size must be between 1 and 3 :grantTypes"),
        ),
        (
            Box::new(|v| v["clientAuthMethods"] = Value::Null),
            format!("{p}must not be null :clientAuthMethods"),
        ),
        (
            Box::new(|v| v["clientAuthMethods"] = many(4)),
            format!("{p}size must be between 1 and 3 :clientAuthMethods"),
        ),
    ];
    for (change, expected) in cases {
        assert_eq!(create_error(change), expected);
    }
    // Bounds themselves are fine; items of redirectUris are not checked on create.
    let mut v = serde_json::to_value(create_request()).expect("to value");
    v["name"] = json!("n".repeat(256));
    v["redirectUris"] = json!(["", "x", "y", "z", "w"]);
    v["grantTypes"] = many(3);
    let req: ClientDetailCreateRequest = serde_json::from_value(v).expect("from value");
    req.validate().expect("at the bounds");
}

#[test]
fn update_request_field_rules() {
    let p = "Invalid request parameter - ";
    let cases: Vec<(Change, String)> = vec![
        (
            Box::new(|v| v["logoUri"] = Value::Null),
            format!("{p}must not be null :logoUri"),
        ),
        (
            Box::new(|v| v["logoUri"] = json!("")),
            format!("{p}must not be blank :logoUri"),
        ),
        (
            Box::new(|v| v["logoUri"] = json!("io.mosip.residentapp://oauth")),
            format!("{p}must be a valid URL :logoUri"),
        ),
        (
            Box::new(|v| v["redirectUris"] = many(6)),
            format!("{p}size must be between 1 and 5 :redirectUris"),
        ),
        (
            Box::new(|v| v["redirectUris"] = json!(["https://a.example", " "])),
            format!("{p}must not be blank :redirectUris[1]"),
        ),
        (
            Box::new(|v| v["status"] = Value::Null),
            format!("{p}must not be null :status"),
        ),
        (
            Box::new(|v| v["status"] = json!("")),
            format!("{p}must not be blank :status"),
        ),
        (
            Box::new(|v| v["status"] = json!("DELETED")),
            format!("{p}must match \"(ACTIVE)|(INACTIVE)\" :status"),
        ),
        (
            Box::new(|v| v["status"] = json!("ACTIVE ")),
            format!("{p}must match \"(ACTIVE)|(INACTIVE)\" :status"),
        ),
        (
            Box::new(|v| v["grantTypes"] = json!([])),
            format!("{p}size must be between 1 and 3 :grantTypes"),
        ),
        (
            Box::new(|v| v["clientName"] = json!("\t")),
            format!("{p}must not be blank :clientName"),
        ),
        (
            Box::new(|v| v["clientName"] = Value::Null),
            format!("{p}must not be null :clientName"),
        ),
        (
            Box::new(|v| v["clientAuthMethods"] = many(4)),
            format!("{p}size must be between 1 and 3 :clientAuthMethods"),
        ),
    ];
    for (change, expected) in cases {
        assert_eq!(update_error(change), expected);
    }
}

#[test]
fn create_request_public_key_must_be_rsa() {
    let mut req = create_request();
    req.public_key = Some(jwk(r#"{"kty":"RSA","e":"AQAB"}"#));
    req.validate()
        .expect("bean validation does not parse the key");
    assert_eq!(
        req.canonical_public_key(),
        Err(OidcError::InvalidPublicKey(
            "Missing required 'n' parameter.".into()
        ))
    );
}

// ---------------------------------------------------------------------------------------------
// eSignet bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn esignet_create_body() {
    let mut req = create_request();
    req.redirect_uris = Some(strings(&[
        "https://acme.example/cb",
        "https://acme.example/a,b",
    ]));
    req.validate().expect("valid");
    let key = req.canonical_public_key().expect("key");
    let derived = derive(
        &policy("auth-policy.oidc-relying-party.json"),
        &mappings(),
        &claims_supported(),
    )
    .expect("derive");
    let body = EsignetRequest::new(
        create_body(&req, &key, &derived),
        datetime!(2025-07-04 10:20:00.123 UTC),
    );
    let text = serde_json::to_string(&body).expect("json");
    let expected = format!(
        concat!(
            r#"{{"requestTime":"2025-07-04T10:20:00.123Z","request":{{"#,
            r#""clientId":"adwdruneh5I6D_IYiRYzHI2j4mvIBwEEIwPxOeWVvsA","clientName":"ACME Health","#,
            r#""publicKey":{{"kty":"RSA","use":"sig","alg":"RS256","n":"{n}","e":"AQAB"}},"#,
            r#""relyingPartyId":"mpartner-auth-1","#,
            r#""userClaims":["birthdate","address","gender","name","phone_number","picture","email"],"#,
            r#""authContextRefs":["mosip:idp:acr:linked-wallet","mosip:idp:acr:biometrics","mosip:idp:acr:generated-code"],"#,
            r#""logoUri":"https://acme.example/logo.png","#,
            // PMS joins the list with ',' into its column and splits it back.
            r#""redirectUris":["https://acme.example/cb","https://acme.example/a","b"],"#,
            r#""grantTypes":["authorization_code"],"clientAuthMethods":["private_key_jwt"]}}}}"#
        ),
        n = ESIGNET_N
    );
    assert_eq!(text, expected);
}

#[test]
fn esignet_update_body() {
    let stored_claims = split_list("name,email");
    let stored_acrs = split_list(ACR_OTP);
    let body = update_body(&update_request(), &stored_claims, &stored_acrs);
    let text = serde_json::to_string(&EsignetRequest::new(
        body,
        datetime!(2025-07-04 10:25:00 UTC),
    ))
    .expect("json");
    assert_eq!(
        text,
        concat!(
            r#"{"requestTime":"2025-07-04T10:25:00.000Z","request":{"#,
            r#""logoUri":"https://acme.example/logo.png","redirectUris":["https://acme.example/cb"],"#,
            r#""status":"ACTIVE","grantTypes":["authorization_code"],"clientName":"ACME Health","#,
            r#""userClaims":["name","email"],"authContextRefs":["mosip:idp:acr:generated-code"],"#,
            r#""clientAuthMethods":["private_key_jwt"]}}"#
        )
    );
    assert_eq!(join_list(&stored_claims), "name,email");
}

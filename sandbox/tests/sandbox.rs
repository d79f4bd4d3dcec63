//! The sandbox over real HTTP (reqwest against `Sandbox::spawn`), with the real MOSIP
//! api-test certificates from `../shared/fixtures/mosip/certs`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pmsflow_core::certificate::{decode_p7b_base64, encode_p7b, to_url_safe_base64, Certificate};
use pmsflow_sandbox::{FaultConfig, FaultRule, LedgerEntry, Sandbox, SandboxConfig, SandboxHandle};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, SET_COOKIE};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

fn fixture_text(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/mosip/certs")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(relative: &str) -> Certificate {
    Certificate::from_pem(&fixture_text(relative)).expect("fixture parses")
}

/// A running sandbox, an HTTP client and a token.
struct Mosip {
    handle: SandboxHandle,
    http: reqwest::Client,
    token: String,
}

fn kernel(request: Value) -> Value {
    json!({"id": null, "version": null, "requesttime": null, "metadata": null, "request": request})
}

impl Mosip {
    async fn start() -> Mosip {
        let handle = Sandbox::spawn(SandboxConfig::default())
            .await
            .expect("sandbox");
        let http = reqwest::Client::new();
        let response = http
            .post(format!(
                "{}/v1/authmanager/authenticate/clientidsecretkey",
                handle.base_url
            ))
            .json(&json!({"metadata": {}, "request": {"clientId": "mosip-pms-client", "secretKey": "sandbox-secret", "appId": "partner"}, "requesttime": "2025-07-04T10:11:12.345678Z"}))
            .send()
            .await
            .expect("authenticate");
        assert_eq!(response.status(), StatusCode::OK);
        let token = response
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .expect("authorization header")
            .to_owned();
        Mosip {
            handle,
            http,
            token,
        }
    }

    fn sandbox(&self) -> &Sandbox {
        &self.handle.sandbox
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url)
    }

    async fn post(&self, path: &str, body: Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        (status, response.json().await.expect("json body"))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("send");
        let status = response.status();
        (status, response.json().await.expect("json body"))
    }

    async fn upload_ca(&self, data: &str, domain: &str) -> Value {
        let (status, body) = self
            .post(
                "/v1/keymanager/uploadCACertificate",
                kernel(json!({"certificateData": data, "partnerDomain": domain})),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    async fn upload_partner(
        &self,
        data: &str,
        org: &str,
        domain: &str,
        key: Option<&str>,
    ) -> Value {
        let (status, body) = self
            .post(
                "/v1/keymanager/uploadPartnerCertificate",
                kernel(json!({"partnerId": format!("partner-{org}"), "certificateData": data,
                              "organizationName": org, "partnerType": "Auth_Partner", "partnerDomain": domain})),
                key,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    async fn hub(&self, path: &str, form: &str) -> String {
        let response = self
            .http
            .post(self.url(path))
            .header("Cookie", format!("Authorization={}", self.token))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/x-www-form-urlencoded")
        );
        response.text().await.expect("text")
    }

    async fn publish(&self, topic: &str, body: &Value, key: Option<&str>) -> String {
        let mut request = self
            .http
            .post(self.url(&format!("/hub/?hub.mode=publish&hub.topic={topic}")))
            .header("Cookie", format!("Authorization={}", self.token))
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.expect("text")
    }

    async fn share(&self, content: &[u8], key: Option<&str>) -> Value {
        let form = Form::new()
            .text("name", "certsChain")
            .text("filename", "certsChain")
            .part(
                "file",
                Part::bytes(content.to_vec()).file_name("certsChain"),
            );
        let mut request = self
            .http
            .post(self.url("/v1/datashare/create/mpolicy-default-cert/mpartner-default-cert"))
            .bearer_auth(&self.token)
            .multipart(form);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    async fn api_ledger(&self, query: &str) -> Vec<LedgerEntry> {
        self.http
            .get(self.url(&format!("/_sandbox/ledger{query}")))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json")
    }
}

fn error_code(body: &Value) -> &str {
    assert!(body["response"].is_null(), "{body}");
    body["errors"][0]["errorCode"].as_str().unwrap_or("<none>")
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

async fn credential_chain_uploaded(mosip: &Mosip) {
    let root = mosip
        .upload_ca(
            &fixture_text("apitest-credential/root-ca.apitest.pem"),
            "AUTH",
        )
        .await;
    assert_eq!(root["response"]["status"], "Upload Success.", "{root}");
    assert!(root["errors"].is_null());
    let sub = mosip
        .upload_ca(
            &fixture_text("apitest-credential/sub-ca.apitest2.pem"),
            "auth",
        )
        .await;
    assert_eq!(sub["response"]["status"], "Upload Success.", "{sub}");
}

#[tokio::test]
async fn token_flow_and_401() {
    let handle = Sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let auth_url = format!(
        "{}/v1/authmanager/authenticate/clientidsecretkey",
        handle.base_url
    );
    let ca_url = format!("{}/v1/keymanager/uploadCACertificate", handle.base_url);
    let ca_body = kernel(
        json!({"certificateData": fixture_text("mosiptest-2021/root.mosiptest.org.pem"), "partnerDomain": "AUTH"}),
    );

    // No token: 401 with the kernel auth adapter's body.
    let response = http
        .post(&ca_url)
        .json(&ca_body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json");
    assert!(body["id"].is_null() && body["version"].is_null() && body["metadata"].is_null());
    assert_eq!(error_code(&body), "KER-ATH-401");
    assert_eq!(body["errors"][0]["message"], "Authentication Failed");
    assert_mosip_time(body["responsetime"].as_str().expect("responsetime"));

    // A forged bearer token: 401 as well.
    let response = http
        .post(&ca_url)
        .bearer_auth("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
        .json(&ca_body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Bad secret: HTTP 500 with code "500" (the contract's inferred authmanager behaviour).
    let response = http
        .post(&auth_url)
        .json(&json!({"request": {"clientId": "mosip-pms-client", "secretKey": "wrong", "appId": "partner"}}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get(SET_COOKIE).is_none());
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), "500");

    // Good credentials: cookie + authorization header + SUCCESS body.
    let response = http
        .post(&auth_url)
        .json(&json!({"metadata": {}, "request": {"clientId": "mosip-pms-client", "secretKey": "sandbox-secret", "appId": "partner"}}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("set-cookie")
        .to_owned();
    let bare = response
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .expect("authorization")
        .to_owned();
    assert_eq!(
        cookie,
        format!("Authorization={bare}; Max-Age=3600; Path=/; HttpOnly")
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["response"]["status"], "SUCCESS");
    assert!(body["errors"].is_null());

    // The cookie store now sends `Cookie: Authorization=<jwt>` (how MOSIP services read it).
    let response = http
        .post(&ca_url)
        .json(&ca_body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["response"]["status"], "Upload Success.", "{body}");

    // The JWT carries the claims PMS and the hub look at.
    let payload = bare.split('.').nth(1).expect("payload");
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .expect("b64"),
    )
    .expect("claims");
    assert_eq!(claims["clientId"], "mosip-pms-client");
    assert_eq!(claims["azp"], "mosip-pms-client");
    assert_eq!(
        claims["preferred_username"],
        "service-account-mosip-pms-client"
    );
    assert_eq!(
        claims["exp"]
            .as_i64()
            .zip(claims["iat"].as_i64())
            .map(|(e, i)| e - i),
        Some(3600)
    );
    let roles = claims["realm_access"]["roles"].as_array().expect("roles");
    for role in [
        "PARTNER_ADMIN",
        "CREATE_SHARE",
        "PUBLISH_PARTNER_UPDATED_GENERAL",
        "PUBLISH_CA_CERTIFICATE_UPLOADED_GENERAL",
    ] {
        assert!(roles.iter().any(|r| r == role), "{role}");
    }
    // The authmanager call is not an effect.
    assert_eq!(handle.sandbox.ledger().len(), 1);
}

#[tokio::test]
async fn partner_certificate_is_resigned_by_the_pms_key() {
    let mosip = Mosip::start().await;
    credential_chain_uploaded(&mosip).await;
    let repeat = mosip
        .upload_ca(
            &fixture_text("apitest-credential/root-ca.apitest.pem"),
            "AUTH",
        )
        .await;
    assert_eq!(error_code(&repeat), "KER-PCM-003");
    assert_eq!(
        repeat["errors"][0]["message"],
        "Certificate already exists in store."
    );

    let partner = fixture("apitest-credential/partner.movp.pem");
    let before = OffsetDateTime::now_utc();
    let body = mosip
        .upload_partner(
            &fixture_text("apitest-credential/partner.movp.pem"),
            "movp",
            "AUTH",
            None,
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let response = &body["response"];
    let p7b = response["signedCertificateData"].as_str().expect("p7b");
    assert!(!p7b.contains(['+', '/', '=']), "URL-safe, unpadded");
    let chain = decode_p7b_base64(p7b).expect("P7B decodes");
    assert_eq!(chain.len(), 3);
    let (leaf, pms, root) = (&chain[0], &chain[1], &chain[2]);
    assert_eq!(leaf.subject_dn(), partner.subject_dn());
    assert_eq!(leaf.subject_der(), partner.subject_der());
    assert_eq!(leaf.public_key_der(), partner.public_key_der());
    assert_ne!(leaf.der(), partner.der());
    assert!(leaf.verify_issued_by(pms));
    assert!(pms.verify_issued_by(root) && root.is_self_signed());
    assert_eq!(pms, &mosip.sandbox().pms_certificate());
    assert_eq!(root, &mosip.sandbox().root_certificate());
    assert_eq!(leaf.version(), 3);
    assert_eq!(leaf.signature_algorithm(), "SHA256withRSA");
    assert!(leaf.is_ca(), "keymanager marks the re-signed leaf CA:TRUE");
    let expected_end = before + time::Duration::days(365);
    assert!(
        (leaf.not_after() - expected_end).abs() < time::Duration::minutes(2),
        "{:?}",
        leaf.not_after()
    );
    assert!((leaf.not_before() - before).abs() < time::Duration::minutes(2));
    let certificate_id = response["certificateId"].as_str().expect("certificateId");
    assert!(uuid::Uuid::parse_str(certificate_id).is_ok_and(|u| u.get_version_num() == 4));
    assert_mosip_time(response["timestamp"].as_str().expect("timestamp"));

    // getPartnerCertificate answers the signed PEM.
    let (status, got) = mosip
        .get(&format!(
            "/v1/keymanager/getPartnerCertificate/{certificate_id}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let pem = got["response"]["certificateData"].as_str().expect("PEM");
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----\n")
            && pem.ends_with("-----END CERTIFICATE-----\n")
    );
    assert_eq!(&Certificate::from_pem(pem).expect("pem"), leaf);
    let (_, original) = mosip
        .get(&format!(
            "/v1/keymanager/getPartnerSignedCertificate/{certificate_id}"
        ))
        .await;
    assert_eq!(
        Certificate::from_pem(
            original["response"]["caSignedCertificateData"]
                .as_str()
                .expect("pem")
        )
        .expect("pem"),
        partner
    );
    let (_, unknown) = mosip
        .get("/v1/keymanager/getPartnerCertificate/no-such-id")
        .await;
    assert_eq!(error_code(&unknown), "KER-PCM-012");
    assert_eq!(
        unknown["errors"][0]["message"],
        "Partner Certificate not found for the given ID."
    );

    // Keymanager added the answered chain to the AUTH trust store.
    let trust = mosip.sandbox().trust_store("auth").expect("AUTH store");
    assert!(trust.contains(root.thumbprint()) && trust.contains(pms.thumbprint()));
    let (_, verified) = mosip
        .post(
            "/v1/keymanager/verifyCertificateTrust",
            kernel(json!({"certificateData": leaf.to_pem(), "partnerDomain": "AUTH"})),
            None,
        )
        .await;
    assert_eq!(verified["response"]["status"], true);

    // A second upload of the same certificate re-signs again (not idempotent in MOSIP).
    let again = mosip
        .upload_partner(
            &fixture_text("apitest-credential/partner.movp.pem"),
            "movp",
            "AUTH",
            None,
        )
        .await;
    assert_ne!(
        again["response"]["certificateId"],
        response["certificateId"]
    );
    let records = mosip.sandbox().partner_certificates();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].thumbprint, partner.thumbprint());
    let ledger = mosip.sandbox().ledger_for("keymanager");
    let partner_entries: Vec<_> = ledger
        .iter()
        .filter(|e| e.operation == "uploadPartnerCertificate")
        .collect();
    assert_eq!(partner_entries.len(), 2);
    assert_eq!(
        partner_entries[0].effect_key,
        format!("partner-movp:{}", partner.thumbprint())
    );
    assert!(!partner_entries[0].replay);
}

#[tokio::test]
async fn partner_certificate_rule_violations() {
    let mosip = Mosip::start().await;
    credential_chain_uploaded(&mosip).await;

    let orphan = mosip
        .upload_partner(
            &fixture_text("apitest-orphan/partner.ftp.issued-by-SUBCA.pem"),
            "ftp",
            "AUTH",
            None,
        )
        .await;
    assert_eq!(error_code(&orphan), "KER-PCM-006");
    assert_eq!(
        orphan["errors"][0]["message"],
        "Root CA/Intermediate CA Certificates not found."
    );

    let wrong_org = mosip
        .upload_partner(
            &fixture_text("apitest-credential/partner.movp.pem"),
            "MOVP",
            "AUTH",
            None,
        )
        .await;
    assert_eq!(error_code(&wrong_org), "KER-PCM-008");
    assert_eq!(
        wrong_org["errors"][0]["message"],
        "Partner Organization Name not Matched."
    );

    // Same DN chain, other group's keys.
    let foreign = mosip
        .upload_partner(
            &fixture_text("apitest-misp/partner.misp.pem"),
            "misp",
            "AUTH",
            None,
        )
        .await;
    assert_eq!(error_code(&foreign), "KER-PCM-006");

    // Trust stores are per domain.
    let other_domain = mosip
        .upload_partner(
            &fixture_text("apitest-credential/partner.movp.pem"),
            "movp",
            "DEVICE",
            None,
        )
        .await;
    assert_eq!(error_code(&other_domain), "KER-PCM-006");

    let bad_domain = mosip
        .upload_partner(
            &fixture_text("apitest-credential/partner.movp.pem"),
            "movp",
            "PARTNER",
            None,
        )
        .await;
    assert_eq!(error_code(&bad_domain), "KER-PCM-011");
    assert_eq!(
        bad_domain["errors"][0]["message"],
        "Invalid Partner Domain."
    );

    let corrupted = mosip
        .upload_partner(
            &fixture_text("invalid/uploadInvalidCertificate.corrupted.pem"),
            "movp",
            "AUTH",
            None,
        )
        .await;
    // Its PEM body is cut short: keymanager 1.2.0.1 cannot parse it.
    assert_eq!(error_code(&corrupted), "KER-KMS-013");
    let pem = fixture_text("apitest-credential/partner.movp.pem");
    let endless = pem.replace("-----END CERTIFICATE-----", "");
    let cut = mosip.upload_partner(&endless, "movp", "AUTH", None).await;
    assert_eq!(
        cut["errors"][0]["message"],
        "Certificate Parsing Error.-----END CERTIFICATE not found"
    );

    // pms-api-chain: the leaf expires 2027-04-01, under 335 days from now.
    assert_eq!(
        mosip
            .upload_ca(
                &fixture_text("pms-api-chain/root-ca.PMS_API_CA.pem"),
                "AUTH"
            )
            .await["response"]["status"],
        "Upload Success."
    );
    assert_eq!(
        mosip
            .upload_ca(
                &fixture_text("pms-api-chain/sub-ca.PMS_API_SUB_CA.pem"),
                "AUTH"
            )
            .await["response"]["status"],
        "Upload Success."
    );
    let short = mosip
        .upload_partner(
            &fixture_text("pms-api-chain/partner.PMS_API_ABC_ORG.pem"),
            "PMS_API_ABC_ORG",
            "AUTH",
            None,
        )
        .await;
    assert_eq!(error_code(&short), "KER-PCM-004");
    assert_eq!(
        short["errors"][0]["message"],
        "Certificate Dates are not valid."
    );

    // Sub-CA without its root in the domain: KER-PCM-005.
    let orphan_sub = mosip
        .upload_ca(&fixture_text("apitest-ftm/sub-ca.apitest2.pem"), "FTM")
        .await;
    assert_eq!(error_code(&orphan_sub), "KER-PCM-005");
    let bad_domain = mosip
        .upload_ca(&fixture_text("apitest-ftm/root-ca.apitest.pem"), "PARTNER")
        .await;
    assert_eq!(error_code(&bad_domain), "KER-PCM-011");

    // Nothing of this reached the ledger: only the four CA uploads did.
    let ledger = mosip.sandbox().ledger();
    assert_eq!(ledger.len(), 4, "{ledger:?}");
    assert!(ledger.iter().all(|e| e.operation == "uploadCACertificate"));
    assert!(mosip.sandbox().partner_certificates().is_empty());
}

#[tokio::test]
async fn mosiptest_roots_with_ca_false_and_ftm_path() {
    let mosip = Mosip::start().await;
    let root = mosip
        .upload_ca(
            &fixture_text("mosiptest-2024/root.mosiptest.org.pem"),
            "FTM",
        )
        .await;
    assert_eq!(root["response"]["status"], "Upload Success.", "{root}");
    let body = mosip
        .upload_partner(
            &fixture_text("mosiptest-2024/partner.mosipprint.pem"),
            "mosipprint",
            "FTM",
            None,
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    // FTM is not re-signed: the answer is the PKIX path [original, root].
    let chain = decode_p7b_base64(
        body["response"]["signedCertificateData"]
            .as_str()
            .expect("p7b"),
    )
    .expect("p7b");
    assert_eq!(
        chain,
        vec![
            fixture("mosiptest-2024/partner.mosipprint.pem"),
            fixture("mosiptest-2024/root.mosiptest.org.pem")
        ]
    );

    let root = mosip
        .upload_ca(
            &fixture_text("mosiptest-2021/root.mosiptest.org.pem"),
            "AUTH",
        )
        .await;
    assert_eq!(root["response"]["status"], "Upload Success.");
    let techno = mosip
        .upload_partner(
            &fixture_text("mosiptest-2021/partner.Techno.pem"),
            "Techno",
            "AUTH",
            None,
        )
        .await;
    assert!(techno["errors"].is_null(), "{techno}");
}

#[tokio::test]
async fn p7b_ca_upload_statuses() {
    let mosip = Mosip::start().await;
    let chain = [
        fixture("apitest-device/partner.deviceprovider.pem"),
        fixture("apitest-device/sub-ca.apitest2.pem"),
        fixture("apitest-device/root-ca.apitest.pem"),
    ];
    // [sub-CA, root] as a P7B: processed root first.
    let p7b = to_url_safe_base64(&encode_p7b(&chain[1..]));
    let first = mosip.upload_ca(&p7b, "DEVICE").await;
    assert_eq!(first["response"]["status"], "Upload Success.", "{first}");
    let again = mosip.upload_ca(&p7b, "DEVICE").await;
    assert_eq!(again["response"]["status"], "Upload Failed.", "{again}");
    assert!(again["errors"].is_null());
    // Leaf + sub-CA + root: only the leaf is new (stored as intermediate, as keymanager does).
    let whole = mosip
        .upload_ca(&to_url_safe_base64(&encode_p7b(&chain)), "DEVICE")
        .await;
    assert_eq!(
        whole["response"]["status"], "Partial Upload Success.",
        "{whole}"
    );

    let ledger = mosip.sandbox().ledger_for("keymanager");
    assert_eq!(ledger.len(), 2, "the failed upload is not an effect");
    assert_eq!(
        ledger[0].effect_key,
        format!("DEVICE:{},{}", chain[2].thumbprint(), chain[1].thumbprint())
    );
    let garbage = mosip.upload_ca("bm90IGEgY2VydGlmaWNhdGU", "DEVICE").await;
    assert_eq!(error_code(&garbage), "KER-PCM-001");
    // Keymanager 1.2.0.1 decodes what is not PEM as strict URL-safe base64: text with spaces,
    // and a PEM body without its armour (newlines, `+`, `/`), fail the decoder.
    let pem = fixture_text("apitest-credential/root-ca.apitest.pem");
    let bare: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n");
    for text in ["invalid cert", bare.as_str()] {
        let answer = mosip.upload_ca(text, "DEVICE").await;
        assert_eq!(error_code(&answer), "KER-CRY-003", "{text}");
        assert_eq!(
            answer["errors"][0]["message"],
            "data sent to decrypt is without key splitter or invalid"
        );
    }
    // A partner certificate without its armour is a parsing error.
    let unarmoured = mosip.upload_partner(&bare, "movp", "DEVICE", None).await;
    assert_eq!(error_code(&unarmoured), "KER-KMS-013");
    assert_eq!(
        unarmoured["errors"][0]["message"],
        "Certificate Parsing Error."
    );
}

#[tokio::test]
async fn other_domain_certificate_upload() {
    let mosip = Mosip::start().await;
    let path = "/v1/keymanager/uploadOtherDomainCertificate";
    let pem = fixture_text("apitest-misp/partner.misp.pem");
    let request = kernel(
        json!({"applicationId": "PARTNER", "referenceId": "partner-misp", "certificateData": pem}),
    );
    let (status, first) = mosip.post(path, request.clone(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["response"]["status"], "Upload Success", "{first}");
    let (_, second) = mosip.post(path, request, None).await;
    assert_eq!(error_code(&second), "KER-KMS-035");
    assert_eq!(
        second["errors"][0]["message"],
        "Certificate Already Exist, not allowed to upload same certificate again"
    );
    let renewed = kernel(
        json!({"applicationId": "PARTNER", "referenceId": "partner-misp", "certificateData": fixture_text("apitest-misp/partner.misp2.pem")}),
    );
    let (_, third) = mosip.post(path, renewed, None).await;
    assert_eq!(third["response"]["status"], "Upload Success");
    let stored = mosip.sandbox().other_domain_certificates();
    assert_eq!(stored.len(), 2);
    assert!(stored[0].expired_at.is_some() && stored[1].expired_at.is_none());
    let (_, blank) = mosip
        .post(
            path,
            kernel(json!({"applicationId": "PARTNER", "referenceId": "", "certificateData": ""})),
            None,
        )
        .await;
    assert_eq!(error_code(&blank), "KER-KMS-005");
}

#[tokio::test]
async fn datashare_create_and_get() {
    let mosip = Mosip::start().await;
    let content = b"MIAGCSqGSIb3DQEHAqCAMIACAQExADALBgkqhkiG9w0BBwGggDCC";
    let body = mosip.share(content, None).await;
    assert_eq!(body["id"], "mosip.data.share");
    assert!(body["errors"].is_null());
    let share = &body["dataShare"];
    assert_eq!(share["validForInMinutes"], 30);
    assert_eq!(share["transactionsAllowed"], 2);
    assert_eq!(share["policyId"], "mpolicy-default-cert");
    let url = share["url"].as_str().expect("url");
    assert!(url.starts_with(&format!(
        "{}/v1/datashare/get/mpolicy-default-cert/mpartner-default-cert/mpartner-default-certmpolicy-default-cert",
        mosip.handle.base_url
    )));

    let download = || async {
        mosip
            .http
            .get(url)
            .header("Cookie", format!("Authorization={}", mosip.token))
            .send()
            .await
            .expect("send")
    };
    for _ in 0..2 {
        let response = download().await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.bytes().await.expect("bytes").as_ref(), content);
    }
    let third: Value = download().await.json().await.expect("json");
    assert_eq!(third["errors"][0]["errorCode"], "DAT-SER-006");
    assert!(third["dataShare"].is_null());
    let (_, unknown) = mosip
        .get("/v1/datashare/get/mpolicy-default-cert/mpartner-default-cert/nope")
        .await;
    assert_eq!(unknown["errors"][0]["errorCode"], "DAT-SER-008");
    let unauthenticated = mosip.http.get(url).send().await.expect("send");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);

    let empty = mosip.share(b"", None).await;
    assert_eq!(empty["errors"][0]["errorCode"], "DAT-SER-003");
    assert_eq!(
        empty["errors"][0]["message"],
        "File is not exists or File is empty"
    );
    assert_eq!(mosip.sandbox().datashare_objects().len(), 1);
    assert_eq!(mosip.sandbox().ledger_for("datashare").len(), 1);
}

fn event(topic: &str, id: &str) -> Value {
    json!({"publisher": "PartnerServiceImpl", "topic": topic, "publishedOn": "2025-07-04T10:12:00.777Z",
           "event": {"id": id, "type": {"namespace": "io.mosip.pmp.partner.service.impl.PartnerServiceImpl", "name": "PartnerServiceImpl"},
                     "timestamp": "2025-07-04T10:12:00.777Z", "data": {"partnerData": {"partnerId": "p1"}}}})
}

fn form(text: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(text).expect("form")
}

#[tokio::test]
async fn websub_register_and_publish() {
    let mosip = Mosip::start().await;
    let first = mosip
        .hub("/hub/", "hub.mode=register&hub.topic=PARTNER_UPDATED")
        .await;
    assert_eq!(first, "hub.mode=accepted");
    let second = mosip
        .hub("/hub", "hub.mode=register&hub.topic=PARTNER_UPDATED")
        .await;
    let denied = form(&second);
    assert_eq!(denied[0], ("hub.mode".to_owned(), "denied".to_owned()));
    assert_eq!(
        denied[1],
        ("hub.topic".to_owned(), "PARTNER_UPDATED".to_owned())
    );
    assert_eq!(
        denied[2],
        (
            "hub.reason".to_owned(),
            "Topic has already registered with the Hub".to_owned()
        )
    );

    let accepted = mosip
        .publish(
            "CA_CERTIFICATE_UPLOADED",
            &event("CA_CERTIFICATE_UPLOADED", "e-1"),
            None,
        )
        .await;
    assert_eq!(accepted, "hub.mode=accepted");
    let invalid = mosip
        .publish(
            "PARTNER_UPDATED",
            &json!({"topic": "PARTNER_UPDATED"}),
            None,
        )
        .await;
    assert_eq!(form(&invalid)[0].1, "denied");

    let publishes = mosip.sandbox().websub_publishes();
    assert_eq!(publishes.len(), 1);
    assert_eq!(publishes[0].topic, "CA_CERTIFICATE_UPLOADED");
    assert_eq!(publishes[0].event_id, "e-1");
    assert_eq!(publishes[0].body, event("CA_CERTIFICATE_UPLOADED", "e-1"));
    assert_eq!(
        mosip.sandbox().websub_topics(),
        vec!["CA_CERTIFICATE_UPLOADED", "PARTNER_UPDATED"]
    );
    let ledger = mosip.api_ledger("?service=websub").await;
    let keys: Vec<&str> = ledger.iter().map(|e| e.effect_key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["register:PARTNER_UPDATED", "CA_CERTIFICATE_UPLOADED:e-1"]
    );
}

#[tokio::test]
async fn notifier_and_audit_record_calls() {
    let mosip = Mosip::start().await;
    let email = Form::new()
        .text("mailTo", "a@example.org, b@example.org")
        .text("mailTo", "c@example.org")
        .text("mailCc", "cc@example.org")
        .text("mailSubject", "Partner registered")
        .text("mailContent", "<p>Dear ACME</p>");
    let response = mosip
        .http
        .post(mosip.url("/v1/notifier/email/send"))
        .bearer_auth(&mosip.token)
        .multipart(email)
        .send()
        .await
        .expect("send");
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["response"],
        json!({"status": "success", "message": "Email Request submitted"})
    );
    assert!(body["errors"].is_null());
    let emails = mosip.sandbox().emails();
    assert_eq!(emails.len(), 1);
    assert_eq!(
        emails[0].to,
        vec!["a@example.org", "b@example.org", "c@example.org"]
    );
    assert_eq!(emails[0].cc, vec!["cc@example.org"]);

    let no_to = Form::new()
        .text("mailSubject", "s")
        .text("mailContent", "c");
    let body: Value = mosip
        .http
        .post(mosip.url("/v1/notifier/email/send"))
        .bearer_auth(&mosip.token)
        .multipart(no_to)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(error_code(&body), "KER-NOE-001");

    let audit = json!({"eventId":"PMS_PRT_203","eventName":"POST UPLOADING PARTNER CERT","eventType":"SYSTEM",
        "actionTimeStamp":"2025-07-04T10:12:01.300Z","hostName":"pms-partner-7d9c","hostIp":"10.42.0.17",
        "applicationId":"Partner management portal","applicationName":"10002","sessionUserId":"partner-user-1",
        "sessionUserName":"partner-user-1","id":"mpartner-auth-1","idType":"partnerId","createdBy":"partner-user-1",
        "moduleName":"Partner Management Service","moduleId":"PMS_PRT","description":"Uploading Partner cert success"});
    let (status, body) = mosip
        .post("/v1/auditmanager/audits", kernel(audit.clone()), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], "mosip.kernel.auditmanager.addAudit");
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["response"], json!({"status": true}));
    assert!(body["errors"].is_null());
    let mut incomplete = audit.clone();
    incomplete.as_object_mut().map(|m| m.remove("eventName"));
    let (_, body) = mosip
        .post("/v1/auditmanager/audits", kernel(incomplete), None)
        .await;
    assert_eq!(error_code(&body), "KER-AUD-001");
    assert_eq!(
        body["errors"][0]["message"],
        "Invalid Audit Request. Required parameters must be present"
    );
    assert_eq!(mosip.sandbox().audits().len(), 1);
    assert_eq!(mosip.sandbox().audits()[0].request, audit);
}

#[tokio::test]
async fn injected_faults_have_no_effect() {
    let mosip = Mosip::start().await;
    let root = fixture_text("apitest-ftm/root-ca.apitest.pem");

    // error_rate 1.0 → HTTP 503, nothing stored, nothing in the ledger.
    let response = mosip
        .http
        .put(mosip.url("/_sandbox/faults"))
        .json(&json!({"rules": {"keymanager.uploadCACertificate": {"error_rate": 1.0}}}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = mosip
        .post(
            "/v1/keymanager/uploadCACertificate",
            kernel(json!({"certificateData": root, "partnerDomain": "FTM"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error_code(&body), "KER-KMS-500");
    assert!(mosip.sandbox().ledger().is_empty());
    assert!(mosip.sandbox().trust_store("FTM").is_none());

    // A permanent code injected as an HTTP 200 error, service-wide.
    mosip.sandbox().set_faults(FaultConfig::single(
        "keymanager.*",
        FaultRule::always_http200_error(Some("KER-PCM-006")),
    ));
    let (status, body) = mosip
        .post(
            "/v1/keymanager/uploadCACertificate",
            kernel(json!({"certificateData": root, "partnerDomain": "FTM"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(error_code(&body), "KER-PCM-006");

    // WebSub's transient HTTP 200 failure is a denial with reason "internal error".
    mosip.sandbox().set_faults(FaultConfig::single(
        "websub.publish",
        FaultRule::always_http200_error(None),
    ));
    let denied = mosip
        .publish("PARTNER_UPDATED", &event("PARTNER_UPDATED", "e-9"), None)
        .await;
    assert_eq!(
        form(&denied),
        vec![
            ("hub.mode".to_owned(), "denied".to_owned()),
            ("hub.topic".to_owned(), "PARTNER_UPDATED".to_owned()),
            ("hub.reason".to_owned(), "internal error".to_owned()),
        ]
    );
    assert!(mosip.sandbox().websub_publishes().is_empty());

    // Outage on everything, latency honoured.
    mosip.sandbox().set_faults(FaultConfig::single(
        "*",
        FaultRule {
            outage: true,
            latency_ms: 50,
            ..FaultRule::default()
        },
    ));
    let started = Instant::now();
    let (status, body) = mosip.get("/v1/keymanager/getPartnerCertificate/any").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body["errors"][0]["message"],
        "Service Unavailable (sandbox outage)"
    );
    assert!(started.elapsed() >= Duration::from_millis(50));
    let response = mosip
        .http
        .post(mosip.url("/hub"))
        .body("hub.mode=register&hub.topic=T")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    // Admin endpoints: read back, reject nonsense, clear.
    let current: FaultConfig = mosip
        .http
        .get(mosip.url("/_sandbox/faults"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert!(current.rules["*"].outage);
    let rejected = mosip
        .http
        .put(mosip.url("/_sandbox/faults"))
        .json(&json!({"rules": {"keymanager.nope": {"error_rate": 0.5}}}))
        .send()
        .await
        .expect("send");
    assert_eq!(rejected.status(), StatusCode::BAD_REQUEST);
    let cleared = mosip
        .http
        .delete(mosip.url("/_sandbox/faults"))
        .send()
        .await
        .expect("send");
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    let ok = mosip.upload_ca(&root, "FTM").await;
    assert_eq!(ok["response"]["status"], "Upload Success.");
    assert_eq!(mosip.sandbox().ledger().len(), 1);
}

#[tokio::test]
async fn idempotency_key_replays_without_a_new_effect() {
    let mosip = Mosip::start().await;
    credential_chain_uploaded(&mosip).await;
    let pem = fixture_text("apitest-credential/partner.movp.pem");
    let first = mosip
        .upload_partner(&pem, "movp", "AUTH", Some("run-1/upload-cert"))
        .await;
    let second = mosip
        .upload_partner(&pem, "movp", "AUTH", Some("run-1/upload-cert"))
        .await;
    assert_eq!(first, second, "byte-identical replay");
    assert_eq!(mosip.sandbox().partner_certificates().len(), 1);
    let third = mosip
        .upload_partner(&pem, "movp", "AUTH", Some("run-2/upload-cert"))
        .await;
    assert_ne!(
        third["response"]["certificateId"],
        first["response"]["certificateId"]
    );

    // A failed call is not stored: the same key may succeed later.
    let orphan = fixture_text("apitest-orphan/partner.ftp.issued-by-SUBCA.pem");
    let failed = mosip
        .upload_partner(&orphan, "ftp", "AUTH", Some("run-3/upload-cert"))
        .await;
    assert_eq!(error_code(&failed), "KER-PCM-006");
    let retried = mosip
        .upload_partner(&pem, "movp", "AUTH", Some("run-3/upload-cert"))
        .await;
    assert!(retried["errors"].is_null());

    let share_a = mosip.share(b"chain", Some("run-1/datashare")).await;
    let share_b = mosip.share(b"chain", Some("run-1/datashare")).await;
    assert_eq!(share_a, share_b);
    assert_eq!(mosip.sandbox().datashare_objects().len(), 1);

    let publish_a = mosip
        .publish(
            "PARTNER_UPDATED",
            &event("PARTNER_UPDATED", "e-1"),
            Some("run-1/publish"),
        )
        .await;
    let publish_b = mosip
        .publish(
            "PARTNER_UPDATED",
            &event("PARTNER_UPDATED", "e-2"),
            Some("run-1/publish"),
        )
        .await;
    assert_eq!(
        (publish_a.as_str(), publish_b.as_str()),
        ("hub.mode=accepted", "hub.mode=accepted")
    );
    assert_eq!(mosip.sandbox().websub_publishes().len(), 1);

    let ledger = mosip.api_ledger("").await;
    assert_eq!(ledger, mosip.sandbox().ledger());
    let with_key = |key: &str| -> Vec<&LedgerEntry> {
        ledger.iter().filter(|e| e.effect_key == key).collect()
    };
    for key in ["run-1/upload-cert", "run-1/datashare", "run-1/publish"] {
        let entries = with_key(key);
        assert_eq!(entries.len(), 2, "{key}: {entries:?}");
        assert!(!entries[0].replay && entries[1].replay, "{key}");
        assert_eq!(entries[1].detail["replayOf"], entries[0].seq, "{key}");
    }
    assert_eq!(with_key("run-3/upload-cert").len(), 1);
    let seqs: Vec<u64> = ledger.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=ledger.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn concurrent_duplicates_with_one_key_have_one_effect() {
    let mosip = Mosip::start().await;
    credential_chain_uploaded(&mosip).await;
    let pem = fixture_text("apitest-credential/partner.movp.pem");
    let calls = (0..4).map(|_| mosip.upload_partner(&pem, "movp", "AUTH", Some("same-key")));
    let answers = futures::future::join_all(calls).await;
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(mosip.sandbox().partner_certificates().len(), 1);
    let entries: Vec<_> = mosip
        .sandbox()
        .ledger()
        .into_iter()
        .filter(|e| e.effect_key == "same-key")
        .collect();
    assert_eq!(entries.iter().filter(|e| !e.replay).count(), 1);
    assert_eq!(entries.iter().filter(|e| e.replay).count(), 3);
}

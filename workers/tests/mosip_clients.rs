//! The MOSIP HTTP clients against a local wiremock server (real HTTP, contracts of
//! docs/mosip-contracts.md §1.2–§2.7).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use pmsflow_core::failure::ErrorClass;
use pmsflow_workers::mosip::{
    codes, AuditEvent, ClientSettings, EmailMessage, MosipClients, MosipEndpoints,
    PartnerCertificateUpload, PmsAudit, ServiceCredentials, TopicRegistration,
};
use serde_json::{json, Value};
use wiremock::matchers::{
    body_partial_json, body_string_contains, header, method, path, query_param,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN_PATH: &str = "/v1/authmanager/authenticate/clientidsecretkey";
const SECRET: &str = "s3cr3t-value";

/// A JWT-shaped token whose payload has `exp = now + exp_in` (and a marker to tell tokens apart).
fn jwt(exp_in: i64, marker: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        json!({"exp": now + exp_in, "sub": "service-account-mosip-pms-client", "jti": marker})
            .to_string(),
    );
    format!("{header}.{payload}.ZHVtbXktc2lnbmF0dXJlLWJ5dGVz")
}

fn token_response(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header(
            "set-cookie",
            format!("Authorization={token}; Max-Age=1800; Path=/; HttpOnly").as_str(),
        )
        .insert_header("authorization", token)
        .set_body_json(json!({"id":null,"version":null,"responsetime":"2025-07-04T10:11:12.400Z","metadata":null,
            "response":{"status":"SUCCESS","message":"Clientid and Token combination had been validated successfully"},"errors":null}))
}

/// Mounts the authmanager token endpoint, answering `token`, expected `times` times.
async fn mount_token(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_partial_json(json!({"metadata":{},
            "request":{"clientId":"mosip-pms-client","secretKey":SECRET,"appId":"partner"}})))
        .respond_with(token_response(token))
        .expect(times)
        .named("authmanager token")
        .mount(server)
        .await;
}

fn clients(server: &MockServer, timeout: Duration) -> MosipClients {
    let uri = server.uri();
    let endpoints = MosipEndpoints {
        authmanager_url: uri.clone(),
        keymanager_url: uri.clone(),
        datashare_url: format!("{uri}/"),
        websub_url: format!("{uri}/hub/"),
        notifier_url: uri.clone(),
        auditmanager_url: uri.clone(),
        esignet_url: uri,
    };
    MosipClients::http(
        &endpoints,
        ServiceCredentials::new("mosip-pms-client", SECRET, "partner"),
        ClientSettings {
            timeout,
            ..ClientSettings::default()
        },
    )
    .expect("clients")
}

fn ok_envelope(response: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"id":null,"version":null,
        "responsetime":"2025-07-04T10:11:13.001Z","metadata":null,"response":response,"errors":null}))
}

fn error_envelope(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"id":"null","version":"null",
        "responsetime":"2025-07-04T10:11:13.001Z","metadata":null,"response":null,
        "errors":[{"errorCode":code,"message":message}]}))
}

const CERT_PATH: &str = "/v1/keymanager/getPartnerCertificate/cert-1";
const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

fn cert_ok() -> ResponseTemplate {
    ok_envelope(json!({"certificateData": PEM, "timestamp": "2025-07-04T10:13:00.000Z"}))
}

#[tokio::test]
async fn token_is_fetched_once_and_sent_as_cookie_and_bearer_with_the_effect_key() {
    let server = MockServer::start().await;
    let token = jwt(3600, "t1");
    mount_token(&server, &token, 1).await;
    Mock::given(method("GET"))
        .and(path(CERT_PATH))
        .and(header("cookie", format!("Authorization={token}").as_str()))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .and(header("idempotency-key", "run-1/step-3"))
        .respond_with(cert_ok())
        .expect(3)
        .mount(&server)
        .await;

    let c = clients(&server, Duration::from_secs(5));
    for _ in 0..3 {
        let pem = c
            .keymanager
            .get_partner_certificate("cert-1", Some("run-1/step-3"))
            .await
            .unwrap();
        assert_eq!(pem, PEM);
    }
}

#[tokio::test]
async fn token_request_has_the_authmanager_shape() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("GET"))
        .and(path(CERT_PATH))
        .respond_with(cert_ok())
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    c.keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let auth: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let time = auth["requesttime"].as_str().unwrap();
    assert_eq!(time.len(), "2025-07-04T10:11:12.123Z".len(), "{time}");
    assert!(time.ends_with('Z'));
    assert!(auth.get("id").is_none() && auth.get("version").is_none());
    // Without an effect key, no Idempotency-Key header is sent.
    assert!(!requests[1].headers.contains_key("idempotency-key"));
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let server = MockServer::start().await;
    let token = jwt(3600, "t1");
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_response(&token).set_delay(Duration::from_millis(300)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CERT_PATH))
        .respond_with(cert_ok())
        .expect(8)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let calls = (0..8).map(|_| c.keymanager.get_partner_certificate("cert-1", None));
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap(), PEM);
    }
}

#[tokio::test]
async fn token_is_refreshed_after_its_exp_minus_60_seconds() {
    let server = MockServer::start().await;
    // A token whose exp − 60 s has already passed is used once and not cached, so the next
    // call refreshes (no waiting on the clock); the long-lived one is then reused.
    let short = jwt(30, "short");
    let long = jwt(3600, "long");
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_response(&short))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_token(&server, &long, 1).await;
    for (token, times) in [(&short, 1), (&long, 2)] {
        Mock::given(method("GET"))
            .and(path(CERT_PATH))
            .and(header("cookie", format!("Authorization={token}").as_str()))
            .respond_with(cert_ok())
            .expect(times)
            .mount(&server)
            .await;
    }
    let c = clients(&server, Duration::from_secs(5));
    c.keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap();
    c.keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap();
    c.keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_401_drops_the_token_and_the_next_call_fetches_a_new_one() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 2).await;
    Mock::given(method("GET"))
        .and(path(CERT_PATH))
        .respond_with(error_envelope(401, "KER-ATH-401", "Authentication Failed"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CERT_PATH))
        .respond_with(cert_ok())
        .expect(1)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let failure = c
        .keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap_err();
    assert_eq!(failure.class, ErrorClass::Retryable);
    assert_eq!(failure.code, codes::AUTH_FAILED);
    assert_eq!(failure.http_status, Some(401));
    assert_eq!(
        c.keymanager
            .get_partner_certificate("cert-1", None)
            .await
            .unwrap(),
        PEM
    );
}

#[tokio::test]
async fn authmanager_without_a_cookie_or_with_a_500_fails_retryably() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ok_envelope(json!({"status":"SUCCESS"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(error_envelope(
            500,
            "500",
            "401 Unauthorized: invalid_client",
        ))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let no_cookie = c
        .keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap_err();
    assert_eq!(no_cookie.code, codes::API_NOT_ACCESSIBLE);
    assert!(no_cookie.is_retryable());
    let bad_secret = c
        .keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap_err();
    assert_eq!(bad_secret.code, "500");
    assert_eq!(bad_secret.http_status, Some(500));
    assert!(bad_secret.is_retryable());
    // The keymanager was never called.
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.url.path() == TOKEN_PATH));
}

#[tokio::test]
async fn ca_upload_success_and_already_present() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    let upload = Mock::given(method("POST"))
        .and(path("/v1/keymanager/uploadCACertificate"))
        .and(body_partial_json(
            json!({"id":null,"version":null,"metadata":null,
            "request":{"certificateData":PEM,"partnerDomain":"AUTH"}}),
        ));
    upload
        .respond_with(ok_envelope(
            json!({"status":"Upload Success.","timestamp":"2025-07-04T10:11:13.000Z"}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/keymanager/uploadCACertificate"))
        .respond_with(error_envelope(
            200,
            "KER-PCM-003",
            "Certificate already exists in store.",
        ))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));

    let first = c
        .keymanager
        .upload_ca_certificate(PEM, "AUTH", Some("k"))
        .await
        .unwrap();
    assert_eq!(first.status, "Upload Success.");
    assert!(!first.already_present);
    let again = c
        .keymanager
        .upload_ca_certificate(PEM, "AUTH", Some("k"))
        .await
        .unwrap();
    assert!(again.already_present);
    assert_eq!(again.status, "Certificate already exists in store.");

    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[1].body).unwrap();
    let time = body["requesttime"]
        .as_str()
        .expect("CA upload sends a requesttime");
    assert!(
        time::PrimitiveDateTime::parse(
            time,
            time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            )
        )
        .is_ok(),
        "{time}"
    );
}

fn partner_upload() -> PartnerCertificateUpload {
    PartnerCertificateUpload {
        partner_id: "mpartner-auth-1".into(),
        certificate_data: PEM.into(),
        organization_name: "ACME Bank".into(),
        partner_type: "Auth_Partner".into(),
        partner_domain: "AUTH".into(),
    }
}

#[tokio::test]
async fn partner_upload_success_decodes_the_signed_certificate() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/keymanager/uploadPartnerCertificate"))
        .and(body_partial_json(json!({"id":null,"version":null,"requesttime":null,"metadata":null,
            "request":{"partnerId":"mpartner-auth-1","certificateData":PEM,"organizationName":"ACME Bank",
                       "partnerType":"Auth_Partner","partnerDomain":"AUTH"}})))
        .respond_with(ok_envelope(json!({"signedCertificateData":"MIAGCSqGSIb3DQEHAqCAMIACAQEx_-",
            "certificateId":"5c1f0e6a-3d9b-4d7e-9a2f-7b1c0e8d4f21","timestamp":"2025-07-04T10:12:00.009Z"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let signed = c
        .keymanager
        .upload_partner_certificate(&partner_upload(), Some("k"))
        .await
        .unwrap();
    assert_eq!(
        signed.certificate_id,
        "5c1f0e6a-3d9b-4d7e-9a2f-7b1c0e8d4f21"
    );
    assert_eq!(
        signed.signed_certificate_data,
        "MIAGCSqGSIb3DQEHAqCAMIACAQEx_-"
    );
    assert_eq!(signed.timestamp, "2025-07-04T10:12:00.009Z");
}

#[tokio::test]
async fn business_error_with_http_200_is_permanent_with_the_callee_code() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    let message = "Partner Organization Name not Matched.";
    Mock::given(method("POST"))
        .and(path("/v1/keymanager/uploadPartnerCertificate"))
        .respond_with(error_envelope(200, "KER-PCM-008", message))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let failure = c
        .keymanager
        .upload_partner_certificate(&partner_upload(), None)
        .await
        .unwrap_err();
    assert_eq!(failure.class, ErrorClass::Permanent);
    assert_eq!(failure.code, "KER-PCM-008");
    assert_eq!(failure.message, message);
    assert_eq!(failure.http_status, Some(200));
    assert!(failure.response.unwrap().contains("KER-PCM-008"));
}

#[tokio::test]
async fn http_errors_are_classified_by_status() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("GET"))
        .and(path("/v1/keymanager/getPartnerCertificate/unavailable"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream connect error"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/keymanager/getPartnerCertificate/crash"))
        .respond_with(error_envelope(500, "KER-KMS-500", "Internal server error"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/keymanager/getPartnerCertificate/forbidden"))
        .respond_with(error_envelope(403, "KER-ATH-403", "Forbidden"))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));

    let f = c
        .keymanager
        .get_partner_certificate("unavailable", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str(), f.http_status),
        (ErrorClass::Retryable, codes::API_NOT_ACCESSIBLE, Some(503))
    );
    assert_eq!(f.response.as_deref(), Some("upstream connect error"));
    let f = c
        .keymanager
        .get_partner_certificate("crash", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "KER-KMS-500")
    );
    let f = c
        .keymanager
        .get_partner_certificate("forbidden", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Permanent, "KER-ATH-403")
    );
}

#[tokio::test]
async fn null_payloads_and_empty_bodies() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("GET"))
        .and(path("/v1/keymanager/getPartnerCertificate/null"))
        .respond_with(ok_envelope(Value::Null))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/keymanager/getPartnerCertificate/empty"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let f = c
        .keymanager
        .get_partner_certificate("null", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "PMS_PRT_500")
    );
    assert_eq!(f.message, "Unable to process the request.");
    let f = c
        .keymanager
        .get_partner_certificate("empty", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "PMS_PRT_107")
    );
    assert_eq!(f.message, "Responese from the api is null");
}

#[tokio::test]
async fn a_slow_callee_times_out_retryably() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("GET"))
        .and(path(CERT_PATH))
        .respond_with(cert_ok().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_millis(400));
    let started = std::time::Instant::now();
    let f = c
        .keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "PMS_KKS_001")
    );
    assert!(f.message.contains("timeout"), "{}", f.message);
    assert_eq!(f.http_status, None);
}

#[tokio::test]
async fn unreachable_service_is_retryable_pms_kks_001() {
    // Bind then drop a port, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uri = format!("http://127.0.0.1:{port}");
    let endpoints = MosipEndpoints {
        authmanager_url: uri.clone(),
        keymanager_url: uri.clone(),
        datashare_url: uri.clone(),
        websub_url: format!("{uri}/hub/"),
        notifier_url: uri.clone(),
        auditmanager_url: uri.clone(),
        esignet_url: uri,
    };
    let c = MosipClients::http(
        &endpoints,
        ServiceCredentials::new("mosip-pms-client", SECRET, "partner"),
        ClientSettings::default(),
    )
    .unwrap();
    let f = c
        .keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "PMS_KKS_001")
    );
    assert_eq!(
        f.message,
        "Error while accessing the API.Please check the logs."
    );
}

#[tokio::test]
async fn other_domain_upload_success_and_already_present() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/keymanager/uploadOtherDomainCertificate"))
        .and(body_partial_json(json!({"requesttime":null,
            "request":{"applicationId":"PARTNER","referenceId":"mpartner-auth-1","certificateData":PEM}})))
        .respond_with(ok_envelope(json!({"status":"Upload Success","timestamp":"2025-07-04T10:12:00.500Z"})))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/keymanager/uploadOtherDomainCertificate"))
        .respond_with(error_envelope(
            200,
            "KER-KMS-035",
            "Certificate Already Exist, not allowed to upload same certificate again",
        ))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let first = c
        .keymanager
        .upload_other_domain_certificate("PARTNER", "mpartner-auth-1", PEM, Some("k"))
        .await
        .unwrap();
    assert_eq!(
        (first.status.as_str(), first.already_present),
        ("Upload Success", false)
    );
    let again = c
        .keymanager
        .upload_other_domain_certificate("PARTNER", "mpartner-auth-1", PEM, Some("k"))
        .await
        .unwrap();
    assert!(again.already_present);
}

const SHARE_PATH: &str = "/v1/datashare/create/mpolicy-default-cert/mpartner-default-cert";

#[tokio::test]
async fn datashare_create_sends_the_multipart_file_and_reads_data_share() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    let url =
        "http://datashare.datashare/v1/datashare/get/mpolicy-default-cert/mpartner-default-cert/k1";
    Mock::given(method("POST"))
        .and(path(SHARE_PATH))
        .and(header("idempotency-key", "share-1"))
        .and(body_string_contains(r#"name="file"; filename="certsChain""#))
        .and(body_string_contains("MIAGCSqGSIb3DQEHAqCA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"mosip.data.share","version":"1.0",
            "responsetime":"2025-07-04T10:12:01.120Z",
            "dataShare":{"url":url,"validForInMinutes":30,"transactionsAllowed":"2",
                         "policyId":"mpolicy-default-cert","subscriberId":"mpartner-default-cert","signature":"sig"},
            "errors":null})))
        .expect(1)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let share = c
        .datashare
        .create(
            "mpolicy-default-cert",
            "mpartner-default-cert",
            b"MIAGCSqGSIb3DQEHAqCA",
            Some("share-1"),
        )
        .await
        .unwrap();
    assert_eq!(share.url, url);
    assert_eq!(share.valid_for_minutes, Some(30));
    assert_eq!(share.transactions_allowed, Some(2));

    let requests = server.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&requests[1].body).into_owned();
    let content_type = requests[1].headers["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    assert!(body.contains("name=\"name\"\r\n\r\ncertsChain"), "{body}");
    assert!(
        body.contains("name=\"filename\"\r\n\r\ncertsChain"),
        "{body}"
    );
    assert!(
        body.to_ascii_lowercase()
            .contains("content-type: application/octet-stream"),
        "{body}"
    );
}

#[tokio::test]
async fn datashare_errors() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/datashare/create/p/api-down"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id":"mosip.data.share","version":"1.0",
            "responsetime":"x","dataShare":null,
            "errors":[{"errorCode":"DAT-SER-002","message":"Api not accessible failure"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/datashare/create/p/null"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id":"mosip.data.share","version":"1.0","dataShare":null,"errors":null}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/datashare/create/p/missing-file"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"dataShare":null,
            "errors":[{"errorCode":"DAT-SER-003","message":"File is not exists or File is empty"}]})))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let f = c
        .datashare
        .create("p", "api-down", b"x", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "DAT-SER-002")
    );
    assert_eq!(f.message, "Api not accessible failure");
    let f = c
        .datashare
        .create("p", "null", b"x", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "PMS_DTS_001")
    );
    assert_eq!(f.message, "DataShare response is null");
    let f = c
        .datashare
        .create("p", "missing-file", b"", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Permanent, "DAT-SER-003")
    );
}

fn form(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/x-www-form-urlencoded")
}

#[tokio::test]
async fn websub_register_accepted_already_registered_and_denied() {
    let server = MockServer::start().await;
    let token = jwt(3600, "t");
    mount_token(&server, &token, 1).await;
    let register = |topic: &str| {
        Mock::given(method("POST"))
            .and(path("/hub/"))
            .and(header("cookie", format!("Authorization={token}").as_str()))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .and(body_string_contains("hub.mode=register"))
            .and(body_string_contains(format!("hub.topic={topic}")))
    };
    register("PARTNER_UPDATED")
        .respond_with(form("hub.mode=accepted"))
        .expect(1)
        .mount(&server)
        .await;
    register("POLICY_UPDATED")
        .respond_with(form(
            "hub.topic=POLICY_UPDATED&hub.mode=denied&hub.reason=Topic+has+already+registered+with+the+Hub",
        ))
        .expect(1)
        .mount(&server)
        .await;
    register("APIKEY_UPDATED")
        .respond_with(form(
            "hub.mode=denied&hub.topic=APIKEY_UPDATED&hub.reason=Not+authorized",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    assert_eq!(
        c.websub
            .register_topic("PARTNER_UPDATED", None)
            .await
            .unwrap(),
        TopicRegistration::Registered
    );
    assert_eq!(
        c.websub
            .register_topic("POLICY_UPDATED", None)
            .await
            .unwrap(),
        TopicRegistration::AlreadyRegistered
    );
    let f = c
        .websub
        .register_topic("APIKEY_UPDATED", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "KER-WSC-101")
    );
    assert_eq!(f.message, "Not authorized");
}

#[tokio::test]
async fn websub_publish_202_accepted_and_denied() {
    let server = MockServer::start().await;
    let token = jwt(3600, "t");
    mount_token(&server, &token, 1).await;
    let event = json!({"publisher":"PartnerServiceImpl","topic":"PARTNER_UPDATED",
        "publishedOn":"2025-07-04T10:12:00.777Z","event":{"id":"7b0c","data":{"partnerData":{"partnerId":"p1"}}}});
    let publish = |topic: &str| {
        Mock::given(method("POST"))
            .and(path("/hub/"))
            .and(query_param("hub.mode", "publish"))
            .and(query_param("hub.topic", topic))
            .and(header("cookie", format!("Authorization={token}").as_str()))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .and(header("idempotency-key", "evt-1"))
            .and(body_partial_json(json!({"event":{"id":"7b0c"}})))
    };
    publish("PARTNER_UPDATED")
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    publish("APIKEY_APPROVED")
        .respond_with(form("hub.mode=accepted"))
        .expect(1)
        .mount(&server)
        .await;
    publish("POLICY_UPDATED")
        .respond_with(form(
            "hub.mode=denied&hub.topic=POLICY_UPDATED&hub.reason=Kafka+unavailable",
        ))
        .expect(1)
        .mount(&server)
        .await;
    publish("OIDC_CLIENT_CREATED")
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    c.websub
        .publish("PARTNER_UPDATED", &event, Some("evt-1"))
        .await
        .unwrap();
    c.websub
        .publish("APIKEY_APPROVED", &event, Some("evt-1"))
        .await
        .unwrap();
    let f = c
        .websub
        .publish("POLICY_UPDATED", &event, Some("evt-1"))
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Retryable, "KER-WSC-103")
    );
    assert_eq!(f.message, "Kafka unavailable");
    let f = c
        .websub
        .publish("OIDC_CLIENT_CREATED", &event, Some("evt-1"))
        .await
        .unwrap_err();
    assert_eq!(f.code, "KER-WSC-103");
}

#[tokio::test]
async fn notifier_sends_one_mail_to_part_per_address() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/notifier/email/send"))
        .and(header("idempotency-key", "mail-1"))
        .respond_with(ok_envelope(
            json!({"status":"success","message":"Email Request submitted"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let receipt = c
        .notifier
        .send_email(
            &EmailMessage {
                to: vec!["a@example.org".into(), "b@example.org".into()],
                cc: vec!["c@example.org".into()],
                subject: "Partner registered".into(),
                content: "<p>Dear ACME Bank</p>".into(),
            },
            Some("mail-1"),
        )
        .await
        .unwrap();
    assert_eq!(receipt.status, "success");

    let requests = server.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&requests[1].body).into_owned();
    assert_eq!(body.matches("name=\"mailTo\"").count(), 2, "{body}");
    assert!(
        body.contains("name=\"mailTo\"\r\n\r\na@example.org"),
        "{body}"
    );
    assert!(
        body.contains("name=\"mailTo\"\r\n\r\nb@example.org"),
        "{body}"
    );
    assert!(
        body.contains("name=\"mailCc\"\r\n\r\nc@example.org"),
        "{body}"
    );
    assert!(
        body.contains("name=\"mailSubject\"\r\n\r\nPartner registered"),
        "{body}"
    );
    assert!(
        body.contains("name=\"mailContent\"\r\n\r\n<p>Dear ACME Bank</p>"),
        "{body}"
    );
}

#[tokio::test]
async fn audit_sends_the_pms_values() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/auditmanager/audits"))
        .and(body_partial_json(json!({"id":null,"version":null,"requesttime":null,"metadata":null,
            "request":{"eventId":"PMS_PRT_203","eventName":"POST UPLOADING PARTNER CERT","eventType":"SYSTEM",
              "actionTimeStamp":"2025-07-04T10:12:01.300Z","hostName":"pms-partner-7d9c","hostIp":"10.42.0.17",
              "applicationId":"Partner management portal","applicationName":"10002",
              "sessionUserId":"partner-user-1","sessionUserName":"partner-user-1","id":"mpartner-auth-1",
              "idType":"partnerId","createdBy":"partner-user-1","moduleName":"Partner Management Service",
              "moduleId":"PMS_PRT","description":"Uploading Partner cert success"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"mosip.kernel.auditmanager.addAudit",
            "version":"1.0","responsetime":"x","metadata":null,"response":{"status":true},"errors":null})))
        .expect(1)
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let event = AuditEvent::pms(PmsAudit {
        event_id: "PMS_PRT_203",
        event_name: "POST UPLOADING PARTNER CERT",
        description: "Uploading Partner cert success",
        session_user: "partner-user-1",
        ref_id: "mpartner-auth-1",
        ref_type: "partnerId",
        host_name: "pms-partner-7d9c",
        host_ip: "10.42.0.17",
        now: time::macros::datetime!(2025-07-04 10:12:01.3 UTC),
    });
    c.audit.record(&event, Some("audit-1")).await.unwrap();
}

#[tokio::test]
async fn tokens_and_secrets_in_error_bodies_are_redacted() {
    let server = MockServer::start().await;
    mount_token(&server, &jwt(3600, "t"), 1).await;
    let leaked = jwt(3600, "leaked");
    Mock::given(method("GET"))
        .and(path(CERT_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"response":null,
            "errors":[{"errorCode":"KER-KMS-500","message":"boom"}],
            "debug":{"secretKey":"hunter2","header":format!("Bearer {leaked}"),"cookie":"Authorization=x"}})))
        .mount(&server)
        .await;
    let c = clients(&server, Duration::from_secs(5));
    let f = c
        .keymanager
        .get_partner_certificate("cert-1", None)
        .await
        .unwrap_err();
    let kept = f.response.expect("body kept");
    assert!(!kept.contains(&leaked), "{kept}");
    assert!(!kept.contains(leaked.split('.').nth(1).unwrap()), "{kept}");
    assert!(!kept.contains("hunter2"), "{kept}");
    assert!(kept.contains("KER-KMS-500"), "{kept}");
    assert!(kept.contains("***"), "{kept}");
}

#[tokio::test]
async fn bad_inputs_fail_permanently_without_a_call() {
    let server = MockServer::start().await;
    let c = clients(&server, Duration::from_secs(5));
    let f = c
        .keymanager
        .get_partner_certificate(" ", None)
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Permanent, codes::BAD_INPUT)
    );
    let f = c
        .keymanager
        .get_partner_certificate("cert-1", Some("bad\nkey"))
        .await
        .unwrap_err();
    assert_eq!(
        (f.class, f.code.as_str()),
        (ErrorClass::Permanent, codes::BAD_INPUT)
    );
    let f = c.websub.publish("", &json!({}), None).await.unwrap_err();
    assert_eq!(f.code, codes::BAD_INPUT);
    let f = c
        .notifier
        .send_email(&EmailMessage::default(), None)
        .await
        .unwrap_err();
    assert_eq!(f.code, codes::BAD_INPUT);
    assert!(server.received_requests().await.unwrap().is_empty());
}

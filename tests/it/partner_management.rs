//! Partner management end to end (mosip-pms.md §6.4, §6.5, §9): policy mapping, approval,
//! API keys, MISP licences and deactivation, with their WebSub events delivered through
//! effects runs to the sandbox hub.

use crate::helpers::{auth_policy, call, code as error_code, published_policy, settle_effects};

use pmsflow_tests::TestApp;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn mapping_approval_and_api_keys_publish_their_events(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let partner = app.onboard_fixture(5).await; // Techno, Auth_Partner, mpolicygroup-default-auth
    let policy_id =
        published_policy(&app, "mpolicygroup-default-auth", "kyc-auth", auth_policy()).await;
    let me = app.token(&partner, &["AUTH_PARTNER"]);
    let other = app.token("someone-else", &["AUTH_PARTNER"]);
    let admin = app.admin();
    let base = "/v1/partnermanager/partners";

    // Another partner cannot ask in this partner's name.
    let v = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/{partner}/policy/map"),
        &other,
        Some(json!({"policyName": "kyc-auth", "useCaseDescription": "eKYC"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PRT_055"));
    // Unknown policy in the partner's group.
    let v = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/{partner}/policy/map"),
        &me,
        Some(json!({"policyName": "nope", "useCaseDescription": "eKYC"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PRT_098"));

    let v = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/{partner}/policy/map"),
        &me,
        Some(json!({"policyName": "kyc-auth", "useCaseDescription": "eKYC"})),
    )
    .await;
    let mapping = v["response"]["mappingkey"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned();
    let v = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/{partner}/policy/map"),
        &me,
        Some(json!({"policyName": "kyc-auth", "useCaseDescription": "again"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PRT_053"));

    // A key before approval is refused; the partner cannot approve its own request.
    let v = call(
        &app,
        reqwest::Method::PATCH,
        &format!("{base}/{partner}/generate/apikey"),
        &me,
        Some(json!({"policyName": "kyc-auth", "label": "k1"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PRT_109"));
    let resp = app
        .http
        .put(format!("{}{base}/policy/{mapping}", app.api))
        .bearer_auth(&me)
        .json(&json!({"request": {"status": "Approved"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    let v = call(
        &app,
        reqwest::Method::PUT,
        &format!("{base}/policy/{mapping}"),
        &admin,
        Some(json!({"status": "Approved"})),
    )
    .await;
    assert_eq!(v["response"], "Policy mapping approved successfully", "{v}");
    let v = call(
        &app,
        reqwest::Method::PUT,
        &format!("{base}/policy/{mapping}"),
        &admin,
        Some(json!({"status": "Rejected"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PM_034"));

    // The admin cannot generate the partner's key (as PMS); the partner can.
    let v = call(
        &app,
        reqwest::Method::PATCH,
        &format!("{base}/{partner}/generate/apikey"),
        &app.token("test-admin", &["PARTNER_ADMIN", "AUTH_PARTNER"]),
        Some(json!({"policyName": "kyc-auth", "label": "k1"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PRT_055"));
    let v = call(
        &app,
        reqwest::Method::PATCH,
        &format!("{base}/{partner}/generate/apikey"),
        &me,
        Some(json!({"policyName": "kyc-auth", "label": "k1"})),
    )
    .await;
    let key = v["response"]["apiKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned();
    assert_eq!(key.len(), 32);
    assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(v["response"]["policyId"], policy_id);
    let v = call(
        &app,
        reqwest::Method::PATCH,
        &format!("{base}/{partner}/generate/apikey"),
        &me,
        Some(json!({"policyName": "kyc-auth", "label": "k1"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PRT_110"));

    // The policy is now in use: it cannot be deactivated.
    let group_id = "mpolicygroup-default-auth";
    let v = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/policymanager/policies/{policy_id}/group/{group_id}"),
        &admin,
        Some(json!({"status": "De-Active"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_POL_057"));

    // Deactivate the key: APIKEY_UPDATED and an email.
    let v = call(
        &app,
        reqwest::Method::PATCH,
        &format!("{base}/{partner}/policy/{policy_id}/apiKey/status"),
        &me,
        Some(json!({"label": "k1", "status": "De-Active"})),
    )
    .await;
    assert_eq!(
        v["response"], "Partner apikey de-activated successfully.",
        "{v}"
    );

    settle_effects(&app).await;
    let publishes = app.sandbox.sandbox.websub_publishes();
    let approved: Vec<_> = publishes
        .iter()
        .filter(|p| p.topic == "APIKEY_APPROVED")
        .collect();
    assert_eq!(approved.len(), 1);
    let data = &approved[0].body["event"]["data"];
    assert_eq!(data["apiKeyData"]["apiKeyId"], key);
    assert_eq!(data["apiKeyData"]["apiKeyStatus"], "ACTIVE");
    assert_eq!(data["policyData"]["policyId"], policy_id);
    assert_eq!(data["partnerData"]["partnerId"], partner);
    assert!(data["partnerData"]["certificateData"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let updated: Vec<_> = publishes
        .iter()
        .filter(|p| p.topic == "APIKEY_UPDATED")
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(
        updated[0].body["event"]["data"]["apiKeyData"]["apiKeyStatus"],
        "NOT_ACTIVE"
    );
    // Commit order per partner: approved before updated.
    assert!(approved[0].seq < updated[0].seq);
    assert!(app
        .sandbox
        .sandbox
        .emails()
        .iter()
        .any(|m| m.subject == "API Key Status Updated"));
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn misp_licences_and_deactivation_cascade(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let misp = app.onboard_fixture(1).await; // misp, MISP_Partner
    let me = app.token(&misp, &["MISP_PARTNER"]);
    let admin = app.admin();

    let v = call(
        &app,
        reqwest::Method::POST,
        "/v1/partnermanager/misps",
        &app.token("other", &["MISP_PARTNER"]),
        Some(json!({"providerId": misp})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_PRT_055"));
    let v = call(
        &app,
        reqwest::Method::POST,
        "/v1/partnermanager/misps",
        &me,
        Some(json!({"providerId": misp})),
    )
    .await;
    let key = v["response"]["licenseKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned();
    assert_eq!(key.len(), 50);
    assert_eq!(v["response"]["licenseKeyStatus"], "Active");
    let v = call(
        &app,
        reqwest::Method::POST,
        "/v1/partnermanager/misps",
        &me,
        Some(json!({"providerId": misp})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_MSP_416"));
    // A non-MISP partner gets no licence.
    let v = call(
        &app,
        reqwest::Method::POST,
        "/v1/partnermanager/misps",
        &admin,
        Some(json!({"providerId": "nobody"})),
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_MSP_005"));

    // The MISP sees its own licences only; get-or-regenerate returns the usable one.
    let v = call(
        &app,
        reqwest::Method::GET,
        "/v1/partnermanager/misps",
        &me,
        None,
    )
    .await;
    assert_eq!(v["response"].as_array().unwrap().len(), 1);
    let v = call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/partnermanager/misps/{misp}/licenseKey"),
        &admin,
        None,
    )
    .await;
    assert_eq!(v["response"]["licenseKey"], key);

    // Deactivating the MISP partner deactivates its licence: PARTNER_UPDATED, then
    // MISP_LICENSE_UPDATED.
    let v = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/partnermanager/partners/{misp}"),
        &admin,
        Some(json!({"status": "De-active"})),
    )
    .await;
    assert_eq!(
        v["response"]["message"], "Partner de-activated successfully",
        "{v}"
    );
    let active: bool =
        sqlx::query_scalar("SELECT is_active FROM misp_license WHERE license_key = $1")
            .bind(&key)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!active);
    let v = call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/partnermanager/misps/{misp}/licenseKey"),
        &admin,
        None,
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_MSP_405"));

    settle_effects(&app).await;
    let topics: Vec<_> = app
        .sandbox
        .sandbox
        .websub_publishes()
        .into_iter()
        .filter(|p| p.topic != "CA_CERTIFICATE_UPLOADED")
        .map(|p| (p.topic, p.body["event"]["data"].clone()))
        .collect();
    let names: Vec<_> = topics.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "PARTNER_UPDATED",
            "MISP_LICENSE_GENERATED",
            "PARTNER_UPDATED",
            "MISP_LICENSE_UPDATED"
        ]
    );
    assert_eq!(topics[2].1["partnerData"]["partnerStatus"], "DEACTIVE");
    assert_eq!(topics[3].1["mispLicenseData"]["licenseKey"], key);
    assert_eq!(topics[3].1["mispLicenseData"]["mispStatus"], "NOT_ACTIVE");
    assert!(app
        .sandbox
        .sandbox
        .emails()
        .iter()
        .any(|m| m.subject == "Partner Status Updated"));
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn seed_makes_a_mosip_sandbox_and_is_idempotent(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = pmsflow::seed::seed(&app.pool, &app.settings.pms)
        .await
        .unwrap();
    // MOSIP's DML rows: 9 partners, 13 policies but `mpolicy-default-mobile`, whose document
    // is not JSON (a doubled comma), with its request, key and credential type left out.
    assert_eq!(
        (
            first.of("partner"),
            first.of("auth_policy"),
            first.of("partner_policy")
        ),
        (9, 12, 12),
        "{first:?}"
    );
    assert_eq!(
        (
            first.of("partner_policy_request"),
            first.of("partner_policy_bioextract")
        ),
        (12, 7),
        "{first:?}"
    );
    // The DML's three extractors of one attribute, one per modality: pmsflow keeps one per
    // attribute, as PMS's writes do.
    assert_eq!(
        first
            .skipped
            .iter()
            .filter(|s| s.starts_with("partner_policy_bioextract"))
            .count(),
        14,
        "{first:?}"
    );
    assert!(
        first
            .skipped
            .iter()
            .any(|s| s.starts_with("auth_policy mpolicy-default-mobile")),
        "{first:?}"
    );
    // The DML's 2025 validity ends run from today; duplicate e-mails are made the partner's.
    assert!(
        first
            .adjusted
            .iter()
            .any(|a| a.starts_with("partner_policy mpolicy_part_auth_api: valid_to_datetime")),
        "{first:?}"
    );
    assert!(
        first
            .adjusted
            .iter()
            .any(|a| a.starts_with("partner mpartner-default-cert: email_id")),
        "{first:?}"
    );
    let again = pmsflow::seed::seed(&app.pool, &app.settings.pms)
        .await
        .unwrap();
    assert!(again.inserted.values().all(|n| *n == 0), "{again:?}");
    assert!(again.adjusted.is_empty(), "{again:?}");
    // The partners carry MOSIP's organisation names, which its onboarder's certificates have
    // in `O=`; MOSIP's request ids are there.
    let names: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, name FROM partner WHERE id IN ('mpartner-default-auth', 'mpartner-default-print', 'MOSIP.PROXY.SBI') ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        names,
        [
            ("MOSIP.PROXY.SBI".to_owned(), "MOSIP".to_owned()),
            ("mpartner-default-auth".to_owned(), "IITB".to_owned()),
            ("mpartner-default-print".to_owned(), "IIITB".to_owned()),
        ]
    );
    let request: String = sqlx::query_scalar(
        "SELECT status_code FROM partner_policy_request WHERE id = 'mpartner_policy_auth_req'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(request, "approved");
    // IDA and datashare read a partner's policy through its API key.
    let v = call(
        &app,
        reqwest::Method::GET,
        "/v1/policymanager/policies/mpolicy-default-cert/partner/mpartner-default-cert",
        &app.admin(),
        None,
    )
    .await;
    assert_eq!(v["response"]["status"], "PUBLISHED", "{v}");
    assert_eq!(
        v["response"]["policies"]["dataSharePolicies"]["validForInMinutes"],
        "30"
    );
    let v = call(
        &app,
        reqwest::Method::GET,
        "/v1/policymanager/policies/mpolicy-default-cert/partner/mpartner-default-auth",
        &app.admin(),
        None,
    )
    .await;
    assert_eq!(error_code(&v), Some("PMS_POL_017"));
}

//! PMS 1.2.0.1's device module: a device provider onboards (its certificate in the DEVICE
//! domain makes it active), registers a device and an SBI, an administrator approves both,
//! the provider maps the SBI to the device, and the searches show each provider its own.

use pmsflow_tests::{fresh_chain, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;
use time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};

use crate::helpers::{call, code};

const DEVICE: &str = "/v1/partnermanager/devicedetail";
const SBI: &str = "/v1/partnermanager/securebiometricinterface";
const MAP: &str = "/v1/partnermanager/securebiometricinterface/devicedetails/map";
const UNMAP: &str = "/v1/partnermanager/securebiometricinterface/devicedetails/map/remove";

fn at(offset: Duration) -> String {
    (OffsetDateTime::now_utc() + offset)
        .format(&Rfc3339)
        .unwrap()
}

/// A PMS call with a request body: the response envelope (HTTP 200 asserted).
async fn send(app: &TestApp, method: Method, path: &str, token: &str, request: &Value) -> Value {
    call(app, method, path, token, Some(request.clone())).await
}

/// The id answered by a registration.
fn id(v: &Value) -> String {
    v["response"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_device_provider_registers_devices_and_sbis_an_admin_approves_them(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::default()).await;
    let (admin, dp) = (app.admin(), app.token("dp1", &["DEVICE_PROVIDER"]));
    let other = app.token("dp2", &["DEVICE_PROVIDER"]);
    let post = |path: &'static str, token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move { send(app, Method::POST, path, &token, &body).await }
    };
    let put = |path: &'static str, token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move { send(app, Method::PUT, path, &token, &body).await }
    };
    let patch = |path: &'static str, body: Value| {
        let (app, token) = (&app, admin.clone());
        async move { send(app, Method::PATCH, path, &token, &body).await }
    };
    let registered = post(
        "/v1/partnermanager/partners",
        &dp,
        json!({
        "partnerId": "dp1", "organizationName": "dp1", "partnerType": "Device_Provider",
        "address": "Bengaluru", "contactNumber": "9876543210", "emailId": "dp1@example.org"}),
    )
    .await;
    assert_eq!(registered["response"]["partnerId"], "dp1", "{registered}");
    let device = json!({"deviceProviderId": "dp1", "deviceTypeCode": "Finger",
        "deviceSubTypeCode": "Slap", "make": "Acme", "model": "S1"});
    // Not active before its certificate.
    let v = post(DEVICE, &dp, device.clone()).await;
    assert_eq!(code(&v), Some("PMS_AUT_002"), "{v}");
    let (root, leaf) = fresh_chain("dp1");
    let ca = post(
        "/v1/partnermanager/partners/certificate/ca/upload",
        &admin,
        json!({"partnerDomain": "DEVICE", "certificateData": root}),
    )
    .await;
    assert_eq!(ca["response"]["status"], "Upload Success.", "{ca}");
    let up = post(
        "/v1/partnermanager/partners/certificate/upload",
        &dp,
        json!({"partnerId": "dp1", "partnerDomain": "DEVICE", "certificateData": leaf}),
    )
    .await;
    assert_eq!(up["errors"], json!([]), "{up}");

    // The device: registered once, pending approval; bad type, duplicate, other provider.
    let device_id = id(&post(DEVICE, &dp, device.clone()).await);
    let refusals = [
        (json!({}), &dp, "PMS_AUT_003"),
        (json!({"deviceSubTypeCode": "Double"}), &dp, "PMS_AUT_001"),
        (json!({}), &other, "PMS_PRT_055"),
        (json!({"make": "m".repeat(37)}), &dp, "PMS_COR_001"),
    ];
    for (change, token, expected) in refusals {
        let mut body = device.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let v = post(DEVICE, token, body).await;
        assert_eq!(code(&v), Some(expected), "{change}: {v}");
    }

    // The SBI: its dates are checked, one per version.
    let sbi = json!({"swBinaryHash": "b0a1", "swVersion": "1.0.0", "providerId": "dp1",
        "swCreateDateTime": at(Duration::days(-1)), "swExpiryDateTime": at(Duration::days(365))});
    let sbi_id = id(&post(SBI, &dp, sbi.clone()).await);
    let dates = [
        (
            at(Duration::days(-1)),
            at(Duration::days(365)),
            "PMS_AUT_512",
        ),
        (
            at(Duration::days(-1)),
            at(Duration::days(-2)),
            "PMS_AUT_507",
        ),
        (
            at(Duration::days(-30)),
            at(Duration::days(-2)),
            "PMS_AUT_508",
        ),
    ];
    for (created, expiry, expected) in dates {
        let mut body = sbi.clone();
        body["swCreateDateTime"] = json!(created);
        body["swExpiryDateTime"] = json!(expiry);
        let v = post(SBI, &dp, body).await;
        assert_eq!(code(&v), Some(expected), "{v}");
    }

    // Mapping waits for the approvals; the provider may not approve.
    let mapping = json!({"deviceDetailId": device_id, "sbiId": sbi_id});
    assert_eq!(
        code(&put(MAP, &dp, mapping.clone()).await),
        Some("PMS_AUT_027")
    );
    let resp = app
        .http
        .patch(format!("{}{DEVICE}", app.api))
        .bearer_auth(&dp)
        .json(&json!({"request": {"id": device_id, "approvalStatus": "Activate"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let decide = |id: &str, status: &str| json!({"id": id, "approvalStatus": status});
    let v = patch(DEVICE, decide(&device_id, "activate")).await;
    assert_eq!(code(&v), Some("PMS_AUT_025"), "{v}");
    let v = patch(DEVICE, decide(&device_id, "Activate")).await;
    assert_eq!(v["response"], "Device details approved successfully.");
    assert_eq!(
        code(&put(MAP, &dp, mapping.clone()).await),
        Some("PMS_AUT_511")
    );
    let v = patch(SBI, decide(&sbi_id, "Activate")).await;
    assert_eq!(
        v["response"],
        "Secure biometric details approved successfully."
    );
    assert_eq!(put(MAP, &dp, mapping.clone()).await["response"], "Success");
    let again = put(MAP, &dp, mapping.clone()).await;
    assert_eq!(again["response"], "Mapping already exists");

    // Searches: each provider sees its own; the admin sees all; the mapping shows the SBI.
    let all = json!({"filters": [], "sort": [], "pagination": {"pageStart": 0, "pageFetch": 10}});
    let mine = post("/v1/partnermanager/devicedetail/search", &dp, all.clone()).await;
    assert_eq!(mine["response"]["totalRecord"], 1, "{mine}");
    assert_eq!(mine["response"]["data"][0]["approvalStatus"], "approved");
    assert_eq!(
        mine["response"]["data"][0]["partnerOrganizationName"],
        "dp1"
    );
    let theirs = post(
        "/v1/partnermanager/devicedetail/search",
        &other,
        all.clone(),
    )
    .await;
    assert_eq!(theirs["response"]["totalRecord"], 0, "{theirs}");
    let sbis = post(
        "/v1/partnermanager/securebiometricinterface/search",
        &admin,
        all.clone(),
    )
    .await;
    assert_eq!(sbis["response"]["data"][0]["swVersion"], "1.0.0", "{sbis}");
    let mapped = post(
        "/v1/partnermanager/securebiometricinterface/devicedetails/map/search",
        &dp,
        all,
    )
    .await;
    assert_eq!(
        mapped["response"]["data"][0]["sbiId"],
        sbi_id.as_str(),
        "{mapped}"
    );
    assert_eq!(mapped["response"]["data"][0]["make"], "Acme");
    let sub_types = post("/v1/partnermanager/devicedetail/deviceSubType/filtervalues", &dp,
        json!({"filters": [{"columnName": "code", "type": "unique", "text": ""}],
               "optionalFilters": [{"columnName": "deviceType", "type": "equals", "value": "Finger"}]}))
    .await;
    let codes: Vec<&str> = sub_types["response"]["filters"]
        .as_array()
        .unwrap_or_else(|| panic!("{sub_types}"))
        .iter()
        .filter_map(|f| f["fieldValue"].as_str())
        .collect();
    assert_eq!(codes, ["Single", "Slap", "Touchless"], "{sub_types}");

    // Unmapping, once.
    assert_eq!(
        put(UNMAP, &dp, mapping.clone()).await["response"],
        "Success"
    );
    assert_eq!(code(&put(UNMAP, &dp, mapping).await), Some("PMS_AUT_510"));
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn an_ftm_chip_certificate_run_rides_out_a_keymanager_fault(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (admin, ftm) = (app.admin(), app.token("ftm1", &["FTM_PROVIDER"]));
    let post = |path: &'static str, token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move { send(app, Method::POST, path, &token, &body).await }
    };
    let registered = post(
        "/v1/partnermanager/partners",
        &ftm,
        json!({
        "partnerId": "ftm1", "organizationName": "ftm1", "partnerType": "FTM_Provider",
        "address": "Bengaluru", "contactNumber": "9876543210", "emailId": "ftm1@example.org"}),
    )
    .await;
    assert_eq!(registered["response"]["partnerId"], "ftm1", "{registered}");
    // The provider's own certificate, and a second CA for its chip's.
    let (root, leaf) = fresh_chain("ftm1");
    let (chip_root, chip_leaf) = fresh_chain("ftm1");
    for ca in [root, chip_root] {
        let v = post(
            "/v1/partnermanager/partners/certificate/ca/upload",
            &admin,
            json!({"partnerDomain": "FTM", "certificateData": ca}),
        )
        .await;
        assert_eq!(v["response"]["status"], "Upload Success.", "{v}");
    }
    let up = post(
        "/v1/partnermanager/partners/certificate/upload",
        &ftm,
        json!({"partnerId": "ftm1", "partnerDomain": "FTM", "certificateData": leaf}),
    )
    .await;
    assert_eq!(up["errors"], json!([]), "{up}");

    let chip = json!({"ftpProviderId": "ftm1", "make": "Acme", "model": "C1"});
    let chip_id = id(&post("/v1/partnermanager/ftpchipdetail", &ftm, chip.clone()).await);
    let v = post("/v1/partnermanager/ftpchipdetail", &ftm, chip).await;
    assert_eq!(code(&v), Some("PMP_AUT_032"), "{v}");
    let approve = json!({"ftpChipDetailId": chip_id, "approvalStatus": true});
    let v = send(
        &app,
        Method::PATCH,
        "/v1/partnermanager/ftpchipdetail",
        &admin,
        &approve,
    )
    .await;
    assert_eq!(code(&v), Some("PMP_AUT_033"), "{v}");
    let certificate = format!("/v1/partnermanager/ftpchipdetail/getPartnerCertificate/{chip_id}");
    let v = call(&app, Method::GET, &certificate, &ftm, None).await;
    assert_eq!(code(&v), Some("PMP_AUT_033"), "{v}");

    // keymanager fails the first re-signing call: the run retries it.
    app.sandbox
        .sandbox
        .set_faults(pmsflow_sandbox::FaultConfig::single(
            "keymanager.uploadPartnerCertificate",
            pmsflow_sandbox::FaultRule {
                times: Some(1),
                ..pmsflow_sandbox::FaultRule::always_unavailable()
            },
        ));
    let body = json!({"ftpProviderId": "ftm1", "ftpChipDeatilId": chip_id,
        "isItForRegistrationDevice": false, "certificateData": chip_leaf,
        "organizationName": "ftm1", "partnerDomain": "FTM"});
    let answer = post(
        "/v1/partnermanager/ftpchipdetail/uploadcertificate",
        &ftm,
        body,
    )
    .await;
    assert_eq!(answer["errors"], json!([]), "{answer}");
    let signed = answer["response"]["signedCertificateData"]
        .as_str()
        .unwrap();
    assert!(
        signed.starts_with("-----BEGIN CERTIFICATE-----"),
        "{answer}"
    );
    let attempts: Vec<String> = sqlx::query_scalar(
        "SELECT a.outcome FROM step_attempt a JOIN workflow_step s ON s.id = a.step_id
           JOIN workflow_run r ON r.id = a.run_id
          WHERE r.kind = 'ftm_chip_certificate' AND s.step_key = 'keymanager.upload_partner_certificate'
          ORDER BY a.attempt",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(attempts, ["failed", "succeeded"]);

    // As 1.2.0.1 notifies: the signed certificate on datashare, CA_CERTIFICATE_UPLOADED with
    // its URL and the request's domain, once the run is over.
    let run: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM workflow_run WHERE kind = 'ftm_chip_certificate'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let done = app.wait_run(run, std::time::Duration::from_secs(60)).await;
    assert_eq!(done.run.status, "completed", "{:?}", done.run.error_message);
    let published = app
        .sandbox
        .sandbox
        .websub_publishes()
        .into_iter()
        .filter(|p| p.topic == "CA_CERTIFICATE_UPLOADED")
        .find(|p| p.body["event"]["data"]["partnerDomain"] == "FTM")
        .expect("CA_CERTIFICATE_UPLOADED for the chip");
    let url = published.body["event"]["data"]["certChainDatashareUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let ida = app.sandbox.sandbox.mint_token("ida").unwrap();
    let shared = app.http.get(&url).bearer_auth(&ida).send().await.unwrap();
    assert!(shared.status().is_success(), "{}", shared.status());
    assert!(!shared.bytes().await.unwrap().is_empty());

    // The chip has its certificate, waits for approval, then is approved.
    let v = call(&app, Method::GET, &certificate, &ftm, None).await;
    assert_eq!(v["response"]["certificateData"], signed, "{v}");
    let other = app.token("ftm2", &["FTM_PROVIDER"]);
    let v = call(&app, Method::GET, &certificate, &other, None).await;
    assert_eq!(code(&v), Some("PMS_PRT_055"), "{v}");
    let all = json!({"filters": [], "sort": [], "pagination": {"pageStart": 0, "pageFetch": 10}});
    let v = post("/v1/partnermanager/ftpchipdetail/search", &ftm, all.clone()).await;
    assert_eq!(
        v["response"]["data"][0]["approvalStatus"], "pending_approval",
        "{v}"
    );
    let v = send(
        &app,
        Method::PATCH,
        "/v1/partnermanager/ftpchipdetail",
        &admin,
        &approve,
    )
    .await;
    assert_eq!(v["response"], "Status updated successfully.", "{v}");
    let v = post("/v1/partnermanager/ftpchipdetail/search", &ftm, all).await;
    assert_eq!(
        v["response"]["data"][0]["approvalStatus"], "approved",
        "{v}"
    );
    assert_eq!(v["response"]["data"][0]["isActive"], true);
}

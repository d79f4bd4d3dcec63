//! The main job end to end: real Postgres (fresh database per test), real Redis (own
//! namespace), the sandbox over HTTP, the API over HTTP.

use std::time::Duration;

use pmsflow_tests::{fixture, fixture_body, fixture_cas, onboarding_body, TestApp, VALID_FIXTURES};
use serde_json::{json, Value};
use sqlx::PgPool;

const WAIT: Duration = Duration::from_secs(60);

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn every_valid_fixture_chain_onboards(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (group, leaf, partner, ptype, pgroup) in VALID_FIXTURES {
        let body = onboarding_body(
            partner,
            partner,
            ptype,
            *pgroup,
            fixture_cas(group),
            fixture(&format!("{group}/{leaf}")),
        );
        let id = app.start_onboarding(&body).await;
        let run = app.wait_run(id, WAIT).await;
        assert_eq!(
            run.run.status, "completed",
            "{partner}: {:?}",
            run.run.error_message
        );
        assert!(
            run.steps.iter().all(|s| s.status == "succeeded"),
            "{partner}"
        );

        // The partner is approved and active, with the re-signed certificate on record.
        let token = app.token(partner, &["PARTNER"]);
        let resp: Value = app
            .http
            .get(format!("{}/v1/partnermanager/partners/{partner}", app.api))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(resp["response"]["status"], "active", "{resp}");
        assert_eq!(resp["response"]["approvalStatus"], "approved");
        let cert: Value = app
            .http
            .get(format!(
                "{}/v1/partnermanager/partners/{partner}/certificate",
                app.api
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let signed = cert["response"]["certificateData"]
            .as_str()
            .unwrap()
            .to_owned();
        let signed = pmsflow_core::certificate::Certificate::parse_any(&signed).unwrap();
        let original =
            pmsflow_core::certificate::Certificate::parse_any(&fixture(&format!("{group}/{leaf}")))
                .unwrap();
        assert_eq!(signed.subject_dn(), original.subject_dn(), "same subject");
        if *ptype == "FTM_Provider" {
            // keymanager keeps FTM chains as they are (resign.ftm.domain.certs=false).
            assert_eq!(signed, original, "FTM certificate not re-signed");
        } else {
            assert_eq!(
                signed.issuer_dn(),
                app.sandbox.sandbox.pms_certificate().subject_dn(),
                "re-signed by MOSIP's PMS key"
            );
            assert!(signed.verify_issued_by(&app.sandbox.sandbox.pms_certificate()));
        }

        // PARTNER_UPDATED carried the re-signed leaf; CA_CERTIFICATE_UPLOADED a working URL.
        let publishes = app.sandbox.sandbox.websub_publishes();
        let updated = publishes
            .iter()
            .filter(|p| p.topic == "PARTNER_UPDATED")
            .find(|p| p.body["event"]["data"]["partnerData"]["partnerId"] == *partner)
            .expect("PARTNER_UPDATED published");
        assert_eq!(
            updated.body["event"]["data"]["partnerData"]["partnerStatus"],
            "ACTIVE"
        );
        let ca = publishes
            .iter()
            .filter(|p| p.topic == "CA_CERTIFICATE_UPLOADED")
            .find(|p| {
                p.body["event"]["id"]
                    == json!(
                        run.steps
                            .iter()
                            .find(|s| s.key == "websub.ca_certificate_uploaded")
                            .unwrap()
                            .id
                    )
            })
            .expect("CA_CERTIFICATE_UPLOADED published");
        let url = ca.body["event"]["data"]["certChainDatashareUrl"]
            .as_str()
            .unwrap();
        // IDA's side: download the chain with a service token; it is the P7B keymanager returned.
        let ida = app.sandbox.sandbox.mint_token("ida").unwrap();
        let p7b = app.http.get(url).bearer_auth(&ida).send().await.unwrap();
        assert!(
            p7b.status().is_success(),
            "datashare URL answers: {}",
            p7b.status()
        );
        let chain =
            pmsflow_core::certificate::decode_p7b_base64(&p7b.text().await.unwrap()).unwrap();
        assert_eq!(
            chain[0], signed,
            "first certificate of the shared chain is the partner's"
        );
    }
    // Every effect was done once per effect key.
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn negative_fixtures_fail_with_their_code_and_no_side_effect(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cases = [
        (
            "neg-corrupt",
            "movp",
            vec![fixture("apitest-credential/root-ca.apitest.pem")],
            fixture("invalid/uploadInvalidCertificate.corrupted.pem"),
            "KER-KMS-013",
        ),
        (
            "neg-orphan",
            "ftp",
            vec![],
            fixture("apitest-orphan/partner.ftp.issued-by-SUBCA.pem"),
            "KER-PCM-006",
        ),
        (
            "neg-orphan2",
            "ftp",
            fixture_cas("apitest-ftm"),
            fixture("apitest-orphan/partner.ftp.issued-by-SUBCA.pem"),
            "KER-PCM-006",
        ),
        (
            "neg-pmsapi",
            "PMS_API_ABC_ORG",
            fixture_cas("pms-api-chain"),
            fixture("pms-api-chain/partner.PMS_API_ABC_ORG.pem"),
            "KER-PCM-004",
        ),
        (
            "neg-org",
            "Not movp",
            fixture_cas("apitest-credential"),
            fixture("apitest-credential/partner.movp.pem"),
            "KER-PCM-008",
        ),
        (
            "neg-garbage",
            "movp",
            vec![],
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
            "KER-KMS-013",
        ),
    ];
    for (partner, org, cas, leaf, code) in cases {
        let body = onboarding_body(
            partner,
            org,
            "Auth_Partner",
            Some("mpolicygroup-default-auth"),
            cas,
            leaf,
        );
        let id = app.start_onboarding(&body).await;
        let run = app.wait_run(id, WAIT).await;
        assert_eq!(run.run.status, "failed", "{partner}");
        assert_eq!(
            run.run.error_code.as_deref(),
            Some(code),
            "{partner}: {:?}",
            run.run.error_message
        );
        let failed: Vec<_> = run.steps.iter().filter(|s| s.status == "failed").collect();
        assert_eq!(failed.len(), 1, "{partner}");
        assert_eq!(
            failed[0].attempt, 1,
            "{partner}: permanent errors are not retried"
        );
        assert!(
            app.effects_of(id).is_empty(),
            "{partner}: no side effect, got {:?}",
            app.effects_of(id)
        );
        let partner_active: bool =
            sqlx::query_scalar("SELECT is_active FROM partner WHERE id = $1")
                .bind(partner)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert!(!partner_active, "{partner} stays inactive");
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn pms_compatible_registration_ca_upload_and_certificate_upload(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let partner = app.token("movp", &["CREDENTIAL_PARTNER"]);
    let admin = app.admin();
    let post = |path: &str, token: &str, request: Value| {
        app.http
            .post(format!("{}/v1/partnermanager{path}", app.api))
            .bearer_auth(token)
            .json(&json!({"id": "mosip.partnermanagement", "version": "1.0", "requesttime": "2026-11-22T10:00:00.000Z", "request": request}))
            .send()
    };
    let reg: Value = post(
        "/partners",
        &partner,
        json!({
            "partnerId": "movp", "organizationName": "movp", "partnerType": "Credential_Partner",
            "policyGroup": "mpolicygroup-default-digitalcard", "address": "Bangalore",
            "contactNumber": "9876543210", "emailId": "movp@example.org", "langCode": "eng"
        }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(reg["response"]["status"], "InProgress", "{reg}");
    assert_eq!(reg["errors"], json!([]));
    // Same id again: PMS_PRT_051 with HTTP 200 (after the email check, PMS_PRT_011 first).
    let again = post(
        "/partners",
        &partner,
        json!({
            "partnerId": "movp", "organizationName": "movp", "partnerType": "Credential_Partner",
            "policyGroup": "mpolicygroup-default-digitalcard", "address": "Bangalore",
            "contactNumber": "9876543210", "emailId": "other@example.org"
        }),
    )
    .await
    .unwrap();
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["errors"][0]["errorCode"], "PMS_PRT_051", "{again}");

    // Partners cannot upload CA certificates; admins can.
    let forbidden = post("/partners/certificate/ca/upload", &partner, json!({
        "certificateData": fixture("apitest-credential/root-ca.apitest.pem"), "partnerDomain": "AUTH"
    })).await.unwrap();
    assert_eq!(forbidden.status().as_u16(), 403);
    let body: Value = forbidden.json().await.unwrap();
    assert_eq!(body["errors"][0]["errorCode"], "KER-ATH-403");
    for ca in ["root-ca.apitest.pem", "sub-ca.apitest2.pem"] {
        let r: Value = post("/partners/certificate/ca/upload", &admin, json!({
            "certificateData": fixture(&format!("apitest-credential/{ca}")), "partnerDomain": "AUTH"
        })).await.unwrap().json().await.unwrap();
        assert_eq!(r["response"]["status"], "Upload Success.", "{r}");
    }
    let dup: Value = post("/partners/certificate/ca/upload", &admin, json!({
        "certificateData": fixture("apitest-credential/root-ca.apitest.pem"), "partnerDomain": "AUTH"
    })).await.unwrap().json().await.unwrap();
    assert_eq!(dup["errors"][0]["errorCode"], "KER-PCM-003", "{dup}");

    // Another partner may not upload for movp.
    let other = app.token("someone-else", &["CREDENTIAL_PARTNER"]);
    let denied: Value = post("/partners/certificate/upload", &other, json!({
        "partnerId": "movp", "certificateData": fixture("apitest-credential/partner.movp.pem"), "partnerDomain": "AUTH"
    })).await.unwrap().json().await.unwrap();
    assert_eq!(denied["errors"][0]["errorCode"], "PMS_PRT_055");

    let up: Value = post("/partners/certificate/upload", &partner, json!({
        "partnerId": "movp", "certificateData": fixture("apitest-credential/partner.movp.pem"), "partnerDomain": "AUTH"
    })).await.unwrap().json().await.unwrap();
    assert_eq!(up["errors"], json!([]), "{up}");
    let cert_id = up["response"]["certificateId"].as_str().unwrap();
    assert!(!cert_id.is_empty());
    let signed = up["response"]["signedCertificateData"].as_str().unwrap();
    assert!(signed.starts_with("-----BEGIN CERTIFICATE-----"));
    let got: Value = app
        .http
        .get(format!(
            "{}/v1/partnermanager/partners/movp/certificate",
            app.api
        ))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["response"]["certificateData"].as_str().unwrap(), signed);
    let sandbox_ids: Vec<_> = app
        .sandbox
        .sandbox
        .partner_certificates()
        .into_iter()
        .map(|c| c.certificate_id)
        .collect();
    assert!(
        sandbox_ids.iter().any(|c| c == cert_id),
        "certificateId is keymanager's"
    );

    // Re-upload (renewal): a second re-signing run; both certificates stay in the history.
    let again: Value = post("/partners/certificate/upload", &partner, json!({
        "partnerId": "movp", "certificateData": fixture("apitest-credential/partner.movp.pem"), "partnerDomain": "AUTH"
    })).await.unwrap().json().await.unwrap();
    assert_eq!(again["errors"], json!([]), "{again}");
    let resigned = again["response"]["signedCertificateData"].as_str().unwrap();
    let get = |path: String, token: &str| {
        let req = app
            .http
            .get(format!("{}{path}", app.api))
            .bearer_auth(token);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let (_, original) = get(
        "/v1/partnermanager/partners/movp/originalPartnerCertificate".into(),
        &partner,
    )
    .await;
    assert_eq!(original["errors"], json!([]), "{original}");
    assert_eq!(
        original["response"]["caSignedCertificateData"]
            .as_str()
            .unwrap()
            .trim(),
        fixture("apitest-credential/partner.movp.pem").trim()
    );
    assert_eq!(
        original["response"]["mosipSignedCertificateData"]
            .as_str()
            .unwrap(),
        resigned
    );
    let (_, theirs) = get(
        "/v1/partnermanager/partners/movp/originalPartnerCertificate".into(),
        &other,
    )
    .await;
    assert_eq!(theirs["errors"][0]["errorCode"], "PMS_PRT_055", "{theirs}");
    let (_, none) = get(
        "/v1/partnermanager/partners/nobody/originalPartnerCertificate".into(),
        &admin,
    )
    .await;
    assert_eq!(none["errors"][0]["errorCode"], "PMS_PRT_005", "{none}");

    let (status, history) = get("/v1/partners/movp/certificates".into(), &partner).await;
    assert_eq!(status, 200, "{history}");
    let certs = history["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2, "{history}");
    assert_eq!(
        certs.iter().filter(|c| c["current"] == true).count(),
        1,
        "{history}"
    );
    assert_eq!(
        certs[0]["current"], true,
        "the newest is current: {history}"
    );
    assert_eq!(
        certs[0]["certificateId"],
        again["response"]["certificateId"]
    );
    assert_eq!(certs[1]["certificateId"], cert_id);
    for c in certs {
        assert!(c["originalIssuer"].as_str().unwrap().contains("CN="), "{c}");
        assert_eq!(c["originalThumbprint"].as_str().unwrap().len(), 40, "{c}");
        assert!(c["signedNotAfter"].as_str().unwrap() > c["uploadedAt"].as_str().unwrap());
    }
    let (status, hidden) = get("/v1/partners/movp/certificates".into(), &other).await;
    assert_eq!((status, &hidden["code"]), (404, &json!("PMS_PRT_005")));
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn idempotency_key_returns_the_same_run(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = fixture_body(0);
    let (s1, r1) = app.post_onboarding(&body, Some("key-1")).await;
    let (s2, r2) = app.post_onboarding(&body, Some("key-1")).await;
    assert_eq!(s1, 202);
    assert_eq!(s2, 200);
    assert_eq!(r1["runId"], r2["runId"]);
    assert_eq!(r2["replayed"], true);
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM workflow_run")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(runs, 1);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn every_endpoint_checks_the_token_and_roles(pool: PgPool) {
    let app = TestApp::spawn_with(pool, pmsflow_tests::TestOptions::api_only()).await;
    let paths = [
        ("POST", "/v1/partnermanager/partners"),
        ("POST", "/v1/partnermanager/partners/v2"),
        ("POST", "/v1/partnermanager/partners/certificate/ca/upload"),
        ("POST", "/v1/partnermanager/partners/certificate/upload"),
        ("GET", "/v1/partnermanager/partners/movp/certificate"),
        ("GET", "/v1/partnermanager/partners/movp"),
    ];
    for (method, path) in paths {
        let url = format!("{}{path}", app.api);
        let req = if method == "GET" {
            app.http.get(&url)
        } else {
            app.http.post(&url).json(&json!({"request": {}}))
        };
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["errorCode"], "KER-ATH-401", "{path}");
        // A forged token is refused too.
        let req = if method == "GET" {
            app.http.get(&url)
        } else {
            app.http.post(&url).json(&json!({"request": {}}))
        };
        let resp = req
            .header(
                "Cookie",
                "Authorization=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path} with a forged cookie");
    }
    for (method, path) in [("POST", "/v1/onboardings"), ("GET", "/v1/runs")] {
        let url = format!("{}{path}", app.api);
        let req = if method == "GET" {
            app.http.get(&url)
        } else {
            app.http.post(&url).json(&json!({}))
        };
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    // Wrong role on the partner read.
    let resident_less = app.token("movp", &["SOME_OTHER_ROLE"]);
    let resp = app
        .http
        .get(format!("{}/v1/partnermanager/partners/movp", app.api))
        .bearer_auth(&resident_less)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // The cookie is accepted like the bearer header.
    let admin = app.admin();
    let resp: Value = app
        .http
        .get(format!("{}/v1/partnermanager/partners/nobody", app.api))
        .header("Cookie", format!("Authorization={admin}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["errors"][0]["errorCode"], "PMS_PRT_005");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn partners_see_only_their_own_runs(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = fixture_body(0);
    let id = app.start_onboarding(&body).await;
    app.wait_run(id, WAIT).await;
    let own = app.token(VALID_FIXTURES[0].2, &["CREDENTIAL_PARTNER"]);
    let other = app.token("stranger", &["CREDENTIAL_PARTNER"]);
    let get = |t: String| {
        app.http
            .get(format!("{}/v1/runs/{id}", app.api))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(get(own.clone()).await.unwrap().status().as_u16(), 200);
    assert_eq!(get(other.clone()).await.unwrap().status().as_u16(), 404);
    let list: Value = app
        .http
        .get(format!("{}/v1/runs?kind=onboarding", app.api))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["runs"].as_array().unwrap().len(), 0);
    let list: Value = app
        .http
        .get(format!(
            "{}/v1/runs?kind=onboarding&status=completed",
            app.api
        ))
        .bearer_auth(app.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["runs"].as_array().unwrap().len(), 1);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn concurrent_requests_with_one_idempotency_key_make_one_run(pool: PgPool) {
    let app = TestApp::spawn_with(pool, pmsflow_tests::TestOptions::api_only()).await;
    let body = fixture_body(0);
    let (a, b) = tokio::join!(
        app.post_onboarding(&body, Some("same")),
        app.post_onboarding(&body, Some("same"))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 202], "{a:?} {b:?}");
    assert_eq!(a.1["runId"], b.1["runId"]);
    let partners: i64 = sqlx::query_scalar("SELECT count(*) FROM partner")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(partners, 1);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_partner_cannot_onboard_another_partner_id(pool: PgPool) {
    let app = TestApp::spawn_with(pool, pmsflow_tests::TestOptions::api_only()).await;
    let body = fixture_body(0);
    let resp = app
        .http
        .post(format!("{}/v1/onboardings", app.api))
        .bearer_auth(app.token("someone-else", &["AUTH_PARTNER"]))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["code"], "PMS_PRT_055");
    let bad_query = app
        .http
        .get(format!("{}/v1/runs?limit=lots", app.api))
        .bearer_auth(app.admin())
        .send()
        .await
        .unwrap();
    assert_eq!(bad_query.status().as_u16(), 400);
    assert_eq!(
        bad_query.headers()["content-type"],
        "application/problem+json"
    );
}

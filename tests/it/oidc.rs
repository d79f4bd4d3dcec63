//! eSignet OIDC clients end to end (mosip-pms.md §6.6, mosip-contracts.md §2.5): PMS's checks,
//! claims and ACRs derived from a real auth policy, the client run against the sandbox's
//! eSignet (which validates as eSignet does), no orphan client when eSignet fails, the
//! reconciliation of `duplicate_client_id`, updates, and the OIDC events.

use crate::helpers::{call, code};
use std::collections::HashMap;
use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use pmsflow_sandbox::{FaultConfig, FaultRule};
use pmsflow_tests::TestApp;
use rsa::{traits::PublicKeyParts, RsaPrivateKey};
use serde_json::{json, Value};
use sqlx::PgPool;

const WAIT: Duration = Duration::from_secs(60);
const BASE: &str = "/v1/partnermanager/oidc/client";

fn rsa_jwk() -> Value {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
    json!({
        "kty": "RSA", "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()), "use": "sig",
        "alg": "RS256", "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
    })
}

fn relying_party_policy() -> Value {
    let dir = std::env::var("PMSFLOW_SHARED_DIR").unwrap_or_else(|_| "../../shared".into());
    let text = std::fs::read_to_string(format!(
        "{dir}/fixtures/mosip/policies/auth-policy.oidc-relying-party.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Onboard the Auth_Partner fixture, publish the relying-party auth policy in its group and
/// request it; returns (partner id, policy id, mapping key).
async fn auth_partner_with_request(app: &TestApp) -> (String, String, String) {
    let partner = app.onboard_fixture(5).await; // Techno, Auth_Partner, mpolicygroup-default-auth
    let admin = app.admin();
    let group = "mpolicygroup-default-auth";
    let created = call(
        app,
        reqwest::Method::POST,
        "/v1/policymanager/policies",
        &admin,
        Some(json!({"policyGroupName": group, "policyType": "Auth", "name": "rp-kyc", "desc": "relying party", "version": "1.0", "policies": relying_party_policy()})),
    )
    .await;
    let policy_id = created["response"]["id"].as_str().unwrap().to_owned();
    let group_id: String = sqlx::query_scalar("SELECT id FROM policy_group WHERE name = $1")
        .bind(group)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let published = call(
        app,
        reqwest::Method::POST,
        &format!("/v1/policymanager/policies/{policy_id}/group/{group_id}/publish"),
        &admin,
        None,
    )
    .await;
    assert_eq!(published["response"]["status"], "PUBLISHED", "{published}");
    let me = app.token(&partner, &["AUTH_PARTNER"]);
    let v = call(
        app,
        reqwest::Method::POST,
        &format!("/v1/partnermanager/partners/{partner}/policy/map"),
        &me,
        Some(json!({"policyName": "rp-kyc", "useCaseDescription": "login with eSignet"})),
    )
    .await;
    let mapping = v["response"]["mappingkey"].as_str().unwrap().to_owned();
    (partner, policy_id, mapping)
}

fn create_request(partner: &str, policy_id: &str, jwk: &Value) -> Value {
    json!({
        "name": "Techno login", "policyId": policy_id, "publicKey": jwk,
        "authPartnerId": partner, "logoUri": "https://techno-labs.co.in/logo.png",
        "redirectUris": ["https://techno-labs.co.in/cb"], "grantTypes": ["authorization_code"],
        "clientAuthMethods": ["private_key_jwt"]
    })
}

async fn oidc_events(app: &TestApp, topic: &str) -> Vec<Value> {
    // Every OIDC run (and its event) has finished when the API answered; effects of other
    // changes may still be running, so wait for all runs.
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM workflow_run WHERE status IN ('running')")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for id in ids {
        app.wait_run(id, WAIT).await;
    }
    app.sandbox
        .sandbox
        .websub_publishes()
        .into_iter()
        .filter(|p| p.topic == topic)
        .map(|p| p.body["event"]["data"].clone())
        .collect()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn oidc_clients_are_created_reconciled_and_updated_in_esignet(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (partner, policy_id, mapping) = auth_partner_with_request(&app).await;
    let me = app.token(&partner, &["AUTH_PARTNER"]);
    let other = app.token("someone-else", &["AUTH_PARTNER"]);
    let admin = app.admin();
    let jwk = rsa_jwk();
    let post = reqwest::Method::POST;

    // PMS's checks, before anything is written.
    let mut no_uris = create_request(&partner, &policy_id, &jwk);
    no_uris.as_object_mut().unwrap().remove("redirectUris");
    let v = call(&app, post.clone(), BASE, &me, Some(no_uris)).await;
    assert_eq!(code(&v), Some("PMS_COR_001"), "{v}");
    let v = call(
        &app,
        post.clone(),
        BASE,
        &me,
        Some(create_request(
            &partner,
            &policy_id,
            &json!({"kty": "RSA", "e": "AQAB"}),
        )),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_COR_002"), "{v}");
    let v = call(
        &app,
        post.clone(),
        BASE,
        &other,
        Some(create_request(&partner, &policy_id, &jwk)),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_PRT_055"), "{v}");
    let v = call(
        &app,
        post.clone(),
        BASE,
        &admin,
        Some(create_request("nobody", &policy_id, &jwk)),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_PRT_058"), "{v}");
    let v = call(
        &app,
        post.clone(),
        BASE,
        &me,
        Some(create_request(&partner, "no-such-policy", &jwk)),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_PRT_073"), "{v}");
    let v = call(
        &app,
        post.clone(),
        BASE,
        &me,
        Some(create_request(&partner, &policy_id, &jwk)),
    )
    .await;
    assert_eq!(
        code(&v),
        Some("PMS_IDP_002"),
        "mapping not approved yet: {v}"
    );
    let resp = app
        .http
        .put(format!(
            "{}/v1/partnermanager/partners/policy/{mapping}",
            app.api
        ))
        .bearer_auth(&admin)
        .json(&json!({"request": {"status": "Approved"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM oidc_client")
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        0
    );

    // eSignet down: the run fails after its attempts, eSignet holds no client, and the
    // reservation is kept (PENDING) until a new request takes it over.
    let mut rules = HashMap::new();
    rules.insert("esignet.create".to_owned(), FaultRule::always_unavailable());
    app.sandbox.sandbox.set_faults(FaultConfig { rules });
    let v = call(
        &app,
        post.clone(),
        BASE,
        &me,
        Some(create_request(&partner, &policy_id, &jwk)),
    )
    .await;
    assert!(code(&v).is_some(), "eSignet is down: {v}");
    assert!(app.sandbox.sandbox.esignet_clients().is_empty());
    let status: String = sqlx::query_scalar("SELECT status FROM oidc_client")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "PENDING");
    app.sandbox.sandbox.set_faults(FaultConfig::default());

    // Back up: the same request creates the client.
    let v = call(
        &app,
        post.clone(),
        BASE,
        &me,
        Some(create_request(&partner, &policy_id, &jwk)),
    )
    .await;
    assert_eq!(v["errors"], json!([]), "{v}");
    assert_eq!(v["response"]["status"], "ACTIVE");
    let client_id = v["response"]["clientId"].as_str().unwrap().to_owned();
    assert_eq!(client_id.len(), 43, "base64url of a SHA-256, no padding");
    let in_esignet = app.sandbox.sandbox.esignet_clients();
    assert_eq!(in_esignet.len(), 1);
    let c = &in_esignet[0];
    assert_eq!(c.client_id, client_id);
    assert_eq!(c.relying_party_id, partner);
    // Claims from the policy's KYC attributes through identity-mapping.json, ACRs from its
    // auth types through amr-acr-mapping.json.
    let mut claims = c.user_claims.clone();
    claims.sort();
    assert_eq!(
        claims,
        [
            "address",
            "birthdate",
            "email",
            "gender",
            "name",
            "phone_number",
            "picture"
        ]
    );
    assert!(!c.auth_context_refs.is_empty());
    let got = call(
        &app,
        reqwest::Method::GET,
        &format!("{BASE}/{client_id}"),
        &me,
        None,
    )
    .await;
    assert_eq!(got["response"]["status"], "ACTIVE", "{got}");
    assert_eq!(got["response"]["policyName"], "rp-kyc");
    assert_eq!(got["response"]["claims"], json!(c.user_claims));
    assert_eq!(got["response"]["acrValues"], json!(c.auth_context_refs));
    let v = call(
        &app,
        reqwest::Method::GET,
        &format!("{BASE}/{client_id}"),
        &other,
        None,
    )
    .await;
    assert_eq!(code(&v), Some("PMS_PRT_055"));

    // The same key again: PMS_IDP_001, nothing sent to eSignet.
    let v = call(
        &app,
        post.clone(),
        BASE,
        &me,
        Some(create_request(&partner, &policy_id, &jwk)),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_IDP_001"), "{v}");
    assert_eq!(app.sandbox.sandbox.esignet_clients().len(), 1);

    let created = oidc_events(&app, "OIDC_CLIENT_CREATED").await;
    assert_eq!(created.len(), 1, "one event for the one client");
    assert_eq!(created[0]["clientData"]["clientId"], client_id.as_str());
    assert_eq!(created[0]["partnerData"]["partnerId"], partner.as_str());
    assert_eq!(created[0]["policyData"]["policyId"], policy_id.as_str());

    // Update: eSignet first, then the record, then OIDC_CLIENT_UPDATED.
    let update = json!({
        "logoUri": "https://techno-labs.co.in/logo2.png", "redirectUris": ["https://techno-labs.co.in/cb2"],
        "status": "inactive", "grantTypes": ["authorization_code"], "clientName": "Techno login 2",
        "clientAuthMethods": ["private_key_jwt"]
    });
    let v = call(
        &app,
        reqwest::Method::PUT,
        &format!("{BASE}/{client_id}"),
        &me,
        Some(update.clone()),
    )
    .await;
    assert_eq!(v["errors"], json!([]), "{v}");
    assert_eq!(v["response"]["status"], "INACTIVE");
    let c = &app.sandbox.sandbox.esignet_clients()[0];
    assert_eq!(
        (c.client_name.as_str(), c.status.as_str()),
        ("Techno login 2", "INACTIVE")
    );
    let got = call(
        &app,
        reqwest::Method::GET,
        &format!("{BASE}/{client_id}"),
        &me,
        None,
    )
    .await;
    assert_eq!(got["response"]["name"], "Techno login 2");
    assert_eq!(
        got["response"]["redirectUris"],
        json!(["https://techno-labs.co.in/cb2"])
    );
    let updated = oidc_events(&app, "OIDC_CLIENT_UPDATED").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["clientData"]["clientStatus"], "INACTIVE");

    // eSignet's HTTP-200 error on update is an error (PMS 1.2.0.1 took it for a success):
    // a redirect URI eSignet refuses leaves the record as it was.
    let mut bad = update.clone();
    bad["redirectUris"] = json!(["not a uri"]);
    bad["clientName"] = json!("Techno login 3");
    let v = call(
        &app,
        reqwest::Method::PUT,
        &format!("{BASE}/{client_id}"),
        &me,
        Some(bad),
    )
    .await;
    assert_eq!(code(&v), Some("invalid_redirect_uri"), "{v}");
    let got = call(
        &app,
        reqwest::Method::GET,
        &format!("{BASE}/{client_id}"),
        &me,
        None,
    )
    .await;
    assert_eq!(got["response"]["name"], "Techno login 2");
    let v = call(
        &app,
        reqwest::Method::PUT,
        &format!("{BASE}/unknown"),
        &me,
        Some(update),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_IDP_004"));

    // An eSignet client left by a crash between eSignet's create and the record (or created
    // by PMS): the run takes eSignet's duplicate_client_id as done and reconciles with a PUT.
    let jwk2 = rsa_jwk();
    let orphan_id = pmsflow_core::oidc::client_id(
        &pmsflow_core::oidc::Jwk::from_json(&jwk2.to_string()).unwrap(),
    )
    .unwrap();
    let pre = app
        .http
        .post(format!("{}/v1/esignet/client-mgmt/oidc-client", app.sandbox.base_url))
        .bearer_auth(app.sandbox.sandbox.mint_token("sandbox").unwrap())
        .json(&json!({"requestTime": pmsflow_core::envelope::mosip_datetime(time::OffsetDateTime::now_utc()),
            "request": {"clientId": orphan_id, "clientName": "left over", "publicKey": jwk2,
            "relyingPartyId": partner, "userClaims": ["name"], "authContextRefs": ["mosip:idp:acr:generated-code"],
            "logoUri": "https://techno-labs.co.in/old.png", "redirectUris": ["https://techno-labs.co.in/old"],
            "grantTypes": ["authorization_code"], "clientAuthMethods": ["private_key_jwt"]}}))
        .send()
        .await
        .unwrap();
    let pre: Value = pre.json().await.unwrap();
    assert_eq!(pre["response"]["clientId"], orphan_id.as_str(), "{pre}");
    let v = call(
        &app,
        post.clone(),
        BASE,
        &me,
        Some(create_request(&partner, &policy_id, &jwk2)),
    )
    .await;
    assert_eq!(v["errors"], json!([]), "{v}");
    assert_eq!(v["response"]["clientId"], orphan_id.as_str());
    let reconciled = app
        .sandbox
        .sandbox
        .esignet_clients()
        .into_iter()
        .find(|c| c.client_id == orphan_id)
        .unwrap();
    assert_eq!(reconciled.client_name, "Techno login");
    assert_eq!(reconciled.redirect_uris, ["https://techno-labs.co.in/cb"]);
    let run_id: uuid::Uuid = sqlx::query_scalar("SELECT run_id FROM oidc_client WHERE id = $1")
        .bind(&orphan_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let run = app.wait_run(run_id, WAIT).await;
    let create_step = run
        .steps
        .iter()
        .find(|s| s.key == "esignet.create_client")
        .unwrap();
    assert_eq!(create_step.output.as_ref().unwrap()["reconciled"], true);
}

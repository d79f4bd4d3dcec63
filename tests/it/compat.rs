//! Where PMS 1.2.0.1 answers differently from what a reading of its API suggests, pmsflow
//! answers as 1.2.0.1 does (each case checked against its source; `docs/compatibility.md`):
//! certificate codes by input shape, the approval status on partner updates, required contact
//! fields, the filter-values column checks, numbers with a fraction in pagination, and the
//! configuration-key endpoint.

use pmsflow_tests::{fixture, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{call, code, message};

fn codes(v: &Value) -> Vec<&str> {
    v["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["errorCode"].as_str()).collect())
        .unwrap_or_default()
}

/// Register credential partner `id` (self-registration with `token`).
async fn register(app: &TestApp, token: &str, id: &str) {
    let v = call(
        app,
        Method::POST,
        "/v1/partnermanager/partners",
        token,
        Some(json!({
        "partnerId": id, "organizationName": id, "partnerType": "Credential_Partner",
        "policyGroup": "mpolicygroup-default-digitalcard", "address": "Bangalore",
        "contactNumber": "9876543210", "emailId": format!("{id}@example.org")})),
    )
    .await;
    assert_eq!(v["response"]["partnerId"], id, "{v}");
}

/// A fixture PEM's body without its `-----BEGIN` / `-----END` lines.
fn unarmoured(rel: &str) -> String {
    fixture(rel)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn certificate_codes_follow_the_shape_of_the_input(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.admin();
    let ca = |data: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            call(
                app,
                Method::POST,
                "/v1/partnermanager/partners/certificate/ca/upload",
                &admin,
                Some(json!({"certificateData": data, "partnerDomain": "AUTH"})),
            )
            .await
        }
    };
    // Not PEM, with spaces; and a PEM body without its armour: keymanager's URL-safe decoder
    // refuses both.
    let bare = unarmoured("apitest-credential/root-ca.apitest.pem");
    for data in ["invalid cert".to_owned(), bare] {
        let v = ca(data).await;
        assert_eq!(code(&v), Some("KER-CRY-003"), "{v}");
        assert_eq!(
            message(&v),
            "data sent to decrypt is without key splitter or invalid"
        );
    }
    // URL-safe characters that decode to no certificate.
    let v = ca("bm90IGEgY2VydGlmaWNhdGU".to_owned()).await;
    assert_eq!(code(&v), Some("KER-PCM-001"), "{v}");

    // A partner certificate without its armour is a parsing error.
    let partner = app.token("movp", &["CREDENTIAL_PARTNER"]);
    register(&app, &partner, "movp").await;
    let bare_leaf = unarmoured("apitest-credential/partner.movp.pem");
    let v = call(
        &app,
        Method::POST,
        "/v1/partnermanager/partners/certificate/upload",
        &partner,
        Some(json!({"partnerId": "movp", "certificateData": bare_leaf, "partnerDomain": "AUTH"})),
    )
    .await;
    assert_eq!(
        (code(&v), message(&v)),
        (Some("KER-KMS-013"), "Certificate Parsing Error."),
        "{v}"
    );
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn partner_updates_and_contacts_answer_as_1_2_0_1(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let partner = app.token("movp", &["CREDENTIAL_PARTNER"]);
    register(&app, &partner, "movp").await;
    // The approval status, not whether the partner is active.
    for path in [
        "/v1/partnermanager/partners/movp",
        "/v1/partnermanager/partners/v2/movp",
    ] {
        let v = call(
            &app,
            Method::PUT,
            path,
            &partner,
            Some(json!({"address": "Mysuru", "contactNumber": "9876543211"})),
        )
        .await;
        assert_eq!(
            v["response"],
            json!({"partnerId": "movp", "status": "InProgress"}),
            "{path}: {v}"
        );
    }
    let add = |contact: Value| {
        let (app, partner) = (&app, partner.clone());
        async move {
            let path = "/v1/partnermanager/partners/movp/contact/add";
            call(app, Method::POST, path, &partner, Some(contact)).await
        }
    };
    let contact = json!({"address": "Mysuru", "contactNumber": "98765", "emailId": "c@example.org", "is_Active": true});
    // A contact needs its address and phone number, each named as bean validation names it.
    for (missing, field) in [
        ("address", "request.address"),
        ("contactNumber", "request.contactNumber"),
    ] {
        let mut partial = contact.clone();
        partial.as_object_mut().unwrap().remove(missing);
        let v = add(partial).await;
        assert_eq!(code(&v), Some("PMS_COR_001"), "{v}");
        assert_eq!(
            message(&v),
            format!("Invalid request parameter - value is empty or null :{field}")
        );
    }
    // The partner becomes active with its certificate; then contacts are added, then updated.
    sqlx::query("UPDATE partner SET is_active = true WHERE id = 'movp'")
        .execute(&app.pool)
        .await
        .unwrap();
    let added = add(contact.clone()).await;
    assert_eq!(
        added["response"], "Contacts details added successfully.",
        "{added}"
    );
    let updated = add(contact).await;
    assert_eq!(
        updated["response"], "Contacts details updated successfully.",
        "{updated}"
    );
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn filter_values_check_columns_and_types_as_1_2_0_1(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let admin = app.admin();
    let filter = |path: &'static str, request: Value| {
        let (app, admin) = (&app, admin.clone());
        async move { call(app, Method::POST, path, &admin, Some(request)).await }
    };
    // Every column's errors at once: an empty type, an unknown column with an unknown type.
    let v = filter(
        "/v1/partnermanager/partners/filtervalues",
        json!({"filters": [
        {"columnName": "name", "type": ""}, {"columnName": "nope", "type": "few"}]}),
    )
    .await;
    assert_eq!(
        codes(&v),
        ["PMS-MSD-322", "PMS-MSD-317", "PMS-MSD-324"],
        "{v}"
    );
    assert_eq!(
        v["errors"][1]["message"],
        "Column nope doesn't exist for the searched entity"
    );
    // An empty column is bean validation's.
    let v = filter(
        "/v1/partnermanager/partners/apikey/request/filtervalues",
        json!({"filters": [{"columnName": "", "type": "unique"}]}),
    )
    .await;
    assert_eq!(
        (code(&v), message(&v)),
        (
            Some("PMS_COR_001"),
            "Invalid request parameter - must not be blank :request.filters[0].columnName"
        )
    );
    // Column names and types in any case.
    let v = filter(
        "/v1/partnermanager/partners/filtervalues",
        json!({"filters": [{"columnName": "ISACTIVE", "type": "Unique"}]}),
    )
    .await;
    assert_eq!(v["errors"], json!([]), "{v}");
    // The policy service answers the column checks with PMS_COR_003.
    for path in [
        "/v1/policymanager/policies/group/filtervalues",
        "/v1/policymanager/policies/filtervalues",
    ] {
        let v = filter(
            path,
            json!({"policyType": "all", "filters": [{"columnName": "nope", "type": "unique"}]}),
        )
        .await;
        assert_eq!(code(&v), Some("PMS_COR_003"), "{path}: {v}");
    }
    // MISP licences sort by the entity's `createdDateTime`, as 1.2.0.1's search does.
    let v = filter(
        "/v1/partnermanager/misps/search",
        json!({"filters": [],
        "sort": [{"sortField": "createdDateTime", "sortType": "desc"}]}),
    )
    .await;
    assert_eq!(v["errors"], json!([]), "{v}");
    // Pagination as MOSIP's test rig sends it: numbers with a fraction.
    let v = filter(
        "/v1/policymanager/policies/group/search",
        json!({"filters": [], "sort": [],
        "pagination": {"pageStart": 0.0, "pageFetch": 10.0}}),
    )
    .await;
    assert_eq!(v["errors"], json!([]), "{v}");
    assert_eq!(v["response"]["fromRecord"], 1, "{v}");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn configuration_keys_answer_known_values_and_never_secrets(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let admin = app.admin();
    let get = |key: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            call(
                app,
                Method::GET,
                &format!("/v1/policymanager/policies/config/{key}"),
                &admin,
                None,
            )
            .await
        }
    };
    let v = get("pmp.allowed.policy.types").await;
    assert_eq!(
        v["response"],
        json!({"key": "pmp.allowed.policy.types", "value": "Auth,DataShare,CredentialIssuance,MISP"})
    );
    let v = get("mosip.pmp.partner.policy.expiry.period.indays").await;
    assert!(
        v["response"]["value"].is_string(),
        "digits are answered as a string: {v}"
    );
    for key in [
        "abcd",
        "mosip.pmp.database.password",
        "mosip.pmp.auth.secretKey",
    ] {
        let v = get(key).await;
        assert_eq!(v["response"], json!({"key": key, "value": null}), "{key}");
        assert_eq!(v["errors"], json!([]));
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn an_unknown_partner_is_named_before_the_own_partner_rule(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let partner = app.token("movp", &["CREDENTIAL_PARTNER"]);
    // 1.2.0.1 says the partner does not exist, whoever asks.
    let v = call(
        &app,
        Method::GET,
        "/v1/partnermanager/partners/nobody/certificate",
        &partner,
        None,
    )
    .await;
    assert_eq!(code(&v), Some("PMS_PRT_005"), "{v}");
    // An existing partner's certificate stays its own (1.2.0.1 would answer it to anyone).
    register(&app, &app.token("other", &["CREDENTIAL_PARTNER"]), "other").await;
    let v = call(
        &app,
        Method::GET,
        "/v1/partnermanager/partners/other/certificate",
        &partner,
        None,
    )
    .await;
    assert_eq!(code(&v), Some("PMS_PRT_055"), "{v}");
}

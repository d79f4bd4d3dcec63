//! Every PMS-compatible endpoint with a role list (81) checks its token, its roles and the
//! own-data rule: no token → 401 KER-ATH-401, a token without the endpoint's roles → 403
//! KER-ATH-403, another partner's token on a partner's data → PMS_PRT_055, the right role →
//! an answer of the endpoint itself.

use crate::helpers::code;
use pmsflow_api::access::roles::DEFAULTS;
use pmsflow_tests::TestApp;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// (method, path, role key, own-data rule applies). `P` is the partner, `X` a policy id, `G` a
/// group id.
const ENDPOINTS: &[(&str, &str, &str, bool)] = &[
    ("PUT", "/v1/partnermanager/partners/P", "putpartners", true),
    (
        "PUT",
        "/v1/partnermanager/partners/v2/P",
        "putpartnersnew",
        true,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/P",
        "getpartnerspartnerid",
        true,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/P/contact/add",
        "postpartnerscontactadd",
        true,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/P/apikey/request",
        "getpartnersapikeyrequest",
        true,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/certificate/ca/upload",
        "postpartnerscacertificateupload",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/certificate/upload",
        "postpartnerscertificateupload",
        false,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/P/certificate",
        "getpartnerscertificate",
        true,
    ),
    (
        "PUT",
        "/v1/partnermanager/partners/P/policygroup/mpolicygroup-default-auth",
        "putpartnerspolicygroup",
        true,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/P/policy/map",
        "postpartnerspolicymap",
        true,
    ),
    (
        "PATCH",
        "/v1/partnermanager/partners/P/generate/apikey",
        "patchpartnersgenerateapikey",
        true,
    ),
    (
        "PUT",
        "/v1/partnermanager/partners/P/apikey/K/policies",
        "putpartnersapikeypolicies",
        false,
    ),
    (
        "PATCH",
        "/v1/partnermanager/partners/P",
        "patchpartners",
        false,
    ),
    ("GET", "/v1/partnermanager/partners", "getpartners", false),
    (
        "GET",
        "/v1/partnermanager/partners/v2",
        "getpartnersnew",
        false,
    ),
    (
        "PUT",
        "/v1/partnermanager/partners/policy/M",
        "putpartnerspolicymapping",
        false,
    ),
    (
        "PATCH",
        "/v1/partnermanager/partners/P/policy/X/apiKey/status",
        "patchpartnerspolicyapikeystatus",
        true,
    ),
    ("POST", "/v1/partnermanager/misps", "postmisplicense", false),
    ("PUT", "/v1/partnermanager/misps", "putmisplicense", false),
    ("GET", "/v1/partnermanager/misps", "getmisplicense", false),
    (
        "POST",
        "/v1/partnermanager/oidc/client",
        "postoidcclient",
        false,
    ),
    (
        "PUT",
        "/v1/partnermanager/oidc/client/C",
        "putoidcclient",
        false,
    ),
    (
        "GET",
        "/v1/partnermanager/oidc/client/C",
        "getoidcclient",
        false,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/P/originalPartnerCertificate",
        "getpartnerscertificate",
        true,
    ),
    (
        "GET",
        "/v1/partnermanager/misps/P/licenseKey",
        "getmisplicensekey",
        false,
    ),
    (
        "POST",
        "/v1/policymanager/policies/group/new",
        "postpoliciesgroupnew",
        false,
    ),
    (
        "PUT",
        "/v1/policymanager/policies/group/G",
        "putpoliciespolicygroupid",
        false,
    ),
    (
        "GET",
        "/v1/policymanager/policies/group/G",
        "getpoliciesgrouppolicygroupid",
        false,
    ),
    (
        "GET",
        "/v1/policymanager/policies/group/all",
        "getpoliciesgroupall",
        false,
    ),
    (
        "GET",
        "/v1/policymanager/policies/config/pmp.allowed.policy.types",
        "getpoliciesconfigkey",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/devicedetail",
        "postdevicedetail",
        false,
    ),
    (
        "PUT",
        "/v1/partnermanager/devicedetail",
        "putdevicedetail",
        false,
    ),
    (
        "PATCH",
        "/v1/partnermanager/devicedetail",
        "patchdevicedetail",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/devicedetail/search",
        "postdevicedetailsearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/devicedetail/deviceType/search",
        "postdevicedetaildevicetypesearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/devicedetail/filtervalues",
        "postdevicedetailfiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/devicedetail/deviceType/filtervalues",
        "postdevicedetaildevicetypefiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/devicedetail/deviceSubType/filtervalues",
        "postdevicedetaildevicesubtypefiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/securebiometricinterface",
        "postsecurebiometricinterface",
        false,
    ),
    (
        "PUT",
        "/v1/partnermanager/securebiometricinterface",
        "putsecurebiometricinterface",
        false,
    ),
    (
        "PATCH",
        "/v1/partnermanager/securebiometricinterface",
        "patchsecurebiometricinterface",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/securebiometricinterface/search",
        "postsecurebiometricinterfacesearch",
        false,
    ),
    (
        "PUT",
        "/v1/partnermanager/securebiometricinterface/devicedetails/map",
        "putsecurebiometricinterfacedevicedetailsmap",
        false,
    ),
    (
        "PUT",
        "/v1/partnermanager/securebiometricinterface/devicedetails/map/remove",
        "putsecurebiometricinterfacedevicedetailsmapremove",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/securebiometricinterface/devicedetails/map/search",
        "postsecurebiometricinterfacedevicedetailsmapsearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/securebiometricinterface/filtervalues",
        "postsecurebiometricinterfacefiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/ftpchipdetail",
        "postftpchipdetail",
        false,
    ),
    (
        "PUT",
        "/v1/partnermanager/ftpchipdetail",
        "putftpchipdetail",
        false,
    ),
    (
        "PATCH",
        "/v1/partnermanager/ftpchipdetail",
        "patchftpchipdetail",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/ftpchipdetail/uploadcertificate",
        "postftpchipdetailuploadcertificate",
        false,
    ),
    (
        "GET",
        "/v1/partnermanager/ftpchipdetail/getPartnerCertificate/some-chip",
        "getftpchipdetailgetpartnercertificate",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/ftpchipdetail/search",
        "postftpchipdetailsearch",
        false,
    ),
    ("POST", "/v1/policymanager/policies", "postpolicies", false),
    ("GET", "/v1/policymanager/policies", "getpolicies", false),
    (
        "PUT",
        "/v1/policymanager/policies/X",
        "putpoliciespolicyid",
        false,
    ),
    (
        "GET",
        "/v1/policymanager/policies/X",
        "getpoliciespolicyid",
        false,
    ),
    (
        "POST",
        "/v1/policymanager/policies/X/group/G/publish",
        "postpoliciespolicyidgrouppublish",
        false,
    ),
    (
        "PATCH",
        "/v1/policymanager/policies/X/group/G",
        "patchpoliciespolicyidgrouppolicygroupid",
        false,
    ),
    (
        "GET",
        "/v1/policymanager/policies/X/partner/P",
        "getpoliciespolicyidpartnerpartnerid",
        false,
    ),
    (
        "GET",
        "/v1/policymanager/policies/active/group/mpolicygroup-default-auth",
        "getpoliciesactivegroupgroupname",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/P/bioextractors/X",
        "postpartnersbioextractors",
        true,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/P/bioextractors/X",
        "getpartnersbioextractors",
        true,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/P/credentialtype/auth/policies/some-policy",
        "postpartnerscredentialtypepolicies",
        true,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/P/credentialtype/auth/policies",
        "getpartnerscredentialtypepolicies",
        true,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/apikey",
        "getpartnersapikey",
        false,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/apikey/R",
        "getpartnersapikey",
        false,
    ),
    (
        "GET",
        "/v1/partnermanager/partners/P/apikey/K",
        "getpartnersapikey",
        false,
    ),
    // The same lookup with the key in the X-API-Key header.
    (
        "GET",
        "/v1/partnermanager/partners/P/apikey",
        "getpartnersapikey",
        false,
    ),
    ("POST", "/v1/partnermanager/partners", "postpartners", false),
    // Searches never refuse a partner: they answer only its own rows (tests/search.rs).
    (
        "POST",
        "/v1/partnermanager/partners/search",
        "postpartnerssearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/partnertype/search",
        "postpartnerspartnertypesearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/filtervalues",
        "postpartnersfiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/apikey/request/search",
        "postpartnersapikeyrequestsearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/apikey/request/filtervalues",
        "postpartnersapikeyrequestfiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/partners/apikey/search",
        "postpartnersapikeysearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/misps/search",
        "postmispsearch",
        false,
    ),
    (
        "POST",
        "/v1/partnermanager/misps/filtervalues",
        "postmispfiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/policymanager/policies/group/search",
        "postpoliciesgroupsearch",
        false,
    ),
    (
        "POST",
        "/v1/policymanager/policies/group/filtervalues",
        "postpoliciesgroupfiltervalues",
        false,
    ),
    (
        "POST",
        "/v1/policymanager/policies/search",
        "postpoliciessearch",
        false,
    ),
    (
        "POST",
        "/v1/policymanager/policies/filtervalues",
        "postpoliciesfiltervalues",
        false,
    ),
];

fn roles_of(key: &str) -> &'static [&'static str] {
    DEFAULTS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| panic!("no role list for {key}"))
}

async fn send(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let path = path
        .replace("/P", "/movp")
        .replace("/X", "/some-policy")
        .replace("/G", "/mpolicygroup-default-auth")
        .replace("/K", "/some-key")
        .replace("/M", "/some-mapping")
        .replace("/R", "/some-request");
    let mut req = app.http.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", app.api),
    );
    if method != "GET" {
        req = req.json(&json!({"id": "t", "version": "1.0", "requesttime": "2026-11-22T10:00:00.000Z", "request": {
            "partnerId": "movp", "providerId": "movp", "address": "1 Main St", "contactNumber": "12345",
            "emailId": "movp@example.org", "policyName": "some-policy", "useCaseDescription": "eKYC",
            "label": "k1", "status": "Active", "name": "n", "desc": "d", "certificateData": "x",
            "partnerDomain": "AUTH"
        }}));
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn every_endpoint_checks_token_roles_and_own_data(pool: PgPool) {
    let app = TestApp::spawn_with(pool, pmsflow_tests::TestOptions::api_only()).await;
    assert_eq!(ENDPOINTS.len(), 81);
    // The partner exists: reads that check existence first (its certificate) then reach the
    // own-data rule.
    sqlx::query(
        "INSERT INTO partner (id, name, address, contact_no, email_id, user_id, partner_type_code,
                              approval_status, is_active, cr_by)
         VALUES ('movp', 'movp', 'Bangalore', '98765', 'movp@example.org', 'movp',
                 'Credential_Partner', 'InProgress', false, 'test')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for (method, path, key, own_data) in ENDPOINTS {
        let (status, body) = send(&app, method, path, None).await;
        assert_eq!(
            (status, code(&body)),
            (401, Some("KER-ATH-401")),
            "{method} {path} without token"
        );

        let wrong = app.token("movp", &["NOT_A_PMS_ROLE"]);
        let (status, body) = send(&app, method, path, Some(&wrong)).await;
        assert_eq!(
            (status, code(&body)),
            (403, Some("KER-ATH-403")),
            "{method} {path} with a wrong role"
        );

        let role = roles_of(key)
            .iter()
            .find(|r| **r != "PARTNER_ADMIN")
            .copied()
            .unwrap_or("PARTNER_ADMIN");
        if *own_data {
            let other = app.token("another-partner", &[role]);
            let (status, body) = send(&app, method, path, Some(&other)).await;
            assert_eq!(
                (status, code(&body)),
                (200, Some("PMS_PRT_055")),
                "{method} {path} for another partner ({role}): {body}"
            );
        }
        let right = app.token("movp", &[role]);
        let (status, body) = send(&app, method, path, Some(&right)).await;
        assert_eq!(status, 200, "{method} {path} with {role}: {body}");
        assert!(
            !matches!(
                code(&body),
                Some("KER-ATH-401" | "KER-ATH-403" | "PMS_PRT_055")
            ),
            "{method} {path} with {role}: {body}"
        );
    }
}

/// The two endpoints PMS gives no role list (the e-mail check of the registration form and
/// the portal's roles) still need a token, and answer any authenticated caller.
#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn unlisted_endpoints_need_a_token(pool: PgPool) {
    let app = TestApp::spawn_with(pool, pmsflow_tests::TestOptions::api_only()).await;
    for (method, path) in [
        ("PUT", "/v1/partnermanager/partners/email/verify"),
        ("GET", "/v1/partnermanager/roles"),
    ] {
        let (status, body) = send(&app, method, path, None).await;
        assert_eq!((status, code(&body)), (401, Some("KER-ATH-401")), "{path}");
        let anyone = app.token("someone", &["NOT_A_PMS_ROLE"]);
        let (status, body) = send(&app, method, path, Some(&anyone)).await;
        assert_eq!((status, code(&body)), (200, None), "{path}: {body}");
    }
    let (_, body) = send(&app, "GET", "/v1/partnermanager/roles", Some(&app.admin())).await;
    assert_eq!(body["response"]["roles"][0], "AUTH_PARTNER", "{body}");
}

//! MOSIP's partner portal (pmp-ui 1.2.0.x) against pmsflow, call by call as the portal makes
//! them: a browser session held in the `Authorization` cookie (no bearer token), every
//! request with `Sec-Fetch-Site: same-origin` as a browser sends it from the portal's page,
//! PMS envelopes as the portal builds them. The flows: the admin creating a policy group and
//! an auth policy, a partner's first sign-in registering it from its token's profile claims,
//! uploading its certificate and asking for a policy, the admin approving it after finding it
//! by the column `id`, the partner generating its API key; then sign-out. Also: no open
//! redirect, and the built portal under `/pmp/`.

use base64::Engine as _;
use pmsflow_tests::{fresh_chain, TestApp, TestOptions};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{auth_policy, code};

fn btoa(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A browser on the portal's page: no redirects followed, the session cookie kept by hand.
struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookie: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.app.api))
            .header("sec-fetch-site", "same-origin");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, format!("Authorization={c}"));
        }
        req
    }

    /// The portal's return URL for `fragment` (`http://<api>/pmp/#/pmp/home`), as `btoa`.
    fn here(&self, fragment: &str) -> (String, String) {
        let url = format!("{}/pmp/#{fragment}", self.app.api);
        (btoa(&url), url)
    }

    /// Sign in through the dev form as the portal sends the browser there; the cookie is
    /// kept. Asserts the redirect back to the portal.
    async fn sign_in(&mut self, user: &str, roles: &str, profile: &[(&str, &str)]) {
        let (b64, url) = self.here("/pmp/home");
        let state = Uuid::new_v4();
        let login = format!("/v1/partnermanager/login/{b64}?state={state}");
        let page = self.request(Method::GET, &login).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("<form method=\"post\""));
        let mut form: Vec<(&str, &str)> =
            vec![("username", user), ("roles", roles), ("secret", "")];
        form.extend_from_slice(profile);
        let signed = self
            .request(Method::POST, &login)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), StatusCode::SEE_OTHER);
        assert_eq!(signed.headers()[header::LOCATION], url.as_str());
        let set = signed.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(set.contains("HttpOnly") && set.contains("Path=/"), "{set}");
        let token = set
            .strip_prefix("Authorization=")
            .and_then(|rest| rest.split(';').next())
            .unwrap();
        self.cookie = Some(token.to_owned());
    }

    /// `GET validateToken`: status and body.
    async fn validate(&self) -> (StatusCode, Value) {
        let r = self
            .request(
                Method::GET,
                "/v1/partnermanager/authorize/admin/validateToken",
            )
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    /// A PMS call with the portal's envelope; HTTP 200 asserted; `errors` must be a list.
    async fn pms(&self, method: Method, path: &str, request: Option<Value>) -> Value {
        let mut req = self.request(method, path);
        if let Some(r) = request {
            req = req.json(&json!({"id": "", "metadata": null, "version": "1.0",
                "requesttime": "2026-12-07T10:00:00.000Z", "request": r}));
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let v: Value = resp.json().await.unwrap();
        assert!(v["errors"].is_array(), "{path}: errors is not a list: {v}");
        v
    }
}

/// The portal's reading of `role`: split on `,`, the last piece dropped.
fn portal_roles(role: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = role.split(',').collect();
    parts.pop();
    parts
}

/// The claims of a JWT's payload, decoded as the portal's `jwt_decode` does (no check).
fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn the_portal_signs_in_and_runs_the_admin_and_partner_flows(pool: PgPool) {
    let app = TestApp::spawn(pool).await;

    // Before sign-in: the portal's guard calls validateToken and goes to login on 401.
    let mut admin = Browser::new(&app);
    let (status, body) = admin.validate().await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, Some("KER-ATH-006"))
    );
    let other_cookie = admin
        .request(
            Method::GET,
            "/v1/partnermanager/authorize/admin/validateToken",
        )
        .header(header::COOKIE, "lang=eng")
        .send()
        .await
        .unwrap();
    assert_eq!(other_cookie.status(), StatusCode::UNAUTHORIZED);
    let body: Value = other_cookie.json().await.unwrap();
    assert_eq!(code(&body), Some("KER-ATH-007"));

    // The admin: policy manager and partner admin.
    admin
        .sign_in(
            "portal-admin",
            "PARTNER_ADMIN,POLICYMANAGER",
            &[("email", "admin@example.org"), ("locale", "eng")],
        )
        .await;
    let (status, who) = admin.validate().await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["errors"], json!([]));
    assert_eq!(who["response"]["userId"], "portal-admin");
    assert_eq!(who["response"]["mail"], "admin@example.org");
    let role = who["response"]["role"].as_str().unwrap();
    assert_eq!(
        portal_roles(role),
        ["PARTNER_ADMIN", "POLICYMANAGER"],
        "{role}"
    );
    let claims = jwt_claims(who["response"]["token"].as_str().unwrap());
    assert_eq!(claims["email"], "admin@example.org");
    assert_eq!(claims["locale"], "eng");

    // The parent page's roles call, then a policy group and a published auth policy.
    let roles = admin
        .pms(Method::GET, "/v1/partnermanager/roles", None)
        .await;
    assert_eq!(roles["errors"], json!([]), "{roles}");
    let group = admin
        .pms(
            Method::POST,
            "/v1/policymanager/policies/group/new",
            Some(json!({"name": "portal-group", "desc": "made in the portal"})),
        )
        .await;
    let group_id = group["response"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{group}"))
        .to_owned();
    let policy = admin
        .pms(
            Method::POST,
            "/v1/policymanager/policies",
            Some(json!({
            "name": "portal-auth-policy", "desc": "portal", "policyGroupName": "portal-group",
            "policyType": "Auth", "version": "1.1", "policies": auth_policy()})),
        )
        .await;
    let policy_id = policy["response"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{policy}"))
        .to_owned();
    // Activating a draft answers the exact message the portal reacts to, then it publishes.
    let activate = admin
        .pms(
            Method::PATCH,
            &format!("/v1/policymanager/policies/{policy_id}/group/{group_id}"),
            Some(json!({"status": "Active"})),
        )
        .await;
    assert_eq!(
        activate["errors"][0]["message"], "Cannot activate unpublished policy.",
        "{activate}"
    );
    let published = admin
        .pms(
            Method::POST,
            &format!("/v1/policymanager/policies/{policy_id}/group/{group_id}/publish"),
            Some(json!({})),
        )
        .await;
    assert_eq!(published["response"]["status"], "PUBLISHED", "{published}");

    // A partner's first sign-in: the profile claims register it.
    let mut partner = Browser::new(&app);
    partner
        .sign_in(
            "portal-partner",
            "AUTH_PARTNER",
            &[
                ("email", "portal-partner@example.org"),
                ("organizationName", "portal-partner"),
                ("addressTest", "Bengaluru"),
                ("phoneNumber", "9876543210"),
                ("partnerType", "AUTH_PARTNER"),
                ("langCode", "eng"),
                ("locale", "eng"),
            ],
        )
        .await;
    let (status, who) = partner.validate().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        portal_roles(who["response"]["role"].as_str().unwrap()),
        ["AUTH_PARTNER"]
    );
    let claims = jwt_claims(who["response"]["token"].as_str().unwrap());
    for (claim, value) in [
        ("organizationName", "portal-partner"),
        ("addressTest", "Bengaluru"),
        ("phoneNumber", "9876543210"),
        ("partnerType", "AUTH_PARTNER"),
        ("langCode", "eng"),
    ] {
        assert_eq!(claims[claim], value, "{claim}");
    }
    let verify = partner
        .pms(
            Method::PUT,
            "/v1/partnermanager/partners/email/verify",
            Some(json!({"emailId": "portal-partner@example.org"})),
        )
        .await;
    assert_eq!(verify["response"]["emailExists"], false, "{verify}");
    let required = verify["response"]["policyRequiredPartnerTypes"]
        .as_array()
        .unwrap();
    assert!(required.iter().any(|t| t == "AUTH_PARTNER"), "{verify}");
    // The policy-group dialog posts with a double slash, as the portal builds the URL.
    let groups = partner
        .pms(Method::POST, "/v1/policymanager/policies/group//filtervalues", Some(json!({
            "filters": [{"columnName": "name", "type": "unique", "text": ""}], "languageCode": "eng",
            "optionalFilters": [{"columnName": "isActive", "type": "equals", "value": "true"}]})))
        .await;
    let names: Vec<&str> = groups["response"]["filters"]
        .as_array()
        .unwrap_or_else(|| panic!("{groups}"))
        .iter()
        .filter_map(|f| f["fieldValue"].as_str())
        .collect();
    assert!(names.contains(&"portal-group"), "{groups}");
    let registered = partner
        .pms(
            Method::POST,
            "/v1/partnermanager/partners",
            Some(json!({
            "partnerId": "portal-partner", "organizationName": claims["organizationName"],
            "address": claims["addressTest"], "contactNumber": claims["phoneNumber"],
            "emailId": claims["email"], "partnerType": claims["partnerType"],
            "policyGroup": "portal-group", "langCode": claims["langCode"]})),
        )
        .await;
    assert_eq!(
        registered["response"]["partnerId"], "portal-partner",
        "{registered}"
    );
    let home = partner
        .pms(
            Method::GET,
            "/v1/partnermanager/partners/portal-partner",
            None,
        )
        .await;
    assert_eq!(home["response"]["policyGroup"], "portal-group", "{home}");

    // Its certificate: the admin uploads the CA, the partner its certificate, then views it.
    let (root, leaf) = fresh_chain("portal-partner");
    let ca = admin
        .pms(
            Method::POST,
            "/v1/partnermanager/partners/certificate/ca/upload",
            Some(json!({"partnerDomain": "AUTH", "certificateData": root})),
        )
        .await;
    assert_eq!(ca["response"]["status"], "Upload Success.", "{ca}");
    let up = partner
        .pms(
            Method::POST,
            "/v1/partnermanager/partners/certificate/upload",
            Some(json!({
            "partnerId": "portal-partner", "partnerDomain": "AUTH", "certificateData": leaf})),
        )
        .await;
    assert_eq!(up["errors"], json!([]), "{up}");
    let view = partner
        .pms(
            Method::GET,
            "/v1/partnermanager/partners/portal-partner/certificate",
            None,
        )
        .await;
    assert!(
        view["response"]["certificateData"]
            .as_str()
            .is_some_and(|c| c.contains("BEGIN CERTIFICATE")),
        "{view}"
    );

    // Map the policy; the admin finds the request by `id` (the entity's column) and approves.
    let map = partner
        .pms(Method::POST, "/v1/partnermanager/partners/portal-partner/policy/map", Some(json!({
            "partnerId": "portal-partner", "policyId": policy_id, "policyName": "portal-auth-policy",
            "requestDetail": "portal test", "useCaseDescription": "portal test"})))
        .await;
    let mapping = map["response"]["mappingkey"]
        .as_str()
        .unwrap_or_else(|| panic!("{map}"))
        .to_owned();
    let found = admin
        .pms(
            Method::POST,
            "/v1/partnermanager/partners/apikey/request/search",
            Some(json!({
            "filters": [{"columnName": "id", "type": "equals", "value": mapping}],
            "sort": [{"sortField": "id", "sortType": "desc"}],
            "pagination": {"pageStart": 0, "pageFetch": 10}, "languageCode": "eng"})),
        )
        .await;
    let rows = found["response"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"));
    assert_eq!(rows.len(), 1, "{found}");
    assert_eq!(rows[0]["apikeyRequestId"], mapping.as_str());
    assert_eq!(rows[0]["statusCode"], "InProgress", "{found}");
    let approved = admin
        .pms(
            Method::PUT,
            &format!("/v1/partnermanager/partners/policy/{mapping}"),
            Some(json!({"status": "Approved"})),
        )
        .await;
    assert_eq!(approved["errors"], json!([]), "{approved}");

    // The partner generates its API key and sees it listed.
    let key = partner
        .pms(
            Method::PATCH,
            "/v1/partnermanager/partners/portal-partner/generate/apikey",
            Some(json!({"policyName": "portal-auth-policy", "label": "portal-key"})),
        )
        .await;
    assert!(
        key["response"]["apiKey"]
            .as_str()
            .is_some_and(|k| !k.is_empty()),
        "{key}"
    );
    let keys = partner
        .pms(
            Method::POST,
            "/v1/partnermanager/partners/apikey/search",
            Some(json!({
            "filters": [{"columnName": "partnerId", "type": "equals", "value": "portal-partner"}],
            "sort": [], "pagination": {"pageStart": 0, "pageFetch": 10}, "languageCode": "eng"})),
        )
        .await;
    assert_eq!(keys["response"]["data"][0]["label"], "portal-key", "{keys}");

    // Sign-out: back to the portal, the cookie cleared, the token refused from now on.
    let (b64, url) = partner.here("/pmp/home");
    let out = partner
        .request(
            Method::GET,
            &format!("/v1/partnermanager/logout/user?redirecturi={b64}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[header::LOCATION], url.as_str());
    let cleared = out.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("Authorization=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, body) = partner.validate().await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, Some("KER-ATH-401"))
    );
    // The admin's session is another one and stays.
    assert_eq!(admin.validate().await.0, StatusCode::OK);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn sign_in_and_sign_out_refuse_other_origins_and_bad_states(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let browser = Browser::new(&app);
    let state = Uuid::new_v4();
    let form = [
        ("username", "mallory-victim"),
        ("roles", "PARTNER_ADMIN"),
        ("secret", ""),
    ];
    for evil in [
        "https://evil.example/pmp/".to_owned(),
        "//evil.example/pmp/".to_owned(),
        format!("{}.evil.example/pmp/", app.api),
        format!("{}@evil.example/", app.api),
        "javascript:alert(document.cookie)".to_owned(),
    ] {
        let login = format!("/v1/partnermanager/login/{}?state={state}", btoa(&evil));
        let page = browser.pms(Method::GET, &login, None).await;
        assert_eq!(code(&page), Some("KER-ACP-009"), "{evil}: {page}");
        let post = browser
            .request(Method::POST, &login)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), StatusCode::OK, "{evil}");
        assert!(
            post.headers().get(header::SET_COOKIE).is_none(),
            "{evil}: a session was set"
        );
        let out = browser
            .request(
                Method::GET,
                &format!("/v1/partnermanager/logout/user?redirecturi={}", btoa(&evil)),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::OK, "{evil}");
        assert!(out.headers().get(header::LOCATION).is_none(), "{evil}");
        let v: Value = out.json().await.unwrap();
        assert_eq!(code(&v), Some("KER-ACP-009"), "{evil}");
    }
    let (home, _) = browser.here("/pmp/home");
    let no_state = browser
        .pms(
            Method::GET,
            &format!("/v1/partnermanager/login/{home}"),
            None,
        )
        .await;
    assert_eq!(code(&no_state), Some("KER-ACP-010"));
    let bad_state = browser
        .pms(
            Method::GET,
            &format!("/v1/partnermanager/login/{home}?state=not-a-uuid"),
            None,
        )
        .await;
    assert_eq!(code(&bad_state), Some("KER-ACP-011"));
    let no_return = browser
        .pms(Method::GET, "/v1/partnermanager/logout/user", None)
        .await;
    assert_eq!(code(&no_return), Some("KER-ACP-009"));

    // A sign-in form posted from another site signs nobody in.
    let login = format!("/v1/partnermanager/login/{home}?state={state}");
    let cross = browser
        .http
        .post(format!("{}{login}", app.api))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(cross.headers().get(header::SET_COOKIE).is_none());
    let v: Value = cross.json().await.unwrap();
    assert_eq!(code(&v), Some("PMS_COR_001"), "{v}");
    // A relative return URL on this server is fine.
    let relative = browser
        .request(
            Method::POST,
            &format!("/v1/partnermanager/login/{}?state={state}", btoa("/pmp/")),
        )
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(relative.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        relative.headers()[header::LOCATION],
        format!("{}/pmp/", app.api).as_str()
    );
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn the_built_portal_is_served_under_pmp_with_its_config(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let get = |path: &str| app.http.get(format!("{}{path}", app.api)).send();
    for entry in ["/pmp", "/pmp/", "/pmp/index.html"] {
        let page = get(entry).await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{entry}");
        assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert!(
            page.text().await.unwrap().contains("<base href=\"/pmp/\">"),
            "{entry}"
        );
    }
    let script = get("/pmp/main.js").await.unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));
    let i18n: Value = get("/pmp/assets/i18n/eng.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(i18n["header"]["title"], "Partner Management");
    // config.json is generated: the portal calls `${baseUrl}v1/partnermanager/...`.
    let config: Value = get("/pmp/assets/config.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["baseUrl"], format!("{}/", app.api));
    assert_eq!(config["primaryLangCode"], "eng");
    // Nothing else: no missing file, nothing outside the directory.
    for missing in [
        "/pmp/missing.js",
        "/pmp/assets/i18n/xyz.json",
        "/pmp/..%2f..%2fCargo.toml",
        "/pmp/%2e%2e/%2e%2e/Cargo.toml",
    ] {
        let r = get(missing).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

//! Who may call what on the native and console surfaces, and what no caller can do anywhere
//! (docs/security.md):
//!
//! - every native and `/v1/admin` operation of the OpenAPI document × (no token, a system
//!   actor's user id, a wrong role, another partner, the own partner, a partner admin); a new
//!   operation missing from the matrix fails the test;
//! - run reads go by the owner recorded at creation, never by names, and are redacted;
//! - a cross-site form post with the session cookie changes nothing;
//! - partner self-registration needs a role of `postpartners`.

use std::collections::BTreeSet;

use pmsflow_tests::TestApp;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// What a caller must get from an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 401 (no valid token).
    Unauthenticated,
    /// 403.
    Forbidden,
    /// 404: the caller may not learn that the resource exists.
    Hidden,
    /// Past authentication and authorisation: neither 401, 403 nor 404.
    Allowed,
}

use Expect::{Allowed, Forbidden, Hidden};

/// (method, path template, wrong role, other partner, own partner, admin). `{run}` is the own
/// partner's onboarding run, `{partner}` the own partner, `{step}` a step of `{run}`,
/// `{name}` a schedule, `{uuid}` an unknown id (admins get 404 there, which is past the
/// checks: such rows say `Hidden` for the admin too).
const MATRIX: &[(&str, &str, Expect, Expect, Expect, Expect)] = &[
    (
        "POST",
        "/v1/onboardings",
        Forbidden,
        Forbidden,
        Allowed,
        Allowed,
    ),
    ("GET", "/v1/runs", Allowed, Allowed, Allowed, Allowed),
    ("GET", "/v1/runs/{run}", Hidden, Hidden, Allowed, Allowed),
    (
        "GET",
        "/v1/partners/{partner}/certificates",
        Forbidden,
        Hidden,
        Allowed,
        Allowed,
    ),
    (
        "GET",
        "/v1/schedules",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/schedules/{name}/pause",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/schedules/{name}/resume",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/schedules/{name}/trigger",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/session",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/overview",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/runs",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/runs/{run}",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/runs/{run}/retry",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/runs/{run}/cancel",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/runs/{run}/steps/{step}/retry-now",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/runs/{run}/steps/{step}/skip",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/partners/{partner}/republish",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/republish",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/republish/{uuid}",
        Forbidden,
        Forbidden,
        Forbidden,
        Hidden,
    ),
    (
        "POST",
        "/v1/admin/bulk",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/bulk/{uuid}",
        Forbidden,
        Forbidden,
        Forbidden,
        Hidden,
    ),
    (
        "GET",
        "/v1/admin/audit",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/schedules",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/schedules/{name}/pause",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/schedules/{name}/resume",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "POST",
        "/v1/admin/schedules/{name}/trigger",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
    (
        "GET",
        "/v1/admin/events",
        Forbidden,
        Forbidden,
        Forbidden,
        Allowed,
    ),
];

/// Status of `method path` for `token` (the body is not read: `/v1/admin/events` streams).
async fn status(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> u16 {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .http
        .request(method.clone(), format!("{}{path}", app.api));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if method != Method::GET {
        req = req.json(&json!({"reason": "access matrix", "topics": []}));
    }
    req.send().await.expect("request").status().as_u16()
}

fn check(expect: Expect, got: u16) -> bool {
    match expect {
        Expect::Unauthenticated => got == 401,
        Expect::Forbidden => got == 403,
        Expect::Hidden => got == 404,
        Expect::Allowed => !matches!(got, 401 | 403 | 404),
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn native_and_console_operations_check_every_caller(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let own_partner = app.onboard_fixture(0).await;
    let run: Uuid = sqlx::query_scalar(
        "SELECT id FROM workflow_run WHERE kind = 'onboarding' AND subject = $1",
    )
    .bind(&own_partner)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let step: Uuid =
        sqlx::query_scalar("SELECT id FROM workflow_step WHERE run_id = $1 ORDER BY seq LIMIT 1")
            .bind(run)
            .fetch_one(&app.pool)
            .await
            .unwrap();

    // The matrix covers exactly the native and console operations the document lists.
    let doc: Value = app
        .http
        .get(format!("{}/v1/openapi.json", app.api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| {
            path.starts_with("/v1/")
                && !path.starts_with("/v1/partnermanager")
                && !path.starts_with("/v1/policymanager")
                && !matches!(path.as_str(), "/v1/openapi.json" | "/v1/docs")
        })
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let shape = |p: &str| {
        p.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let documented: BTreeSet<(String, String)> = documented
        .into_iter()
        .map(|(m, p)| (m, shape(&p)))
        .collect();
    let covered: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, ..)| ((*m).to_owned(), shape(p)))
        .collect();
    assert_eq!(
        documented, covered,
        "the matrix must list every native and console operation"
    );

    let other = app.token(
        "some-other-partner",
        &["AUTH_PARTNER", "CREDENTIAL_PARTNER"],
    );
    let own = app.token(&own_partner, &["AUTH_PARTNER", "CREDENTIAL_PARTNER"]);
    let wrong = app.token("resident-1", &["RESIDENT"]);
    let admin = app.admin();
    // A token that poses as the scheduler, with every role: refused before any check.
    let system = app.token(
        "system:scheduler",
        &["PARTNER_ADMIN", "PMSFLOW_ADMIN", "PMSFLOW_OPERATOR"],
    );

    let mut failures = Vec::new();
    for (method, template, wrong_e, other_e, own_e, admin_e) in MATRIX {
        let path = template
            .replace("{run}", &run.to_string())
            .replace("{step}", &step.to_string())
            .replace("{partner}", &own_partner)
            .replace("{name}", "api-key-expiry")
            .replace("{uuid}", &Uuid::now_v7().to_string());
        let onboarding = *template == "/v1/onboardings";
        for (who, token, expect) in [
            ("no token", None, Expect::Unauthenticated),
            ("system actor", Some(&system), Expect::Unauthenticated),
            ("wrong role", Some(&wrong), *wrong_e),
            ("other partner", Some(&other), *other_e),
            ("own partner", Some(&own), *own_e),
            ("admin", Some(&admin), *admin_e),
        ] {
            let got = if onboarding && token.is_some() {
                // The own partner's onboarding body: another partner may not send it.
                let resp = app
                    .http
                    .post(format!("{}{path}", app.api))
                    .bearer_auth(token.unwrap())
                    .json(&pmsflow_tests::fixture_body(0))
                    .send()
                    .await
                    .unwrap();
                resp.status().as_u16()
            } else {
                status(&app, method, &path, token.map(String::as_str)).await
            };
            if !check(expect, got) {
                failures.push(format!(
                    "{method} {template} as {who}: {got}, expected {expect:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

async fn runs_seen(app: &TestApp, token: &str) -> Vec<Value> {
    let v: Value = app
        .http
        .get(format!("{}/v1/runs?limit=500", app.api))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["runs"].as_array().cloned().unwrap_or_default()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn runs_are_read_by_recorded_owner_and_licence_keys_never_show(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let misp = app.onboard_fixture(1).await;
    let licence = crate::helpers::licence(&app, &misp).await;
    // A run the scheduler created (a sweep fire).
    let (code, trigger) = crate::helpers::native(
        &app,
        Method::POST,
        "/v1/schedules/licence-expiry/trigger",
        &app.admin(),
        None,
    )
    .await;
    assert_eq!(code.as_u16(), 202, "{trigger}");
    sqlx::query("UPDATE workflow_run SET created_by = 'system:scheduler' WHERE kind = 'sweep'")
        .execute(&app.pool)
        .await
        .unwrap();

    // The licence's effects run is owned by the MISP. Once completed its input no longer
    // holds the key (tests/it/secrets.rs); put it back, as in a run still running or failed,
    // to see what a reader is shown.
    let effects: Uuid = sqlx::query_scalar(
        "SELECT id FROM workflow_run WHERE kind = 'effects'
            AND input::text LIKE '%MISP_LICENSE_GENERATED%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE workflow_run SET input = input || jsonb_build_object('licenseKey', $2::text)
          WHERE id = $1",
    )
    .bind(effects)
    .bind(&licence)
    .execute(&app.pool)
    .await
    .unwrap();
    let owner: Option<String> =
        sqlx::query_scalar("SELECT owner_partner_id FROM workflow_run WHERE id = $1")
            .bind(effects)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(owner.as_deref(), Some(misp.as_str()));

    // The MISP reads its own run, redacted; the admin too.
    for token in [app.token(&misp, &["MISP_PARTNER"]), app.admin()] {
        let resp = app
            .http
            .get(format!("{}/v1/runs/{effects}", app.api))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let body = resp.text().await.unwrap();
        assert!(!body.contains(&licence), "licence key shown: {body}");
        assert!(body.contains("***"), "{body}");
        for run in runs_seen(&app, &token).await {
            assert!(!run.to_string().contains(&licence));
        }
    }

    // Names match nothing: a user called like the creator or the subject of a run sees only
    // what it owns. `pmsflow-scheduler` (the old creator name) and a user named after the
    // sweep's subject see no sweep run; the MISP sees only its own runs.
    for user in ["pmsflow-scheduler", "licence-expiry", "test-admin"] {
        let token = app.token(user, &["MISP_PARTNER", "AUTH_PARTNER"]);
        assert_eq!(runs_seen(&app, &token).await, Vec::<Value>::new(), "{user}");
    }
    let seen = runs_seen(&app, &app.token(&misp, &["MISP_PARTNER"])).await;
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|r| r["owner_partner_id"] == misp.as_str()));
    assert!(seen.iter().all(|r| r["kind"] != "sweep"));
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn cross_site_posts_with_the_session_cookie_change_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.admin();
    let ca = pmsflow_tests::fixture_cas("apitest-credential")[0].clone();
    let envelope = json!({"id": "string", "version": "1.0", "requesttime": "2026-12-07T10:00:00.000Z",
        "request": {"certificateData": ca, "partnerDomain": "AUTH"}});
    let url = format!(
        "{}/v1/partnermanager/partners/certificate/ca/upload",
        app.api
    );
    let cookie = format!("Authorization={admin}");

    let post = |headers: &[(&str, &str)], json_body: bool| {
        let mut req = app.http.post(&url).header("Cookie", &cookie);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if json_body {
            req.json(&envelope)
        } else {
            req.header("Content-Type", "text/plain")
                .body(envelope.to_string())
        }
    };
    let refused = |status: u16, code: &'static str, resp: reqwest::Response| async move {
        assert_eq!(resp.status().as_u16(), status);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["errors"][0]["errorCode"], code, "{v}");
    };
    // An HTML form on another site: text/plain, foreign Origin, cross-site fetch metadata.
    let cross = [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    refused(
        403,
        "PMSFLOW_CROSS_SITE",
        post(&cross, false).send().await.unwrap(),
    )
    .await;
    // The same with JSON (a fetch from another origin), fetch metadata or not: still refused.
    refused(
        403,
        "PMSFLOW_CROSS_SITE",
        post(&cross, true).send().await.unwrap(),
    )
    .await;
    refused(
        403,
        "PMSFLOW_CROSS_SITE",
        post(&cross[..1], true).send().await.unwrap(),
    )
    .await;
    // A same-origin form post that is not JSON: 415.
    let same = [("Sec-Fetch-Site", "same-origin")];
    refused(
        415,
        "PMSFLOW_MEDIA_TYPE",
        post(&same, false).send().await.unwrap(),
    )
    .await;
    let runs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workflow_run WHERE kind = 'ca_upload'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(runs, 0, "no upload run was created");

    // The portal on this origin (the browser says same-origin) is served.
    let resp = post(&[("Origin", app.api.as_str()), same[0]], true)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = resp.json().await.unwrap();
    assert!(v["errors"].as_array().is_none_or(|e| e.is_empty()), "{v}");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn only_partner_roles_register_partners(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let request = json!({"request": {
        "partnerId": "resident-1", "organizationName": "Residents Inc", "address": "Street 1",
        "contactNumber": "9999999999", "emailId": "resident@example.org",
        "partnerType": "Auth_Partner", "policyGroup": "mpolicygroup-default-auth"}});
    for path in [
        "/v1/partnermanager/partners",
        "/v1/partnermanager/partners/v2",
    ] {
        let resp = app
            .http
            .post(format!("{}{path}", app.api))
            .bearer_auth(app.token("resident-1", &["RESIDENT"]))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{path}");
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM partner WHERE id = 'resident-1')")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!exists);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn one_request_cannot_ask_for_unbounded_work(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.admin();
    let pms = |path: &'static str, request: Value| {
        let app = &app;
        let admin = &admin;
        async move { app.pms(Method::POST, path, admin, Some(request)).await }
    };
    // A page larger than the cap is an invalid page, as PMS answers for one below 1.
    let v = pms(
        "/v1/partnermanager/partners/search",
        json!({"partnerType": "all", "filters": [], "sort": [],
               "pagination": {"pageStart": 0, "pageFetch": 501}}),
    )
    .await;
    assert_eq!(crate::helpers::code(&v), Some("PMS-MSD-313"), "{v}");
    let v = pms(
        "/v1/partnermanager/partners/search",
        json!({"partnerType": "all", "filters": [], "sort": [],
               "pagination": {"pageStart": 0, "pageFetch": 500}}),
    )
    .await;
    assert_eq!(crate::helpers::code(&v), None, "{v}");
    // Each filter-values column is a query: at most 10.
    let columns = vec![json!({"columnName": "name", "type": "unique", "text": ""}); 11];
    let v = pms(
        "/v1/policymanager/policies/group/filtervalues",
        json!({"filters": columns, "optionalFilters": []}),
    )
    .await;
    assert_eq!(crate::helpers::code(&v), Some("PMS_COR_001"), "{v}");
    let sorts = vec![json!({"sortField": "name", "sortType": "asc"}); 6];
    let v = pms(
        "/v1/policymanager/policies/group/search",
        json!({"filters": [], "sort": sorts, "pagination": {"pageStart": 0, "pageFetch": 10}}),
    )
    .await;
    assert_eq!(crate::helpers::code(&v), Some("PMS_COR_001"), "{v}");

    // Eleven CA certificates: refused before any run exists.
    let mut body = pmsflow_tests::fixture_body(0);
    let ca = body["caCertificates"][0].clone();
    body["caCertificates"] = json!(vec![ca; 11]);
    let (status, problem) = app.post_onboarding(&body, None).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "PMS_COR_001");
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM workflow_run")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(runs, 0);

    // A body above api.max_body_bytes (1 MiB by default): 413, nothing read.
    let resp = app
        .http
        .post(format!("{}/v1/partnermanager/partners", app.api))
        .bearer_auth(&admin)
        .json(&json!({"request": {"address": "x".repeat(1 << 20)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn sign_out_ends_the_session_everywhere(pool: PgPool) {
    let app = TestApp::spawn_with(pool, pmsflow_tests::TestOptions::api_only()).await;
    let token = app.token("operator-1", &["PMSFLOW_ADMIN", "PARTNER_ADMIN"]);
    let get = |path: &'static str| {
        let req = app
            .http
            .get(format!("{}{path}", app.api))
            .bearer_auth(&token);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/v1/admin/session").await, 200);
    assert_eq!(get("/v1/partnermanager/partners").await, 200);
    let resp = app
        .http
        .post(format!("{}/console/logout", app.api))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    // The token itself is dead on every surface, not only the browser's cookie.
    assert_eq!(get("/v1/admin/session").await, 401);
    assert_eq!(get("/v1/partnermanager/partners").await, 401);
    assert_eq!(get("/v1/runs").await, 401);
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_sha256 FROM revoked_session")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32, "only the token's SHA-256 is kept");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn dev_sign_in_is_rate_limited_and_https_answers_carry_hsts(pool: PgPool) {
    let app = TestApp::spawn_with(pool, pmsflow_tests::TestOptions::api_only()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = || {
        client
            .post(format!("{}/console/login", app.api))
            .header("Sec-Fetch-Site", "same-origin")
            .form(&[("username", "op"), ("role", "viewer"), ("secret", "wrong")])
            .send()
    };
    let per_minute = app.settings.console.dev_sign_ins_per_minute;
    for _ in 0..per_minute {
        assert_eq!(sign_in().await.unwrap().status().as_u16(), 303);
    }
    let refused = sign_in().await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(refused.headers()["retry-after"], "60");

    let over_tls = app
        .http
        .get(format!("{}/v1/openapi.json", app.api))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        over_tls.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let plain = app
        .http
        .get(format!("{}/v1/openapi.json", app.api))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("strict-transport-security").is_none());
}

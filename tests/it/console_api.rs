//! The console's JSON API (`/v1/admin/...`): roles, CSRF, every operator action against runs
//! made to fail by sandbox fault injection, bulk actions, the audit log, schedules and live
//! events. The browser drives the same endpoints in `console_browser.rs`.

use crate::helpers::native as call;
use std::time::Duration;

use pmsflow_tests::{TestApp, TestOptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

fn options() -> TestOptions {
    TestOptions {
        external_attempts: 2,
        ..TestOptions::default()
    }
}

/// POST `body` as JSON to `url` with extra `headers`, through `client` (a cookie session).
async fn post_json(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> reqwest::Response {
    let mut req = client.post(url).json(body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("request")
}

/// Open `GET /v1/admin/events` with `token`: 200, `text/event-stream`.
async fn open_events(app: &TestApp, token: &str) -> reqwest::Response {
    let resp = app
        .http
        .get(format!("{}/v1/admin/events", app.api))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp
}

/// Read the event stream `resp` until what was read satisfies `done` (each chunk within
/// 30 s); returns what was read.
async fn read_until(resp: &mut reqwest::Response, done: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    while !done(&text) {
        let chunk = tokio::time::timeout(Duration::from_secs(30), resp.chunk())
            .await
            .expect("an event within 30 s")
            .expect("stream readable")
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

fn step_id(run: &Value, key: &str) -> String {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no step {key}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn operators_retry_skip_and_cancel_with_reasons_and_the_audit_log_records_them(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let operator = app.token("op1", &["PMSFLOW_OPERATOR"]);
    let viewer = app.token("view1", &["PMSFLOW_VIEWER"]);
    let partner = app.token("p0", &["AUTH_PARTNER"]);
    let failed = app.failed_onboardings(0, 3).await;

    // Roles: a partner has no console role; a viewer reads but cannot act.
    let (s, _) = call(&app, Method::GET, "/v1/admin/runs", &partner, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, session) = call(&app, Method::GET, "/v1/admin/session", &viewer, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (session["role"].as_str(), session["canAct"].as_bool()),
        (Some("viewer"), Some(false))
    );
    let retry = format!("/v1/admin/runs/{}/retry", failed[0]);
    let (s, _) = call(
        &app,
        Method::POST,
        &retry,
        &viewer,
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Filters: the failed runs, at the failed step, with keymanager's error code.
    let (s, page) = call(
        &app,
        Method::GET,
        "/v1/admin/runs?status=failed&kind=onboarding&partnerType=Auth_Partner",
        &viewer,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let rows = page["runs"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let step = rows[0]["currentStep"].as_str().unwrap().to_owned();
    assert_eq!(step, "keymanager.upload_ca");
    let (_, by_step) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/runs?step={step}&q=p1"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(by_step["runs"].as_array().unwrap().len(), 1);
    assert_eq!(by_step["runs"][0]["subject"], "p1");
    // The console shows the last characters of run ids (UUIDv7 starts with a timestamp).
    let tail = &failed[2].to_string()[28..];
    let (_, by_tail) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/runs?q={tail}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(by_tail["runs"].as_array().unwrap().len(), 1);
    assert_eq!(by_tail["runs"][0]["id"], failed[2].to_string());
    // `%` and `_` are characters to find, not wildcards: no run id holds them.
    for q in ["%25", "_", "%25%25"] {
        let (_, wild) = call(
            &app,
            Method::GET,
            &format!("/v1/admin/runs?q={q}"),
            &viewer,
            None,
        )
        .await;
        assert_eq!(wild["runs"].as_array().unwrap().len(), 0, "q={q}: {wild}");
    }
    let (s, _) = call(
        &app,
        Method::GET,
        "/v1/admin/runs?from=yesterday",
        &viewer,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Stable paging: two pages of one run cover the three runs once each.
    let (_, p1) = call(
        &app,
        Method::GET,
        "/v1/admin/runs?status=failed&limit=2",
        &viewer,
        None,
    )
    .await;
    let cursor = p1["nextCursor"].as_str().expect("a next page");
    let (_, p2) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/runs?status=failed&limit=2&cursor={cursor}"),
        &viewer,
        None,
    )
    .await;
    let mut seen: Vec<String> = p1["runs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["runs"].as_array().unwrap())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3);

    // Detail: attempts with keymanager's (redacted) response, partner and its runs.
    let (_, detail) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/runs/{}", failed[0]),
        &viewer,
        None,
    )
    .await;
    let ca = &detail["steps"][1];
    assert_eq!(
        (
            ca["status"].as_str(),
            ca["attempt"].as_i64(),
            ca["maxAttempts"].as_i64()
        ),
        (Some("failed"), Some(2), Some(2))
    );
    assert_eq!(ca["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(
        ca["attempts"][0]["error"]["http_status"], 503,
        "{}",
        ca["attempts"][0]
    );
    assert_eq!(detail["partner"]["partnerId"], "p0");
    assert_eq!(detail["allowed"]["retry"], true);

    // A blank reason is refused and changes nothing.
    let (s, e) = call(
        &app,
        Method::POST,
        &retry,
        &operator,
        Some(json!({"reason": "  "})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("PMS_COR_001"))
    );
    // Retry from the failed step with a fresh budget: the run completes (keymanager is back).
    let (s, entry) = call(
        &app,
        Method::POST,
        &retry,
        &operator,
        Some(json!({"reason": "keymanager restored"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{entry}");
    assert_eq!(entry["before"]["run"], "failed");
    assert_eq!(entry["after"]["step"]["maxAttempts"], 4);
    let run = app.wait_run(failed[0], Duration::from_secs(60)).await;
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    let (s, e) = call(
        &app,
        Method::POST,
        &retry,
        &operator,
        Some(json!({"reason": "again"})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("PMSFLOW_NOT_APPLICABLE"))
    );

    // Skip the failed step of the second run: the run goes on from the next step.
    let (_, d1) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/runs/{}", failed[1]),
        &viewer,
        None,
    )
    .await;
    let ca1 = step_id(&d1, "keymanager.upload_ca");
    let (s, entry) = call(
        &app,
        Method::POST,
        &format!("/v1/admin/runs/{}/steps/{ca1}/skip", failed[1]),
        &operator,
        Some(json!({"reason": "CA chain uploaded by hand"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{entry}");
    assert_eq!(
        entry["after"]["nextStep"],
        "keymanager.upload_partner_certificate"
    );
    let run = app.wait_run(failed[1], Duration::from_secs(60)).await;
    // keymanager then refuses the partner certificate: its CA was never uploaded.
    assert_eq!(run.run.status, "failed");
    assert_eq!(run.steps[1].status, "skipped");

    // Cancel the third.
    let cancel = format!("/v1/admin/runs/{}/cancel", failed[2]);
    let (s, entry) = call(
        &app,
        Method::POST,
        &cancel,
        &operator,
        Some(json!({"reason": "partner withdrew"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{entry}");
    assert_eq!(entry["after"]["run"], "cancelled");
    let (_, d2) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/runs/{}", failed[2]),
        &viewer,
        None,
    )
    .await;
    assert_eq!(d2["status"], "cancelled");
    assert_eq!(d2["actions"][0]["reason"], "partner withdrew");

    // The audit log: who, what, why, before and after, filterable.
    let (_, log) = call(
        &app,
        Method::GET,
        "/v1/admin/audit?actor=op1",
        &viewer,
        None,
    )
    .await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["cancel", "skip", "retry"]);
    let (_, only) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/audit?action=retry&runId={}", failed[0]),
        &viewer,
        None,
    )
    .await;
    assert_eq!(only["entries"].as_array().unwrap().len(), 1);
    assert_eq!(only["entries"][0]["reason"], "keymanager restored");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn cookie_sessions_need_the_csrf_token_and_dev_sign_in_maps_console_roles(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let failed = app.failed_onboardings(0, 1).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A bad form is refused without a session.
    let r = client
        .post(format!("{}/console/login", app.api))
        .form(&[("username", "op 1"), ("role", "operator")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/console/login?error=1");
    // A sign-in form posted from another site is refused (login CSRF).
    let r = client
        .post(format!("{}/console/login", app.api))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("username", "op1"), ("role", "operator")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/console/login?error=1");
    assert!(r.headers().get("set-cookie").is_none());
    let r = client
        .post(format!("{}/console/login", app.api))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("username", "op1"), ("role", "operator")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    // Behind a TLS-terminating ingress the cookie is Secure.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/console/login", app.api))
        .header("X-Forwarded-Proto", "https")
        .form(&[("username", "op1"), ("role", "operator")])
        .send()
        .await
        .unwrap();
    let tls_cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(tls_cookie.ends_with("; Secure"), "{tls_cookie}");
    let session: Value = client
        .get(format!("{}/v1/admin/session", app.api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (session["user"].as_str(), session["role"].as_str()),
        (Some("op1"), Some("operator"))
    );
    let csrf = session["csrfToken"].as_str().unwrap();
    let retry = format!("{}/v1/admin/runs/{}/retry", app.api, failed[0]);
    let body = json!({"reason": "hub back"});
    let r = client.post(&retry).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], "PMSFLOW_CSRF");
    let r = post_json(&client, &retry, &[("X-CSRF-Token", "forged")], &body).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Another kind of Authorization header (an ingress's Basic auth) does not make the
    // cookie session a script: the CSRF token is still required.
    let r = post_json(
        &client,
        &retry,
        &[("Authorization", "Basic b3BzOm9wcw==")],
        &body,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The native admin endpoints ask a cookie session for it too.
    let r = client
        .post(format!("{}/v1/schedules/licence-expiry/trigger", app.api))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], "PMSFLOW_CSRF");
    // A reason the database cannot store is the client's mistake, and changes nothing.
    let r = post_json(
        &client,
        &retry,
        &[("X-CSRF-Token", csrf)],
        &json!({"reason": "hub\u{0}back"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post_json(&client, &retry, &[("X-CSRF-Token", csrf)], &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The pages are served with a strict policy.
    let r = client
        .get(format!("{}/console/runs", app.api))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn bulk_retry_over_a_filter_counts_first_then_retries_each_run_once(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let operator = app.token("op1", &["PMSFLOW_OPERATOR"]);
    let failed = app.failed_onboardings(0, 30).await;
    let filter = json!({"status": "failed", "kind": "onboarding"});
    let (s, dry) = call(&app, Method::POST, "/v1/admin/bulk", &operator, Some(json!({"action": "retry", "reason": "keymanager back", "dryRun": true, "filter": filter}))).await;
    assert_eq!(
        (s, dry["matched"].as_i64()),
        (StatusCode::OK, Some(30)),
        "{dry}"
    );
    // A dry run changed nothing.
    let still: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workflow_run WHERE status = 'failed'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(still, 30);
    let (s, e) = call(
        &app,
        Method::POST,
        "/v1/admin/bulk",
        &operator,
        Some(json!({"action": "explode", "reason": "x", "filter": filter})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // More run ids than a bulk action takes: refused, not cut short.
    let many: Vec<String> = (0..10_001).map(|_| Uuid::now_v7().to_string()).collect();
    let (s, e) = call(
        &app,
        Method::POST,
        "/v1/admin/bulk",
        &operator,
        Some(json!({"action": "retry", "reason": "x", "runIds": many})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // A confirmation whose preview no longer holds changes nothing.
    let as_of = dry["asOf"].as_str().unwrap();
    let (s, e) = call(
        &app,
        Method::POST,
        "/v1/admin/bulk",
        &operator,
        Some(json!({"action": "retry", "reason": "keymanager back", "filter": filter, "asOf": as_of, "expected": 29})),
    )
    .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("PMSFLOW_BULK_CHANGED")),
        "{e}"
    );
    let (s, started) = call(
        &app,
        Method::POST,
        "/v1/admin/bulk",
        &operator,
        Some(json!({"action": "retry", "reason": "keymanager back", "filter": filter, "asOf": as_of, "expected": 30})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let bulk: Uuid = started["bulkId"].as_str().unwrap().parse().unwrap();
    let run = app.wait_run(bulk, Duration::from_secs(60)).await;
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    let (_, progress) = call(
        &app,
        Method::GET,
        &format!("/v1/admin/bulk/{bulk}"),
        &operator,
        None,
    )
    .await;
    assert_eq!(
        (
            progress["done"].as_i64(),
            progress["total"].as_i64(),
            progress["applied"].as_i64(),
            progress["skipped"].as_i64()
        ),
        (Some(30), Some(30), Some(30), Some(0)),
        "{progress}"
    );
    for id in &failed {
        let r = app.wait_run(*id, Duration::from_secs(120)).await;
        assert_eq!(r.run.status, "completed", "{id}");
    }
    // One audit entry per run, tied to the bulk action.
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM operator_action WHERE bulk_id = $1 AND action = 'retry'",
    )
    .bind(bulk)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(n, 30);
    // Nothing left to retry.
    let (s, _) = call(
        &app,
        Method::POST,
        "/v1/admin/bulk",
        &operator,
        Some(json!({"action": "retry", "reason": "again", "filter": filter})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn overview_schedules_and_live_events(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let viewer = app.token("view1", &["PMSFLOW_VIEWER"]);
    let operator = app.token("op1", &["PMSFLOW_OPERATOR"]);
    let admin = app.token("adm1", &["PMSFLOW_ADMIN"]);
    // Live events: subscribe, then make a run happen.
    let mut resp = open_events(&app, &viewer).await;
    let partner = app.onboard_fixture(0).await;
    let text = read_until(&mut resp, |t| {
        t.contains(":completed") || t.contains("\"completed\"")
    })
    .await;
    assert!(text.contains("event: run"), "{text}");

    let (_, o) = call(
        &app,
        Method::GET,
        "/v1/admin/overview?window=1h",
        &viewer,
        None,
    )
    .await;
    assert!(o["workersAlive"].as_i64().unwrap() >= 1, "{o}");
    assert!(o["throughput"].as_array().unwrap().len() >= 60);
    let completed: i64 = o["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["completed"].as_i64().unwrap())
        .sum();
    assert!(completed >= 1);
    assert!(o["byKindStatus"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kind"] == "onboarding" && k["status"] == "completed"));
    let (s, _) = call(
        &app,
        Method::GET,
        "/v1/admin/overview?window=7d",
        &viewer,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Partner re-publication from the console.
    let (s, r) = call(
        &app,
        Method::POST,
        &format!("/v1/admin/partners/{partner}/republish"),
        &operator,
        Some(json!({"reason": "IDA lost its cache"})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    let run: Uuid = r["runId"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.wait_run(run, Duration::from_secs(60)).await.run.status,
        "completed"
    );

    // Schedules: operators trigger, only admins pause.
    let (_, list) = call(&app, Method::GET, "/v1/admin/schedules", &viewer, None).await;
    let name = list["schedules"][0]["name"].as_str().unwrap().to_owned();
    let (s, _) = call(
        &app,
        Method::POST,
        &format!("/v1/admin/schedules/{name}/pause"),
        &operator,
        Some(json!({"reason": "maintenance"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r) = call(
        &app,
        Method::POST,
        &format!("/v1/admin/schedules/{name}/pause"),
        &admin,
        Some(json!({"reason": "maintenance"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["schedule"]["paused"], true);
    let (s, r) = call(
        &app,
        Method::POST,
        &format!("/v1/admin/schedules/{name}/trigger"),
        &operator,
        Some(json!({"reason": "catch up"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let sweep: Uuid = r["action"]["runId"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.wait_run(sweep, Duration::from_secs(60))
            .await
            .run
            .status,
        "completed"
    );
    let (_, log) = call(&app, Method::GET, "/v1/admin/audit", &viewer, None).await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "pause", "republish"]);
}

/// The live stream ends when the session's token expires, so a session that has ended stops
/// receiving run changes (the browser reconnects and must present a valid token again).
#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn the_live_stream_ends_with_its_token(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let short = app.token_for("view1", &["PMSFLOW_VIEWER"], Duration::from_secs(2));
    let resp = open_events(&app, &short).await;
    // Reading to the end returns once the server closes the stream at the token's expiry
    // (a stream that outlived it would run into the timeout instead).
    let body = tokio::time::timeout(Duration::from_secs(60), resp.bytes()).await;
    assert!(body.is_ok(), "the stream outlived its token");
}

/// When the live feed loses its Postgres connection, every open stream is told to refetch
/// (`event: lagged`): the changes made while it reconnected were not seen.
#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_lost_live_feed_connection_tells_consoles_to_refetch(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let viewer = app.token("view1", &["PMSFLOW_VIEWER"]);
    let mut resp = open_events(&app, &viewer).await;
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = $1",
    )
    .bind(pmsflow_store::watch::RUN_WATCH_APPLICATION)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(killed, 1);
    read_until(&mut resp, |t| t.contains("event: lagged")).await;
}

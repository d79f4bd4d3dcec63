//! Running pmsflow as a deployer does: a real `pmsflow serve` drained by SIGTERM, the health
//! endpoints, and the Prometheus exposition after real work.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pmsflow_tests::{fresh_chain, onboarding_body, TestApp, TestOptions};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio_util::sync::CancellationToken;

/// Read the child's stdout until a line containing `needle`; returns that line.
async fn line_with(
    lines: &mut Lines<BufReader<tokio::process::ChildStdout>>,
    needle: &str,
) -> String {
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("the process ended before printing {needle:?}");
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} within 60 s"))
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn sigterm_drains_requests_and_hands_back_running_steps(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        TestOptions {
            workers: false,
            ..Default::default()
        },
    )
    .await;
    let secret = "drain-test-dev-secret-0123456";
    let mut child = pmsflow_tests::serve_child(&app, "api,worker")
        .env("PMSFLOW_API__BIND", "127.0.0.1:0")
        .env("PMSFLOW_ADMIN__SHUTDOWN_GRACE_S", "3")
        // Long enough that only the drain can hand the step back (not the reconciler).
        .env("PMSFLOW_WORKER__LEASE_SECONDS", "300")
        .env("PMSFLOW_AUTH__DEV_SECRET", secret)
        .env(
            "PMSFLOW_FAILPOINT_PAUSE_AFTER_CALL",
            "keymanager.upload_partner_certificate",
        )
        .spawn()
        .expect("start pmsflow serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let admin = line_with(&mut lines, "admin: ").await["admin: ".len()..].to_owned();
    let api = line_with(&mut lines, "api: ").await["api: ".len()..].to_owned();
    let ready = || {
        let url = format!("{admin}/health/ready");
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    assert_eq!(ready().await.status().as_u16(), 200);
    let live = app
        .http
        .get(format!("{api}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.status().as_u16(),
        200,
        "the API port serves health too"
    );

    // An onboarding whose re-sign step is running when the signal comes.
    let (root, leaf) = fresh_chain("drainorg");
    let body = onboarding_body(
        "drainp",
        "drainorg",
        "Auth_Partner",
        Some("mpolicygroup-default-auth"),
        vec![root],
        leaf,
    );
    let id = app.start_onboarding(&body).await;
    line_with(
        &mut lines,
        "FAILPOINT paused-after-call keymanager.upload_partner_certificate",
    )
    .await;
    // A console event stream is open on the draining server.
    let dev = pmsflow_api::access::Authenticator::dev(secret, "PARTNER_ADMIN");
    let token = dev
        .mint(
            "op",
            &["PMSFLOW_ADMIN".to_owned()],
            Duration::from_secs(600),
        )
        .unwrap();
    let events = app
        .http
        .get(format!("{api}/v1/admin/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);

    let signalled = tokio::time::Instant::now();
    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    line_with(&mut lines, "drain: started").await;
    let during = ready().await;
    assert_eq!(
        during.status().as_u16(),
        503,
        "readiness is false while draining"
    );
    let body: serde_json::Value = during.json().await.unwrap();
    assert_eq!(body["checks"]["draining"], "shutting down", "{body}");
    // The event stream ends with a reconnect hint instead of holding the drain.
    let stream = tokio::time::timeout(Duration::from_secs(10), events.text())
        .await
        .expect("the event stream ended")
        .unwrap();
    assert!(stream.contains("retry: 1000"), "{stream:?}");

    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the process exits after its grace")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "exited within the deadline (3 s grace)"
    );

    // The running step was handed back: queued again, its attempt not counted.
    let (step_status, attempt, recorded): (String, i32, i64) = sqlx::query_as(
        "SELECT s.status, s.attempt,
                (SELECT count(*) FROM step_attempt a WHERE a.step_id = s.id)
           FROM workflow_step s
          WHERE s.run_id = $1 AND s.step_key = 'keymanager.upload_partner_certificate'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((step_status.as_str(), attempt, recorded), ("queued", 0, 0));

    // Another worker takes it at once and finishes the run; the repeated re-sign is a replay.
    let cancel = CancellationToken::new();
    let clients = pmsflow::serve::clients(&app.settings).unwrap();
    pmsflow::serve::start_worker_role(
        &app.settings,
        app.pool.clone(),
        &app.redis,
        clients,
        cancel.clone(),
    );
    let run = app.wait_run(id, Duration::from_secs(60)).await;
    cancel.cancel();
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    let step = run
        .steps
        .iter()
        .find(|s| s.key == "keymanager.upload_partner_certificate")
        .unwrap();
    let outcomes: Vec<&str> = step.attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["succeeded"], "no failed attempt was counted");
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn metrics_show_runs_retries_and_mosip_errors(pool: PgPool) {
    let handle = pmsflow::ops::install_metrics()
        .expect("the recorder is this process's only one (run under nextest)");
    let app = TestApp::spawn(pool).await;
    // One onboarding while keymanager is down (retried, then failed), one after.
    app.failed_onboardings(0, 1).await;
    app.onboard_fixture(0).await;

    let ops = pmsflow::ops::Ops {
        draining: CancellationToken::new(),
        pool: app.pool.clone(),
        pools: vec![("main", app.pool.clone())],
        redis: Some(app.redis.clone()),
        metrics: Some(handle),
        alive_within: Duration::from_secs(10),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app_router = pmsflow::ops::router(Arc::new(ops));
    tokio::spawn(async move { axum::serve(listener, app_router).await });
    let text = app
        .http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // The whole exposition parses.
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("valid Prometheus text");
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    assert_eq!(
        value("pmsflow_runs_started_total", &[("kind", "onboarding")]),
        2.0
    );
    assert_eq!(
        value(
            "pmsflow_runs_finished_total",
            &[("kind", "onboarding"), ("status", "failed")]
        ),
        1.0
    );
    assert_eq!(
        value(
            "pmsflow_runs_finished_total",
            &[("kind", "onboarding"), ("status", "completed")]
        ),
        1.0
    );
    assert!(
        value("pmsflow_step_attempts_total", &[("outcome", "retry")]) >= 1.0,
        "{text}"
    );
    assert!(
        value(
            "pmsflow_mosip_calls_total",
            &[("service", "keymanager"), ("outcome", "retryable")]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        value(
            "pmsflow_mosip_calls_total",
            &[
                ("service", "keymanager"),
                ("operation", "uploadPartnerCertificate"),
                ("outcome", "ok")
            ]
        ) >= 1.0
    );
    assert!(
        value(
            "pmsflow_http_requests_total",
            &[
                ("route", "/v1/onboardings"),
                ("method", "POST"),
                ("status", "202")
            ]
        ) >= 2.0,
        "{text}"
    );
    assert_eq!(value("pmsflow_workers_alive", &[]), 1.0);
    assert!(value("pmsflow_db_pool_max_connections", &[("pool", "main")]) >= 1.0);
    // Histograms come with buckets; every metric has its help text.
    assert!(text.contains("pmsflow_step_duration_seconds_bucket"));
    let helped: BTreeMap<&str, ()> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# HELP "))
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| (n, ()))
        .collect();
    for name in [
        "pmsflow_runs_started_total",
        "pmsflow_mosip_calls_total",
        "pmsflow_ready_steps",
    ] {
        assert!(helped.contains_key(name), "{name} has no HELP");
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_postgres_restart_does_not_lose_a_waiting_certificate_upload(pool: PgPool) {
    use serde_json::{json, Value};
    let app = TestApp::spawn(pool).await;
    let admin = app.admin();
    let partner = app.token("movp", &["CREDENTIAL_PARTNER"]);
    let post = |path: &str, token: &str, request: Value| {
        app.http
            .post(format!("{}/v1/partnermanager{path}", app.api))
            .bearer_auth(token)
            .json(&json!({"id": "mosip.partnermanagement", "version": "1.0",
                "requesttime": "2026-12-07T10:00:00.000Z", "request": request}))
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
    for ca in ["root-ca.apitest.pem", "sub-ca.apitest2.pem"] {
        let r: Value = post(
            "/partners/certificate/ca/upload",
            &admin,
            json!({
                "certificateData": pmsflow_tests::fixture(&format!("apitest-credential/{ca}")),
                "partnerDomain": "AUTH"
            }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(r["response"]["status"], "Upload Success.", "{r}");
    }
    // keymanager is slow: the upload waits for its run while Postgres drops every connection.
    let mut rules = std::collections::HashMap::new();
    rules.insert(
        "keymanager.uploadPartnerCertificate".to_owned(),
        pmsflow_sandbox::FaultRule {
            latency_ms: 1500,
            ..Default::default()
        },
    );
    app.sandbox
        .sandbox
        .set_faults(pmsflow_sandbox::FaultConfig { rules });
    let mut created = sqlx::postgres::PgListener::connect_with(&app.pool)
        .await
        .unwrap();
    created.listen(pmsflow_store::OUTBOX_CHANNEL).await.unwrap();
    let upload = post(
        "/partners/certificate/upload",
        &partner,
        json!({
            "partnerId": "movp",
            "certificateData": pmsflow_tests::fixture("apitest-credential/partner.movp.pem"),
            "partnerDomain": "AUTH"
        }),
    );
    let upload = tokio::spawn(upload);
    // The certificate run is committed (its first outbox row rang): the request now waits.
    tokio::time::timeout(Duration::from_secs(30), created.recv())
        .await
        .expect("the run was created")
        .unwrap();
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        killed >= 2,
        "the API's and the watcher's connections were cut ({killed})"
    );

    let answer: Value = upload.await.unwrap().unwrap().json().await.unwrap();
    assert_eq!(answer["errors"], json!([]), "{answer}");
    assert!(
        answer["response"]["signedCertificateData"]
            .as_str()
            .is_some_and(|c| c.starts_with("-----BEGIN CERTIFICATE-----")),
        "{answer}"
    );
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_requests_trace_follows_its_run_to_every_mosip_call(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace}-00f067aa0ba902b7-01");
    let resp = app
        .http
        .post(format!("{}/v1/onboardings", app.api))
        .bearer_auth(app.admin())
        .header("traceparent", &traceparent)
        .json(&pmsflow_tests::fixture_body(0))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let body: serde_json::Value = resp.json().await.unwrap();
    let id: uuid::Uuid = serde_json::from_value(body["runId"].clone()).unwrap();
    let run = app.wait_run(id, Duration::from_secs(60)).await;
    assert_eq!(run.run.status, "completed");
    let stored: Option<String> =
        sqlx::query_scalar("SELECT traceparent FROM workflow_run WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some(traceparent.as_str()));
    // Every MOSIP call of the run's steps carried the trace, each with a parent of its own.
    let seen = app.sandbox.sandbox.traceparents();
    let keymanager: Vec<&(String, String)> = seen
        .iter()
        .filter(|(path, _)| path.contains("/keymanager/"))
        .collect();
    assert!(keymanager.len() >= 2, "{seen:?}");
    for (path, tp) in &seen {
        assert!(tp.starts_with(&format!("00-{trace}-")), "{path}: {tp}");
        assert_ne!(tp, &traceparent, "{path} got a new parent id");
    }
}

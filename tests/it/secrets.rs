//! No secret reaches the logs, and finished runs keep none: the whole log of an onboarding,
//! a policy mapping with its API key (looked up by path and by header) and a MISP licence, at
//! the most verbose level of pmsflow's crates, holds no API key, licence key, token or
//! secret; the inputs of the finished runs hold none either.
//!
//! The log capture is the process's global subscriber: nextest runs each test in its own
//! process.

use std::sync::{Arc, Mutex};

use pmsflow_tests::TestApp;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{auth_policy, call, published_policy, settle_effects};

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn no_secret_reaches_the_logs_or_stays_in_finished_runs(pool: PgPool) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "debug,pmsflow=trace,pmsflow_api=trace,pmsflow_workers=trace,pmsflow_store=trace,\
             pmsflow_scheduler=trace,pmsflow_sandbox=trace,tower_http=trace,hyper=info,h2=info",
        ))
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("the log capture is this process's only subscriber (run under nextest)");

    let app = TestApp::spawn(pool).await;
    let admin = app.admin();
    let base = "/v1/partnermanager/partners";

    // Onboarding, mapping, approval, API key.
    let partner = app.onboard_fixture(5).await;
    published_policy(&app, "mpolicygroup-default-auth", "kyc-auth", auth_policy()).await;
    let me = app.token(&partner, &["AUTH_PARTNER"]);
    let v = call(
        &app,
        Method::POST,
        &format!("{base}/{partner}/policy/map"),
        &me,
        Some(json!({"policyName": "kyc-auth", "useCaseDescription": "eKYC"})),
    )
    .await;
    let mapping = v["response"]["mappingkey"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::PUT,
        &format!("{base}/policy/{mapping}"),
        &admin,
        Some(json!({"status": "Approved"})),
    )
    .await;
    let v = call(
        &app,
        Method::PATCH,
        &format!("{base}/{partner}/generate/apikey"),
        &me,
        Some(json!({"policyName": "kyc-auth", "label": "k1"})),
    )
    .await;
    let api_key = v["response"]["apiKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned();
    // The key by path (PMS's URL) and by header: the same answer.
    let by_path = call(
        &app,
        Method::GET,
        &format!("{base}/{partner}/apikey/{api_key}"),
        &admin,
        None,
    )
    .await;
    let by_header: serde_json::Value = app
        .http
        .get(format!("{}{base}/{partner}/apikey", app.api))
        .bearer_auth(&admin)
        .header("X-API-Key", &api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_path["response"], by_header["response"], "{by_header}");
    assert_eq!(by_header["response"]["partnerID"], partner.as_str());

    // A MISP licence, issued and read back.
    let misp = app.onboard_fixture(1).await;
    let licence = crate::helpers::licence(&app, &misp).await;
    let v = call(
        &app,
        Method::GET,
        &format!("/v1/partnermanager/misps/{misp}/licenseKey"),
        &admin,
        None,
    )
    .await;
    assert_eq!(v["response"]["licenseKey"], licence.as_str());
    settle_effects(&app).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture saw the requests (by route template) and the steps.
    assert!(
        logs.contains("/apikey/{api_key}"),
        "the API-key lookup was logged by its route"
    );
    assert!(logs.contains("misps/{misp_id}/licenseKey"));
    for (what, secret) in [
        ("API key", api_key.as_str()),
        ("licence key", licence.as_str()),
        ("admin token", admin.as_str()),
        ("partner token", me.as_str()),
        ("dev secret", app.settings.auth.dev_secret.as_str()),
        (
            "MOSIP service secret",
            app.settings.mosip.secret_key.as_str(),
        ),
    ] {
        assert!(!secret.is_empty(), "{what}");
        if let Some(at) = logs.find(secret) {
            let line = logs[..at].rsplit('\n').next().unwrap_or_default();
            panic!("the {what} is in the logs: {line}…");
        }
    }

    // Finished runs keep no credential in their input.
    let inputs: Vec<String> =
        sqlx::query_scalar("SELECT input::text FROM workflow_run WHERE status = 'completed'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(inputs.len() > 3, "{inputs:?}");
    for input in inputs {
        assert!(!input.contains(&api_key), "API key kept in {input}");
        assert!(!input.contains(&licence), "licence key kept in {input}");
    }
}

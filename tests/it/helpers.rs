//! Helpers shared by the modules of the suite (the application itself is
//! [`pmsflow_tests::TestApp`]).

use pmsflow_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// The first PMS error code of a response envelope.
pub fn code(v: &Value) -> Option<&str> {
    v["errors"][0]["errorCode"].as_str()
}

/// The first PMS error message of a response envelope (empty when none).
pub fn message(v: &Value) -> &str {
    v["errors"][0]["message"].as_str().unwrap_or_default()
}

/// A PMS-compatible call ([`TestApp::pms`]): HTTP 200 asserted, the response envelope.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    request: Option<Value>,
) -> Value {
    app.pms(method, path, token, request).await
}

/// A native call with a Bearer token and an optional JSON body: the status and the JSON body
/// (`null` when there is none).
pub async fn native(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Issue a MISP licence for `misp` as partner admin (`POST /misps`); returns the licence key.
pub async fn licence(app: &TestApp, misp: &str) -> String {
    let v: Value = app
        .http
        .post(format!("{}/v1/partnermanager/misps", app.api))
        .bearer_auth(app.admin())
        .json(&serde_json::json!({"request": {"providerId": misp}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["response"]["licenseKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned()
}

/// Wait until every effects run ended; returns how many there were.
pub async fn settle_effects(app: &TestApp) -> usize {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM workflow_run WHERE kind = 'effects' ORDER BY ordering_seq NULLS LAST",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for id in &ids {
        let run = app.wait_run(*id, std::time::Duration::from_secs(60)).await;
        assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    }
    ids.len()
}

/// Create policy `name` in `group` with `document` and publish it as partner admin; returns
/// its id.
pub async fn published_policy(app: &TestApp, group: &str, name: &str, document: Value) -> String {
    let admin = app.admin();
    let created = call(
        app,
        reqwest::Method::POST,
        "/v1/policymanager/policies",
        &admin,
        Some(json!({"policyGroupName": group, "policyType": "Auth", "name": name, "desc": "test policy", "version": "1.0", "policies": document})),
    )
    .await;
    let id = created["response"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let group_id: String = sqlx::query_scalar("SELECT id FROM policy_group WHERE name = $1")
        .bind(group)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let published = call(
        app,
        reqwest::Method::POST,
        &format!("/v1/policymanager/policies/{id}/group/{group_id}/publish"),
        &admin,
        None,
    )
    .await;
    assert_eq!(published["response"]["status"], "PUBLISHED", "{published}");
    id
}

/// MOSIP's example auth policy document (`fixtures/mosip/policies`).
pub fn auth_policy() -> Value {
    let dir = std::env::var("PMSFLOW_SHARED_DIR").unwrap_or_else(|_| "../../shared".into());
    let text = std::fs::read_to_string(format!(
        "{dir}/fixtures/mosip/policies/auth-policy.docs-example.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

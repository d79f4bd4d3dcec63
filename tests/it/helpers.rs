//! Helpers shared by the modules of the suite (the application itself is
//! [`pmsflow_tests::TestApp`]).

use pmsflow_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

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

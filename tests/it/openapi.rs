//! The OpenAPI document and the router come from one source (the handlers' `#[utoipa::path]`
//! attributes, registered with `utoipa_axum::routes!`; `api/clippy.toml` forbids any other
//! registration): every documented operation must be served, and a path the document does not
//! name must not be.

use pmsflow_tests::{TestApp, TestOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;

/// `path` with each `{param}` replaced by a placeholder value.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str("00000000-0000-4000-8000-000000000001");
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn every_documented_operation_is_served_and_nothing_else(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let doc: Value = app
        .http
        .get(format!("{}/v1/openapi.json", app.api))
        .send()
        .await
        .expect("document")
        .json()
        .await
        .expect("JSON");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        // `x-...` keys are extensions of the path item (`x-rest-of-path`), not operations.
        for method in item
            .as_object()
            .expect("path item")
            .keys()
            .filter(|k| !k.starts_with("x-"))
        {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let url = format!("{}{}", app.api, concrete(path));
            // No token: a served route answers (401, 403, 200, 303 ...); only routing answers
            // 404 or 405 to every caller.
            let status = app
                .http
                .request(m, &url)
                .send()
                .await
                .expect("request")
                .status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: documented but answered {status}"
            );
            operations += 1;
        }
    }
    assert!(operations >= 90, "{operations} operations documented");
    // The check can fail: an undocumented path and an undocumented method are not served.
    let missing = app
        .http
        .get(format!(
            "{}/v1/partnermanager/partners/x/undocumented",
            app.api
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let wrong_method = app
        .http
        .delete(format!("{}/v1/partnermanager/partners", app.api))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

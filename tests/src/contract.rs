//! Every response the API gives during the suite is checked against the OpenAPI document
//! (`pmsflow_api::openapi::routes_and_document`): the operation of the request's method and
//! path template, the documented status, and for a JSON body the schema of that status'
//! content, validated with `jsonschema` (the document's `#/components/schemas/*` references
//! resolve against the document itself).
//!
//! A response that contradicts the document is turned into HTTP 599 whose body names the
//! difference, so the test that made the request fails where it reads the answer. With
//! `PMSFLOW_CONTRACT_LOG=<file>` the differences are appended to that file instead and the
//! responses pass unchanged (to survey a change to the document).

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

/// One documented operation: the path template as a matcher and the responses.
struct Operation {
    method: String,
    segments: Vec<Option<String>>,
    /// The last parameter takes the rest of the path (`x-rest-of-path`).
    rest_of_path: bool,
    responses: Value,
}

struct Contract {
    doc: Value,
    operations: Vec<Operation>,
    validators: std::sync::Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let doc = serde_json::to_value(pmsflow_api::openapi::routes_and_document().1)
            .expect("the document serialises");
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let item = item.as_object().expect("path item");
            for (method, op) in item.iter().filter(|(k, _)| !k.starts_with("x-")) {
                operations.push(Operation {
                    method: method.to_uppercase(),
                    segments: path
                        .trim_start_matches('/')
                        .split('/')
                        .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                        .collect(),
                    rest_of_path: item.get(pmsflow_api::openapi::REST_OF_PATH)
                        == Some(&Value::Bool(true)),
                    responses: op["responses"].clone(),
                });
            }
        }
        Contract {
            doc,
            operations,
            validators: Default::default(),
        }
    })
}

impl Contract {
    fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        // Repeated and trailing slashes are one, as the router normalises PMS paths.
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        // Literal segments beat parameters (`/partners/v2` is not `/partners/{partnerId}`).
        self.operations
            .iter()
            .filter(|o| {
                o.method == method
                    && (o.segments.len() == segs.len()
                        || (o.rest_of_path && segs.len() > o.segments.len()))
            })
            .filter(|o| {
                o.segments
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t.as_deref().is_none_or(|t| t == *s))
            })
            .max_by_key(|o| o.segments.iter().filter(|s| s.is_some()).count())
    }

    fn validator(
        &self,
        key: &str,
        schema: &Value,
    ) -> Result<std::sync::Arc<jsonschema::Validator>, String> {
        let mut cache = self.validators.lock().expect("validator cache");
        if let Some(v) = cache.get(key) {
            return Ok(v.clone());
        }
        // The schema, with the document's components beside it so `#/components/...`
        // references resolve.
        let mut root = schema.clone();
        if let Some(obj) = root.as_object_mut() {
            obj.insert("components".into(), self.doc["components"].clone());
        } else {
            return Err(format!("schema of {key} is not an object"));
        }
        let v = std::sync::Arc::new(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&root)
                .map_err(|e| format!("schema of {key} does not compile: {e}"))?,
        );
        cache.insert(key.to_owned(), v.clone());
        Ok(v)
    }

    /// What in this response contradicts the document, if anything.
    fn check(
        &self,
        method: &str,
        path: &str,
        status: StatusCode,
        content_type: &str,
        body: &[u8],
    ) -> Option<String> {
        let Some(op) = self.operation(method, path) else {
            return (status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED)
                .then(|| format!("{method} {path}: no documented operation"));
        };
        let code = status.as_str();
        let Some(resp) = op
            .responses
            .get(code)
            .or_else(|| op.responses.get("default"))
        else {
            return Some(format!("{method} {path}: status {code} is not documented"));
        };
        let media = content_type.split(';').next().unwrap_or_default().trim();
        if !media.ends_with("json") || body.is_empty() {
            return None;
        }
        let schema = resp["content"][media]["schema"].as_object()?;
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return Some(format!("{method} {path} {code}: body is not JSON: {e}")),
        };
        let key = format!("{method} {path} {code} {media}");
        let validator = match self.validator(&key, &Value::Object(schema.clone())) {
            Ok(v) => v,
            Err(e) => return Some(e),
        };
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        (!errors.is_empty()).then(|| format!("{method} {path} {code}: {}", errors.join("; ")))
    }
}

/// The middleware: check the response; on a contradiction answer 599 naming it.
pub async fn check(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Event streams never end: leave them alone.
    if content_type.starts_with("text/event-stream") {
        return Response::from_parts(parts, body);
    }
    let bytes = match to_bytes(body, 64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::from_u16(599).unwrap(),
                format!("unreadable body: {e}"),
            )
                .into_response()
        }
    };
    if let Some(problem) = contract().check(&method, &path, parts.status, &content_type, &bytes) {
        if std::env::var_os("PMSFLOW_CONTRACT_LOG").is_some() {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(std::env::var_os("PMSFLOW_CONTRACT_LOG").unwrap())
            {
                let _ = writeln!(f, "{problem}");
            }
            return Response::from_parts(parts, Body::from(bytes));
        }
        let mut r = (
            StatusCode::from_u16(599).unwrap(),
            axum::Json(json!({"contract": problem})),
        )
            .into_response();
        r.headers_mut()
            .insert("x-contract", HeaderValue::from_static("violated"));
        return r;
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_checked_against_the_document() {
        let c = contract();
        let run = "/v1/runs/00000000-0000-4000-8000-000000000001";
        let json = "application/json";
        // Not a run detail: the schema's required fields are missing.
        let wrong = c.check("GET", run, StatusCode::OK, json, br#"{"run": 5}"#);
        assert!(wrong.is_some_and(|w| w.contains("GET")));
        // A status the operation does not document.
        let teapot = c.check("GET", run, StatusCode::IM_A_TEAPOT, json, b"{}");
        assert!(teapot.is_some_and(|w| w.contains("418")));
        // A path no operation has.
        assert!(c
            .check("GET", "/v1/nowhere", StatusCode::OK, json, b"{}")
            .is_some());
        // Literal segments win over parameters.
        let v2 = c.operation("POST", "/v1/partnermanager/partners/v2");
        assert!(v2.is_some_and(|o| o.segments.iter().all(Option::is_some)));
        // A documented problem+json answer passes.
        let unauthenticated = br#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"a valid bearer token is required","code":"KER-ATH-401"}"#;
        assert_eq!(
            c.check(
                "GET",
                run,
                StatusCode::UNAUTHORIZED,
                "application/problem+json",
                unauthenticated
            ),
            None
        );
    }
}

//! The OpenAPI 3 document of every endpoint, generated from the handlers' `#[utoipa::path]`
//! annotations and doc comments, served at `GET /v1/openapi.json`, and a self-contained HTML
//! rendering of it at `GET /v1/docs` (no script, no external asset: it works offline). Both
//! are public: they describe the API, not its data.
//!
//! The schemas below mirror the JSON the handlers build with `json!` (PMS's DTOs, field names
//! as PMS spells them) and the run views of `pmsflow_store::runs`; they exist only for the
//! document.

use std::sync::OnceLock;
use utoipa_axum::{router::OpenApiRouter, routes};

use axum::{
    http::header,
    response::{IntoResponse, Response},
    Router,
};
use serde_json::Value;
use utoipa::{
    openapi::{
        schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Ref, Schema, SchemaType, Type},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
        RefOr,
    },
    Modify, OpenApi,
};

mod html;
pub mod schemas;

use crate::state::AppState;
use html::render_html;
use schemas::*;

/// The OpenAPI document of the whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pmsflow API",
        description = "Partner Management Service rebuild for MOSIP.\n\n\
            **PMS-compatible endpoints** (`/v1/partnermanager`, `/v1/policymanager`) take the \
            MOSIP request envelope `{id, version, requesttime, metadata, request}` and answer \
            the response envelope `{id, version, responsetime, metadata, response, errors}`. \
            As in PMS, business and validation errors are answered with **HTTP 200**, \
            `response: null` and `errors: [{errorCode, message}]`; a body that does not parse \
            is `PMS_COR_001`. A missing or invalid token is HTTP 401 `KER-ATH-401`, a role \
            that may not call the endpoint HTTP 403 `KER-ATH-403`, an internal failure HTTP \
            500 `PMS_PRT_500`. A partner (any caller without the partner-admin role) acts only \
            on the partner whose id is its user id (`PMS_PRT_055` otherwise).\n\n\
            **Native endpoints** (`/v1/onboardings`, `/v1/runs`) take and answer plain JSON; \
            their errors are RFC 9457 `application/problem+json` with the PMS code in `code`.\n\n\
            Every endpoint but these docs needs a JWT, as `Authorization: Bearer <jwt>` or in \
            the `Authorization` cookie; roles come from `realm_access.roles`.",
        license(name = "MPL-2.0"),
    ),
    components(schemas(ServiceError, PmsErrorEnvelope, ProblemDetails)),
    modifiers(&Security),
    tags(
        (name = "partners", description = "PMS partner management: registration, certificates, \
            updates, contacts, policy mappings, API keys, activation."),
        (name = "policies", description = "PMS policy manager: policy groups and policies \
            (draft, publish, deactivate)."),
        (name = "misp", description = "PMS MISP licence keys."),
        (name = "oidc", description = "PMS OIDC clients in eSignet: create, update, get; each \
            change is a durable run (eSignet call, record, event, audit)."),
        (name = "search", description = "PMS searches (`SearchDto` → `PageResponseDto`) and \
            filter values (`FilterValueDto` → `{filters}`) over partners, partner types, policy \
            requests, API keys, MISP licences, policy groups and policies."),
        (name = "devices", description = "PMS device module: device providers' devices and \
            secure biometric interfaces (SBI), their approval, and which SBI runs which device."),
        (name = "runs", description = "Native API: one-request onboarding and the durable runs \
            behind every change."),
        (name = "schedules", description = "Native API: the scheduler's sweeps (licence and \
            API-key expiry): list, pause, resume, trigger now."),
        (name = "admin", description = "Native operator API, behind the operator console: \
            overview, runs with filters, run detail, retry / skip / cancel / re-publish with a \
            reason (operator audit log), bulk actions as tracked runs, schedules, live events; \
            re-publication of partners' events to the hub. Console roles viewer / operator / \
            admin come from the token's realm roles (`[console]`); a cookie session sends \
            `X-CSRF-Token` with every action."),
        (name = "portal", description = "MOSIP's partner portal (pmp-ui 1.2.0.x): the session \
            calls of PMS's authcodeflowproxy (`validateToken`, `login`, `logout/user`) and, with \
            `[portal] dir`, the built portal under `/pmp/` with its generated `config.json`."),
        (name = "console", description = "The operator console's pages (public HTML and \
            script shells; every datum is read through `/v1/admin`) and its dev sign-in."),
        (name = "docs", description = "This document."),
    )
)]
pub struct ApiDoc;

/// Adds the two security schemes the paths name.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Keycloak RS256 token (mode `jwks`) or a dev HS256 token \
                         (`pmsflow token`); roles from `realm_access.roles`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "Authorization",
                "The same JWT in the `Authorization` cookie, as MOSIP's partner portal sends it.",
            ))),
        );
    }
}

/// Makes the payload of each `PmsRequest_X` / `PmsResponse_X` envelope a reference to the
/// named schema `X` (utoipa inlines generic arguments), so the document and the HTML page name
/// the payload type.
struct EnvelopeRefs;

impl Modify for EnvelopeRefs {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let names: Vec<String> = components.schemas.keys().cloned().collect();
        for name in names {
            let (field, inner, description) = if let Some(inner) = name.strip_prefix("PmsRequest_")
            {
                ("request", inner, "The payload.")
            } else if let Some(inner) = name.strip_prefix("PmsResponse_") {
                ("response", inner, "The payload, or null on error.")
            } else {
                continue;
            };
            let (array, inner) = match inner.strip_prefix("Vec_") {
                Some(item) => (true, item),
                None => (false, inner),
            };
            let nullable = field == "response";
            let replacement: RefOr<Schema> = if !components.schemas.contains_key(inner) {
                // A plain value (`String`): keep it inline, nullable, described.
                if inner != "String" || array {
                    continue;
                }
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(description))
                    .into()
            } else {
                let reference = RefOr::Ref(Ref::from_schema_name(inner));
                match (array, nullable) {
                    (true, _) => ArrayBuilder::new()
                        .schema_type(if nullable {
                            SchemaType::from_iter([Type::Array, Type::Null])
                        } else {
                            SchemaType::new(Type::Array)
                        })
                        .items(reference)
                        .description(Some(description))
                        .into(),
                    (false, true) => OneOfBuilder::new()
                        .item(ObjectBuilder::new().schema_type(Type::Null))
                        .item(reference)
                        .description(Some(description))
                        .into(),
                    (false, false) => reference,
                }
            };
            if let Some(RefOr::T(Schema::Object(envelope))) = components.schemas.get_mut(&name) {
                envelope.properties.insert(field.to_owned(), replacement);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Serving.

/// Every route of the API with the OpenAPI document of exactly those routes: each surface
/// registers its handlers from their `#[utoipa::path]` attributes (`utoipa_axum::routes!`),
/// so a route is served if and only if it is documented. The payload types of the PMS
/// envelopes are then named ([`EnvelopeRefs`]).
pub fn routes_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::pms::routes())
        .merge(crate::native::routes())
        .merge(crate::console::routes())
        .merge(crate::portal::routes())
        .merge(routes())
        .split_for_parts();
    EnvelopeRefs.modify(&mut doc);
    plain_wildcards(&mut doc);
    (router, doc)
}

/// Extension of a path item whose last parameter takes the rest of the path, slashes
/// included (axum's `{*name}`), which OpenAPI's path templates cannot say.
pub const REST_OF_PATH: &str = "x-rest-of-path";

/// axum's catch-all segments (`/pmp/{*path}`) as OpenAPI path parameters (`/pmp/{path}`),
/// whose names carry no `*`, the path item marked [`REST_OF_PATH`].
fn plain_wildcards(doc: &mut utoipa::openapi::OpenApi) {
    let paths = std::mem::take(&mut doc.paths.paths);
    doc.paths.paths = paths
        .into_iter()
        .map(|(path, mut item)| {
            if path.contains("{*") {
                item.extensions
                    .get_or_insert_with(Default::default)
                    .insert(REST_OF_PATH.to_owned(), Value::Bool(true));
            }
            (path.replace("{*", "{"), item)
        })
        .collect();
}

/// Routes of the document and its HTML page.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(docs_page))
}

fn document() -> &'static (String, String) {
    static DOC: OnceLock<(String, String)> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, doc) = routes_and_document();
        let json = doc.to_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "OpenAPI document does not serialise");
            "{}".to_owned()
        });
        let value: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        (json, render_html(&value))
    })
}

/// The OpenAPI 3 document of this API.
///
/// Generated from the handlers' annotations and doc comments; no authentication.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document (JSON).", content_type = "application/json", body = Object)),
)]
async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document().0.as_str(),
    )
        .into_response()
}

/// This API's documentation as an HTML page.
///
/// A self-contained rendering of `/v1/openapi.json` (no script, no external asset); no
/// authentication.
#[utoipa::path(
    get,
    path = "/v1/docs",
    tag = "docs",
    responses((status = 200, description = "HTML page.", content_type = "text/html", body = String)),
)]
async fn docs_page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        document().1.as_str(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{json, Value};
    use time::macros::datetime;

    use super::html::{anchor, esc, text};
    use super::*;
    use uuid::Uuid;

    fn doc() -> Value {
        serde_json::from_str(&document().0).expect("the served document is JSON")
    }

    fn documented(doc: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, _) in item.as_object().expect("path item") {
                // `x-...` keys are extensions of the path item, not operations.
                if !method.starts_with("x-") {
                    out.push((method.clone(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn document_is_openapi_3_and_serves_as_json() {
        let doc = doc();
        let version = doc["openapi"].as_str().expect("openapi version");
        assert!(version.starts_with("3."), "{version}");
        assert_eq!(doc["info"]["title"], "pmsflow API");
        // The typed document and the served text agree.
        assert_eq!(
            serde_json::to_value(routes_and_document().1).expect("serialises"),
            doc
        );
    }

    #[test]
    fn operations_are_complete() {
        let doc = doc();
        let tags: BTreeSet<&str> = doc["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        let mut ids = BTreeSet::new();
        for (method, path) in documented(&doc) {
            let op = &doc["paths"][&path][&method];
            let what = format!("{method} {path}");
            let id = op["operationId"].as_str().expect("operationId");
            assert!(
                ids.insert(id.to_owned()),
                "{what}: duplicate operationId {id}"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: no summary"
            );
            let tag = op["tags"][0].as_str().expect("a tag");
            assert!(tags.contains(tag), "{what}: unknown tag {tag}");
            // Path parameters are declared exactly.
            let in_path: BTreeSet<String> = path
                .split('{')
                .skip(1)
                .map(|s| s[..s.find('}').expect("}")].to_owned())
                .collect();
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(in_path, declared, "{what}: path parameters");
            let responses = op["responses"].as_object().expect("responses");
            // The portal's sign-in, sign-out and files are public; its `validateToken` answers
            // any session, whatever its roles (so no 403).
            let any_session = path == "/v1/partnermanager/authorize/admin/validateToken";
            if tag == "docs" || tag == "console" || (tag == "portal" && !any_session) {
                assert!(op.get("security").is_none(), "{what}: pages are public");
                continue;
            }
            let security = op["security"].as_array().expect("security");
            assert_eq!(
                security,
                &vec![json!({ BEARER: [] }), json!({ COOKIE: [] })],
                "{what}"
            );
            assert!(responses.contains_key("401"), "{what}: no 401");
            if path.starts_with("/v1/partnermanager") || path.starts_with("/v1/policymanager") {
                assert!(responses.contains_key("200"), "{what}: no 200");
                assert!(
                    any_session || responses.contains_key("403"),
                    "{what}: no 403"
                );
                let ok = responses["200"]["description"].as_str().unwrap_or_default();
                assert!(
                    ok.contains("`response`"),
                    "{what}: 200 describes no payload"
                );
                if !any_session {
                    assert_eq!(
                        responses["403"]["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/PmsErrorEnvelope"
                    );
                }
                let body = &responses["200"]["content"]["application/json"]["schema"]["$ref"];
                assert!(
                    body.as_str()
                        .is_some_and(|r| r.starts_with("#/components/schemas/PmsResponse_")),
                    "{what}: 200 is not a PMS envelope"
                );
                if let Some(req) = op.get("requestBody") {
                    assert!(
                        req["content"]["application/json"]["schema"]["$ref"]
                            .as_str()
                            .is_some_and(|r| r.starts_with("#/components/schemas/PmsRequest_")),
                        "{what}: request is not a PMS envelope"
                    );
                }
            }
        }
        // Every PMS write with a body documents it (publish, group mapping and credential-type
        // mapping take their input from the path only).
        for (method, path) in documented(&doc) {
            let (method, path) = (method.as_str(), path.as_str());
            let pms =
                path.starts_with("/v1/partnermanager") || path.starts_with("/v1/policymanager");
            if pms
                && matches!(method, "post" | "put" | "patch")
                && !path.ends_with("/publish")
                && !path.contains("/policygroup/")
                && !path.contains("/credentialtype/")
            {
                assert!(
                    doc["paths"][path][method].get("requestBody").is_some(),
                    "{method} {path}: no request body"
                );
            }
        }
    }

    #[test]
    fn references_resolve_and_security_schemes_exist() {
        let doc = doc();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::String(r)) = o.get("$ref") {
                        out.push(r);
                    }
                    o.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 100);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {r}"));
            assert!(schemas.contains_key(name), "dangling reference {r}");
        }
        // Envelopes name their payload.
        assert_eq!(
            schemas["PmsRequest_CaUpload"]["properties"]["request"]["$ref"],
            "#/components/schemas/CaUpload"
        );
        assert_eq!(
            schemas["PmsResponse_Vec_MispLicence"]["properties"]["response"]["items"]["$ref"],
            "#/components/schemas/MispLicence"
        );
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("schemes");
        assert_eq!(schemes[BEARER]["scheme"], "bearer");
        assert_eq!(schemes[COOKIE]["in"], "cookie");
        assert_eq!(schemes[COOKIE]["name"], "Authorization");
        // The v2 registration is documented as the v1 one.
        let v1 = &doc["paths"]["/v1/partnermanager/partners"]["post"];
        let v2 = &doc["paths"]["/v1/partnermanager/partners/v2"]["post"];
        assert_eq!(v1["requestBody"], v2["requestBody"]);
        assert_eq!(v2["operationId"], "register_v2");
    }

    fn property_names(doc: &Value, schema: &str) -> BTreeSet<String> {
        let s = &doc["components"]["schemas"][schema];
        let mut out = BTreeSet::new();
        let mut parts = vec![s];
        if let Some(all) = s["allOf"].as_array() {
            parts.extend(all);
        }
        for part in parts {
            if let Some(r) = part["$ref"].as_str() {
                out.extend(property_names(doc, r.rsplit('/').next().unwrap_or(r)));
            }
            if let Some(props) = part["properties"].as_object() {
                out.extend(props.keys().cloned());
            }
        }
        out
    }

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().expect("object").keys().cloned().collect()
    }

    #[test]
    fn schemas_mirror_what_the_handlers_send() {
        use pmsflow_store::{
            policies::{PolicyGroupRow, PolicyRow},
            runs::{AttemptView, RunDetail, RunPage, RunSummary, StepView},
        };
        let doc = doc();
        let at = datetime!(2026-01-02 03:04:05 UTC);
        let group = PolicyGroupRow {
            id: "g".into(),
            name: "group".into(),
            descr: "d".into(),
            is_active: true,
            cr_by: "admin".into(),
            cr_dtimes: at,
            upd_by: None,
            upd_dtimes: None,
        };
        let policy = PolicyRow {
            id: "p".into(),
            policy_group_id: "g".into(),
            policy_group_name: "group".into(),
            name: "policy".into(),
            descr: "d".into(),
            policy_file_id: json!({}),
            policy_type: "Auth".into(),
            version: "1.0".into(),
            policy_schema: None,
            valid_from_date: at,
            valid_to_date: at,
            is_active: false,
            cr_by: "admin".into(),
            cr_dtimes: at,
            upd_by: None,
            upd_dtimes: None,
        };
        assert_eq!(
            keys(&crate::pms::views::group_json(&group)),
            property_names(&doc, "PolicyGroup")
        );
        assert_eq!(
            keys(&crate::pms::views::group_entity_json(&group)),
            property_names(&doc, "PolicyGroupEntity")
        );
        assert_eq!(
            keys(&crate::pms::views::policy_json(&policy, &group)),
            property_names(&doc, "PolicyResponseDto")
        );

        let summary = RunSummary {
            id: Uuid::nil(),
            kind: "onboarding".into(),
            version: 1,
            subject: Some("p".into()),
            status: "running".into(),
            error_code: None,
            error_message: None,
            created_by: "p".into(),
            owner_partner_id: Some("p".into()),
            created_at: at,
            finished_at: None,
        };
        let detail = RunDetail {
            run: summary.clone(),
            input: json!({}),
            steps: vec![StepView {
                id: Uuid::nil(),
                key: "validate".into(),
                seq: 1,
                status: "succeeded".into(),
                required: true,
                attempt: 1,
                max_attempts: 3,
                next_attempt_at: None,
                output: None,
                last_error: None,
                started_at: Some(at),
                finished_at: Some(at),
                attempts: vec![AttemptView {
                    attempt: 1,
                    outcome: "succeeded".into(),
                    error: None,
                    worker: None,
                    started_at: Some(at),
                    finished_at: at,
                }],
            }],
        };
        let detail = serde_json::to_value(&detail).expect("serialises");
        assert_eq!(keys(&detail), property_names(&doc, "RunDetail"));
        assert_eq!(keys(&detail["steps"][0]), property_names(&doc, "StepView"));
        assert_eq!(
            keys(&detail["steps"][0]["attempts"][0]),
            property_names(&doc, "AttemptView")
        );
        let page = serde_json::to_value(RunPage {
            runs: vec![summary],
            next_cursor: None,
        })
        .expect("serialises");
        assert_eq!(keys(&page), property_names(&doc, "RunPage"));
        assert_eq!(keys(&page["runs"][0]), property_names(&doc, "RunSummary"));
    }

    #[test]
    fn html_escapes_and_marks_code() {
        assert_eq!(
            esc("<a href='x'>\"&\""),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;"
        );
        assert_eq!(
            text("use `<b>` & **go**\n\nnext"),
            "use <code>&lt;b&gt;</code> &amp; <b>go</b><br><br>next"
        );
        assert_eq!(anchor("op-", "a_b c/{d}"), "op-a_b-c--d-");
        // Hostile text in a document stays text.
        let page = render_html(&json!({
            "info": {"title": "<script>alert(1)</script>", "version": "1"},
            "paths": {"/x/{id}": {"get": {
                "operationId": "x\"><img>", "summary": "<i>s</i>", "tags": ["t"],
                "responses": {"200": {"description": "ok"}}
            }}},
        }));
        assert!(!page.contains("<script>") && !page.contains("<img>") && !page.contains("<i>"));
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn html_page_lists_every_operation_and_schema() {
        let doc = doc();
        let page = &document().1;
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script"), "the page runs no script");
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no external asset"
        );
        for (method, path) in documented(&doc) {
            let id = doc["paths"][&path][&method]["operationId"]
                .as_str()
                .unwrap_or("");
            assert!(
                page.contains(&format!("id=\"{}\"", esc(&anchor("op-", id)))),
                "{method} {path} is not on the page"
            );
            assert!(page.contains(&format!("<code>{}</code>", esc(&path))));
        }
        for name in doc["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .keys()
        {
            assert!(
                page.contains(&format!("id=\"{}\"", anchor("schema-", name))),
                "{name}"
            );
        }
        for tag in ["partners", "policies", "misp", "runs"] {
            assert!(page.contains(&format!("id=\"tag-{tag}\"")), "{tag}");
        }
    }

    #[tokio::test]
    async fn handlers_serve_the_document_and_the_page() {
        let r = openapi_json().await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        let served: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(served, doc());

        let r = docs_page().await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        assert_eq!(std::str::from_utf8(&body).expect("UTF-8"), document().1);
    }
}

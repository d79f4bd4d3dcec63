//! # pmsflow-api
//!
//! The HTTP API (axum): PMS-compatible partner endpoints under `/v1/partnermanager` (PMS's
//! paths, envelopes, validation order and error codes, errors with HTTP 200) and the native run
//! API under `/v1` (RFC 9457 problem+json errors). Every endpoint authenticates the caller
//! (JWT from `Authorization: Bearer` or the `Authorization` cookie) and checks its roles; only
//! the API's own documentation (`/v1/openapi.json`, `/v1/docs`) is public.
//!
//! # Layout
//! - [`access`]: token verification (dev key or IdP JWKS), the extractors of each surface,
//!   CSRF, PMS's role lists per endpoint, the console's access rules.
//! - [`error`]: PMS error envelopes and problem+json.
//! - [`pms`]: the PMS-compatible surface (partners, certificates, API keys, policies, MISP
//!   licences, OIDC clients, credentials, lookups, searches).
//! - [`native`]: onboardings, runs, re-publication, schedules.
//! - [`console`]: the operator console's pages and its JSON API under `/v1/admin`.
//! - [`portal`]: MOSIP's partner portal: its session calls (`validateToken`, `login`,
//!   `logout/user`) and the built portal under `/pmp/`.
//! - [`services`]: work shared by several handler modules (registration, effects runs,
//!   waiting for a run, re-publication, schedules, the operator's reason, eSignet directory).
//! - [`openapi`]: the OpenAPI 3 document of every endpoint (`GET /v1/openapi.json`) and its
//!   self-contained HTML rendering (`GET /v1/docs`), both without authentication.
//! - [`state`]: shared handles.
//!
//! Imports flow one way: handlers → `services`, `access`, `error`, `state`; no handler module
//! imports another surface's handlers.

pub mod access;
pub mod console;
pub mod error;
pub mod native;
pub mod openapi;
pub mod pms;
pub mod portal;
pub mod services;
pub mod state;

use axum::{extract::DefaultBodyLimit, http::StatusCode, Router};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::{normalize_path::NormalizePath, timeout::TimeoutLayer, trace::TraceLayer};

pub use state::AppState;

/// The whole API router, every request bounded by `state.limits`: body size (413), time until
/// the answer starts (503) and requests at once (the rest wait for a slot).
pub fn router(state: AppState) -> Router {
    let (routed, _) = openapi::routes_and_document();
    let limits = state.limits;
    let routed = routed
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.timeout,
        ))
        .layer(GlobalConcurrencyLimitLayer::new(limits.max_concurrent))
        .layer(axum::middleware::from_fn(access::transport::hsts))
        .layer(axum::middleware::from_fn(count_request))
        .layer(axum::middleware::from_fn(keep_traceparent))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state);
    // A trailing slash is ignored, as Spring's default path matching in PMS ignores it
    // (`PUT /partners/policy/` reaches `PUT /partners/{partnerId}`), and on PMS paths repeated
    // slashes are one, as MOSIP's ingress (nginx `merge_slashes`) makes them. The normalisers
    // must run before routing, so the routed app is the fallback of an outer router with no
    // routes.
    let normalised = tower::ServiceBuilder::new()
        .map_request(merge_pms_slashes)
        .service(NormalizePath::trim_trailing_slash(routed));
    Router::new().fallback_service(normalised)
}

/// The PMS path prefixes whose repeated slashes are merged ([`merge_pms_slashes`]).
const PMS_PREFIXES: [&str; 2] = ["/v1/partnermanager/", "/v1/policymanager/"];

/// `/v1/policymanager/policies/group//filtervalues` (as MOSIP's partner portal sends it) →
/// `/v1/policymanager/policies/group/filtervalues`: on PMS paths only, every run of slashes
/// becomes one, the query kept. Other paths and URIs without `//` are left as they are.
fn merge_pms_slashes(
    mut req: axum::http::Request<axum::body::Body>,
) -> axum::http::Request<axum::body::Body> {
    let path = req.uri().path();
    if !path.contains("//") {
        return req;
    }
    let mut merged = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && merged.ends_with('/')) {
            merged.push(c);
        }
    }
    if !PMS_PREFIXES.iter().any(|p| merged.starts_with(p)) {
        return req;
    }
    if let Some(query) = req.uri().query() {
        merged = format!("{merged}?{query}");
    }
    let mut parts = req.uri().clone().into_parts();
    if let Ok(path_and_query) = merged.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// The span of a request: method and route template (`/v1/partnermanager/partners/{partner_id}/apikey/{api_key}`),
/// never the URI, whose path and query can hold an API key or a token.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", axum::extract::MatchedPath::as_str);
    tracing::info_span!("request", method = %req.method(), route)
}

/// Serve the request with its W3C `traceparent` (if valid) as the current one, so the runs it
/// creates keep it ([`pmsflow_store::trace`]).
async fn keep_traceparent(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let traceparent = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(pmsflow_store::trace::parse);
    pmsflow_store::trace::scope(traceparent, next.run(req)).await
}

/// Count the request in `pmsflow_http_requests_total` and time it in
/// `pmsflow_http_request_duration_seconds`, by route template (never the URI).
async fn count_request(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    pmsflow_store::metrics::http_request(
        &route,
        &method,
        resp.status().as_u16(),
        started.elapsed(),
    );
    resp
}

#[cfg(test)]
mod layout {
    //! The rules of `# Layout`, checked on the sources: no import circle between modules,
    //! and a handler module imports only `access`, `error`, `state`, `services`, the
    //! OpenAPI schemas and its own surface's shared modules, never another handler module.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Module path (`pms::guard`) → source of every file of the crate.
    fn modules() -> BTreeMap<String, String> {
        fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
            for entry in std::fs::read_dir(dir).expect("src is readable") {
                let path = entry.expect("dir entry").path();
                let stem = path.file_stem().unwrap().to_string_lossy().to_string();
                let name = if prefix.is_empty() {
                    stem.clone()
                } else {
                    format!("{prefix}::{stem}")
                };
                if path.is_dir() {
                    walk(&path, &name, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let module = match stem.as_str() {
                        "lib" => String::new(),
                        "mod" => prefix.to_owned(),
                        _ => name,
                    };
                    out.insert(module, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            "",
            &mut out,
        );
        out
    }

    /// The paths of a use tree (`a::{b::c, d::{e, f}}` → `a::b::c`, `a::d::e`, `a::d::f`).
    fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        let Some(open) = tree.find('{') else {
            out.push(format!("{prefix}{tree}"));
            return;
        };
        let head = format!("{prefix}{}", &tree[..open]);
        let close = tree.rfind('}').unwrap_or(tree.len());
        let (mut depth, mut entry) = (0, String::new());
        for c in tree[open + 1..close].chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&std::mem::take(&mut entry), &head, out);
                    continue;
                }
                _ => {}
            }
            entry.push(c);
        }
        if !entry.trim().is_empty() {
            expand(&entry, &head, out);
        }
    }

    /// The modules `src` names through `crate::` paths (use trees included), each resolved
    /// to the longest module path that exists.
    fn imports(src: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
        let code: String = src
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut paths = Vec::new();
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            // The path runs to the end of its use tree (matching braces) or of the path.
            let (mut depth, mut end) = (0i32, rest.len());
            for (at, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => {
                        end = at;
                        break;
                    }
                    _ => {}
                }
                if depth == 0 && c == '}' {
                    end = at + 1;
                    break;
                }
            }
            expand(&rest[..end], "", &mut paths);
        }
        let mut out = BTreeSet::new();
        for p in paths {
            let p = p.split(" as ").next().unwrap_or_default().trim();
            let segs: Vec<&str> = p
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            for n in (1..=segs.len()).rev() {
                let m = segs[..n].join("::");
                if known.contains(&m) {
                    out.insert(m);
                    break;
                }
            }
        }
        out
    }

    /// The child modules whose items `src` (a `mod.rs`) re-exports with `pub use child::...`.
    fn re_exported(module: &str, src: &str) -> Vec<String> {
        src.lines()
            .filter_map(|l| l.trim().strip_prefix("pub use "))
            .filter_map(|l| l.split("::").next())
            .filter(|child| child.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(|child| {
                if module.is_empty() {
                    child.to_owned()
                } else {
                    format!("{module}::{child}")
                }
            })
            .collect()
    }

    /// Module → the modules it imports; importing a module that re-exports items of its
    /// children counts as importing those children too.
    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let modules = modules();
        let known: BTreeSet<String> = modules.keys().cloned().collect();
        modules
            .iter()
            .map(|(m, src)| {
                let mut deps = imports(src, &known);
                let through: Vec<String> = deps
                    .iter()
                    .flat_map(|d| re_exported(d, &modules[d]))
                    .filter(|c| known.contains(c))
                    .collect();
                deps.extend(through);
                deps.remove(m);
                (m.clone(), deps)
            })
            .collect()
    }

    #[test]
    fn no_import_circle_between_modules() {
        let g = graph();
        assert!(g.len() > 20, "{} modules read", g.len());
        // Depth-first search for a back edge.
        fn visit(
            m: &str,
            g: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) {
            if done.contains(m) {
                return;
            }
            if let Some(at) = path.iter().position(|p| p == m) {
                panic!("import circle: {} -> {m}", path[at..].join(" -> "));
            }
            path.push(m.to_owned());
            for d in &g[m] {
                visit(d, g, path, done);
            }
            path.pop();
            done.insert(m.to_owned());
        }
        let mut done = BTreeSet::new();
        for m in g.keys() {
            visit(m, &g, &mut Vec::new(), &mut done);
        }
    }

    #[test]
    fn handlers_import_no_other_handler_module() {
        // Shared modules of each surface that its handlers may import.
        let shared = [
            "access",
            "error",
            "state",
            "services",
            "openapi::schemas",
            "pms::envelope",
            "pms::guard",
            "pms::views",
        ];
        let allowed = |dep: &str| {
            shared
                .iter()
                .any(|s| dep == *s || dep.starts_with(&format!("{s}::")))
        };
        let g = graph();
        for (m, deps) in &g {
            let handler = ["pms::", "native::", "console::"]
                .iter()
                .any(|s| m.starts_with(s))
                && !allowed(m);
            if !handler {
                continue;
            }
            for d in deps {
                assert!(allowed(d), "handler module {m} imports {d}");
            }
        }
    }
}

//! The sandbox's own endpoints under `/_sandbox` (no token needed): the effect ledger, fault
//! configuration and what the fake services recorded.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultConfig;
use crate::{lock, App};

/// `?service=` filter of `GET /_sandbox/ledger`.
#[derive(Debug, Deserialize)]
pub(crate) struct LedgerQuery {
    service: Option<String>,
}

/// `GET /_sandbox/ledger[?service=keymanager]`: the ledger as a JSON array.
pub(crate) async fn ledger(
    State(app): State<Arc<App>>,
    Query(query): Query<LedgerQuery>,
) -> Response {
    Json(app.ledger.entries(query.service.as_deref())).into_response()
}

/// `GET /_sandbox/faults`: the configuration in force.
pub(crate) async fn get_faults(State(app): State<Arc<App>>) -> Response {
    Json(lock(&app.faults).clone()).into_response()
}

/// `PUT /_sandbox/faults`: replaces the configuration; 400 with `{"error": …}` when a key or
/// rate is invalid (the previous configuration stays).
pub(crate) async fn put_faults(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let config: FaultConfig = match serde_json::from_slice(&body) {
        Ok(config) => config,
        Err(error) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": error.to_string()})),
            )
                .into_response()
        }
    };
    if let Err(error) = config.validate() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": error.to_string()})),
        )
            .into_response();
    }
    *lock(&app.faults) = config.clone();
    Json(config).into_response()
}

/// `DELETE /_sandbox/faults`: no faults any more.
pub(crate) async fn delete_faults(State(app): State<Arc<App>>) -> Response {
    *lock(&app.faults) = FaultConfig::default();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_sandbox/websub/publishes`.
pub(crate) async fn publishes(State(app): State<Arc<App>>) -> Response {
    Json(lock(&app.websub).publishes().to_vec()).into_response()
}

/// `GET /_sandbox/emails`.
pub(crate) async fn emails(State(app): State<Arc<App>>) -> Response {
    Json(lock(&app.emails).clone()).into_response()
}

/// `GET /_sandbox/audits`.
pub(crate) async fn audits(State(app): State<Arc<App>>) -> Response {
    Json(lock(&app.audits).clone()).into_response()
}

/// `GET /_sandbox/esignet/clients`: the registered OIDC clients, in creation order.
pub(crate) async fn esignet_clients(State(app): State<Arc<App>>) -> Response {
    Json(lock(&app.esignet).clients()).into_response()
}

/// `GET /_sandbox/health`: `{"status":"UP"}`, plus the PMS and root certificates so a
/// client can pin them.
pub(crate) async fn health(State(app): State<Arc<App>>) -> Response {
    Json(json!({
        "status": "UP",
        "rootCertificate": app.ca.root().to_pem(),
        "pmsCertificate": app.ca.pms().to_pem(),
    }))
    .into_response()
}

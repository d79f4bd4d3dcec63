//! Re-publication of partners' events (native, `/v1/admin/republish`;
//! [`pmsflow_core::republish`]): what MOSIP's migration utility does by hand, as a tracked run.
//!
//! - `POST /v1/admin/republish` `{partnerId | partnerType | all: true, topics?}`: snapshots the
//!   selected partners and starts a `republish` run (one step per `republish.batch` partners);
//!   `202 {runId, total, topics, links}`.
//! - `GET /v1/admin/republish/{runId}`: `{runId, status, selection, topics, done, total}`, done
//!   and total in partners.
//!
//! Role lists `pmsflowrepublish` (start) and `pmsflowschedules` (read), PARTNER_ADMIN by default.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use pmsflow_core::republish::{self, Selection};
use pmsflow_store::{republish::progress, runs};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access::NativeCaller;
use crate::access::RoleKey;
use crate::error::{parse_json, Problem};
use crate::services::republish::enqueue;
use crate::state::AppState;

/// Routes under `/v1/admin/republish`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(status))
}

/// Body of `POST /v1/admin/republish`: exactly one of `partnerId`, `partnerType`, `all`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepublishRequest {
    /// One partner.
    #[serde(default)]
    pub partner_id: Option<String>,
    /// Every partner of this type (`Auth_Partner`, `MISP_Partner`...).
    #[serde(default)]
    pub partner_type: Option<String>,
    /// Every partner.
    #[serde(default)]
    pub all: bool,
    /// Topics to replay (default all five: `PARTNER_UPDATED`, `CA_CERTIFICATE_UPLOADED`,
    /// `APIKEY_APPROVED`, `MISP_LICENSE_GENERATED`, `OIDC_CLIENT_CREATED`).
    #[serde(default)]
    pub topics: Vec<String>,
}

/// Re-publish partners' events.
///
/// Snapshots the selected partners and starts a `republish` run whose steps replay, per
/// partner, `PARTNER_UPDATED` and `CA_CERTIFICATE_UPLOADED` (current certificate, fresh
/// datashare), `APIKEY_APPROVED` (active keys), `MISP_LICENSE_GENERATED` (active licences) and
/// `OIDC_CLIENT_CREATED` (registered clients), at most `republish.rate_per_s` events per second
/// per worker.
#[utoipa::path(
    post,
    path = "/v1/admin/republish",
    tag = "admin",
    request_body = RepublishRequest,
    responses(
        (status = 202, description = "`{runId, total, topics, links: {self, run}}`; follow progress at `links.self`.", body = crate::openapi::schemas::RepublishAccepted),
        (status = 400, description = "Body is not JSON of this shape: `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Unknown partner (`PMS_PRT_005`) or partner type (`PMS_PRT_072`... `PMSFLOW_UNKNOWN_PARTNER_TYPE`).", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Not exactly one of `partnerId`, `partnerType`, `all: true`, or a topic that cannot be replayed: `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn start(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    if !state.roles.allows(RoleKey::PmsflowRepublish, &caller) {
        return Err(Problem::forbidden());
    }
    let req: RepublishRequest = parse_json(&body)?;
    let selection = Selection::from_request(
        req.partner_id.as_deref(),
        req.partner_type.as_deref(),
        req.all,
    )
    .map_err(|e| Problem::invalid(e.to_string()))?;
    let topics = republish::topics(&req.topics).map_err(|e| Problem::invalid(e.to_string()))?;
    let mut tx = state.pool.begin().await?;
    let (id, input) = enqueue(&mut tx, &state, &caller.user_id, selection, topics).await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "runId": id,
            "total": input.total,
            "topics": input.topics,
            "links": {"self": format!("/v1/admin/republish/{id}"), "run": format!("/v1/runs/{id}")},
        })),
    )
        .into_response())
}

/// Progress of a re-publication.
///
/// `{runId, status, selection, topics, done, total}`: `done` counts the partners of the
/// batches replayed so far, `status` is the run's (`running`, `completed`, `failed`,
/// `cancelled`).
#[utoipa::path(
    get,
    path = "/v1/admin/republish/{id}",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Run id")),
    responses(
        (status = 200, description = "Progress.", body = crate::openapi::schemas::RepublishProgress),
        (status = 404, description = "No re-publication run with this id.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn status(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if !state.roles.allows(RoleKey::PmsflowSchedules, &caller) {
        return Err(Problem::forbidden());
    }
    let id = Uuid::parse_str(&id).map_err(|_| Problem::not_found("re-publication"))?;
    let Some((done, total)) = progress(&state.pool, id).await? else {
        return Err(Problem::not_found("re-publication"));
    };
    let Some(run) = runs::get_run(&state.pool, id).await? else {
        return Err(Problem::not_found("re-publication"));
    };
    Ok(Json(json!({
        "runId": id,
        "status": run.run.status,
        "selection": run.input.get("selection"),
        "topics": run.input.get("topics"),
        "done": done,
        "total": total,
    }))
    .into_response())
}

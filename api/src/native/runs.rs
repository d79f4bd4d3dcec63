//! The native API: onboardings in one request, and runs.
//!
//! - `POST /v1/onboardings`: partner details, CA chain and partner certificate in one request;
//!   the partner is registered and the onboarding run enqueued in one transaction; `202` with
//!   the run id. An `Idempotency-Key` header makes a replay return the same run (`200`).
//! - `GET /v1/runs/{id}`: the run with its steps and every attempt's error.
//! - `GET /v1/runs?kind=&status=&partner_id=&cursor=&limit=`: newest first, keyset-paged.
//!
//! A caller with the run readers' role (`[roles] pmsflowruns`: partner admins and console
//! roles by default) sees every run; any other caller sees only the runs its partner owns
//! (`owner_partner_id`, set when the run was created), never a match on names. Inputs,
//! outputs and errors are redacted as the console's are ([`pmsflow_core::redact`]).

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use pmsflow_core::codes;
use pmsflow_store::{
    partners,
    runs::{self, RunFilter},
};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access::NativeCaller;
use crate::access::RoleKey;
use crate::error::Problem;
use crate::state::AppState;

/// Routes of the native API.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_run))
        .routes(routes!(list))
        .routes(routes!(certificates))
}

/// Get a run with its steps and every attempt.
///
/// Run readers (`pmsflowruns`) see every run, other callers the runs their partner owns; a
/// run the caller may not see is answered as not found. Credentials in the input, outputs and
/// errors (licence keys, API keys, secrets) are redacted.
#[utoipa::path(
    get,
    path = "/v1/runs/{id}",
    tag = "runs",
    params(("id" = uuid::Uuid, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run (`RunSummary` fields) with `input` and `steps[].attempts[]`.", body = crate::openapi::schemas::RunDetail),
        (status = 404, description = "No such run, not a UUID, or another partner's run.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 410, description = "`PMSFLOW_RUN_PRUNED`: the run ended more than `engine.retention_days` ago and the run-retention sweep deleted it (answered to run readers; others get 404).", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_run(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = Uuid::parse_str(&id).map_err(|_| Problem::not_found("run"))?;
    let Some(run) = runs::get_run(&state.pool, id).await? else {
        // A pruned run's owner is gone with it: only run readers learn that it existed.
        if state.roles.allows(RoleKey::PmsflowRuns, &caller)
            && pmsflow_store::sweeps::was_pruned(&state.pool, id).await?
        {
            return Err(Problem::pruned(id));
        }
        return Err(Problem::not_found("run"));
    };
    let own = run.run.owner_partner_id.as_deref() == Some(caller.user_id.as_str());
    if !own && !state.roles.allows(RoleKey::PmsflowRuns, &caller) {
        // Do not reveal that another partner's run exists.
        return Err(Problem::not_found("run"));
    }
    Ok(Json(redacted(&run)?).into_response())
}

/// Query of `GET /v1/runs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Workflow kind.
    pub kind: Option<String>,
    /// Run status.
    pub status: Option<String>,
    /// Partner id (subject).
    pub partner_id: Option<String>,
    /// Id of the last run of the previous page.
    pub cursor: Option<Uuid>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<i64>,
}

/// List runs, newest first.
///
/// Keyset-paged: pass the previous page's `next_cursor` as `cursor`. Run readers
/// (`pmsflowruns`) see every run, other callers the runs their partner owns.
#[utoipa::path(
    get,
    path = "/v1/runs",
    operation_id = "list_runs",
    tag = "runs",
    params(ListQuery),
    responses(
        (status = 200, description = "`{runs, next_cursor}`.", body = crate::openapi::schemas::RunPage),
        (status = 400, description = "Invalid query (e.g. `cursor` not a UUID, `limit` not a number): `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn list(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| {
        Problem::new(StatusCode::BAD_REQUEST, "Invalid query", e.body_text())
            .with_code(codes::PMS_COR_001)
    })?;
    let filter = RunFilter {
        kind: q.kind,
        status: q.status,
        partner_id: q.partner_id,
        owner_partner_id: (!state.roles.allows(RoleKey::PmsflowRuns, &caller))
            .then(|| caller.user_id.clone()),
    };
    let page = runs::list_runs(&state.pool, &filter, q.cursor, q.limit.unwrap_or(50)).await?;
    Ok(Json(redacted(&page)?).into_response())
}

/// `view` as JSON with every credential redacted: the one redaction the console's run views
/// get too ([`pmsflow_core::redact::redact_json`]).
fn redacted(view: &impl serde::Serialize) -> Result<serde_json::Value, Problem> {
    let mut value = serde_json::to_value(view).map_err(|e| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            e.to_string(),
        )
    })?;
    pmsflow_core::redact::redact_json(&mut value);
    Ok(value)
}

/// Every certificate a partner had, newest first.
///
/// `GET /v1/partners/{id}/certificates`: `{partnerId, certificates: [{certificateId,
/// partnerDomain, originalThumbprint, originalIssuer, originalNotAfter, signedNotAfter,
/// uploadedAt, runId, current}]}` from the certificate history that each re-signing run
/// (onboarding or re-upload) adds to; times RFC 3339 UTC. Role list `getpartnerscertificate`;
/// a partner sees only its own history (another partner's id answers 404, so its existence is
/// not revealed).
#[utoipa::path(
    get,
    path = "/v1/partners/{id}/certificates",
    tag = "runs",
    params(("id" = String, Path, description = "Partner id")),
    responses(
        (status = 200, description = "`{partnerId, certificates}`, newest first; `current` marks the certificate in use.", body = crate::openapi::schemas::CertificateHistory),
        (status = 404, description = "No such partner, or another partner's id: `code: PMS_PRT_005`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn certificates(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if !state.roles.allows(RoleKey::GetPartnersCertificate, &caller) {
        return Err(Problem::forbidden());
    }
    let unknown = || Problem::not_found("partner").with_code(codes::PMS_PRT_005);
    if !caller.is_partner_admin && caller.user_id != id {
        return Err(unknown());
    }
    if !partners::partner_exists(&mut *state.pool.acquire().await?, &id).await? {
        return Err(unknown());
    }
    let history = partners::certificate_history(&state.pool, &id).await?;
    Ok(Json(json!({"partnerId": id, "certificates": history})).into_response())
}

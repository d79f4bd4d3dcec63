//! The native API: onboardings in one request, and runs.
//!
//! - `POST /v1/onboardings`: partner details, CA chain and partner certificate in one request;
//!   the partner is registered and the onboarding run enqueued in one transaction; `202` with
//!   the run id. An `Idempotency-Key` header makes a replay return the same run (`200`).
//! - `GET /v1/runs/{id}`: the run with its steps and every attempt's error.
//! - `GET /v1/runs?kind=&status=&partner_id=&cursor=&limit=`: newest first, keyset-paged.
//!
//! Partners see only runs about themselves; partner admins see all.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use pmsflow_core::{
    onboarding::CertificateRunInput,
    partner::{PartnerDomain, PartnerRegistration},
    workflow::{onboarding_steps, WorkflowKind},
};
use pmsflow_store::{
    partners,
    runs::{self, RunFilter},
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::NativeCaller;
use crate::error::Problem;
use crate::pms::register_partner;
use crate::state::AppState;

/// Routes of the native API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/onboardings", post(onboard))
        .route("/v1/runs", get(list))
        .route("/v1/runs/{id}", get(get_run))
        .route("/v1/partners/{id}/certificates", get(certificates))
}

/// Body of `POST /v1/onboardings`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingRequest {
    /// Registration fields (as PMS `POST /partners/v2`).
    #[schema(value_type = crate::openapi::PartnerRegistration)]
    pub partner: PartnerRegistration,
    /// Trust domain; defaults from the partner type (portal mapping).
    #[serde(default)]
    pub partner_domain: Option<String>,
    /// CA and intermediate certificates, PEM (any order).
    #[serde(default)]
    pub ca_certificates: Vec<String>,
    /// The partner certificate, PEM.
    pub partner_certificate: String,
}

fn run_links(id: Uuid) -> serde_json::Value {
    json!({"self": format!("/v1/runs/{id}")})
}

/// Onboard a partner in one request.
///
/// Registers the partner (PMS's registration checks) and enqueues the onboarding run (CA
/// chain upload, re-sign, other-domain upload, activation, `PARTNER_UPDATED`, datashare,
/// `CA_CERTIFICATE_UPLOADED`, email, audit) in one transaction; answers `202` with the run id.
/// With an `Idempotency-Key` header, a replay by the same caller returns the same run with
/// `200` and `replayed: true`. Errors are problem+json with the PMS code in `code`.
#[utoipa::path(
    post,
    path = "/v1/onboardings",
    tag = "runs",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Replay key, at most 255 characters: the same caller and key return the first request's run."),
    ),
    request_body = OnboardingRequest,
    responses(
        (status = 202, description = "Accepted: `{runId, replayed: false, partnerId, links: {self}}`; follow the run at `links.self`.", body = crate::openapi::OnboardingAccepted),
        (status = 200, description = "Replayed (same `Idempotency-Key`): `{runId, replayed: true, links}`.", body = crate::openapi::OnboardingAccepted),
        (status = 400, description = "Body is not valid JSON of this shape: `code: PMS_COR_001`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles may not onboard (`pmsflowonboard`): `code: KER-ATH-403`; or the partner id is not the caller's: `code: PMS_PRT_055`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Partner id or email already registered: `code: PMS_PRT_051` / `PMS_PRT_011`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request: `code` is `PMS_COR_001` (blank `partnerCertificate` or field), `KER-PCM-011` (partner domain) or a registration code (`PMS_PRT_013`, `PMS_PRT_012`, `PMS_PRT_066`, `PMS_PRT_052`, `PMS_PRT_056`, `PMS_PRT_096`, `PMS_PRT_010`, `PMS_PRT_108`, `PMS_PRT_002`, `PMS_PMP_023`).", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::NativeDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn onboard(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    if !state.roles.allows("pmsflowonboard", &caller) {
        return Err(Problem::forbidden());
    }
    let req: OnboardingRequest = serde_json::from_slice(&body).map_err(|e| {
        Problem::new(StatusCode::BAD_REQUEST, "Invalid request", e.to_string())
            .with_code("PMS_COR_001")
    })?;
    if req.partner_certificate.trim().is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request",
            "partnerCertificate must not be blank",
        )
        .with_code("PMS_COR_001"));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|k| !k.is_empty() && k.len() <= 255);
    let domain = match &req.partner_domain {
        Some(d) => PartnerDomain::parse(d).ok_or_else(|| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request",
                "Invalid Partner Domain.",
            )
            .with_code("KER-PCM-011")
        })?,
        None => PartnerDomain::for_partner_type(&req.partner.partner_type),
    };
    let input = CertificateRunInput {
        partner_id: req.partner.partner_id.clone(),
        organization_name: req.partner.organization_name.clone(),
        partner_type: req.partner.partner_type.clone(),
        partner_domain: domain,
        email: req.partner.email_id.clone(),
        ca_certificates: req.ca_certificates.clone(),
        partner_certificate: req.partner_certificate.clone(),
    };
    let mut tx = state.pool.begin().await?;
    if let Some(k) = &key {
        // Serialise requests with the same key, then look for the run the first one made: a
        // retry arriving while the first request is still running waits and replays it.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!(
                "{}|{}|{k}",
                caller.user_id,
                WorkflowKind::Onboarding.as_str()
            ))
            .execute(&mut *tx)
            .await?;
        let existing: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM workflow_run WHERE created_by = $1 AND kind = $2 AND idempotency_key = $3",
        )
        .bind(&caller.user_id)
        .bind(WorkflowKind::Onboarding.as_str())
        .bind(k)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = existing {
            tx.rollback().await?;
            return Ok((
                StatusCode::OK,
                Json(json!({"runId": id, "replayed": true, "links": run_links(id)})),
            )
                .into_response());
        }
    }
    register_partner(&mut tx, &state, &caller, &req.partner).await?;
    let created = runs::create_run(
        &mut tx,
        runs::NewRun {
            kind: WorkflowKind::Onboarding,
            subject: Some(req.partner.partner_id.clone()),
            input: serde_json::to_value(&input).map_err(|e| {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                    e.to_string(),
                )
            })?,
            idempotency_key: key,
            created_by: caller.user_id.clone(),
            steps: onboarding_steps(domain, &state.budgets),
            ordering_key: Some(runs::partner_ordering_key(&req.partner.partner_id)),
        },
    )
    .await?;
    tx.commit().await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(json!({
            "runId": created.run_id,
            "replayed": created.replayed,
            "partnerId": req.partner.partner_id,
            "links": run_links(created.run_id),
        })),
    )
        .into_response())
}

/// Get a run with its steps and every attempt.
///
/// Partners see only runs about themselves or created by them; partner admins see all. A run
/// the caller may not see is answered as not found.
#[utoipa::path(
    get,
    path = "/v1/runs/{id}",
    tag = "runs",
    params(("id" = uuid::Uuid, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run (`RunSummary` fields) with `input` and `steps[].attempts[]`.", body = crate::openapi::RunDetail),
        (status = 404, description = "No such run, not a UUID, or another partner's run.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::NativeDenied,
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
        return Err(Problem::not_found("run"));
    };
    let own = run.run.subject.as_deref() == Some(caller.user_id.as_str())
        || run.run.created_by == caller.user_id;
    if !caller.is_partner_admin && !own {
        // Do not reveal that another partner's run exists.
        return Err(Problem::not_found("run"));
    }
    Ok(Json(run).into_response())
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
/// Keyset-paged: pass the previous page's `next_cursor` as `cursor`. Partners see only runs
/// about themselves or created by them; partner admins see all.
#[utoipa::path(
    get,
    path = "/v1/runs",
    operation_id = "list_runs",
    tag = "runs",
    params(ListQuery),
    responses(
        (status = 200, description = "`{runs, next_cursor}`.", body = crate::openapi::RunPage),
        (status = 400, description = "Invalid query (e.g. `cursor` not a UUID, `limit` not a number): `code: PMS_COR_001`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::NativeDenied,
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
            .with_code("PMS_COR_001")
    })?;
    let filter = RunFilter {
        kind: q.kind,
        status: q.status,
        partner_id: q.partner_id,
        created_by_or_subject: (!caller.is_partner_admin).then(|| caller.user_id.clone()),
    };
    let page = runs::list_runs(&state.pool, &filter, q.cursor, q.limit.unwrap_or(50)).await?;
    Ok(Json(page).into_response())
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
        (status = 200, description = "`{partnerId, certificates}`, newest first; `current` marks the certificate in use.", body = crate::openapi::CertificateHistory),
        (status = 404, description = "No such partner, or another partner's id: `code: PMS_PRT_005`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::NativeDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn certificates(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    if !state.roles.allows("getpartnerscertificate", &caller) {
        return Err(Problem::forbidden());
    }
    let unknown = || Problem::not_found("partner").with_code("PMS_PRT_005");
    if !caller.is_partner_admin && caller.user_id != id {
        return Err(unknown());
    }
    if !partners::partner_exists(&mut *state.pool.acquire().await?, &id).await? {
        return Err(unknown());
    }
    let history = partners::certificate_history(&state.pool, &id).await?;
    Ok(Json(json!({"partnerId": id, "certificates": history})).into_response())
}

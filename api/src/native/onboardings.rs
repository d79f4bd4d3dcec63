//! One-request onboarding: `POST /v1/onboardings` registers the partner and enqueues its
//! onboarding run in one transaction (`Idempotency-Key` replays answer the same run).

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use pmsflow_core::codes;
use pmsflow_core::{
    onboarding::{CertificateRunInput, MAX_CA_CERTIFICATES},
    partner::{PartnerDomain, PartnerRegistration},
    workflow::{onboarding_steps, WorkflowKind},
};
use pmsflow_store::runs::{self};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access::NativeCaller;
use crate::access::RoleKey;
use crate::error::{parse_json, Problem};
use crate::services::registration::register_partner;
use crate::state::AppState;

/// Route of `POST /v1/onboardings`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(onboard))
}

/// Body of `POST /v1/onboardings`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingRequest {
    /// Registration fields (as PMS `POST /partners/v2`).
    #[schema(value_type = crate::openapi::schemas::PartnerRegistration)]
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
        (status = 202, description = "Accepted: `{runId, replayed: false, partnerId, links: {self}}`; follow the run at `links.self`.", body = crate::openapi::schemas::OnboardingAccepted),
        (status = 200, description = "Replayed (same `Idempotency-Key`): `{runId, replayed: true, links}`.", body = crate::openapi::schemas::OnboardingAccepted),
        (status = 400, description = "Body is not valid JSON of this shape: `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles may not onboard (`pmsflowonboard`): `code: KER-ATH-403`; or the partner id is not the caller's: `code: PMS_PRT_055`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Partner id or email already registered: `code: PMS_PRT_051` / `PMS_PRT_011`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request: `code` is `PMS_COR_001` (blank `partnerCertificate` or field, more than 10 `caCertificates`), `KER-PCM-011` (partner domain) or a registration code (`PMS_PRT_013`, `PMS_PRT_012`, `PMS_PRT_066`, `PMS_PRT_052`, `PMS_PRT_056`, `PMS_PRT_096`, `PMS_PRT_010`, `PMS_PRT_108`, `PMS_PRT_002`, `PMS_PMP_023`).", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn onboard(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    if !state.roles.allows(RoleKey::PmsflowOnboard, &caller) {
        return Err(Problem::forbidden());
    }
    let req: OnboardingRequest = parse_json(&body)?;
    if req.partner_certificate.trim().is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request",
            "partnerCertificate must not be blank",
        )
        .with_code(codes::PMS_COR_001));
    }
    if req.ca_certificates.len() > MAX_CA_CERTIFICATES {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request",
            format!("caCertificates: at most {MAX_CA_CERTIFICATES} certificates"),
        )
        .with_code(codes::PMS_COR_001));
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
            .with_code(codes::KER_PCM_011)
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
        // A retry arriving while the first request is still at work waits, then replays it.
        runs::lock_idempotency_key(&mut tx, &caller.user_id, WorkflowKind::Onboarding, k).await?;
        let existing =
            runs::run_by_idempotency_key(&mut tx, &caller.user_id, WorkflowKind::Onboarding, k)
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
            owner_partner_id: Some(req.partner.partner_id.clone()),
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

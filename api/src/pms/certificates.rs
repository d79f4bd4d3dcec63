//! PMS-compatible endpoints (`/v1/partnermanager`, mosip-pms.md §4.1): same paths, request and
//! response envelopes, validation order and error codes as PMS 1.2.0.1, with business errors
//! answered with HTTP 200. Certificate uploads start a durable run and wait for it up to
//! `api.certificate_upload_wait_ms`; if it is still going, the answer is an error carrying the
//! run id (`PMSFLOW_RUN_PENDING`), and the run completes anyway.

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::{
    envelope::{mosip_datetime, RequestWrapper},
    onboarding::CertificateRunInput,
    partner::PartnerDomain,
    workflow::{certificate_upload_steps, steps, StepSpec, WorkflowKind},
};
use pmsflow_store::{partners, runs};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::RoleKey;
use crate::access::{AuthUser, PmsCaller};
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::guard::own;
use crate::services::run_wait::{resigned_answer, wait_and_fail};
use crate::state::AppState;

/// Routes of certificate uploads and reads.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_ca))
        .routes(routes!(upload_certificate))
        .routes(routes!(get_certificate))
        .routes(routes!(get_original_certificate))
}

/// A CA or intermediate certificate to upload.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CaUpload {
    /// The certificate, PEM; must not be blank.
    certificate_data: String,
    /// Trust domain: `AUTH`, `DEVICE`, `FTM`.
    partner_domain: String,
}

/// Upload a CA or intermediate certificate.
///
/// `POST /partners/certificate/ca/upload` (PARTNERMANAGER, PARTNER_ADMIN): a one-step run that
/// uploads the CA or intermediate to keymanager; answers `{status, timestamp}` or keymanager's
/// error (`KER-PCM-001/003/004/005/011`). Waits for the run up to
/// `api.certificate_upload_wait_ms`; if it is still going, the error `PMSFLOW_RUN_PENDING`
/// carries the run id and the run completes anyway.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners/certificate/ca/upload",
    tag = "partners",
    request_body = crate::openapi::schemas::PmsRequest<CaUpload>,
    responses(
        (status = 200, description = "`response`: `{status, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (blank field), `KER-PCM-011` (invalid domain), `KER-PCM-001`, `KER-PCM-003` (already in store), `KER-PCM-004`, `KER-PCM-005` (keymanager), `PMSFLOW_RUN_PENDING` (still running: follow `/v1/runs/{id}`).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::CaUploadResult>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn upload_ca(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostPartnersCaCertificateUpload, &caller)?;
    let req: RequestWrapper<CaUpload> = envelope(&body)?;
    if req.request.certificate_data.trim().is_empty()
        || req.request.partner_domain.trim().is_empty()
    {
        return Err(PmsError::new(
            codes::PMS_COR_001,
            "Invalid request parameter - must not be blank :certificateData",
        ));
    }
    let Some(domain) = PartnerDomain::parse(&req.request.partner_domain) else {
        return Err(PmsError::of(codes::KER_PCM_011));
    };
    let budgets = state.budgets;
    let step = StepSpec {
        key: steps::UPLOAD_CA.to_owned(),
        max_attempts: budgets.external,
        required: true,
        backoff: budgets.backoff,
    };
    let mut tx = state.pool.begin().await?;
    let created = runs::create_run(
        &mut tx,
        runs::NewRun {
            kind: WorkflowKind::CaUpload,
            subject: None,
            input: json!({"partnerDomain": domain, "caCertificates": [req.request.certificate_data]}),
            idempotency_key: None,
            created_by: caller.user_id.clone(),
            owner_partner_id: None,
            steps: vec![step],
            ordering_key: None,
        },
    )
    .await?;
    tx.commit().await?;
    let detail = wait_and_fail(&state, created.run_id).await?;
    let uploads = detail
        .steps
        .first()
        .and_then(|s| s.output.as_ref())
        .and_then(|o| o.get("uploads"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let all_present =
        !uploads.is_empty() && uploads.iter().all(|u| u["alreadyPresent"] == json!(true));
    if all_present && uploads.len() == 1 {
        return Err(PmsError::of(codes::KER_PCM_003));
    }
    let status = uploads
        .first()
        .and_then(|u| u["status"].as_str())
        .unwrap_or("Upload Success.")
        .to_owned();
    ok(
        req.id,
        req.version,
        json!({"status": status, "timestamp": mosip_datetime(OffsetDateTime::now_utc())}),
    )
}

/// A partner certificate to have MOSIP-signed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CertificateUpload {
    /// Partner id.
    partner_id: String,
    /// The partner certificate, PEM, issued under an uploaded CA.
    certificate_data: String,
    /// Trust domain: `AUTH`, `DEVICE`, `FTM`.
    partner_domain: String,
}

/// Upload a partner certificate and get it MOSIP-signed.
///
/// `POST /partners/certificate/upload`: starts a certificate-upload run (re-sign, other-domain
/// upload, activate, `PARTNER_UPDATED`, datashare, `CA_CERTIFICATE_UPLOADED`, email, audit) and
/// answers `{certificateId, signedCertificateData (MOSIP-signed leaf PEM), timestamp}`. Waits
/// for the run up to `api.certificate_upload_wait_ms`; if it is still going, the error
/// `PMSFLOW_RUN_PENDING` carries the run id and the run completes anyway.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners/certificate/upload",
    tag = "partners",
    request_body = crate::openapi::schemas::PmsRequest<CertificateUpload>,
    responses(
        (status = 200, description = "`response`: `{certificateId, signedCertificateData, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (blank field), `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_054` (no policy group), `KER-PCM-011` (invalid domain), keymanager's `KER-PCM-*` codes from the run, `PMSFLOW_RUN_PENDING` (still running: follow `/v1/runs/{id}`).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::CertificateUploadResult>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn upload_certificate(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostPartnersCertificateUpload, &caller)?;
    let req: RequestWrapper<CertificateUpload> = envelope(&body)?;
    let r = &req.request;
    for (field, v) in [
        ("partnerId", &r.partner_id),
        ("certificateData", &r.certificate_data),
        ("partnerDomain", &r.partner_domain),
    ] {
        if v.trim().is_empty() {
            return Err(PmsError::new(
                codes::PMS_COR_001,
                format!("Invalid request parameter - must not be blank :{field}"),
            ));
        }
    }
    own(&caller, &r.partner_id)?;
    let Some(partner) =
        partners::partner_detail(&mut *state.pool.acquire().await?, &r.partner_id, false).await?
    else {
        return Err(PmsError::of(codes::PMS_PRT_005));
    };
    let mut conn = state.pool.acquire().await?;
    let ptype = partners::partner_type(&mut conn, &partner.partner_type_code).await?;
    drop(conn);
    if ptype.is_some_and(|t| t.is_policy_required) && partner.policy_group_name.is_none() {
        return Err(PmsError::of(codes::PMS_PRT_054));
    }
    let Some(domain) = PartnerDomain::parse(&r.partner_domain) else {
        return Err(PmsError::of(codes::KER_PCM_011));
    };
    let input = CertificateRunInput {
        partner_id: partner.id.clone(),
        organization_name: partner.name.clone(),
        partner_type: partner.partner_type_code.clone(),
        partner_domain: domain,
        email: partner.email_id.clone(),
        ca_certificates: Vec::new(),
        partner_certificate: r.certificate_data.clone(),
    };
    let mut tx = state.pool.begin().await?;
    let created = runs::create_run(
        &mut tx,
        runs::NewRun {
            kind: WorkflowKind::CertificateUpload,
            subject: Some(partner.id.clone()),
            input: serde_json::to_value(&input).map_err(|e| PmsError::Internal(e.to_string()))?,
            idempotency_key: None,
            created_by: caller.user_id.clone(),
            owner_partner_id: Some(partner.id.clone()),
            steps: certificate_upload_steps(domain, &state.budgets),
            ordering_key: Some(runs::partner_ordering_key(&partner.id)),
        },
    )
    .await?;
    tx.commit().await?;
    resigned_answer(&state, created.run_id, req.id, req.version).await
}

/// The checks of the certificate reads: role list `getpartnerscertificate`, an existing
/// partner (`PMS_PRT_005`, first, as 1.2.0.1's `getPartnerCertificate` checks it) and the
/// caller's own (`PMS_PRT_055`: 1.2.0.1 lets any partner read another's certificate; pmsflow
/// does not).
async fn may_read_certificates(
    state: &AppState,
    caller: &AuthUser,
    partner_id: &str,
) -> Result<(), PmsError> {
    state.roles.check(RoleKey::GetPartnersCertificate, caller)?;
    if !partners::partner_exists(&mut *state.pool.acquire().await?, partner_id).await? {
        return Err(PmsError::of(codes::PMS_PRT_005));
    }
    own(caller, partner_id)?;
    Ok(())
}

/// Get the partner's MOSIP-signed certificate.
///
/// `GET /partners/{partnerId}/certificate`: the current MOSIP-signed certificate
/// `{certificateData, timestamp}`; `PMS_PRT_108` if none was uploaded.
#[utoipa::path(
    get,
    path = "/v1/partnermanager/partners/{partner_id}/certificate",
    tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id")),
    responses(
        (status = 200, description = "`response`: `{certificateData, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_108` (no certificate uploaded).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerCertificate>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_certificate(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
) -> PmsResult {
    may_read_certificates(&state, &caller, &partner_id).await?;
    let Some((pem, _)) = partners::current_certificate(&state.pool, &partner_id).await? else {
        return Err(PmsError::of(codes::PMS_PRT_108));
    };
    ok(
        None,
        None,
        json!({"certificateData": pem, "timestamp": mosip_datetime(OffsetDateTime::now_utc())}),
    )
}

/// Get the partner's current certificate as its CA signed it and as MOSIP re-signed it.
///
/// `GET /partners/{partnerId}/originalPartnerCertificate` (PMS 1.2.2
/// `PartnerServiceImpl#getPartnerCertificateData`, `OriginalCertDownloadResponseDto`):
/// `{caSignedCertificateData, mosipSignedCertificateData, timestamp}`, both PEM; pmsflow keeps
/// both in its certificate history, so no keymanager call is needed. Role list
/// `getpartnerscertificate`; `PMS_PRT_055` for another partner, `PMS_PRT_005` for an unknown
/// one, `PMS_PRT_108` if no certificate was uploaded.
#[utoipa::path(
    get,
    path = "/v1/partnermanager/partners/{partner_id}/originalPartnerCertificate",
    tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id")),
    responses(
        (status = 200, description = "`response`: `{caSignedCertificateData, mosipSignedCertificateData, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_108` (no certificate uploaded).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::OriginalCertificate>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_original_certificate(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
) -> PmsResult {
    may_read_certificates(&state, &caller, &partner_id).await?;
    let Some((original, signed, _)) =
        partners::original_certificate(&state.pool, &partner_id).await?
    else {
        return Err(PmsError::of(codes::PMS_PRT_108));
    };
    ok(
        None,
        None,
        json!({
            "caSignedCertificateData": original,
            "mosipSignedCertificateData": signed,
            "timestamp": mosip_datetime(OffsetDateTime::now_utc()),
        }),
    )
}

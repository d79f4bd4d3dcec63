//! PMS 1.2.0.1's FTM chip details (`FTPChipDetailController`, the partner portal's FTM
//! screens): an FTM provider registers its chips, uploads each chip's certificate (a durable
//! `ftm_chip_certificate` run: keymanager re-signs it in the FTM domain, then the chip records
//! it), and an administrator approves or rejects the chip. Its search is in
//! [`super::search`]. A provider acts on its own chips only (`PMS_PRT_055`).

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::envelope::{invalid_parameter, mosip_datetime, RequestWrapper};
use pmsflow_core::onboarding::CertificateRunInput;
use pmsflow_core::partner::PartnerDomain;
use pmsflow_core::workflow::{ftm_chip_certificate_steps, WorkflowKind};
use pmsflow_store::{devices, partners, runs};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::envelope::{envelope, ok, required, PmsResult};
use super::guard::own;
use crate::access::{AuthUser, PmsCaller, RoleKey};
use crate::error::PmsError;
use crate::services::run_wait::resigned_answer;
use crate::state::AppState;

/// Routes of the FTM chip endpoints.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_chip, update_chip, chip_status))
        .routes(routes!(upload_chip_certificate))
        .routes(routes!(chip_certificate))
}

/// The chip, locked, and its owner check: `PMP_AUT_031` when there is none, `PMS_PRT_055`
/// when it is another provider's.
async fn owned_chip(
    conn: &mut sqlx::PgConnection,
    caller: &AuthUser,
    id: &str,
) -> Result<devices::ChipRow, PmsError> {
    let chip = devices::chip(conn, id)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMP_AUT_031))?;
    own(caller, &chip.foundational_trust_provider_id)?;
    Ok(chip)
}

/// A chip to register (`FtpChipDetailDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ChipRequest {
    /// The FTM provider's partner id.
    #[serde(default)]
    ftp_provider_id: Option<String>,
    /// Make, at most 36 characters.
    #[serde(default)]
    make: Option<String>,
    /// Model, at most 36 characters.
    #[serde(default)]
    model: Option<String>,
}

/// The id of a chip: `{id}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChipId {
    /// The chip's id.
    pub id: String,
}

/// Register an FTM chip.
///
/// `POST /ftpchipdetail` (`postftpchipdetail`) → `{id}`; the chip waits for its certificate
/// (`pending_cert_upload`).
#[utoipa::path(post, path = "/v1/partnermanager/ftpchipdetail", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<ChipRequest>,
    responses((status = 200, description = "`response`: `{id}`. Business errors (HTTP 200): `PMS_COR_001`, `PMS_PRT_055` (another provider), `PMP_AUT_030` (no active provider), `PMP_AUT_032` (the provider has that make and model).", body = crate::openapi::schemas::PmsResponse<ChipId>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn create_chip(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostFtpChipDetail, &caller)?;
    let req: RequestWrapper<ChipRequest> = envelope(&body)?;
    let r = &req.request;
    let provider = required(&r.ftp_provider_id, "ftpProviderId", 36)?;
    let make = required(&r.make, "make", 36)?;
    let model = required(&r.model, "model", 36)?;
    own(&caller, provider)?;
    let mut tx = state.pool.begin().await?;
    let Some(org) = devices::active_provider(&mut tx, provider).await? else {
        return Err(PmsError::of(codes::PMP_AUT_030));
    };
    let id = Uuid::new_v4().to_string();
    if !devices::insert_chip(
        &mut tx,
        &id,
        (provider, &org),
        (make, model),
        &caller.user_id,
    )
    .await?
    {
        return Err(PmsError::of(codes::PMP_AUT_032));
    }
    tx.commit().await?;
    ok(req.id, req.version, json!(ChipId { id }))
}

/// A chip's new make and model (`FtpChipDetailUpdateDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ChipUpdate {
    /// The chip.
    #[serde(default)]
    ftp_chip_detail_id: Option<String>,
    /// Make.
    #[serde(default)]
    make: Option<String>,
    /// Model.
    #[serde(default)]
    model: Option<String>,
}

/// Change an FTM chip's make and model.
///
/// `PUT /ftpchipdetail` (`putftpchipdetail`) → `{id}`.
#[utoipa::path(put, path = "/v1/partnermanager/ftpchipdetail", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<ChipUpdate>,
    responses((status = 200, description = "`response`: `{id}`. Business errors (HTTP 200): `PMS_COR_001`, `PMP_AUT_031` (no such chip), `PMS_PRT_055` (another provider's), `PMP_AUT_032`.", body = crate::openapi::schemas::PmsResponse<ChipId>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn update_chip(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PutFtpChipDetail, &caller)?;
    let req: RequestWrapper<ChipUpdate> = envelope(&body)?;
    let r = &req.request;
    let id = required(&r.ftp_chip_detail_id, "ftpChipDetailId", 36)?;
    let make = required(&r.make, "make", 36)?;
    let model = required(&r.model, "model", 36)?;
    let mut tx = state.pool.begin().await?;
    owned_chip(&mut tx, &caller, id).await?;
    if !devices::update_chip(&mut tx, id, (make, model), &caller.user_id).await? {
        return Err(PmsError::of(codes::PMP_AUT_032));
    }
    tx.commit().await?;
    ok(req.id, req.version, json!(ChipId { id: id.to_owned() }))
}

/// An approval decision on a chip (`FtpChipDetailStatusDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ChipDecision {
    /// The chip.
    #[serde(default)]
    ftp_chip_detail_id: Option<String>,
    /// `true` approves (active), `false` rejects.
    #[serde(default)]
    approval_status: Option<bool>,
}

/// Approve or reject an FTM chip.
///
/// `PATCH /ftpchipdetail` (`patchftpchipdetail`, PARTNER_ADMIN) → "Status updated
/// successfully."; a chip without its certificate cannot be approved.
#[utoipa::path(patch, path = "/v1/partnermanager/ftpchipdetail", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<ChipDecision>,
    responses((status = 200, description = "`response`: `\"Status updated successfully.\"`. Business errors (HTTP 200): `PMS_COR_001` (no `approvalStatus`), `PMP_AUT_031` (no such chip), `PMP_AUT_033` (approving a chip without its certificate).", body = crate::openapi::schemas::PmsResponse<String>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn chip_status(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PatchFtpChipDetail, &caller)?;
    let req: RequestWrapper<ChipDecision> = envelope(&body)?;
    let id = required(&req.request.ftp_chip_detail_id, "ftpChipDetailId", 36)?;
    let Some(approve) = req.request.approval_status else {
        return Err(invalid_parameter("request.approvalStatus", "must not be null").into());
    };
    let mut tx = state.pool.begin().await?;
    let chip = owned_chip(&mut tx, &caller, id).await?;
    if approve && chip.certificate_alias.is_none() {
        return Err(PmsError::of(codes::PMP_AUT_033));
    }
    devices::set_chip_approval(&mut tx, id, approve, &caller.user_id).await?;
    tx.commit().await?;
    ok(req.id, req.version, json!("Status updated successfully."))
}

/// A chip's certificate (`FtpChipCertificateRequestDto`, its `ftpChipDeatilId` spelling).
/// Its `organizationName` is accepted and not used: keymanager checks `O=` against the
/// provider's registered name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ChipCertificateUpload {
    /// The FTM provider's partner id.
    #[serde(default)]
    ftp_provider_id: Option<String>,
    /// The chip (PMS's spelling).
    #[serde(default)]
    ftp_chip_deatil_id: Option<String>,
    /// Required by PMS; not used.
    #[serde(default)]
    is_it_for_registration_device: Option<bool>,
    /// The chip's certificate, PEM, issued under a CA uploaded in the FTM domain.
    #[serde(default)]
    certificate_data: Option<String>,
    /// `FTM`.
    #[serde(default)]
    partner_domain: Option<String>,
}

/// Upload an FTM chip's certificate.
///
/// `POST /ftpchipdetail/uploadcertificate` (`postftpchipdetailuploadcertificate`): starts an
/// `ftm_chip_certificate` run (keymanager re-signs the certificate with the chip id as partner
/// id, retried; then the chip records it and waits for approval), waits for it up to
/// `api.certificate_upload_wait_ms` and answers `{certificateId, signedCertificateData
/// (MOSIP-signed PEM), timestamp}`; `PMSFLOW_RUN_PENDING` with the run id if it is still going.
#[utoipa::path(post, path = "/v1/partnermanager/ftpchipdetail/uploadcertificate", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<ChipCertificateUpload>,
    responses((status = 200, description = "`response`: `{certificateId, signedCertificateData, timestamp}`. Business errors (HTTP 200): `PMS_COR_001`, `PMS_PRT_055` (another provider), `PMP_AUT_030` (no active provider), `PMP_AUT_031` (no such chip), `PMP_AUT_034` (another provider's chip), `KER-PCM-011` (domain), keymanager's codes from the run (`KER-KMS-013`, `KER-PCM-*`), `PMSFLOW_RUN_PENDING`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::CertificateUploadResult>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn upload_chip_certificate(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostFtpChipDetailUploadCertificate, &caller)?;
    let req: RequestWrapper<ChipCertificateUpload> = envelope(&body)?;
    let r = &req.request;
    let provider = required(&r.ftp_provider_id, "ftpProviderId", 36)?;
    let chip_id = required(&r.ftp_chip_deatil_id, "ftpChipDeatilId", 36)?;
    if r.is_it_for_registration_device.is_none() {
        return Err(
            invalid_parameter("request.isItForRegistrationDevice", "must not be null").into(),
        );
    }
    let certificate = match r.certificate_data.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => c.to_owned(),
        _ => {
            return Err(
                invalid_parameter("request.certificateData", "value is empty or null").into(),
            )
        }
    };
    let Some(domain) = r.partner_domain.as_deref().and_then(PartnerDomain::parse) else {
        return Err(PmsError::of(codes::KER_PCM_011));
    };
    own(&caller, provider)?;
    let mut tx = state.pool.begin().await?;
    let Some(partner) = partners::partner_detail(&mut tx, provider, false).await? else {
        return Err(PmsError::of(codes::PMP_AUT_030));
    };
    if !partner.is_active {
        return Err(PmsError::of(codes::PMP_AUT_030));
    }
    let chip = devices::chip(&mut tx, chip_id)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMP_AUT_031))?;
    if chip.foundational_trust_provider_id != provider {
        return Err(PmsError::of(codes::PMP_AUT_034));
    }
    let input = CertificateRunInput {
        partner_id: chip.id.clone(),
        organization_name: partner.name.clone(),
        partner_type: partner.partner_type_code.clone(),
        partner_domain: domain,
        email: partner.email_id.clone(),
        ca_certificates: Vec::new(),
        partner_certificate: certificate,
    };
    let created = runs::create_run(
        &mut tx,
        runs::NewRun {
            kind: WorkflowKind::FtmChipCertificate,
            subject: Some(chip.id.clone()),
            input: serde_json::to_value(&input).map_err(|e| PmsError::Internal(e.to_string()))?,
            idempotency_key: None,
            created_by: caller.user_id.clone(),
            owner_partner_id: Some(partner.id.clone()),
            steps: ftm_chip_certificate_steps(&state.budgets),
            ordering_key: None,
        },
    )
    .await?;
    tx.commit().await?;
    resigned_answer(&state, created.run_id, req.id, req.version).await
}

/// An FTM chip's MOSIP-signed certificate.
///
/// `GET /ftpchipdetail/getPartnerCertificate/{ftpChipDetailId}`
/// (`getftpchipdetailgetpartnercertificate`) → `{certificateData, timestamp}`, from the chip's
/// record (no keymanager call).
#[utoipa::path(get, path = "/v1/partnermanager/ftpchipdetail/getPartnerCertificate/{ftp_chip_detail_id}", tag = "devices",
    params(("ftp_chip_detail_id" = String, Path, description = "The chip")),
    responses((status = 200, description = "`response`: `{certificateData, timestamp}`. Business errors (HTTP 200): `PMP_AUT_031` (no such chip; 1.2.0.1 answers a null response), `PMS_PRT_055` (another provider's), `PMP_AUT_033` (no certificate uploaded).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerCertificate>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn chip_certificate(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(chip_id): Path<String>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::GetFtpChipDetailGetPartnerCertificate, &caller)?;
    let mut tx = state.pool.begin().await?;
    let chip = owned_chip(&mut tx, &caller, &chip_id).await?;
    tx.commit().await?;
    let (Some(pem), Some(at)) = (chip.certificate_pem, chip.certificate_uploaded_at) else {
        return Err(PmsError::of(codes::PMP_AUT_033));
    };
    ok(
        None,
        None,
        json!({"certificateData": pem, "timestamp": mosip_datetime(at)}),
    )
}

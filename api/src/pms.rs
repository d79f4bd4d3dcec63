//! PMS-compatible endpoints (`/v1/partnermanager`, mosip-pms.md §4.1): same paths, request and
//! response envelopes, validation order and error codes as PMS 1.2.0.1, with business errors
//! answered with HTTP 200. Certificate uploads start a durable run and wait for it up to
//! `api.certificate_upload_wait_ms`; if it is still going, the answer is an error carrying the
//! run id (`PMSFLOW_RUN_PENDING`), and the run completes anyway.

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use pmsflow_core::{
    effects::{Audit, EffectsInput},
    envelope::{mosip_datetime, RequestWrapper, ResponseWrapper},
    notifications,
    onboarding::CertificateRunInput,
    partner::{check_registration, PartnerDomain, PartnerRegistration},
    workflow::{certificate_upload_steps, steps, StepSpec, WorkflowKind},
};
use pmsflow_store::{partners, runs};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::{AuthUser, PmsCaller};
use crate::effects::enqueue;
use crate::error::PmsError;
use crate::state::AppState;

/// Routes under `/v1/partnermanager`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/partnermanager/partners", post(register))
        .route("/v1/partnermanager/partners/v2", post(register))
        .route(
            "/v1/partnermanager/partners/certificate/ca/upload",
            post(upload_ca),
        )
        .route(
            "/v1/partnermanager/partners/certificate/upload",
            post(upload_certificate),
        )
        .route(
            "/v1/partnermanager/partners/{partner_id}/certificate",
            get(get_certificate),
        )
        .route(
            "/v1/partnermanager/partners/{partner_id}/originalPartnerCertificate",
            get(get_original_certificate),
        )
        .route("/v1/partnermanager/partners/{partner_id}", get(get_partner))
}

/// Answer of a PMS-compatible handler.
pub(crate) type PmsResult = Result<Json<ResponseWrapper<Value>>, PmsError>;

/// A success envelope.
pub(crate) fn ok(id: Option<String>, version: Option<String>, body: Value) -> PmsResult {
    Ok(Json(ResponseWrapper::ok(
        id,
        version,
        body,
        OffsetDateTime::now_utc(),
    )))
}

/// Parse the envelope ourselves so a malformed body is a PMS error, not an axum 4xx.
pub(crate) fn envelope<T: for<'de> Deserialize<'de>>(
    body: &[u8],
) -> Result<RequestWrapper<T>, PmsError> {
    serde_json::from_slice(body).map_err(|e| {
        PmsError::new(
            "PMS_COR_001",
            format!("Invalid request parameter - {e} :request"),
        )
    })
}

/// Register a partner in the caller's transaction, with PMS's checks in PMS's order
/// (mosip-pms.md §6.2). Returns the policy group id.
pub(crate) async fn register_partner(
    conn: &mut PgConnection,
    state: &AppState,
    caller: &AuthUser,
    req: &PartnerRegistration,
) -> Result<(), PmsError> {
    let lang = check_registration(req, &state.rules)?;
    if !caller.may_act_on(&req.partner_id) {
        return Err(PmsError::new("PMS_PRT_055", "User not authorized."));
    }
    if partners::email_taken(conn, &req.email_id).await? {
        return Err(PmsError::new("PMS_PRT_011", "Email is already exists."));
    }
    if partners::partner_exists(conn, &req.partner_id).await? {
        return Err(PmsError::new(
            "PMS_PRT_051",
            "A Partner is already registered with the same Id",
        ));
    }
    let Some(ptype) = partners::partner_type(conn, &req.partner_type).await? else {
        return Err(PmsError::new("PMS_PRT_010", "Partner Type does not exist"));
    };
    let mut group_id = None;
    let group = req.policy_group.as_deref().filter(|g| !g.trim().is_empty());
    if ptype.is_policy_required && group.is_none() {
        return Err(PmsError::new(
            "PMS_PRT_108",
            format!("Policy group is Mandatory for {}", ptype.code),
        ));
    }
    if let Some(name) = group {
        let Some((id, active)) = partners::policy_group_by_name(conn, name).await? else {
            return Err(PmsError::new("PMS_PRT_002", "Policy group does not exist"));
        };
        if !active {
            return Err(PmsError::new("PMS_PMP_023", "Policy group is not active."));
        }
        group_id = Some(id);
    }
    let inserted = partners::insert_partner(
        conn,
        &partners::NewPartner {
            id: req.partner_id.clone(),
            policy_group_id: group_id,
            name: req.organization_name.clone(),
            address: req.address.clone(),
            contact_no: req.contact_number.clone(),
            email_id: req.email_id.clone(),
            partner_type_code: ptype.code.clone(),
            lang_code: lang,
            logo_url: req.logo_url.clone(),
            additional_info: req.additional_info.clone(),
            created_by: caller.user_id.clone(),
        },
    )
    .await?;
    if !inserted {
        return Err(PmsError::new(
            "PMS_PRT_051",
            "A Partner is already registered with the same Id",
        ));
    }
    Ok(())
}

/// Register a partner (self-registration).
///
/// `POST /partners` and `/partners/v2` (self-registration): `{partnerId, status:"InProgress"}`.
/// PMS's checks in PMS's order (mosip-pms.md §6.2); a partner registers only itself. Emails
/// the partner and audits through an effects run.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners",
    tag = "partners",
    request_body = crate::openapi::PmsRequest<crate::openapi::PartnerRegistration>,
    responses(
        (status = 200, description = "`response`: `{partnerId, status: \"InProgress\"}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed or blank field), `PMS_PRT_013` (phone), `PMS_PRT_012` (email), `PMS_PRT_066` (spaces in id), `PMS_PRT_052` (id length), `PMS_PRT_056` (language), `PMS_PRT_096` (additional info), `PMS_PRT_055` (not the caller's id), `PMS_PRT_011` (email taken), `PMS_PRT_051` (id taken), `PMS_PRT_010` (partner type), `PMS_PRT_108` (policy group mandatory), `PMS_PRT_002` (unknown group), `PMS_PMP_023` (group inactive).", body = crate::openapi::PmsResponse<crate::openapi::PartnerStatus>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn register(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let req: RequestWrapper<PartnerRegistration> = envelope(&body)?;
    let mut tx = state.pool.begin().await?;
    register_partner(&mut tx, &state, &caller, &req.request).await?;
    let p = &req.request;
    let effects = EffectsInput::default()
        .email(notifications::partner_registered(
            &p.email_id,
            &p.partner_id,
        ))
        .audit(Audit::of_partner(
            "PMS_PRT_201",
            "REGISTER_PARTNER",
            "Partner registered",
            &p.partner_id,
        ));
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        &p.partner_id,
        runs::partner_ordering_key(&p.partner_id),
        effects,
    )
    .await?;
    tx.commit().await?;
    ok(
        req.id,
        req.version,
        json!({"partnerId": req.request.partner_id, "status": "InProgress"}),
    )
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

pub(crate) async fn wait_and_fail(
    state: &AppState,
    run_id: Uuid,
) -> Result<runs::RunDetail, PmsError> {
    let status = state
        .runs
        .wait(run_id, state.certificate_upload_wait)
        .await?;
    let detail = runs::get_run(&state.pool, run_id)
        .await?
        .ok_or_else(|| PmsError::Internal("run vanished".into()))?;
    match status.as_deref() {
        Some("completed") => Ok(detail),
        Some("failed") | Some("cancelled") => Err(PmsError::new(
            detail.run.error_code.as_deref().unwrap_or("PMS_PRT_500"),
            detail
                .run
                .error_message
                .clone()
                .unwrap_or_else(|| "Unable to process the request.".into()),
        )),
        _ => Err(PmsError::new(
            "PMSFLOW_RUN_PENDING",
            format!("Request accepted and still running as run {run_id}; follow it at /v1/runs/{run_id}"),
        )),
    }
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
    request_body = crate::openapi::PmsRequest<CaUpload>,
    responses(
        (status = 200, description = "`response`: `{status, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (blank field), `KER-PCM-011` (invalid domain), `KER-PCM-001`, `KER-PCM-003` (already in store), `KER-PCM-004`, `KER-PCM-005` (keymanager), `PMSFLOW_RUN_PENDING` (still running: follow `/v1/runs/{id}`).", body = crate::openapi::PmsResponse<crate::openapi::CaUploadResult>),
        crate::openapi::PmsDenied,
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
        .check("postpartnerscacertificateupload", &caller)?;
    let req: RequestWrapper<CaUpload> = envelope(&body)?;
    if req.request.certificate_data.trim().is_empty()
        || req.request.partner_domain.trim().is_empty()
    {
        return Err(PmsError::new(
            "PMS_COR_001",
            "Invalid request parameter - must not be blank :certificateData",
        ));
    }
    let Some(domain) = PartnerDomain::parse(&req.request.partner_domain) else {
        return Err(PmsError::new("KER-PCM-011", "Invalid Partner Domain."));
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
        return Err(PmsError::new(
            "KER-PCM-003",
            "Certificate already exists in store.",
        ));
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
    request_body = crate::openapi::PmsRequest<CertificateUpload>,
    responses(
        (status = 200, description = "`response`: `{certificateId, signedCertificateData, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (blank field), `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_054` (no policy group), `KER-PCM-011` (invalid domain), keymanager's `KER-PCM-*` codes from the run, `PMSFLOW_RUN_PENDING` (still running: follow `/v1/runs/{id}`).", body = crate::openapi::PmsResponse<crate::openapi::CertificateUploadResult>),
        crate::openapi::PmsDenied,
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
        .check("postpartnerscertificateupload", &caller)?;
    let req: RequestWrapper<CertificateUpload> = envelope(&body)?;
    let r = &req.request;
    for (field, v) in [
        ("partnerId", &r.partner_id),
        ("certificateData", &r.certificate_data),
        ("partnerDomain", &r.partner_domain),
    ] {
        if v.trim().is_empty() {
            return Err(PmsError::new(
                "PMS_COR_001",
                format!("Invalid request parameter - must not be blank :{field}"),
            ));
        }
    }
    if !caller.may_act_on(&r.partner_id) {
        return Err(PmsError::new("PMS_PRT_055", "User not authorized."));
    }
    let Some(partner) =
        partners::partner_detail(&mut *state.pool.acquire().await?, &r.partner_id, false).await?
    else {
        return Err(PmsError::new("PMS_PRT_005", "Partner does not exist"));
    };
    let mut conn = state.pool.acquire().await?;
    let ptype = partners::partner_type(&mut conn, &partner.partner_type_code).await?;
    drop(conn);
    if ptype.is_some_and(|t| t.is_policy_required) && partner.policy_group_name.is_none() {
        return Err(PmsError::new(
            "PMS_PRT_054",
            "Policy group not mapped for given partner",
        ));
    }
    let Some(domain) = PartnerDomain::parse(&r.partner_domain) else {
        return Err(PmsError::new("KER-PCM-011", "Invalid Partner Domain."));
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
            steps: certificate_upload_steps(domain, &state.budgets),
            ordering_key: Some(runs::partner_ordering_key(&partner.id)),
        },
    )
    .await?;
    tx.commit().await?;
    let detail = wait_and_fail(&state, created.run_id).await?;
    let resigned = detail
        .steps
        .iter()
        .find(|s| s.key == steps::UPLOAD_PARTNER_CERTIFICATE)
        .and_then(|s| s.output.clone())
        .unwrap_or(Value::Null);
    ok(
        req.id,
        req.version,
        json!({
            "certificateId": resigned["certificateId"],
            "signedCertificateData": resigned["leafPem"],
            "timestamp": mosip_datetime(OffsetDateTime::now_utc()),
        }),
    )
}

/// The checks of the certificate reads: role list `getpartnerscertificate`, the caller's own
/// partner (`PMS_PRT_055`) and an existing one (`PMS_PRT_005`).
async fn may_read_certificates(
    state: &AppState,
    caller: &AuthUser,
    partner_id: &str,
) -> Result<(), PmsError> {
    state.roles.check("getpartnerscertificate", caller)?;
    if !caller.may_act_on(partner_id) {
        return Err(PmsError::new("PMS_PRT_055", "User not authorized."));
    }
    if !partners::partner_exists(&mut *state.pool.acquire().await?, partner_id).await? {
        return Err(PmsError::new("PMS_PRT_005", "Partner does not exist"));
    }
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
        (status = 200, description = "`response`: `{certificateData, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_108` (no certificate uploaded).", body = crate::openapi::PmsResponse<crate::openapi::PartnerCertificate>),
        crate::openapi::PmsDenied,
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
        return Err(PmsError::new(
            "PMS_PRT_108",
            "Certficate is not uploaded for the selected partner.",
        ));
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
        (status = 200, description = "`response`: `{caSignedCertificateData, mosipSignedCertificateData, timestamp}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_108` (no certificate uploaded).", body = crate::openapi::PmsResponse<crate::openapi::OriginalCertificate>),
        crate::openapi::PmsDenied,
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
        return Err(PmsError::new(
            "PMS_PRT_108",
            "Certficate is not uploaded for the selected partner.",
        ));
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

/// Get a partner.
///
/// `GET /partners/{partnerId}`: `{partnerID, status, organizationName, contactNumber, emailId,
/// address, partnerType, policyGroup, isActive}` (status `active` / `De-active`).
#[utoipa::path(
    get,
    path = "/v1/partnermanager/partners/{partner_id}",
    tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id")),
    responses(
        (status = 200, description = "`response`: the partner. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner).", body = crate::openapi::PmsResponse<crate::openapi::PartnerView>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_partner(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
) -> PmsResult {
    state.roles.check("getpartnerspartnerid", &caller)?;
    if !caller.may_act_on(&partner_id) {
        return Err(PmsError::new("PMS_PRT_055", "User not authorized."));
    }
    let Some(p) =
        partners::partner_detail(&mut *state.pool.acquire().await?, &partner_id, false).await?
    else {
        return Err(PmsError::new("PMS_PRT_005", "Partner does not exist"));
    };
    ok(
        None,
        None,
        json!({
            "partnerID": p.id,
            "status": if p.is_active { "active" } else { "De-active" },
            "organizationName": p.name,
            "contactNumber": p.contact_no,
            "emailId": p.email_id,
            "address": p.address,
            "partnerType": p.partner_type_code,
            "policyGroup": p.policy_group_name,
            "isActive": p.is_active,
            "approvalStatus": p.approval_status,
        }),
    )
}

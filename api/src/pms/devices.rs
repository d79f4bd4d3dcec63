//! PMS 1.2.0.1's device module for device providers (`DeviceDetailController`,
//! `SecureBiometricInterfaceController`), used by MOSIP's partner portal's device screens:
//!
//! - `POST`, `PUT /devicedetail`, `PATCH /devicedetail` (approve / reject, PARTNER_ADMIN);
//! - `POST`, `PUT /securebiometricinterface`, `PATCH /securebiometricinterface`;
//! - `PUT /securebiometricinterface/devicedetails/map`, `.../map/remove`.
//!
//! Their searches and filter values are in [`super::search`]. A provider acts on its own
//! devices and SBIs only (`PMS_PRT_055`; 1.2.0.1 lets any provider act on any), an
//! administrator on all.

use axum::extract::State;
use pmsflow_core::codes::{self, Code};
use pmsflow_core::envelope::{invalid_parameter, RequestWrapper};
use pmsflow_store::devices::{self, Approvable, NewDevice, SbiValues};
use serde::Deserialize;
use serde_json::json;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::envelope::{envelope, ok, required, PmsResult};
use super::guard::own;
use crate::access::{AuthUser, PmsCaller, RoleKey};
use crate::error::PmsError;
use crate::state::AppState;

/// Routes of the device module's writes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_device, update_device, device_status))
        .routes(routes!(create_sbi, update_sbi, sbi_status))
        .routes(routes!(map_sbi))
        .routes(routes!(unmap_sbi))
}

/// The id of what was registered or changed: `{id}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    /// The device's or SBI's id.
    pub id: String,
}

/// `code` with its `%s` replaced by `id`.
fn with_id(code: Code, id: &str) -> PmsError {
    PmsError::new(code, code.message.replace("%s", id))
}

/// What describes a device (fields of `DeviceDetailDto` and `DeviceDetailUpdateDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct DeviceFields {
    /// `Finger`, `Face`, `Iris`.
    #[serde(default)]
    device_type_code: Option<String>,
    /// A sub-type of the type (`Slap`, `Single`, `Full face`...).
    #[serde(default)]
    device_sub_type_code: Option<String>,
    /// Make, at most 36 characters.
    #[serde(default)]
    make: Option<String>,
    /// Model, at most 36 characters.
    #[serde(default)]
    model: Option<String>,
}

impl DeviceFields {
    /// (type, sub-type, make, model), each required and at most 36 characters.
    fn checked(&self) -> Result<(&str, &str, &str, &str), PmsError> {
        Ok((
            required(&self.device_type_code, "deviceTypeCode", 36)?,
            required(&self.device_sub_type_code, "deviceSubTypeCode", 36)?,
            required(&self.make, "make", 36)?,
            required(&self.model, "model", 36)?,
        ))
    }
}

/// A device to register (`DeviceDetailDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct DeviceRequest {
    /// Its id, at most 36 characters (a new UUID when absent).
    #[serde(default)]
    id: Option<String>,
    /// The device provider's partner id.
    #[serde(default)]
    device_provider_id: Option<String>,
    /// The device.
    #[serde(flatten)]
    device: DeviceFields,
}

/// Register a device.
///
/// `POST /devicedetail` (`postdevicedetail`) → `{id}`; saved inactive, `pending_approval`.
#[utoipa::path(post, path = "/v1/partnermanager/devicedetail", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<DeviceRequest>,
    responses((status = 200, description = "`response`: `{id}`. Business errors (HTTP 200): `PMS_COR_001` (a field empty or over 36 characters), `PMS_PRT_055` (another provider), `PMS_AUT_001` (type and sub-type), `PMS_AUT_002` (no active provider), `PMS_AUT_003` (the provider has that device).", body = crate::openapi::schemas::PmsResponse<Created>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn create_device(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostDeviceDetail, &caller)?;
    let req: RequestWrapper<DeviceRequest> = envelope(&body)?;
    let r = &req.request;
    let provider = required(&r.device_provider_id, "deviceProviderId", 36)?;
    let (device_type, sub_type, make, model) = r.device.checked()?;
    let id = match r.id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(id) => required(&r.id, "id", 36).map(|_| id.to_owned())?,
        None => Uuid::new_v4().to_string(),
    };
    own(&caller, provider)?;
    let mut tx = state.pool.begin().await?;
    if !devices::sub_type_active(&mut tx, device_type, sub_type).await? {
        return Err(PmsError::of(codes::PMS_AUT_001));
    }
    let Some(org) = devices::active_provider(&mut tx, provider).await? else {
        return Err(PmsError::of(codes::PMS_AUT_002));
    };
    let device = NewDevice {
        id: &id,
        provider_id: provider,
        type_code: device_type,
        sub_type_code: sub_type,
        make,
        model,
        org_name: &org,
        by: &caller.user_id,
    };
    if !devices::insert_device(&mut tx, &device).await? {
        return Err(PmsError::of(codes::PMS_AUT_003));
    }
    tx.commit().await?;
    ok(req.id, req.version, json!(Created { id: id.to_owned() }))
}

/// A device's new values (`DeviceDetailUpdateDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct DeviceUpdate {
    /// The device.
    #[serde(default)]
    id: Option<String>,
    /// Its new values.
    #[serde(flatten)]
    device: DeviceFields,
}

/// The device and its owner check: `PMS_AUT_005` when there is none, `PMS_PRT_055` when it is
/// another provider's.
async fn owned_device(
    conn: &mut sqlx::PgConnection,
    caller: &AuthUser,
    id: &str,
) -> Result<devices::DeviceRow, PmsError> {
    let device = devices::device(conn, id)
        .await?
        .ok_or_else(|| with_id(codes::PMS_AUT_005, id))?;
    own(caller, &device.dprovider_id)?;
    Ok(device)
}

/// Change a device.
///
/// `PUT /devicedetail` (`putdevicedetail`) → `{id}`.
#[utoipa::path(put, path = "/v1/partnermanager/devicedetail", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<DeviceUpdate>,
    responses((status = 200, description = "`response`: `{id}`. Business errors (HTTP 200): `PMS_COR_001`, `PMS_AUT_005` (no such device), `PMS_PRT_055` (another provider's), `PMS_AUT_001`, `PMS_AUT_003` (the provider has such a device).", body = crate::openapi::schemas::PmsResponse<Created>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn update_device(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PutDeviceDetail, &caller)?;
    let req: RequestWrapper<DeviceUpdate> = envelope(&body)?;
    let r = &req.request;
    let id = required(&r.id, "id", 36)?;
    let (device_type, sub_type, make, model) = r.device.checked()?;
    let mut tx = state.pool.begin().await?;
    owned_device(&mut tx, &caller, id).await?;
    if !devices::sub_type_active(&mut tx, device_type, sub_type).await? {
        return Err(PmsError::of(codes::PMS_AUT_001));
    }
    let values = (device_type, sub_type, make, model);
    if !devices::update_device(&mut tx, id, values, &caller.user_id).await? {
        return Err(PmsError::of(codes::PMS_AUT_003));
    }
    tx.commit().await?;
    ok(req.id, req.version, json!(Created { id: id.to_owned() }))
}

/// An approval decision (`UpdateDeviceDetailStatusDto`, `SecureBiometricInterfaceStatusUpdateDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ApprovalRequest {
    /// The device or SBI.
    #[serde(default)]
    id: Option<String>,
    /// `Activate` (approve) or `De-activate` (reject), exactly.
    #[serde(default)]
    approval_status: Option<String>,
}

/// `Activate` → true, `De-activate` → false (case-sensitive, as 1.2.0.1).
fn decision(status: &str, wrong: Code) -> Result<bool, PmsError> {
    match status {
        "Activate" => Ok(true),
        "De-activate" => Ok(false),
        _ => Err(PmsError::of(wrong)),
    }
}

/// Approve or reject a device.
///
/// `PATCH /devicedetail` (`patchdevicedetail`, PARTNER_ADMIN) → "Device details approved
/// successfully." / "Device details rejected successfully.".
#[utoipa::path(patch, path = "/v1/partnermanager/devicedetail", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<ApprovalRequest>,
    responses((status = 200, description = "`response`: the message. Business errors (HTTP 200): `PMS_COR_001`, `PMS_AUT_025` (not `Activate` / `De-activate`), `PMS_AUT_005` (no such device).", body = crate::openapi::schemas::PmsResponse<String>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn device_status(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    decide(&state, &caller, &body, Approvable::Device).await
}

/// Approve or reject a device or an SBI: the role, the decision word (`PMS_AUT_025` /
/// `PMS_AUT_026`), the device or SBI (`PMS_AUT_005` / `PMS_AUT_007`), then the change.
async fn decide(state: &AppState, caller: &AuthUser, body: &[u8], what: Approvable) -> PmsResult {
    let (key, wrong, noun) = match what {
        Approvable::Device => (RoleKey::PatchDeviceDetail, codes::PMS_AUT_025, "Device"),
        Approvable::Sbi => (
            RoleKey::PatchSecureBiometricInterface,
            codes::PMS_AUT_026,
            "Secure biometric",
        ),
    };
    state.roles.check(key, caller)?;
    let req: RequestWrapper<ApprovalRequest> = envelope(body)?;
    let id = required(&req.request.id, "id", 36)?;
    let status = required(&req.request.approval_status, "approvalStatus", 36)?;
    let approve = decision(status, wrong)?;
    let mut tx = state.pool.begin().await?;
    match what {
        Approvable::Device => owned_device(&mut tx, caller, id).await.map(drop)?,
        Approvable::Sbi => owned_sbi(&mut tx, caller, id).await.map(drop)?,
    }
    devices::set_approval(&mut tx, what, id, approve, &caller.user_id).await?;
    tx.commit().await?;
    let done = if approve { "approved" } else { "rejected" };
    ok(
        req.id,
        req.version,
        json!(format!("{noun} details {done} successfully.")),
    )
}

/// What describes an SBI (fields of `SecureBiometricInterfaceCreateDto` and
/// `SecureBiometricInterfaceUpdateDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct SbiFields {
    /// Hash of the SBI binary, at most 36 characters.
    #[serde(default)]
    sw_binary_hash: Option<String>,
    /// Version, at most 64 characters.
    #[serde(default)]
    sw_version: Option<String>,
    /// Build time, `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    #[serde(default)]
    sw_create_date_time: Option<String>,
    /// Expiry, `yyyy-MM-ddTHH:mm:ss.SSSZ`, not before the build nor today.
    #[serde(default)]
    sw_expiry_date_time: Option<String>,
}

/// An SBI to register (`SecureBiometricInterfaceCreateDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct SbiRequest {
    /// The device provider's partner id.
    #[serde(default)]
    provider_id: Option<String>,
    /// The SBI.
    #[serde(flatten)]
    sbi: SbiFields,
}

/// The checked values of an SBI request: `PMS_COR_001` for a missing field or a time that
/// does not parse, `PMS_AUT_507` (expiry before build), `PMS_AUT_508` (expiry before today).
fn sbi_values(f: &SbiFields) -> Result<SbiValues<'_>, PmsError> {
    let time = |v: &Option<String>, field: &str| -> Result<OffsetDateTime, PmsError> {
        let text = required(v, field, 64)?;
        OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
            invalid_parameter(
                &format!("request.{field}"),
                "should be yyyy-MM-ddTHH:mm:ss.SSSZ",
            )
            .into()
        })
    };
    let values = SbiValues {
        binary_hash: required(&f.sw_binary_hash, "swBinaryHash", 36)?,
        version: required(&f.sw_version, "swVersion", 64)?,
        created: time(&f.sw_create_date_time, "swCreateDateTime")?,
        expiry: time(&f.sw_expiry_date_time, "swExpiryDateTime")?,
    };
    if values.expiry < values.created {
        return Err(PmsError::of(codes::PMS_AUT_507));
    }
    if values.expiry.date() < OffsetDateTime::now_utc().date() {
        return Err(PmsError::of(codes::PMS_AUT_508));
    }
    Ok(values)
}

/// Register an SBI.
///
/// `POST /securebiometricinterface` (`postsecurebiometricinterface`) → `{id}` (a new UUID);
/// saved inactive, `pending_approval`.
#[utoipa::path(post, path = "/v1/partnermanager/securebiometricinterface", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<SbiRequest>,
    responses((status = 200, description = "`response`: `{id}`. Business errors (HTTP 200): `PMS_COR_001`, `PMS_AUT_507`, `PMS_AUT_508`, `PMS_PRT_055` (another provider), `PMS_AUT_002` (no active provider), `PMS_AUT_512` (the provider has that version).", body = crate::openapi::schemas::PmsResponse<Created>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn create_sbi(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostSecureBiometricInterface, &caller)?;
    let req: RequestWrapper<SbiRequest> = envelope(&body)?;
    let r = &req.request;
    let provider = required(&r.provider_id, "providerId", 36)?;
    let values = sbi_values(&r.sbi)?;
    own(&caller, provider)?;
    let mut tx = state.pool.begin().await?;
    let Some(org) = devices::active_provider(&mut tx, provider).await? else {
        return Err(PmsError::of(codes::PMS_AUT_002));
    };
    let id = Uuid::new_v4().to_string();
    if !devices::insert_sbi(&mut tx, &id, (provider, &org), &values, &caller.user_id).await? {
        return Err(PmsError::of(codes::PMS_AUT_512));
    }
    tx.commit().await?;
    ok(req.id, req.version, json!(Created { id: id.to_owned() }))
}

/// An SBI's new values (`SecureBiometricInterfaceUpdateDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct SbiUpdate {
    /// The SBI.
    #[serde(default)]
    id: Option<String>,
    /// Active flag (required).
    #[serde(default)]
    is_active: Option<bool>,
    /// Its new values.
    #[serde(flatten)]
    sbi: SbiFields,
}

/// The SBI and its owner check: `PMS_AUT_007` when there is none, `PMS_PRT_055` when it is
/// another provider's.
async fn owned_sbi(
    conn: &mut sqlx::PgConnection,
    caller: &AuthUser,
    id: &str,
) -> Result<devices::SbiRow, PmsError> {
    let sbi = devices::sbi(conn, id)
        .await?
        .ok_or_else(|| with_id(codes::PMS_AUT_007, id))?;
    own(caller, sbi.provider_id.as_deref().unwrap_or_default())?;
    Ok(sbi)
}

/// Change an SBI.
///
/// `PUT /securebiometricinterface` (`putsecurebiometricinterface`) → `{id}`.
#[utoipa::path(put, path = "/v1/partnermanager/securebiometricinterface", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<SbiUpdate>,
    responses((status = 200, description = "`response`: `{id}`. Business errors (HTTP 200): `PMS_COR_001` (also no `isActive`), `PMS_AUT_507`, `PMS_AUT_508`, `PMS_AUT_007` (no such SBI), `PMS_PRT_055` (another provider's), `PMS_AUT_512` (the provider has that version).", body = crate::openapi::schemas::PmsResponse<Created>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn update_sbi(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PutSecureBiometricInterface, &caller)?;
    let req: RequestWrapper<SbiUpdate> = envelope(&body)?;
    let r = &req.request;
    let id = required(&r.id, "id", 36)?;
    let Some(active) = r.is_active else {
        return Err(invalid_parameter("request.isActive", "must not be null").into());
    };
    let values = sbi_values(&r.sbi)?;
    let mut tx = state.pool.begin().await?;
    owned_sbi(&mut tx, &caller, id).await?;
    if !devices::update_sbi(&mut tx, id, &values, active, &caller.user_id).await? {
        return Err(PmsError::of(codes::PMS_AUT_512));
    }
    tx.commit().await?;
    ok(req.id, req.version, json!(Created { id: id.to_owned() }))
}

/// Approve or reject an SBI.
///
/// `PATCH /securebiometricinterface` (`patchsecurebiometricinterface`, PARTNER_ADMIN) →
/// "Secure biometric details approved successfully." / "... rejected successfully.".
#[utoipa::path(patch, path = "/v1/partnermanager/securebiometricinterface", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<ApprovalRequest>,
    responses((status = 200, description = "`response`: the message. Business errors (HTTP 200): `PMS_COR_001`, `PMS_AUT_026` (not `Activate` / `De-activate`), `PMS_AUT_007` (no such SBI).", body = crate::openapi::schemas::PmsResponse<String>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn sbi_status(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    decide(&state, &caller, &body, Approvable::Sbi).await
}

/// A device and an SBI (`DeviceDetailSBIMappingDto`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MappingRequest {
    /// The device.
    #[serde(default)]
    device_detail_id: Option<String>,
    /// The SBI.
    #[serde(default)]
    sbi_id: Option<String>,
}

/// The device and SBI of a mapping request, checked in 1.2.0.1's order: the device exists
/// (`PMS_AUT_005`), is not rejected (`PMS_AUT_028`) and is approved (`PMS_AUT_027`); the SBI
/// exists (`PMS_AUT_007`) and is active (`PMS_AUT_511`); both are one provider's
/// (`PMS_AUT_509`), the caller's (`PMS_PRT_055`).
async fn mapping_pair(
    conn: &mut sqlx::PgConnection,
    caller: &AuthUser,
    device_id: &str,
    sbi_id: &str,
) -> Result<String, PmsError> {
    let device = owned_device(conn, caller, device_id).await?;
    if device.approval_status == devices::REJECTED {
        return Err(with_id(codes::PMS_AUT_028, device_id));
    }
    if !device.is_active {
        return Err(with_id(codes::PMS_AUT_027, device_id));
    }
    let sbi = devices::sbi(conn, sbi_id)
        .await?
        .ok_or_else(|| with_id(codes::PMS_AUT_007, sbi_id))?;
    if !sbi.is_active {
        return Err(PmsError::of(codes::PMS_AUT_511));
    }
    if sbi.provider_id.as_deref() != Some(device.dprovider_id.as_str()) {
        return Err(PmsError::of(codes::PMS_AUT_509));
    }
    Ok(device.dprovider_id)
}

/// Map an SBI to a device.
///
/// `PUT /securebiometricinterface/devicedetails/map`
/// (`putsecurebiometricinterfacedevicedetailsmap`) → "Success", or "Mapping already exists".
#[utoipa::path(put, path = "/v1/partnermanager/securebiometricinterface/devicedetails/map", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<MappingRequest>,
    responses((status = 200, description = "`response`: `\"Success\"` or `\"Mapping already exists\"`. Business errors (HTTP 200): `PMS_COR_001`, `PMS_AUT_005`, `PMS_AUT_028`, `PMS_AUT_027`, `PMS_AUT_007`, `PMS_AUT_511` (SBI not active), `PMS_AUT_509` (another provider's SBI), `PMS_PRT_055`.", body = crate::openapi::schemas::PmsResponse<String>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn map_sbi(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(
        RoleKey::PutSecureBiometricInterfaceDeviceDetailsMap,
        &caller,
    )?;
    let req: RequestWrapper<MappingRequest> = envelope(&body)?;
    let device_id = required(&req.request.device_detail_id, "deviceDetailId", 36)?;
    let sbi_id = required(&req.request.sbi_id, "sbiId", 36)?;
    let mut tx = state.pool.begin().await?;
    let provider = mapping_pair(&mut tx, &caller, device_id, sbi_id).await?;
    let added = devices::map(&mut tx, (device_id, sbi_id), &provider, &caller.user_id).await?;
    tx.commit().await?;
    let message = if added {
        "Success"
    } else {
        "Mapping already exists"
    };
    ok(req.id, req.version, json!(message))
}

/// Remove the mapping of an SBI to a device.
///
/// `PUT /securebiometricinterface/devicedetails/map/remove`
/// (`putsecurebiometricinterfacedevicedetailsmapremove`) → "Success".
#[utoipa::path(put, path = "/v1/partnermanager/securebiometricinterface/devicedetails/map/remove", tag = "devices",
    request_body = crate::openapi::schemas::PmsRequest<MappingRequest>,
    responses((status = 200, description = "`response`: `\"Success\"`. Business errors (HTTP 200): `PMS_COR_001`, `PMS_AUT_005` (no such device), `PMS_PRT_055` (another provider's), `PMS_AUT_510` (no such mapping).", body = crate::openapi::schemas::PmsResponse<String>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn unmap_sbi(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(
        RoleKey::PutSecureBiometricInterfaceDeviceDetailsMapRemove,
        &caller,
    )?;
    let req: RequestWrapper<MappingRequest> = envelope(&body)?;
    let device_id = required(&req.request.device_detail_id, "deviceDetailId", 36)?;
    let sbi_id = required(&req.request.sbi_id, "sbiId", 36)?;
    let mut tx = state.pool.begin().await?;
    owned_device(&mut tx, &caller, device_id).await?;
    if !devices::unmap(&mut tx, (device_id, sbi_id)).await? {
        return Err(PmsError::of(codes::PMS_AUT_510));
    }
    tx.commit().await?;
    ok(req.id, req.version, json!("Success"))
}

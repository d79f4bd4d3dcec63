//! MISP licence keys (`/v1/partnermanager/misps`, mosip-pms.md §4.3, §9): generate, change
//! status, list, get-or-regenerate. Keys are `pms.misp_licence_key_length` characters from a
//! CSPRNG over `0-9a-zA-Z` (as PMS's `SecureRandom`), valid `pms.misp_licence_validity_days`.
//! Events `MISP_LICENSE_GENERATED` / `MISP_LICENSE_UPDATED` go out through effects runs.
//!
//! Differences from PMS 1.2.0.1, on purpose: a new licence is refused only while a usable
//! (active, unexpired) one exists, not whenever any row exists; regeneration attaches the
//! policy of the MISP's approved request (PMS stored the request id, or crashed);
//! `GET /misps` shows a MISP only its own licences.

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::{
    effects::{Audit, EffectsInput, TopicEvent},
    envelope::{active_flag, check_size, mosip_datetime, RequestWrapper},
    events::{self, MISP_SERVICE},
    notifications,
};
use pmsflow_store::{
    licences::{self, LicenceRow},
    partner_policies as pp,
    partners::PartnerDetail,
    runs::EffectsAbout,
};
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::PmsCaller;
use crate::access::RoleKey;
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::guard::{locked_partner, own};
use crate::services::effects::enqueue;
use crate::state::AppState;

/// Routes under `/v1/partnermanager/misps`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(generate, update_status, list))
        .routes(routes!(get_licence_key))
}

fn licence_json(l: &LicenceRow, status: &str) -> Value {
    json!({
        "providerId": l.misp_id,
        "licenseKey": l.license_key,
        "licenseKeyExpiry": mosip_datetime(l.valid_to_date),
        "licenseKeyStatus": status,
    })
}

/// The MISP partner, locked, checked to exist (`PMS_MSP_005`), be a MISP (`PMS_MSP_009`) and
/// be active (`PMS_MSP_405`).
async fn active_misp(conn: &mut PgConnection, misp_id: &str) -> Result<PartnerDetail, PmsError> {
    let p = locked_partner(conn, misp_id, codes::PMS_MSP_005).await?;
    if p.partner_type_code != "MISP_Partner" {
        return Err(PmsError::of(codes::PMS_MSP_009));
    }
    if !p.is_active {
        return Err(PmsError::of(codes::PMS_MSP_405));
    }
    Ok(p)
}

/// The MISP policy to attach: the policy of its requests, which must all be approved
/// (`PMS_MSP_418`); `None` when it made none.
async fn misp_policy(conn: &mut PgConnection, misp_id: &str) -> Result<Option<String>, PmsError> {
    let requests = pp::requests_of(conn, misp_id).await?;
    if requests.iter().any(|r| r.status_code != "approved") {
        return Err(PmsError::of(codes::PMS_MSP_418));
    }
    Ok(requests.first().map(|r| r.policy_id.clone()))
}

/// Issue a licence for `misp` and enqueue `topic` with it, an email and the audit.
async fn issue(
    conn: &mut PgConnection,
    state: &AppState,
    by: &str,
    misp: &PartnerDetail,
    topic: &str,
) -> Result<LicenceRow, PmsError> {
    let policy_id = misp_policy(conn, &misp.id).await?;
    let key = Alphanumeric.sample_string(&mut rand::rng(), state.pms.misp_licence_key_length);
    let valid_to =
        OffsetDateTime::now_utc() + Duration::days(i64::from(state.pms.misp_licence_validity_days));
    let l = licences::issue(
        conn,
        &licences::IssueLicence {
            misp_id: &misp.id,
            email: &misp.email_id,
            key: &key,
            policy_id: policy_id.as_deref(),
            valid_to,
            by,
            topic,
        },
        &state.budgets,
    )
    .await?;
    Ok(l)
}

/// A MISP licence to issue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = MispLicenceRequest)]
struct GenerateRequest {
    /// MISP partner id, 1-36 characters.
    #[serde(default)]
    provider_id: String,
}

/// Issue a MISP licence key.
///
/// `POST /misps` `{providerId}` → `{providerId, licenseKey, licenseKeyExpiry,
/// licenseKeyStatus:"Active"}`; `PMS_PRT_055`, `PMS_MSP_005`, `PMS_MSP_009`, `PMS_MSP_405`,
/// `PMS_MSP_416` (a usable licence exists), `PMS_MSP_418`.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/misps",
    tag = "misp",
    request_body = crate::openapi::schemas::PmsRequest<GenerateRequest>,
    responses(
        (status = 200, description = "`response`: `{providerId, licenseKey, licenseKeyExpiry, licenseKeyStatus: \"Active\"}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, id size), `PMS_PRT_055` (another partner), `PMS_MSP_005` (unknown MISP), `PMS_MSP_009` (not a MISP), `PMS_MSP_405` (MISP not active), `PMS_MSP_416` (a usable licence exists), `PMS_MSP_418` (policy not approved).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::MispLicence>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn generate(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostMispLicense, &caller)?;
    let req: RequestWrapper<GenerateRequest> = envelope(&body)?;
    check_size(&req.request.provider_id, "providerId", 1, 36)?;
    own(&caller, &req.request.provider_id)?;
    let mut tx = state.pool.begin().await?;
    let misp = active_misp(&mut tx, &req.request.provider_id).await?;
    let now = OffsetDateTime::now_utc();
    if licences::of_misp(&mut tx, &misp.id, true)
        .await?
        .iter()
        .any(|l| l.is_usable(now))
    {
        return Err(PmsError::of(codes::PMS_MSP_416));
    }
    let l = issue(
        &mut tx,
        &state,
        &caller.user_id,
        &misp,
        events::MISP_LICENSE_GENERATED,
    )
    .await?;
    tx.commit().await?;
    ok(req.id, req.version, licence_json(&l, "Active"))
}

/// A MISP licence status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = MispLicenceStatusRequest)]
struct StatusRequest {
    /// MISP partner id.
    #[serde(default)]
    provider_id: String,
    /// The licence key.
    #[serde(default)]
    license_key: String,
    /// `Active` or `De-active` (case-insensitive).
    #[serde(default)]
    license_key_status: String,
}

/// Activate or deactivate a MISP licence key.
///
/// `PUT /misps` `{providerId, licenseKey, licenseKeyStatus: active|de-active}` → the licence
/// with status `active` / `de-active`; `PMS_MSP_407`, `PMS_MSP_408`. Publishes
/// `MISP_LICENSE_UPDATED`.
#[utoipa::path(
    put,
    path = "/v1/partnermanager/misps",
    tag = "misp",
    request_body = crate::openapi::schemas::PmsRequest<StatusRequest>,
    responses(
        (status = 200, description = "`response`: the licence, `licenseKeyStatus` `active` or `de-active`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body), `PMS_MSP_407` (status), `PMS_PRT_055` (another partner), `PMS_MSP_408` (no such MISP and key).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::MispLicence>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update_status(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PutMispLicense, &caller)?;
    let req: RequestWrapper<StatusRequest> = envelope(&body)?;
    let r = &req.request;
    let Some(active) = active_flag(&r.license_key_status) else {
        return Err(PmsError::of(codes::PMS_MSP_407));
    };
    own(&caller, &r.provider_id)?;
    let mut tx = state.pool.begin().await?;
    let missing = || PmsError::of(codes::PMS_MSP_408);
    let misp = pmsflow_store::partners::partner_detail(&mut tx, &r.provider_id, true)
        .await?
        .ok_or_else(missing)?;
    let l = licences::set_active(&mut tx, &misp.id, &r.license_key, active, &caller.user_id)
        .await?
        .ok_or_else(missing)?;
    let effects = EffectsInput::default()
        .event(TopicEvent::licence_updated(
            MISP_SERVICE,
            &l.misp_id,
            &l.license_key,
            l.valid_from_date,
            l.valid_to_date,
            active,
        ))
        .email(notifications::misp_licence(
            &misp.email_id,
            &misp.id,
            active,
            l.valid_to_date,
        ))
        .audit(Audit::of_partner(
            "PMS_MSP_201",
            "MISP_LICENSE_STATUS",
            "MISP licence status changed",
            &misp.id,
        ));
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        EffectsAbout::Partner(&misp.id),
        effects,
    )
    .await?;
    tx.commit().await?;
    ok(
        req.id,
        req.version,
        licence_json(&l, if active { "active" } else { "de-active" }),
    )
}

/// List MISP licence keys.
///
/// `GET /misps`: licences `[{providerId, licenseKey, licenseKeyExpiry, licenseKeyStatus}]`,
/// only the caller's own unless partner admin.
#[utoipa::path(
    get,
    operation_id = "list_misp_licences",
    path = "/v1/partnermanager/misps",
    tag = "misp",
    responses(
        (status = 200, description = "`response`: `[{providerId, licenseKey, licenseKeyExpiry, licenseKeyStatus}]` (status `active` while usable, else `de-active`); a MISP sees only its own.", body = crate::openapi::schemas::PmsResponse<Vec<crate::openapi::schemas::MispLicence>>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn list(State(state): State<AppState>, PmsCaller(caller): PmsCaller) -> PmsResult {
    state.roles.check(RoleKey::GetMispLicense, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let scope = (!caller.is_partner_admin).then_some(caller.user_id.as_str());
    let rows = licences::list(&mut conn, scope).await?;
    let now = OffsetDateTime::now_utc();
    ok(
        None,
        None,
        Value::Array(
            rows.iter()
                .map(|l| {
                    licence_json(
                        l,
                        if l.is_usable(now) {
                            "active"
                        } else {
                            "de-active"
                        },
                    )
                })
                .collect(),
        ),
    )
}

/// Get a MISP's usable licence key.
///
/// `GET /misps/{mispId}/licenseKey` (PARTNERMANAGER, PARTNER_ADMIN): the usable licence;
/// `PMS_MSP_005`, `PMS_MSP_405`, `PMS_MSP_408` (the MISP never had a licence), `PMS_MSP_413`
/// (none is usable: every licence is inactive or expired). A read changes nothing: PMS
/// 1.2.0.1 issued a new licence on this GET, pmsflow issues one on `POST /misps` (and the
/// licence-expiry sweep renews licences before they end).
#[utoipa::path(
    get,
    path = "/v1/partnermanager/misps/{misp_id}/licenseKey",
    tag = "misp",
    params(
        ("misp_id" = String, Path, description = "MISP partner id"),
    ),
    responses(
        (status = 200, description = "`response`: `{providerId, licenseKey, licenseKeyExpiry, licenseKeyStatus: \"Active\"}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_MSP_005` (unknown MISP), `PMS_MSP_009` (not a MISP), `PMS_MSP_405` (MISP not active), `PMS_MSP_408` (never had a licence), `PMS_MSP_413` (every licence inactive or expired: issue one with `POST /misps`).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::MispLicence>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_licence_key(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(misp_id): Path<String>,
) -> PmsResult {
    state.roles.check(RoleKey::GetMispLicenseKey, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let misp = active_misp(&mut conn, &misp_id).await?;
    let all = licences::of_misp(&mut conn, &misp.id, false).await?;
    if all.is_empty() {
        return Err(PmsError::of(codes::PMS_MSP_408));
    }
    let now = OffsetDateTime::now_utc();
    match all.iter().find(|l| l.is_usable(now)) {
        Some(l) => ok(None, None, licence_json(l, "Active")),
        None => Err(PmsError::of(codes::PMS_MSP_413)),
    }
}

//! Partner self-registration and reading a partner (`POST /partners`, `/partners/v2`,
//! `GET /partners/{partnerId}`; PMS 1.2.0.1 `PartnerServiceController`).

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::{
    effects::{Audit, EffectsInput},
    envelope::RequestWrapper,
    notifications,
    partner::PartnerRegistration,
};
use pmsflow_store::{partners, runs::EffectsAbout};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::PmsCaller;
use crate::access::RoleKey;
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::guard::own;
use crate::services::effects::enqueue;
use crate::services::registration::register_partner;
use crate::state::AppState;

/// Routes of registration and of reading a partner.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_v2))
        .routes(routes!(register))
        .routes(routes!(get_partner))
}

/// Register a partner (self-registration), v2 path: the same as `POST /partners`.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners/v2",
    operation_id = "register_v2",
    tag = "partners",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::PartnerRegistration>,
    responses(
        (status = 200, description = "`response`: `{partnerId, status: \"InProgress\"}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed or blank field), `PMS_PRT_013` (phone), `PMS_PRT_012` (email), `PMS_PRT_066` (spaces in id), `PMS_PRT_052` (id length), `PMS_PRT_056` (language), `PMS_PRT_096` (additional info), `PMS_PRT_055` (not the caller's id), `PMS_PRT_011` (email taken), `PMS_PRT_051` (id taken), `PMS_PRT_010` (partner type), `PMS_PRT_108` (policy group mandatory), `PMS_PRT_002` (unknown group), `PMS_PMP_023` (group inactive).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerStatus>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn register_v2(
    state: State<AppState>,
    caller: PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    register(state, caller, body).await
}

/// Register a partner (self-registration).
///
/// `POST /partners` and `/partners/v2` (self-registration): `{partnerId, status:"InProgress"}`.
/// Role list `postpartners` (PMS's `getPostpartners()`); PMS's checks in PMS's order
/// (mosip-pms.md §6.2); a partner registers only itself. Emails the partner and audits
/// through an effects run.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners",
    tag = "partners",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::PartnerRegistration>,
    responses(
        (status = 200, description = "`response`: `{partnerId, status: \"InProgress\"}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed or blank field), `PMS_PRT_013` (phone), `PMS_PRT_012` (email), `PMS_PRT_066` (spaces in id), `PMS_PRT_052` (id length), `PMS_PRT_056` (language), `PMS_PRT_096` (additional info), `PMS_PRT_055` (not the caller's id), `PMS_PRT_011` (email taken), `PMS_PRT_051` (id taken), `PMS_PRT_010` (partner type), `PMS_PRT_108` (policy group mandatory), `PMS_PRT_002` (unknown group), `PMS_PMP_023` (group inactive).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerStatus>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn register(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostPartners, &caller)?;
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
        EffectsAbout::Partner(&p.partner_id),
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
        (status = 200, description = "`response`: the partner. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerView>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_partner(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
) -> PmsResult {
    state.roles.check(RoleKey::GetPartnersPartnerId, &caller)?;
    own(&caller, &partner_id)?;
    let Some(p) =
        partners::partner_detail(&mut *state.pool.acquire().await?, &partner_id, false).await?
    else {
        return Err(PmsError::of(codes::PMS_PRT_005));
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

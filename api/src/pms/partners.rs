//! PMS-compatible partner management (`/v1/partnermanager/partners`, mosip-pms.md §4.1, §4.2,
//! §6.4, §6.5): partner update and listing, contacts, policy-group mapping, policy mapping
//! requests and their approval, API keys, activation and deactivation. Each change that PMS
//! announces writes its WebSub events, emails and audit as an effects run in the same
//! transaction, ordered per partner; the partner row is locked first so a partner's changes
//! commit one at a time.

use axum::extract::{Path, Query, State};
use pmsflow_core::codes;
use pmsflow_core::{
    effects::{Audit, EffectsInput, TopicEvent},
    envelope::{check_size, invalid_parameter, RequestWrapper},
    events::{self, PARTNER_MANAGER},
    notifications,
    partner::is_valid_email,
};
use pmsflow_store::{
    licences,
    partners::{self, Contact, PartnerDetail},
    policies::{self},
    runs::EffectsAbout,
};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access::RoleKey;
use crate::access::{AuthUser, PmsCaller};
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::guard::{locked_partner, own, parse_active};
use crate::pms::views::partner_data;
use crate::services::effects::enqueue;
use crate::state::AppState;

/// Routes of partner management.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_partners))
        .routes(routes!(list_partners_v2))
        .routes(routes!(update_partner, activate_partner))
        .routes(routes!(update_partner_v2))
        .routes(routes!(add_contact))
        .routes(routes!(map_policy_group))
}

fn partner_json(p: &PartnerDetail, v2: bool) -> Value {
    let mut v = json!({
        "partnerID": p.id,
        "status": if p.is_active { "Active" } else { "De-Active" },
        "organizationName": p.name,
        "contactNumber": p.contact_no,
        "emailId": p.email_id,
        "address": p.address,
        "partnerType": p.partner_type_code,
    });
    if v2 {
        v["logoUrl"] = json!(p.logo_url);
        v["additionalInfo"] = p.additional_info.clone().unwrap_or(json!([]));
    }
    v
}

/// Query of the partner listings.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Partner type code to list (`all` or empty: every type).
    #[serde(default)]
    partner_type: Option<String>,
}

async fn list(
    state: &AppState,
    caller: &AuthUser,
    key: RoleKey,
    q: ListQuery,
    v2: bool,
) -> PmsResult {
    state.roles.check(key, caller)?;
    let mut conn = state.pool.acquire().await?;
    let ptype = q.partner_type.filter(|t| !t.is_empty() && t != "all");
    let list = partners::partners(&mut conn, ptype.as_deref()).await?;
    if list.is_empty() {
        return Err(PmsError::of(codes::PMS_PMP_013));
    }
    ok(
        None,
        None,
        json!({"partners": list.iter().map(|p| partner_json(p, v2)).collect::<Vec<_>>()}),
    )
}

/// List partners.
///
/// `GET /partners?partnerType=`: `{partners:[{partnerID, status, organizationName,
/// contactNumber, emailId, address, partnerType}]}`; an empty list is `PMS_PMP_013` (as PMS).
#[utoipa::path(
    get,
    path = "/v1/partnermanager/partners",
    tag = "partners",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "`response`: `{partners: [{partnerID, status, organizationName, contactNumber, emailId, address, partnerType}]}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PMP_013` (no partner of the type).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerList>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn list_partners(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Query(q): Query<ListQuery>,
) -> PmsResult {
    list(&state, &caller, RoleKey::GetPartners, q, false).await
}

/// List partners, v2 (with logo and additional info).
///
/// `GET /partners/v2?partnerType=`: as v1 plus `logoUrl`, `additionalInfo`.
#[utoipa::path(
    get,
    path = "/v1/partnermanager/partners/v2",
    tag = "partners",
    params(
        ListQuery,
    ),
    responses(
        (status = 200, description = "`response`: `{partners: [...]}`, each with `logoUrl` and `additionalInfo`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PMP_013` (no partner of the type).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerList>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn list_partners_v2(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Query(q): Query<ListQuery>,
) -> PmsResult {
    list(&state, &caller, RoleKey::GetPartnersNew, q, true).await
}

/// New partner details.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PartnerUpdateRequest)]
struct UpdateRequest {
    /// Postal address, 1-2000 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    address: String,
    /// Phone number, 1-16 characters (at most `pmp.partner.mobileNumber.max.length`).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 16)]
    contact_number: String,
    /// v2 only: logo URL.
    #[serde(default)]
    logo_url: Option<String>,
    /// v2 only: a JSON object or array.
    #[serde(default)]
    additional_info: Option<Value>,
}

async fn update(
    state: &AppState,
    caller: &AuthUser,
    key: RoleKey,
    partner_id: &str,
    body: &[u8],
    v2: bool,
) -> PmsResult {
    state.roles.check(key, caller)?;
    let req: RequestWrapper<UpdateRequest> = envelope(body)?;
    let r = &req.request;
    check_size(&r.address, "address", 1, 2000)?;
    check_size(&r.contact_number, "contactNumber", 1, 16)?;
    own(caller, partner_id)?;
    state.rules.check_mobile(&r.contact_number)?;
    let extra = if v2 { r.additional_info.as_ref() } else { None };
    if extra.is_some_and(|v| !(v.is_object() || v.is_array())) {
        return Err(PmsError::of(codes::PMS_PRT_096));
    }
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(&mut tx, partner_id, codes::PMS_PRT_005).await?;
    partners::update_partner(
        &mut tx,
        &p.id,
        &r.address,
        &r.contact_number,
        if v2 { r.logo_url.as_deref() } else { None },
        extra,
        &caller.user_id,
    )
    .await?;
    enqueue(
        &mut tx,
        state,
        &caller.user_id,
        EffectsAbout::Partner(&p.id),
        EffectsInput::default().audit(Audit::of_partner(
            "PMS_PRT_205",
            "UPDATE_PARTNER",
            "Partner updated",
            &p.id,
        )),
    )
    .await?;
    tx.commit().await?;
    // 1.2.0.1 answers the approval status: `InProgress` until a certificate is uploaded, then
    // `approved` (activation changes only `isActive`).
    ok(
        req.id,
        req.version,
        json!({"partnerId": p.id, "status": p.approval_status}),
    )
}

/// Update a partner's address and phone number.
///
/// `PUT /partners/{partnerId}` `{address, contactNumber}` → `{partnerId, status}`;
/// `PMS_PRT_055`, `PMS_PRT_013`, `PMS_PRT_005`.
#[utoipa::path(
    put,
    path = "/v1/partnermanager/partners/{partner_id}",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    request_body = crate::openapi::schemas::PmsRequest<UpdateRequest>,
    responses(
        (status = 200, description = "`response`: `{partnerId, status}`, the approval status (`InProgress` until a certificate is uploaded, then `approved`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (another partner), `PMS_PRT_013` (phone), `PMS_PRT_005` (unknown partner).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerStatus>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update_partner(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    update(
        &state,
        &caller,
        RoleKey::PutPartners,
        &partner_id,
        &body,
        false,
    )
    .await
}

/// Update a partner, v2 (also logo and additional info).
///
/// `PUT /partners/v2/{partnerId}`: v1 plus `logoUrl`, `additionalInfo` (`PMS_PRT_096`).
#[utoipa::path(
    put,
    path = "/v1/partnermanager/partners/v2/{partner_id}",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    request_body = crate::openapi::schemas::PmsRequest<UpdateRequest>,
    responses(
        (status = 200, description = "`response`: `{partnerId, status}`, the approval status (`InProgress` until a certificate is uploaded, then `approved`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (another partner), `PMS_PRT_013` (phone), `PMS_PRT_096` (additional info not a JSON object or array), `PMS_PRT_005` (unknown partner).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PartnerStatus>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update_partner_v2(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    update(
        &state,
        &caller,
        RoleKey::PutPartnersNew,
        &partner_id,
        &body,
        true,
    )
    .await
}

/// A contact of a partner, keyed by email.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ContactRequest {
    /// Postal address.
    #[serde(default)]
    address: Option<String>,
    /// Phone number (at most `pmp.partner.mobileNumber.max.length`).
    #[serde(default)]
    contact_number: Option<String>,
    /// Email address, 1-254 characters; the contact's key.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 254)]
    email_id: String,
    /// Whether the contact is active (default true; `is_Active` is accepted too).
    #[serde(default, alias = "is_Active")]
    is_active: Option<bool>,
}

/// Add or update a contact of a partner.
///
/// `POST /partners/{partnerId}/contact/add` `{address, contactNumber, emailId, is_Active}` (the
/// first three required) → "Contacts details added successfully." or "... updated
/// successfully." (upsert by email); `PMS_PRT_012`, `PMS_PRT_013`, `PMS_PRT_005`, `PMS_PMP_016`.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners/{partner_id}/contact/add",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    request_body = crate::openapi::schemas::PmsRequest<ContactRequest>,
    responses(
        (status = 200, description = "`response`: `\"Contacts details added successfully.\"` or `\"Contacts details updated successfully.\"` (a contact with that e-mail existed). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body; `address`, `contactNumber` or `emailId` empty: \"value is empty or null\"; email size), `PMS_PRT_055` (another partner), `PMS_PRT_012` (email), `PMS_PRT_013` (phone), `PMS_PRT_005` (unknown partner), `PMS_PMP_016` (partner not active).", body = crate::openapi::schemas::PmsResponse<String>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn add_contact(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostPartnersContactAdd, &caller)?;
    let req: RequestWrapper<ContactRequest> = envelope(&body)?;
    let r = &req.request;
    // `AddContactRequestDto`: address, contactNumber and emailId are `@NotBlank`.
    for (field, value) in [
        ("request.address", r.address.as_deref()),
        ("request.contactNumber", r.contact_number.as_deref()),
        ("request.emailId", Some(r.email_id.as_str())),
    ] {
        if value.is_none_or(|v| v.trim().is_empty()) {
            return Err(invalid_parameter(field, "value is empty or null").into());
        }
    }
    check_size(&r.email_id, "emailId", 1, 254)?;
    own(&caller, &partner_id)?;
    if !is_valid_email(&r.email_id) {
        return Err(PmsError::of(codes::PMS_PRT_012));
    }
    if let Some(number) = &r.contact_number {
        state.rules.check_mobile(number)?;
    }
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(&mut tx, &partner_id, codes::PMS_PRT_005).await?;
    if !p.is_active {
        return Err(PmsError::of(codes::PMS_PMP_016));
    }
    let added = partners::upsert_contact(
        &mut tx,
        &Contact {
            id: &Uuid::new_v4().to_string(),
            partner_id: &p.id,
            email: &r.email_id,
            contact_no: r.contact_number.as_deref(),
            address: r.address.as_deref(),
            active: r.is_active.unwrap_or(true),
            by: &caller.user_id,
        },
    )
    .await?;
    tx.commit().await?;
    let done = if added {
        "Contacts details added successfully."
    } else {
        "Contacts details updated successfully."
    };
    ok(req.id, req.version, json!(done))
}

/// Map a partner to a policy group.
///
/// `PUT /partners/{partnerId}/policygroup/{policygroupName}` → "Success" while the partner is
/// not yet active; `PMS_PRT_005`, `PMS_PRT_050`, `PMS_PRT_048`, `PMS_PRT_002`, `PMS_PMP_023`.
#[utoipa::path(
    put,
    path = "/v1/partnermanager/partners/{partner_id}/policygroup/{group_name}",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
        ("group_name" = String, Path, description = "Policy group name"),
    ),
    responses(
        (status = 200, description = "`response`: `\"Success\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_050` (partner approved or active), `PMS_PRT_048` (type needs no group), `PMS_PRT_002` (unknown group), `PMS_PMP_023` (group inactive).", body = crate::openapi::schemas::PmsResponse<String>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn map_policy_group(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, group_name)): Path<(String, String)>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PutPartnersPolicyGroup, &caller)?;
    own(&caller, &partner_id)?;
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(&mut tx, &partner_id, codes::PMS_PRT_005).await?;
    if p.approval_status == "approved" || p.is_active {
        return Err(PmsError::of(codes::PMS_PRT_050));
    }
    let ptype = partners::partner_type(&mut tx, &p.partner_type_code).await?;
    if !ptype.is_some_and(|t| t.is_policy_required) {
        return Err(PmsError::of(codes::PMS_PRT_048));
    }
    let g = policies::group_by_name(&mut tx, &group_name)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PRT_002))?;
    if !g.is_active {
        return Err(PmsError::of(codes::PMS_PMP_023));
    }
    partners::set_policy_group(&mut tx, &p.id, &g.id, &caller.user_id).await?;
    tx.commit().await?;
    ok(None, None, json!("Success"))
}

/// A partner status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PartnerStatusRequest {
    /// `Active` or `De-active` (case-insensitive), 1-36 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 36)]
    status: String,
}

/// Activate or deactivate a partner.
///
/// `PATCH /partners/{partnerId}` `{status: Active|De-active}` →
/// `{message: "Partner activated/de-activated successfully"}`: activation needs an uploaded
/// certificate (`PMS_PRT_108`); `PMS_PMP_005`, `PMS_PM_058`. Publishes `PARTNER_UPDATED`
/// and emails the partner when the state changes; deactivating a MISP partner also
/// deactivates its licences, each with `MISP_LICENSE_UPDATED`. API keys are untouched (as PMS).
#[utoipa::path(
    patch,
    path = "/v1/partnermanager/partners/{partner_id}",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    request_body = crate::openapi::schemas::PmsRequest<PartnerStatusRequest>,
    responses(
        (status = 200, description = "`response`: `{message: \"Partner activated successfully\"}` or `\"Partner de-activated successfully\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, status size), `PMS_PM_058` (status), `PMS_PMP_005` (unknown partner), `PMS_PRT_108` (no certificate uploaded).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::Message>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn activate_partner(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PatchPartners, &caller)?;
    let req: RequestWrapper<PartnerStatusRequest> = envelope(&body)?;
    check_size(&req.request.status, "status", 1, 36)?;
    let active = parse_active(&req.request.status)?;
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(&mut tx, &partner_id, codes::PMS_PMP_005).await?;
    if active && p.certificate_alias.is_none() {
        return Err(PmsError::new(
            codes::PMS_PRT_108,
            "Certficate is not uploaded for the given partner.Cannot activate the same.",
        ));
    }
    if p.is_active != active {
        partners::set_active(&mut tx, &p.id, active, &caller.user_id).await?;
        let mut effects = EffectsInput::default().event(TopicEvent::new(
            events::PARTNER_UPDATED,
            PARTNER_MANAGER,
            json!({"partnerData": partner_data(&mut tx, &p, active).await?}),
        ));
        if !active && p.partner_type_code == "MISP_Partner" {
            for l in licences::deactivate_all(&mut tx, &p.id, &caller.user_id).await? {
                effects = effects.event(TopicEvent::licence_updated(
                    PARTNER_MANAGER,
                    &l.misp_id,
                    &l.license_key,
                    l.valid_from_date,
                    l.valid_to_date,
                    false,
                ));
            }
        }
        let effects = effects
            .email(notifications::partner_status(
                &p.email_id,
                &p.id,
                active,
                OffsetDateTime::now_utc(),
            ))
            .audit(Audit::of_partner(
                "PMS_PRT_289",
                "ACTIVATE_DEACTIVATE_KYC_PARTNERS",
                if active {
                    "Partner activated"
                } else {
                    "Partner deactivated"
                },
                &p.id,
            ));
        enqueue(
            &mut tx,
            &state,
            &caller.user_id,
            EffectsAbout::Partner(&p.id),
            effects,
        )
        .await?;
    }
    tx.commit().await?;
    let msg = if active {
        "Partner activated successfully"
    } else {
        "Partner de-activated successfully"
    };
    ok(req.id, req.version, json!({"message": msg}))
}

//! PMS-compatible partner management (`/v1/partnermanager/partners`, mosip-pms.md §4.1, §4.2,
//! §6.4, §6.5): partner update and listing, contacts, policy-group mapping, policy mapping
//! requests and their approval, API keys, activation and deactivation. Each change that PMS
//! announces writes its WebSub events, emails and audit as an effects run in the same
//! transaction, ordered per partner; the partner row is locked first so a partner's changes
//! commit one at a time.

use axum::{
    extract::{Path, Query, State},
    routing::{get, patch, post, put},
    Router,
};
use pmsflow_core::{
    effects::{Audit, EffectsInput, TopicEvent},
    envelope::{active_flag, check_size, mosip_datetime, RequestWrapper},
    events::{self, PARTNER_MANAGER},
    notifications,
    partner::is_valid_email,
};
use pmsflow_store::{
    credentials, licences, partner_policies as pp,
    partners::{self, Contact, PartnerDetail},
    policies::{self, PolicyRow},
    runs::partner_ordering_key,
};
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::auth::{AuthUser, PmsCaller};
use crate::effects::enqueue;
use crate::error::PmsError;
use crate::pms::{envelope, ok, PmsResult};
use crate::policy::policy_data;
use crate::state::AppState;

/// Routes of partner management.
pub fn routes() -> Router<AppState> {
    let base = "/v1/partnermanager/partners";
    Router::new()
        .route(base, get(list_partners))
        .route(&format!("{base}/v2"), get(list_partners_v2))
        .route(
            &format!("{base}/{{partner_id}}"),
            put(update_partner).patch(activate_partner),
        )
        .route(&format!("{base}/v2/{{partner_id}}"), put(update_partner_v2))
        .route(
            &format!("{base}/{{partner_id}}/contact/add"),
            post(add_contact),
        )
        .route(
            &format!("{base}/{{partner_id}}/policygroup/{{group_name}}"),
            put(map_policy_group),
        )
        .route(
            &format!("{base}/{{partner_id}}/policy/map"),
            post(request_policy),
        )
        .route(
            &format!("{base}/policy/{{mapping_key}}"),
            put(decide_policy_request),
        )
        .route(
            &format!("{base}/{{partner_id}}/apikey/request"),
            get(api_key_requests),
        )
        .route(
            &format!("{base}/{{partner_id}}/generate/apikey"),
            patch(generate_api_key),
        )
        .route(
            &format!("{base}/{{partner_id}}/policy/{{policy_id}}/apiKey/status"),
            patch(api_key_status),
        )
        .route(
            &format!("{base}/{{partner_id}}/apikey/{{api_key}}/policies"),
            put(repoint_api_key),
        )
}

pub(crate) fn not_authorized() -> PmsError {
    PmsError::new("PMS_PRT_055", "User not authorized.")
}

pub(crate) fn own(caller: &AuthUser, partner_id: &str) -> Result<(), PmsError> {
    if caller.may_act_on(partner_id) {
        Ok(())
    } else {
        Err(not_authorized())
    }
}

/// The partner, locked for the change (`code` when missing).
pub(crate) async fn locked_partner(
    conn: &mut PgConnection,
    partner_id: &str,
    code: &str,
    message: &str,
) -> Result<PartnerDetail, PmsError> {
    partners::partner_detail(conn, partner_id, true)
        .await?
        .ok_or_else(|| PmsError::new(code, message))
}

/// `partnerData` for the partner's events: its current MOSIP-signed certificate (empty if it
/// has none) and status.
pub(crate) async fn partner_data(
    conn: &mut PgConnection,
    p: &PartnerDetail,
    active: bool,
) -> Result<Value, PmsError> {
    let pem = partners::current_certificate(&mut *conn, &p.id)
        .await?
        .map(|(pem, _)| pem)
        .unwrap_or_default();
    Ok(events::partner_updated_data(&p.id, &p.name, &pem, active)["partnerData"].take())
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

async fn list(state: &AppState, caller: &AuthUser, key: &str, q: ListQuery, v2: bool) -> PmsResult {
    state.roles.check(key, caller)?;
    let mut conn = state.pool.acquire().await?;
    let ptype = q.partner_type.filter(|t| !t.is_empty() && t != "all");
    let list = partners::partners(&mut conn, ptype.as_deref()).await?;
    if list.is_empty() {
        return Err(PmsError::new("PMS_PMP_013", "Partner does not exist"));
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
        (status = 200, description = "`response`: `{partners: [{partnerID, status, organizationName, contactNumber, emailId, address, partnerType}]}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PMP_013` (no partner of the type).", body = crate::openapi::PmsResponse<crate::openapi::PartnerList>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn list_partners(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Query(q): Query<ListQuery>,
) -> PmsResult {
    list(&state, &caller, "getpartners", q, false).await
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
        (status = 200, description = "`response`: `{partners: [...]}`, each with `logoUrl` and `additionalInfo`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PMP_013` (no partner of the type).", body = crate::openapi::PmsResponse<crate::openapi::PartnerList>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn list_partners_v2(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Query(q): Query<ListQuery>,
) -> PmsResult {
    list(&state, &caller, "getpartnersnew", q, true).await
}

/// New partner details.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PartnerUpdateRequest)]
struct UpdateRequest {
    /// Postal address, 1-2000 characters.
    #[serde(default)]
    address: String,
    /// Phone number, 1-16 characters (at most `pmp.partner.mobileNumber.max.length`).
    #[serde(default)]
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
    key: &str,
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
        return Err(PmsError::new("PMS_PRT_096", "Json is not valid"));
    }
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(&mut tx, partner_id, "PMS_PRT_005", "Partner does not exist").await?;
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
        &p.id,
        partner_ordering_key(&p.id),
        EffectsInput::default().audit(Audit::of_partner(
            "PMS_PRT_205",
            "UPDATE_PARTNER",
            "Partner updated",
            &p.id,
        )),
    )
    .await?;
    tx.commit().await?;
    let status = if p.is_active { "Active" } else { "InProgress" };
    ok(
        req.id,
        req.version,
        json!({"partnerId": p.id, "status": status}),
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
    request_body = crate::openapi::PmsRequest<UpdateRequest>,
    responses(
        (status = 200, description = "`response`: `{partnerId, status}` (`Active` or `InProgress`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (another partner), `PMS_PRT_013` (phone), `PMS_PRT_005` (unknown partner).", body = crate::openapi::PmsResponse<crate::openapi::PartnerStatus>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update_partner(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    update(&state, &caller, "putpartners", &partner_id, &body, false).await
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
    request_body = crate::openapi::PmsRequest<UpdateRequest>,
    responses(
        (status = 200, description = "`response`: `{partnerId, status}` (`Active` or `InProgress`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (another partner), `PMS_PRT_013` (phone), `PMS_PRT_096` (additional info not a JSON object or array), `PMS_PRT_005` (unknown partner).", body = crate::openapi::PmsResponse<crate::openapi::PartnerStatus>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update_partner_v2(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    update(&state, &caller, "putpartnersnew", &partner_id, &body, true).await
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
    email_id: String,
    /// Whether the contact is active (default true; `is_Active` is accepted too).
    #[serde(default, alias = "is_Active")]
    is_active: Option<bool>,
}

/// Add or update a contact of a partner.
///
/// `POST /partners/{partnerId}/contact/add` → "Contacts details added/updated successfully."
/// (upsert by email); `PMS_PRT_012`, `PMS_PRT_013`, `PMS_PRT_005`, `PMS_PMP_016`.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners/{partner_id}/contact/add",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    request_body = crate::openapi::PmsRequest<ContactRequest>,
    responses(
        (status = 200, description = "`response`: `\"Contacts details added/updated successfully.\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, email size), `PMS_PRT_055` (another partner), `PMS_PRT_012` (email), `PMS_PRT_013` (phone), `PMS_PRT_005` (unknown partner), `PMS_PMP_016` (partner not active).", body = crate::openapi::PmsResponse<String>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn add_contact(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check("postpartnerscontactadd", &caller)?;
    let req: RequestWrapper<ContactRequest> = envelope(&body)?;
    let r = &req.request;
    check_size(&r.email_id, "emailId", 1, 254)?;
    own(&caller, &partner_id)?;
    if !is_valid_email(&r.email_id) {
        return Err(PmsError::new("PMS_PRT_012", "Invalid emailId."));
    }
    if let Some(number) = &r.contact_number {
        state.rules.check_mobile(number)?;
    }
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(
        &mut tx,
        &partner_id,
        "PMS_PRT_005",
        "Partner does not exist",
    )
    .await?;
    if !p.is_active {
        return Err(PmsError::new("PMS_PMP_016", "Partner is not active."));
    }
    partners::upsert_contact(
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
    ok(
        req.id,
        req.version,
        json!("Contacts details added/updated successfully."),
    )
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
        (status = 200, description = "`response`: `\"Success\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PRT_050` (partner approved or active), `PMS_PRT_048` (type needs no group), `PMS_PRT_002` (unknown group), `PMS_PMP_023` (group inactive).", body = crate::openapi::PmsResponse<String>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn map_policy_group(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, group_name)): Path<(String, String)>,
) -> PmsResult {
    state.roles.check("putpartnerspolicygroup", &caller)?;
    own(&caller, &partner_id)?;
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(
        &mut tx,
        &partner_id,
        "PMS_PRT_005",
        "Partner does not exist",
    )
    .await?;
    if p.approval_status == "approved" || p.is_active {
        return Err(PmsError::new(
            "PMS_PRT_050",
            "Policy group cannot be updated for approved partner",
        ));
    }
    let ptype = partners::partner_type(&mut tx, &p.partner_type_code).await?;
    if !ptype.is_some_and(|t| t.is_policy_required) {
        return Err(PmsError::new(
            "PMS_PRT_048",
            "policy group mapping is not required for given partner",
        ));
    }
    let g = policies::group_by_name(&mut tx, &group_name)
        .await?
        .ok_or_else(|| PmsError::new("PMS_PRT_002", "Policy group does not exist"))?;
    if !g.is_active {
        return Err(PmsError::new("PMS_PMP_023", "Policy group is not active."));
    }
    partners::set_policy_group(&mut tx, &p.id, &g.id, &caller.user_id).await?;
    tx.commit().await?;
    ok(None, None, json!("Success"))
}

/// Checks of a policy a partner asks for or uses (`PMS_PMP_019` inactive, `PMS_PMP_018`
/// expired, `PMS_PMP_023` group inactive).
pub(crate) async fn usable_policy(conn: &mut PgConnection, p: &PolicyRow) -> Result<(), PmsError> {
    if !p.is_active {
        return Err(PmsError::new("PMS_PMP_019", "Policy is not active."));
    }
    if p.is_expired(OffsetDateTime::now_utc()) {
        return Err(PmsError::new("PMS_PMP_018", "Policy expired."));
    }
    let g = policies::group(conn, &p.policy_group_id, false).await?;
    if !g.is_some_and(|g| g.is_active) {
        return Err(PmsError::new("PMS_PMP_023", "Policy group is not active."));
    }
    Ok(())
}

/// A request to use a policy of the partner's group.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct PolicyMapRequest {
    /// Name of a policy of the partner's policy group; must not be null.
    #[serde(default)]
    policy_name: Option<String>,
    /// Why the partner needs it, at most 4000 characters; must not be null.
    #[serde(default)]
    use_case_description: Option<String>,
}

/// Request the use of a policy.
///
/// `POST /partners/{partnerId}/policy/map` `{policyName, useCaseDescription}` →
/// `{mappingkey, message}`: an `InProgress` request. `PMS_PRT_055`, `PMS_PRT_005`,
/// `PMS_PMP_016`, `PMS_PRT_047`, `PMS_PRT_098`, `PMS_PMP_019/018/023`, `PMS_PRT_053`.
#[utoipa::path(
    post,
    path = "/v1/partnermanager/partners/{partner_id}/policy/map",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    request_body = crate::openapi::PmsRequest<PolicyMapRequest>,
    responses(
        (status = 200, description = "`response`: `{mappingkey, message}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (null field, description size), `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PMP_016` (partner not active), `PMS_PRT_047` (no policy group), `PMS_PRT_098` (policy not in the group), `PMS_PMP_019` (policy inactive), `PMS_PMP_018` (policy expired), `PMS_PMP_023` (group inactive), `PMS_PRT_053` (a request is open or approved).", body = crate::openapi::PmsResponse<crate::openapi::PolicyMappingRequested>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn request_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check("postpartnerspolicymap", &caller)?;
    let req: RequestWrapper<PolicyMapRequest> = envelope(&body)?;
    let (Some(policy_name), Some(detail)) = (
        req.request.policy_name.as_deref(),
        req.request.use_case_description.as_deref(),
    ) else {
        return Err(PmsError::new(
            "PMS_COR_001",
            "Invalid request parameter - must not be null :policyName/useCaseDescription",
        ));
    };
    check_size(detail, "useCaseDescription", 0, 4000)?;
    own(&caller, &partner_id)?;
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(
        &mut tx,
        &partner_id,
        "PMS_PRT_005",
        "Partner does not exist",
    )
    .await?;
    if !p.is_active {
        return Err(PmsError::new("PMS_PMP_016", "Partner is not active."));
    }
    let Some(group_id) = p.policy_group_id.as_deref() else {
        return Err(PmsError::new(
            "PMS_PRT_047",
            "Partner is not mapped to policy group",
        ));
    };
    let policy = policies::policy_by_name(&mut tx, group_id, policy_name)
        .await?
        .ok_or_else(|| {
            PmsError::new(
                "PMS_PRT_098",
                "Given policy under partner's policy group not exists.",
            )
        })?;
    usable_policy(&mut tx, &policy).await?;
    if let Some(open) = pp::open_request(&mut tx, &p.id, &policy.id).await? {
        return Err(PmsError::new(
            "PMS_PRT_053",
            format!(
                "Mapping exists for given policy and partner and is in {} state.",
                open.status_code
            ),
        ));
    }
    let id = Uuid::new_v4().to_string();
    pp::insert_request(&mut tx, &id, &p.id, &policy.id, detail, &caller.user_id).await?;
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        &p.id,
        partner_ordering_key(&p.id),
        EffectsInput::default().audit(Audit::of_partner(
            "PMS_PRT_222",
            "MAP_POLICY_PARTNER",
            "Policy mapping requested",
            &p.id,
        )),
    )
    .await?;
    tx.commit().await?;
    ok(
        req.id,
        req.version,
        json!({"mappingkey": id, "message": "Policy mapping request submitted successfully."}),
    )
}

/// The decision on a policy mapping request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct DecisionRequest {
    /// `Approved` or `Rejected` (case-insensitive).
    #[serde(default)]
    status: String,
}

/// Approve or reject a policy mapping request.
///
/// `PUT /partners/policy/{mappingkey}` `{status: Approved|Rejected}`, checked in PMS's order:
/// `PMS_COR_001` blank status, `PMS_PMP_007` unknown request, `PMS_PM_034` / `PMS_PM_035`
/// already decided, `PMS_PM_051` extractors missing (credential / online-verification
/// partners), policy checks, and last `PMS_PM_045` a status other than the two.
/// No event and no email, as PMS; audited.
#[utoipa::path(
    put,
    path = "/v1/partnermanager/partners/policy/{mapping_key}",
    tag = "partners",
    params(
        ("mapping_key" = String, Path, description = "Mapping request id (`mappingkey`)"),
    ),
    request_body = crate::openapi::PmsRequest<DecisionRequest>,
    responses(
        (status = 200, description = "`response`: `\"Policy mapping approved successfully\"` or `\"Policy mapping rejected successfully\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, blank status), `PMS_PMP_007` (unknown request), `PMS_PM_034` / `PMS_PM_035` (already decided), `PMS_PMP_005` (unknown partner), `PMS_PM_051` (extractors missing), `PMS_PMP_017` (policy gone), `PMS_PMP_019` / `PMS_PMP_018` / `PMS_PMP_023` (policy unusable), `PMS_PM_045` (status neither Approved nor Rejected, checked last).", body = crate::openapi::PmsResponse<String>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn decide_policy_request(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(mapping_key): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check("putpartnerspolicymapping", &caller)?;
    let req: RequestWrapper<DecisionRequest> = envelope(&body)?;
    // `@NotBlank` in PMS: bean validation, before the service runs.
    if req.request.status.trim().is_empty() {
        return Err(PmsError::new(
            "PMS_COR_001",
            "Missing Input Parameter - request.status",
        ));
    }
    let mut tx = state.pool.begin().await?;
    let r = pp::request_for_update(&mut tx, &mapping_key)
        .await?
        .ok_or_else(|| PmsError::new("PMS_PMP_007", "Partner api key does not exist"))?;
    match r.status_code.as_str() {
        "approved" => {
            return Err(PmsError::new(
                "PMS_PM_034",
                "Policy request already approved.",
            ))
        }
        "rejected" => {
            return Err(PmsError::new(
                "PMS_PM_035",
                "Policy request already rejected.",
            ))
        }
        _ => {}
    }
    let p = locked_partner(
        &mut tx,
        &r.part_id,
        "PMS_PMP_005",
        "Partner ID does not exist",
    )
    .await?;
    if matches!(
        p.partner_type_code.as_str(),
        "Credential_Partner" | "Online_Verification_Partner"
    ) {
        let extractors = credentials::extractors(&mut tx, &r.part_id, &r.policy_id).await?;
        if extractors.is_empty() {
            return Err(PmsError::new(
                "PMS_PM_051",
                "Extractors are not present. Please add extractors.",
            ));
        }
    }
    let policy = policies::policy(&mut tx, &r.policy_id, false)
        .await?
        .ok_or_else(|| PmsError::new("PMS_PMP_017", "Partner is not mapped to any policy."))?;
    usable_policy(&mut tx, &policy).await?;
    // PMS checks the value last (mosip api-test README §6, validation order).
    let approve = match req.request.status.to_ascii_lowercase().as_str() {
        "approved" => true,
        "rejected" => false,
        _ => {
            return Err(PmsError::new(
                "PMS_PM_045",
                "Status should be either Approved or Rejected",
            ))
        }
    };
    let status = if approve { "approved" } else { "rejected" };
    pp::set_request_status(&mut tx, &r.id, status, &caller.user_id).await?;
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        &p.id,
        partner_ordering_key(&p.id),
        EffectsInput::default().audit(Audit::of_partner(
            "PMS_PRT_281",
            "APPROVE_REJECT_PARTNER_API",
            &format!("Policy mapping {status}"),
            &p.id,
        )),
    )
    .await?;
    tx.commit().await?;
    let msg = if approve {
        "Policy mapping approved successfully"
    } else {
        "Policy mapping rejected successfully"
    };
    ok(req.id, req.version, json!(msg))
}

/// List a partner's policy mapping requests and keys.
///
/// `GET /partners/{partnerId}/apikey/request`: `[{apiKeyReqID, apiKeyRequestStatus,
/// partnerApiKey, validityTill, apikeyStatus}]`, one per request (the key fields from the
/// request's newest key, only once approved); `PMS_PRT_006` when there is none.
#[utoipa::path(
    get,
    path = "/v1/partnermanager/partners/{partner_id}/apikey/request",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    responses(
        (status = 200, description = "`response`: `[{apiKeyReqID, apiKeyRequestStatus, partnerApiKey, validityTill, apikeyStatus}]`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_006` (no request).", body = crate::openapi::PmsResponse<Vec<crate::openapi::ApiKeyRequestView>>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn api_key_requests(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
) -> PmsResult {
    state.roles.check("getpartnersapikeyrequest", &caller)?;
    own(&caller, &partner_id)?;
    let mut conn = state.pool.acquire().await?;
    let requests = pp::requests_of(&mut conn, &partner_id).await?;
    if requests.is_empty() {
        return Err(PmsError::new("PMS_PRT_006", "No api key req exist"));
    }
    let keys = pp::keys_of(&mut conn, &partner_id).await?;
    let out: Vec<Value> = requests
        .iter()
        .map(|r| {
            let key = (r.status_code == "approved")
                .then(|| keys.iter().rev().find(|k| k.policy_id == r.policy_id))
                .flatten();
            json!({
                "apiKeyReqID": r.id,
                "apiKeyRequestStatus": r.status_code,
                "partnerApiKey": key.map(|k| k.policy_api_key.clone()),
                "validityTill": key.map(|k| mosip_datetime(k.valid_to_datetime)),
                "apikeyStatus": key.map(|k| if k.is_active { "Active" } else { "De-Active" }),
            })
        })
        .collect();
    ok(None, None, Value::Array(out))
}

/// An API key to generate.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ApiKeyGenerateRequest)]
struct GenerateRequest {
    /// Name of an approved policy of the partner, 1-128 characters.
    #[serde(default, rename = "policyName")]
    policy_name: String,
    /// Label, unique per partner and policy, 1-36 characters.
    #[serde(default)]
    label: String,
}

/// Generate an API key for an approved policy.
///
/// `PATCH /partners/{partnerId}/generate/apikey` `{policyName, label}` → `{apiKey, label,
/// partnerId, policyId}`: a strong random key valid for `pms.api_key_validity_days`; the caller
/// must be the partner itself (no admin bypass, as PMS). `PMS_PRT_055`, `PMS_PMP_005`,
/// `PMS_PMP_016`, `PMS_PMP_014`, `PMS_PRT_109`, `PMS_PRT_110`. Publishes `APIKEY_APPROVED`
/// with the partner's re-signed certificate.
#[utoipa::path(
    patch,
    path = "/v1/partnermanager/partners/{partner_id}/generate/apikey",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    request_body = crate::openapi::PmsRequest<GenerateRequest>,
    responses(
        (status = 200, description = "`response`: `{apiKey, label, partnerId, policyId}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (not the partner itself), `PMS_PMP_005` (unknown partner), `PMS_PMP_016` (partner not active), `PMS_PMP_014` (unknown policy), `PMS_PRT_109` (policy not approved for the partner), `PMS_PMP_019` / `PMS_PMP_018` / `PMS_PMP_023` (policy unusable), `PMS_PRT_110` (label exists).", body = crate::openapi::PmsResponse<crate::openapi::GeneratedApiKey>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn generate_api_key(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check("patchpartnersgenerateapikey", &caller)?;
    let req: RequestWrapper<GenerateRequest> = envelope(&body)?;
    let r = &req.request;
    check_size(&r.policy_name, "policyName", 1, 128)?;
    check_size(&r.label, "label", 1, 36)?;
    if caller.user_id != partner_id {
        return Err(not_authorized());
    }
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(
        &mut tx,
        &partner_id,
        "PMS_PMP_005",
        "Partner ID does not exist",
    )
    .await?;
    if !p.is_active {
        return Err(PmsError::new("PMS_PMP_016", "Partner is not active."));
    }
    let policy = match p.policy_group_id.as_deref() {
        Some(g) => policies::policy_by_name(&mut tx, g, &r.policy_name).await?,
        None => None,
    }
    .ok_or_else(|| PmsError::new("PMS_PMP_014", "Policy does not exist"))?;
    if !pp::is_approved(&mut tx, &p.id, &policy.id).await? {
        return Err(PmsError::new(
            "PMS_PRT_109",
            "Given policy is not mapped to partner",
        ));
    }
    usable_policy(&mut tx, &policy).await?;
    let key = Alphanumeric.sample_string(&mut rand::rng(), state.pms.api_key_length);
    let valid_to =
        OffsetDateTime::now_utc() + Duration::days(i64::from(state.pms.api_key_validity_days));
    let Some(k) = pp::insert_key(
        &mut tx,
        &key,
        &p.id,
        &policy.id,
        &r.label,
        valid_to,
        &caller.user_id,
    )
    .await?
    else {
        return Err(PmsError::new(
            "PMS_PRT_110",
            "Given label already exists.Provide unique label.",
        ));
    };
    let data = events::api_key_approved_data(
        partner_data(&mut tx, &p, p.is_active).await?,
        &policy_data(&policy),
        events::api_key_data(
            &k.policy_api_key,
            k.valid_from_datetime,
            k.valid_to_datetime,
            true,
        ),
    );
    let effects = EffectsInput::default()
        .event(TopicEvent::new(
            events::APIKEY_APPROVED,
            PARTNER_MANAGER,
            data,
        ))
        .audit(Audit::of_partner(
            "PMS_PRT_279",
            "GENERATE_API_KEY",
            "API key generated",
            &p.id,
        ));
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        &p.id,
        partner_ordering_key(&p.id),
        effects,
    )
    .await?;
    tx.commit().await?;
    ok(
        req.id,
        req.version,
        json!({"apiKey": k.policy_api_key, "label": k.label, "partnerId": p.id, "policyId": policy.id}),
    )
}

/// An API key status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ApiKeyStatusRequest)]
struct KeyStatusRequest {
    /// Label of the key, 1-36 characters.
    #[serde(default)]
    label: String,
    /// `Active` or `De-Active` (case-insensitive).
    #[serde(default)]
    status: String,
}

fn parse_active(status: &str) -> Result<bool, PmsError> {
    active_flag(status)
        .ok_or_else(|| PmsError::new("PMS_PM_058", "Status should be either Active or De-Active"))
}

/// Activate or deactivate an API key.
///
/// `PATCH /partners/{partnerId}/policy/{policyId}/apiKey/status` `{label, status}` →
/// "Partner apikey activated/de-activated successfully."; `PMS_PRT_111`, `PMS_PM_058`.
/// Publishes `APIKEY_UPDATED` and emails the partner.
#[utoipa::path(
    patch,
    path = "/v1/partnermanager/partners/{partner_id}/policy/{policy_id}/apiKey/status",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
        ("policy_id" = String, Path, description = "Policy id"),
    ),
    request_body = crate::openapi::PmsRequest<KeyStatusRequest>,
    responses(
        (status = 200, description = "`response`: `\"Partner apikey activated successfully.\"` or `\"Partner apikey de-activated successfully.\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (another partner), `PMS_PM_058` (status), `PMS_PRT_111` (no such key).", body = crate::openapi::PmsResponse<String>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn api_key_status(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, policy_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check("patchpartnerspolicyapikeystatus", &caller)?;
    let req: RequestWrapper<KeyStatusRequest> = envelope(&body)?;
    check_size(&req.request.label, "label", 1, 36)?;
    check_size(&req.request.status, "status", 1, 36)?;
    own(&caller, &partner_id)?;
    let active = parse_active(&req.request.status)?;
    let mut tx = state.pool.begin().await?;
    let missing = || {
        PmsError::new(
            "PMS_PRT_111",
            "API key not exists for the given combination.",
        )
    };
    let p = partners::partner_detail(&mut tx, &partner_id, true)
        .await?
        .ok_or_else(missing)?;
    let k = pp::key_by_label(&mut tx, &p.id, &policy_id, &req.request.label)
        .await?
        .ok_or_else(missing)?;
    let policy = policies::policy(&mut tx, &policy_id, false)
        .await?
        .ok_or_else(missing)?;
    pp::set_key_active(&mut tx, &k.policy_api_key, active, &caller.user_id).await?;
    let notice = notifications::ApiKeyNotice {
        label: &k.label,
        policy_name: &policy.name,
        key_active: active,
        key_expires_on: k.valid_to_datetime,
        policy_active: policy.is_active,
        policy_expires_on: policy.valid_to_date,
    };
    let effects = EffectsInput::default()
        .event(TopicEvent::new(
            events::APIKEY_UPDATED,
            PARTNER_MANAGER,
            json!({"apiKeyData": events::api_key_data(&k.policy_api_key, k.valid_from_datetime, k.valid_to_datetime, active)}),
        ))
        .email(notifications::api_key_status(&p.email_id, &notice))
        .audit(Audit::of_partner("PMS_PRT_299", "ACTIVATE_DEACTIVATE_API_PARTNERS", "API key status changed", &p.id));
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        &p.id,
        partner_ordering_key(&p.id),
        effects,
    )
    .await?;
    tx.commit().await?;
    let msg = if active {
        "Partner apikey activated successfully."
    } else {
        "Partner apikey de-activated successfully."
    };
    ok(req.id, req.version, json!(msg))
}

/// Move an API key to another policy.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ApiKeyPolicyRequest)]
struct RepointRequest {
    /// The key's current policy id; must not be null.
    #[serde(default, rename = "oldPolicyID")]
    old_policy_id: Option<String>,
    /// An active policy of the partner's group; must not be null.
    #[serde(default, rename = "newPolicyID")]
    new_policy_id: Option<String>,
}

/// Move an API key to another policy.
///
/// `PUT /partners/{partnerId}/apikey/{apikey}/policies` `{oldPolicyID, newPolicyID}`: move
/// an active key to another active policy of the partner's group; `PMS_PMP_50`,
/// `PMS_PMS_022`, `PMS_PMP_014/019/023`, `PMS_PMP_51`. Publishes `APIKEY_UPDATED`.
#[utoipa::path(
    put,
    path = "/v1/partnermanager/partners/{partner_id}/apikey/{api_key}/policies",
    tag = "partners",
    params(
        ("partner_id" = String, Path, description = "Partner id"),
        ("api_key" = String, Path, description = "The API key"),
    ),
    request_body = crate::openapi::PmsRequest<RepointRequest>,
    responses(
        (status = 200, description = "`response`: `{message}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (null field), `PMS_PMP_50` (no such key, partner and policy), `PMS_PMS_022` (key inactive), `PMS_PMP_014` (unknown policy), `PMS_PMP_019` / `PMS_PMP_018` / `PMS_PMP_023` (policy unusable), `PMS_PMP_51` (policy of another group), `PMS_PRT_110` (label exists under the new policy).", body = crate::openapi::PmsResponse<crate::openapi::Message>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn repoint_api_key(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, api_key)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check("putpartnersapikeypolicies", &caller)?;
    let req: RequestWrapper<RepointRequest> = envelope(&body)?;
    let (Some(old), Some(new)) = (
        req.request.old_policy_id.as_deref(),
        req.request.new_policy_id.as_deref(),
    ) else {
        return Err(PmsError::new(
            "PMS_COR_001",
            "Invalid request parameter - must not be null :oldPolicyID/newPolicyID",
        ));
    };
    let mut tx = state.pool.begin().await?;
    let not_mapped = || {
        PmsError::new(
            "PMS_PMP_50",
            "Given apikey,partner and policy mapping not exists.",
        )
    };
    let p = partners::partner_detail(&mut tx, &partner_id, true)
        .await?
        .ok_or_else(not_mapped)?;
    let k = pp::key(&mut tx, &p.id, &api_key)
        .await?
        .filter(|k| k.policy_id == old)
        .ok_or_else(not_mapped)?;
    if !k.is_active {
        return Err(PmsError::new(
            "PMS_PMS_022",
            "Given Partner api key is not active.",
        ));
    }
    let policy = policies::policy(&mut tx, new, false)
        .await?
        .ok_or_else(|| PmsError::new("PMS_PMP_014", "Policy does not exist"))?;
    usable_policy(&mut tx, &policy).await?;
    if p.policy_group_id.as_deref() != Some(policy.policy_group_id.as_str()) {
        return Err(PmsError::new(
            "PMS_PMP_51",
            "Given policy is not belongs to partner's policy group",
        ));
    }
    if !pp::repoint_key(&mut tx, &k.policy_api_key, &policy.id, &caller.user_id).await? {
        return Err(PmsError::new(
            "PMS_PRT_110",
            "Given label already exists.Provide unique label.",
        ));
    }
    let effects = EffectsInput::default()
        .event(TopicEvent::new(
            events::APIKEY_UPDATED,
            PARTNER_MANAGER,
            json!({"apiKeyData": events::api_key_data(&k.policy_api_key, k.valid_from_datetime, k.valid_to_datetime, true), "policyData": policy_data(&policy).to_json()}),
        ))
        .audit(Audit::of_partner("PMS_PRT_279", "API_KEY_MAPPING", "API key moved to another policy", &p.id));
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        &p.id,
        partner_ordering_key(&p.id),
        effects,
    )
    .await?;
    tx.commit().await?;
    ok(
        None,
        None,
        json!({"message": "Given apikey updated with policy successfully. "}),
    )
}

/// A partner status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PartnerStatusRequest {
    /// `Active` or `De-active` (case-insensitive), 1-36 characters.
    #[serde(default)]
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
    request_body = crate::openapi::PmsRequest<PartnerStatusRequest>,
    responses(
        (status = 200, description = "`response`: `{message: \"Partner activated successfully\"}` or `\"Partner de-activated successfully\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, status size), `PMS_PM_058` (status), `PMS_PMP_005` (unknown partner), `PMS_PRT_108` (no certificate uploaded).", body = crate::openapi::PmsResponse<crate::openapi::Message>),
        crate::openapi::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn activate_partner(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check("patchpartners", &caller)?;
    let req: RequestWrapper<PartnerStatusRequest> = envelope(&body)?;
    check_size(&req.request.status, "status", 1, 36)?;
    let active = parse_active(&req.request.status)?;
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(
        &mut tx,
        &partner_id,
        "PMS_PMP_005",
        "Partner ID does not exist",
    )
    .await?;
    if active && p.certificate_alias.is_none() {
        return Err(PmsError::new(
            "PMS_PRT_108",
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
            &p.id,
            partner_ordering_key(&p.id),
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

//! Policy mapping and API keys (PMS 1.2.0.1 `PartnerServiceController`): a partner asks to
//! use a policy of its group, an admin approves or rejects, the partner generates API keys,
//! activates or deactivates them, or moves one to another policy.

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::{
    effects::{Audit, EffectsInput, TopicEvent},
    envelope::{check_size, mosip_datetime, RequestWrapper},
    events::{self, PARTNER_MANAGER},
    notifications,
};
use pmsflow_store::{
    credentials, partner_policies as pp,
    partners::{self},
    policies::{self},
    runs::EffectsAbout,
};
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access::PmsCaller;
use crate::access::RoleKey;
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::guard::{locked_partner, not_authorized, own, parse_active, usable_policy};
use crate::pms::views::partner_data;
use crate::pms::views::policy_data;
use crate::services::effects::enqueue;
use crate::state::AppState;

/// Routes of policy mapping and API keys.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_policy))
        .routes(routes!(decide_policy_request))
        .routes(routes!(api_key_requests))
        .routes(routes!(generate_api_key))
        .routes(routes!(api_key_status))
        .routes(routes!(repoint_api_key))
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
    request_body = crate::openapi::schemas::PmsRequest<PolicyMapRequest>,
    responses(
        (status = 200, description = "`response`: `{mappingkey, message}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (null field, description size), `PMS_PRT_055` (another partner), `PMS_PRT_005` (unknown partner), `PMS_PMP_016` (partner not active), `PMS_PRT_047` (no policy group), `PMS_PRT_098` (policy not in the group), `PMS_PMP_019` (policy inactive), `PMS_PMP_018` (policy expired), `PMS_PMP_023` (group inactive), `PMS_PRT_053` (a request is open or approved).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicyMappingRequested>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn request_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostPartnersPolicyMap, &caller)?;
    let req: RequestWrapper<PolicyMapRequest> = envelope(&body)?;
    let (Some(policy_name), Some(detail)) = (
        req.request.policy_name.as_deref(),
        req.request.use_case_description.as_deref(),
    ) else {
        return Err(PmsError::new(
            codes::PMS_COR_001,
            "Invalid request parameter - must not be null :policyName/useCaseDescription",
        ));
    };
    check_size(detail, "useCaseDescription", 0, 4000)?;
    own(&caller, &partner_id)?;
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(&mut tx, &partner_id, codes::PMS_PRT_005).await?;
    if !p.is_active {
        return Err(PmsError::of(codes::PMS_PMP_016));
    }
    let Some(group_id) = p.policy_group_id.as_deref() else {
        return Err(PmsError::of(codes::PMS_PRT_047));
    };
    let policy = policies::policy_by_name(&mut tx, group_id, policy_name)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PRT_098))?;
    usable_policy(&mut tx, &policy).await?;
    if let Some(open) = pp::open_request(&mut tx, &p.id, &policy.id).await? {
        return Err(PmsError::new(
            codes::PMS_PRT_053,
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
        EffectsAbout::Partner(&p.id),
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
    #[schema(min_length = 1)]
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
    request_body = crate::openapi::schemas::PmsRequest<DecisionRequest>,
    responses(
        (status = 200, description = "`response`: `\"Policy mapping approved successfully\"` or `\"Policy mapping rejected successfully\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, blank status), `PMS_PMP_007` (unknown request), `PMS_PM_034` / `PMS_PM_035` (already decided), `PMS_PMP_005` (unknown partner), `PMS_PM_051` (extractors missing), `PMS_PMP_017` (policy gone), `PMS_PMP_019` / `PMS_PMP_018` / `PMS_PMP_023` (policy unusable), `PMS_PM_045` (status neither Approved nor Rejected, checked last).", body = crate::openapi::schemas::PmsResponse<String>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn decide_policy_request(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(mapping_key): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PutPartnersPolicyMapping, &caller)?;
    let req: RequestWrapper<DecisionRequest> = envelope(&body)?;
    // `@NotBlank` in PMS: bean validation, before the service runs.
    if req.request.status.trim().is_empty() {
        return Err(PmsError::new(
            codes::PMS_COR_001,
            "Missing Input Parameter - request.status",
        ));
    }
    let mut tx = state.pool.begin().await?;
    let r = pp::request_for_update(&mut tx, &mapping_key)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PMP_007))?;
    match r.status_code.as_str() {
        "approved" => return Err(PmsError::of(codes::PMS_PM_034)),
        "rejected" => return Err(PmsError::of(codes::PMS_PM_035)),
        _ => {}
    }
    let p = locked_partner(&mut tx, &r.part_id, codes::PMS_PMP_005).await?;
    if matches!(
        p.partner_type_code.as_str(),
        "Credential_Partner" | "Online_Verification_Partner"
    ) {
        let extractors = credentials::extractors(&mut tx, &r.part_id, &r.policy_id).await?;
        if extractors.is_empty() {
            return Err(PmsError::of(codes::PMS_PM_051));
        }
    }
    let policy = policies::policy(&mut tx, &r.policy_id, false)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PMP_017))?;
    usable_policy(&mut tx, &policy).await?;
    // PMS checks the value last (mosip api-test README §6, validation order).
    let approve = match req.request.status.to_ascii_lowercase().as_str() {
        "approved" => true,
        "rejected" => false,
        _ => return Err(PmsError::of(codes::PMS_PM_045)),
    };
    let status = if approve { "approved" } else { "rejected" };
    pp::set_request_status(&mut tx, &r.id, status, &caller.user_id).await?;
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        EffectsAbout::Partner(&p.id),
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
        (status = 200, description = "`response`: `[{apiKeyReqID, apiKeyRequestStatus, partnerApiKey, validityTill, apikeyStatus}]`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_PRT_055` (another partner), `PMS_PRT_006` (no request).", body = crate::openapi::schemas::PmsResponse<Vec<crate::openapi::schemas::ApiKeyRequestView>>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn api_key_requests(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::GetPartnersApiKeyRequest, &caller)?;
    own(&caller, &partner_id)?;
    let mut conn = state.pool.acquire().await?;
    let requests = pp::requests_of(&mut conn, &partner_id).await?;
    if requests.is_empty() {
        return Err(PmsError::of(codes::PMS_PRT_006));
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
    #[schema(min_length = 1, max_length = 128)]
    policy_name: String,
    /// Label, unique per partner and policy, 1-36 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 36)]
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
    request_body = crate::openapi::schemas::PmsRequest<GenerateRequest>,
    responses(
        (status = 200, description = "`response`: `{apiKey, label, partnerId, policyId}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (not the partner itself), `PMS_PMP_005` (unknown partner), `PMS_PMP_016` (partner not active), `PMS_PMP_014` (unknown policy), `PMS_PRT_109` (policy not approved for the partner), `PMS_PMP_019` / `PMS_PMP_018` / `PMS_PMP_023` (policy unusable), `PMS_PRT_110` (label exists).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::GeneratedApiKey>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn generate_api_key(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PatchPartnersGenerateApiKey, &caller)?;
    let req: RequestWrapper<GenerateRequest> = envelope(&body)?;
    let r = &req.request;
    check_size(&r.policy_name, "policyName", 1, 128)?;
    check_size(&r.label, "label", 1, 36)?;
    if caller.user_id != partner_id {
        return Err(not_authorized());
    }
    let mut tx = state.pool.begin().await?;
    let p = locked_partner(&mut tx, &partner_id, codes::PMS_PMP_005).await?;
    if !p.is_active {
        return Err(PmsError::of(codes::PMS_PMP_016));
    }
    let policy = match p.policy_group_id.as_deref() {
        Some(g) => policies::policy_by_name(&mut tx, g, &r.policy_name).await?,
        None => None,
    }
    .ok_or_else(|| PmsError::of(codes::PMS_PMP_014))?;
    if !pp::is_approved(&mut tx, &p.id, &policy.id).await? {
        return Err(PmsError::of(codes::PMS_PRT_109));
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
        return Err(PmsError::of(codes::PMS_PRT_110));
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
        EffectsAbout::Partner(&p.id),
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
    #[schema(min_length = 1, max_length = 36)]
    label: String,
    /// `Active` or `De-Active` (case-insensitive).
    #[serde(default)]
    status: String,
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
    request_body = crate::openapi::schemas::PmsRequest<KeyStatusRequest>,
    responses(
        (status = 200, description = "`response`: `\"Partner apikey activated successfully.\"` or `\"Partner apikey de-activated successfully.\"`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes), `PMS_PRT_055` (another partner), `PMS_PM_058` (status), `PMS_PRT_111` (no such key).", body = crate::openapi::schemas::PmsResponse<String>),
        crate::openapi::schemas::PmsDenied,
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
        .check(RoleKey::PatchPartnersPolicyApiKeyStatus, &caller)?;
    let req: RequestWrapper<KeyStatusRequest> = envelope(&body)?;
    check_size(&req.request.label, "label", 1, 36)?;
    check_size(&req.request.status, "status", 1, 36)?;
    own(&caller, &partner_id)?;
    let active = parse_active(&req.request.status)?;
    let mut tx = state.pool.begin().await?;
    let missing = || PmsError::of(codes::PMS_PRT_111);
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
        EffectsAbout::Partner(&p.id),
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
    request_body = crate::openapi::schemas::PmsRequest<RepointRequest>,
    responses(
        (status = 200, description = "`response`: `{message}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (null field), `PMS_PMP_50` (no such key, partner and policy), `PMS_PMS_022` (key inactive), `PMS_PMP_014` (unknown policy), `PMS_PMP_019` / `PMS_PMP_018` / `PMS_PMP_023` (policy unusable), `PMS_PMP_51` (policy of another group), `PMS_PRT_110` (label exists under the new policy).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::Message>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn repoint_api_key(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, api_key)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PutPartnersApiKeyPolicies, &caller)?;
    let req: RequestWrapper<RepointRequest> = envelope(&body)?;
    let (Some(old), Some(new)) = (
        req.request.old_policy_id.as_deref(),
        req.request.new_policy_id.as_deref(),
    ) else {
        return Err(PmsError::new(
            codes::PMS_COR_001,
            "Invalid request parameter - must not be null :oldPolicyID/newPolicyID",
        ));
    };
    let mut tx = state.pool.begin().await?;
    let not_mapped = || PmsError::of(codes::PMS_PMP_50);
    let p = partners::partner_detail(&mut tx, &partner_id, true)
        .await?
        .ok_or_else(not_mapped)?;
    let k = pp::key(&mut tx, &p.id, &api_key)
        .await?
        .filter(|k| k.policy_id == old)
        .ok_or_else(not_mapped)?;
    if !k.is_active {
        return Err(PmsError::of(codes::PMS_PMS_022));
    }
    let policy = policies::policy(&mut tx, new, false)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PMP_014))?;
    usable_policy(&mut tx, &policy).await?;
    if p.policy_group_id.as_deref() != Some(policy.policy_group_id.as_str()) {
        return Err(PmsError::of(codes::PMS_PMP_51));
    }
    if !pp::repoint_key(&mut tx, &k.policy_api_key, &policy.id, &caller.user_id).await? {
        return Err(PmsError::of(codes::PMS_PRT_110));
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
        EffectsAbout::Partner(&p.id),
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

//! Read-only lookups the partner portal and MOSIP services use (mosip-pms.md §4.1 #22,
//! §4.2 #29–#31, §4.5): whether an e-mail is registered, the portal's roles, the policy
//! mapping requests as the partner manager lists them, and which policy an API key of a
//! partner is for.

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::{envelope::RequestWrapper, partner::is_valid_email};
use pmsflow_store::{
    partner_policies::{self as pp, RequestView},
    partners,
};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::PmsCaller;
use crate::access::RoleKey;
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::state::AppState;

/// Routes of the lookups.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_email))
        .routes(routes!(portal_roles))
        .routes(routes!(all_policy_requests))
        .routes(routes!(policy_request))
        .routes(routes!(api_key_policy))
        .routes(routes!(api_key_policy_by_header))
}

/// `EmailVerificationRequestDto`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct EmailVerification {
    /// The e-mail address to look up.
    #[serde(default, rename = "emailId")]
    email_id: String,
}

/// Whether an e-mail address already belongs to a partner.
///
/// `PUT /partners/email/verify` (any authenticated caller, as PMS has no role list for it)
/// `{emailId}` → `{emailExists, policyRequiredPartnerTypes: [UPPER-CASE type codes]}`;
/// `PMS_PRT_012` when the address is not an e-mail.
#[utoipa::path(put, path = "/v1/partnermanager/partners/email/verify", tag = "partners",
    request_body = crate::openapi::schemas::PmsRequest<EmailVerification>,
    responses((status = 200, description = "`response`: `{emailExists: bool, policyRequiredPartnerTypes: [string]}`. Business errors (HTTP 200): `PMS_COR_001` (malformed body), `PMS_PRT_012` (not an e-mail).", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn verify_email(
    State(state): State<AppState>,
    PmsCaller(_caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let req: RequestWrapper<EmailVerification> = envelope(&body)?;
    if !is_valid_email(&req.request.email_id) {
        return Err(PmsError::of(codes::PMS_PRT_012));
    }
    let mut conn = state.pool.acquire().await?;
    let exists = partners::email_taken(&mut conn, &req.request.email_id).await?;
    let types: Vec<String> = partners::policy_required_types(&mut conn)
        .await?
        .iter()
        .map(|t| t.to_uppercase())
        .collect();
    ok(
        req.id,
        req.version,
        json!({"emailExists": exists, "policyRequiredPartnerTypes": types}),
    )
}

/// The roles the partner portal offers.
///
/// `GET /roles` (any authenticated caller) → `{roles: [...]}` from `[pms] ui_roles`
/// (`mosip.pms.ui.required.roles`). This is the only configuration value answered, and it
/// is the one the portal needs.
#[utoipa::path(get, path = "/v1/partnermanager/roles", tag = "partners",
    responses((status = 200, description = "`response`: `{roles: [string]}`.", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn portal_roles(State(state): State<AppState>, PmsCaller(_caller): PmsCaller) -> PmsResult {
    ok(None, None, json!({ "roles": state.pms.ui_roles }))
}

/// PMS's `ApikeyRequests`.
fn request_json(r: &RequestView) -> Value {
    json!({
        "apiKeyReqNo": r.id,
        "partnerID": r.part_id,
        "organizationName": r.organization_name,
        "policyId": r.policy_id,
        "policyDesc": r.request_detail,
        "status": r.status_code,
    })
}

fn no_requests() -> PmsError {
    PmsError::of(codes::PMS_PMP_015)
}

/// Every policy mapping request.
///
/// `GET /partners/apikey` (`getpartnersapikey`: PARTNERMANAGER, PARTNER_ADMIN) →
/// `{apikeyRequests: [{apiKeyReqNo, partnerID, organizationName, policyId, policyDesc,
/// status}]}`, oldest first; `PMS_PMP_015` when there is none.
#[utoipa::path(get, path = "/v1/partnermanager/partners/apikey", tag = "partners",
    responses((status = 200, description = "`response`: `{apikeyRequests: [...]}`. Business errors (HTTP 200): `PMS_PMP_015` (none).", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn all_policy_requests(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
) -> PmsResult {
    state.roles.check(RoleKey::GetPartnersApiKey, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let all = pp::request_views(&mut conn, None).await?;
    if all.is_empty() {
        return Err(no_requests());
    }
    let list: Vec<Value> = all.iter().map(request_json).collect();
    ok(None, None, json!({ "apikeyRequests": list }))
}

/// One policy mapping request.
///
/// `GET /partners/apikey/{requestId}` (`getpartnersapikey`) → `ApikeyRequests`;
/// `PMS_PMP_015` when unknown. (PMS names the path variable `apikey`; it is the request id.)
#[utoipa::path(get, path = "/v1/partnermanager/partners/apikey/{request_id}", tag = "partners",
    params(("request_id" = String, Path, description = "Policy mapping request id (`mappingkey`).")),
    responses((status = 200, description = "`response`: `{apiKeyReqNo, partnerID, organizationName, policyId, policyDesc, status}`. Business errors (HTTP 200): `PMS_PMP_015` (unknown).", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn policy_request(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(request_id): Path<String>,
) -> PmsResult {
    state.roles.check(RoleKey::GetPartnersApiKey, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let one = pp::request_views(&mut conn, Some(&request_id)).await?;
    let r = one.first().ok_or_else(no_requests)?;
    ok(None, None, request_json(r))
}

/// Which policy an API key of a partner is for.
///
/// `GET /partners/{partnerId}/apikey/{apikey}` (`getpartnersapikey`) → `{partnerID,
/// policyId}`; `PMS_PMP_009` when the partner has no such key.
#[utoipa::path(get, path = "/v1/partnermanager/partners/{partner_id}/apikey/{api_key}", tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id."), ("api_key" = String, Path, description = "API key value.")),
    responses((status = 200, description = "`response`: `{partnerID, policyId}`. Business errors (HTTP 200): `PMS_PMP_009` (no such key of the partner).", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn api_key_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, api_key)): Path<(String, String)>,
) -> PmsResult {
    state.roles.check(RoleKey::GetPartnersApiKey, &caller)?;
    key_policy(&state, &partner_id, &api_key).await
}

/// Header carrying the API key of [`api_key_policy_by_header`].
pub const API_KEY_HEADER: &str = "x-api-key";

/// The partner and policy of one of a partner's API keys, the key sent in a header.
///
/// `GET /partners/{partnerId}/apikey` with `X-API-Key: <key>`: what
/// `GET /partners/{partnerId}/apikey/{apikey}` answers, without the key in the URL (where
/// ingress, proxies and access logs would record it). `PMS_COR_001` without the header.
#[utoipa::path(get, path = "/v1/partnermanager/partners/{partner_id}/apikey", tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id."),
        ("X-API-Key" = String, Header, description = "API key value.")),
    responses((status = 200, description = "`response`: `{partnerID, policyId}`. Business errors (HTTP 200): `PMS_COR_001` (no `X-API-Key` header), `PMS_PMP_009` (no such key of the partner).", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn api_key_policy_by_header(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(partner_id): Path<String>,
    headers: axum::http::HeaderMap,
) -> PmsResult {
    state.roles.check(RoleKey::GetPartnersApiKey, &caller)?;
    let api_key = headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            PmsError::new(
                codes::PMS_COR_001,
                "Invalid request parameter - X-API-Key header is missing :request",
            )
        })?;
    key_policy(&state, &partner_id, api_key).await
}

/// The `{partnerID, policyId}` of `partner_id`'s key `api_key` (the caller's role is checked
/// by the handler, before it reads the key).
async fn key_policy(state: &AppState, partner_id: &str, api_key: &str) -> PmsResult {
    let mut conn = state.pool.acquire().await?;
    let key = pp::key(&mut conn, partner_id, api_key)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PMP_009))?;
    ok(
        None,
        None,
        json!({"partnerID": key.part_id, "policyId": key.policy_id}),
    )
}

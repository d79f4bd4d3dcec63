//! Policy manager (`/v1/policymanager/policies`, mosip-pms.md §4.6, §8): policy groups and
//! policies of the four types, each document validated against MOSIP's JSON schema
//! ([`pmsflow_core::policy`]). Lifecycle as PMS 1.2.0.1 (draft → published), plus the
//! deactivation of a published policy no mapping or API key uses (later PMS releases).
//! Publish, edit and status changes publish `POLICY_UPDATED` through an effects run.

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::envelope::ServiceError;
use pmsflow_core::{
    effects::{Audit, EffectsInput, TopicEvent},
    envelope::{active_flag, check_size, mosip_datetime, RequestWrapper},
    events::{self},
    policy::{validate_policy, PolicyType},
};
use pmsflow_store::{
    policies::{self, NewPolicy, PolicyGroupRow, PolicyRow, PolicyStatus},
    runs::EffectsAbout,
};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access::PmsCaller;
use crate::access::RoleKey;
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::views::{dt, group_entity_json, group_json, policy_data, policy_json};
use crate::services::effects::enqueue;
use crate::state::AppState;

/// Routes under `/v1/policymanager`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_group))
        .routes(routes!(update_group, get_group))
        .routes(routes!(all_groups))
        .routes(routes!(create_policy, all_policies))
        .routes(routes!(update_policy, get_policy))
        .routes(routes!(publish_policy))
        .routes(routes!(policy_status))
        .routes(routes!(policy_of_partner))
        .routes(routes!(active_policies_of_group))
}

/// `PMS_COR_003`: what the policy service answers when a field its code dereferences is
/// missing (its DTOs carry no validation).
fn could_not_process() -> PmsError {
    PmsError::of(codes::PMS_COR_003)
}

fn group_missing() -> PmsError {
    PmsError::of(codes::PMS_POL_016)
}

fn policy_missing() -> PmsError {
    PmsError::of(codes::PMS_POL_008)
}

/// A policy group to create or update.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct GroupRequest {
    /// Unique name, 1-128 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    name: String,
    /// Description, 1-128 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    desc: String,
    /// Update only, required there: activate or deactivate the group.
    #[serde(default, rename = "isActive")]
    is_active: Option<bool>,
}

impl GroupRequest {
    fn check(&self) -> Result<(), PmsError> {
        check_size(&self.name, "name", 1, 128)?;
        check_size(&self.desc, "desc", 1, 128)?;
        Ok(())
    }
}

/// Create a policy group.
///
/// `POST /policies/group/new` (PARTNER_ADMIN, POLICYMANAGER): `{name, desc}` → the group;
/// `PMS_POL_014` when the name exists.
#[utoipa::path(
    post,
    path = "/v1/policymanager/policies/group/new",
    tag = "policies",
    request_body = crate::openapi::schemas::PmsRequest<GroupRequest>,
    responses(
        (status = 200, description = "`response`: the group (`PolicyGroup`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, `name`/`desc` size), `PMS_POL_014` (name exists).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicyGroup>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn create_group(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostPoliciesGroupNew, &caller)?;
    let req: RequestWrapper<GroupRequest> = envelope(&body)?;
    req.request.check()?;
    let mut tx = state.pool.begin().await?;
    let id = Uuid::new_v4().to_string();
    let Some(g) = policies::insert_group(
        &mut tx,
        &id,
        &req.request.name,
        &req.request.desc,
        &caller.user_id,
    )
    .await?
    else {
        return Err(PmsError::new(
            codes::PMS_POL_014,
            format!("Policy group exists with name : {}", req.request.name),
        ));
    };
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        EffectsAbout::Policy(&g.id),
        EffectsInput::default().audit(Audit::new(
            "PMS_PRT_215",
            "CREATE_POLICY_GROUP",
            "Policy group created",
            &g.id,
            "policyGroupId",
        )),
    )
    .await?;
    tx.commit().await?;
    ok(req.id, req.version, group_json(&g))
}

/// Update a policy group.
///
/// `PUT /policies/group/{policygroupId}`: `{name, desc, isActive}`; `PMS_POL_008` unknown
/// group (as PMS), `PMS_POL_014` name taken, `PMS_POL_056` deactivation while active policies
/// exist.
#[utoipa::path(
    put,
    path = "/v1/policymanager/policies/group/{group_id}",
    tag = "policies",
    params(
        ("group_id" = String, Path, description = "Policy group id"),
    ),
    request_body = crate::openapi::schemas::PmsRequest<GroupRequest>,
    responses(
        (status = 200, description = "`response`: the group (`PolicyGroup`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, `name`/`desc` size), `PMS_COR_003` (no `isActive`), `PMS_POL_008` (unknown group), `PMS_POL_014` (name taken), `PMS_POL_056` (deactivation while active policies exist).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicyGroup>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update_group(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(group_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PutPoliciesPolicyGroupId, &caller)?;
    let req: RequestWrapper<GroupRequest> = envelope(&body)?;
    req.request.check()?;
    let mut tx = state.pool.begin().await?;
    let Some(current) = policies::group(&mut tx, &group_id, true).await? else {
        return Err(PmsError::new(
            codes::PMS_POL_008,
            "Policy group does not exist",
        ));
    };
    // PMS 1.2.0.1 dereferences a missing `isActive` (a null pointer answered as
    // `PMS_COR_003`); answered the same, before anything is written.
    let Some(active) = req.request.is_active else {
        return Err(could_not_process());
    };
    if current.is_active && !active && policies::active_policy_count(&mut tx, &group_id).await? > 0
    {
        return Err(PmsError::of(codes::PMS_POL_056));
    }
    let Some(g) = policies::update_group(
        &mut tx,
        &group_id,
        &req.request.name,
        &req.request.desc,
        active,
        &caller.user_id,
    )
    .await?
    else {
        return Err(PmsError::new(
            codes::PMS_POL_014,
            format!("Policy group exists with name : {}", req.request.name),
        ));
    };
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        EffectsAbout::Policy(&g.id),
        EffectsInput::default().audit(Audit::new(
            "PMS_PRT_256",
            "UPDATE_POLICY_GROUP",
            "Policy group updated",
            &g.id,
            "policyGroupId",
        )),
    )
    .await?;
    tx.commit().await?;
    ok(req.id, req.version, group_json(&g))
}

fn policy_dto(p: &PolicyRow) -> Value {
    json!({
        "id": p.id, "policyGroupId": p.policy_group_id, "name": p.name, "descr": p.descr,
        "policy_type": p.policy_type, "version": p.version, "status": p.status().as_str(),
        "is_Active": p.is_active, "schema": p.policy_schema,
        "validFromDate": mosip_datetime(p.valid_from_date),
        "validToDate": mosip_datetime(p.valid_to_date),
        "cr_by": p.cr_by, "cr_dtimes": mosip_datetime(p.cr_dtimes),
        "up_by": p.upd_by, "upd_dtimes": dt(p.upd_dtimes),
        "policy": p.policy_file_id,
    })
}

async fn group_with_policies(
    conn: &mut PgConnection,
    g: &PolicyGroupRow,
) -> Result<Value, PmsError> {
    let list = policies::policies(conn, Some(&g.id), false).await?;
    Ok(json!({
        "policyGroup": group_entity_json(g),
        "policies": list.iter().map(policy_dto).collect::<Vec<_>>(),
    }))
}

/// Get a policy group with its policies.
///
/// `GET /policies/group/{policygroupId}`: `{policyGroup, policies}`; `PMS_POL_016`.
#[utoipa::path(
    get,
    path = "/v1/policymanager/policies/group/{group_id}",
    tag = "policies",
    params(
        ("group_id" = String, Path, description = "Policy group id"),
    ),
    responses(
        (status = 200, description = "`response`: `{policyGroup, policies}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_POL_016` (unknown group).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicyGroupWithPolicies>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_group(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(group_id): Path<String>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::GetPoliciesGroupPolicyGroupId, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let g = policies::group(&mut conn, &group_id, false)
        .await?
        .ok_or_else(group_missing)?;
    ok(None, None, group_with_policies(&mut conn, &g).await?)
}

/// List policy groups with their policies.
///
/// `GET /policies/group/all`: `[{policyGroup, policies}]`.
#[utoipa::path(
    get,
    path = "/v1/policymanager/policies/group/all",
    tag = "policies",
    responses(
        (status = 200, description = "`response`: `[{policyGroup, policies}]`.", body = crate::openapi::schemas::PmsResponse<Vec<crate::openapi::schemas::PolicyGroupWithPolicies>>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn all_groups(State(state): State<AppState>, PmsCaller(caller): PmsCaller) -> PmsResult {
    state.roles.check(RoleKey::GetPoliciesGroupAll, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let mut out = Vec::new();
    for g in policies::groups(&mut conn).await? {
        out.push(group_with_policies(&mut conn, &g).await?);
    }
    ok(None, None, Value::Array(out))
}

/// A draft policy to create or edit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct PolicyRequest {
    /// Create only: the id to use, at most 36 characters (a UUID when absent or blank).
    #[serde(default)]
    #[schema(max_length = 36)]
    policy_id: Option<String>,
    /// Name of an active policy group, 1-128 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    policy_group_name: String,
    /// Create only: `Auth`, `DataShare`, `CredentialIssuance` or `MISP` (case-insensitive),
    /// 1-128 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    policy_type: String,
    /// Name, unique in the group, 1-128 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    name: String,
    /// Description, 1-128 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128)]
    desc: String,
    /// Version, 1-8 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 8)]
    version: String,
    /// The policy document, validated against MOSIP's JSON schema of its type.
    #[serde(default)]
    policies: Value,
}

fn check_document(policy_type: PolicyType, document: &Value) -> Result<(), PmsError> {
    if document.is_null() {
        return Err(PmsError::new(
            codes::PMS_COR_001,
            "Invalid request parameter - must not be null :policies",
        ));
    }
    validate_policy(policy_type, document)
        .map_err(|v| PmsError::from(ServiceError::new(v.code, v.message)))
}

fn parse_type(value: &str) -> Result<PolicyType, PmsError> {
    PolicyType::parse(value).ok_or_else(|| {
        PmsError::new(
            codes::PMS_POL_023,
            format!(
                "Policy type is not allowed. Allowed policy types are {}",
                PolicyType::ALL.map(PolicyType::as_str).join(",")
            ),
        )
    })
}

async fn active_group_by_name(
    conn: &mut PgConnection,
    name: &str,
) -> Result<PolicyGroupRow, PmsError> {
    let g = policies::group_by_name(conn, name)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_POL_019))?;
    if !g.is_active {
        return Err(PmsError::of(codes::PMS_POL_053));
    }
    Ok(g)
}

fn name_taken(name: &str) -> PmsError {
    PmsError::new(
        codes::PMS_POL_009,
        format!("Auth policy exists with name : {name}"),
    )
}

/// Create a draft policy.
///
/// `POST /policies`: create a draft `{policyId?, policyGroupName, policyType, name, desc,
/// version, policies}` → `{id, name, desc, is_Active:false, policyGroupName, ...}`; errors
/// `PMS_POL_023` type, `PMS_POL_019`/`053` group, `PMS_POL_009` name, `PMS_PV_005/006` schema.
#[utoipa::path(
    post,
    path = "/v1/policymanager/policies",
    tag = "policies",
    request_body = crate::openapi::schemas::PmsRequest<PolicyRequest>,
    responses(
        (status = 200, description = "`response`: the draft. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes, null `policies`), `PMS_POL_023` (policy type), `PMS_POL_019` (unknown group), `PMS_POL_053` (group inactive), `PMS_POL_009` (name exists in the group, or caller-chosen `policyId` exists), `PMS_PV_003`/`PMS_PV_005`/`PMS_PV_006` (document fails the schema).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicySaved>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn create_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PostPolicies, &caller)?;
    let req: RequestWrapper<PolicyRequest> = envelope(&body)?;
    let r = &req.request;
    check_size(&r.policy_group_name, "policyGroupName", 1, 128)?;
    check_size(&r.policy_type, "policyType", 1, 128)?;
    check_size(&r.name, "name", 1, 128)?;
    check_size(&r.desc, "desc", 1, 128)?;
    check_size(&r.version, "version", 1, 8)?;
    let ptype = parse_type(&r.policy_type)?;
    let mut tx = state.pool.begin().await?;
    let g = active_group_by_name(&mut tx, &r.policy_group_name).await?;
    if policies::policy_by_name(&mut tx, &g.id, &r.name)
        .await?
        .is_some()
    {
        return Err(name_taken(&r.name));
    }
    check_document(ptype, &r.policies)?;
    let id = r
        .policy_id
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    check_size(&id, "policyId", 1, 36)?;
    // A caller-chosen id that exists is refused (PMS's JPA `save` would have overwritten that
    // policy, whatever its group).
    if policies::policy(&mut tx, &id, false).await?.is_some() {
        return Err(PmsError::new(
            codes::PMS_POL_009,
            format!("Auth policy exists with id : {id}"),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let valid_to = now + Duration::days(365 * i64::from(state.pms.policy_validity_years));
    if !policies::insert_policy(
        &mut tx,
        &NewPolicy {
            id: &id,
            group_id: &g.id,
            name: &r.name,
            descr: &r.desc,
            document: &r.policies,
            policy_type: ptype.as_str(),
            version: &r.version,
            valid_to,
            by: &caller.user_id,
        },
    )
    .await?
    {
        return Err(name_taken(&r.name));
    }
    let p = policies::policy(&mut tx, &id, false)
        .await?
        .ok_or_else(policy_missing)?;
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        EffectsAbout::Policy(&id),
        EffectsInput::default().audit(Audit::new(
            "PMS_PRT_237",
            "CREATE_POLICY",
            "Policy created",
            &id,
            "policyId",
        )),
    )
    .await?;
    tx.commit().await?;
    ok(
        req.id,
        req.version,
        json!({
            "id": p.id, "name": p.name, "desc": p.descr, "is_Active": p.is_active,
            "policyGroupName": g.name, "policyType": p.policy_type, "version": p.version,
            "cr_by": p.cr_by, "cr_dtimes": mosip_datetime(p.cr_dtimes),
            "up_by": p.upd_by, "upd_dtimes": dt(p.upd_dtimes),
        }),
    )
}

/// Load the policy and group named in the path, checking they belong together
/// (`PMS_POL_016`, `PMS_POL_008`, `PMS_POL_015`).
async fn policy_in_group(
    conn: &mut PgConnection,
    policy_id: &str,
    group_id: &str,
) -> Result<(PolicyRow, PolicyGroupRow), PmsError> {
    let g = policies::group(conn, group_id, false)
        .await?
        .ok_or_else(group_missing)?;
    let p = policies::policy(conn, policy_id, true)
        .await?
        .ok_or_else(policy_missing)?;
    if p.policy_group_id != g.id {
        return Err(PmsError::of(codes::PMS_POL_015));
    }
    Ok((p, g))
}

/// Edit a draft policy.
///
/// `PUT /policies/{policyId}`: edit a draft `{policyGroupName, name, desc, policies,
/// version}`; `PMS_POL_055` once published; publishes `POLICY_UPDATED {policyData}`.
#[utoipa::path(
    put,
    path = "/v1/policymanager/policies/{policy_id}",
    tag = "policies",
    params(
        ("policy_id" = String, Path, description = "Policy id"),
    ),
    request_body = crate::openapi::schemas::PmsRequest<PolicyRequest>,
    responses(
        (status = 200, description = "`response`: the draft. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body, field sizes, null `policies`), `PMS_POL_019` (unknown group), `PMS_POL_053` (group inactive), `PMS_POL_008` (unknown policy), `PMS_POL_055` (published), `PMS_POL_009` (name taken), `PMS_PV_003`/`PMS_PV_005`/`PMS_PV_006` (document fails the schema).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicySaved>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn update_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(policy_id): Path<String>,
    body: axum::body::Bytes,
) -> PmsResult {
    state.roles.check(RoleKey::PutPoliciesPolicyId, &caller)?;
    let req: RequestWrapper<PolicyRequest> = envelope(&body)?;
    let r = &req.request;
    check_size(&r.policy_group_name, "policyGroupName", 1, 128)?;
    check_size(&r.name, "name", 1, 128)?;
    check_size(&r.desc, "desc", 1, 128)?;
    check_size(&r.version, "version", 1, 8)?;
    let mut tx = state.pool.begin().await?;
    let g = active_group_by_name(&mut tx, &r.policy_group_name).await?;
    let current = policies::policy(&mut tx, &policy_id, true)
        .await?
        .ok_or_else(policy_missing)?;
    if current.status() != PolicyStatus::Drafted {
        return Err(PmsError::of(codes::PMS_POL_055));
    }
    let ptype = parse_type(&current.policy_type)?;
    check_document(ptype, &r.policies)?;
    if !policies::update_draft(
        &mut tx,
        &policy_id,
        &g.id,
        &r.name,
        &r.desc,
        &r.policies,
        &r.version,
        &caller.user_id,
    )
    .await?
    {
        return Err(name_taken(&r.name));
    }
    let p = policies::policy(&mut tx, &policy_id, false)
        .await?
        .ok_or_else(policy_missing)?;
    let effects = EffectsInput::default()
        .event(TopicEvent::new(
            events::POLICY_UPDATED,
            events::POLICY_MANAGER,
            events::policy_updated_data(&policy_data(&p), false),
        ))
        .audit(Audit::new(
            "PMS_PRT_283",
            "UPDATE_POLICY",
            "Policy updated",
            &p.id,
            "policyId",
        ));
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        EffectsAbout::Policy(&p.id),
        effects,
    )
    .await?;
    tx.commit().await?;
    ok(
        req.id,
        req.version,
        json!({
            "id": p.id, "name": p.name, "desc": p.descr, "is_Active": p.is_active,
            "policyGroupName": g.name, "policyType": p.policy_type, "version": p.version,
            "cr_by": p.cr_by, "cr_dtimes": mosip_datetime(p.cr_dtimes),
            "up_by": p.upd_by, "upd_dtimes": dt(p.upd_dtimes),
        }),
    )
}

/// Publish a draft policy.
///
/// `POST /policies/{policyId}/group/{policygroupId}/publish`: draft → published, schema URL
/// recorded; `PMS_POL_020` if already published, `PMS_POL_053` inactive group; publishes
/// `POLICY_UPDATED {policyId}`.
#[utoipa::path(
    post,
    path = "/v1/policymanager/policies/{policy_id}/group/{group_id}/publish",
    tag = "policies",
    params(
        ("policy_id" = String, Path, description = "Policy id"),
        ("group_id" = String, Path, description = "Policy group id"),
    ),
    responses(
        (status = 200, description = "`response`: the policy (`PolicyResponseDto`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_POL_016` (unknown group), `PMS_POL_008` (unknown policy), `PMS_POL_015` (policy not in the group), `PMS_POL_053` (group inactive), `PMS_POL_020` (already published).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicyResponseDto>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn publish_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((policy_id, group_id)): Path<(String, String)>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostPoliciesPolicyIdGroupPublish, &caller)?;
    let mut tx = state.pool.begin().await?;
    let (p, g) = policy_in_group(&mut tx, &policy_id, &group_id).await?;
    if !g.is_active {
        return Err(PmsError::of(codes::PMS_POL_053));
    }
    if p.status() != PolicyStatus::Drafted
        || !policies::publish(
            &mut tx,
            &p.id,
            &state.pms.policy_schema_url,
            &caller.user_id,
        )
        .await?
    {
        return Err(PmsError::of(codes::PMS_POL_020));
    }
    let p = policies::policy(&mut tx, &policy_id, false)
        .await?
        .ok_or_else(policy_missing)?;
    let effects = EffectsInput::default()
        .event(TopicEvent::new(
            events::POLICY_UPDATED,
            events::POLICY_MANAGER,
            events::policy_updated_data(&policy_data(&p), true),
        ))
        .audit(Audit::new(
            "PMS_PRT_257",
            "PUBLISH_POLICY",
            "Policy published",
            &p.id,
            "policyId",
        ));
    enqueue(
        &mut tx,
        &state,
        &caller.user_id,
        EffectsAbout::Policy(&p.id),
        effects,
    )
    .await?;
    tx.commit().await?;
    ok(None, None, policy_json(&p, &g))
}

/// A policy status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = PolicyStatusRequest)]
struct StatusRequest {
    /// `Active` or `De-Active` (case-insensitive; `Status` is accepted too).
    #[serde(default, alias = "Status")]
    status: Option<String>,
}

/// Activate or deactivate a policy.
///
/// `PATCH /policies/{policyId}/group/{policygroupId}` `{status: Active|De-Active}`:
/// a draft cannot be activated (`PMS_POL_054`); a published policy can be deactivated when
/// no approved or pending mapping and no active API key uses it (`PMS_POL_057` otherwise);
/// any other change of a published policy is `PMS_POL_058`. Publishes `POLICY_UPDATED
/// {policyData}` when the status changed.
#[utoipa::path(
    patch,
    path = "/v1/policymanager/policies/{policy_id}/group/{group_id}",
    tag = "policies",
    params(
        ("policy_id" = String, Path, description = "Policy id"),
        ("group_id" = String, Path, description = "Policy group id"),
    ),
    request_body = crate::openapi::schemas::PmsRequest<StatusRequest>,
    responses(
        (status = 200, description = "`response`: `{message: \"status updated successfully\"}`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_COR_001` (malformed body), `PMS_COR_003` (no `status`), `PMS_POL_045` (status), `PMS_POL_016` (unknown group), `PMS_POL_008` (unknown policy), `PMS_POL_015` (policy not in the group), `PMS_POL_054` (draft cannot be activated), `PMS_POL_057` (in use), `PMS_POL_058` (other change of a published policy).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::Message>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn policy_status(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((policy_id, group_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PatchPoliciesPolicyIdGroupPolicyGroupId, &caller)?;
    let req: RequestWrapper<StatusRequest> = envelope(&body)?;
    let Some(status) = &req.request.status else {
        return Err(could_not_process());
    };
    let Some(activate) = active_flag(status) else {
        return Err(PmsError::of(codes::PMS_POL_045));
    };
    let mut tx = state.pool.begin().await?;
    let (p, _) = policy_in_group(&mut tx, &policy_id, &group_id).await?;
    match (p.status(), activate) {
        (PolicyStatus::Drafted, true) => return Err(PmsError::of(codes::PMS_POL_054)),
        (PolicyStatus::Drafted, false) => {}
        (PolicyStatus::Published, false) => {
            if policies::in_use(&mut tx, &p.id).await? {
                return Err(PmsError::of(codes::PMS_POL_057));
            }
            policies::deactivate(&mut tx, &p.id, &caller.user_id).await?;
            let p = policies::policy(&mut tx, &policy_id, false)
                .await?
                .ok_or_else(policy_missing)?;
            let effects = EffectsInput::default()
                .event(TopicEvent::new(
                    events::POLICY_UPDATED,
                    events::POLICY_MANAGER,
                    events::policy_updated_data(&policy_data(&p), false),
                ))
                .audit(Audit::new(
                    "PMS_PRT_284",
                    "UPDATE_POLICY_STATUS",
                    "Policy deactivated",
                    &p.id,
                    "policyId",
                ));
            enqueue(
                &mut tx,
                &state,
                &caller.user_id,
                EffectsAbout::Policy(&p.id),
                effects,
            )
            .await?;
        }
        _ => return Err(PmsError::of(codes::PMS_POL_058)),
    }
    tx.commit().await?;
    ok(
        req.id,
        req.version,
        json!({"message": "status updated successfully"}),
    )
}

/// List all policies.
///
/// `GET /policies`: every policy as `PolicyResponseDto`.
#[utoipa::path(
    get,
    path = "/v1/policymanager/policies",
    tag = "policies",
    responses(
        (status = 200, description = "`response`: every policy as `PolicyResponseDto`.", body = crate::openapi::schemas::PmsResponse<Vec<crate::openapi::schemas::PolicyResponseDto>>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn all_policies(State(state): State<AppState>, PmsCaller(caller): PmsCaller) -> PmsResult {
    state.roles.check(RoleKey::GetPolicies, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let groups = policies::groups(&mut conn).await?;
    let list = policies::policies(&mut conn, None, false).await?;
    let out: Vec<Value> = list
        .iter()
        .filter_map(|p| {
            groups
                .iter()
                .find(|g| g.id == p.policy_group_id)
                .map(|g| policy_json(p, g))
        })
        .collect();
    ok(None, None, Value::Array(out))
}

/// Get a policy.
///
/// `GET /policies/{policyId}`: `PolicyResponseDto`; `PMS_POL_008`.
#[utoipa::path(
    get,
    path = "/v1/policymanager/policies/{policy_id}",
    tag = "policies",
    params(
        ("policy_id" = String, Path, description = "Policy id"),
    ),
    responses(
        (status = 200, description = "`response`: the policy (`PolicyResponseDto`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_POL_008` (unknown policy), `PMS_POL_016` (its group is gone).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicyResponseDto>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn get_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(policy_id): Path<String>,
) -> PmsResult {
    state.roles.check(RoleKey::GetPoliciesPolicyId, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let p = policies::policy(&mut conn, &policy_id, false)
        .await?
        .ok_or_else(policy_missing)?;
    let g = policies::group(&mut conn, &p.policy_group_id, false)
        .await?
        .ok_or_else(group_missing)?;
    ok(None, None, policy_json(&p, &g))
}

/// Get a policy a partner holds an active API key for.
///
/// `GET /policies/{policyId}/partner/{partnerId}` (datashare, IDA): the policy if the partner
/// holds an active API key for it; `PMS_POL_008`, `PMS_POL_017`.
#[utoipa::path(
    get,
    path = "/v1/policymanager/policies/{policy_id}/partner/{partner_id}",
    tag = "policies",
    params(
        ("policy_id" = String, Path, description = "Policy id"),
        ("partner_id" = String, Path, description = "Partner id"),
    ),
    responses(
        (status = 200, description = "`response`: the policy (`PolicyResponseDto`). Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_POL_008` (unknown policy), `PMS_POL_017` (no active API key of the partner for it), `PMS_POL_016` (its group is gone).", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::PolicyResponseDto>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn policy_of_partner(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((policy_id, partner_id)): Path<(String, String)>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::GetPoliciesPolicyIdPartnerPartnerId, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let p = policies::policy(&mut conn, &policy_id, false)
        .await?
        .ok_or_else(policy_missing)?;
    let keyed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_policy WHERE part_id = $1 AND policy_id = $2 AND is_active)",
    )
    .bind(&partner_id)
    .bind(&policy_id)
    .fetch_one(&mut *conn)
    .await?;
    if !keyed {
        return Err(PmsError::of(codes::PMS_POL_017));
    }
    let g = policies::group(&mut conn, &p.policy_group_id, false)
        .await?
        .ok_or_else(group_missing)?;
    ok(None, None, policy_json(&p, &g))
}

/// List the active policies of a group.
///
/// `GET /policies/active/group/{groupName}`: `[{id, name, descr, policyGroupId,
/// policyGroupName, policyType}]` of the group's active policies; `PMS_POL_019`, `PMS_POL_053`.
#[utoipa::path(
    get,
    path = "/v1/policymanager/policies/active/group/{group_name}",
    tag = "policies",
    params(
        ("group_name" = String, Path, description = "Policy group name"),
    ),
    responses(
        (status = 200, description = "`response`: `[{id, name, descr, policyGroupId, policyGroupName, policyType}]`. Business errors (HTTP 200, `errors[{errorCode, message}]`): `PMS_POL_019` (unknown group), `PMS_POL_053` (group inactive).", body = crate::openapi::schemas::PmsResponse<Vec<crate::openapi::schemas::ActivePolicy>>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn active_policies_of_group(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(group_name): Path<String>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::GetPoliciesActiveGroupGroupName, &caller)?;
    let mut conn = state.pool.acquire().await?;
    let g = active_group_by_name(&mut conn, &group_name).await?;
    let list = policies::policies(&mut conn, Some(&g.id), true).await?;
    ok(
        None,
        None,
        Value::Array(
            list.iter()
                .map(|p| {
                    json!({
                        "id": p.id, "name": p.name, "descr": p.descr,
                        "policyGroupId": g.id, "policyGroupName": g.name,
                        "policyType": p.policy_type,
                    })
                })
                .collect(),
        ),
    )
}

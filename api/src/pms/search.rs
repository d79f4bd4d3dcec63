//! PMS's search and filter-values endpoints (mosip-pms.md §4.1 #15–#20, §4.3 #38–#39, §4.6
//! P12, P13, P15, P16): `SearchDto` in, `PageResponseDto{fromRecord, toRecord, totalRecord,
//! data}` out; `FilterValueDto` in, `{filters: [{fieldID, fieldValue, fieldCode}]}` out.
//! Errors are pms-common's `PMS-MSD-3xx` ([`pmsflow_core::search::SearchError`]).
//!
//! Own data: a caller without PARTNER_ADMIN sees only rows of its own partner id in partner,
//! policy-request, API-key and licence searches (as `SearchHelper#addPartnerFilter`).

use axum::extract::State;
use pmsflow_core::codes;
use pmsflow_core::envelope::{invalid_parameter, ServiceError};
use pmsflow_core::search::{
    filter_plan, plan, Column, Condition, FilterValueRequest, FilterValuesError, Predicate,
    SearchRequest,
};
use pmsflow_store::search::{self as store, Entity};
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::RoleKey;
use crate::access::{AuthUser, PmsCaller};
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::state::AppState;

/// Routes of the search and filter-values endpoints.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(partners_search))
        .routes(routes!(partner_types_search))
        .routes(routes!(partners_filter))
        .routes(routes!(requests_search))
        .routes(routes!(requests_filter))
        .routes(routes!(api_keys_search))
        .routes(routes!(licences_search))
        .routes(routes!(licences_filter))
        .routes(routes!(groups_search))
        .routes(routes!(groups_filter))
        .routes(routes!(policies_search))
        .routes(routes!(policies_filter))
        .routes(routes!(devices_search))
        .routes(routes!(device_sub_types_search))
        .routes(routes!(devices_filter))
        .routes(routes!(device_types_filter))
        .routes(routes!(device_sub_types_filter))
        .routes(routes!(sbis_search))
        .routes(routes!(sbi_mappings_search))
        .routes(routes!(sbis_filter))
        .routes(routes!(ftm_chips_search))
}

/// The caller's own rows only, unless PARTNER_ADMIN, when the entity has an owner column.
fn own_rows(entity: &Entity, caller: &AuthUser) -> Vec<Predicate> {
    match entity.owner {
        Some(column) if !caller.is_partner_admin => vec![Predicate {
            column,
            condition: Condition::In(vec![caller.user_id.clone()]),
        }],
        _ => Vec::new(),
    }
}

/// `partnerType` / `policyType` of a search body: `all` (any case) means no condition; a
/// missing or blank value is `PMS_COR_001`, as the DTO's `@NotBlank` / `@NotNull` answers.
fn type_filter(request: &Value, field: &str, column: Column) -> Result<Vec<Predicate>, PmsError> {
    let value = request[field]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            PmsError::new(
                codes::PMS_COR_001,
                format!("Missing Input Parameter - request.{field}"),
            )
        })?;
    if value.eq_ignore_ascii_case("all") {
        return Ok(Vec::new());
    }
    Ok(vec![Predicate {
        column,
        condition: Condition::TextEquals(value.to_owned()),
    }])
}

fn parse<T: serde::de::DeserializeOwned>(request: &Value) -> Result<T, PmsError> {
    serde_json::from_value(request.clone()).map_err(|e| {
        PmsError::new(
            codes::PMS_COR_002,
            format!("Invalid Input Parameter - request: {e}"),
        )
    })
}

async fn search(
    state: &AppState,
    caller: &AuthUser,
    key: RoleKey,
    body: &[u8],
    entity: &Entity,
    extra: impl FnOnce(&Value) -> Result<Vec<Predicate>, PmsError>,
) -> PmsResult {
    state.roles.check(key, caller)?;
    let req = envelope::<Value>(body)?;
    let mut conditions = extra(&req.request)?;
    let search: SearchRequest = parse(&req.request)?;
    let plan = plan(entity.columns, &search).map_err(ServiceError::from)?;
    conditions.extend(own_rows(entity, caller));
    let mut conn = state.pool.acquire().await?;
    let page = store::search(&mut conn, entity, &plan, &conditions).await?;
    ok(req.id, req.version, json!(page))
}

/// Which PMS service answers a filter-values request: they report the column checks
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    /// `/v1/partnermanager`: every `PMS-MSD-317/322/324` listed.
    Partner,
    /// `/v1/policymanager`: its handler has no case for them: `PMS_COR_003`.
    Policy,
}

async fn filter_values(
    state: &AppState,
    caller: &AuthUser,
    key: RoleKey,
    body: &[u8],
    (entity, service): (&Entity, Service),
    extra: impl FnOnce(&Value) -> Result<Vec<Predicate>, PmsError>,
) -> PmsResult {
    state.roles.check(key, caller)?;
    let req = envelope::<Value>(body)?;
    let request: FilterValueRequest = parse(&req.request)?;
    let planned = filter_plan(entity.columns, &request);
    // Bean validation comes before the service's own checks.
    if let Err(FilterValuesError::Invalid { field, message }) = &planned {
        return Err(invalid_parameter(field, message).into());
    }
    let mut conditions = extra(&req.request)?;
    let plan = planned.map_err(|e| match e {
        FilterValuesError::Invalid { field, message } => invalid_parameter(&field, message).into(),
        FilterValuesError::Columns(_) if service == Service::Policy => {
            PmsError::of(codes::PMS_COR_003)
        }
        FilterValuesError::Columns(errors) => {
            PmsError::BusinessAll(errors.into_iter().map(ServiceError::from).collect())
        }
        FilterValuesError::Search(e) => ServiceError::from(e).into(),
    })?;
    conditions.extend(own_rows(entity, caller));
    let mut conn = state.pool.acquire().await?;
    let values = store::filter_values(&mut conn, entity, &plan, &conditions).await?;
    ok(req.id, req.version, json!({ "filters": values }))
}

fn none(_: &Value) -> Result<Vec<Predicate>, PmsError> {
    Ok(Vec::new())
}

/// Search partners.
///
/// `POST /partners/search` (`postpartnerssearch`): `SearchDto` + `partnerType` (`all` or a
/// type code, required) → page of `Partner`; own partner only unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/partners/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::PartnerSearch>,
    responses((status = 200, description = "`response`: `PageResponseDto` of partners. Errors: `PMS_COR_001` (no `partnerType`), `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn partners_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let e = &store::PARTNERS;
    search(
        &state,
        &caller,
        RoleKey::PostPartnersSearch,
        &body,
        e,
        |r| type_filter(r, "partnerType", Column::text("partnerTypeCode")),
    )
    .await
}

/// Search partner types.
///
/// `POST /partners/partnertype/search` (`postpartnerspartnertypesearch`): `SearchDto` → page
/// of `PartnerType{code, partnerDescription, isPolicyRequired, isActive, crBy, crDtimes}`.
#[utoipa::path(post, path = "/v1/partnermanager/partners/partnertype/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of partner types. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn partner_types_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let key = RoleKey::PostPartnersPartnerTypeSearch;
    search(&state, &caller, key, &body, &store::PARTNER_TYPES, none).await
}

/// Filter values of partners.
///
/// `POST /partners/filtervalues` (`postpartnersfiltervalues`): `FilterValueDto` → values of
/// partner columns; own partner only unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/partners/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn partners_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let key = RoleKey::PostPartnersFilterValues;
    filter_values(
        &state,
        &caller,
        key,
        &body,
        (&store::PARTNERS, Service::Partner),
        none,
    )
    .await
}

/// Search policy mapping requests.
///
/// `POST /partners/apikey/request/search` (`postpartnersapikeyrequestsearch`): `SearchDto`
/// over `{apikeyRequestId, partnerId, partnerName, policyId, policyName, requestDatetimes,
/// requestDetail, statusCode, ...}`; own requests only unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/partners/apikey/request/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of policy mapping requests. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn requests_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostPartnersApiKeyRequestSearch,
        &store::POLICY_REQUESTS,
    );
    search(&state, &caller, key, &body, e, none).await
}

/// Filter values of policy mapping requests.
///
/// `POST /partners/apikey/request/filtervalues` (`postpartnersapikeyrequestfiltervalues`);
/// own requests only unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/partners/apikey/request/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn requests_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostPartnersApiKeyRequestFilterValues,
        &store::POLICY_REQUESTS,
    );
    filter_values(&state, &caller, key, &body, (e, Service::Partner), none).await
}

/// Search API keys (the key itself is never answered).
///
/// `POST /partners/apikey/search` (`postpartnersapikeysearch`): `SearchDto` over `{label,
/// policyApiKey, partnerId, partnerName, policyId, policyName, validFromDatetime,
/// validToDatetime, isActive, ...}`; own keys only unless PARTNER_ADMIN. `policyApiKey`
/// filters and sorts but is never answered.
#[utoipa::path(post, path = "/v1/partnermanager/partners/apikey/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of API keys without their value. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn api_keys_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (RoleKey::PostPartnersApiKeySearch, &store::API_KEYS);
    search(&state, &caller, key, &body, e, none).await
}

/// Search MISP licences.
///
/// `POST /misps/search` (`postmispsearch`): `SearchDto` over `{providerId, licenseKey,
/// policyId, validFromDate, validToDate, isActive, ...}`; own licences only unless
/// PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/misps/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of licences. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn licences_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (RoleKey::PostMispSearch, &store::LICENCES);
    search(&state, &caller, key, &body, e, none).await
}

/// Filter values of MISP licences.
///
/// `POST /misps/filtervalues` (`postmispfiltervalues`); own licences only unless
/// PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/misps/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn licences_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (RoleKey::PostMispFilterValues, &store::LICENCES);
    filter_values(&state, &caller, key, &body, (e, Service::Partner), none).await
}

/// Search policy groups.
///
/// `POST /policies/group/search` (`postpoliciesgroupsearch`): `SearchDto` over `{id, name,
/// desc, isActive, userId, crBy, crDtimes, updBy, updDtimes}`.
#[utoipa::path(post, path = "/v1/policymanager/policies/group/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of policy groups. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn groups_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (RoleKey::PostPoliciesGroupSearch, &store::POLICY_GROUPS);
    search(&state, &caller, key, &body, e, none).await
}

/// Filter values of policy groups.
///
/// `POST /policies/group/filtervalues` (`postpoliciesgroupfiltervalues`).
#[utoipa::path(post, path = "/v1/policymanager/policies/group/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn groups_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostPoliciesGroupFilterValues,
        &store::POLICY_GROUPS,
    );
    filter_values(&state, &caller, key, &body, (e, Service::Policy), none).await
}

/// A filter without `columnName` in a policy search or policy filter-values request is
/// `PMS_COR_003`, as 1.2.0.1's policy service answers it (its pseudo-column handling
/// dereferences the missing name before `SearchHelper` can report `PMS-MSD-311`).
fn policy_filters_named(request: &Value) -> Result<(), PmsError> {
    let unnamed = ["filters", "optionalFilters"]
        .iter()
        .filter_map(|k| request[k].as_array())
        .flatten()
        .any(|f| f.get("columnName").is_none_or(Value::is_null));
    if unnamed {
        return Err(PmsError::of(codes::PMS_COR_003));
    }
    Ok(())
}

/// Search policies.
///
/// `POST /policies/search` (`postpoliciessearch`): `SearchDto` + `policyType` (`all` or a
/// type, required) over `{id, name, desc, policyType, version, schema, policies,
/// policyGroupId, policyGroupName, isActive, validFromDate, validToDate, status, ...}`.
#[utoipa::path(post, path = "/v1/policymanager/policies/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::PolicySearch>,
    responses((status = 200, description = "`response`: `PageResponseDto` of policies. Errors: `PMS_COR_001` (no `policyType`), `PMS_COR_003` (a filter without `columnName`), `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn policies_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let e = &store::POLICIES;
    search(
        &state,
        &caller,
        RoleKey::PostPoliciesSearch,
        &body,
        e,
        |r| {
            policy_filters_named(r)?;
            type_filter(r, "policyType", Column::text("policyType"))
        },
    )
    .await
}

/// Filter values of policies.
///
/// `POST /policies/filtervalues` (`postpoliciesfiltervalues`): `FilterValueDto` +
/// `policyType` (`all` or a type, required).
#[utoipa::path(post, path = "/v1/policymanager/policies/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::PolicyFilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS_COR_001` (no `policyType`), `PMS_COR_003`, `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn policies_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let e = &store::POLICIES;
    filter_values(
        &state,
        &caller,
        RoleKey::PostPoliciesFilterValues,
        &body,
        (e, Service::Policy),
        |r| {
            policy_filters_named(r)?;
            type_filter(r, "policyType", Column::text("policyType"))
        },
    )
    .await
}

/// Search registered devices.
///
/// `POST /devicedetail/search` (`postdevicedetailsearch`): `SearchDto` over `{id,
/// deviceProviderId, deviceTypeCode, deviceSubTypeCode, make, model, partnerOrganizationName,
/// approvalStatus, isActive, ...}`; a provider's own devices unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/devicedetail/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of devices. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn devices_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (RoleKey::PostDeviceDetailSearch, &store::DEVICE_DETAILS);
    search(&state, &caller, key, &body, e, none).await
}

/// Search device sub-types with their type.
///
/// `POST /devicedetail/deviceType/search` (`postdevicedetaildevicetypesearch`): `SearchDto`
/// over `{code, deviceType, name, desciption, isActive, ...}` (`RegistrationSubTypeDto`).
#[utoipa::path(post, path = "/v1/partnermanager/devicedetail/deviceType/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of device sub-types. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn device_sub_types_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostDeviceDetailDeviceTypeSearch,
        &store::DEVICE_SUB_TYPES,
    );
    search(&state, &caller, key, &body, e, none).await
}

/// Filter values of registered devices.
///
/// `POST /devicedetail/filtervalues` (`postdevicedetailfiltervalues`); a provider's own
/// devices unless PARTNER_ADMIN. The value is the column's (1.2.0.1 answers `make model`
/// whatever the column).
#[utoipa::path(post, path = "/v1/partnermanager/devicedetail/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS_COR_001`, `PMS-MSD-317`, `PMS-MSD-322`, `PMS-MSD-324`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn devices_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostDeviceDetailFilterValues,
        &store::DEVICE_DETAILS,
    );
    filter_values(&state, &caller, key, &body, (e, Service::Partner), none).await
}

/// Filter values of device types.
///
/// `POST /devicedetail/deviceType/filtervalues` (`postdevicedetaildevicetypefiltervalues`)
/// over `{code, name, description, isActive}`.
#[utoipa::path(post, path = "/v1/partnermanager/devicedetail/deviceType/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS_COR_001`, `PMS-MSD-317`, `PMS-MSD-322`, `PMS-MSD-324`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn device_types_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostDeviceDetailDeviceTypeFilterValues,
        &store::DEVICE_TYPES,
    );
    filter_values(&state, &caller, key, &body, (e, Service::Partner), none).await
}

/// Filter values of device sub-types.
///
/// `POST /devicedetail/deviceSubType/filtervalues`
/// (`postdevicedetaildevicesubtypefiltervalues`) over `{code, deviceType, name, desciption,
/// isActive}`.
#[utoipa::path(post, path = "/v1/partnermanager/devicedetail/deviceSubType/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS_COR_001`, `PMS-MSD-317`, `PMS-MSD-322`, `PMS-MSD-324`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn device_sub_types_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostDeviceDetailDeviceSubTypeFilterValues,
        &store::DEVICE_SUB_TYPES,
    );
    filter_values(&state, &caller, key, &body, (e, Service::Partner), none).await
}

/// Search secure biometric interfaces.
///
/// `POST /securebiometricinterface/search` (`postsecurebiometricinterfacesearch`):
/// `SearchDto` over `{id, swBinaryHash, swVersion, swCreateDateTime, swExpiryDateTime,
/// isActive, approvalStatus, providerId, partnerOrganizationName, ...}`; a provider's own
/// unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/securebiometricinterface/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of SBIs. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn sbis_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (RoleKey::PostSecureBiometricInterfaceSearch, &store::SBIS);
    search(&state, &caller, key, &body, e, none).await
}

/// Search devices mapped to SBIs.
///
/// `POST /securebiometricinterface/devicedetails/map/search`
/// (`postsecurebiometricinterfacedevicedetailsmapsearch`): `SearchDto` over `{deviceDetailId,
/// sbiId, providerId, providerName, make, model, deviceTypeCode, deviceSubTypeCode,
/// swBinaryHash, swVersion, ...}`; a provider's own unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/securebiometricinterface/devicedetails/map/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of device-SBI mappings. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn sbi_mappings_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostSecureBiometricInterfaceDeviceDetailsMapSearch,
        &store::SBI_MAPPINGS,
    );
    search(&state, &caller, key, &body, e, none).await
}

/// Filter values of secure biometric interfaces.
///
/// `POST /securebiometricinterface/filtervalues`
/// (`postsecurebiometricinterfacefiltervalues`); a provider's own unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/securebiometricinterface/filtervalues", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::FilterValues>,
    responses((status = 200, description = "`response`: `{filters: [{fieldID, fieldValue, fieldCode}]}`. Errors: `PMS_COR_001`, `PMS-MSD-317`, `PMS-MSD-322`, `PMS-MSD-324`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::FilterValuesAnswer>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn sbis_filter(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (
        RoleKey::PostSecureBiometricInterfaceFilterValues,
        &store::SBIS,
    );
    filter_values(&state, &caller, key, &body, (e, Service::Partner), none).await
}

/// Search FTM chips.
///
/// `POST /ftpchipdetail/search` (`postftpchipdetailsearch`): `SearchDto` over
/// `{ftpChipDetailId, ftpProviderId, make, model, certificateAlias, partnerOrganizationName,
/// isActive, approvalStatus, ...}`, paged (1.2.0.1 ignores the pagination); a provider's own
/// chips unless PARTNER_ADMIN.
#[utoipa::path(post, path = "/v1/partnermanager/ftpchipdetail/search", tag = "search",
    request_body = crate::openapi::schemas::PmsRequest<crate::openapi::schemas::Search>,
    responses((status = 200, description = "`response`: `PageResponseDto` of FTM chips. Errors: `PMS-MSD-310..391`.", body = crate::openapi::schemas::PmsResponse<crate::openapi::schemas::SearchPage>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn ftm_chips_search(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    body: axum::body::Bytes,
) -> PmsResult {
    let (key, e) = (RoleKey::PostFtpChipDetailSearch, &store::FTM_CHIPS);
    search(&state, &caller, key, &body, e, none).await
}

//! What credential partners declare for the credential service (mosip-pms.md §4.1 #7–#10,
//! `PartnerServiceImpl#addBiometricExtractors`, `#getBiometricExtractors`,
//! `#mapPartnerPolicyCredentialType`, `#getPartnerCredentialTypePolicy` @ 1.2.0.1):
//!
//! - the biometric extractors of a requested policy, which must be declared before the
//!   request is approved or rejected (`PMS_PM_051`), and cannot change after approval;
//! - the policy to use for a credential type (`auth`, `qrcode`, `euin`...), which the
//!   credential service reads when it issues a credential for the partner.
//!
//! Own data: a partner acts only on itself; PARTNER_ADMIN and MOSIP's credential services
//! (`CREDENTIAL_ISSUANCE`, `CREATE_SHARE`) act on any partner.

use axum::extract::{Path, State};
use pmsflow_core::codes;
use pmsflow_core::envelope::{check_size, invalid_parameter, RequestWrapper};
use pmsflow_store::{
    credentials::{self, ExtractorRow},
    partner_policies as pp, partners, policies,
};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access::RoleKey;
use crate::access::{AuthUser, PmsCaller};
use crate::error::PmsError;
use crate::pms::envelope::{envelope, ok, PmsResult};
use crate::pms::guard::{not_authorized, usable_policy};
use crate::state::AppState;

/// Routes of bio-extractors and credential-type mappings.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_extractors, get_extractors))
        .routes(routes!(map_credential_type))
        .routes(routes!(credential_type_policy))
}

/// Roles of MOSIP's credential services, which act on any partner.
const SERVICE_ROLES: &[&str] = &["CREDENTIAL_ISSUANCE", "CREATE_SHARE"];

fn own_or_service(caller: &AuthUser, partner_id: &str) -> Result<(), PmsError> {
    if caller.may_act_on(partner_id) || SERVICE_ROLES.iter().any(|r| caller.roles.contains(*r)) {
        Ok(())
    } else {
        Err(not_authorized())
    }
}

/// `ExtractorProviderDto`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct ExtractorProvider {
    /// SDK provider, 1-128 characters.
    #[serde(default)]
    provider: String,
    /// Its version, at most 8 characters.
    #[serde(default)]
    version: Option<String>,
}

/// `ExtractorDto`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Extractor {
    /// Identity attribute, 1-128 characters.
    #[serde(default)]
    attribute_name: String,
    /// Modality with optional sub-types: `face`, `finger[LEFT_THUMB,RIGHT_THUMB]`.
    #[serde(default)]
    biometric: String,
    /// The extractor.
    extractor: Option<ExtractorProvider>,
}

/// `ExtractorsDto`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Extractors {
    /// One or more extractors.
    #[serde(default)]
    extractors: Vec<Extractor>,
}

/// `finger[LEFT_THUMB, RIGHT_THUMB]` → (`finger`, `Some("LEFT_THUMB,RIGHT_THUMB")`).
fn split_biometric(s: &str) -> Result<(String, Option<String>), PmsError> {
    let bad = || PmsError::from(invalid_parameter("biometric", "modality[subType,...]"));
    let (modality, subtypes) = match s.split_once('[') {
        None => (s.trim(), None),
        Some((m, rest)) => {
            let inner = rest.strip_suffix(']').ok_or_else(bad)?;
            let subtypes: Vec<&str> = inner
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect();
            (m.trim(), (!subtypes.is_empty()).then(|| subtypes.join(",")))
        }
    };
    if modality.is_empty() || modality.len() > 64 || subtypes.as_ref().is_some_and(|t| t.len() > 64)
    {
        return Err(bad());
    }
    Ok((modality.to_owned(), subtypes))
}

impl Extractor {
    fn row(&self) -> Result<ExtractorRow, PmsError> {
        let provider = self.extractor.as_ref().ok_or_else(|| {
            PmsError::new(codes::PMS_COR_001, "Missing Input Parameter - extractor")
        })?;
        check_size(&self.attribute_name, "attributeName", 1, 128)?;
        check_size(&provider.provider, "extractor.provider", 1, 128)?;
        if provider.version.as_deref().is_some_and(|v| v.len() > 8) {
            return Err(invalid_parameter("extractor.version", "at most 8 characters").into());
        }
        let (modality, subtypes) = split_biometric(&self.biometric)?;
        Ok(ExtractorRow {
            attribute_name: self.attribute_name.clone(),
            biometric_modality: modality,
            biometric_sub_types: subtypes,
            extractor_provider: provider.provider.clone(),
            extractor_provider_version: provider.version.clone(),
        })
    }
}

/// Declare the biometric extractors of a requested policy.
///
/// `POST /partners/{partnerId}/bioextractors/{policyId}` (`postpartnersbioextractors`)
/// `ExtractorsDto{extractors: [{attributeName, biometric, extractor: {provider, version}}]}` →
/// `"Extractors added successfully."`. An extractor of the same attribute is replaced.
/// `PMS_PRT_061` no request for the policy, `PMS_PRT_062` request already approved.
#[utoipa::path(post, path = "/v1/partnermanager/partners/{partner_id}/bioextractors/{policy_id}", tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id."), ("policy_id" = String, Path, description = "Policy id of a request of the partner.")),
    request_body = crate::openapi::schemas::PmsRequest<Extractors>,
    responses((status = 200, description = "`response`: `\"Extractors added successfully.\"`. Business errors (HTTP 200): `PMS_COR_001` (malformed body, missing fields), `PMS_COR_002` (sizes, `biometric` shape), `PMS_PRT_055` (another partner), `PMS_PRT_061` (no request), `PMS_PRT_062` (request approved).", body = crate::openapi::schemas::PmsResponse<String>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn add_extractors(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, policy_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostPartnersBioExtractors, &caller)?;
    own_or_service(&caller, &partner_id)?;
    let req: RequestWrapper<Extractors> = envelope(&body)?;
    if req.request.extractors.is_empty() {
        return Err(PmsError::new(
            codes::PMS_COR_001,
            "Missing Input Parameter - extractors",
        ));
    }
    let rows = req
        .request
        .extractors
        .iter()
        .map(Extractor::row)
        .collect::<Result<Vec<_>, _>>()?;
    let mut tx = state.pool.begin().await?;
    let Some(request) = pp::latest_request(&mut tx, &partner_id, &policy_id).await? else {
        return Err(PmsError::of(codes::PMS_PRT_061));
    };
    if request.status_code == "approved" {
        return Err(PmsError::of(codes::PMS_PRT_062));
    }
    credentials::upsert_extractors(
        &mut tx,
        &partner_id,
        &policy_id,
        &rows,
        &caller.user_id,
        || Uuid::new_v4().to_string(),
    )
    .await?;
    tx.commit().await?;
    ok(req.id, req.version, json!("Extractors added successfully."))
}

/// The biometric extractors of a partner and policy.
///
/// `GET /partners/{partnerId}/bioextractors/{policyId}` (`getpartnersbioextractors`) →
/// `ExtractorsDto`; `PMS_PRT_064` when none.
#[utoipa::path(get, path = "/v1/partnermanager/partners/{partner_id}/bioextractors/{policy_id}", tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id."), ("policy_id" = String, Path, description = "Policy id.")),
    responses((status = 200, description = "`response`: `{extractors: [{attributeName, biometric, extractor: {provider, version}}]}`. Business errors (HTTP 200): `PMS_PRT_055` (another partner), `PMS_PRT_064` (none).", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn get_extractors(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, policy_id)): Path<(String, String)>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::GetPartnersBioExtractors, &caller)?;
    own_or_service(&caller, &partner_id)?;
    let mut conn = state.pool.acquire().await?;
    let rows = credentials::extractors(&mut conn, &partner_id, &policy_id).await?;
    if rows.is_empty() {
        return Err(PmsError::of(codes::PMS_PRT_064));
    }
    let extractors: Vec<Value> = rows
        .iter()
        .map(|r| {
            let biometric = match &r.biometric_sub_types {
                Some(t) => format!("{}[{t}]", r.biometric_modality),
                None => r.biometric_modality.clone(),
            };
            json!({
                "attributeName": r.attribute_name,
                "biometric": biometric,
                "extractor": {"provider": r.extractor_provider, "version": r.extractor_provider_version},
            })
        })
        .collect();
    ok(None, None, json!({ "extractors": extractors }))
}

/// The allowed spelling of `given` in `list` (case-insensitive), if there.
fn allowed<'a>(list: &'a [String], given: &str) -> Option<&'a str> {
    list.iter()
        .find(|a| a.eq_ignore_ascii_case(given))
        .map(String::as_str)
}

/// Map a credential type of a partner to a policy of its group.
///
/// `POST /partners/{partnerId}/credentialtype/{credentialType}/policies/{policyName}`
/// (`postpartnerscredentialtypepolicies`) → `"Partner, policy and credentialType mapping done
/// successfully."`; a later mapping of the same type replaces the earlier one. Checks in
/// PMS's order: `PMS_PRT_072` type not allowed, `PMS_PRT_005` / `PMS_PMP_016` partner unknown
/// or inactive, `PMS_PRT_070` partner type not allowed, `PMS_PRT_098` no such policy in the
/// partner's group, `PMS_PMP_019` / `PMS_PMP_018` / `PMS_PMP_023` policy unusable.
#[utoipa::path(post, path = "/v1/partnermanager/partners/{partner_id}/credentialtype/{credential_type}/policies/{policy_name}", tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id."), ("credential_type" = String, Path, description = "Credential type (`[pms] allowed_credential_types`)."), ("policy_name" = String, Path, description = "Policy name in the partner's group.")),
    responses((status = 200, description = "`response`: the success message. Business errors (HTTP 200): `PMS_PRT_055`, `PMS_PRT_072`, `PMS_PRT_005`, `PMS_PMP_016`, `PMS_PRT_070`, `PMS_PRT_098`, `PMS_PMP_019`, `PMS_PMP_018`, `PMS_PMP_023`.", body = crate::openapi::schemas::PmsResponse<String>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn map_credential_type(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, credential_type, policy_name)): Path<(String, String, String)>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::PostPartnersCredentialTypePolicies, &caller)?;
    own_or_service(&caller, &partner_id)?;
    let Some(ctype) = allowed(&state.pms.allowed_credential_types, &credential_type) else {
        return Err(PmsError::new(
            codes::PMS_PRT_072,
            format!(
                "Given credential type is not allowed. Allowed credential types : {}",
                state.pms.allowed_credential_types.join(",")
            ),
        ));
    };
    let mut tx = state.pool.begin().await?;
    let partner = partners::partner_detail(&mut tx, &partner_id, true)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PRT_005))?;
    if !partner.is_active {
        return Err(PmsError::of(codes::PMS_PMP_016));
    }
    if allowed(
        &state.pms.credential_type_partner_types,
        &partner.partner_type_code,
    )
    .is_none()
    {
        return Err(PmsError::new(
            codes::PMS_PRT_070,
            format!(
                "Credential mapping allowed only for : {}",
                state.pms.credential_type_partner_types.join(",")
            ),
        ));
    }
    let policy = match &partner.policy_group_id {
        Some(g) => policies::policy_by_name(&mut tx, g, &policy_name).await?,
        None => None,
    }
    .ok_or_else(|| PmsError::of(codes::PMS_PRT_098))?;
    usable_policy(&mut tx, &policy).await?;
    credentials::map_credential_type(&mut tx, &partner_id, ctype, &policy.id, &caller.user_id)
        .await?;
    tx.commit().await?;
    ok(
        None,
        None,
        json!("Partner, policy and credentialType mapping done successfully."),
    )
}

/// The policy mapped to a partner's credential type.
///
/// `GET /partners/{partnerId}/credentialtype/{credentialType}/policies`
/// (`getpartnerscredentialtypepolicies`) → `PartnerCredentialTypePolicyDto{partnerId,
/// credentialType, policyId, policyName, policyDesc, policyType, publishDate, validTill,
/// status, version, schema, is_Active, cr_by, cr_dtimes, up_by, upd_dtimes, policies}`;
/// `PMS_PRT_064` no mapping, `PMS_PRT_073` its policy is gone.
#[utoipa::path(get, path = "/v1/partnermanager/partners/{partner_id}/credentialtype/{credential_type}/policies", tag = "partners",
    params(("partner_id" = String, Path, description = "Partner id."), ("credential_type" = String, Path, description = "Credential type.")),
    responses((status = 200, description = "`response`: `PartnerCredentialTypePolicyDto`. Business errors (HTTP 200): `PMS_PRT_055`, `PMS_PRT_064` (no mapping), `PMS_PRT_073` (policy gone).", body = crate::openapi::schemas::PmsResponse<Value>), crate::openapi::schemas::PmsDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn credential_type_policy(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path((partner_id, credential_type)): Path<(String, String)>,
) -> PmsResult {
    state
        .roles
        .check(RoleKey::GetPartnersCredentialTypePolicies, &caller)?;
    own_or_service(&caller, &partner_id)?;
    let ctype = allowed(&state.pms.allowed_credential_types, &credential_type)
        .unwrap_or(&credential_type)
        .to_owned();
    let mut conn = state.pool.acquire().await?;
    let policy_id = credentials::credential_type_policy(&mut conn, &partner_id, &ctype)
        .await?
        .ok_or_else(|| PmsError::of(codes::PMS_PRT_064))?;
    let gone = || PmsError::of(codes::PMS_PRT_073);
    let policy = policies::policy(&mut conn, &policy_id, false)
        .await?
        .ok_or_else(gone)?;
    let group = policies::group(&mut conn, &policy.policy_group_id, false)
        .await?
        .ok_or_else(gone)?;
    let full = crate::pms::views::policy_json(&policy, &group);
    let mut out = json!({"partnerId": partner_id, "credentialType": ctype});
    for k in [
        "policyId",
        "policyName",
        "policyDesc",
        "policyType",
        "publishDate",
        "validTill",
        "status",
        "version",
        "schema",
        "is_Active",
        "cr_by",
        "cr_dtimes",
        "up_by",
        "upd_dtimes",
        "policies",
    ] {
        out[k] = full[k].clone();
    }
    ok(None, None, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biometric_with_and_without_subtypes() {
        assert_eq!(split_biometric("face").unwrap(), ("face".into(), None));
        assert_eq!(
            split_biometric("finger[LEFT_THUMB, RIGHT_THUMB]").unwrap(),
            ("finger".into(), Some("LEFT_THUMB,RIGHT_THUMB".into()))
        );
        assert_eq!(split_biometric("iris[]").unwrap(), ("iris".into(), None));
        assert!(split_biometric("finger[LEFT_THUMB").is_err());
        assert!(split_biometric("").is_err());
    }
}

//! `GET /v1/policymanager/policies/config/{key}`: the value of one of PMS's configuration
//! keys (1.2.0.1 `PolicyManagementController#getValueForKey`), answered `{key, value}`.
//!
//! PMS 1.2.0.1 answers any property of its environment, secrets included. pmsflow answers only
//! the PMS keys whose value it holds in `[pms]` and that are no secret (below); any other key
//! is answered as 1.2.0.1 answers an unknown one: `value: null`. As in 1.2.0.1, a value of
//! digits is answered as a string.

use axum::extract::{Path, State};
use pmsflow_core::policy::PolicyType;
use pmsflow_store::config::PmsSettings;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::envelope::{ok, PmsResult};
use crate::access::{PmsCaller, RoleKey};
use crate::state::AppState;

/// The answer: PMS's `{key, value}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConfigValue {
    /// The key asked for.
    pub key: String,
    /// Its value (a string, or an object for JSON values); null for a key pmsflow does not
    /// answer.
    pub value: Value,
}

/// The route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(config_value))
}

fn joined(values: &[String]) -> Value {
    Value::String(values.join(","))
}

/// The value pmsflow answers for PMS configuration key `key`; `None` for any other key.
pub fn value_of(pms: &PmsSettings, key: &str) -> Option<Value> {
    let digits = |n: u64| Value::String(n.to_string());
    Some(match key {
        "pmp.allowed.policy.types" => Value::String(
            PolicyType::ALL
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        "pmp.policy.schema.url" => Value::String(pms.policy_schema_url.clone()),
        "pmp.allowed.credential.types" => joined(&pms.allowed_credential_types),
        "policy.credential.type.mapping.allowed.partner.types" => {
            joined(&pms.credential_type_partner_types)
        }
        "mosip.pms.ui.required.roles" => joined(&pms.ui_roles),
        "mosip.pmp.partner.policy.expiry.period.indays" => digits(pms.api_key_validity_days.into()),
        "mosip.pmp.misp.license.expiry.period.indays" => {
            digits(pms.misp_licence_validity_days.into())
        }
        "mosip.kernel.idgenerator.misp.license-key-length" => {
            digits(pms.misp_licence_key_length as u64)
        }
        _ => return None,
    })
}

/// The value of a PMS configuration key.
///
/// `GET /v1/policymanager/policies/config/{key}` (`getpoliciesconfigkey`: PARTNER_ADMIN,
/// POLICYMANAGER) → `{key, value}`; `value` is null for a key pmsflow does not answer.
#[utoipa::path(
    get,
    path = "/v1/policymanager/policies/config/{key}",
    tag = "policies",
    params(("key" = String, Path, description = "A PMS configuration key, e.g. `pmp.allowed.policy.types`.")),
    responses(
        (status = 200, description = "`response`: `{key, value}`: `value` a string (digits too) for `pmp.allowed.policy.types`, `pmp.policy.schema.url`, `pmp.allowed.credential.types`, `policy.credential.type.mapping.allowed.partner.types`, `mosip.pms.ui.required.roles`, `mosip.pmp.partner.policy.expiry.period.indays`, `mosip.pmp.misp.license.expiry.period.indays`, `mosip.kernel.idgenerator.misp.license-key-length`; null for any other key (no secret is ever answered).", body = crate::openapi::schemas::PmsResponse<ConfigValue>),
        crate::openapi::schemas::PmsDenied,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
async fn config_value(
    State(state): State<AppState>,
    PmsCaller(caller): PmsCaller,
    Path(key): Path<String>,
) -> PmsResult {
    state.roles.check(RoleKey::GetPoliciesConfigKey, &caller)?;
    let value = value_of(&state.pms, &key).unwrap_or(Value::Null);
    ok(None, None, json!(ConfigValue { key, value }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_are_answered_and_secrets_never() {
        let pms = pmsflow_store::config::Settings::defaults().unwrap().pms;
        assert_eq!(
            value_of(&pms, "pmp.allowed.policy.types"),
            Some(json!("Auth,DataShare,CredentialIssuance,MISP"))
        );
        assert_eq!(
            value_of(&pms, "mosip.pmp.misp.license.expiry.period.indays"),
            Some(json!("90"))
        );
        for secret in [
            "mosip.pmp.database.password",
            "mosip.pmp.auth.secretKey",
            "abcd",
        ] {
            assert_eq!(value_of(&pms, secret), None, "{secret}");
        }
    }
}

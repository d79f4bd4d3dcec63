//! Policy types and validation of policy documents against MOSIP's JSON schemas.
//!
//! A MOSIP policy (`POST /v1/policymanager/policies`, stored in `auth_policy.policy_file_id`)
//! is a JSON object whose shape depends on its `policyType` (mosip-pms.md §8.1):
//!
//! | [`PolicyType`] | schema (mosip-config @ v1.2.0.1) | required top-level keys |
//! |---|---|---|
//! | `Auth` | `auth-policy-schema.json` | `authTokenType`, `allowedAuthTypes`, `allowedKycAttributes` |
//! | `DataShare`, `CredentialIssuance` | `data-share-policy-schema.json` | `dataSharePolicies`, `shareableAttributes` |
//! | `MISP` | `misp-policy-schema.json` | `allowAuthRequestDelegation`, `allowKycRequestDelegation`, `allowKeyBindingDelegation` |
//!
//! PMS fetches the schema from the URL in `pmp.<type>.policy.schema` on every create and update
//! and validates with `PolicySchemaValidator.validatePolicies`
//! (`partner/policy-validator/src/main/java/io/mosip/pms/policy/validator/impl/PolicySchemaValidator.java`,
//! json-schema-validator 2.2.x, Draft-04). Here the three schemas are embedded in the binary
//! (`workflows/core/schemas/`, byte copies of MOSIP's config data) and compiled once, on first
//! use, with the `jsonschema` crate in Draft-04 mode. The module does no IO.
//!
//! # How a violation is named
//!
//! PMS turns each validator message into a `ServiceError` and, because
//! `PolicyObjectValidationFailedException` takes its code and text from the first of them, the
//! client sees only the first one (`PolicyManagementService#validatePolicy` rethrows it as a
//! `PolicyManagementServiceException`). [`validate_policy`] returns that first violation;
//! [`policy_violations`] returns them all, in PMS's order.
//!
//! The `key` of a violation is built the way PMS builds it: the instance's JSON pointer (escaped,
//! as in RFC 6901), plus `/` and the property name for a missing or an unwanted property, with
//! every leading and trailing `/` stripped (`StringUtils.strip(pointer, "/")`). So a missing
//! top-level key is `authTokenType`, a missing nested one `dataSharePolicies/typeOfShare`, a key
//! inside an array item `allowedAuthTypes/0/mandatory`, and an enum or type error names the
//! offending value itself (`dataSharePolicies/typeOfShare`, `allowedAuthTypes/1/authType`).
//!
//! | schema keyword | PMS 1.2.0.1 | here |
//! |---|---|---|
//! | `required` | one `PMS_PV_006` per missing property, `pointer/name` | same |
//! | `additionalProperties` | one `PMS_PV_005` per unwanted property (sorted), `pointer/name` | same |
//! | `enum` | `PMS_PV_005`, `pointer` | same |
//! | `type` and any other keyword | no error at all: the report fails but the error list is empty, so nothing is thrown and the policy is saved (master reports `type` as `PMS_PV_007` "Format Error") | `PMS_PV_005`, `pointer` |
//!
//! The last row is a deliberate departure: a policy such as `{"mandatory": "false"}` in an
//! `allowedAuthTypes` item is rejected here rather than stored.
//!
//! PMS's order is the order of json-schema-validator's depth-first walk: the keywords of a node
//! in alphabetical order (`additionalProperties` < `enum` < `required` < `type`), then its
//! children, object members sorted by name (Java `String` order) and array items by index.
//! Missing properties come in the schema's `required` order.
//!
//! A policy that is not a JSON object is [`POLICY_PARSING_FAILED`] (`PMS_PV_003`, "Failed to
//! parse/convert policy Object", empty key). PMS defines that code but never raises it: its
//! request DTOs bind `policies` to a JSON object (`org.json.simple.JSONObject`), so a
//! non-object never reaches the validator; this is the validator's own code for that case.

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::envelope::ServiceError;

/// `PMS_PV_003` Failed to parse/convert policy Object: the policy is not a JSON object.
pub const POLICY_PARSING_FAILED: &str = "PMS_PV_003";
/// `PMS_PV_005` Invalid input parameter - %s in policy data: every violation but a missing key.
pub const INVALID_INPUT_PARAMETER: &str = "PMS_PV_005";
/// `PMS_PV_006` Missing input parameter - %s in policy data: a required property is absent.
pub const MISSING_INPUT_PARAMETER: &str = "PMS_PV_006";

/// `auth-policy-schema.json` from mosip-config @ v1.2.0.1 (`pmp.auth.policy.schema`).
const AUTH_SCHEMA: &str = include_str!("../schemas/auth-policy-schema.json");
/// `data-share-policy-schema.json` from mosip-config @ v1.2.0.1 (`pmp.datashare.policy.schema`
/// and `pmp.credentialissuance.policy.schema`).
const DATA_SHARE_SCHEMA: &str = include_str!("../schemas/data-share-policy-schema.json");
/// `misp-policy-schema.json` from mosip-config @ v1.2.0.1 (`pmp.misp.policy.schema`).
const MISP_SCHEMA: &str = include_str!("../schemas/misp-policy-schema.json");

static AUTH_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| compile(AUTH_SCHEMA));
static DATA_SHARE_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| compile(DATA_SHARE_SCHEMA));
static MISP_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| compile(MISP_SCHEMA));

/// Compile an embedded schema. The schemas are constants checked by the unit tests, so a failure
/// here is a build defect, not a runtime condition.
fn compile(schema: &str) -> Validator {
    let schema: Value = serde_json::from_str(schema).expect("embedded policy schema is JSON");
    jsonschema::draft4::new(&schema).expect("embedded policy schema compiles as Draft-04")
}

/// A policy type of `pmp.allowed.policy.types` (mosip-pms.md §8.1).
///
/// Serialises with PMS's spelling (`Auth`, `DataShare`, `CredentialIssuance`, `MISP`) and
/// deserialises only that spelling; use [`PolicyType::parse`] for user input, which PMS compares
/// case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PolicyType {
    /// IDA authentication and eKYC (`allowedAuthTypes`, `allowedKycAttributes`, `authTokenType`).
    Auth,
    /// Data sharing with a partner (`dataSharePolicies`, `shareableAttributes`).
    DataShare,
    /// Credential issuance; same document shape and schema as [`PolicyType::DataShare`].
    CredentialIssuance,
    /// MISP delegation flags (`allow*Delegation`, `trustBindedAuthVerificationToken`).
    #[serde(rename = "MISP")]
    Misp,
}

impl PolicyType {
    /// Every policy type, in PMS's configuration order.
    pub const ALL: [Self; 4] = [
        Self::Auth,
        Self::DataShare,
        Self::CredentialIssuance,
        Self::Misp,
    ];

    /// Parse a `policyType` as PMS's allowed-types check does
    /// (`PolicyManagementService#validatePolicyTypes`: `equalsIgnoreCase`, no trimming).
    /// `None` means PMS's "policy type not allowed".
    ///
    /// The comparison is ASCII case-insensitive. Java's `equalsIgnoreCase` also folds a few
    /// non-ASCII letters (`ı`, `ſ`), but PMS then looks the schema up under
    /// `toLowerCase()` of the same string and finds none, so only ASCII variants ever validate.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|policy_type| policy_type.as_str().eq_ignore_ascii_case(value))
    }

    /// PMS's spelling, as configured in `pmp.allowed.policy.types`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "Auth",
            Self::DataShare => "DataShare",
            Self::CredentialIssuance => "CredentialIssuance",
            Self::Misp => "MISP",
        }
    }

    /// File name of the mosip-config schema this type is validated with; `DataShare` and
    /// `CredentialIssuance` share `data-share-policy-schema.json`.
    pub fn schema_file(self) -> &'static str {
        match self {
            Self::Auth => "auth-policy-schema.json",
            Self::DataShare | Self::CredentialIssuance => "data-share-policy-schema.json",
            Self::Misp => "misp-policy-schema.json",
        }
    }

    /// The embedded schema text (a byte copy of [`PolicyType::schema_file`]), for callers that
    /// serve or store the schema next to a published policy.
    pub fn schema_json(self) -> &'static str {
        match self {
            Self::Auth => AUTH_SCHEMA,
            Self::DataShare | Self::CredentialIssuance => DATA_SHARE_SCHEMA,
            Self::Misp => MISP_SCHEMA,
        }
    }

    fn validator(self) -> &'static Validator {
        match self {
            Self::Auth => &AUTH_VALIDATOR,
            Self::DataShare | Self::CredentialIssuance => &DATA_SHARE_VALIDATOR,
            Self::Misp => &MISP_VALIDATOR,
        }
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One way a policy document breaks its type's schema, as PMS reports it.
///
/// `code` is [`MISSING_INPUT_PARAMETER`], [`INVALID_INPUT_PARAMETER`] or
/// [`POLICY_PARSING_FAILED`]; `message` is PMS's verbatim text with `key` filled in; `key` is
/// the slash-separated path PMS names (see the module docs), empty for `PMS_PV_003`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PolicyViolation {
    /// `PMS_PV_003`, `PMS_PV_005` or `PMS_PV_006`.
    pub code: &'static str,
    /// e.g. `Missing input parameter - authTokenType in policy data`.
    pub message: String,
    /// e.g. `authTokenType`, `dataSharePolicies/typeOfShare`, `allowedAuthTypes/0/authType`.
    pub key: String,
}

impl PolicyViolation {
    /// `PMS_PV_006` for a required property `key` that is absent.
    fn missing(key: String) -> Self {
        Self {
            code: MISSING_INPUT_PARAMETER,
            message: format!("Missing input parameter - {key} in policy data"),
            key,
        }
    }

    /// `PMS_PV_005` for a value at `key` that breaks the schema.
    fn invalid(key: String) -> Self {
        Self {
            code: INVALID_INPUT_PARAMETER,
            message: format!("Invalid input parameter - {key} in policy data"),
            key,
        }
    }

    /// `PMS_PV_003` for a policy that is not a JSON object.
    fn not_an_object() -> Self {
        Self {
            code: POLICY_PARSING_FAILED,
            message: "Failed to parse/convert policy Object".to_owned(),
            key: String::new(),
        }
    }
}

impl From<PolicyViolation> for ServiceError {
    fn from(violation: PolicyViolation) -> Self {
        ServiceError::new(violation.code, violation.message)
    }
}

/// Validate `policy` against the schema of `policy_type`, as PMS does on policy create and
/// update, and return the violation PMS would report: the first of [`policy_violations`].
///
/// # Errors
/// `PMS_PV_003` if `policy` is not an object, `PMS_PV_006` for a missing required property,
/// `PMS_PV_005` for any other schema violation (enum, type, unwanted property, ...).
pub fn validate_policy(policy_type: PolicyType, policy: &Value) -> Result<(), PolicyViolation> {
    match policy_violations(policy_type, policy).into_iter().next() {
        Some(violation) => Err(violation),
        None => Ok(()),
    }
}

/// Every violation of `policy` against the schema of `policy_type`, in the order PMS's
/// validator lists them (its `ServiceError` list; see the module docs). Empty when valid.
pub fn policy_violations(policy_type: PolicyType, policy: &Value) -> Vec<PolicyViolation> {
    if !policy.is_object() {
        return vec![PolicyViolation::not_an_object()];
    }
    let mut errors: Vec<(Vec<Segment>, ValidationError<'_>)> = policy_type
        .validator()
        .iter_errors(policy)
        .map(|error| (segments(policy, error.instance_path().as_str()), error))
        .collect();
    // Stable: errors of one keyword keep the validator's order (`required` is in schema order).
    errors.sort_by(|(a_path, a), (b_path, b)| {
        a_path
            .cmp(b_path)
            .then_with(|| a.kind().keyword().cmp(b.kind().keyword()))
    });
    let mut violations = Vec::with_capacity(errors.len());
    for (_, error) in &errors {
        let pointer = error.instance_path().as_str();
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                violations.push(PolicyViolation::missing(key(pointer, Some(&name))));
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let mut unexpected: Vec<&String> = unexpected.iter().collect();
                unexpected.sort_by(|a, b| java_cmp(a, b));
                violations.extend(
                    unexpected
                        .into_iter()
                        .map(|name| PolicyViolation::invalid(key(pointer, Some(name)))),
                );
            }
            _ => violations.push(PolicyViolation::invalid(key(pointer, None))),
        }
    }
    violations
}

/// PMS's key: `pointer[/name]` with leading and trailing `/` stripped.
fn key(pointer: &str, name: Option<&str>) -> String {
    let joined = match name {
        Some(name) => format!("{pointer}/{name}"),
        None => pointer.to_owned(),
    };
    joined.trim_matches('/').to_owned()
}

/// Java's `String.compareTo`: UTF-16 code unit order (equal to byte order for ASCII).
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// One step of an instance path, typed by the container it indexes, so siblings sort as the
/// Java walker visits them: array items by index, object members by name.
#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Index(usize),
    Member(String),
}

impl Ord for Segment {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Index(a), Self::Index(b)) => a.cmp(b),
            (Self::Member(a), Self::Member(b)) => java_cmp(a, b),
            // Siblings are all indexes or all members; any fixed order will do.
            (Self::Index(_), Self::Member(_)) => Ordering::Less,
            (Self::Member(_), Self::Index(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Segment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Split an escaped JSON pointer into typed segments by walking `instance` along it.
fn segments(instance: &Value, pointer: &str) -> Vec<Segment> {
    let mut current = Some(instance);
    let mut out = Vec::new();
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        match (current, token.parse::<usize>()) {
            (Some(Value::Array(items)), Ok(index)) => {
                current = items.get(index);
                out.push(Segment::Index(index));
            }
            (node, _) => {
                current = node.and_then(|node| node.get(&token));
                out.push(Segment::Member(token));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    fn policies_dir() -> PathBuf {
        std::env::var("PMSFLOW_SHARED_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
            })
            .join("fixtures/mosip/policies")
    }

    /// Every real example policy with the type its file name gives.
    fn examples() -> Vec<(String, PolicyType, Value)> {
        let dir = policies_dir();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let policy_type = if name.starts_with("auth-policy.") {
                PolicyType::Auth
            } else if name.starts_with("datashare-policy.") {
                PolicyType::DataShare
            } else if name.starts_with("misp-policy.") {
                PolicyType::Misp
            } else {
                continue;
            };
            let text = std::fs::read_to_string(&path).expect("read fixture");
            let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push((name, policy_type, value));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn example(policy_type: PolicyType) -> Value {
        let wanted = match policy_type {
            PolicyType::CredentialIssuance => PolicyType::DataShare,
            other => other,
        };
        examples()
            .into_iter()
            .find(|(_, t, _)| *t == wanted)
            .map(|(_, _, v)| v)
            .expect("an example of each type")
    }

    fn violation(policy_type: PolicyType, policy: &Value) -> PolicyViolation {
        validate_policy(policy_type, policy).expect_err("policy should be refused")
    }

    fn assert_invalid(policy_type: PolicyType, policy: &Value, key: &str) {
        let v = violation(policy_type, policy);
        assert_eq!(v.code, "PMS_PV_005", "{v:?}");
        assert_eq!(v.key, key);
        assert_eq!(
            v.message,
            format!("Invalid input parameter - {key} in policy data")
        );
    }

    fn assert_missing(policy_type: PolicyType, policy: &Value, key: &str) {
        let v = violation(policy_type, policy);
        assert_eq!(v.code, "PMS_PV_006", "{v:?}");
        assert_eq!(v.key, key);
        assert_eq!(
            v.message,
            format!("Missing input parameter - {key} in policy data")
        );
    }

    #[test]
    fn policy_fixtures_dir_is_shared() {
        let dir = policies_dir();
        assert!(dir.join("README.md").is_file(), "{}", dir.display());
    }

    #[test]
    fn policy_every_real_example_is_accepted() {
        let examples = examples();
        // mosip-pms.md §8.3 lists nine; more may be added, none may silently vanish.
        assert!(
            examples.len() >= 9,
            "{:?}",
            examples.iter().map(|e| &e.0).collect::<Vec<_>>()
        );
        for wanted in [PolicyType::Auth, PolicyType::DataShare, PolicyType::Misp] {
            assert!(
                examples.iter().any(|(_, t, _)| *t == wanted),
                "no {wanted} example"
            );
        }
        for (name, policy_type, policy) in &examples {
            assert_eq!(policy_violations(*policy_type, policy), vec![], "{name}");
            assert_eq!(validate_policy(*policy_type, policy), Ok(()), "{name}");
            if *policy_type == PolicyType::DataShare {
                assert_eq!(
                    validate_policy(PolicyType::CredentialIssuance, policy),
                    Ok(()),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn policy_removing_a_required_top_level_key_is_pv_006() {
        for policy_type in PolicyType::ALL {
            let schema: Value = serde_json::from_str(policy_type.schema_json()).expect("schema");
            let required = schema["required"].as_array().expect("required");
            assert!(!required.is_empty());
            for key in required {
                let key = key.as_str().expect("key");
                let mut policy = example(policy_type);
                policy.as_object_mut().expect("object").remove(key);
                assert_missing(policy_type, &policy, key);
            }
        }
    }

    #[test]
    fn policy_required_keys_per_type_match_mosip_pms_notes() {
        let required = |t: PolicyType| -> Vec<String> {
            let schema: Value = serde_json::from_str(t.schema_json()).expect("schema");
            serde_json::from_value(schema["required"].clone()).expect("strings")
        };
        assert_eq!(
            required(PolicyType::Auth),
            ["authTokenType", "allowedAuthTypes", "allowedKycAttributes"]
        );
        assert_eq!(
            required(PolicyType::DataShare),
            ["dataSharePolicies", "shareableAttributes"]
        );
        assert_eq!(
            required(PolicyType::Misp),
            [
                "allowAuthRequestDelegation",
                "allowKycRequestDelegation",
                "allowKeyBindingDelegation"
            ]
        );
    }

    #[test]
    fn policy_nested_missing_keys_are_named_by_path() {
        let mut policy = example(PolicyType::DataShare);
        policy["dataSharePolicies"]
            .as_object_mut()
            .expect("object")
            .remove("typeOfShare");
        assert_missing(
            PolicyType::DataShare,
            &policy,
            "dataSharePolicies/typeOfShare",
        );

        let mut policy = example(PolicyType::Auth);
        policy["allowedAuthTypes"][1]
            .as_object_mut()
            .expect("object")
            .remove("mandatory");
        assert_missing(PolicyType::Auth, &policy, "allowedAuthTypes/1/mandatory");

        let mut policy = example(PolicyType::DataShare);
        policy["shareableAttributes"][0]["source"][0]
            .as_object_mut()
            .expect("object")
            .remove("attribute");
        assert_missing(
            PolicyType::DataShare,
            &policy,
            "shareableAttributes/0/source/0/attribute",
        );
    }

    #[test]
    fn policy_enum_violations_are_pv_005() {
        let mut policy = example(PolicyType::DataShare);
        policy["dataSharePolicies"]["typeOfShare"] = json!("x");
        assert_invalid(
            PolicyType::DataShare,
            &policy,
            "dataSharePolicies/typeOfShare",
        );
        assert_invalid(
            PolicyType::CredentialIssuance,
            &policy,
            "dataSharePolicies/typeOfShare",
        );

        let mut policy = example(PolicyType::DataShare);
        policy["dataSharePolicies"]["encryptionType"] = json!("Partner based");
        assert_invalid(
            PolicyType::DataShare,
            &policy,
            "dataSharePolicies/encryptionType",
        );

        let mut policy = example(PolicyType::Auth);
        policy["authTokenType"] = json!("Policy");
        assert_invalid(PolicyType::Auth, &policy, "authTokenType");
    }

    #[test]
    fn policy_type_violations_are_pv_005() {
        let mut policy = example(PolicyType::Auth);
        policy["allowedAuthTypes"][0]["authType"] = json!(5);
        assert_invalid(PolicyType::Auth, &policy, "allowedAuthTypes/0/authType");

        let mut policy = example(PolicyType::Auth);
        policy["allowedAuthTypes"][2]["mandatory"] = json!("false");
        assert_invalid(PolicyType::Auth, &policy, "allowedAuthTypes/2/mandatory");

        let mut policy = example(PolicyType::Misp);
        policy["allowAuthRequestDelegation"] = json!("true");
        assert_invalid(PolicyType::Misp, &policy, "allowAuthRequestDelegation");

        let mut policy = example(PolicyType::DataShare);
        policy["shareableAttributes"] = json!({});
        assert_invalid(PolicyType::DataShare, &policy, "shareableAttributes");
    }

    #[test]
    fn policy_unwanted_properties_are_pv_005_named_by_path() {
        let mut policy = example(PolicyType::Auth);
        policy["extra"] = json!(true);
        assert_invalid(PolicyType::Auth, &policy, "extra");

        let mut policy = example(PolicyType::Auth);
        policy["allowedKycAttributes"][0]["encrypted"] = json!(true);
        assert_invalid(
            PolicyType::Auth,
            &policy,
            "allowedKycAttributes/0/encrypted",
        );

        let mut policy = example(PolicyType::Misp);
        policy["allowVciRequestDelegation"] = json!(true);
        assert_eq!(validate_policy(PolicyType::Misp, &policy), Ok(()));
        policy["allowOtherDelegation"] = json!(true);
        assert_invalid(PolicyType::Misp, &policy, "allowOtherDelegation");
    }

    #[test]
    fn policy_keys_use_escaped_pointers_like_pms() {
        let mut policy = example(PolicyType::Auth);
        policy["a/b~c"] = json!(1);
        // An unwanted name is appended raw, as PMS appends `element.asText()`.
        assert_invalid(PolicyType::Auth, &policy, "a/b~c");
    }

    #[test]
    fn policy_violations_follow_pms_order() {
        // Node keywords before children; required in schema order; additionalProperties
        // (sorted) before required; children by name.
        let mut policy = example(PolicyType::Auth);
        let object = policy.as_object_mut().expect("object");
        object.remove("authTokenType");
        object.remove("allowedKycAttributes");
        object.insert("zeta".into(), json!(1));
        object.insert("alpha".into(), json!(1));
        policy["allowedAuthTypes"][0]["authType"] = json!(5);
        let keys: Vec<(&str, String)> = policy_violations(PolicyType::Auth, &policy)
            .into_iter()
            .map(|v| (v.code, v.key))
            .collect();
        assert_eq!(
            keys,
            [
                ("PMS_PV_005", "alpha".to_owned()),
                ("PMS_PV_005", "zeta".to_owned()),
                ("PMS_PV_006", "authTokenType".to_owned()),
                ("PMS_PV_006", "allowedKycAttributes".to_owned()),
                ("PMS_PV_005", "allowedAuthTypes/0/authType".to_owned()),
            ]
        );
        assert_invalid(PolicyType::Auth, &policy, "alpha");
    }

    #[test]
    fn policy_array_items_are_ordered_by_index() {
        let mut policy = example(PolicyType::Auth);
        let items: Vec<Value> = (0..12)
            .map(|_| json!({"authType": "otp", "mandatory": false}))
            .collect();
        policy["allowedAuthTypes"] = Value::Array(items);
        policy["allowedAuthTypes"][10]["mandatory"] = json!("no");
        policy["allowedAuthTypes"][2]["authType"] = json!(null);
        let keys: Vec<String> = policy_violations(PolicyType::Auth, &policy)
            .into_iter()
            .map(|v| v.key)
            .collect();
        assert_eq!(
            keys,
            [
                "allowedAuthTypes/2/authType",
                "allowedAuthTypes/10/mandatory"
            ]
        );
    }

    #[test]
    fn policy_not_an_object_is_pv_003() {
        for policy in [json!([]), json!("{}"), json!(null), json!(1)] {
            let v = violation(PolicyType::Auth, &policy);
            assert_eq!(v.code, "PMS_PV_003");
            assert_eq!(v.message, "Failed to parse/convert policy Object");
            assert_eq!(v.key, "");
        }
    }

    #[test]
    fn policy_credential_issuance_uses_the_data_share_schema() {
        assert_eq!(
            PolicyType::CredentialIssuance.schema_file(),
            PolicyType::DataShare.schema_file()
        );
        assert!(
            validate_policy(PolicyType::CredentialIssuance, &example(PolicyType::Auth)).is_err()
        );
        assert_missing(PolicyType::Misp, &json!({}), "allowAuthRequestDelegation");
    }

    #[test]
    fn policy_type_names_parse_like_pms() {
        for (name, expected) in [
            ("Auth", PolicyType::Auth),
            ("auth", PolicyType::Auth),
            ("AUTH", PolicyType::Auth),
            ("DataShare", PolicyType::DataShare),
            ("datashare", PolicyType::DataShare),
            ("CredentialIssuance", PolicyType::CredentialIssuance),
            ("credentialISSUANCE", PolicyType::CredentialIssuance),
            ("MISP", PolicyType::Misp),
            ("misp", PolicyType::Misp),
            ("Misp", PolicyType::Misp),
        ] {
            assert_eq!(PolicyType::parse(name), Some(expected), "{name}");
        }
        for name in [
            "",
            " Auth",
            "Auth ",
            "Data_Share",
            "Data Share",
            "Credential",
            "MISPs",
        ] {
            assert_eq!(PolicyType::parse(name), None, "{name:?}");
        }
        for policy_type in PolicyType::ALL {
            assert_eq!(PolicyType::parse(policy_type.as_str()), Some(policy_type));
            assert_eq!(policy_type.to_string(), policy_type.as_str());
        }
    }

    #[test]
    fn policy_type_serde_uses_pms_spelling() {
        for policy_type in PolicyType::ALL {
            let json = serde_json::to_value(policy_type).expect("serialize");
            assert_eq!(json, json!(policy_type.as_str()));
            assert_eq!(
                serde_json::from_value::<PolicyType>(json).expect("deserialize"),
                policy_type
            );
        }
        assert!(serde_json::from_value::<PolicyType>(json!("Misp")).is_err());
    }

    #[test]
    fn policy_violation_displays_and_converts() {
        let v = violation(PolicyType::Misp, &json!({}));
        assert_eq!(
            v.to_string(),
            "PMS_PV_006: Missing input parameter - allowAuthRequestDelegation in policy data"
        );
        let error = ServiceError::from(v);
        assert_eq!(error.error_code, "PMS_PV_006");
        assert_eq!(
            error.message,
            "Missing input parameter - allowAuthRequestDelegation in policy data"
        );
    }
}

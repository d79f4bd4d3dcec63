//! Partners, partner types, partner domains and registration rules.
//!
//! Follows PMS 1.2.0.1 `PartnerServiceImpl#savePartner` (mosip-pms.md §4.1 #1-#2, §6.2, §7):
//! the field checks below run in PMS's order, with PMS's codes and messages; checks that need
//! the database (email or id already taken, partner type and policy group lookups) are made by
//! the API around these pure ones.

use serde::{Deserialize, Serialize};

use crate::envelope::ServiceError;

/// A certificate trust domain of keymanager (`mosip.kernel.partner.allowed.domains`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PartnerDomain {
    /// Authentication partners (IDA).
    Auth,
    /// Device providers.
    Device,
    /// FTM providers (chain not re-signed by MOSIP).
    Ftm,
    /// MISP partners.
    Misp,
}

impl PartnerDomain {
    /// Parse case-insensitively, as keymanager does; `None` means `KER-PCM-011`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "AUTH" => Some(Self::Auth),
            "DEVICE" => Some(Self::Device),
            "FTM" => Some(Self::Ftm),
            "MISP" => Some(Self::Misp),
            _ => None,
        }
    }

    /// The upper-case name MOSIP stores and publishes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "AUTH",
            Self::Device => "DEVICE",
            Self::Ftm => "FTM",
            Self::Misp => "MISP",
        }
    }

    /// The domain the partner portal sends for a partner type
    /// (`pmp-ui-v2/src/utils/AppUtils.js#getPartnerDomainType`).
    /// Partner types match case-insensitively, as PMS matches them.
    pub fn for_partner_type(partner_type: &str) -> Self {
        if partner_type.eq_ignore_ascii_case("Device_Provider") {
            Self::Device
        } else if partner_type.eq_ignore_ascii_case("FTM_Provider") {
            Self::Ftm
        } else {
            Self::Auth
        }
    }
}

/// `approval_status` of a newly registered partner (mosip-pms.md §0 P0-1).
pub const STATUS_IN_PROGRESS: &str = "InProgress";
/// `approval_status` once a partner certificate has been re-signed.
pub const STATUS_APPROVED: &str = "approved";

/// What a partner sends to register (`PartnerRequest` / `PartnerRequestDto`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRegistration {
    /// Partner id; equals the partner's IAM username.
    pub partner_id: String,
    /// Name of the policy group (mandatory for policy-required partner types).
    #[serde(default)]
    pub policy_group: Option<String>,
    /// Organisation name; must equal the `O=` of the partner certificate.
    pub organization_name: String,
    /// Postal address, 1-2000 characters.
    pub address: String,
    /// Phone number, 1-16 characters.
    pub contact_number: String,
    /// Email address.
    pub email_id: String,
    /// Partner type code, e.g. `Auth_Partner`.
    pub partner_type: String,
    /// Language code; defaults to the first mandatory language.
    #[serde(default)]
    pub lang_code: Option<String>,
    /// v2 only: logo URL.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// v2 only: any JSON.
    #[serde(default)]
    pub additional_info: Option<serde_json::Value>,
}

/// Limits from PMS configuration (mosip-pms.md §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRules {
    /// `pmp.partner.partnerId.max.length` (36).
    pub partner_id_max_length: usize,
    /// `pmp.partner.mobileNumber.max.length` (16).
    pub mobile_max_length: usize,
    /// Supported languages (mandatory + optional); the first is the default.
    pub languages: Vec<String>,
}

impl RegistrationRules {
    /// `PMS_PRT_013` when `number` is longer than `mobile_max_length` characters.
    pub fn check_mobile(&self, number: &str) -> Result<(), ServiceError> {
        if number.chars().count() > self.mobile_max_length {
            return Err(ServiceError::new(
                "PMS_PRT_013",
                format!(
                    "Invalid mobile number.Length should be less than .{}",
                    self.mobile_max_length
                ),
            ));
        }
        Ok(())
    }
}

impl Default for RegistrationRules {
    fn default() -> Self {
        Self {
            partner_id_max_length: 36,
            mobile_max_length: 16,
            languages: vec!["eng".into(), "ara".into(), "fra".into()],
        }
    }
}

use crate::envelope::{check_size as bounded, invalid_parameter as invalid};

/// Email check of `pmp.partner.valid.email.address.regex`.
pub fn is_valid_email(email: &str) -> bool {
    // ^[\w-\+]+(\.[\w]+)*@[\w-]+(\.[\w]+)*(\.[a-z]{2,})$
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN
        .get_or_init(|| {
            regex::Regex::new(r"^[\w\-+]+(\.\w+)*@[\w\-]+(\.\w+)*(\.[a-z]{2,})$")
                .unwrap_or_else(|_| unreachable!("constant pattern"))
        })
        .is_match(email)
}

/// The field checks of registration, in PMS order: bean validation (`PMS_COR_001`), mobile
/// length (`PMS_PRT_013`), email format (`PMS_PRT_012`), spaces in the id (`PMS_PRT_066`), id
/// length (`PMS_PRT_052`), language (`PMS_PRT_056`), additional info (`PMS_PRT_096`).
/// Returns the language to store.
pub fn check_registration(
    req: &PartnerRegistration,
    rules: &RegistrationRules,
) -> Result<String, ServiceError> {
    if req.partner_id.trim().is_empty() {
        return Err(invalid("partnerId", "must not be blank"));
    }
    bounded(&req.organization_name, "organizationName", 1, 128)?;
    bounded(&req.address, "address", 1, 2000)?;
    bounded(&req.contact_number, "contactNumber", 1, 16)?;
    bounded(&req.email_id, "emailId", 1, 254)?;
    if req.partner_type.trim().is_empty() {
        return Err(invalid("partnerType", "must not be blank"));
    }
    rules.check_mobile(&req.contact_number)?;
    if !is_valid_email(&req.email_id) {
        return Err(ServiceError::new("PMS_PRT_012", "Invalid emailId."));
    }
    if req.partner_id.contains(char::is_whitespace) {
        return Err(ServiceError::new(
            "PMS_PRT_066",
            "PartnerId should not have any spaces",
        ));
    }
    if req.partner_id.chars().count() > rules.partner_id_max_length {
        return Err(ServiceError::new(
            "PMS_PRT_052",
            format!(
                "PartnerId max length should be {}",
                rules.partner_id_max_length
            ),
        ));
    }
    let lang = match &req.lang_code {
        Some(l) if !l.trim().is_empty() => {
            if !rules.languages.iter().any(|x| x == l) {
                return Err(ServiceError::new(
                    "PMS_PRT_056",
                    "Given langCode is not supported",
                ));
            }
            l.clone()
        }
        _ => rules
            .languages
            .first()
            .cloned()
            .unwrap_or_else(|| "eng".into()),
    };
    if let Some(info) = &req.additional_info {
        if !(info.is_object() || info.is_array()) {
            return Err(ServiceError::new("PMS_PRT_096", "Json is not valid"));
        }
    }
    Ok(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> PartnerRegistration {
        PartnerRegistration {
            partner_id: "movp".into(),
            policy_group: Some("mpolicygroup-default-auth".into()),
            organization_name: "movp".into(),
            address: "Bangalore".into(),
            contact_number: "9876543210".into(),
            email_id: "movp@example.org".into(),
            partner_type: "Auth_Partner".into(),
            lang_code: None,
            logo_url: None,
            additional_info: None,
        }
    }

    #[test]
    fn accepts_a_good_request_and_defaults_the_language() {
        assert_eq!(
            check_registration(&req(), &RegistrationRules::default()).unwrap(),
            "eng"
        );
    }

    #[test]
    fn codes_in_pms_order() {
        let rules = RegistrationRules::default();
        let mut r = req();
        r.email_id = "not-an-email".into();
        r.partner_id = "has space".into();
        assert_eq!(
            check_registration(&r, &rules).unwrap_err().error_code,
            "PMS_PRT_012"
        );
        r.email_id = "a@b.org".into();
        assert_eq!(
            check_registration(&r, &rules).unwrap_err().error_code,
            "PMS_PRT_066"
        );
        r.partner_id = "x".repeat(37);
        assert_eq!(
            check_registration(&r, &rules).unwrap_err().error_code,
            "PMS_PRT_052"
        );
        r.partner_id = "ok".into();
        r.lang_code = Some("klingon".into());
        assert_eq!(
            check_registration(&r, &rules).unwrap_err().error_code,
            "PMS_PRT_056"
        );
        r.lang_code = None;
        r.address = " ".into();
        assert_eq!(
            check_registration(&r, &rules).unwrap_err().error_code,
            "PMS_COR_001"
        );
    }

    #[test]
    fn domains() {
        assert_eq!(PartnerDomain::parse("auth"), Some(PartnerDomain::Auth));
        assert_eq!(PartnerDomain::parse("xyz"), None);
        assert_eq!(
            PartnerDomain::for_partner_type("FTM_Provider"),
            PartnerDomain::Ftm
        );
    }
}

//! Which realm roles may call which endpoint: PMS's `mosip.role.pms.<key>` lists
//! (`partner-management-default.properties` @ mosip-config v1.2.0.1; mosip-pms.md §4,
//! mosip-contracts.md §3), overridable per key in configuration (`[roles]` table,
//! e.g. `PMSFLOW_ROLES__POSTPOLICIES='[PARTNER_ADMIN]'`).
//!
//! Holes PMS leaves open are closed here: the OIDC endpoints get their (defined but unused)
//! lists, `GET /misps` lists only the caller's licences unless admin, and
//! `GET /policies/config/{key}` answers only non-secret PMS keys (`pms::config_key`).

use std::collections::{BTreeMap, HashMap};

use super::token::AuthUser;
use crate::error::PmsError;

const PARTNER_WRITERS: &[&str] = &[
    "PARTNER",
    "AUTH_PARTNER",
    "CREDENTIAL_PARTNER",
    "PARTNER_ADMIN",
    "ONLINE_VERIFICATION_PARTNER",
    "DEVICE_PROVIDER",
    "FTM_PROVIDER",
    "ABIS_PARTNER",
    "MANUAL_ADJUDICATION",
    "MISP_PARTNER",
];
const PARTNER_READERS: &[&str] = &[
    "PARTNER",
    "AUTH_PARTNER",
    "CREDENTIAL_PARTNER",
    "PARTNER_ADMIN",
    "ONLINE_VERIFICATION_PARTNER",
    "DEVICE_PROVIDER",
    "FTM_PROVIDER",
    "ABIS_PARTNER",
    "MANUAL_ADJUDICATION",
    "MISP_PARTNER",
    "RESIDENT",
    "SDK_PARTNER",
];
const CERTIFICATE_UPLOADERS: &[&str] = &[
    "PARTNER",
    "PMS_USER",
    "AUTH_PARTNER",
    "ABIS_PARTNER",
    "SDK_PARTNER",
    "DEVICE_PROVIDER",
    "FTM_PROVIDER",
    "CREDENTIAL_PARTNER",
    "CREDENTIAL_ISSUANCE",
    "ID_AUTHENTICATION",
    "PARTNER_ADMIN",
    "ONLINE_VERIFICATION_PARTNER",
];
const MANAGERS: &[&str] = &["PARTNERMANAGER", "PARTNER_ADMIN"];
/// Device providers and FTM providers (the device module's lists).
const DEVICE_ROLES: &[&str] = &["PARTNER_ADMIN", "DEVICE_PROVIDER", "FTM_PROVIDER"];
const ADMIN_ONLY: &[&str] = &["PARTNER_ADMIN"];
/// FTM providers (the FTP chip lists).
const FTM_ROLES: &[&str] = &["PARTNER_ADMIN", "FTM_PROVIDER"];
const POLICY_MANAGERS: &[&str] = &["PARTNER_ADMIN", "POLICYMANAGER"];
const MISP_ROLES: &[&str] = &["MISP_PARTNER", "MISP", "PARTNERMANAGER", "PARTNER_ADMIN"];
const OIDC_ROLES: &[&str] = &[
    "MISP_PARTNER",
    "MISP",
    "PARTNERMANAGER",
    "PARTNER_ADMIN",
    "AUTH_PARTNER",
];
const API_KEY_REQUESTERS: &[&str] = &[
    "AUTH_PARTNER",
    "ABIS_PARTNER",
    "CREDENTIAL_PARTNER",
    "CREDENTIAL_ISSUANCE",
    "ONLINE_VERIFICATION_PARTNER",
    "PARTNER_ADMIN",
];
/// Bio-extractors and credential-type mappings (credential partners and their services).
const CREDENTIAL_SHARERS: &[&str] = &[
    "PARTNER",
    "CREDENTIAL_PARTNER",
    "PARTNER_ADMIN",
    "CREDENTIAL_ISSUANCE",
    "CREATE_SHARE",
    "ONLINE_VERIFICATION_PARTNER",
];
const KEY_SEARCHERS: &[&str] = &[
    "PARTNER",
    "PMS_USER",
    "AUTH_PARTNER",
    "ABIS_PARTNER",
    "CREDENTIAL_PARTNER",
    "PARTNER_ADMIN",
    "ONLINE_VERIFICATION_PARTNER",
];
const PARTNER_LISTERS: &[&str] = &[
    "PARTNERMANAGER",
    "PARTNER_ADMIN",
    "partnermanager",
    "ID_AUTHENTICATION",
    "REGISTRATION_PROCESSOR",
    "RESIDENT",
    "CREDENTIAL_ISSUANCE",
    "ID_REPOSITORY",
];

/// Declares [`RoleKey`] (one variant per `mosip.role.pms.<key>`, with its key and PMS's
/// default list) and [`DEFAULTS`].
macro_rules! role_keys {
    ($( $(#[$meta:meta])* $variant:ident = $key:literal => $roles:expr ),* $(,)?) => {
        /// An endpoint's role key: PMS's `mosip.role.pms.<key>` property (keys prefixed
        /// `pmsflow` are pmsflow's own endpoints). Handlers name their key with this enum, so a
        /// misspelt key does not compile.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RoleKey {
            $( $(#[$meta])* #[doc = concat!("`mosip.role.pms.", $key, "`")] $variant, )*
        }

        impl RoleKey {
            /// The property key, e.g. `getpartnerscertificate`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RoleKey::$variant => $key,)*
                }
            }
        }

        /// PMS's default lists, by `mosip.role.pms.<key>`.
        pub const DEFAULTS: &[(&str, &[&str])] = &[$(($key, $roles)),*];
    };
}

role_keys! {
    // Partner service (§4.1).
    /// Self-registration (`POST /partners`, `/partners/v2`; PMS's
    /// `@authorizedRoles.getPostpartners()`): the partner types' roles and partner admins, so a
    /// resident or a service account cannot register a partner.
    PostPartners = "postpartners" => &[
        "PARTNER",
        "PMS_USER",
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "PARTNER_ADMIN",
        "ONLINE_VERIFICATION_PARTNER",
        "DEVICE_PROVIDER",
        "FTM_PROVIDER",
        "ABIS_PARTNER",
        "SDK_PARTNER",
        "MANUAL_ADJUDICATION",
        "MISP_PARTNER",
    ],
    PutPartners = "putpartners" => PARTNER_WRITERS,
    PutPartnersNew = "putpartnersnew" => PARTNER_WRITERS,
    GetPartnersPartnerId = "getpartnerspartnerid" => PARTNER_READERS,
    PostPartnersContactAdd = "postpartnerscontactadd" => PARTNER_WRITERS,
    PostPartnersBioExtractors = "postpartnersbioextractors" => CREDENTIAL_SHARERS,
    GetPartnersBioExtractors = "getpartnersbioextractors" => CREDENTIAL_SHARERS,
    GetPartnersApiKeyRequest = "getpartnersapikeyrequest" => API_KEY_REQUESTERS,
    PostPartnersCaCertificateUpload = "postpartnerscacertificateupload" => MANAGERS,
    PostPartnersCertificateUpload = "postpartnerscertificateupload" => CERTIFICATE_UPLOADERS,
    GetPartnersCertificate = "getpartnerscertificate" => {
        const R: &[&str] = &[
            "PARTNER",
            "PMS_USER",
            "AUTH_PARTNER",
            "ABIS_PARTNER",
            "SDK_PARTNER",
            "DEVICE_PROVIDER",
            "FTM_PROVIDER",
            "CREDENTIAL_PARTNER",
            "CREDENTIAL_ISSUANCE",
            "ID_AUTHENTICATION",
            "PARTNER_ADMIN",
            "ONLINE_VERIFICATION_PARTNER",
            "CREATE_SHARE",
        ];
        R
    },
    PutPartnersPolicyGroup = "putpartnerspolicygroup" => &[
        "PARTNER",
        "PMS_USER",
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "PARTNER_ADMIN",
        "ONLINE_VERIFICATION_PARTNER",
    ],
    PostPartnersPolicyMap = "postpartnerspolicymap" => API_KEY_REQUESTERS,
    PatchPartnersGenerateApiKey = "patchpartnersgenerateapikey" => &[
        "AUTH_PARTNER",
        "ABIS_PARTNER",
        "CREDENTIAL_PARTNER",
        "CREDENTIAL_ISSUANCE",
        "ONLINE_VERIFICATION_PARTNER",
    ],
    PostPartnersCredentialTypePolicies = "postpartnerscredentialtypepolicies" => CREDENTIAL_SHARERS,
    GetPartnersCredentialTypePolicies = "getpartnerscredentialtypepolicies" => CREDENTIAL_SHARERS,
    PostPartnersSearch = "postpartnerssearch" => &[
        "PARTNER",
        "PMS_USER",
        "AUTH_PARTNER",
        "ABIS_PARTNER",
        "SDK_PARTNER",
        "DEVICE_PROVIDER",
        "FTM_PROVIDER",
        "PARTNER_ADMIN",
        "CREDENTIAL_PARTNER",
        "ONLINE_VERIFICATION_PARTNER",
    ],
    PostPartnersPartnerTypeSearch = "postpartnerspartnertypesearch" => &[
        "PARTNER",
        "PMS_USER",
        "AUTH_PARTNER",
        "DEVICE_PROVIDER",
        "FTM_PROVIDER",
        "PARTNER_ADMIN",
        "CREDENTIAL_PARTNER",
        "ONLINE_VERIFICATION_PARTNER",
    ],
    PostPartnersFilterValues = "postpartnersfiltervalues" => &[
        "PARTNER",
        "PMS_USER",
        "AUTH_PARTNER",
        "DEVICE_PROVIDER",
        "FTM_PROVIDER",
        "CREDENTIAL_PARTNER",
        "PARTNER_ADMIN",
        "ONLINE_VERIFICATION_PARTNER",
        "ABIS_PARTNER",
    ],
    PostPartnersApiKeyRequestFilterValues = "postpartnersapikeyrequestfiltervalues" => &[
        "PARTNER",
        "PARTNER_ADMIN",
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "ONLINE_VERIFICATION_PARTNER",
        "ABIS_PARTNER",
    ],
    PostPartnersApiKeyRequestSearch = "postpartnersapikeyrequestsearch" => KEY_SEARCHERS,
    PostPartnersApiKeySearch = "postpartnersapikeysearch" => KEY_SEARCHERS,
    // Partner manager (§4.2).
    PutPartnersApiKeyPolicies = "putpartnersapikeypolicies" => MANAGERS,
    PatchPartners = "patchpartners" => MANAGERS,
    GetPartners = "getpartners" => PARTNER_LISTERS,
    GetPartnersNew = "getpartnersnew" => PARTNER_LISTERS,
    GetPartnersApiKey = "getpartnersapikey" => MANAGERS,
    PutPartnersPolicyMapping = "putpartnerspolicymapping" => MANAGERS,
    PatchPartnersPolicyApiKeyStatus = "patchpartnerspolicyapikeystatus" => &[
        "PARTNERMANAGER",
        "PARTNER_ADMIN",
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "CREDENTIAL_ISSUANCE",
        "ONLINE_VERIFICATION_PARTNER",
    ],
    // Device details and SBIs (PMS 1.2.0.1 device module).
    PostDeviceDetail = "postdevicedetail" => DEVICE_ROLES,
    PutDeviceDetail = "putdevicedetail" => DEVICE_ROLES,
    PatchDeviceDetail = "patchdevicedetail" => ADMIN_ONLY,
    PostDeviceDetailSearch = "postdevicedetailsearch" => DEVICE_ROLES,
    PostDeviceDetailDeviceTypeSearch = "postdevicedetaildevicetypesearch" => DEVICE_ROLES,
    PostDeviceDetailFilterValues = "postdevicedetailfiltervalues" => DEVICE_ROLES,
    PostDeviceDetailDeviceTypeFilterValues = "postdevicedetaildevicetypefiltervalues" => DEVICE_ROLES,
    PostDeviceDetailDeviceSubTypeFilterValues = "postdevicedetaildevicesubtypefiltervalues" => DEVICE_ROLES,
    PostSecureBiometricInterface = "postsecurebiometricinterface" => DEVICE_ROLES,
    PutSecureBiometricInterface = "putsecurebiometricinterface" => DEVICE_ROLES,
    PatchSecureBiometricInterface = "patchsecurebiometricinterface" => ADMIN_ONLY,
    PostSecureBiometricInterfaceSearch = "postsecurebiometricinterfacesearch" => DEVICE_ROLES,
    PutSecureBiometricInterfaceDeviceDetailsMap = "putsecurebiometricinterfacedevicedetailsmap" => DEVICE_ROLES,
    PutSecureBiometricInterfaceDeviceDetailsMapRemove = "putsecurebiometricinterfacedevicedetailsmapremove" => DEVICE_ROLES,
    PostSecureBiometricInterfaceDeviceDetailsMapSearch = "postsecurebiometricinterfacedevicedetailsmapsearch" => DEVICE_ROLES,
    PostSecureBiometricInterfaceFilterValues = "postsecurebiometricinterfacefiltervalues" => DEVICE_ROLES,
    PostFtpChipDetail = "postftpchipdetail" => FTM_ROLES,
    PutFtpChipDetail = "putftpchipdetail" => FTM_ROLES,
    PatchFtpChipDetail = "patchftpchipdetail" => ADMIN_ONLY,
    PostFtpChipDetailUploadCertificate = "postftpchipdetailuploadcertificate" => FTM_ROLES,
    GetFtpChipDetailGetPartnerCertificate = "getftpchipdetailgetpartnercertificate" => FTM_ROLES,
    PostFtpChipDetailSearch = "postftpchipdetailsearch" => FTM_ROLES,
    // MISP licences (§4.3).
    PostMispLicense = "postmisplicense" => MISP_ROLES,
    PutMispLicense = "putmisplicense" => MISP_ROLES,
    GetMispLicense = "getmisplicense" => MISP_ROLES,
    GetMispLicenseKey = "getmisplicensekey" => MANAGERS,
    PostMispFilterValues = "postmispfiltervalues" => MISP_ROLES,
    PostMispSearch = "postmispsearch" => MISP_ROLES,
    // OIDC clients (§4.4): PMS's defined lists, plus AUTH_PARTNER, the partner type that owns
    // clients (so an auth partner can register its own relying party).
    PostOidcClient = "postoidcclient" => OIDC_ROLES,
    PutOidcClient = "putoidcclient" => OIDC_ROLES,
    GetOidcClient = "getoidcclient" => OIDC_ROLES,
    // Policy manager (§4.6).
    PostPoliciesGroupNew = "postpoliciesgroupnew" => POLICY_MANAGERS,
    PutPoliciesPolicyGroupId = "putpoliciespolicygroupid" => POLICY_MANAGERS,
    PostPolicies = "postpolicies" => POLICY_MANAGERS,
    PostPoliciesPolicyIdGroupPublish = "postpoliciespolicyidgrouppublish" => POLICY_MANAGERS,
    PutPoliciesPolicyId = "putpoliciespolicyid" => POLICY_MANAGERS,
    PatchPoliciesPolicyIdGroupPolicyGroupId = "patchpoliciespolicyidgrouppolicygroupid" => POLICY_MANAGERS,
    GetPolicies = "getpolicies" => POLICY_MANAGERS,
    GetPoliciesPolicyId = "getpoliciespolicyid" => POLICY_MANAGERS,
    GetPoliciesPolicyIdPartnerPartnerId = "getpoliciespolicyidpartnerpartnerid" => POLICY_MANAGERS,
    GetPoliciesGroupPolicyGroupId = "getpoliciesgrouppolicygroupid" => POLICY_MANAGERS,
    GetPoliciesGroupAll = "getpoliciesgroupall" => POLICY_MANAGERS,
    GetPoliciesConfigKey = "getpoliciesconfigkey" => POLICY_MANAGERS,
    PostPoliciesGroupSearch = "postpoliciesgroupsearch" => &[
        "PARTNER_ADMIN",
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "POLICYMANAGER",
    ],
    PostPoliciesSearch = "postpoliciessearch" => POLICY_MANAGERS,
    PostPoliciesGroupFilterValues = "postpoliciesgroupfiltervalues" => &[
        "PARTNER_ADMIN",
        "PARTNER",
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "POLICYMANAGER",
        "ABIS_PARTNER",
        "FTM_PROVIDER",
        "ONLINE_VERIFICATION_PARTNER",
        "MANUAL_ADJUDICATION",
    ],
    PostPoliciesFilterValues = "postpoliciesfiltervalues" => &[
        "PARTNER_ADMIN",
        "PARTNER",
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "POLICYMANAGER",
    ],
    GetPoliciesActiveGroupGroupName = "getpoliciesactivegroupgroupname" => &[
        "AUTH_PARTNER",
        "CREDENTIAL_PARTNER",
        "PARTNER_ADMIN",
        "ONLINE_VERIFICATION_PARTNER",
        "ABIS_PARTNER",
        "MANUAL_ADJUDICATION",
        "POLICYMANAGER",
    ],
    // pmsflow's native run API.
    PmsflowOnboard = "pmsflowonboard" => CERTIFICATE_UPLOADERS,
    PmsflowSchedules = "pmsflowschedules" => &["PARTNER_ADMIN"],
    PmsflowSchedulesManage = "pmsflowschedulesmanage" => &["PARTNER_ADMIN"],
    PmsflowRepublish = "pmsflowrepublish" => &["PARTNER_ADMIN"],
    /// Reading any run (`GET /v1/runs`, `/v1/runs/{id}`); without it a caller sees only the
    /// runs its partner owns (`owner_partner_id`).
    PmsflowRuns = "pmsflowruns" => &[
        "PARTNER_ADMIN",
        "PMSFLOW_VIEWER",
        "PMSFLOW_OPERATOR",
        "PMSFLOW_ADMIN",
    ],
}

/// The role list of every endpoint key.
#[derive(Debug, Clone)]
pub struct RoleTable {
    lists: HashMap<String, Vec<String>>,
}

impl RoleTable {
    /// PMS's defaults with `overrides` (key → roles) applied.
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> Self {
        let mut lists: HashMap<String, Vec<String>> = DEFAULTS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|r| (*r).to_owned()).collect()))
            .collect();
        for (k, v) in overrides {
            lists.insert(k.clone(), v.clone());
        }
        Self { lists }
    }

    /// Whether `caller` holds one of the roles of `key`; an unknown key allows nobody.
    pub fn allows(&self, key: RoleKey, caller: &AuthUser) -> bool {
        self.lists
            .get(key.as_str())
            .is_some_and(|roles| roles.iter().any(|r| caller.roles.contains(r)))
    }

    /// [`allows`](Self::allows) as a PMS error (HTTP 403, KER-ATH-403).
    pub fn check(&self, key: RoleKey, caller: &AuthUser) -> Result<(), PmsError> {
        if self.allows(key, caller) {
            Ok(())
        } else {
            Err(PmsError::Forbidden)
        }
    }

    /// The keys that have no list (configuration naming an unknown key is refused at start-up).
    pub fn unknown_keys(overrides: &BTreeMap<String, Vec<String>>) -> Vec<&str> {
        overrides
            .keys()
            .filter(|k| !DEFAULTS.iter().any(|(d, _)| d == k))
            .map(String::as_str)
            .collect()
    }
}

impl Default for RoleTable {
    fn default() -> Self {
        Self::new(&BTreeMap::new())
    }
}

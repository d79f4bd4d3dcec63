//! Which realm roles may call which endpoint: PMS's `mosip.role.pms.<key>` lists
//! (`partner-management-default.properties` @ mosip-config v1.2.0.1; mosip-pms.md §4,
//! mosip-contracts.md §3), overridable per key in configuration (`[roles]` table,
//! e.g. `PMSFLOW_ROLES__POSTPOLICIES='[PARTNER_ADMIN]'`).
//!
//! Holes PMS leaves open are closed here: the OIDC endpoints get their (defined but unused)
//! lists, `GET /misps` lists only the caller's licences unless admin, and no endpoint returns
//! configuration values (`GET /policies/config/{key}` is not served).

use std::collections::{BTreeMap, HashMap};

use crate::auth::AuthUser;
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

/// PMS's default lists, by `mosip.role.pms.<key>`. Keys prefixed `pmsflow` are pmsflow's own
/// endpoints.
pub const DEFAULTS: &[(&str, &[&str])] = &[
    // Partner service (§4.1).
    ("putpartners", PARTNER_WRITERS),
    ("putpartnersnew", PARTNER_WRITERS),
    ("getpartnerspartnerid", PARTNER_READERS),
    ("postpartnerscontactadd", PARTNER_WRITERS),
    ("postpartnersbioextractors", CREDENTIAL_SHARERS),
    ("getpartnersbioextractors", CREDENTIAL_SHARERS),
    ("getpartnersapikeyrequest", API_KEY_REQUESTERS),
    ("postpartnerscacertificateupload", MANAGERS),
    ("postpartnerscertificateupload", CERTIFICATE_UPLOADERS),
    ("getpartnerscertificate", {
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
    }),
    (
        "putpartnerspolicygroup",
        &[
            "PARTNER",
            "PMS_USER",
            "AUTH_PARTNER",
            "CREDENTIAL_PARTNER",
            "PARTNER_ADMIN",
            "ONLINE_VERIFICATION_PARTNER",
        ],
    ),
    ("postpartnerspolicymap", API_KEY_REQUESTERS),
    (
        "patchpartnersgenerateapikey",
        &[
            "AUTH_PARTNER",
            "ABIS_PARTNER",
            "CREDENTIAL_PARTNER",
            "CREDENTIAL_ISSUANCE",
            "ONLINE_VERIFICATION_PARTNER",
        ],
    ),
    ("postpartnerscredentialtypepolicies", CREDENTIAL_SHARERS),
    ("getpartnerscredentialtypepolicies", CREDENTIAL_SHARERS),
    (
        "postpartnerssearch",
        &[
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
    ),
    (
        "postpartnerspartnertypesearch",
        &[
            "PARTNER",
            "PMS_USER",
            "AUTH_PARTNER",
            "DEVICE_PROVIDER",
            "FTM_PROVIDER",
            "PARTNER_ADMIN",
            "CREDENTIAL_PARTNER",
            "ONLINE_VERIFICATION_PARTNER",
        ],
    ),
    (
        "postpartnersfiltervalues",
        &[
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
    ),
    (
        "postpartnersapikeyrequestfiltervalues",
        &[
            "PARTNER",
            "PARTNER_ADMIN",
            "AUTH_PARTNER",
            "CREDENTIAL_PARTNER",
            "ONLINE_VERIFICATION_PARTNER",
            "ABIS_PARTNER",
        ],
    ),
    ("postpartnersapikeyrequestsearch", KEY_SEARCHERS),
    ("postpartnersapikeysearch", KEY_SEARCHERS),
    // Partner manager (§4.2).
    ("putpartnersapikeypolicies", MANAGERS),
    ("patchpartners", MANAGERS),
    ("getpartners", PARTNER_LISTERS),
    ("getpartnersnew", PARTNER_LISTERS),
    ("getpartnersapikey", MANAGERS),
    ("putpartnerspolicymapping", MANAGERS),
    (
        "patchpartnerspolicyapikeystatus",
        &[
            "PARTNERMANAGER",
            "PARTNER_ADMIN",
            "AUTH_PARTNER",
            "CREDENTIAL_PARTNER",
            "CREDENTIAL_ISSUANCE",
            "ONLINE_VERIFICATION_PARTNER",
        ],
    ),
    // MISP licences (§4.3).
    ("postmisplicense", MISP_ROLES),
    ("putmisplicense", MISP_ROLES),
    ("getmisplicense", MISP_ROLES),
    ("getmisplicensekey", MANAGERS),
    ("postmispfiltervalues", MISP_ROLES),
    ("postmispsearch", MISP_ROLES),
    // OIDC clients (§4.4): PMS's defined lists, plus AUTH_PARTNER, the partner type that owns
    // clients (so an auth partner can register its own relying party).
    ("postoidcclient", OIDC_ROLES),
    ("putoidcclient", OIDC_ROLES),
    ("getoidcclient", OIDC_ROLES),
    // Policy manager (§4.6).
    ("postpoliciesgroupnew", POLICY_MANAGERS),
    ("putpoliciespolicygroupid", POLICY_MANAGERS),
    ("postpolicies", POLICY_MANAGERS),
    ("postpoliciespolicyidgrouppublish", POLICY_MANAGERS),
    ("putpoliciespolicyid", POLICY_MANAGERS),
    ("patchpoliciespolicyidgrouppolicygroupid", POLICY_MANAGERS),
    ("getpolicies", POLICY_MANAGERS),
    ("getpoliciespolicyid", POLICY_MANAGERS),
    ("getpoliciespolicyidpartnerpartnerid", POLICY_MANAGERS),
    ("getpoliciesgrouppolicygroupid", POLICY_MANAGERS),
    ("getpoliciesgroupall", POLICY_MANAGERS),
    (
        "postpoliciesgroupsearch",
        &[
            "PARTNER_ADMIN",
            "AUTH_PARTNER",
            "CREDENTIAL_PARTNER",
            "POLICYMANAGER",
        ],
    ),
    ("postpoliciessearch", POLICY_MANAGERS),
    (
        "postpoliciesgroupfiltervalues",
        &[
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
    ),
    (
        "postpoliciesfiltervalues",
        &[
            "PARTNER_ADMIN",
            "PARTNER",
            "AUTH_PARTNER",
            "CREDENTIAL_PARTNER",
            "POLICYMANAGER",
        ],
    ),
    (
        "getpoliciesactivegroupgroupname",
        &[
            "AUTH_PARTNER",
            "CREDENTIAL_PARTNER",
            "PARTNER_ADMIN",
            "ONLINE_VERIFICATION_PARTNER",
            "ABIS_PARTNER",
            "MANUAL_ADJUDICATION",
            "POLICYMANAGER",
        ],
    ),
    // pmsflow's native run API.
    ("pmsflowonboard", CERTIFICATE_UPLOADERS),
    ("pmsflowschedules", &["PARTNER_ADMIN"]),
    ("pmsflowschedulesmanage", &["PARTNER_ADMIN"]),
    ("pmsflowrepublish", &["PARTNER_ADMIN"]),
];

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
    pub fn allows(&self, key: &str, caller: &AuthUser) -> bool {
        self.lists
            .get(key)
            .is_some_and(|roles| roles.iter().any(|r| caller.roles.contains(r)))
    }

    /// [`allows`](Self::allows) as a PMS error (HTTP 403, KER-ATH-403).
    pub fn check(&self, key: &str, caller: &AuthUser) -> Result<(), PmsError> {
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

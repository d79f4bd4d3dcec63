//! The catalogue of error codes pmsflow answers with: MOSIP's own (PMS 1.2.0.1 and kernel,
//! with the message PMS gives them) and pmsflow's `PMSFLOW_*` codes. One place for every code:
//! the API, the workers and the sandbox name a code through this module, never as a string.
//!
//! Where PMS builds the message from the request (`{name}` below), the catalogue's message is
//! PMS's template and the caller sends its own text with the code. Where MOSIP's message is
//! not known to us (the kernel WebSub client's, the datashare's), the message says what the
//! code means. Codes that typed errors of the core carry (certificate `KER-PCM-*`, search
//! `PMS-MSD-*`, policy `PMS_PV_*`, OIDC) stay with their error types.

/// An error code and PMS's message for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    /// The code, e.g. `PMS_PRT_005`.
    pub code: &'static str,
    /// PMS's message, e.g. `Partner does not exist`.
    pub message: &'static str,
}

impl From<Code> for String {
    fn from(code: Code) -> Self {
        code.code.to_owned()
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

/// Declares each code as a constant named after it, and [`ALL`].
macro_rules! codes {
    ($( $(#[$meta:meta])* $name:ident = $code:literal, $message:literal; )*) => {
        $(
            $(#[$meta])*
            #[doc = concat!("`", $code, "`: ", $message)]
            pub const $name: Code = Code { code: $code, message: $message };
        )*
        /// Every code of the catalogue.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    // Kernel services (MOSIP kernel `*ErrorConstants`: auth adapter and authmanager, keymanager and its partner certificate manager, notifier, audit manager, WebSub client).
    KER_ACP_009 = "KER-ACP-009", "url not found in allowed url's";
    KER_ACP_010 = "KER-ACP-010", "state is null or empty";
    KER_ACP_011 = "KER-ACP-011", "state is not uuid";
    KER_ATH_006 = "KER-ATH-006", "Cookies are empty";
    KER_ATH_007 = "KER-ATH-007", "Token is not present in cookies";
    KER_ATH_019 = "KER-ATH-019", "Invalid request";
    KER_ATH_401 = "KER-ATH-401", "Authentication Failed";
    KER_ATH_403 = "KER-ATH-403", "Forbidden";
    KER_ATH_501 = "KER-ATH-501", "Token generation failed";
    KER_AUD_001 = "KER-AUD-001", "Invalid Audit Request. Required parameters must be present";
    KER_AUD_002 = "KER-AUD-002", "Invalid Audit Request. Format is incorrect. (For timestamp, use UTC format)";
    KER_AUD_500 = "KER-AUD-500", "Internal Server Error";
    KER_CRY_003 = "KER-CRY-003", "data sent to decrypt is without key splitter or invalid";
    KER_KMS_005 = "KER-KMS-005", "Invalid request";
    KER_KMS_013 = "KER-KMS-013", "Certificate Parsing Error.";
    KER_KMS_035 = "KER-KMS-035", "Certificate Already Exist, not allowed to upload same certificate again";
    KER_KMS_500 = "KER-KMS-500", "Internal Server Error";
    KER_NOE_001 = "KER-NOE-001", "To must be valid. It can't be empty or null.";
    KER_NOE_002 = "KER-NOE-002", "Subject must be valid. It can't be empty or null.";
    KER_NOE_003 = "KER-NOE-003", "Content must be valid. It can't be empty or null.";
    KER_NOE_500 = "KER-NOE-500", "Internal Server Error";
    KER_NOE_999 = "KER-NOE-999", "Data is not valid";
    KER_PCM_001 = "KER-PCM-001", "Invalid Certificate uploaded.";
    KER_PCM_003 = "KER-PCM-003", "Certificate already exists in store.";
    KER_PCM_008 = "KER-PCM-008", "Partner Organization Name not Matched.";
    KER_PCM_010 = "KER-PCM-010", "Invalid Partner Certificate ID.";
    KER_PCM_011 = "KER-PCM-011", "Invalid Partner Domain.";
    KER_PCM_012 = "KER-PCM-012", "Partner Certificate not found for the given ID.";
    KER_WSC_101 = "KER-WSC-101", "Topic registration with the WebSub hub failed (kernel WebSub client)";
    KER_WSC_103 = "KER-WSC-103", "Publishing to the WebSub hub failed (kernel WebSub client)";
    // PMS request validation (`ValidationErrorCode` of PMS common).
    PMS_COR_001 = "PMS_COR_001", "Invalid request parameter";
    PMS_COR_002 = "PMS_COR_002", "Invalid Input Parameter";
    PMS_COR_003 = "PMS_COR_003", "Could not process the request";
    // PMS partner service (`ErrorCode` of partner-management-service, `partnermanager/constant/ErrorCode.java`).
    PMS_PRT_002 = "PMS_PRT_002", "Policy group does not exist";
    PMS_PRT_005 = "PMS_PRT_005", "Partner does not exist";
    PMS_PRT_006 = "PMS_PRT_006", "No api key req exist";
    PMS_PRT_010 = "PMS_PRT_010", "Partner Type does not exist";
    PMS_PRT_011 = "PMS_PRT_011", "Email is already exists.";
    PMS_PRT_012 = "PMS_PRT_012", "Invalid emailId.";
    PMS_PRT_013 = "PMS_PRT_013", "Invalid mobile number.Length should be less than .{}";
    PMS_PRT_046 = "PMS_PRT_046", "Error occured while extracting the leaf cert.";
    PMS_PRT_047 = "PMS_PRT_047", "Partner is not mapped to policy group";
    PMS_PRT_048 = "PMS_PRT_048", "policy group mapping is not required for given partner";
    PMS_PRT_050 = "PMS_PRT_050", "Policy group cannot be updated for approved partner";
    PMS_PRT_051 = "PMS_PRT_051", "A Partner is already registered with the same Id";
    PMS_PRT_052 = "PMS_PRT_052", "PartnerId max length should be {}";
    PMS_PRT_053 = "PMS_PRT_053", "Mapping exists for given policy and partner and is in {} state.";
    PMS_PRT_054 = "PMS_PRT_054", "Policy group not mapped for given partner";
    PMS_PRT_055 = "PMS_PRT_055", "User not authorized.";
    PMS_PRT_056 = "PMS_PRT_056", "Given langCode is not supported";
    PMS_PRT_057 = "PMS_PRT_057", "Policy Type Mismatch. Only Auth policy can be used to create OIDC Client.";
    PMS_PRT_058 = "PMS_PRT_058", "AuthPartner doesn't exists with this Id - {partner_id}.";
    PMS_PRT_059 = "PMS_PRT_059", "Only Auth_partner can Create OIDC Client. {} is not allowed to create OIDC Client.";
    PMS_PRT_061 = "PMS_PRT_061", "Partner policy mapping not exists.";
    PMS_PRT_062 = "PMS_PRT_062", "Partner api key request is approved already. Cann't add extractors now.";
    PMS_PRT_064 = "PMS_PRT_064", "No details found";
    PMS_PRT_066 = "PMS_PRT_066", "PartnerId should not have any spaces";
    PMS_PRT_070 = "PMS_PRT_070", "Credential mapping allowed only for : {}";
    PMS_PRT_072 = "PMS_PRT_072", "Given credential type is not allowed. Allowed credential types : {}";
    PMS_PRT_073 = "PMS_PRT_073", "Policy not exists.";
    PMS_PRT_096 = "PMS_PRT_096", "Json is not valid";
    PMS_PRT_098 = "PMS_PRT_098", "Given policy under partner's policy group not exists.";
    PMS_PRT_107 = "PMS_PRT_107", "Responese from the api is null";
    PMS_PRT_108 = "PMS_PRT_108", "Certficate is not uploaded for the selected partner.";
    PMS_PRT_109 = "PMS_PRT_109", "Given policy is not mapped to partner";
    PMS_PRT_110 = "PMS_PRT_110", "Given label already exists.Provide unique label.";
    PMS_PRT_111 = "PMS_PRT_111", "API key not exists for the given combination.";
    PMS_PRT_500 = "PMS_PRT_500", "Unable to process the request.";
    // PMS partner manager (`PartnerManageErrorCode` / `partnermanager/constant/PartnerManageErrorCode.java`).
    PMS_PMP_005 = "PMS_PMP_005", "Partner ID does not exist";
    PMS_PMP_007 = "PMS_PMP_007", "Partner api key does not exist";
    PMS_PMP_009 = "PMS_PMP_009", "For given partner and apikey mapping not exists.";
    PMS_PMP_013 = "PMS_PMP_013", "Partner does not exist";
    PMS_PMP_014 = "PMS_PMP_014", "Policy does not exist";
    PMS_PMP_015 = "PMS_PMP_015", "No Partner api key requests for the Policy Group";
    PMS_PMP_016 = "PMS_PMP_016", "Partner is not active.";
    PMS_PMP_017 = "PMS_PMP_017", "Partner is not mapped to any policy.";
    PMS_PMP_018 = "PMS_PMP_018", "Policy expired.";
    PMS_PMP_019 = "PMS_PMP_019", "Policy is not active.";
    PMS_PMP_023 = "PMS_PMP_023", "Policy group is not active.";
    PMS_PMP_50 = "PMS_PMP_50", "Given apikey,partner and policy mapping not exists.";
    PMS_PMP_51 = "PMS_PMP_51", "Given policy is not belongs to partner's policy group";
    // PMS partner manager, policy mapping statuses.
    PMS_PM_034 = "PMS_PM_034", "Policy request already approved.";
    PMS_PM_035 = "PMS_PM_035", "Policy request already rejected.";
    PMS_PM_045 = "PMS_PM_045", "Status should be either Approved or Rejected";
    PMS_PM_051 = "PMS_PM_051", "Extractors are not present. Please add extractors.";
    PMS_PM_058 = "PMS_PM_058", "Status should be either Active or De-Active";
    // PMS partner manager, API keys.
    PMS_PMS_022 = "PMS_PMS_022", "Given Partner api key is not active.";
    // PMS policy manager (`policymanager/exception/ErrorMessages.java`).
    PMS_POL_008 = "PMS_POL_008", "Policy ID does not exist";
    PMS_POL_009 = "PMS_POL_009", "Auth policy exists with name : {name}";
    PMS_POL_014 = "PMS_POL_014", "Policy group exists with name : {}";
    PMS_POL_015 = "PMS_POL_015", "Policy group and policy not mapped.";
    PMS_POL_016 = "PMS_POL_016", "Policy Group ID does not exist";
    PMS_POL_017 = "PMS_POL_017", "No policy available for given partner";
    PMS_POL_019 = "PMS_POL_019", "Policy group name does not exist";
    PMS_POL_020 = "PMS_POL_020", "Can not publish the published policy";
    PMS_POL_023 = "PMS_POL_023", "Policy type is not allowed. Allowed policy types are {}";
    PMS_POL_045 = "PMS_POL_045", "Status should be either Active or De-Active";
    PMS_POL_053 = "PMS_POL_053", "Policy group is not active.";
    PMS_POL_054 = "PMS_POL_054", "Cannot activate unpublished policy.";
    PMS_POL_055 = "PMS_POL_055", "Published policy cannot be updated.";
    PMS_POL_056 = "PMS_POL_056", "Active policies exists under the policy group.";
    PMS_POL_057 = "PMS_POL_057", "Policy is used by an approved or pending policy mapping or an active apiKey; it cannot be deactivated.";
    PMS_POL_058 = "PMS_POL_058", "Status cannot be changed for published policy.";
    // PMS MISP licences (`misp/exception/ErrorMessages.java`).
    PMS_MSP_005 = "PMS_MSP_005", "MISP Partner does not exist";
    PMS_MSP_009 = "PMS_MSP_009", "Given provider is not valid";
    PMS_MSP_405 = "PMS_MSP_405", "MISP partner is not active.";
    PMS_MSP_407 = "PMS_MSP_407", "mispStatus either Active or De-active.";
    PMS_MSP_408 = "PMS_MSP_408", "MISP Partner and License key combintaion not exists.";
    PMS_MSP_413 = "PMS_MSP_413", "misp license all are inactive.";
    PMS_MSP_416 = "PMS_MSP_416", "License key exists for the given provider.";
    PMS_MSP_418 = "PMS_MSP_418", "Policy not approved.";
    // PMS OIDC clients (`ErrorCode` of `oidc` in partner-management-service).
    // Device details and SBIs (`ErrorCode` of PMS's device module, 1.2.0.1).
    PMS_AUT_001 = "PMS_AUT_001", "Reg Device Sub Type Code not found in the list of Reg Device Sub Types";
    PMS_AUT_002 = "PMS_AUT_002", "Device provider id not found from the partners list";
    PMS_AUT_003 = "PMS_AUT_003", "Device Details already exists";
    PMS_AUT_005 = "PMS_AUT_005", "Device detail for id %s does not exist";
    PMS_AUT_007 = "PMS_AUT_007", "Secure Biometric Interface not found for the id %s";
    PMS_AUT_025 = "PMS_AUT_025", "ApprovalStatus should be Activate / De-activate";
    PMS_AUT_026 = "PMS_AUT_026", "ApprovalStatus should be Activate / De-activate";
    PMS_AUT_027 = "PMS_AUT_027", "Device details for id %s are not yet approved. Please provide approved details.";
    PMS_AUT_028 = "PMS_AUT_028", "Device details for id %s are rejected. Cann't use same details for mapping.";
    PMS_AUT_507 = "PMS_AUT_507", "ExpiryDate should be greaterthan createdDate";
    PMS_AUT_508 = "PMS_AUT_508", "ExpiryDate should be greaterthan/equal Today.";
    PMS_AUT_509 = "PMS_AUT_509", "Device Details and SBI do not belongs to same provider.";
    PMS_AUT_510 = "PMS_AUT_510", "Mapping not exists for given data.";
    PMS_AUT_511 = "PMS_AUT_511", "Given sbi details are approved";
    PMS_AUT_512 = "PMS_AUT_512", "Sbi details exists for given version. Can't add the records with the same version.";
    PMP_AUT_030 = "PMP_AUT_030", "ftp provider not exists.";
    PMP_AUT_031 = "PMP_AUT_031", "ftp chip id not exists.";
    PMP_AUT_032 = "PMP_AUT_032", "Given provider,make and model already exists.";
    PMP_AUT_033 = "PMP_AUT_033", "Certificate is not uploaded.";
    PMP_AUT_034 = "PMP_AUT_034", "Ftp chip detail id and ftp provider id not mappped. ";
    PMS_DTS_001 = "PMS_DTS_001", "The datashare answered no URL (null response)";
    PMS_IDP_001 = "PMS_IDP_001", "Client public key already exists.";
    PMS_IDP_002 = "PMS_IDP_002", "Partner policy mapping is not approved. Please check mapping status.";
    PMS_IDP_004 = "PMS_IDP_004", "Client not exists with given id.";
    // PMS calls to other services.
    PMS_KKS_001 = "PMS_KKS_001", "API not accessible";
    // pmsflow's own codes (native and console answers, engine failures).
    PMSFLOW_BAD_INPUT = "PMSFLOW_BAD_INPUT", "An argument cannot be sent to the callee (empty id, invalid header value).";
    PMSFLOW_BULK_CHANGED = "PMSFLOW_BULK_CHANGED", "The runs matching the bulk action changed since its preview.";
    PMSFLOW_CSRF = "PMSFLOW_CSRF", "Missing or wrong X-CSRF-Token header.";
    PMSFLOW_CROSS_SITE = "PMSFLOW_CROSS_SITE", "A cross-site request may not change state with a session cookie.";
    PMSFLOW_DB = "PMSFLOW_DB", "The database failed.";
    PMSFLOW_MEDIA_TYPE = "PMSFLOW_MEDIA_TYPE", "Unsupported Media Type: the request body must be application/json.";
    PMSFLOW_LOGIN_AT_IDP = "PMSFLOW_LOGIN_AT_IDP", "Sign in at the identity provider: pmsflow does not run the authorization-code flow.";
    PMSFLOW_LEASE_EXPIRED = "PMSFLOW_LEASE_EXPIRED", "The step's lease expired before its attempt was recorded.";
    PMSFLOW_MISSING_OUTPUT = "PMSFLOW_MISSING_OUTPUT", "An earlier step has no output.";
    PMSFLOW_NOT_APPLICABLE = "PMSFLOW_NOT_APPLICABLE", "The action does not apply to the run or step in its current state.";
    PMSFLOW_NO_REPUBLISH = "PMSFLOW_NO_REPUBLISH", "This worker was started without a database for re-publication.";
    PMSFLOW_NO_SWEEPS = "PMSFLOW_NO_SWEEPS", "This worker was started without a database for sweeps and bulk actions.";
    PMSFLOW_RUN_PENDING = "PMSFLOW_RUN_PENDING", "Request accepted and still running.";
    PMSFLOW_RUN_PRUNED = "PMSFLOW_RUN_PRUNED", "The run ended more than engine.retention_days ago and was pruned.";
    PMSFLOW_SWEEP_RUNNING = "PMSFLOW_SWEEP_RUNNING", "A run of the schedule is still running.";
    PMSFLOW_UNKNOWN_BULK = "PMSFLOW_UNKNOWN_BULK", "No such bulk action.";
    PMSFLOW_UNKNOWN_PARTNER_TYPE = "PMSFLOW_UNKNOWN_PARTNER_TYPE", "No such partner type.";
    PMSFLOW_UNKNOWN_SCHEDULE = "PMSFLOW_UNKNOWN_SCHEDULE", "No such schedule.";
    PMSFLOW_UNKNOWN_STEP = "PMSFLOW_UNKNOWN_STEP", "No executor for the step.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_named_after_themselves() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL {
            assert!(seen.insert(c.code), "{} twice", c.code);
            assert!(!c.message.is_empty(), "{} has no message", c.code);
        }
        assert_eq!(PMS_PRT_005.code, "PMS_PRT_005");
        assert_eq!(KER_ATH_401.code, "KER-ATH-401");
    }
}

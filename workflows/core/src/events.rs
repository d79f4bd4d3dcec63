//! WebSub event payloads PMS publishes (mosip-pms.md §11, `COM/helper/WebSubPublisher.java`).
//!
//! Envelope: `EventModel{publisher, topic, publishedOn, event:{id, type:{name, namespace},
//! timestamp, data}}`; the topic is the `EventType` enum name. pmsflow keeps the shapes so IDA
//! consumes them unchanged; the event `id` is the step id, so every retry of one publish step
//! carries the same id and a consumer can de-duplicate on it (PMS sends a fresh UUID each time).

use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::envelope::mosip_datetime;

/// `PARTNER_UPDATED`: partner certificate re-signed, partner activated or deactivated.
pub const PARTNER_UPDATED: &str = "PARTNER_UPDATED";
/// `CA_CERTIFICATE_UPLOADED`: a certificate chain is ready at a datashare URL.
pub const CA_CERTIFICATE_UPLOADED: &str = "CA_CERTIFICATE_UPLOADED";
/// `POLICY_UPDATED`: a policy was published, edited or changed status.
pub const POLICY_UPDATED: &str = "POLICY_UPDATED";
/// `APIKEY_APPROVED`: an API key was generated.
pub const APIKEY_APPROVED: &str = "APIKEY_APPROVED";
/// `APIKEY_UPDATED`: an API key changed status or policy.
pub const APIKEY_UPDATED: &str = "APIKEY_UPDATED";
/// `MISP_LICENSE_GENERATED`: a MISP licence key was issued.
pub const MISP_LICENSE_GENERATED: &str = "MISP_LICENSE_GENERATED";
/// `MISP_LICENSE_UPDATED`: a MISP licence changed status or was regenerated.
pub const MISP_LICENSE_UPDATED: &str = "MISP_LICENSE_UPDATED";
/// `OIDC_CLIENT_CREATED`: an eSignet OIDC client was registered for an auth partner.
pub const OIDC_CLIENT_CREATED: &str = "OIDC_CLIENT_CREATED";
/// `OIDC_CLIENT_UPDATED`: an eSignet OIDC client changed.
pub const OIDC_CLIENT_UPDATED: &str = "OIDC_CLIENT_UPDATED";

/// Who published the event: `type.name`, `type.namespace` and `publisher` as PMS sets them.
#[derive(Debug, Clone, Copy)]
pub struct Publisher<'a> {
    /// Simple class name, e.g. `PartnerServiceImpl`.
    pub name: &'a str,
    /// Fully-qualified name, e.g. `io.mosip.pmp.partner.service.impl.PartnerServiceImpl`.
    pub namespace: &'a str,
}

/// PMS's partner service, publisher of the certificate-upload events.
pub const PARTNER_SERVICE: Publisher<'static> = Publisher {
    name: "PartnerServiceImpl",
    namespace: "io.mosip.pmp.partner.service.impl.PartnerServiceImpl",
};

/// PMS's partner manager (`PartnerManagementServiceImpl`): API keys, activation.
pub const PARTNER_MANAGER: Publisher<'static> = Publisher {
    name: "PartnerManagementServiceImpl",
    namespace: "io.mosip.pms.partner.manager.service.impl.PartnerManagementServiceImpl",
};

/// PMS's policy manager (`PolicyManagementService`).
pub const POLICY_MANAGER: Publisher<'static> = Publisher {
    name: "PolicyManagementService",
    namespace: "io.mosip.pms.policy.service.PolicyManagementService",
};

/// PMS's MISP licence service (`InfraProviderServiceImpl`).
pub const MISP_SERVICE: Publisher<'static> = Publisher {
    name: "InfraProviderServiceImpl",
    namespace: "io.mosip.pms.partner.misp.service.impl.InfraProviderServiceImpl",
};

/// Publisher of the OIDC client events: PMS 1.2.0.1 publishes them from
/// `ClientManagementServiceImpl` with the partner manager's type name (mosip-contracts.md §2.4
/// "PartnerManagementServiceImpl (sic)").
pub const CLIENT_MANAGEMENT: Publisher<'static> = PARTNER_MANAGER;

/// `clientData{clientId, clientName, clientStatus, userClaims[], authContextRefs[],
/// clientAuthMethods[]}` of the OIDC client events (`ClientManagementServiceImpl#publishClientData`).
pub fn oidc_client_data(
    client_id: &str,
    client_name: &str,
    status: &str,
    user_claims: &[String],
    auth_context_refs: &[String],
    client_auth_methods: &[String],
) -> Value {
    json!({
        "clientId": client_id,
        "clientName": client_name,
        "clientStatus": status,
        "userClaims": user_claims,
        "authContextRefs": auth_context_refs,
        "clientAuthMethods": client_auth_methods,
    })
}

/// `data` of `OIDC_CLIENT_CREATED`: `{partnerData, policyData, clientData}`; `partner_data` is
/// the `partnerData` object of [`partner_updated_data`].
pub fn oidc_client_created_data(
    partner_data: Value,
    policy: &PolicyData<'_>,
    client_data: Value,
) -> Value {
    json!({"partnerData": partner_data, "policyData": policy.to_json(), "clientData": client_data})
}

/// Build the `EventModel` JSON for `topic` with `data`.
pub fn event_model(
    topic: &str,
    publisher: Publisher<'_>,
    event_id: Uuid,
    data: Value,
    now: OffsetDateTime,
) -> Value {
    let at = mosip_datetime(now);
    json!({
        "publisher": publisher.name,
        "topic": topic,
        "publishedOn": at,
        "event": {
            "id": event_id.to_string(),
            "type": {"name": publisher.name, "namespace": publisher.namespace},
            "timestamp": at,
            "data": data,
        }
    })
}

/// `data` of `PARTNER_UPDATED`: `partnerData{partnerId, partnerName, certificateData,
/// partnerStatus}`; `certificate_pem` is the MOSIP-signed leaf, `active` maps to
/// `ACTIVE`/`DEACTIVE`.
pub fn partner_updated_data(
    partner_id: &str,
    partner_name: &str,
    certificate_pem: &str,
    active: bool,
) -> Value {
    json!({
        "partnerData": {
            "partnerId": partner_id,
            "partnerName": partner_name,
            "certificateData": certificate_pem,
            "partnerStatus": if active { "ACTIVE" } else { "DEACTIVE" },
        }
    })
}

/// `data` of `CA_CERTIFICATE_UPLOADED`: `{certChainDatashareUrl, partnerDomain}`.
pub fn ca_certificate_uploaded_data(datashare_url: &str, partner_domain: &str) -> Value {
    json!({"certChainDatashareUrl": datashare_url, "partnerDomain": partner_domain})
}

/// `policyData` of `APIKEY_APPROVED`, `POLICY_UPDATED` and the MISP events:
/// `{policyId, policy, policyName, policyStatus, policyDescription, policyCommenceOn,
/// policyExpiresOn}` (`COM/util/MapperUtils.java`); `policy` is the policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyData<'a> {
    /// Policy id.
    pub id: &'a str,
    /// Policy name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// The policy document.
    pub document: &'a Value,
    /// Whether the policy is active (published and not deactivated).
    pub active: bool,
    /// `valid_from_date`.
    pub commence_on: OffsetDateTime,
    /// `valid_to_date`.
    pub expires_on: OffsetDateTime,
}

impl PolicyData<'_> {
    /// The JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "policyId": self.id,
            "policy": self.document,
            "policyName": self.name,
            "policyStatus": self.active,
            "policyDescription": self.description,
            "policyCommenceOn": mosip_datetime(self.commence_on),
            "policyExpiresOn": mosip_datetime(self.expires_on),
        })
    }
}

/// `data` of `POLICY_UPDATED` on publish: `{policyId}`; on edit or status change:
/// `{policyData}` (mosip-pms.md §8.2 — two shapes on one topic, kept as PMS sends them).
pub fn policy_updated_data(policy: &PolicyData<'_>, published_now: bool) -> Value {
    if published_now {
        json!({"policyId": policy.id})
    } else {
        json!({"policyData": policy.to_json()})
    }
}

/// `apiKeyData{apiKeyId, apiKeyCommenceOn, apiKeyExpiresOn, apiKeyStatus}`; status
/// `ACTIVE` / `NOT_ACTIVE`.
pub fn api_key_data(
    api_key: &str,
    commence_on: OffsetDateTime,
    expires_on: OffsetDateTime,
    active: bool,
) -> Value {
    json!({
        "apiKeyId": api_key,
        "apiKeyCommenceOn": mosip_datetime(commence_on),
        "apiKeyExpiresOn": mosip_datetime(expires_on),
        "apiKeyStatus": if active { "ACTIVE" } else { "NOT_ACTIVE" },
    })
}

/// `data` of `APIKEY_APPROVED`: `{partnerData, policyData, apiKeyData}`; `partner_data` is
/// the `partnerData` object of [`partner_updated_data`].
pub fn api_key_approved_data(
    partner_data: Value,
    policy: &PolicyData<'_>,
    api_key: Value,
) -> Value {
    json!({"partnerData": partner_data, "policyData": policy.to_json(), "apiKeyData": api_key})
}

/// `mispLicenseData{mispId, licenseKey, mispCommenceOn, mispExpiresOn, mispStatus}`; status
/// `ACTIVE` / `NOT_ACTIVE`.
pub fn misp_license_data(
    misp_id: &str,
    license_key: &str,
    commence_on: OffsetDateTime,
    expires_on: OffsetDateTime,
    active: bool,
) -> Value {
    json!({
        "mispId": misp_id,
        "licenseKey": license_key,
        "mispCommenceOn": mosip_datetime(commence_on),
        "mispExpiresOn": mosip_datetime(expires_on),
        "mispStatus": if active { "ACTIVE" } else { "NOT_ACTIVE" },
    })
}

/// `data` of `MISP_LICENSE_GENERATED` / `MISP_LICENSE_UPDATED`: `{mispLicenseData,
/// policyData?}`.
pub fn misp_license_event_data(license: Value, policy: Option<&PolicyData<'_>>) -> Value {
    match policy {
        Some(p) => json!({"mispLicenseData": license, "policyData": p.to_json()}),
        None => json!({"mispLicenseData": license}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn partner_updated_shape() {
        let id = Uuid::nil();
        let ev = event_model(
            PARTNER_UPDATED,
            PARTNER_SERVICE,
            id,
            partner_updated_data("p1", "ACME", "PEM", true),
            datetime!(2025-07-04 10:12:00.777 UTC),
        );
        assert_eq!(ev["publisher"], "PartnerServiceImpl");
        assert_eq!(ev["publishedOn"], "2025-07-04T10:12:00.777Z");
        assert_eq!(ev["event"]["type"]["name"], "PartnerServiceImpl");
        assert_eq!(
            ev["event"]["data"]["partnerData"]["partnerStatus"],
            "ACTIVE"
        );
    }
}

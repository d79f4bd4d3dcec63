//! The onboarding decision that needs no IO: is the request's certificate chain one MOSIP's
//! keymanager will accept? Checked before any side effect, so a bad chain fails the run at its
//! first step with keymanager's own code and nothing reaches keymanager, datashare or the hub.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::certificate::{
    check_key_size, check_not_self_signed, check_organization, check_partner_certificate,
    check_remaining_validity, check_signature_algorithm, check_validity, check_version,
    read_ca_upload, read_partner_upload, CertificateRuleViolation, TrustStore,
};
use crate::codes;
use crate::failure::StepFailure;
use crate::partner::PartnerDomain;

/// Input of an onboarding or certificate-upload run (stored as `workflow_run.input`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateRunInput {
    /// Partner id.
    pub partner_id: String,
    /// Organisation name registered for the partner; must equal the certificate's `O=`.
    pub organization_name: String,
    /// Partner type code.
    pub partner_type: String,
    /// keymanager trust domain (`AUTH`, `DEVICE`, `FTM`, `MISP`).
    pub partner_domain: PartnerDomain,
    /// Partner's email (notification).
    pub email: String,
    /// CA and intermediate certificates (PEM), any order; empty when the chain was uploaded
    /// separately (PMS `certificate/ca/upload`).
    #[serde(default)]
    pub ca_certificates: Vec<String>,
    /// The partner's certificate (PEM).
    pub partner_certificate: String,
}

/// What the local check learnt (output of the `chain.validate` step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainFacts {
    /// CA certificates in upload order: roots first, then each intermediate after its issuer.
    pub ca_upload_order: Vec<String>,
    /// SHA-1 thumbprint of the partner certificate.
    pub thumbprint: String,
    /// Issuer DN of the partner certificate.
    pub issuer: String,
    /// notAfter of the partner certificate.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

/// Most CA and intermediate certificates one onboarding may bring (building the chain costs
/// a signature check per pair, so the count is bounded; real MOSIP chains have two or three).
pub const MAX_CA_CERTIFICATES: usize = 10;

fn violation(v: &CertificateRuleViolation) -> StepFailure {
    StepFailure::permanent(v.code(), v.message())
}

/// Check the request as keymanager would (mosip-pms.md §10): each CA parses and is valid, the
/// CAs form a trust store (roots self-signed, intermediates chain to a root), and the partner
/// certificate passes every partner rule against it. Without CAs, every rule but the path is
/// checked (the path is keymanager's to check against its stored trust).
///
/// # Errors
/// A permanent [`StepFailure`] with the KER-PCM code and message keymanager would answer.
pub fn validate_chain(
    input: &CertificateRunInput,
    now: OffsetDateTime,
) -> Result<ChainFacts, StepFailure> {
    let mut cas = Vec::with_capacity(input.ca_certificates.len());
    for data in &input.ca_certificates {
        let certs =
            read_ca_upload(data).map_err(|code| StepFailure::permanent(code.code, code.message))?;
        cas.extend(certs);
    }
    let leaf = read_partner_upload(&input.partner_certificate)
        .map_err(|message| StepFailure::permanent(codes::KER_KMS_013.code, message))?;

    let mut trust = TrustStore::new();
    let mut order = Vec::new();
    // Roots first, then intermediates whose issuer is already in: repeat until no progress.
    let (mut pending, roots): (Vec<_>, Vec<_>) = cas.into_iter().partition(|c| !c.is_self_signed());
    for root in roots {
        let pem = root.to_pem();
        match trust.add_ca(root, now) {
            Ok(_) => order.push(pem),
            Err(CertificateRuleViolation::AlreadyExists { .. }) => {}
            Err(v) => return Err(violation(&v)),
        }
    }
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for ca in pending {
            if !ca.is_valid_at(now) {
                return Err(violation(&CertificateRuleViolation::DatesNotValid));
            }
            if trust.find_path(&ca, now).is_some() {
                let pem = ca.to_pem();
                match trust.add_ca(ca, now) {
                    Ok(_) => order.push(pem),
                    Err(CertificateRuleViolation::AlreadyExists { .. }) => {}
                    Err(v) => return Err(violation(&v)),
                }
            } else {
                rest.push(ca);
            }
        }
        if rest.len() == before {
            return Err(violation(&CertificateRuleViolation::RootCaNotFound));
        }
        pending = rest;
    }

    if input.ca_certificates.is_empty() {
        check_validity(&leaf, now).map_err(|v| violation(&v))?;
        check_remaining_validity(&leaf, now).map_err(|v| violation(&v))?;
        check_not_self_signed(&leaf).map_err(|v| violation(&v))?;
        check_version(&leaf).map_err(|v| violation(&v))?;
        check_organization(&leaf, &input.organization_name).map_err(|v| violation(&v))?;
        check_key_size(&leaf).map_err(|v| violation(&v))?;
        check_signature_algorithm(&leaf).map_err(|v| violation(&v))?;
    } else {
        check_partner_certificate(&leaf, &trust, &input.organization_name, now)
            .map_err(|v| violation(&v))?;
    }
    Ok(ChainFacts {
        ca_upload_order: order,
        thumbprint: leaf.thumbprint().to_owned(),
        issuer: leaf.issuer_dn().to_owned(),
        not_after: leaf.not_after(),
    })
}

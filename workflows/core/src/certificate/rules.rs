//! Keymanager's partner-certificate rules (v1.2.0.1 `uploadPartnerCertificate`,
//! mosip-pms.md §10 and mosip-contracts.md §2.2 "Partner upload"), as pure functions of the
//! certificate, the domain's [`TrustStore`] and an explicit `now`.

use time::{Duration, OffsetDateTime};

use super::chain::TrustStore;
use super::error::CertificateRuleViolation;
use super::parse::Certificate;

/// `mosip.kernel.partner.issuer.certificate.duration.years` (default 1).
pub const ISSUER_CERTIFICATE_DURATION_YEARS: i64 = 1;
/// `mosip.kernel.partner.issuer.certificate.allowed.grace.duration` (default 30 days).
pub const ISSUER_CERTIFICATE_GRACE_DAYS: i64 = 30;
/// Minimum remaining validity of a partner certificate, in days:
/// `365 · duration.years − grace` = 335.
pub const MIN_PARTNER_REMAINING_VALIDITY_DAYS: i64 =
    365 * ISSUER_CERTIFICATE_DURATION_YEARS - ISSUER_CERTIFICATE_GRACE_DAYS;
/// Minimum RSA modulus of a partner key, in bits (`KER-PCM-013`).
pub const MIN_RSA_KEY_BITS: u32 = 2048;
/// Prefix a Java signature algorithm name must have (`KER-PCM-014`).
pub const SIGNATURE_ALGORITHM_PREFIX: &str = "SHA2";

/// Applies keymanager's partner-certificate checks in keymanager's order and returns the
/// certification path `[leaf, intermediates…, root]` on success:
/// 1. valid at `now` ([`check_validity`], `KER-PCM-004`);
/// 2. at least 335 days left ([`check_remaining_validity`], `KER-PCM-004` in v1.2.0.1,
///    `KER-KMS-021` in later keymanager versions);
/// 3. not self-signed ([`check_not_self_signed`], `KER-PCM-015`);
/// 4. a path to a root of `trust` ([`TrustStore::find_path`], `KER-PCM-006`);
/// 5. X.509 v3 ([`check_version`], `KER-PCM-007`);
/// 6. subject `O=` equals `organization_name` exactly ([`check_organization`], `KER-PCM-008`);
/// 7. RSA modulus ≥ 2048 bits ([`check_key_size`], `KER-PCM-013`);
/// 8. signature algorithm name starts with `SHA2` ([`check_signature_algorithm`], `KER-PCM-014`).
///
/// Not covered: the domain check (`KER-PCM-011`, the caller picks `trust`) and the key-policy
/// check of app `PMS` (`KER-PCM-016`, always allowed with MOSIP's seed data).
///
/// # Errors
/// The [`CertificateRuleViolation`] of the first failing check.
pub fn check_partner_certificate(
    leaf: &Certificate,
    trust: &TrustStore,
    organization_name: &str,
    now: OffsetDateTime,
) -> Result<Vec<Certificate>, CertificateRuleViolation> {
    check_validity(leaf, now)?;
    check_remaining_validity(leaf, now)?;
    check_not_self_signed(leaf)?;
    let path = trust
        .find_path(leaf, now)
        .ok_or(CertificateRuleViolation::ChainNotFound)?;
    check_version(leaf)?;
    check_organization(leaf, organization_name)?;
    check_key_size(leaf)?;
    check_signature_algorithm(leaf)?;
    Ok(path)
}

/// `KER-PCM-004` unless `not_before ≤ now ≤ not_after` (Java `checkValidity()`, which also
/// covers future-dated certificates in v1.2.0.1).
///
/// # Errors
/// [`CertificateRuleViolation::DatesNotValid`].
pub fn check_validity(
    cert: &Certificate,
    now: OffsetDateTime,
) -> Result<(), CertificateRuleViolation> {
    if cert.is_valid_at(now) {
        Ok(())
    } else {
        Err(CertificateRuleViolation::DatesNotValid)
    }
}

/// `KER-PCM-004` unless `not_after` is strictly after `now + 335 days`
/// (`PartnerCertificateManagerUtil.isCertificateValidForDuration`:
/// `certNotAfter.isAfter(now.plus(noOfDays, DAYS))`).
///
/// # Errors
/// [`CertificateRuleViolation::InsufficientRemainingValidity`] with the whole days left.
pub fn check_remaining_validity(
    cert: &Certificate,
    now: OffsetDateTime,
) -> Result<(), CertificateRuleViolation> {
    let threshold = now + Duration::days(MIN_PARTNER_REMAINING_VALIDITY_DAYS);
    if cert.not_after() > threshold {
        Ok(())
    } else {
        Err(CertificateRuleViolation::InsufficientRemainingValidity {
            remaining_days: (cert.not_after() - now).whole_days(),
        })
    }
}

/// `KER-PCM-015` for a self-signed certificate.
///
/// # Errors
/// [`CertificateRuleViolation::SelfSignedNotAllowed`].
pub fn check_not_self_signed(cert: &Certificate) -> Result<(), CertificateRuleViolation> {
    if cert.is_self_signed() {
        Err(CertificateRuleViolation::SelfSignedNotAllowed)
    } else {
        Ok(())
    }
}

/// `KER-PCM-007` unless the certificate is X.509 v3.
///
/// # Errors
/// [`CertificateRuleViolation::VersionNotSupported`].
pub fn check_version(cert: &Certificate) -> Result<(), CertificateRuleViolation> {
    if cert.version() == 3 {
        Ok(())
    } else {
        Err(CertificateRuleViolation::VersionNotSupported {
            version: cert.version(),
        })
    }
}

/// `KER-PCM-008` unless the subject `O=` equals `organization_name` exactly (case-sensitive,
/// no trimming); a missing `O=` is the same error.
///
/// # Errors
/// [`CertificateRuleViolation::OrganizationNameMismatch`].
pub fn check_organization(
    cert: &Certificate,
    organization_name: &str,
) -> Result<(), CertificateRuleViolation> {
    if cert.organization() == Some(organization_name) {
        Ok(())
    } else {
        Err(CertificateRuleViolation::OrganizationNameMismatch {
            expected: organization_name.to_owned(),
            found: cert.organization().map(str::to_owned),
        })
    }
}

/// `KER-PCM-013` when an RSA key is shorter than [`MIN_RSA_KEY_BITS`]; non-RSA keys pass, as
/// in keymanager.
///
/// # Errors
/// [`CertificateRuleViolation::KeySizeTooSmall`].
pub fn check_key_size(cert: &Certificate) -> Result<(), CertificateRuleViolation> {
    match cert.rsa_modulus_bits() {
        Some(bits) if bits < MIN_RSA_KEY_BITS => {
            Err(CertificateRuleViolation::KeySizeTooSmall { bits })
        }
        _ => Ok(()),
    }
}

/// `KER-PCM-014` unless the Java signature algorithm name starts with `SHA2`
/// (`SHA256withRSA`, `SHA256withECDSA`, `SHA224withRSA` pass; `SHA1withRSA`, `SHA384withRSA`,
/// `SHA512withRSA` and `RSASSA-PSS` do not — `startsWith("SHA2")` is the whole rule).
///
/// # Errors
/// [`CertificateRuleViolation::SignatureAlgorithmNotSupported`].
pub fn check_signature_algorithm(cert: &Certificate) -> Result<(), CertificateRuleViolation> {
    if signature_algorithm_allowed(cert.signature_algorithm()) {
        Ok(())
    } else {
        Err(CertificateRuleViolation::SignatureAlgorithmNotSupported {
            algorithm: cert.signature_algorithm().to_owned(),
        })
    }
}

/// The `KER-PCM-014` predicate on a Java signature algorithm name.
pub fn signature_algorithm_allowed(java_name: &str) -> bool {
    java_name.starts_with(SIGNATURE_ALGORITHM_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_validity_is_335_days() {
        assert_eq!(MIN_PARTNER_REMAINING_VALIDITY_DAYS, 335);
    }

    #[test]
    fn signature_algorithm_prefix_rule() {
        for ok in ["SHA256withRSA", "SHA256withECDSA", "SHA224withRSA"] {
            assert!(signature_algorithm_allowed(ok), "{ok}");
        }
        for bad in [
            "SHA1withRSA",
            "SHA384withRSA",
            "SHA512withRSA",
            "MD5withRSA",
            "RSASSA-PSS",
            "Ed25519",
            "sha256withrsa",
        ] {
            assert!(!signature_algorithm_allowed(bad), "{bad}");
        }
    }
}

//! Error types of the certificate module, each carrying the MOSIP error code a caller (or the
//! sandbox keymanager) reports for it.

/// A certificate could not be read: bad PEM framing, bad base64, or DER that is not an X.509
/// certificate.
///
/// MOSIP keymanager v1.2.0.1 reports every such failure as `KER-PCM-001` "Invalid Certificate
/// uploaded." (`PartnerCertManagerErrorConstants.INVALID_CERTIFICATE`), which is what
/// [`CertificateError::code`] returns. Later keymanager versions (the one PMS 1.2.2.x talks to)
/// answer a non-PEM partner upload with `KER-KMS-013` "Certificate Parsing Error." instead
/// (mosip-contracts.md §2.2); callers that emulate that version map it themselves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The input was empty or only whitespace.
    #[error("certificate data is empty")]
    Empty,
    /// The PEM armour was broken: a `-----BEGIN` without its `-----END`, or a block label that
    /// is not a certificate (`CERTIFICATE` / `X509 CERTIFICATE`).
    #[error("malformed PEM: {0}")]
    Pem(String),
    /// The base64 body (PEM body, bare base64 or URL-safe base64) did not decode.
    #[error("invalid base64 certificate data")]
    Base64,
    /// The bytes are not a DER X.509 certificate (x509-parser's reason attached).
    #[error("not an X.509 certificate: {0}")]
    Der(String),
    /// A DER certificate was followed by extra bytes.
    #[error("{0} trailing bytes after the certificate")]
    TrailingData(usize),
}

impl CertificateError {
    /// The MOSIP code for every parse failure: `KER-PCM-001`.
    pub fn code(&self) -> &'static str {
        "KER-PCM-001"
    }

    /// The verbatim keymanager message for `KER-PCM-001`: "Invalid Certificate uploaded.".
    pub fn message(&self) -> &'static str {
        "Invalid Certificate uploaded."
    }
}

/// A MOSIP keymanager trust rule that a certificate breaks (mosip-pms.md §10, codes and
/// messages verbatim from the keymanager v1.2.0.1 catalogue in mosip-pms.md §5,
/// `PartnerCertManagerErrorConstants`).
///
/// `Display` renders `"<code>: <message>"`; [`code`](Self::code) and
/// [`message`](Self::message) give the two parts that go into a MOSIP `errors[]` entry. Some
/// variants carry diagnostic fields that are *not* part of the MOSIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateRuleViolation {
    /// `KER-PCM-003` "Certificate already exists in store." — a CA upload whose SHA-1
    /// thumbprint is already in the domain's trust store.
    #[error("KER-PCM-003: Certificate already exists in store.")]
    AlreadyExists {
        /// Lower-case hex SHA-1 thumbprint of the duplicate.
        thumbprint: String,
    },
    /// `KER-PCM-004` "Certificate Dates are not valid." — `now` is before notBefore or after
    /// notAfter (Java `X509Certificate.checkValidity()`).
    #[error("KER-PCM-004: Certificate Dates are not valid.")]
    DatesNotValid,
    /// `KER-PCM-004` "Certificate Dates are not valid." — the partner certificate is valid now
    /// but has less than 335 days left (keymanager v1.2.0.1
    /// `PartnerCertificateManagerUtil.isCertificateValidForDuration`). The keymanager version
    /// PMS 1.2.2.x calls reports this as `KER-KMS-021` "The PARTNER Certificate validity is
    /// less than required minimum validity" (mosip-contracts.md §2.2); we target 1.2.0.1.
    #[error("KER-PCM-004: Certificate Dates are not valid.")]
    InsufficientRemainingValidity {
        /// Whole days left until notAfter at the time of the check.
        remaining_days: i64,
    },
    /// `KER-PCM-005` "Root CA Certificate not found." — a CA upload that is neither
    /// self-signed nor chains to a root of the domain.
    #[error("KER-PCM-005: Root CA Certificate not found.")]
    RootCaNotFound,
    /// `KER-PCM-006` "Root CA/Intermediate CA Certificates not found." — no path from the
    /// partner certificate to a root of the domain's trust store.
    #[error("KER-PCM-006: Root CA/Intermediate CA Certificates not found.")]
    ChainNotFound,
    /// `KER-PCM-007` "Certificate version not supported." — not an X.509 v3 certificate.
    #[error("KER-PCM-007: Certificate version not supported.")]
    VersionNotSupported {
        /// The certificate's version (1, 2 or 3).
        version: u8,
    },
    /// `KER-PCM-008` "Partner Organization Name not Matched." — the subject `O=` is missing or
    /// differs (case-sensitively) from the partner's organisation name.
    #[error("KER-PCM-008: Partner Organization Name not Matched.")]
    OrganizationNameMismatch {
        /// The organisation name the partner registered with.
        expected: String,
        /// The subject `O=` value, if the certificate has one.
        found: Option<String>,
    },
    /// `KER-PCM-013` "Partner Certificate Key Size is less than allowed size." — RSA modulus
    /// shorter than 2048 bits.
    #[error("KER-PCM-013: Partner Certificate Key Size is less than allowed size.")]
    KeySizeTooSmall {
        /// The RSA modulus length in bits.
        bits: u32,
    },
    /// `KER-PCM-014` "Partner Certificate Signature algorithm not supported." — the Java
    /// signature algorithm name does not start with `SHA2`.
    #[error("KER-PCM-014: Partner Certificate Signature algorithm not supported.")]
    SignatureAlgorithmNotSupported {
        /// The Java-style algorithm name, e.g. `SHA1withRSA`.
        algorithm: String,
    },
    /// `KER-PCM-015` "Self Signed Certificate not allowed as partner."
    #[error("KER-PCM-015: Self Signed Certificate not allowed as partner.")]
    SelfSignedNotAllowed,
}

impl CertificateRuleViolation {
    /// The MOSIP error code, e.g. `"KER-PCM-006"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyExists { .. } => "KER-PCM-003",
            Self::DatesNotValid | Self::InsufficientRemainingValidity { .. } => "KER-PCM-004",
            Self::RootCaNotFound => "KER-PCM-005",
            Self::ChainNotFound => "KER-PCM-006",
            Self::VersionNotSupported { .. } => "KER-PCM-007",
            Self::OrganizationNameMismatch { .. } => "KER-PCM-008",
            Self::KeySizeTooSmall { .. } => "KER-PCM-013",
            Self::SignatureAlgorithmNotSupported { .. } => "KER-PCM-014",
            Self::SelfSignedNotAllowed => "KER-PCM-015",
        }
    }

    /// The verbatim keymanager message for [`code`](Self::code).
    pub fn message(&self) -> &'static str {
        match self {
            Self::AlreadyExists { .. } => "Certificate already exists in store.",
            Self::DatesNotValid | Self::InsufficientRemainingValidity { .. } => {
                "Certificate Dates are not valid."
            }
            Self::RootCaNotFound => "Root CA Certificate not found.",
            Self::ChainNotFound => "Root CA/Intermediate CA Certificates not found.",
            Self::VersionNotSupported { .. } => "Certificate version not supported.",
            Self::OrganizationNameMismatch { .. } => "Partner Organization Name not Matched.",
            Self::KeySizeTooSmall { .. } => {
                "Partner Certificate Key Size is less than allowed size."
            }
            Self::SignatureAlgorithmNotSupported { .. } => {
                "Partner Certificate Signature algorithm not supported."
            }
            Self::SelfSignedNotAllowed => "Self Signed Certificate not allowed as partner.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_code_and_message() {
        let violation = CertificateRuleViolation::ChainNotFound;
        assert_eq!(
            violation.to_string(),
            format!("{}: {}", violation.code(), violation.message())
        );
        let violation = CertificateRuleViolation::OrganizationNameMismatch {
            expected: "movp".into(),
            found: Some("misp".into()),
        };
        assert_eq!(
            violation.to_string(),
            format!("{}: {}", violation.code(), violation.message())
        );
    }
}

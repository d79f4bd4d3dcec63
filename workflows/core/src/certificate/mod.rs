//! X.509 certificates and MOSIP keymanager's trust rules, without IO.
//!
//! - [`Certificate`]: an owned certificate with the facts keymanager decides on (subject and
//!   issuer DN, `O=`, version, validity, self-signed, RSA size, Java signature algorithm name,
//!   basicConstraints, SHA-1 thumbprint), parsed from DER, PEM or base64.
//! - [`TrustStore`]: one partner domain's roots and intermediates, with keymanager's CA-upload
//!   checks ([`TrustStore::add_ca`]) and PKIX-like path building.
//! - [`check_partner_certificate`]: keymanager's partner-certificate rules in keymanager's
//!   order, with the MOSIP codes (`KER-PCM-004/006/007/008/013/014/015`).
//! - P7B ([`encode_p7b`], [`decode_p7b`]) and MOSIP's URL-safe base64.
//! - How keymanager reads an upload's `certificateData` and which code each bad shape gets
//!   ([`read_ca_upload`], [`read_partner_upload`]).
//!
//! Everything takes `now` explicitly so that rules are reproducible. Sources:
//! mosip-contracts.md §2.2 ("Trust validation and re-signing") and mosip-pms.md §5, §10
//! (keymanager v1.2.0.1 `PartnerCertificateManagerServiceImpl`, `PartnerCertificateManagerUtil`).

mod chain;
mod error;
mod p7b;
mod parse;
mod pem;
mod rules;
mod upload;

pub use chain::{CaKind, TrustStore, MAX_PATH_LENGTH};
pub use error::{CertificateError, CertificateRuleViolation};
pub use p7b::{
    decode_p7b, decode_p7b_base64, encode_p7b, from_url_safe_base64, p7b_leaf, to_url_safe_base64,
    P7bError,
};
pub use parse::{java_signature_algorithm_name, Certificate};
pub use pem::{der_to_pem, mime_base64, parse_pem_bundle, PEM_LINE_WIDTH};
pub use rules::{
    check_key_size, check_not_self_signed, check_organization, check_partner_certificate,
    check_remaining_validity, check_signature_algorithm, check_validity, check_version,
    signature_algorithm_allowed, ISSUER_CERTIFICATE_DURATION_YEARS, ISSUER_CERTIFICATE_GRACE_DAYS,
    MIN_PARTNER_REMAINING_VALIDITY_DAYS, MIN_RSA_KEY_BITS, SIGNATURE_ALGORITHM_PREFIX,
};
pub use upload::{read_ca_upload, read_partner_upload};

//! How keymanager 1.2.0.1 reads the `certificateData` of an upload, and which code each
//! shape of bad input gets (PMS passes keymanager's code and message through unchanged).
//!
//! | input | CA upload ([`read_ca_upload`]) | partner upload ([`read_partner_upload`]) |
//! |---|---|---|
//! | a PEM certificate | read | read |
//! | PEM with a body that is no certificate | `KER-CRY-003` | `KER-KMS-013` |
//! | `-----BEGIN` without its `-----END` | `KER-CRY-003` | `KER-KMS-013` "...-----END CERTIFICATE not found" |
//! | not PEM, not URL-safe base64 (spaces, newlines, `+`, `/`: a PEM body without armour) | `KER-CRY-003` | `KER-KMS-013` |
//! | URL-safe base64 of a P7B or DER certificate | read | `KER-KMS-013` |
//! | URL-safe base64 of anything else | `KER-PCM-001` | `KER-KMS-013` |
//!
//! Sources: keymanager v1.2.0.1 `PartnerCertificateManagerServiceImpl#parseCertificateData`
//! (PEM, else strict URL-safe base64 through `CryptoUtil.decodeURLSafeBase64`, whose
//! `IllegalArgumentException` its handler answers `KER-CRY-003`) and
//! `KeymanagerUtil#convertToCertificate` (Bouncy Castle's PEM reader: anything else is
//! `KER-KMS-013` "Certificate Parsing Error."). One shape is simplified: PEM armour around
//! characters outside base64 makes keymanager fail with HTTP 500 (`KER-KMS-500`, which PMS
//! answers `PMS_KKS_001`); here it is the `KER-CRY-003` of any other broken PEM, a permanent
//! error rather than one a caller would retry.

use super::{decode_p7b_base64, Certificate};
use crate::codes::{self, Code};

/// The certificates of a CA upload's `certificateData` (one, or a P7B's), or the code
/// keymanager answers (`KER-CRY-003`, `KER-PCM-001`) with its catalogue message.
///
/// # Errors
/// The [`Code`] of the table above.
pub fn read_ca_upload(data: &str) -> Result<Vec<Certificate>, Code> {
    if data.contains("-----BEGIN ") {
        if let Ok(cert) = Certificate::from_pem(data) {
            return Ok(vec![cert]);
        }
    }
    let url_safe = !data.is_empty()
        && data.len() % 4 != 1
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='));
    if !url_safe {
        return Err(codes::KER_CRY_003);
    }
    decode_p7b_base64(data)
        .ok()
        .or_else(|| Certificate::parse_any(data).ok().map(|c| vec![c]))
        .ok_or(codes::KER_PCM_001)
}

/// The certificate of a partner upload's `certificateData` (PEM only), or the message of
/// keymanager's `KER-KMS-013`: "Certificate Parsing Error.", with "-----END CERTIFICATE not
/// found" appended when the armour has no end.
///
/// # Errors
/// The `KER-KMS-013` message.
pub fn read_partner_upload(data: &str) -> Result<Certificate, String> {
    let parsing = codes::KER_KMS_013.message;
    if !data.contains("-----BEGIN ") {
        return Err(parsing.to_owned());
    }
    if !data.contains("-----END ") {
        return Err(format!("{parsing}-----END CERTIFICATE not found"));
    }
    Certificate::from_pem(data).map_err(|_| parsing.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["ca.example".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn each_shape_gets_keymanager_s_code() {
        let pem = pem();
        assert_eq!(read_ca_upload(&pem).unwrap().len(), 1);
        assert!(read_partner_upload(&pem).is_ok());
        let bare: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(read_ca_upload(&bare).unwrap_err(), codes::KER_CRY_003);
        assert_eq!(
            read_ca_upload("invalid cert").unwrap_err(),
            codes::KER_CRY_003
        );
        assert_eq!(
            read_ca_upload("bm90IGEgY2VydGlmaWNhdGU").unwrap_err(),
            codes::KER_PCM_001
        );
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(read_ca_upload(broken).unwrap_err(), codes::KER_CRY_003);
        assert_eq!(
            read_partner_upload(&bare).unwrap_err(),
            "Certificate Parsing Error."
        );
        assert_eq!(
            read_partner_upload(broken).unwrap_err(),
            "Certificate Parsing Error."
        );
        let endless = pem.replace("-----END CERTIFICATE-----", "");
        assert_eq!(
            read_partner_upload(&endless).unwrap_err(),
            "Certificate Parsing Error.-----END CERTIFICATE not found"
        );
    }
}

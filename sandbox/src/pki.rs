//! The sandbox's own MOSIP PKI: a self-signed `MOSIP ROOT` and the `PMS` signing certificate
//! it issues, both RSA-2048 / SHA256withRSA, generated per sandbox; and keymanager's
//! re-signing of partner certificates with the PMS key (mosip-contracts.md §2.2 "Re-sign",
//! mosip-pms.md §10, keymanager `CertificateUtility.generateX509Certificate`).

use pmsflow_core::certificate::Certificate;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber, SubjectPublicKeyInfo, PKCS_RSA_SHA256,
};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use time::{Duration, OffsetDateTime};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::{FromDer, X509Certificate};

/// RSA modulus of the sandbox's root and PMS keys, in bits (MOSIP's default key size).
const RSA_BITS: usize = 2048;
/// Validity of the generated root, in days (about 5 years).
const ROOT_VALIDITY_DAYS: i64 = 1826;
/// Validity of the generated PMS certificate, in days (about 3 years).
const PMS_VALIDITY_DAYS: i64 = 1095;
/// Validity of a re-signed partner certificate: now → now + 365 days
/// (`mosip.kernel.partner.issuer.certificate.duration.years` = 1).
pub(crate) const RESIGNED_VALIDITY_DAYS: i64 = 365;

/// Why a partner certificate could not be re-signed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResignError {
    /// The certificate bytes did not re-parse (cannot happen for a parsed [`Certificate`]).
    #[error("partner certificate does not parse: {0}")]
    Parse(String),
    /// rcgen cannot represent the subject or the public key, or signing failed.
    #[error("re-signing failed: {0}")]
    Rcgen(#[from] rcgen::Error),
}

/// The sandbox's MOSIP root and PMS signing certificate, with the PMS key.
pub(crate) struct MosipCa {
    root: Certificate,
    pms: Certificate,
    pms_issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for MosipCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MosipCa")
            .field("root", &self.root)
            .field("pms", &self.pms)
            .finish_non_exhaustive()
    }
}

/// A fresh RSA key usable by rcgen for SHA256withRSA. ring (rcgen's backend here) cannot
/// generate RSA keys, so the `rsa` crate generates it and rcgen loads it from PKCS#8.
fn rsa_key_pair() -> anyhow::Result<KeyPair> {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)?;
    let pem = key.to_pkcs8_pem(LineEnding::LF)?;
    Ok(KeyPair::from_pkcs8_pem_and_sign_algo(
        &pem,
        &PKCS_RSA_SHA256,
    )?)
}

/// MOSIP's default certificate DN parts (`mosip.kernel.keymanager.certificate.default.*`)
/// with the given OU and CN.
fn mosip_dn(organizational_unit: &str, common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "IN");
    dn.push(DnType::StateOrProvinceName, "KA");
    dn.push(DnType::LocalityName, "BANGALORE");
    dn.push(DnType::OrganizationName, "IITB");
    dn.push(DnType::OrganizationalUnitName, organizational_unit);
    dn.push(DnType::CommonName, common_name);
    dn
}

/// 16 random bytes as a positive, non-zero serial number.
fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::from_slice(&bytes)
}

fn parse_generated(cert: &rcgen::Certificate) -> anyhow::Result<Certificate> {
    Ok(Certificate::from_der(cert.der())?)
}

impl MosipCa {
    /// Generates the root and PMS keys (in parallel: RSA generation is the slow part) and
    /// certificates, valid from one minute before `now`.
    pub(crate) fn generate(now: OffsetDateTime) -> anyhow::Result<MosipCa> {
        let (root_key, pms_key) = std::thread::scope(|scope| {
            let root = scope.spawn(rsa_key_pair);
            let pms = scope.spawn(rsa_key_pair);
            let join = |handle: std::thread::ScopedJoinHandle<'_, anyhow::Result<KeyPair>>| {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("RSA key generation panicked"))?
            };
            Ok::<_, anyhow::Error>((join(root)?, join(pms)?))
        })?;
        let not_before = now - Duration::minutes(1);

        let mut root_params = CertificateParams::default();
        root_params.distinguished_name = mosip_dn("MOSIP-TECH-CENTER (ROOT)", "MOSIP ROOT");
        root_params.serial_number = Some(random_serial());
        root_params.not_before = not_before;
        root_params.not_after = now + Duration::days(ROOT_VALIDITY_DAYS);
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        let root_cert = root_params.self_signed(&root_key)?;
        let root_issuer = Issuer::new(root_params, root_key);

        let mut pms_params = CertificateParams::default();
        pms_params.distinguished_name = mosip_dn("MOSIP-TECH-CENTER (PMS)", "PMS");
        pms_params.serial_number = Some(random_serial());
        pms_params.not_before = not_before;
        pms_params.not_after = now + Duration::days(PMS_VALIDITY_DAYS);
        pms_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        pms_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        pms_params.use_authority_key_identifier_extension = true;
        let pms_cert = pms_params.signed_by(&pms_key, &root_issuer)?;

        Ok(MosipCa {
            root: parse_generated(&root_cert)?,
            pms: parse_generated(&pms_cert)?,
            pms_issuer: Issuer::new(pms_params, pms_key),
        })
    }

    /// The self-signed `MOSIP ROOT` certificate.
    pub(crate) fn root(&self) -> &Certificate {
        &self.root
    }

    /// The `PMS` signing certificate (issued by the root).
    pub(crate) fn pms(&self) -> &Certificate {
        &self.pms
    }

    /// Re-signs a partner certificate as keymanager does: a new X.509 v3 certificate with the
    /// partner's subject (CN, OU, O, L, ST, C, in the original order and string types — the
    /// attributes keymanager copies) and the partner's public key, issued by the PMS
    /// certificate, random serial, valid `now` → `now + 365 days`, SHA256withRSA,
    /// keyUsage digitalSignature|keyCertSign (+keyEncipherment when `key_encipherment`, i.e.
    /// domain AUTH), basicConstraints CA:TRUE (keymanager marks the re-signed leaf as a CA).
    pub(crate) fn resign(
        &self,
        partner: &Certificate,
        key_encipherment: bool,
        now: OffsetDateTime,
    ) -> Result<Certificate, ResignError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = copied_subject(partner)?;
        params.serial_number = Some(random_serial());
        params.not_before = now;
        params.not_after = now + Duration::days(RESIGNED_VALIDITY_DAYS);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
        ];
        if key_encipherment {
            params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
        }
        params.use_authority_key_identifier_extension = true;
        let public_key = SubjectPublicKeyInfo::from_der(partner.public_key_der())?;
        let signed = params.signed_by(&public_key, &self.pms_issuer)?;
        Certificate::from_der(signed.der()).map_err(|e| ResignError::Parse(e.to_string()))
    }
}

/// The partner subject's CN, OU, O, L, ST and C attributes as an rcgen name, keeping order
/// and string types so that the DER of the copied name equals the original's when it has
/// only those attributes.
fn copied_subject(partner: &Certificate) -> Result<DistinguishedName, ResignError> {
    let (_, x509) =
        X509Certificate::from_der(partner.der()).map_err(|e| ResignError::Parse(e.to_string()))?;
    let mut dn = DistinguishedName::new();
    for attr in x509.subject().iter_attributes() {
        let dn_type = match attr.attr_type().to_id_string().as_str() {
            "2.5.4.3" => DnType::CommonName,
            "2.5.4.11" => DnType::OrganizationalUnitName,
            "2.5.4.10" => DnType::OrganizationName,
            "2.5.4.7" => DnType::LocalityName,
            "2.5.4.8" => DnType::StateOrProvinceName,
            "2.5.4.6" => DnType::CountryName,
            _ => continue,
        };
        let data = attr.attr_value().data;
        let text = || std::str::from_utf8(data).map_err(|e| ResignError::Parse(e.to_string()));
        let value = match attr.attr_value().tag() {
            Tag::PrintableString => DnValue::PrintableString(text()?.try_into()?),
            Tag::Ia5String => DnValue::Ia5String(text()?.try_into()?),
            Tag::T61String => DnValue::TeletexString(text()?.try_into()?),
            Tag::BmpString => {
                DnValue::BmpString(rcgen::string::BmpString::from_utf16be(data.to_vec())?)
            }
            Tag::UniversalString => DnValue::UniversalString(
                rcgen::string::UniversalString::from_utf32be(data.to_vec())?,
            ),
            _ => DnValue::Utf8String(text()?.to_owned()),
        };
        dn.push(dn_type, value);
    }
    Ok(dn)
}

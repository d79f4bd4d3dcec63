//! [`Certificate`]: an owned X.509 certificate with the facts MOSIP keymanager decides on.

use std::fmt;

use sha1::{Digest, Sha1};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use super::error::CertificateError;
use super::pem;

/// An X.509 certificate, owned: its DER bytes plus the facts keymanager's rules look at,
/// extracted once at parse time.
///
/// Built only by parsing ([`from_der`](Self::from_der), [`from_pem`](Self::from_pem),
/// [`parse_any`](Self::parse_any)), so the facts always describe the bytes. Two certificates
/// are equal when their DER bytes are equal. Serialises (serde) as its PEM text.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    subject_dn: String,
    issuer_dn: String,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    organization: Option<String>,
    version: u8,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    self_signed: bool,
    rsa_modulus_bits: Option<u32>,
    signature_algorithm: String,
    is_ca: bool,
    path_len_constraint: Option<u32>,
    key_cert_sign: Option<bool>,
    thumbprint: String,
    serial_hex: String,
    public_key_der: Vec<u8>,
}

/// OID of `rsaEncryption` (RFC 8017): keys whose modulus size keymanager checks.
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// OID of `id-RSASSA-PSS` used as a key algorithm: also an RSA key for Java.
const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";

impl Certificate {
    /// Parses one DER-encoded X.509 certificate.
    ///
    /// # Errors
    /// [`CertificateError::Empty`] for no bytes, [`CertificateError::Der`] when x509-parser
    /// rejects the bytes (or a critical structure such as a duplicated extension), and
    /// [`CertificateError::TrailingData`] when bytes follow the certificate. All are
    /// `KER-PCM-001` for MOSIP.
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertificateError> {
        if der.is_empty() {
            return Err(CertificateError::Empty);
        }
        let (rest, x509) =
            X509Certificate::from_der(der).map_err(|e| CertificateError::Der(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CertificateError::TrailingData(rest.len()));
        }
        let der = der.to_vec();

        let basic_constraints = x509
            .basic_constraints()
            .map_err(|e| CertificateError::Der(format!("basicConstraints: {e}")))?;
        let key_usage = x509
            .key_usage()
            .map_err(|e| CertificateError::Der(format!("keyUsage: {e}")))?;
        let subject_raw = x509.subject().as_raw().to_vec();
        let issuer_raw = x509.issuer().as_raw().to_vec();
        let subject_dn = rfc2253(x509.subject());
        let issuer_dn = rfc2253(x509.issuer());
        let self_signed = names_match(&subject_raw, &subject_dn, &issuer_raw, &issuer_dn)
            && x509.verify_signature(None).is_ok();
        let version = u8::try_from(x509.version().0.saturating_add(1)).unwrap_or(u8::MAX);

        Ok(Certificate {
            organization: organization(x509.subject()),
            version,
            not_before: x509.validity().not_before.to_datetime(),
            not_after: x509.validity().not_after.to_datetime(),
            self_signed,
            rsa_modulus_bits: rsa_modulus_bits(&x509),
            signature_algorithm: java_signature_algorithm_name(
                &x509.signature_algorithm.algorithm.to_id_string(),
            ),
            is_ca: basic_constraints.as_ref().is_some_and(|bc| bc.value.ca),
            path_len_constraint: basic_constraints.and_then(|bc| bc.value.path_len_constraint),
            key_cert_sign: key_usage.map(|ku| ku.value.key_cert_sign()),
            thumbprint: hex::encode(Sha1::digest(&der)),
            serial_hex: hex::encode(x509.raw_serial()),
            public_key_der: x509.public_key().raw.to_vec(),
            subject_dn,
            issuer_dn,
            subject_raw,
            issuer_raw,
            der,
        })
    }

    /// Parses a PEM certificate. Accepts surrounding whitespace or text, `\r\n` line ends,
    /// JSON-escaped `\n` sequences, `CERTIFICATE` or `X509 CERTIFICATE` labels, and also bare
    /// standard-alphabet base64 DER without armour. With several PEM blocks, the first one is
    /// taken (as Java's `CertificateFactory.generateCertificate` does).
    ///
    /// # Errors
    /// Any [`CertificateError`] (all `KER-PCM-001`).
    pub fn from_pem(text: &str) -> Result<Certificate, CertificateError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(CertificateError::Empty);
        }
        if pem::looks_like_pem(trimmed) {
            let blocks = pem::certificate_blocks(trimmed)?;
            let first = blocks
                .first()
                .ok_or_else(|| CertificateError::Pem("no CERTIFICATE block".into()))?;
            return Certificate::from_der(first);
        }
        let der = pem::decode_standard_base64(trimmed).ok_or(CertificateError::Base64)?;
        Certificate::from_der(&der)
    }

    /// Parses a certificate given as PEM, or as base64 DER in either alphabet (standard or
    /// URL-safe, padding optional), which is how MOSIP passes certificates around in JSON.
    ///
    /// # Errors
    /// Any [`CertificateError`] (all `KER-PCM-001`).
    pub fn parse_any(text: &str) -> Result<Certificate, CertificateError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(CertificateError::Empty);
        }
        if pem::looks_like_pem(trimmed) {
            return Certificate::from_pem(trimmed);
        }
        let der = pem::decode_any_base64(trimmed).ok_or(CertificateError::Base64)?;
        Certificate::from_der(&der)
    }

    /// The certificate as PEM in MOSIP's layout: `-----BEGIN CERTIFICATE-----\n`, standard
    /// base64 in 64-column lines ended by `\n`, `-----END CERTIFICATE-----\n`.
    pub fn to_pem(&self) -> String {
        pem::der_to_pem(&self.der)
    }

    /// True when `issuer`'s public key verifies this certificate's signature and the issuer
    /// DN of `self` names `issuer`'s subject (raw DER equality, or the same RFC 2253 string
    /// compared case-insensitively with whitespace collapsed, like Java's `X500Principal`).
    ///
    /// Signature algorithms are those x509-parser's `verify` feature supports through ring:
    /// RSA PKCS#1 (SHA-1 for legacy, SHA-256/384/512 with 2048..8192-bit keys), RSA-PSS,
    /// ECDSA P-256/P-384 and Ed25519. Anything else verifies as `false`.
    pub fn verify_issued_by(&self, issuer: &Certificate) -> bool {
        if !names_match(
            &self.issuer_raw,
            &self.issuer_dn,
            &issuer.subject_raw,
            &issuer.subject_dn,
        ) {
            return false;
        }
        self.signature_verifies_with(issuer)
    }

    /// Signature check alone (no name check), with `issuer`'s public key.
    pub(crate) fn signature_verifies_with(&self, issuer: &Certificate) -> bool {
        let (Ok((_, subject)), Ok((_, issuer))) = (
            X509Certificate::from_der(&self.der),
            X509Certificate::from_der(&issuer.der),
        ) else {
            return false;
        };
        subject.verify_signature(Some(issuer.public_key())).is_ok()
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Subject DN in RFC 2253 form as Java's `X500Principal.getName()` prints it and
    /// keymanager stores it (`issuedTo`): most specific RDN first, comma-separated without
    /// spaces, e.g. `CN=movp,OU=movp,O=movp,L=BLR,ST=KAR,C=IN`.
    pub fn subject_dn(&self) -> &str {
        &self.subject_dn
    }

    /// Issuer DN, same form as [`subject_dn`](Self::subject_dn).
    pub fn issuer_dn(&self) -> &str {
        &self.issuer_dn
    }

    /// DER encoding of the subject `Name`.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_raw
    }

    /// DER encoding of the issuer `Name`.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_raw
    }

    /// The subject's organisation (`O=`), unescaped. With several `O` attributes, the first
    /// in RFC 2253 order (what keymanager's `getCertificateOrgName` finds first).
    pub fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }

    /// X.509 version: 1, 2 or 3.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Start of the validity period (UTC).
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of the validity period (UTC), inclusive as in Java's `checkValidity`.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// True when subject equals issuer *and* the certificate's signature verifies with its
    /// own public key (keymanager's `isSelfSignedCertificate`).
    pub fn is_self_signed(&self) -> bool {
        self.self_signed
    }

    /// Bit length of the RSA modulus (Java `RSAPublicKey.getModulus().bitLength()`), or
    /// `None` for a non-RSA key.
    pub fn rsa_modulus_bits(&self) -> Option<u32> {
        self.rsa_modulus_bits
    }

    /// Java-style signature algorithm name (`X509Certificate.getSigAlgName()`), e.g.
    /// `SHA256withRSA`, `SHA384withECDSA`, `RSASSA-PSS`; the dotted OID when unknown.
    pub fn signature_algorithm(&self) -> &str {
        &self.signature_algorithm
    }

    /// True when basicConstraints says `CA:TRUE`; `false` when it says `CA:FALSE` or is absent.
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// basicConstraints `pathLenConstraint`, when present.
    pub fn path_len_constraint(&self) -> Option<u32> {
        self.path_len_constraint
    }

    /// `Some(keyCertSign bit)` when the keyUsage extension is present, `None` otherwise.
    pub fn key_cert_sign(&self) -> Option<bool> {
        self.key_cert_sign
    }

    /// Lower-case hex SHA-1 of the DER encoding (keymanager's `certThumbprint`), 40 characters.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Serial number as lower-case hex of its DER integer bytes.
    pub fn serial_hex(&self) -> &str {
        &self.serial_hex
    }

    /// DER encoding of the `SubjectPublicKeyInfo` (algorithm + key).
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    /// True when `at` lies within `[not_before, not_after]`.
    pub fn is_valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject_dn)
            .field("issuer", &self.issuer_dn)
            .field("thumbprint", &self.thumbprint)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl serde::Serialize for Certificate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_pem())
    }
}

impl<'de> serde::Deserialize<'de> for Certificate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Certificate::parse_any(&text).map_err(serde::de::Error::custom)
    }
}

/// Whether two names are the same: raw DER equality, or equal RFC 2253 strings after
/// lower-casing and collapsing whitespace (an approximation of `X500Principal.equals`, which
/// compares canonical forms so that PrintableString vs UTF8String encodings still match).
fn names_match(raw_a: &[u8], dn_a: &str, raw_b: &[u8], dn_b: &str) -> bool {
    raw_a == raw_b || canonical_dn(dn_a) == canonical_dn(dn_b)
}

fn canonical_dn(dn: &str) -> String {
    dn.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// RFC 2253 keyword for an attribute type OID, as Java's `X500Principal.RFC2253` uses.
fn attribute_keyword(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// The attribute value as text: the string types x509-parser knows, BMPString (UTF-16BE),
/// or `#` + hex of the content for anything else (RFC 2253 §2.4 style).
fn attribute_value(attr: &AttributeTypeAndValue<'_>) -> String {
    if let Ok(text) = attr.as_str() {
        return text.to_owned();
    }
    let data = attr.as_slice();
    let pairs = data.chunks_exact(2);
    if attr.attr_value().tag() == x509_parser::der_parser::asn1_rs::Tag::BmpString
        && pairs.remainder().is_empty()
    {
        let units: Vec<u16> = pairs
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        if let Ok(text) = String::from_utf16(&units) {
            return text;
        }
    }
    format!("#{}", hex::encode(data))
}

/// RFC 2253 escaping of an attribute value (`,+"\<>;`, a leading `#` or space, a trailing
/// space).
fn escape_rfc2253(value: &str) -> String {
    if value.starts_with('#')
        && value.len() > 1
        && value[1..].chars().all(|c| c.is_ascii_hexdigit())
    {
        // Already a hex-encoded value produced by `attribute_value`.
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let needs_escape = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if needs_escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Formats a name in RFC 2253 order (last RDN of the encoding first), multi-valued RDNs
/// joined with `+`.
fn rfc2253(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|attr| {
                    let oid = attr.attr_type().to_id_string();
                    let keyword = attribute_keyword(&oid).map_or(oid.clone(), str::to_owned);
                    format!("{keyword}={}", escape_rfc2253(&attribute_value(attr)))
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// The first `O=` value in RFC 2253 order (the last in DER order).
fn organization(name: &X509Name<'_>) -> Option<String> {
    name.iter_organization().last().map(attribute_value)
}

fn rsa_modulus_bits(x509: &X509Certificate<'_>) -> Option<u32> {
    let spki = x509.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    if oid != OID_RSA_ENCRYPTION && oid != OID_RSASSA_PSS {
        return None;
    }
    let modulus = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => rsa.modulus,
        // RSA-PSS keys carry the same RSAPublicKey structure; x509-parser only parses it for
        // rsaEncryption, so read it directly.
        _ => {
            let data = &spki.subject_public_key.data;
            let (_, key) = x509_parser::public_key::RSAPublicKey::from_der(data).ok()?;
            key.modulus
        }
    };
    Some(bit_length(modulus))
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
fn bit_length(bytes: &[u8]) -> u32 {
    let Some(first_non_zero) = bytes.iter().position(|b| *b != 0) else {
        return 0;
    };
    let significant = &bytes[first_non_zero..];
    let leading_bits = 8 - significant[0].leading_zeros();
    let whole_bytes = u32::try_from(significant.len() - 1).unwrap_or(u32::MAX / 8);
    whole_bytes.saturating_mul(8).saturating_add(leading_bits)
}

/// Java's signature algorithm name for an OID (`sun.security.x509.AlgorithmId` names, as
/// `X509Certificate.getSigAlgName()` returns them); the dotted OID itself when unknown, as
/// Java does.
pub fn java_signature_algorithm_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.1.1.2" => "MD2withRSA",
        "1.2.840.113549.1.1.4" => "MD5withRSA",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA1withRSA",
        "1.2.840.113549.1.1.14" => "SHA224withRSA",
        "1.2.840.113549.1.1.11" => "SHA256withRSA",
        "1.2.840.113549.1.1.12" => "SHA384withRSA",
        "1.2.840.113549.1.1.13" => "SHA512withRSA",
        "1.2.840.113549.1.1.15" => "SHA512/224withRSA",
        "1.2.840.113549.1.1.16" => "SHA512/256withRSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "SHA1withECDSA",
        "1.2.840.10045.4.3.1" => "SHA224withECDSA",
        "1.2.840.10045.4.3.2" => "SHA256withECDSA",
        "1.2.840.10045.4.3.3" => "SHA384withECDSA",
        "1.2.840.10045.4.3.4" => "SHA512withECDSA",
        "1.2.840.10040.4.3" => "SHA1withDSA",
        "2.16.840.1.101.3.4.3.1" => "SHA224withDSA",
        "2.16.840.1.101.3.4.3.2" => "SHA256withDSA",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return other.to_owned(),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_ignores_leading_zero_bytes() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        let mut modulus = vec![0u8; 257];
        modulus[1] = 0xc3;
        assert_eq!(bit_length(&modulus), 2048);
    }

    #[test]
    fn java_names_for_known_and_unknown_oids() {
        assert_eq!(
            java_signature_algorithm_name("1.2.840.113549.1.1.11"),
            "SHA256withRSA"
        );
        assert_eq!(
            java_signature_algorithm_name("1.2.840.113549.1.1.5"),
            "SHA1withRSA"
        );
        assert_eq!(
            java_signature_algorithm_name("1.2.840.10045.4.3.2"),
            "SHA256withECDSA"
        );
        assert_eq!(java_signature_algorithm_name("1.2.3.4"), "1.2.3.4");
    }

    #[test]
    fn rfc2253_escaping() {
        assert_eq!(escape_rfc2253("ACME, Inc."), "ACME\\, Inc.");
        assert_eq!(escape_rfc2253(" lead"), "\\ lead");
        assert_eq!(escape_rfc2253("trail "), "trail\\ ");
        assert_eq!(escape_rfc2253("#hash"), "\\#hash");
        assert_eq!(escape_rfc2253("#0c03"), "#0c03");
        assert_eq!(escape_rfc2253("plain"), "plain");
    }

    #[test]
    fn empty_and_garbage_inputs_are_kerpcm001() {
        for err in [
            Certificate::from_der(&[]).unwrap_err(),
            Certificate::from_der(&[0x30, 0x03, 0x02, 0x01, 0x01]).unwrap_err(),
            Certificate::from_pem("  \r\n ").unwrap_err(),
            Certificate::from_pem("!!!").unwrap_err(),
            Certificate::parse_any("-----BEGIN CERTIFICATE-----\n").unwrap_err(),
        ] {
            assert_eq!(err.code(), "KER-PCM-001");
            assert_eq!(err.message(), "Invalid Certificate uploaded.");
        }
    }
}

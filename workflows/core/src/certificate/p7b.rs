//! PKCS#7 / CMS "certs-only" bundles (P7B): a degenerate `SignedData` with no signers whose
//! `certificates` field carries a chain. Keymanager returns the re-signed chain this way
//! (`signedCertificateData`, URL-safe base64 without padding) and PMS publishes it through
//! datashare (mosip-contracts.md §2.2.2, §2.3).
//!
//! **Order matters and is preserved.** PMS takes `certificate[0]` as the leaf, and keymanager
//! reverses the list to upload the root first. DER would sort a `SET OF`, and the `cms`
//! crate's `CertificateSet` (a `der::SetOfVec`) sorts on both encode and decode, which would
//! scramble the chain. So [`encode_p7b`] writes the certificates in the given order (as
//! BouncyCastle, Java's `sun.security.pkcs7` and OpenSSL do) and [`decode_p7b`] reads them in
//! stored order with a small BER reader. The reader also accepts BER indefinite lengths,
//! which is what BouncyCastle-based keymanager emits (`MIAGCSqGSIb3DQEHAqCAMIAC…`). The `cms`
//! crate is used by the tests to check that what we write is a well-formed `SignedData`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use der::asn1::ObjectIdentifier;

use super::error::CertificateError;
use super::parse::Certificate;
use super::pem;

/// `id-signedData` (RFC 5652 §5.1).
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-data` (RFC 5652 §4): the empty encapsulated content of a certs-only message.
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");

const TAG_INTEGER: u8 = 0x02;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
/// `[0]` constructed: ContentInfo's explicit content, and SignedData's implicit certificates.
const TAG_CONTEXT_0: u8 = 0xa0;

/// Deepest BER nesting the reader follows before giving up (P7B needs 5 levels to reach a
/// certificate; certificates themselves are taken as raw bytes).
const MAX_BER_DEPTH: usize = 32;

/// Why a P7B could not be read, with the PMS error code it maps to
/// (`PartnerServiceImpl.uploadPartnerCertificate`, mosip-pms.md §5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum P7bError {
    /// The text was not base64 in either alphabet (`PMS_PRT_045`).
    #[error("P7B data is not base64")]
    Base64,
    /// The bytes are not a CMS `ContentInfo` holding `SignedData` (`PMS_PRT_045`).
    #[error("malformed P7B: {0}")]
    Malformed(String),
    /// The bundle holds no X.509 certificate, so there is no leaf (`PMS_PRT_046`).
    #[error("P7B holds no certificate")]
    NoCertificates,
    /// A certificate inside the bundle did not parse (`PMS_PRT_046`).
    #[error("certificate #{index} in the P7B is invalid: {source}")]
    InvalidCertificate {
        /// Zero-based position of the certificate in the bundle.
        index: usize,
        /// Why it did not parse.
        source: CertificateError,
    },
}

impl P7bError {
    /// `PMS_PRT_045` for structural failures, `PMS_PRT_046` for failures to get a
    /// certificate out of a well-formed bundle.
    pub fn code(&self) -> &'static str {
        match self {
            P7bError::Base64 | P7bError::Malformed(_) => "PMS_PRT_045",
            P7bError::NoCertificates | P7bError::InvalidCertificate { .. } => "PMS_PRT_046",
        }
    }

    /// The verbatim PMS message for [`code`](Self::code).
    pub fn message(&self) -> &'static str {
        match self.code() {
            "PMS_PRT_045" => "Error occured while parsing P7B certificate data",
            _ => "Error occured while extracting the leaf cert.",
        }
    }
}

/// URL-safe base64 without padding, as keymanager encodes `signedCertificateData`.
pub fn to_url_safe_base64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes MOSIP base64: URL-safe or standard alphabet, with or without padding, whitespace
/// and JSON-escaped newlines ignored.
///
/// # Errors
/// [`P7bError::Base64`] when the text is empty or not base64.
pub fn from_url_safe_base64(text: &str) -> Result<Vec<u8>, P7bError> {
    pem::decode_any_base64(text).ok_or(P7bError::Base64)
}

/// Encodes `certs`, in the given order, as a DER certs-only CMS `SignedData` wrapped in a
/// `ContentInfo`: version 1, no digest algorithms, `id-data` content absent, the
/// certificates as `[0] IMPLICIT`, no CRLs, no signers. Definite lengths throughout.
pub fn encode_p7b(certs: &[Certificate]) -> Vec<u8> {
    let certificates: Vec<u8> = certs.iter().flat_map(|c| c.der().iter().copied()).collect();
    let signed_data = tlv(
        TAG_SEQUENCE,
        &[
            tlv(TAG_INTEGER, &[1]),
            tlv(TAG_SET, &[]),
            tlv(TAG_SEQUENCE, &tlv(TAG_OID, ID_DATA.as_bytes())),
            tlv(TAG_CONTEXT_0, &certificates),
            tlv(TAG_SET, &[]),
        ]
        .concat(),
    );
    tlv(
        TAG_SEQUENCE,
        &[
            tlv(TAG_OID, ID_SIGNED_DATA.as_bytes()),
            tlv(TAG_CONTEXT_0, &signed_data),
        ]
        .concat(),
    )
}

/// Decodes a P7B (DER, or BER with indefinite lengths) and returns its certificates in
/// stored order. Non-X.509 certificate choices (attribute certificates, `other`) are skipped.
///
/// # Errors
/// [`P7bError::Malformed`] when the structure is not `ContentInfo{signedData, SignedData}`,
/// [`P7bError::NoCertificates`] when it holds none, and
/// [`P7bError::InvalidCertificate`] for the first certificate that does not parse.
pub fn decode_p7b(der: &[u8]) -> Result<Vec<Certificate>, P7bError> {
    let (content_info, rest) = read_element(der, 0)?;
    if !rest.is_empty() {
        return Err(malformed("trailing bytes after ContentInfo"));
    }
    let mut fields = children(&content_info, TAG_SEQUENCE, "ContentInfo")?.into_iter();
    let content_type = fields
        .next()
        .ok_or_else(|| malformed("ContentInfo has no contentType"))?;
    if content_type.tag != TAG_OID || content_type.content != ID_SIGNED_DATA.as_bytes() {
        return Err(malformed("contentType is not id-signedData"));
    }
    let explicit = fields
        .next()
        .ok_or_else(|| malformed("ContentInfo has no content"))?;
    let signed_data = children(&explicit, TAG_CONTEXT_0, "ContentInfo content")?
        .into_iter()
        .next()
        .ok_or_else(|| malformed("empty ContentInfo content"))?;

    let mut fields = children(&signed_data, TAG_SEQUENCE, "SignedData")?.into_iter();
    expect_tag(fields.next(), TAG_INTEGER, "SignedData.version")?;
    expect_tag(fields.next(), TAG_SET, "SignedData.digestAlgorithms")?;
    expect_tag(fields.next(), TAG_SEQUENCE, "SignedData.encapContentInfo")?;
    let certificates = match fields.next() {
        Some(element) if element.tag == TAG_CONTEXT_0 => {
            children(&element, TAG_CONTEXT_0, "SignedData.certificates")?
        }
        _ => Vec::new(),
    };

    let certs = certificates
        .iter()
        .filter(|choice| choice.tag == TAG_SEQUENCE)
        .enumerate()
        .map(|(index, choice)| {
            Certificate::from_der(choice.raw)
                .map_err(|source| P7bError::InvalidCertificate { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(P7bError::NoCertificates);
    }
    Ok(certs)
}

/// [`from_url_safe_base64`] then [`decode_p7b`]: reads keymanager's `signedCertificateData`.
///
/// # Errors
/// As for the two steps.
pub fn decode_p7b_base64(text: &str) -> Result<Vec<Certificate>, P7bError> {
    decode_p7b(&from_url_safe_base64(text)?)
}

/// The leaf of a P7B as PMS takes it: `certificate[0]`.
///
/// # Errors
/// As for [`decode_p7b`] (an empty bundle is [`P7bError::NoCertificates`], `PMS_PRT_046`).
pub fn p7b_leaf(der: &[u8]) -> Result<Certificate, P7bError> {
    decode_p7b(der)?
        .into_iter()
        .next()
        .ok_or(P7bError::NoCertificates)
}

fn malformed(what: &str) -> P7bError {
    P7bError::Malformed(what.to_owned())
}

fn expect_tag(element: Option<Element<'_>>, tag: u8, what: &str) -> Result<(), P7bError> {
    match element {
        Some(element) if element.tag == tag => Ok(()),
        _ => Err(P7bError::Malformed(format!("missing or wrong {what}"))),
    }
}

/// DER TLV with a single-byte tag and a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 10);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = &bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// One BER element: its identifier octet, content octets (for an indefinite length, those
/// between the header and the end-of-contents marker) and the whole raw encoding.
#[derive(Debug, Clone, Copy)]
struct Element<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

/// The children of a constructed element with identifier `tag`.
fn children<'a>(element: &Element<'a>, tag: u8, what: &str) -> Result<Vec<Element<'a>>, P7bError> {
    if element.tag != tag {
        return Err(P7bError::Malformed(format!(
            "{what}: expected tag {tag:#04x}, found {:#04x}",
            element.tag
        )));
    }
    let mut out = Vec::new();
    let mut rest = element.content;
    while !rest.is_empty() {
        let (child, after) = read_element(rest, 1)?;
        out.push(child);
        rest = after;
    }
    Ok(out)
}

/// Reads one BER element from the front of `input`, returning it and the remaining bytes.
/// Supports low and high tag numbers, short, long and indefinite lengths (the latter only for
/// constructed elements), nested at most [`MAX_BER_DEPTH`] deep.
fn read_element(input: &[u8], depth: usize) -> Result<(Element<'_>, &[u8]), P7bError> {
    if depth > MAX_BER_DEPTH {
        return Err(malformed("BER nesting too deep"));
    }
    let (&identifier, mut cursor) = input
        .split_first()
        .ok_or_else(|| malformed("unexpected end of data"))?;
    if identifier & 0x1f == 0x1f {
        // High tag number: base-128 continuation octets.
        loop {
            let (&octet, after) = cursor
                .split_first()
                .ok_or_else(|| malformed("truncated tag"))?;
            cursor = after;
            if octet & 0x80 == 0 {
                break;
            }
        }
    }
    let constructed = identifier & 0x20 != 0;
    let (&first_length, after_length) = cursor
        .split_first()
        .ok_or_else(|| malformed("truncated length"))?;
    cursor = after_length;

    if first_length == 0x80 {
        if !constructed {
            return Err(malformed("indefinite length on a primitive element"));
        }
        let body_start = cursor;
        let mut rest = cursor;
        loop {
            if rest.len() >= 2 && rest[0] == 0 && rest[1] == 0 {
                let content_len = body_start.len() - rest.len();
                let after = &rest[2..];
                let raw_len = input.len() - after.len();
                return Ok((
                    Element {
                        tag: identifier,
                        content: &body_start[..content_len],
                        raw: &input[..raw_len],
                    },
                    after,
                ));
            }
            if rest.is_empty() {
                return Err(malformed("missing end-of-contents"));
            }
            let (_, after_child) = read_element(rest, depth + 1)?;
            rest = after_child;
        }
    }

    let length = if first_length < 0x80 {
        usize::from(first_length)
    } else {
        let count = usize::from(first_length & 0x7f);
        if count == 0x7f || count > std::mem::size_of::<usize>() || count > cursor.len() {
            return Err(malformed("unsupported length"));
        }
        let (length_bytes, after) = cursor.split_at(count);
        cursor = after;
        length_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    if length > cursor.len() {
        return Err(malformed("length exceeds data"));
    }
    let (content, after) = cursor.split_at(length);
    let raw_len = input.len() - after.len();
    Ok((
        Element {
            tag: identifier,
            content,
            raw: &input[..raw_len],
        },
        after,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths() {
        assert_eq!(tlv(0x04, &[]), vec![0x04, 0x00]);
        assert_eq!(tlv(0x04, &[0; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[0; 0x1234])[..4], [0x04, 0x82, 0x12, 0x34]);
    }

    #[test]
    fn empty_bundle_is_no_certificates() {
        let der = encode_p7b(&[]);
        assert_eq!(decode_p7b(&der), Err(P7bError::NoCertificates));
        assert_eq!(P7bError::NoCertificates.code(), "PMS_PRT_046");
    }

    #[test]
    fn reads_indefinite_lengths() {
        // ContentInfo, [0] and SignedData with indefinite lengths, as BouncyCastle writes them.
        let mut ber = vec![0x30, 0x80];
        ber.extend(tlv(TAG_OID, ID_SIGNED_DATA.as_bytes()));
        ber.extend([0xa0, 0x80, 0x30, 0x80]);
        ber.extend(tlv(TAG_INTEGER, &[1]));
        ber.extend(tlv(TAG_SET, &[]));
        ber.extend(tlv(TAG_SEQUENCE, &tlv(TAG_OID, ID_DATA.as_bytes())));
        ber.extend([0xa0, 0x80, 0x00, 0x00]);
        ber.extend(tlv(TAG_SET, &[]));
        ber.extend([0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(decode_p7b(&ber), Err(P7bError::NoCertificates));
    }

    #[test]
    fn structural_errors_are_prt045() {
        for bytes in [
            &[][..],
            &[0x30, 0x00][..],
            &[0x30, 0x80][..],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..],
            &[0x04, 0x80, 0x00, 0x00][..],
        ] {
            let err = decode_p7b(bytes).unwrap_err();
            assert_eq!(err.code(), "PMS_PRT_045", "{bytes:?}: {err}");
            assert_eq!(
                err.message(),
                "Error occured while parsing P7B certificate data"
            );
        }
        assert_eq!(from_url_safe_base64("***"), Err(P7bError::Base64));
    }
}

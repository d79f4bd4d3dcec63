//! PEM armour and base64 as MOSIP writes and reads them.
//!
//! MOSIP's PEM writer (keymanager `KeymanagerUtil.getPEMFormatedData`, BouncyCastle
//! `JcaPEMWriter`) emits `-----BEGIN CERTIFICATE-----\n`, the DER in standard base64 wrapped
//! at 64 columns with `\n`, then `-----END CERTIFICATE-----\n`. On input MOSIP accepts
//! `\r\n`, surrounding whitespace and (in PMS's `.hbs` request templates) JSON-escaped
//! `\n` sequences; this module accepts all of those.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::error::CertificateError;
use super::parse::Certificate;

/// Standard-alphabet engine that accepts input with or without `=` padding and ignores
/// non-zero trailing bits (Java's `Base64.getMimeDecoder()` is just as lenient).
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Line width of MOSIP's PEM / MIME base64 output, in characters.
pub const PEM_LINE_WIDTH: usize = 64;

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";
/// PEM labels that carry a plain DER certificate.
const CERTIFICATE_LABELS: [&str; 2] = ["CERTIFICATE", "X509 CERTIFICATE"];

/// Removes whitespace and literal (JSON-escaped) `\n`, `\r`, `\t` sequences from base64 text.
/// A backslash is not in any base64 alphabet, so this cannot change a valid encoding.
fn compact(text: &str) -> String {
    text.replace("\\r", "")
        .replace("\\n", "")
        .replace("\\t", "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Decodes standard-alphabet base64 (padding optional, whitespace and escaped newlines
/// ignored). Returns `None` on any character outside the standard alphabet.
pub(crate) fn decode_standard_base64(text: &str) -> Option<Vec<u8>> {
    let compacted = compact(text);
    if compacted.is_empty() {
        return None;
    }
    LENIENT_STANDARD.decode(compacted.as_bytes()).ok()
}

/// Decodes base64 in either alphabet (standard `+/` or URL-safe `-_`), padding optional,
/// whitespace and escaped newlines ignored. Mixed alphabets are accepted, as they are
/// unambiguous. Returns `None` when the text is not base64.
pub(crate) fn decode_any_base64(text: &str) -> Option<Vec<u8>> {
    let translated: String = compact(text)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    if translated.is_empty() {
        return None;
    }
    LENIENT_STANDARD.decode(translated.as_bytes()).ok()
}

/// Encodes bytes as standard base64 wrapped at [`PEM_LINE_WIDTH`] columns, each line ended by
/// `\n` (Java `Base64.getMimeEncoder(64, "\n".getBytes())`, as PMS uses for the leaf PEM).
pub fn mime_base64(bytes: &[u8]) -> String {
    let encoded = LENIENT_STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / PEM_LINE_WIDTH + 1);
    // Base64 output is ASCII, so splitting on byte boundaries never splits a character.
    for line in encoded.as_bytes().chunks(PEM_LINE_WIDTH) {
        out.extend(line.iter().map(|b| char::from(*b)));
        out.push('\n');
    }
    out
}

/// Wraps DER bytes as a `CERTIFICATE` PEM block in MOSIP's layout (see the module docs).
pub fn der_to_pem(der: &[u8]) -> String {
    format!(
        "-----BEGIN CERTIFICATE-----\n{}-----END CERTIFICATE-----\n",
        mime_base64(der)
    )
}

/// One PEM block found in a text: its label and its (still encoded) body.
struct PemBlock<'a> {
    label: &'a str,
    body: &'a str,
}

/// Splits `text` into its PEM blocks, in order. Text outside blocks is ignored (as OpenSSL
/// and Java's `CertificateFactory` ignore it). A `BEGIN` without a matching `END` is an error.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock<'_>>, CertificateError> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let label_end = after_begin
            .find(DASHES)
            .ok_or_else(|| CertificateError::Pem("unterminated BEGIN line".into()))?;
        let label = after_begin[..label_end].trim();
        let body_and_rest = &after_begin[label_end + DASHES.len()..];
        let end_marker = format!("{END}{label}{DASHES}");
        let body_end = body_and_rest
            .find(&end_marker)
            .ok_or_else(|| CertificateError::Pem(format!("missing END {label} line")))?;
        blocks.push(PemBlock {
            label,
            body: &body_and_rest[..body_end],
        });
        rest = &body_and_rest[body_end + end_marker.len()..];
    }
    Ok(blocks)
}

/// Decodes every `CERTIFICATE` block of `text` to DER, in order.
pub(crate) fn certificate_blocks(text: &str) -> Result<Vec<Vec<u8>>, CertificateError> {
    pem_blocks(text)?
        .into_iter()
        .map(|block| {
            if !CERTIFICATE_LABELS.contains(&block.label) {
                return Err(CertificateError::Pem(format!(
                    "unexpected PEM block '{}'",
                    block.label
                )));
            }
            decode_standard_base64(block.body).ok_or(CertificateError::Base64)
        })
        .collect()
}

/// True when `text` contains PEM armour.
pub(crate) fn looks_like_pem(text: &str) -> bool {
    text.contains(BEGIN)
}

/// Parses every certificate of a PEM bundle (several `CERTIFICATE` blocks concatenated, any
/// whitespace or comments between them), in order.
///
/// # Errors
/// [`CertificateError::Empty`] when the text holds no certificate block; otherwise the first
/// block that fails to decode or parse (all map to `KER-PCM-001`).
pub fn parse_pem_bundle(text: &str) -> Result<Vec<Certificate>, CertificateError> {
    let blocks = certificate_blocks(text)?;
    if blocks.is_empty() {
        return Err(CertificateError::Empty);
    }
    blocks
        .iter()
        .map(|der| Certificate::from_der(der))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_lines_are_64_columns_with_lf() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        let text = mime_base64(&bytes);
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        assert!(lines[..lines.len() - 1]
            .iter()
            .all(|l| l.len() == PEM_LINE_WIDTH));
        assert!(!text.contains('\r'));
        assert!(text.ends_with('\n'));
        assert_eq!(decode_standard_base64(&text).as_deref(), Some(&bytes[..]));
    }

    #[test]
    fn any_base64_accepts_both_alphabets_and_padding() {
        let bytes = [0xfbu8, 0xff, 0xfe, 0x01];
        let standard = base64::engine::general_purpose::STANDARD.encode(bytes);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        assert!(standard.contains('+') || standard.contains('/'));
        assert_eq!(decode_any_base64(&standard).as_deref(), Some(&bytes[..]));
        assert_eq!(decode_any_base64(&url).as_deref(), Some(&bytes[..]));
        assert_eq!(decode_standard_base64(&url), None);
        assert_eq!(decode_any_base64("not base64!"), None);
        assert_eq!(decode_any_base64("   "), None);
    }

    #[test]
    fn pem_blocks_need_matching_end() {
        assert!(matches!(
            certificate_blocks("-----BEGIN CERTIFICATE-----\nAAAA\n"),
            Err(CertificateError::Pem(_))
        ));
        assert!(matches!(
            certificate_blocks("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(CertificateError::Pem(_))
        ));
        assert_eq!(certificate_blocks("no pem here"), Ok(vec![]));
        assert_eq!(
            parse_pem_bundle("no pem here"),
            Err(CertificateError::Empty)
        );
    }
}

//! The pure decisions of PMS's OIDC client registration with eSignet (mosip-pms.md §4.4 #40–#42,
//! §6.6; mosip-contracts.md §2.5), as PMS 1.2.0.1 makes them.
//!
//! Source: `mosip/partner-management-services` @ `v1.2.0.1` (= branch `release-1.2.0.1` for
//! these files):
//! - `partner/partner-management-service/src/main/java/io/mosip/pms/oidc/client/service/impl/ClientManagementServiceImpl.java`
//!   (`createOIDCClient`, `updateOIDCClient`, `getJWKString`, `getReqAttributeFromPolicyJson`,
//!   `callIdpService`, `makeUpdateIDPServiceCall`, `convertStringToList`);
//! - `partner/pms-common/src/main/java/io/mosip/pms/common/util/AuthenticationContextRefUtil.java`
//!   (`getPolicySupportedClaims`, `getAllClaims`, `getAuthFactors`);
//! - the DTOs `ClientDetailCreateRequest`, `ClientDetailUpdateRequest`, `CreateClientRequestDto`,
//!   `UpdateClientRequestDto`, `RequestWrapper` under `…/pms/oidc/client/dto/`;
//! - `…/pms/partner/constant/ErrorCode.java` (`PMS_IDP_*`, `PMS_COR_*`) and
//!   `…/pms/exception/PartnerServiceResponseExceptionHandler.java` (bean validation →
//!   `PMS_COR_001`).
//!
//! The flow the API and the job run with these pieces, in PMS's order:
//! 1. [`ClientDetailCreateRequest::validate`] (bean validation, `PMS_COR_001`);
//! 2. [`CanonicalJwk::parse`] on the `publicKey` and [`CanonicalJwk::client_id`] (the duplicate
//!    check `PMS_IDP_001` is a store lookup of that id);
//! 3. partner / policy / mapping checks (IO, not here);
//! 4. [`derive()`] the claims and ACRs from the auth policy, the two mapping files ([`Mappings`])
//!    and eSignet's `claims_supported`;
//! 5. [`create_body`] → eSignet `POST …/client-mgmt/oidc-client` in an [`EsignetRequest`].
//!
//! Update: [`ClientDetailUpdateRequest::validate`] then [`update_body`] with the stored claims
//! and ACRs (PMS 1.2.0.1 never recomputes them) → eSignet `PUT …/oidc-client/{clientId}`.

use std::fmt::Write as _;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::envelope::{check_size, invalid_parameter, mosip_datetime, ServiceError};

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a client cannot be created; [`code`](Self::code) and the `Display` text are PMS's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// `PMS_IDP_003`: an entry of the policy's `allowedAuthTypes` has `mandatory: true`
    /// (`ClientManagementServiceImpl#getReqAttributeFromPolicyJson`).
    #[error("Policy having mandatory auths. So client can't be created for the same.")]
    MandatoryAuth,
    /// `PMS_IDP_005`: no KYC attribute of the policy maps to a claim eSignet supports.
    #[error("Partner has no user claims")]
    NoClaims,
    /// `PMS_IDP_005` (same code, other message): no ACR is fully covered by the policy's auth
    /// types. "Refrences" is PMS's spelling.
    #[error("Partner has no Authentication Context Refrences")]
    NoAcrs,
    /// The `publicKey` is not a JWK jose4j's `new RsaJsonWebKey(map)` accepts. PMS 1.2.0.1 throws
    /// a bare `new Exception()`, which its generic handler answers as
    /// `{errorCode: null, message: null}`; pmsflow answers `PMS_COR_002` ("Invalid Input
    /// Parameter") with the reason jose4j / the JDK would give.
    #[error("Invalid Input Parameter - publicKey: {0}")]
    InvalidPublicKey(String),
    /// The stored auth policy does not have the shape the auth policy schema guarantees
    /// (`allowedKycAttributes[].attributeName` string, `allowedAuthTypes[].authType` string and
    /// `mandatory` boolean). PMS fails with a `NullPointerException` / `ClassCastException`
    /// (generic handler, no code); pmsflow answers `PMS_PRT_500`.
    #[error("Unable to process the request. Invalid auth policy: {0}")]
    InvalidPolicy(String),
    /// `PMS-MSD-393`: identity-mapping.json cannot be read (`FAILED_TO_FETCH_CLAIMS`).
    #[error("Failed to fetch claims from mapping file")]
    ClaimsMapping(String),
    /// `PMS-MSD-395`: amr-acr-mapping.json cannot be read (`FAILED_TO_FETCH_AMR`).
    #[error("Failed to fetch AMR's from mapping file")]
    AmrMapping(String),
}

impl OidcError {
    /// PMS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MandatoryAuth => "PMS_IDP_003",
            Self::NoClaims | Self::NoAcrs => "PMS_IDP_005",
            Self::InvalidPublicKey(_) => "PMS_COR_002",
            Self::InvalidPolicy(_) => "PMS_PRT_500",
            Self::ClaimsMapping(_) => "PMS-MSD-393",
            Self::AmrMapping(_) => "PMS-MSD-395",
        }
    }
}

impl From<OidcError> for ServiceError {
    fn from(e: OidcError) -> Self {
        ServiceError::new(e.code(), e.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Ordered JSON (Jackson's LinkedHashMap keeps member order; serde_json's Map here sorts)
// ---------------------------------------------------------------------------------------------

/// A JSON value whose objects keep their members in document order, as the `LinkedHashMap`s
/// Jackson builds for PMS's `Map<String, Object> publicKey`. A repeated member keeps its first
/// position and its last value (Jackson's `put`).
#[derive(Debug, Clone, PartialEq)]
pub enum JwkValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JwkValue>),
    /// An object, members in document order.
    Object(Jwk),
}

impl JwkValue {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// jose4j's `JsonHelp.jsonTypeName`, for error messages.
    fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "unknown",
            Self::Bool(_) => "Boolean",
            Self::Number(_) => "Number",
            Self::String(_) => "String",
            Self::Array(_) => "Array",
            Self::Object(_) => "Object",
        }
    }
}

/// A JSON object with its members in document order: the `publicKey` JWK of a create request,
/// and the canonical JWK PMS sends to eSignet ([`CanonicalJwk::jwk`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Jwk {
    members: Vec<(String, JwkValue)>,
}

impl Jwk {
    /// Parse a JSON object, keeping member order.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The members, in order.
    pub fn members(&self) -> &[(String, JwkValue)] {
        &self.members
    }

    /// The value of member `name`.
    pub fn get(&self, name: &str) -> Option<&JwkValue> {
        self.members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Whether member `name` is present (even as `null`): Java's `containsKey`.
    pub fn contains(&self, name: &str) -> bool {
        self.members.iter().any(|(k, _)| k == name)
    }

    /// No members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Set `name` to `value`: replaced in place if present, appended otherwise.
    pub fn insert(&mut self, name: impl Into<String>, value: JwkValue) {
        let name = name.into();
        match self.members.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.members.push((name, value)),
        }
    }
}

impl Serialize for JwkValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Number(n) => n.serialize(s),
            Self::String(v) => s.serialize_str(v),
            Self::Array(items) => items.serialize(s),
            Self::Object(o) => o.serialize(s),
        }
    }
}

impl Serialize for Jwk {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.members.len()))?;
        for (k, v) in &self.members {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = JwkValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<JwkValue, E> {
        Ok(JwkValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<JwkValue, E> {
        Ok(JwkValue::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<JwkValue, E> {
        Ok(JwkValue::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<JwkValue, E> {
        serde_json::Number::from_f64(v)
            .map(JwkValue::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<JwkValue, E> {
        Ok(JwkValue::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<JwkValue, E> {
        Ok(JwkValue::String(v))
    }
    fn visit_unit<E>(self) -> Result<JwkValue, E> {
        Ok(JwkValue::Null)
    }
    fn visit_none<E>(self) -> Result<JwkValue, E> {
        Ok(JwkValue::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<JwkValue, D::Error> {
        JwkValue::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<JwkValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JwkValue::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JwkValue, A::Error> {
        let mut obj = Jwk::default();
        while let Some((k, v)) = map.next_entry::<String, JwkValue>()? {
            obj.insert(k, v);
        }
        Ok(JwkValue::Object(obj))
    }
}

impl<'de> Deserialize<'de> for JwkValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for Jwk {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match JwkValue::deserialize(d)? {
            JwkValue::Object(o) => Ok(o),
            other => Err(serde::de::Error::custom(format!(
                "expected a JSON object, found {}",
                other.type_name()
            ))),
        }
    }
}

/// `Vec<(key, value)>` from a JSON object, in document order (Jackson's `LinkedHashMap`); a
/// repeated key keeps its first position and its last value.
fn ordered_map<'de, D, V>(d: D) -> Result<Vec<(String, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct V2<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for V2<V> {
        type Value = Vec<(String, V)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out: Vec<(String, V)> = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, V>()? {
                match out.iter_mut().find(|(x, _)| *x == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(V2(std::marker::PhantomData))
}

// ---------------------------------------------------------------------------------------------
// clientId: jose4j's RsaJsonWebKey(map).toJson(), SHA-256, base64url without padding
// ---------------------------------------------------------------------------------------------

/// The `publicKey` JWK as PMS 1.2.0.1 re-serialises it before hashing and storing it:
/// `new org.jose4j.jwk.RsaJsonWebKey(map).toJson()` (`ClientManagementServiceImpl#getJWKString`).
///
/// The JSON is compact (no spaces), with the members in this order (jose4j
/// `JsonWebKey#toParams`, `PublicJsonWebKey#fillTypeSpecificParams`,
/// `RsaJsonWebKey#fillPublicTypeSpecificParams`):
/// 1. `"kty":"RSA"` — always, whatever the request's `kty` was (even absent or `"EC"`: jose4j's
///    `RsaJsonWebKey` constructor does not look at it);
/// 2. `kid`, `use`, `key_ops`, `alg` when present and not null (`kid`/`use`/`alg` must be
///    strings);
/// 3. `n`, `e`: re-encoded from their big-integer values as base64url without padding, minimal
///    big-endian magnitude (leading zero bytes dropped; padding, `+`/`/` and characters outside
///    the alphabet accepted on input, as jose4j's lenient commons-codec decoder does);
/// 4. `x5c` (each certificate re-encoded as standard base64 of its DER), `x5t`, `x5t#S256`,
///    `x5u` when present;
/// 5. every other member, in request order, values unchanged. The private members `d`, `p`,
///    `q`, `dp`, `dq`, `qi` are dropped (`toJson()` = `INCLUDE_SYMMETRIC`, which writes no
///    RSA private part).
///
/// Strings are escaped as jose4j's internal json-simple does: `"` `\` `\b` `\f` `\n` `\r` `\t`,
/// and `\uXXXX` (upper-case hex) for U+0000–U+001F, U+007F–U+009F and U+2000–U+20FF; `/` is
/// not escaped. Numbers print as Java's `toString` (`1`, `1.5`, `1.0E7`).
///
/// Refused as `new RsaJsonWebKey(map)` refuses ([`OidcError::InvalidPublicKey`]): `n` or `e`
/// missing or not a string; `kid`/`use`/`alg`/`x5t`/`x5t#S256`/`x5u` not a string; `key_ops` /
/// `x5c` not an array; an `x5c` entry that is not an X.509 certificate, or whose first
/// certificate's key is not this RSA key; `d` (or, with `p`, any CRT member) not a string; and
/// the JDK's `RSAPublicKeyImpl` checks: modulus of 512 to 16384 bits (bit length rounded up to
/// a byte), exponent of at most 64 bits above 3072 bits, `3 <= e < n`.
///
/// Checked against jose4j 0.5.5 compiled from source (the MOSIP 1.2.0.1 jar pins a later
/// 0.x whose `toParams` order is the same).
#[derive(Debug, Clone, PartialEq)]
pub struct CanonicalJwk {
    json: String,
    jwk: Jwk,
}

impl CanonicalJwk {
    /// Canonicalise a request's `publicKey` (see the type's doc for the rules and errors).
    pub fn parse(jwk: &Jwk) -> Result<Self, OidcError> {
        canonicalise(jwk)
    }

    /// The canonical JSON text PMS hashes and stores in `oidc_client.public_key` (and returns
    /// as `publicKey` from `GET /oidc/client/{id}`).
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// The canonical members, the `publicKey` object PMS sends to eSignet (it re-reads
    /// [`as_json`](Self::as_json) with Jackson into a `LinkedHashMap`).
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The OIDC `clientId` PMS 1.2.0.1 gives this key:
    /// `CryptoUtil.encodeToURLSafeBase64(HMACUtils2.generateHash(publicKey.getBytes()))`
    /// (`ClientManagementServiceImpl#createOIDCClient`, first two lines) = base64url **without
    /// padding** of SHA-256 over the bytes of [`as_json`](Self::as_json) (43 characters).
    /// `getBytes()` uses the JVM's default charset: the same bytes for any ASCII JWK; pmsflow
    /// hashes UTF-8.
    ///
    /// Later PMS (1.2.2.x, develop) hash the standard base64 of the key's SubjectPublicKeyInfo
    /// DER instead (mosip-contracts.md §2.5); ids made by 1.2.0.1 differ from those.
    pub fn client_id(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(self.json.as_bytes()))
    }
}

/// [`CanonicalJwk::parse`] then [`CanonicalJwk::client_id`].
pub fn client_id(jwk: &Jwk) -> Result<String, OidcError> {
    Ok(CanonicalJwk::parse(jwk)?.client_id())
}

fn bad_key(msg: impl Into<String>) -> OidcError {
    OidcError::InvalidPublicKey(msg.into())
}

/// jose4j `JsonHelp.getStringChecked`: absent or null → `None`; a non-string → error.
fn optional_string(jwk: &Jwk, name: &str) -> Result<Option<String>, OidcError> {
    match jwk.get(name) {
        None | Some(JwkValue::Null) => Ok(None),
        Some(JwkValue::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(bad_key(format!(
            "'{name}' parameter was {} type but is required to be a String.",
            other.type_name()
        ))),
    }
}

fn required_string(jwk: &Jwk, name: &str) -> Result<String, OidcError> {
    optional_string(jwk, name)?
        .ok_or_else(|| bad_key(format!("Missing required '{name}' parameter.")))
}

/// jose4j's base64 decoding (a commons-codec port): both alphabets, stops at `=`, ignores any
/// other character, drops a trailing lone sextet.
fn lenient_base64(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut n = 0;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// Big-endian magnitude without leading zero bytes (`new BigInteger(1, bytes)` then jose4j's
/// `BigEndianBigInteger.toByteArray`). Zero is `[0]`.
fn magnitude(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    if start == bytes.len() {
        vec![0]
    } else {
        bytes[start..].to_vec()
    }
}

fn bit_length(mag: &[u8]) -> usize {
    match mag.iter().position(|b| *b != 0) {
        None => 0,
        Some(i) => (mag.len() - i - 1) * 8 + (8 - mag[i].leading_zeros() as usize),
    }
}

/// Compare two minimal magnitudes.
fn cmp_magnitude(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The JDK's `RSAPublicKeyImpl` checks (`RSAKeyFactory.checkRSAProviderKeyLengths`, then
/// `checkExponentRange`), as jose4j's `RsaKeyUtil.publicKey` meets them.
fn check_rsa_public(n: &[u8], e: &[u8]) -> Result<(), OidcError> {
    let bits = (bit_length(n) + 7) & !7;
    if bits < 512 {
        return Err(bad_key("RSA keys must be at least 512 bits long"));
    }
    if bits > 16384 {
        return Err(bad_key("RSA keys must be no longer than 16384 bits"));
    }
    if bits > 3072 && bit_length(e) > 64 {
        return Err(bad_key(
            "RSA exponents can be no longer than 64 bits  if modulus is greater than 3072 bits",
        ));
    }
    if cmp_magnitude(e, n) != std::cmp::Ordering::Less {
        return Err(bad_key("exponent is larger than modulus"));
    }
    if cmp_magnitude(e, &[3]) == std::cmp::Ordering::Less {
        return Err(bad_key("exponent is smaller than 3"));
    }
    Ok(())
}

/// `x5c` as jose4j reads it (`X509Util.fromBase64Der`, `CertificateFactory.generateCertificate`)
/// and writes it back (`Base64.encode(cert.getEncoded())`); checks the first certificate's key
/// against the bare key (`checkForBareKeyCertMismatch`).
fn canonical_x5c(value: &JwkValue, n: &[u8], e: &[u8]) -> Result<JwkValue, OidcError> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    use x509_parser::public_key::PublicKey;

    let JwkValue::Array(items) = value else {
        return Err(bad_key(format!(
            "'x5c' parameter was {} type but is required to be an Array.",
            value.type_name()
        )));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let text = item
            .as_str()
            .ok_or_else(|| bad_key("'x5c' entries must be strings"))?;
        let der = lenient_base64(text);
        let (rest, cert) = X509Certificate::from_der(&der).map_err(|err| {
            bad_key(format!(
                "Unable to convert x5c value to X509Certificate: {err}"
            ))
        })?;
        let raw = &der[..der.len() - rest.len()];
        if i == 0 {
            let same = matches!(
                cert.public_key().parsed(),
                Ok(PublicKey::RSA(k))
                    if cert.public_key().algorithm.algorithm.to_id_string()
                        == "1.2.840.113549.1.1.1"
                        && magnitude(k.modulus) == n
                        && magnitude(k.exponent) == e
            );
            if !same {
                return Err(bad_key(
                    "The key in the first certificate MUST match the bare public key represented by other members of the JWK.",
                ));
            }
        }
        out.push(JwkValue::String(
            base64::engine::general_purpose::STANDARD.encode(raw),
        ));
    }
    Ok(JwkValue::Array(out))
}

fn canonicalise(input: &Jwk) -> Result<CanonicalJwk, OidcError> {
    const HEADER: [&str; 5] = ["kty", "use", "kid", "alg", "key_ops"];
    const X509: [&str; 4] = ["x5c", "x5t#S256", "x5t", "x5u"];
    const RSA: [&str; 8] = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];

    // JsonWebKey(Map): use, kid, alg, key_ops.
    let use_ = optional_string(input, "use")?;
    let kid = optional_string(input, "kid")?;
    let alg = optional_string(input, "alg")?;
    let key_ops = match input.get("key_ops") {
        None | Some(JwkValue::Null) => None,
        Some(v @ JwkValue::Array(_)) => Some(v.clone()),
        Some(other) => {
            return Err(bad_key(format!(
                "'key_ops' parameter was {} type but is required to be an Array.",
                other.type_name()
            )))
        }
    };
    // PublicJsonWebKey(Map): x5t, x5t#S256, x5u (x5c needs the key, below).
    let x5t = optional_string(input, "x5t")?;
    let x5t_s256 = optional_string(input, "x5t#S256")?;
    let x5u = optional_string(input, "x5u")?;
    // RsaJsonWebKey(Map): n, e, the JDK checks, x5c against the key, the private part.
    let n = magnitude(&lenient_base64(&required_string(input, "n")?));
    let e = magnitude(&lenient_base64(&required_string(input, "e")?));
    check_rsa_public(&n, &e)?;
    let x5c = match input.get("x5c") {
        None => None,
        Some(JwkValue::Null) => return Err(bad_key("'x5c' parameter is null")),
        Some(v) => Some(canonical_x5c(v, &n, &e)?),
    };
    if input.contains("d") {
        required_string(input, "d")?;
        if input.contains("p") {
            for m in ["p", "q", "dp", "dq", "qi"] {
                required_string(input, m)?;
            }
        }
    }

    let b64url = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut out = Jwk::default();
    out.insert("kty", JwkValue::String("RSA".into()));
    if let Some(v) = kid {
        out.insert("kid", JwkValue::String(v));
    }
    if let Some(v) = use_ {
        out.insert("use", JwkValue::String(v));
    }
    if let Some(v) = key_ops {
        out.insert("key_ops", v);
    }
    if let Some(v) = alg {
        out.insert("alg", JwkValue::String(v));
    }
    out.insert("n", JwkValue::String(b64url(&n)));
    out.insert("e", JwkValue::String(b64url(&e)));
    if let Some(v) = x5c {
        out.insert("x5c", v);
    }
    if let Some(v) = x5t {
        out.insert("x5t", JwkValue::String(v));
    }
    if let Some(v) = x5t_s256 {
        out.insert("x5t#S256", JwkValue::String(v));
    }
    if let Some(v) = x5u {
        out.insert("x5u", JwkValue::String(v));
    }
    for (k, v) in &input.members {
        let known =
            HEADER.contains(&k.as_str()) || X509.contains(&k.as_str()) || RSA.contains(&k.as_str());
        if !known {
            out.insert(k.clone(), v.clone());
        }
    }
    let mut json = String::new();
    write_java_object(&out, &mut json);
    Ok(CanonicalJwk { json, jwk: out })
}

/// jose4j's json-simple `JSONValue.escape`.
fn write_java_string(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2000}'..='\u{20ff}' => {
                let _ = write!(out, "\\u{:04X}", ch as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Java's `Double.toString` layout: plain decimal with at least one fraction digit for
/// 1e-3 ≤ |x| < 1e7, else `d.dddE±n`. Digits are the shortest round-trip ones (JDK < 19 may
/// print a longer string for rare values).
fn java_double(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let a = x.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        if mantissa.contains('.') {
            format!("{mantissa}E{exp}")
        } else {
            format!("{mantissa}.0E{exp}")
        }
    }
}

fn write_java_value(v: &JwkValue, out: &mut String) {
    match v {
        JwkValue::Null => out.push_str("null"),
        JwkValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JwkValue::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (None, None, Some(f)) => out.push_str(&java_double(f)),
            _ => out.push_str("null"),
        },
        JwkValue::String(s) => write_java_string(s, out),
        JwkValue::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_java_value(item, out);
            }
            out.push(']');
        }
        JwkValue::Object(o) => write_java_object(o, out),
    }
}

fn write_java_object(o: &Jwk, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in o.members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_java_string(k, out);
        out.push(':');
        write_java_value(v, out);
    }
    out.push('}');
}

// ---------------------------------------------------------------------------------------------
// Claims and ACRs
// ---------------------------------------------------------------------------------------------

/// One factor of an AMR in amr-acr-mapping.json (pms-common `AuthenticationFactor`):
/// `{"type": "BIO", "count": 1, "subTypes": [...]}`. PMS 1.2.0.1 uses only `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthFactor {
    /// The auth type this factor needs, compared lower-cased with the policy's `authType`s
    /// (`PWD`, `PIN`, `OTP`, `WLA`, `BIO`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// How many (`count`, e.g. 1 finger); not used by PMS 1.2.0.1.
    #[serde(default)]
    pub count: i32,
    /// Sub-types; not used by PMS 1.2.0.1.
    #[serde(default)]
    pub sub_types: Option<Vec<String>>,
}

/// The two mapping files PMS reads from the config server
/// (`mosip.pms.esignet.claims-mapping-file-url`, `mosip.pms.esignet.amr-acr-mapping-file-url`;
/// fixtures `shared/fixtures/mosip/contracts/esignet/identity-mapping.json` and
/// `amr-acr-mapping.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mappings {
    /// identity-mapping.json `identity`: claim name → the identity attributes it is made of
    /// (`{"value": "addressLine1,addressLine2,..."}` split at `,`, untrimmed, as
    /// `convertStringToList`). Entries without a string `value` are left out (PMS would fail
    /// with a `NullPointerException` if eSignet supported that claim).
    pub identity: Vec<(String, Vec<String>)>,
    /// amr-acr-mapping.json `amr`: AMR name → its factors, in file order.
    pub amr: Vec<(String, Vec<AuthFactor>)>,
    /// amr-acr-mapping.json `acr_amr`: ACR → the AMRs it needs, in file order.
    pub acr_amr: Vec<(String, Vec<String>)>,
}

#[derive(Deserialize)]
struct IdentityFile {
    #[serde(deserialize_with = "ordered_map")]
    identity: Vec<(String, ClaimEntry)>,
}

#[derive(Deserialize)]
struct ClaimEntry {
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct AmrAcrFile {
    #[serde(deserialize_with = "ordered_map")]
    amr: Vec<(String, Vec<AuthFactor>)>,
    #[serde(deserialize_with = "ordered_map")]
    acr_amr: Vec<(String, Vec<String>)>,
}

impl Mappings {
    /// Parse the two files' JSON text. Errors: [`OidcError::ClaimsMapping`] (`PMS-MSD-393`) when
    /// identity-mapping.json has no `identity` object of objects, [`OidcError::AmrMapping`]
    /// (`PMS-MSD-395`) when amr-acr-mapping.json lacks `amr` (name → `[{type}]`) or `acr_amr`
    /// (name → `[amr]`).
    pub fn parse(identity_mapping: &str, amr_acr_mapping: &str) -> Result<Self, OidcError> {
        let identity: IdentityFile = serde_json::from_str(identity_mapping)
            .map_err(|e| OidcError::ClaimsMapping(e.to_string()))?;
        let amr_acr: AmrAcrFile = serde_json::from_str(amr_acr_mapping)
            .map_err(|e| OidcError::AmrMapping(e.to_string()))?;
        Ok(Self {
            identity: identity
                .identity
                .into_iter()
                .filter_map(|(claim, entry)| Some((claim, split_list(&entry.value?))))
                .collect(),
            amr: amr_acr.amr,
            acr_amr: amr_acr.acr_amr,
        })
    }

    /// The ACR names PMS knows (`AuthenticationContextRefUtil#getSupportedACRValues`), in file
    /// order.
    pub fn supported_acrs(&self) -> Vec<&str> {
        self.acr_amr.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// What [`derive()`] gives: the `userClaims` and `authContextRefs` PMS stores and sends to
/// eSignet, each in PMS's order (see [`derive()`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimsAndAcrs {
    /// OIDC claim names (`name`, `birthdate`, `phone_number`...).
    pub user_claims: Vec<String>,
    /// ACR values (`mosip:idp:acr:generated-code`...).
    pub auth_context_refs: Vec<String>,
}

/// The claims and ACRs of an OIDC client for an auth policy, as `createOIDCClient` computes
/// them.
///
/// - `policy`: the auth policy document (`auth_policy.policy_file_id`): `allowedKycAttributes
///   [{attributeName}]`, `allowedAuthTypes [{authType, authSubType, mandatory}]`.
/// - `claims_supported`: eSignet's `.well-known/openid-configuration` `claims_supported`
///   (`mosip.pms.esignet.config-url`; PMS fetches it on each create).
///
/// **Claims** (`AuthenticationContextRefUtil#getAllClaims` / `#getPolicySupportedClaims`):
/// the policy's `attributeName`s, lower-cased, into a set; for each claim of
/// `claims_supported` that identity-mapping.json knows, its attribute list is a key of a map
/// to that claim (two supported claims with the *same* attribute list: the later one in
/// `claims_supported` wins, e.g. `phone_number` over `phone`); a claim is kept when any
/// policy attribute equals (ignoring case) any attribute of its list. So `fullName` → `name`,
/// `dateOfBirth` → `birthdate`, `city` or `addressLine1` → `address`, `face` → `picture`;
/// `photo` maps to nothing. Empty → [`OidcError::NoClaims`] (`PMS_IDP_005`).
///
/// **ACRs** (`ClientManagementServiceImpl#getReqAttributeFromPolicyJson`,
/// `AuthenticationContextRefUtil#getAuthFactors`): any `allowedAuthTypes` entry with
/// `mandatory: true` → [`OidcError::MandatoryAuth`] (`PMS_IDP_003`); this is checked *after*
/// the claims, so a policy with no claims fails `NoClaims` first. The policy's `authType`s,
/// lower-cased, form a set (`authSubType` is ignored); an AMR matches when the type of every
/// one of its factors, lower-cased, is in that set (`BIO` ← `bio`, `OTP` ← `otp`, `WLA` ←
/// `wla`; `count` and sub-types ignored); an ACR matches when all its AMRs match. Empty →
/// [`OidcError::NoAcrs`] (`PMS_IDP_005`).
///
/// **Order and de-duplication**: both results are Java `HashSet`s, joined with `,` into the
/// `oidc_client.claims` / `acr_values` columns and split again for eSignet; they come out
/// de-duplicated and in the iteration order of a default `java.util.HashSet` (buckets by
/// `String.hashCode`, ties in insertion order), which this function reproduces so that the
/// stored value and the eSignet body are byte-identical to PMS's.
pub fn derive(
    policy: &serde_json::Value,
    mappings: &Mappings,
    claims_supported: &[String],
) -> Result<ClaimsAndAcrs, OidcError> {
    // getReqAttributeFromPolicyJson(policy, "allowedKycAttributes", "attributeName", null)
    let kyc = java_hash_order(
        policy_entries(policy, "allowedKycAttributes")?
            .iter()
            .map(|entry| {
                entry
                    .get("attributeName")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_lowercase)
                    .ok_or_else(|| OidcError::InvalidPolicy("attributeName is not a string".into()))
            })
            .collect::<Result<Vec<_>, _>>()?,
    );

    // getAllClaims: HashMap<List<String>, String> filled in claims_supported order.
    let mut claims_map: Vec<(&[String], &str)> = Vec::new();
    for claim in claims_supported {
        if let Some((_, attrs)) = mappings.identity.iter().find(|(c, _)| c == claim) {
            match claims_map.iter_mut().find(|(k, _)| *k == attrs.as_slice()) {
                Some(slot) => slot.1 = claim,
                None => claims_map.push((attrs, claim)),
            }
        }
    }
    let claims_map = java_hash_order_by(claims_map, |(k, _)| java_list_hash(k));

    // getPolicySupportedClaims
    let mut found: Vec<String> = Vec::new();
    for attr in &kyc {
        for (attrs, claim) in &claims_map {
            if attrs.iter().any(|a| java_equals_ignore_case(attr, a)) {
                found.push((*claim).to_owned());
            }
        }
    }
    let user_claims = java_hash_order(found);
    if user_claims.is_empty() {
        return Err(OidcError::NoClaims);
    }

    // getReqAttributeFromPolicyJson(policy, "allowedAuthTypes", "authType", "mandatory")
    let mut auth_types: Vec<String> = Vec::new();
    for entry in policy_entries(policy, "allowedAuthTypes")? {
        let auth_type = entry.get("authType");
        match entry.get("mandatory").and_then(serde_json::Value::as_bool) {
            Some(true) => return Err(OidcError::MandatoryAuth),
            Some(false) => {}
            None => {
                return Err(OidcError::InvalidPolicy(
                    "allowedAuthTypes[].mandatory is not a boolean".into(),
                ))
            }
        }
        let auth_type = auth_type
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| OidcError::InvalidPolicy("authType is not a string".into()))?;
        auth_types.push(auth_type.to_lowercase());
    }

    // getAuthFactors
    let matched_amrs: Vec<&str> = mappings
        .amr
        .iter()
        .filter(|(_, factors)| {
            factors
                .iter()
                .all(|f| auth_types.contains(&f.kind.to_lowercase()))
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let acrs: Vec<String> = mappings
        .acr_amr
        .iter()
        .filter(|(_, amrs)| amrs.iter().all(|a| matched_amrs.contains(&a.as_str())))
        .map(|(name, _)| name.clone())
        .collect();
    let auth_context_refs = java_hash_order(acrs);
    if auth_context_refs.is_empty() {
        return Err(OidcError::NoAcrs);
    }
    Ok(ClaimsAndAcrs {
        user_claims,
        auth_context_refs,
    })
}

/// The objects of `policy[name]`, which must be an array of objects (PMS casts to `JSONArray`
/// / `JSONObject`).
fn policy_entries<'a>(
    policy: &'a serde_json::Value,
    name: &str,
) -> Result<Vec<&'a serde_json::Map<String, serde_json::Value>>, OidcError> {
    policy
        .get(name)
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| OidcError::InvalidPolicy(format!("{name} is not an array")))?
        .iter()
        .map(|v| {
            v.as_object()
                .ok_or_else(|| OidcError::InvalidPolicy(format!("{name} has a non-object entry")))
        })
        .collect()
}

/// Java's `String.hashCode` (over UTF-16 code units, wrapping).
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Java's `List.hashCode` of a list of strings.
fn java_list_hash(items: &[String]) -> i32 {
    items.iter().fold(1i32, |h, s| {
        h.wrapping_mul(31).wrapping_add(java_string_hash(s))
    })
}

/// Java's `String.equalsIgnoreCase`: same length, each pair of chars equal, or equal
/// upper-cased, or equal lower-cased.
fn java_equals_ignore_case(a: &str, b: &str) -> bool {
    a.chars().count() == b.chars().count()
        && a.chars().zip(b.chars()).all(|(x, y)| {
            x == y || x.to_uppercase().eq(y.to_uppercase()) || x.to_lowercase().eq(y.to_lowercase())
        })
}

/// Iteration order of a `java.util.HashSet<String>` (default capacity 16, load factor 0.75)
/// into which `items` were added in order.
fn java_hash_order(items: Vec<String>) -> Vec<String> {
    let mut distinct: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !distinct.contains(&item) {
            distinct.push(item);
        }
    }
    java_hash_order_by(distinct, |s| java_string_hash(s))
}

/// Iteration order of a default `java.util.HashMap` / `HashSet` holding the distinct `keys`
/// (first-insertion order given) with Java hash codes `hash`: by bucket
/// (`(h ^ h >>> 16) & (capacity - 1)`, capacity doubled from 16 while size > 0.75 × capacity),
/// ties in insertion order (resizing keeps relative order). Tree bins (8+ keys in one bucket)
/// are not modelled.
fn java_hash_order_by<T>(keys: Vec<T>, hash: impl Fn(&T) -> i32) -> Vec<T> {
    let mut capacity = 16usize;
    while keys.len() > capacity * 3 / 4 {
        capacity *= 2;
    }
    let mut keyed: Vec<(usize, T)> = keys
        .into_iter()
        .map(|k| {
            let h = hash(&k) as u32;
            (((h ^ (h >> 16)) as usize) & (capacity - 1), k)
        })
        .collect();
    keyed.sort_by_key(|(bucket, _)| *bucket);
    keyed.into_iter().map(|(_, k)| k).collect()
}

/// PMS stores lists as one `,`-joined column and reads them back with Java's
/// `String.split(",")`: trailing empty strings are dropped, and `""` gives `[""]`. Applied to
/// the eSignet body too, so a redirect URI containing `,` reaches eSignet as two entries,
/// exactly as PMS 1.2.0.1 sends it.
pub fn split_list(joined: &str) -> Vec<String> {
    if joined.is_empty() {
        return vec![String::new()];
    }
    let mut parts: Vec<String> = joined.split(',').map(str::to_owned).collect();
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

/// `String.join(",", list)`: how PMS stores `redirect_uris`, `grant_types`,
/// `auth_methods`, `claims`, `acr_values` in `oidc_client`.
pub fn join_list(items: &[String]) -> String {
    items.join(",")
}

fn round_trip(items: &[String]) -> Vec<String> {
    split_list(&join_list(items))
}

// ---------------------------------------------------------------------------------------------
// Requests and their bean validation
// ---------------------------------------------------------------------------------------------

/// `POST /v1/partnermanager/oidc/client` request (`ClientDetailCreateRequest`). Fields are
/// optional so that [`validate`](Self::validate) can answer a missing one as PMS does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientDetailCreateRequest {
    /// Client name: `@NotBlank @Size(min=1, max=256)`.
    pub name: Option<String>,
    /// Auth policy id: `@NotBlank @Size(min=1, max=36)`.
    pub policy_id: Option<String>,
    /// The client's public key as a JWK: `@NotEmpty Map<String, @NotNull Object>`; must then
    /// pass [`CanonicalJwk::parse`]. Member order matters for extra members: deserialise the
    /// request from the body text, not through a `serde_json::Value` (whose maps are sorted).
    pub public_key: Option<Jwk>,
    /// The `Auth_Partner` id, sent as `relyingPartyId`: `@NotBlank @Size(min=1, max=100)`.
    pub auth_partner_id: Option<String>,
    /// `@NotBlank @URL @Size(max=2048)`.
    pub logo_uri: Option<String>,
    /// `@NotNull @Size(min=1, max=5)` (items unchecked).
    pub redirect_uris: Option<Vec<String>>,
    /// `@NotNull @Size(min=1, max=3)` (eSignet accepts only `authorization_code`).
    pub grant_types: Option<Vec<String>>,
    /// `@NotNull @Size(min=1, max=3)` (eSignet accepts only `private_key_jwt`).
    pub client_auth_methods: Option<Vec<String>>,
}

/// `PUT /v1/partnermanager/oidc/client/{client_id}` request (`ClientDetailUpdateRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientDetailUpdateRequest {
    /// `@NotNull @NotBlank @URL @Size(max=2048)`.
    pub logo_uri: Option<String>,
    /// `@NotNull @Size(min=1, max=5) List<@NotBlank String>`.
    pub redirect_uris: Option<Vec<String>>,
    /// `@NotNull @NotBlank @Pattern(regexp="(ACTIVE)|(INACTIVE)", CASE_INSENSITIVE)`; stored
    /// and sent upper-cased.
    pub status: Option<String>,
    /// `@NotNull @Size(min=1, max=3)`.
    pub grant_types: Option<Vec<String>>,
    /// `@NotNull @NotBlank`.
    pub client_name: Option<String>,
    /// `@NotNull @Size(min=1, max=3)`.
    pub client_auth_methods: Option<Vec<String>>,
}

/// Hibernate's `@NotBlank`: not null and not empty once chars ≤ U+0020 are trimmed.
fn not_blank<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ServiceError> {
    match value.as_deref() {
        Some(v) if !v.trim_matches(|c: char| c <= ' ').is_empty() => Ok(v),
        _ => Err(invalid_parameter(field, "must not be blank")),
    }
}

/// `@NotNull`.
fn not_null<'a, T>(value: &'a Option<T>, field: &str) -> Result<&'a T, ServiceError> {
    value
        .as_ref()
        .ok_or_else(|| invalid_parameter(field, "must not be null"))
}

/// `@Size(min, max)` on a list.
fn list_size(items: &[String], field: &str, min: usize, max: usize) -> Result<(), ServiceError> {
    if items.len() < min || items.len() > max {
        return Err(invalid_parameter(
            field,
            &format!("size must be between {min} and {max}"),
        ));
    }
    Ok(())
}

/// `@URL @Size(max = 2048)` on a non-blank value.
fn url_field(value: &str, field: &str) -> Result<(), ServiceError> {
    if value.chars().count() > 2048 {
        return Err(invalid_parameter(field, "size must be between 0 and 2048"));
    }
    if !is_java_url(value) {
        return Err(invalid_parameter(field, "must be a valid URL"));
    }
    Ok(())
}

/// Hibernate Validator's `@URL` (no protocol/host/port given): `new java.net.URL(value)` must
/// not throw. Emulated: surrounding chars ≤ U+0020 and a `url:` prefix ignored; a scheme
/// (letter, then letters, digits, `+`, `-`, `.`) before any `/`; a JDK 11 handler for it
/// (`http`, `https`, `ftp`, `file`, `jar`, `jmod`, `jrt`, `mailto`); for the hierarchical
/// ones an authority with at most one `@`, a bracketed IPv6 host that parses, and a port that
/// `Integer.parseInt` takes and is ≥ −1; `jar:` needs `!/` after a valid URL. Spaces and
/// other characters elsewhere are accepted, as `java.net.URL` accepts them.
fn is_java_url(spec: &str) -> bool {
    let s = spec.trim_matches(|c: char| c <= ' ');
    let s = match s.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("url:") => &s[4..],
        _ => s,
    };
    if s.starts_with('#') {
        return false;
    }
    let Some(colon) = s.find([':', '/']).filter(|i| s.as_bytes()[*i] == b':') else {
        return false;
    };
    let scheme = &s[..colon];
    let valid_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme {
        return false;
    }
    let rest = &s[colon + 1..];
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" | "ftp" | "file" => authority_ok(rest),
        "jar" => rest.find("!/").is_some_and(|i| is_java_url(&rest[..i])),
        "mailto" | "jrt" | "jmod" => true,
        _ => false,
    }
}

/// `URLStreamHandler.parseURL`'s authority checks.
fn authority_ok(rest: &str) -> bool {
    let Some(after) = rest.strip_prefix("//") else {
        return true;
    };
    let end = after
        .find('/')
        .or_else(|| after.find('?'))
        .unwrap_or(after.len());
    let authority = &after[..end];
    let host = match authority.find('@') {
        Some(i) if authority.rfind('@') == Some(i) => &authority[i + 1..],
        Some(_) => return true, // two '@': host dropped, no further check
        None => authority,
    };
    let port = if let Some(inner) = host.strip_prefix('[') {
        let Some(close) = inner.find(']').filter(|i| *i > 1) else {
            return false;
        };
        let literal = &inner[..close];
        let literal = literal.split_once('%').map_or(literal, |(a, _)| a);
        if literal.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match &inner[close + 1..] {
            "" => None,
            tail => match tail.strip_prefix(':') {
                Some("") => None,
                Some(p) => Some(p),
                None => return false,
            },
        }
    } else {
        match host.split_once(':') {
            Some((_, "")) | None => None,
            Some((_, p)) => Some(p),
        }
    };
    match port {
        None => true,
        Some(p) => p.parse::<i32>().is_ok_and(|n| n >= -1),
    }
}

impl ClientDetailCreateRequest {
    /// Bean validation of the DTO, fields in declaration order, first failure only (PMS answers
    /// the first `FieldError` Spring lists, whose order is not fixed). Errors are `PMS_COR_001`
    /// "Invalid request parameter - {msg} :{field}" ([`invalid_parameter`]):
    /// `must not be blank`, `size must be between {min} and {max}`, `must not be empty`,
    /// `must not be null` (a null JWK member, field `publicKey[{member}]`),
    /// `must be a valid URL`. Does not parse the JWK: see [`canonical_public_key`](Self::canonical_public_key).
    pub fn validate(&self) -> Result<(), ServiceError> {
        check_size(not_blank(&self.name, "name")?, "name", 1, 256)?;
        check_size(not_blank(&self.policy_id, "policyId")?, "policyId", 1, 36)?;
        match &self.public_key {
            Some(jwk) if !jwk.is_empty() => {
                if let Some((k, _)) = jwk.members().iter().find(|(_, v)| *v == JwkValue::Null) {
                    return Err(invalid_parameter(
                        &format!("publicKey[{k}]"),
                        "must not be null",
                    ));
                }
            }
            _ => return Err(invalid_parameter("publicKey", "must not be empty")),
        }
        check_size(
            not_blank(&self.auth_partner_id, "authPartnerId")?,
            "authPartnerId",
            1,
            100,
        )?;
        url_field(not_blank(&self.logo_uri, "logoUri")?, "logoUri")?;
        list_size(
            not_null(&self.redirect_uris, "redirectUris")?,
            "redirectUris",
            1,
            5,
        )?;
        list_size(
            not_null(&self.grant_types, "grantTypes")?,
            "grantTypes",
            1,
            3,
        )?;
        list_size(
            not_null(&self.client_auth_methods, "clientAuthMethods")?,
            "clientAuthMethods",
            1,
            3,
        )?;
        Ok(())
    }

    /// The canonical form of `publicKey` ([`CanonicalJwk::parse`]); an absent key is
    /// [`OidcError::InvalidPublicKey`] (call [`validate`](Self::validate) first).
    pub fn canonical_public_key(&self) -> Result<CanonicalJwk, OidcError> {
        let jwk = self
            .public_key
            .as_ref()
            .ok_or_else(|| bad_key("publicKey is missing"))?;
        CanonicalJwk::parse(jwk)
    }
}

impl ClientDetailUpdateRequest {
    /// Bean validation of the DTO, as [`ClientDetailCreateRequest::validate`]. Adds
    /// `must not be blank` on `redirectUris[i]` and `must match "(ACTIVE)|(INACTIVE)"` on
    /// `status` (case-insensitive, whole value).
    pub fn validate(&self) -> Result<(), ServiceError> {
        let logo = not_null(&self.logo_uri, "logoUri")?;
        url_field(not_blank(&Some(logo.clone()), "logoUri")?, "logoUri")?;
        let uris = not_null(&self.redirect_uris, "redirectUris")?;
        list_size(uris, "redirectUris", 1, 5)?;
        for (i, uri) in uris.iter().enumerate() {
            not_blank(&Some(uri.clone()), &format!("redirectUris[{i}]"))?;
        }
        let status = not_null(&self.status, "status")?;
        not_blank(&Some(status.clone()), "status")?;
        if !(status.eq_ignore_ascii_case("ACTIVE") || status.eq_ignore_ascii_case("INACTIVE")) {
            return Err(invalid_parameter(
                "status",
                "must match \"(ACTIVE)|(INACTIVE)\"",
            ));
        }
        list_size(
            not_null(&self.grant_types, "grantTypes")?,
            "grantTypes",
            1,
            3,
        )?;
        let name = not_null(&self.client_name, "clientName")?;
        not_blank(&Some(name.clone()), "clientName")?;
        list_size(
            not_null(&self.client_auth_methods, "clientAuthMethods")?,
            "clientAuthMethods",
            1,
            3,
        )?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// eSignet bodies
// ---------------------------------------------------------------------------------------------

/// The envelope PMS wraps eSignet calls in (`oidc/client/dto/RequestWrapper`): only
/// `{requestTime, request}`, `requestTime` in MOSIP's `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EsignetRequest<T> {
    /// UTC time of the call.
    pub request_time: String,
    /// The payload.
    pub request: T,
}

impl<T> EsignetRequest<T> {
    /// Wrap `request` with `requestTime` = `at`.
    pub fn new(request: T, at: OffsetDateTime) -> Self {
        Self {
            request_time: mosip_datetime(at),
            request,
        }
    }
}

/// eSignet `POST /v1/esignet/client-mgmt/oidc-client` payload (`CreateClientRequestDto`, fields
/// in its order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EsignetCreateClient {
    /// [`CanonicalJwk::client_id`].
    pub client_id: String,
    /// The request's `name`.
    pub client_name: String,
    /// [`CanonicalJwk::jwk`].
    pub public_key: Jwk,
    /// The request's `authPartnerId`.
    pub relying_party_id: String,
    /// [`ClaimsAndAcrs::user_claims`].
    pub user_claims: Vec<String>,
    /// [`ClaimsAndAcrs::auth_context_refs`].
    pub auth_context_refs: Vec<String>,
    /// The request's `logoUri`.
    pub logo_uri: String,
    /// The request's `redirectUris` (through [`join_list`] / [`split_list`]).
    pub redirect_uris: Vec<String>,
    /// The request's `grantTypes` (same round trip).
    pub grant_types: Vec<String>,
    /// The request's `clientAuthMethods` (same round trip).
    pub client_auth_methods: Vec<String>,
}

/// eSignet `PUT /v1/esignet/client-mgmt/oidc-client/{clientId}` payload
/// (`UpdateClientRequestDto`, fields in its order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EsignetUpdateClient {
    /// The request's `logoUri`.
    pub logo_uri: String,
    /// The request's `redirectUris` (through [`join_list`] / [`split_list`]).
    pub redirect_uris: Vec<String>,
    /// The request's `status`, upper-cased.
    pub status: String,
    /// The request's `grantTypes`.
    pub grant_types: Vec<String>,
    /// The request's `clientName`.
    pub client_name: String,
    /// The stored claims (never recomputed on update).
    pub user_claims: Vec<String>,
    /// The stored ACRs (never recomputed on update).
    pub auth_context_refs: Vec<String>,
    /// The request's `clientAuthMethods`.
    pub client_auth_methods: Vec<String>,
}

/// The eSignet create payload PMS builds (`createOIDCClient` → `callIdpService`): every list
/// goes through the `,` join of the `oidc_client` columns and Java's split back. Call after
/// [`ClientDetailCreateRequest::validate`]; absent fields become empty.
pub fn create_body(
    req: &ClientDetailCreateRequest,
    key: &CanonicalJwk,
    derived: &ClaimsAndAcrs,
) -> EsignetCreateClient {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let list = |v: &Option<Vec<String>>| round_trip(v.as_deref().unwrap_or_default());
    EsignetCreateClient {
        client_id: key.client_id(),
        client_name: text(&req.name),
        public_key: key.jwk().clone(),
        relying_party_id: text(&req.auth_partner_id),
        user_claims: round_trip(&derived.user_claims),
        auth_context_refs: round_trip(&derived.auth_context_refs),
        logo_uri: text(&req.logo_uri),
        redirect_uris: list(&req.redirect_uris),
        grant_types: list(&req.grant_types),
        client_auth_methods: list(&req.client_auth_methods),
    }
}

/// The eSignet update payload PMS 1.2.0.1 builds (`updateOIDCClient` →
/// `makeUpdateIDPServiceCall`): name, logo, redirect URIs, grant types, auth methods and status
/// (upper-cased) all replaced from the request, whatever the stored status (1.2.0.1 has no
/// "status change only" rule and no refusal of an `INACTIVE` client); `stored_claims` /
/// `stored_acrs` are the client's stored values ([`split_list`] of the columns). Call after
/// [`ClientDetailUpdateRequest::validate`].
pub fn update_body(
    req: &ClientDetailUpdateRequest,
    stored_claims: &[String],
    stored_acrs: &[String],
) -> EsignetUpdateClient {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let list = |v: &Option<Vec<String>>| round_trip(v.as_deref().unwrap_or_default());
    EsignetUpdateClient {
        logo_uri: text(&req.logo_uri),
        redirect_uris: list(&req.redirect_uris),
        status: text(&req.status).to_uppercase(),
        grant_types: list(&req.grant_types),
        client_name: text(&req.client_name),
        user_claims: round_trip(stored_claims),
        auth_context_refs: round_trip(stored_acrs),
        client_auth_methods: list(&req.client_auth_methods),
    }
}

// ---------------------------------------------------------------------------------------------
// The client run
// ---------------------------------------------------------------------------------------------

/// What a client run does in eSignet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "camelCase")]
pub enum ClientOperation {
    /// `POST …/oidc-client` with this payload; a `duplicate_client_id` answer means an earlier
    /// attempt (or PMS) created it, and is reconciled with a `PUT` of the same fields.
    Create {
        /// The payload.
        client: EsignetCreateClient,
    },
    /// `PUT …/oidc-client/{clientId}` with this payload.
    Update {
        /// The payload.
        client: EsignetUpdateClient,
    },
}

/// Input of a [`WorkflowKind::OidcClient`](crate::workflow::WorkflowKind::OidcClient) run:
/// the eSignet call, then the events, emails and audit of an
/// [`EffectsInput`](crate::effects::EffectsInput) (flattened, so the effects steps read the
/// same input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRunInput {
    /// The client id.
    pub client_id: String,
    /// The eSignet call.
    #[serde(flatten)]
    pub operation: ClientOperation,
    /// `OIDC_CLIENT_CREATED` / `OIDC_CLIENT_UPDATED` and the audit record.
    #[serde(flatten)]
    pub effects: crate::effects::EffectsInput,
}

impl EsignetCreateClient {
    /// The update payload that makes an existing eSignet client match this creation
    /// (`status` `ACTIVE`): used to reconcile a `duplicate_client_id`.
    pub fn as_update(&self) -> EsignetUpdateClient {
        EsignetUpdateClient {
            logo_uri: self.logo_uri.clone(),
            redirect_uris: self.redirect_uris.clone(),
            status: "ACTIVE".to_owned(),
            grant_types: self.grant_types.clone(),
            client_name: self.client_name.clone(),
            user_claims: self.user_claims.clone(),
            auth_context_refs: self.auth_context_refs.clone(),
            client_auth_methods: self.client_auth_methods.clone(),
        }
    }
}

/// Steps of a client run: the eSignet call (required, `budgets.external` attempts), the local
/// write (`oidc.activate` / `oidc.apply_update`), then the effects steps of `input.effects`.
pub fn client_steps(
    input: &ClientRunInput,
    budgets: &crate::workflow::Budgets,
) -> Vec<crate::workflow::StepSpec> {
    use crate::workflow::{steps, StepSpec};
    let (call, local) = match input.operation {
        ClientOperation::Create { .. } => (steps::ESIGNET_CREATE_CLIENT, steps::ACTIVATE_CLIENT),
        ClientOperation::Update { .. } => {
            (steps::ESIGNET_UPDATE_CLIENT, steps::APPLY_CLIENT_UPDATE)
        }
    };
    let mut v = vec![
        StepSpec {
            key: call.to_owned(),
            max_attempts: budgets.external,
            required: true,
            backoff: budgets.backoff,
        },
        StepSpec {
            key: local.to_owned(),
            max_attempts: budgets.external,
            required: true,
            backoff: budgets.backoff,
        },
    ];
    v.extend(crate::effects::effects_steps(&input.effects, budgets));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_layout() {
        assert_eq!(java_double(1.5), "1.5");
        assert_eq!(java_double(100.0), "100.0");
        assert_eq!(java_double(12_345_678.0), "1.2345678E7");
        assert_eq!(java_double(0.0001), "1.0E-4");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(-0.0), "-0.0");
    }

    #[test]
    fn java_hashes() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("name"), 3_373_707);
        assert_eq!(java_list_hash(&[]), 1);
        assert_eq!(java_list_hash(&["a".into()]), 31 + 97);
    }

    #[test]
    fn lenient_base64_like_commons_codec() {
        assert_eq!(lenient_base64("AQAB"), vec![1, 0, 1]);
        assert_eq!(lenient_base64("AQ AB\n=="), vec![1, 0, 1]);
        assert_eq!(lenient_base64("+/-_"), lenient_base64("-_-_"));
        assert_eq!(lenient_base64("AQ"), vec![1]);
        assert_eq!(lenient_base64("A"), Vec::<u8>::new());
    }

    #[test]
    fn java_split() {
        assert_eq!(split_list("a,b"), vec!["a", "b"]);
        assert_eq!(split_list("a,,b,,"), vec!["a", "", "b"]);
        assert_eq!(split_list(""), vec![""]);
        assert_eq!(split_list(","), Vec::<String>::new());
    }

    #[test]
    fn java_urls() {
        for ok in [
            "https://acme.example/logo.png",
            "http://localhost:3000/**",
            "HTTP://x",
            " https://a b/c ",
            "url:http://x",
            "mailto:a@b",
            "file:/tmp/x",
            "http://[::1]:8080/x",
            "jar:file:/a.jar!/b",
            "http://u@h:-1/",
        ] {
            assert!(is_java_url(ok), "{ok}");
        }
        for bad in [
            "",
            "logo.png",
            "/x:y",
            "io.mosip.residentapp://oauth",
            "1http://x",
            "http://h:abc/",
            "http://h:1:2/",
            "http://[zz]/",
            "jar:file:/a.jar",
            "#http://x",
        ] {
            assert!(!is_java_url(bad), "{bad}");
        }
    }
}

//! eSignet OIDC client management under `/v1/esignet` (mosip-contracts.md §2.5), as PMS
//! 1.2.0.1 calls it:
//!
//! - `POST /v1/esignet/client-mgmt/oidc-client` (create; scope `add_oidc_client`),
//! - `PUT /v1/esignet/client-mgmt/oidc-client/{client_id}` (update; scope
//!   `update_oidc_client`),
//! - `GET /v1/esignet/oidc/.well-known/openid-configuration` (discovery; PMS reads
//!   `claims_supported`; no token needed).
//!
//! Source followed: mosip/esignet tag v1.5.1 — `ClientManagementController.createClient` /
//! `updateClient` (both `@Deprecated` but served), `ClientManagementServiceImpl.createOIDCClient`
//! / `updateOIDCClient`, the bean-validation annotations of `ClientDetailCreateRequest` /
//! `ClientDetailUpdateRequest` / `RequestWrapper`, the validators of
//! `io.mosip.esignet.core.validator`, `ErrorConstants` and `ExceptionHandlerAdvice`; the
//! supported values come from mosip-config `esignet-default.properties` and
//! `amr-acr-mapping.json`.
//!
//! Wire shapes: `{requestTime, request}` in, `{responseTime, response, errors}` out, errors
//! `{errorCode, errorMessage}`. Every business or validation failure is **HTTP 200** with
//! `response: null`:
//!
//! - bean-validation failures list **every** violated constraint (in the DTO's field order
//!   here; eSignet's order is unspecified), `errorMessage` = `"<field path>: <code>"`, e.g.
//!   `request.clientId: invalid_client_id`, `request.userClaims[1]: invalid_claim`,
//!   `requestTime: invalid_request`;
//! - service failures (`duplicate_client_id`, `invalid_public_key`, `duplicate_public_key`,
//!   `invalid_client_id` on update) are one error whose `errorMessage` equals the code —
//!   `ExceptionHandlerAdvice.getMessage` discards the `messages.properties` text in v1.5.1;
//! - a body that is not JSON or has a wrongly typed field: `unknown_error` with the parser's
//!   message (Jackson's `HttpMessageNotReadableException` falls through to `UNKNOWN_ERROR`).
//!
//! Authentication (Spring resource server): the sandbox token in `Authorization: Bearer`
//! only, else HTTP 401 `UNAUTHORIZED`; a token without the scope: HTTP 403 `FORBIDDEN`.
//! A `Content-Type` other than `application/json` on create/update: HTTP 415, empty body.
//!
//! Deliberate differences from eSignet: the public key must be an RSA JWK (`kty` `RSA`,
//! strict base64url `n`/`e`) with a modulus of at least [`ESIGNET_MIN_RSA_BITS`] bits
//! (jose4j's `RsaJsonWebKey` accepts smaller keys at registration but refuses them when
//! verifying the client's `private_key_jwt`); redirect URIs are checked by a re-implementation
//! of Apache `UrlValidator(ALLOW_ALL_SCHEMES | ALLOW_LOCAL_URLS)` that rejects the reserved
//! TLDs `example`, `test`, `invalid`, `local` instead of consulting the full IANA list.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pmsflow_core::envelope::MOSIP_DATETIME;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use crate::envelope::{self, rfc3339, Reply, JSON};
use crate::gate::{Guard, Outcome};
use crate::{lock, App};

/// `claims_supported` of the deployed eSignet (mosip-config `esignet-default.properties`,
/// `mosip.esignet.discovery.key-values`): every `userClaims` item must be one of these, else
/// `invalid_claim`.
pub const ESIGNET_CLAIMS_SUPPORTED: &[&str] = &[
    "name",
    "address",
    "gender",
    "birthdate",
    "picture",
    "email",
    "phone_number",
    "individual_id",
];

/// The ACRs eSignet accepts in `authContextRefs`: the keys of `acr_amr` in the deployed
/// `amr-acr-mapping.json` (`AuthenticationContextClassRefUtil.getSupportedACRValues`), else
/// `invalid_acr`.
pub const ESIGNET_ACR_VALUES: &[&str] = &[
    "mosip:idp:acr:password",
    "mosip:idp:acr:static-code",
    "mosip:idp:acr:generated-code",
    "mosip:idp:acr:linked-wallet",
    "mosip:idp:acr:biometrics",
];

/// `acr_values_supported` as the deployed discovery document advertises it (it omits
/// `password`, which validation still accepts).
const DISCOVERY_ACR_VALUES: &[&str] = &[
    "mosip:idp:acr:static-code",
    "mosip:idp:acr:generated-code",
    "mosip:idp:acr:linked-wallet",
    "mosip:idp:acr:biometrics",
];

/// `mosip.esignet.supported.grant.types`: else `invalid_grant_type`.
pub const ESIGNET_GRANT_TYPES: &[&str] = &["authorization_code"];

/// `mosip.esignet.supported.client.auth.methods`: else `invalid_client_auth`.
pub const ESIGNET_CLIENT_AUTH_METHODS: &[&str] = &["private_key_jwt"];

/// `mosip.esignet.reqtime.leeway-minutes`: `requestTime` must lie strictly within this many
/// minutes of the sandbox's UTC clock, else `invalid_request`.
pub const ESIGNET_REQUEST_TIME_LEEWAY_MINUTES: i64 = 2;

/// Smallest RSA modulus accepted in `publicKey`, in bits (else `invalid_public_key`).
pub const ESIGNET_MIN_RSA_BITS: usize = 2048;

/// Largest RSA modulus accepted in `publicKey`, in bits.
const MAX_RSA_BITS: usize = 16384;

/// Length of `client_detail.logo_uri` (`varchar(2048)`); a longer `logoUri` passes bean
/// validation and fails at the database.
const LOGO_URI_COLUMN: usize = 2048;

/// JWK members of a private key, dropped before storing (jose4j `toJson()` prints the
/// public part only).
const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth"];

const INVALID_REQUEST: &str = "invalid_request";
const INVALID_CLIENT_ID: &str = "invalid_client_id";
const INVALID_CLIENT_NAME: &str = "invalid_client_name";
const INVALID_PUBLIC_KEY: &str = "invalid_public_key";
const INVALID_RP_ID: &str = "invalid_rp_id";
const INVALID_CLAIM: &str = "invalid_claim";
const INVALID_ACR: &str = "invalid_acr";
const INVALID_URI: &str = "invalid_uri";
const INVALID_REDIRECT_URI: &str = "invalid_redirect_uri";
const INVALID_GRANT_TYPE: &str = "invalid_grant_type";
const INVALID_CLIENT_AUTH: &str = "invalid_client_auth";
const INVALID_STATUS: &str = "invalid_status";
const DUPLICATE_CLIENT_ID: &str = "duplicate_client_id";
const DUPLICATE_PUBLIC_KEY: &str = "duplicate_public_key";
const UNKNOWN_ERROR: &str = "unknown_error";

/// One OIDC client as eSignet stores it (`client_detail` row), kept in memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EsignetClient {
    /// `clientId` of the create request (primary key).
    pub client_id: String,
    /// `clientName`.
    pub client_name: String,
    /// `relyingPartyId` (PMS sends the auth partner id).
    pub relying_party_id: String,
    /// The JWK as sent, without private members.
    pub public_key: Value,
    /// `logoUri`.
    pub logo_uri: String,
    /// `redirectUris`.
    pub redirect_uris: Vec<String>,
    /// `userClaims`.
    pub user_claims: Vec<String>,
    /// `authContextRefs` (JSON `null` items dropped, as eSignet does).
    pub auth_context_refs: Vec<String>,
    /// `grantTypes`.
    pub grant_types: Vec<String>,
    /// `clientAuthMethods`.
    pub client_auth_methods: Vec<String>,
    /// `ACTIVE` on create; `ACTIVE` or `INACTIVE` as set by the last update.
    pub status: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Time of the last update, RFC 3339; `None` until updated.
    pub updated_at: Option<String>,
}

/// A stored client and its key's modulus (eSignet's unique index on `public_key->>'n'`).
#[derive(Debug)]
struct Registered {
    client: EsignetClient,
    modulus: BigUint,
}

/// eSignet's clients in creation order.
#[derive(Debug, Default)]
pub(crate) struct Store {
    clients: Vec<Registered>,
}

impl Store {
    /// Copies of the stored clients, in creation order.
    pub(crate) fn clients(&self) -> Vec<EsignetClient> {
        self.clients.iter().map(|r| r.client.clone()).collect()
    }

    fn find_mut(&mut self, client_id: &str) -> Option<&mut Registered> {
        self.clients
            .iter_mut()
            .find(|r| r.client.client_id == client_id)
    }
}

/// `RequestWrapper<T>`: `requestTime` (`@RequestTime`) and `request` (`@NotNull @Valid`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wrapper<T> {
    request_time: Option<String>,
    request: Option<T>,
}

/// A list whose items may be JSON `null` (Java `List<String>`).
type Items = Option<Vec<Option<String>>>;

/// `ClientDetailCreateRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    client_id: Option<String>,
    client_name: Option<String>,
    public_key: Option<Map<String, Value>>,
    relying_party_id: Option<String>,
    user_claims: Items,
    auth_context_refs: Items,
    logo_uri: Option<String>,
    redirect_uris: Items,
    grant_types: Items,
    client_auth_methods: Items,
}

/// `ClientDetailUpdateRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    logo_uri: Option<String>,
    redirect_uris: Items,
    user_claims: Items,
    auth_context_refs: Items,
    status: Option<String>,
    grant_types: Items,
    client_name: Option<String>,
    client_auth_methods: Items,
}

/// Bean-validation violations: `(field path, code)` in evaluation order.
#[derive(Debug, Default)]
struct Violations(Vec<(String, &'static str)>);

/// An item constraint: the item (absent for JSON `null`) is valid.
type ItemCheck = fn(Option<&str>) -> bool;

impl Violations {
    fn check(&mut self, valid: bool, field: &str, code: &'static str) {
        if !valid {
            self.0.push((field.to_owned(), code));
        }
    }

    /// `@NotNull @Size(min, max) List<@C1 @C2 … String>`: one violation per failed
    /// constraint, items reported as `field[i]`.
    fn list(
        &mut self,
        field: &str,
        items: &Items,
        (min, max): (usize, usize),
        code: &'static str,
        item_checks: &[ItemCheck],
    ) {
        let Some(items) = items else {
            self.0.push((field.to_owned(), code));
            return;
        };
        self.check((min..=max).contains(&items.len()), field, code);
        for (index, item) in items.iter().enumerate() {
            for item_check in item_checks {
                if !item_check(item.as_deref()) {
                    self.0.push((format!("{field}[{index}]"), code));
                }
            }
        }
    }

    /// The HTTP 200 answer listing every violation, or `None` when there is none.
    fn reply(self) -> Option<Reply> {
        if self.0.is_empty() {
            return None;
        }
        let errors: Vec<(String, String)> = self
            .0
            .into_iter()
            .map(|(field, code)| (code.to_owned(), format!("{field}: {code}")))
            .collect();
        Some(envelope::esignet_errors(StatusCode::OK, &errors))
    }
}

/// Java `String.length()` (UTF-16 units), as `@Size` counts.
fn java_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `@Size(max)` on a string: `null` passes.
fn at_most(value: Option<&str>, max: usize) -> bool {
    value.is_none_or(|v| java_len(v) <= max)
}

/// `@NotBlank`.
fn not_blank(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty())
}

/// Java regex `\s`: `[ \t\n\x0B\f\r]`.
fn java_space(c: char) -> bool {
    c == ' ' || ('\t'..='\r').contains(&c)
}

/// `@IdFormat` (`IdFormatValidator`): not blank and matching `\S*`.
fn id_format(value: Option<&str>) -> bool {
    not_blank(value) && value.is_some_and(|v| !v.chars().any(java_space))
}

/// `@OIDCClaim`: a non-blank member of [`ESIGNET_CLAIMS_SUPPORTED`].
fn oidc_claim(value: Option<&str>) -> bool {
    value.is_some_and(|v| ESIGNET_CLAIMS_SUPPORTED.contains(&v))
}

/// `@AuthContextRef` (`AuthContextRefValidator`): `null` passes; otherwise every part of
/// `value.split(" ")` (Java semantics: trailing empty parts dropped), trimmed, must be a
/// supported ACR.
fn auth_context_ref(value: Option<&str>) -> bool {
    let Some(value) = value else {
        return true;
    };
    let mut parts: Vec<&str> = value.split(' ').collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    parts
        .iter()
        .all(|part| ESIGNET_ACR_VALUES.contains(&part.trim()))
}

/// `@OIDCGrantType`.
fn grant_type(value: Option<&str>) -> bool {
    value.is_some_and(|v| ESIGNET_GRANT_TYPES.contains(&v))
}

/// `@OIDCClientAuth`.
fn client_auth(value: Option<&str>) -> bool {
    value.is_some_and(|v| ESIGNET_CLIENT_AUTH_METHODS.contains(&v))
}

/// Hibernate `@URL` on `logoUri` (`new java.net.URL(value)` must succeed): `null` and `""`
/// pass; otherwise the scheme must be one the JDK has a handler for, a `jar:` URL needs
/// `!/`, and an authority's port must be numeric.
fn java_url(value: Option<&str>) -> bool {
    let Some(value) = value else {
        return true;
    };
    if value.is_empty() {
        return true;
    }
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    if !["http", "https", "ftp", "file", "jar", "mailto", "jrt"].contains(&scheme.as_str()) {
        return false;
    }
    if scheme == "jar" && !rest.contains("!/") {
        return false;
    }
    if let Some(after) = rest.strip_prefix("//") {
        let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        if !host_port.ends_with(']') {
            if let Some((_, port)) = host_port.rsplit_once(':') {
                if !port.is_empty() && !port.chars().all(|c| c.is_ascii_digit()) {
                    return false;
                }
            }
        }
    }
    true
}

/// A DNS label of Apache `DomainValidator`: alphanumeric ends, inner `-`, ≤ 63 characters.
fn dns_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// A host of Apache `UrlValidator` with local URLs allowed: an IPv4 address, a single-label
/// host name (`localhost`, `oauth`), or a dotted name whose TLD is alphabetic-first and not
/// one of the reserved TLDs missing from the IANA list (`example`, `test`, `invalid`,
/// `local`).
fn url_host(host: &str) -> bool {
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    if !labels.iter().all(|label| dns_label(label)) {
        return false;
    }
    let Some(tld) = labels.last().filter(|_| labels.len() > 1) else {
        return true;
    };
    let tld = tld.to_ascii_lowercase();
    tld.starts_with(|c: char| c.is_ascii_alphabetic())
        && !["example", "test", "invalid", "local"].contains(&tld.as_str())
}

/// `@RedirectURL` (`RedirectURLValidator`: Apache `UrlValidator(ALLOW_ALL_SCHEMES +
/// ALLOW_LOCAL_URLS)`): an absolute URL `scheme://authority[path][?query][#fragment]` with
/// any scheme; `file` may have an empty authority. No whitespace anywhere, path characters
/// from `[-\w:@&?=+,.!/~*'%$_;()]` (so `*` wildcards pass) and no `//` inside the path.
fn redirect_url(value: Option<&str>) -> bool {
    let Some(value) = value else {
        return false;
    };
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    let Some(rest) = rest.strip_prefix("//") else {
        return false;
    };
    let (rest, _fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, _query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let path_ok = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_:@&?=+,.!/~*'%$;()".contains(c))
        && !path.contains("//");
    if !path_ok {
        return false;
    }
    if authority.is_empty() {
        return scheme.eq_ignore_ascii_case("file");
    }
    let host_port = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            let userinfo_ok = userinfo
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:%".contains(c));
            if !userinfo_ok {
                return false;
            }
            host_port
        }
        None => authority,
    };
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let Some((address, after)) = v6.split_once(']') else {
            return false;
        };
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        (None, after.strip_prefix(':'))
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(host_port), None),
        }
    };
    if let Some(port) = port {
        let numeric = !port.is_empty()
            && port.len() <= 5
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p <= 65535);
        if !numeric {
            return false;
        }
    }
    host.is_none_or(url_host)
}

/// `@RequestTime` (`RequestTimeValidator`): `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, strictly within
/// [`ESIGNET_REQUEST_TIME_LEEWAY_MINUTES`] of now (UTC).
fn request_time(value: Option<&str>, now: OffsetDateTime) -> bool {
    let Some(parsed) = value.and_then(|v| PrimitiveDateTime::parse(v, MOSIP_DATETIME).ok()) else {
        return false;
    };
    let at = parsed.assume_utc();
    let leeway = Duration::minutes(ESIGNET_REQUEST_TIME_LEEWAY_MINUTES);
    at > now - leeway && at < now + leeway
}

/// Decodes strict base64url (trailing `=` tolerated); `None` when empty or malformed.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    (!bytes.is_empty()).then_some(bytes)
}

/// `IdentityProviderUtil.getJWKString` (jose4j `new RsaJsonWebKey(map)`), stricter: `kty`
/// must be `RSA`, `n` and `e` base64url, the key valid for the `rsa` crate (odd modulus,
/// odd exponent 3…2³³−1 below it) with at least [`ESIGNET_MIN_RSA_BITS`] bits. Answers
/// the modulus and the JWK without private members.
fn rsa_public_jwk(jwk: &Map<String, Value>) -> Option<(BigUint, Value)> {
    if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
        return None;
    }
    let n = base64url(jwk.get("n")?.as_str()?)?;
    let e = base64url(jwk.get("e")?.as_str()?)?;
    let key = RsaPublicKey::new_with_max_size(
        BigUint::from_bytes_be(&n),
        BigUint::from_bytes_be(&e),
        MAX_RSA_BITS,
    )
    .ok()?;
    if key.n().bits() < ESIGNET_MIN_RSA_BITS {
        return None;
    }
    let public: Map<String, Value> = jwk
        .iter()
        .filter(|(name, _)| !PRIVATE_JWK_MEMBERS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Some((key.n().clone(), Value::Object(public)))
}

/// The non-null items of a validated list (eSignet's `removeAll(NULL)`).
fn present(items: &Items) -> Vec<String> {
    items.iter().flatten().flatten().cloned().collect()
}

/// `true` for `application/json` (any parameters), as `consumes = APPLICATION_JSON_VALUE`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(JSON))
}

/// Spring's answer to an unsupported media type: HTTP 415, empty body.
fn unsupported_media_type() -> Reply {
    Reply {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        content_type: JSON,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// Parses the wrapper; an unreadable body is `unknown_error` with the parser's message.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<Wrapper<T>, Reply> {
    serde_json::from_slice(body).map_err(|error| {
        envelope::esignet_failure(UNKNOWN_ERROR, &format!("JSON parse error: {error}"))
    })
}

/// The bean validation of `RequestWrapper<ClientDetailCreateRequest>`.
fn validate_create(wrapper: &Wrapper<CreateRequest>, now: OffsetDateTime) -> Violations {
    let mut v = Violations::default();
    v.check(
        request_time(wrapper.request_time.as_deref(), now),
        "requestTime",
        INVALID_REQUEST,
    );
    let Some(r) = &wrapper.request else {
        v.check(false, "request", INVALID_REQUEST);
        return v;
    };
    let client_id = r.client_id.as_deref();
    v.check(id_format(client_id), "request.clientId", INVALID_CLIENT_ID);
    v.check(
        at_most(client_id, 100),
        "request.clientId",
        INVALID_CLIENT_ID,
    );
    let client_name = r.client_name.as_deref();
    v.check(
        not_blank(client_name),
        "request.clientName",
        INVALID_CLIENT_NAME,
    );
    v.check(
        at_most(client_name, 256),
        "request.clientName",
        INVALID_CLIENT_NAME,
    );
    v.check(
        r.public_key.as_ref().is_some_and(|k| !k.is_empty()),
        "request.publicKey",
        INVALID_PUBLIC_KEY,
    );
    let rp_id = r.relying_party_id.as_deref();
    v.check(id_format(rp_id), "request.relyingPartyId", INVALID_RP_ID);
    v.check(at_most(rp_id, 100), "request.relyingPartyId", INVALID_RP_ID);
    v.list(
        "request.userClaims",
        &r.user_claims,
        (0, 30),
        INVALID_CLAIM,
        &[oidc_claim],
    );
    v.list(
        "request.authContextRefs",
        &r.auth_context_refs,
        (1, 30),
        INVALID_ACR,
        &[auth_context_ref],
    );
    let logo_uri = r.logo_uri.as_deref();
    v.check(not_blank(logo_uri), "request.logoUri", INVALID_URI);
    v.check(java_url(logo_uri), "request.logoUri", INVALID_URI);
    v.list(
        "request.redirectUris",
        &r.redirect_uris,
        (1, 5),
        INVALID_REDIRECT_URI,
        &[not_blank, redirect_url],
    );
    v.list(
        "request.grantTypes",
        &r.grant_types,
        (1, 3),
        INVALID_GRANT_TYPE,
        &[grant_type],
    );
    v.list(
        "request.clientAuthMethods",
        &r.client_auth_methods,
        (1, 3),
        INVALID_CLIENT_AUTH,
        &[client_auth],
    );
    v
}

/// The bean validation of `RequestWrapper<ClientDetailUpdateRequest>`.
fn validate_update(wrapper: &Wrapper<UpdateRequest>, now: OffsetDateTime) -> Violations {
    let mut v = Violations::default();
    v.check(
        request_time(wrapper.request_time.as_deref(), now),
        "requestTime",
        INVALID_REQUEST,
    );
    let Some(r) = &wrapper.request else {
        v.check(false, "request", INVALID_REQUEST);
        return v;
    };
    let logo_uri = r.logo_uri.as_deref();
    v.check(not_blank(logo_uri), "request.logoUri", INVALID_URI);
    v.check(java_url(logo_uri), "request.logoUri", INVALID_URI);
    v.list(
        "request.redirectUris",
        &r.redirect_uris,
        (1, 5),
        INVALID_REDIRECT_URI,
        &[not_blank, redirect_url],
    );
    v.list(
        "request.userClaims",
        &r.user_claims,
        (1, 30),
        INVALID_CLAIM,
        &[oidc_claim],
    );
    v.list(
        "request.authContextRefs",
        &r.auth_context_refs,
        (1, 30),
        INVALID_ACR,
        &[auth_context_ref],
    );
    let status = r.status.as_deref();
    v.check(status.is_some(), "request.status", INVALID_STATUS);
    v.check(
        status.is_none_or(|s| s == "ACTIVE" || s == "INACTIVE"),
        "request.status",
        INVALID_STATUS,
    );
    v.list(
        "request.grantTypes",
        &r.grant_types,
        (1, 3),
        INVALID_GRANT_TYPE,
        &[grant_type],
    );
    let client_name = r.client_name.as_deref();
    v.check(
        not_blank(client_name),
        "request.clientName",
        INVALID_CLIENT_NAME,
    );
    v.check(
        at_most(client_name, 256),
        "request.clientName",
        INVALID_CLIENT_NAME,
    );
    v.list(
        "request.clientAuthMethods",
        &r.client_auth_methods,
        (1, 3),
        INVALID_CLIENT_AUTH,
        &[client_auth],
    );
    v
}

/// The create work, after faults and the token check.
fn create(app: &App, headers: &HeaderMap, body: &[u8]) -> Outcome {
    if !is_json(headers) {
        return Outcome::rejected(unsupported_media_type());
    }
    let wrapper: Wrapper<CreateRequest> = match parse(body) {
        Ok(wrapper) => wrapper,
        Err(reply) => return Outcome::rejected(reply),
    };
    let now = OffsetDateTime::now_utc();
    if let Some(reply) = validate_create(&wrapper, now).reply() {
        return Outcome::rejected(reply);
    }
    let Some(r) = wrapper.request else {
        return Outcome::rejected(envelope::esignet_failure(UNKNOWN_ERROR, UNKNOWN_ERROR));
    };
    let fail = |code: &str| Outcome::rejected(envelope::esignet_failure(code, code));
    let client_id = r.client_id.clone().unwrap_or_default();
    let mut store = lock(&app.esignet);
    if store.find_mut(&client_id).is_some() {
        return fail(DUPLICATE_CLIENT_ID);
    }
    let Some((modulus, public_key)) = r.public_key.as_ref().and_then(rsa_public_jwk) else {
        return fail(INVALID_PUBLIC_KEY);
    };
    let logo_uri = r.logo_uri.clone().unwrap_or_default();
    // `save` fails on the unique index on `n` or on a too long column; eSignet maps any
    // `DataIntegrityViolationException` to `duplicate_public_key`.
    if store.clients.iter().any(|c| c.modulus == modulus)
        || logo_uri.chars().count() > LOGO_URI_COLUMN
    {
        return fail(DUPLICATE_PUBLIC_KEY);
    }
    let client = EsignetClient {
        client_id: client_id.clone(),
        client_name: r.client_name.clone().unwrap_or_default(),
        relying_party_id: r.relying_party_id.clone().unwrap_or_default(),
        public_key,
        logo_uri,
        redirect_uris: present(&r.redirect_uris),
        user_claims: present(&r.user_claims),
        auth_context_refs: present(&r.auth_context_refs),
        grant_types: present(&r.grant_types),
        client_auth_methods: present(&r.client_auth_methods),
        status: "ACTIVE".to_owned(),
        created_at: rfc3339(now),
        updated_at: None,
    };
    let detail = json!({
        "clientId": client.client_id,
        "clientName": client.client_name,
        "relyingPartyId": client.relying_party_id,
        "status": client.status,
    });
    store.clients.push(Registered { client, modulus });
    Outcome::done(
        envelope::esignet_ok(json!({"clientId": client_id, "status": "ACTIVE"})),
        client_id,
        detail,
    )
}

/// The update work, after faults and the token check.
fn update(app: &App, client_id: &str, headers: &HeaderMap, body: &[u8]) -> Outcome {
    if !is_json(headers) {
        return Outcome::rejected(unsupported_media_type());
    }
    let wrapper: Wrapper<UpdateRequest> = match parse(body) {
        Ok(wrapper) => wrapper,
        Err(reply) => return Outcome::rejected(reply),
    };
    let now = OffsetDateTime::now_utc();
    if let Some(reply) = validate_update(&wrapper, now).reply() {
        return Outcome::rejected(reply);
    }
    let Some(r) = wrapper.request else {
        return Outcome::rejected(envelope::esignet_failure(UNKNOWN_ERROR, UNKNOWN_ERROR));
    };
    let mut store = lock(&app.esignet);
    let Some(registered) = store.find_mut(client_id) else {
        return Outcome::rejected(envelope::esignet_failure(
            INVALID_CLIENT_ID,
            INVALID_CLIENT_ID,
        ));
    };
    let logo_uri = r.logo_uri.clone().unwrap_or_default();
    if logo_uri.chars().count() > LOGO_URI_COLUMN {
        // Not caught by `updateOIDCClient`: the advice's fallback answers `unknown_error`.
        return Outcome::rejected(envelope::esignet_failure(
            UNKNOWN_ERROR,
            "could not execute statement; value too long for type character varying(2048)",
        ));
    }
    let client = &mut registered.client;
    client.client_name = r.client_name.clone().unwrap_or_default();
    client.logo_uri = logo_uri;
    client.redirect_uris = present(&r.redirect_uris);
    client.user_claims = present(&r.user_claims);
    client.auth_context_refs = present(&r.auth_context_refs);
    client.grant_types = present(&r.grant_types);
    client.client_auth_methods = present(&r.client_auth_methods);
    client.status = r.status.clone().unwrap_or_default();
    client.updated_at = Some(rfc3339(now));
    // The request object with sorted keys, without `requestTime`: equal updates share a key.
    let request = serde_json::from_slice::<Value>(body)
        .map(|v| v["request"].to_string())
        .unwrap_or_default();
    let digest = hex::encode(Sha256::digest(request.as_bytes()));
    let detail = json!({
        "clientId": client.client_id,
        "clientName": client.client_name,
        "status": client.status,
    });
    Outcome::done(
        envelope::esignet_ok(json!({"clientId": client.client_id, "status": client.status})),
        format!("{client_id}:{}", &digest[..16]),
        detail,
    )
}

/// `POST /v1/esignet/client-mgmt/oidc-client`: `{requestTime, request:{clientId, clientName,
/// publicKey, relyingPartyId, userClaims, authContextRefs, logoUri, redirectUris,
/// grantTypes, clientAuthMethods}}` → `{responseTime, response:{clientId, status:"ACTIVE"},
/// errors:[]}`. Fault/ledger operation `esignet.create`; natural effect key = the client id.
pub(crate) async fn create_oidc_client(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let work = async { create(&app, &headers, &body) };
    app.effectful_guarded(
        "esignet",
        "create",
        "",
        Guard::BearerScope("add_oidc_client"),
        &headers,
        work,
    )
    .await
}

/// `PUT /v1/esignet/client-mgmt/oidc-client/{client_id}`: `{requestTime, request:{logoUri,
/// redirectUris, userClaims, authContextRefs, status, grantTypes, clientName,
/// clientAuthMethods}}` replaces those fields → `{responseTime, response:{clientId, status},
/// errors:[]}`. Fault/ledger operation `esignet.update`; natural effect key
/// `<clientId>:<first 16 hex of SHA-256(request object)>` (`requestTime` excluded).
pub(crate) async fn update_oidc_client(
    State(app): State<Arc<App>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let work = async { update(&app, &client_id, &headers, &body) };
    app.effectful_guarded(
        "esignet",
        "update",
        "",
        Guard::BearerScope("update_oidc_client"),
        &headers,
        work,
    )
    .await
}

/// `GET /v1/esignet/oidc/.well-known/openid-configuration`: the deployed discovery document
/// (plain JSON, no token needed), with URLs under the sandbox's base URL. Fault operation
/// `esignet.discovery`.
pub(crate) async fn openid_configuration(State(app): State<Arc<App>>, headers: HeaderMap) -> Reply {
    let issuer = format!("{}/v1/esignet", app.base_url(&headers));
    app.public("esignet", "discovery", async {
        Reply::json(
            StatusCode::OK,
            &json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/oauth/token"),
                "userinfo_endpoint": format!("{issuer}/oidc/userinfo"),
                "jwks_uri": format!("{issuer}/oauth/.well-known/jwks.json"),
                "scopes_supported": ["profile", "email", "phone"],
                "response_types_supported": ["code"],
                "acr_values_supported": DISCOVERY_ACR_VALUES,
                "userinfo_signing_alg_values_supported": ["RS256"],
                "userinfo_encryption_alg_values_supported": ["RSAXXXXX"],
                "userinfo_encryption_enc_values_supported": ["A128GCM"],
                "response_modes_supported": ["query"],
                "token_endpoint_auth_methods_supported": ESIGNET_CLIENT_AUTH_METHODS,
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claim_types_supported": ["normal"],
                "claims_supported": ESIGNET_CLAIMS_SUPPORTED,
                "claims_locales_supported": ["en"],
                "display_values_supported": ["page", "popup", "touch", "wap"],
                "ui_locales_supported": ["en"],
            }),
        )
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls_as_apache_url_validator() {
        for ok in [
            "https://rp.acme.org/callback",
            "http://localhost:3000/**",
            "http://localhost:5000/registration/*",
            "io.mosip.residentapp://oauth",
            "https://fastlane.com/homepage",
            "https://10.0.0.1:8443/cb?x=1#frag",
            "https://user:pw@acme.com/cb",
            "https://[::1]:8080/cb",
            "file:///tmp/cb",
        ] {
            assert!(redirect_url(Some(ok)), "{ok}");
        }
        for bad in [
            "",
            "not a url",
            "/relative/cb",
            "acme.com/cb",
            "mailto:someone@acme.com",
            "https://",
            "https://acme.example/cb",
            "https://rp.test/cb",
            "https://acme.com:99999/cb",
            "https://acme.com//cb",
            "https://acme .com/cb",
            "https://-acme.com/cb",
            "1https://acme.com/cb",
            "https://acme.123/cb",
        ] {
            assert!(!redirect_url(Some(bad)), "{bad}");
        }
        assert!(!redirect_url(None));
    }

    #[test]
    fn logo_urls_as_java_net_url() {
        for ok in [
            "https://acme.example/logo.png",
            "http:logo",
            "ftp://files.acme.com/logo.png",
        ] {
            assert!(java_url(Some(ok)), "{ok}");
        }
        assert!(
            java_url(None) && java_url(Some("")),
            "@URL lets null/empty pass"
        );
        for bad in [
            "logo.png",
            "data:image/png;base64,AAAA",
            "https://acme.com:port/logo.png",
            "jar:file:/x.jar",
        ] {
            assert!(!java_url(Some(bad)), "{bad}");
        }
    }

    #[test]
    fn acr_items_split_on_spaces() {
        assert!(auth_context_ref(None));
        assert!(auth_context_ref(Some("mosip:idp:acr:generated-code")));
        assert!(auth_context_ref(Some(
            "mosip:idp:acr:generated-code mosip:idp:acr:biometrics"
        )));
        assert!(auth_context_ref(Some("mosip:idp:acr:biometrics ")));
        assert!(!auth_context_ref(Some("")));
        assert!(!auth_context_ref(Some("mosip:idp:acr:knowledge")));
        assert!(!auth_context_ref(Some(
            "mosip:idp:acr:biometrics  mosip:idp:acr:password"
        )));
    }

    #[test]
    fn ids_and_request_time() {
        assert!(id_format(Some("x3Qn-abc_DEF")));
        assert!(!id_format(Some("has space")));
        assert!(!id_format(Some("  ")));
        assert!(!id_format(None));
        let now = OffsetDateTime::now_utc();
        let fmt = |at: OffsetDateTime| pmsflow_core::envelope::mosip_datetime(at);
        assert!(request_time(Some(&fmt(now)), now));
        assert!(request_time(Some(&fmt(now - Duration::seconds(90))), now));
        assert!(!request_time(Some(&fmt(now - Duration::minutes(3))), now));
        assert!(!request_time(Some(&fmt(now + Duration::minutes(3))), now));
        assert!(!request_time(Some("2025-07-04T10:20:00Z"), now));
        assert!(!request_time(None, now));
    }
}

//! How a MOSIP call's outcome becomes a [`StepFailure`], response redaction, and setup errors.
//!
//! The mapping follows how PMS interprets its callees (mosip-contracts.md §1.2(a), §1.3):
//!
//! | What happened | `code` | class |
//! |---|---|---|
//! | connection error, timeout, unreadable body | `PMS_KKS_001` | retryable |
//! | HTTP 401 (token rejected; the token cache is dropped) | `KER-ATH-401` | retryable |
//! | other non-2xx | body's `errors[0].errorCode`, else `PMS_KKS_001` | [`classify_http_status`] |
//! | 2xx, payload `null`, `errors[0]` present | `errors[0].errorCode` | [`classify_code`](pmsflow_core::failure::classify_code) |
//! | 2xx, payload `null`, no errors | `PMS_PRT_500` (datashare `PMS_DTS_001`) | retryable |
//! | 2xx, empty or non-JSON body | `PMS_PRT_107` | retryable |
//!
//! Bodies kept in [`StepFailure::response`] are passed through [`redact`] first.

use pmsflow_core::failure::{classify_http_status, ErrorClass, StepFailure};
pub use pmsflow_core::redact::redact;
use std::time::Duration;

use super::envelope::{errors_field, parse_json, ErrorsField};

/// Error codes produced or interpreted by the MOSIP clients, so callers can match on them.
pub mod codes {
    /// PMS's code for an unreachable API or a non-2xx answer without a MOSIP error (§1.2(a)).
    pub const API_NOT_ACCESSIBLE: &str = pmsflow_core::codes::PMS_KKS_001.code;
    /// PMS's code for an empty or unreadable response body (§1.3).
    pub const NULL_RESPONSE: &str = pmsflow_core::codes::PMS_PRT_107.code;
    /// PMS's code for a `null` payload without errors (§1.3).
    pub const UNABLE_TO_PROCESS: &str = pmsflow_core::codes::PMS_PRT_500.code;
    /// PMS's code for a `null` datashare payload without errors (§2.3).
    pub const DATASHARE_NULL: &str = pmsflow_core::codes::PMS_DTS_001.code;
    /// Kernel auth adapter: token missing, invalid or expired (§1.2).
    pub const AUTH_FAILED: &str = pmsflow_core::codes::KER_ATH_401.code;
    /// Keymanager: the CA certificate is already in the store (§2.2.1); the client reports it as done.
    pub const CA_ALREADY_EXISTS: &str = pmsflow_core::codes::KER_PCM_003.code;
    /// Keymanager: the same other-domain certificate was uploaded before (§2.2.3); reported as done.
    pub const OTHER_DOMAIN_ALREADY_EXISTS: &str = pmsflow_core::codes::KER_KMS_035.code;
    /// Kernel WebSub client: topic registration failed (§2.4).
    pub const WEBSUB_REGISTER_FAILED: &str = pmsflow_core::codes::KER_WSC_101.code;
    /// Kernel WebSub client: publish failed (§2.4).
    pub const WEBSUB_PUBLISH_FAILED: &str = pmsflow_core::codes::KER_WSC_103.code;
    /// pmsflow: the caller passed an argument that cannot be sent (empty id, an effect key that
    /// is not a valid header value). Permanent: retrying the same input cannot help.
    pub const BAD_INPUT: &str = pmsflow_core::codes::PMSFLOW_BAD_INPUT.code;
}

/// The message PMS attaches to `PMS_KKS_001`.
pub(crate) const API_NOT_ACCESSIBLE_MSG: &str =
    "Error while accessing the API.Please check the logs.";

/// Errors while building the clients (configuration problems, found once at startup).
#[derive(Debug, thiserror::Error)]
pub enum MosipSetupError {
    /// A configured base URL does not parse, is not `http`/`https`, or cannot take a path.
    /// The URL itself is not repeated, in case it carries credentials.
    #[error("invalid {name} URL: {reason}")]
    InvalidUrl {
        /// Which endpoint (`keymanager_url`, `websub_url`, ...).
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// [`ClientSettings::timeout`](super::ClientSettings::timeout) is zero.
    #[error("the call timeout must be greater than zero")]
    ZeroTimeout,
    /// reqwest could not build the HTTP client (TLS backend initialisation).
    #[error("could not build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

/// A callee's answer: status, headers and raw body bytes (capped, see `http::MAX_BODY_BYTES`).
#[derive(Debug, Clone)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    /// The body as text with tokens and secrets redacted, or `None` when it is empty.
    pub(crate) fn redacted_body(&self) -> Option<String> {
        if self.body.is_empty() {
            return None;
        }
        Some(redact(&String::from_utf8_lossy(&self.body)))
    }
}

/// Transport failure (connect, TLS, timeout, body read): retryable `PMS_KKS_001`.
pub(crate) fn transport(error: &reqwest::Error, timeout: Duration) -> StepFailure {
    if error.is_timeout() {
        StepFailure::retryable(
            codes::API_NOT_ACCESSIBLE,
            format!(
                "{API_NOT_ACCESSIBLE_MSG} (timeout after {} ms)",
                timeout.as_millis()
            ),
        )
    } else {
        StepFailure::retryable(codes::API_NOT_ACCESSIBLE, API_NOT_ACCESSIBLE_MSG)
    }
}

/// Empty or unreadable body: retryable `PMS_PRT_107` (message overridable for shape errors).
pub(crate) fn null_response(message: Option<&str>) -> StepFailure {
    StepFailure::retryable(
        codes::NULL_RESPONSE,
        message.unwrap_or("Responese from the api is null"),
    )
}

/// `null` payload and no errors: retryable `PMS_PRT_500`.
pub(crate) fn unable_to_process() -> StepFailure {
    StepFailure::retryable(codes::UNABLE_TO_PROCESS, "Unable to process the request.")
}

/// `null` datashare payload and no errors: retryable `PMS_DTS_001`.
pub(crate) fn datashare_null() -> StepFailure {
    StepFailure::retryable(codes::DATASHARE_NULL, "DataShare response is null")
}

/// An argument that cannot be sent: permanent [`codes::BAD_INPUT`].
pub(crate) fn bad_input(message: impl Into<String>) -> StepFailure {
    StepFailure::permanent(codes::BAD_INPUT, message)
}

/// HTTP 401: retryable `KER-ATH-401` (the caller has already dropped the cached token).
pub(crate) fn unauthorized(raw: &RawResponse) -> StepFailure {
    let message = match parse_json(&raw.body).map(|b| errors_field(&b)) {
        Some(ErrorsField::First(first)) if !first.message.is_empty() => first.message,
        _ => "Authentication Failed".to_owned(),
    };
    StepFailure::retryable(codes::AUTH_FAILED, message)
        .with_response(raw.status, raw.redacted_body())
}

/// Any other non-2xx answer: class from the status, code from the body's `errors[0]` when the
/// body is a MOSIP envelope, else `PMS_KKS_001`.
pub(crate) fn http_status(raw: &RawResponse) -> StepFailure {
    let (code, message) = match parse_json(&raw.body).map(|b| errors_field(&b)) {
        Some(ErrorsField::First(first)) => {
            let message = if first.message.is_empty() {
                API_NOT_ACCESSIBLE_MSG.to_owned()
            } else {
                first.message
            };
            (first.code, message)
        }
        _ => (
            codes::API_NOT_ACCESSIBLE.to_owned(),
            API_NOT_ACCESSIBLE_MSG.to_owned(),
        ),
    };
    let failure = match classify_http_status(raw.status) {
        ErrorClass::Retryable => StepFailure::retryable(code, message),
        ErrorClass::Permanent => StepFailure::permanent(code, message),
    };
    failure.with_response(raw.status, raw.redacted_body())
}

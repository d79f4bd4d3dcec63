//! Step failures and their classification.
//!
//! Every attempt of a step that does not succeed ends in a [`StepFailure`]. The engine decides
//! from its [`ErrorClass`] whether to retry (with backoff, within the attempt budget) or to fail
//! the run at once (DESIGN.md §2): timeouts, connection errors, HTTP 5xx and transient MOSIP
//! codes are retryable; validation errors, HTTP 4xx and MOSIP business errors that will not
//! change on retry are permanent.

use serde::{Deserialize, Serialize};

/// Whether retrying a failed attempt can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// A later attempt may succeed (timeout, connection refused, HTTP 5xx, `*-500` codes).
    Retryable,
    /// No later attempt will succeed (bad certificate, 4xx, KER-PCM-008 ...): fail the run.
    Permanent,
}

/// The outcome of a failed attempt, as stored in `step_attempt` and shown to operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct StepFailure {
    /// Retry or not.
    pub class: ErrorClass,
    /// A MOSIP error code (`KER-PCM-006`, `PMS_PRT_005`, `DAT-SER-002`) or one of pmsflow's
    /// transport codes (`PMS_KKS_001` for an unreachable service, `PMS_PRT_107` for an empty body).
    pub code: String,
    /// Human-readable reason (the callee's message, verbatim where MOSIP defines one).
    pub message: String,
    /// HTTP status of the callee's answer, when there was one.
    pub http_status: Option<u16>,
    /// The callee's response body, truncated to 2 KiB, with tokens and secrets redacted.
    pub response: Option<String>,
}

impl StepFailure {
    /// A retryable failure with the given code and message.
    pub fn retryable(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Retryable, code, message)
    }

    /// A permanent failure with the given code and message.
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Permanent, code, message)
    }

    /// A failure whose class follows [`classify_code`].
    pub fn from_code(code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        Self::new(classify_code(&code), code, message)
    }

    fn new(class: ErrorClass, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            class,
            code: code.into(),
            message: message.into(),
            http_status: None,
            response: None,
        }
    }

    /// Attach the HTTP status and (already redacted) response body of the callee.
    pub fn with_response(mut self, http_status: u16, body: Option<String>) -> Self {
        self.http_status = Some(http_status);
        self.response = body.map(|b| truncate(&b, 2048));
        self
    }

    /// `true` when the engine may try again.
    pub fn is_retryable(&self) -> bool {
        self.class == ErrorClass::Retryable
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// MOSIP error codes that are transient even though they arrive as business errors with HTTP 200:
/// the callee's own internal failure or a dependency it could not reach.
const TRANSIENT_CODES: &[&str] = &[
    "PMS_KKS_001",   // API not accessible (transport)
    "PMS_PRT_107",   // response from the API is null
    "PMS_PRT_500",   // unable to process the request
    "PMS_DTS_001",   // datashare response is null
    "DAT-SER-002",   // datashare: API not accessible
    "DAT-SER-004",   // datashare: URL creation failed
    "DAT-SER-005",   // datashare: signature failed
    "DAT-SER-007",   // datashare: policy fetch failed
    "KER-WSC-101",   // websub register failed
    "KER-WSC-103",   // websub publish failed
    "KER-NOE-004",   // notifier: mail send failed
    "KER-NOE-006",   // notifier: mail error
    "KER-ATH-401",   // our service token expired between fetch and use
    "KER-PCM-002",   // thumbprint / P7B build error inside keymanager
    "KER-PCM-009",   // no unique alias (keymanager key store busy)
    "unknown_error", // eSignet: its own internal failure
];

/// Classify a MOSIP error code: `*-500` / `*_500` codes, the bare `500` of authmanager's
/// generic handler and a list of transient codes (datashare, WebSub, notifier, PMS transport) are retryable; every other code (validation,
/// certificate rules, missing entities) is permanent.
pub fn classify_code(code: &str) -> ErrorClass {
    if code == "500"
        || code.ends_with("-500")
        || code.ends_with("_500")
        || TRANSIENT_CODES.contains(&code)
    {
        ErrorClass::Retryable
    } else {
        ErrorClass::Permanent
    }
}

/// Classify an HTTP status that was not a success: 408, 425, 429 and 5xx are retryable, other
/// 4xx are permanent.
pub fn classify_http_status(status: u16) -> ErrorClass {
    match status {
        408 | 425 | 429 | 500..=599 => ErrorClass::Retryable,
        _ => ErrorClass::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_codes_are_permanent_and_internal_ones_retryable() {
        assert_eq!(classify_code("KER-PCM-008"), ErrorClass::Permanent);
        assert_eq!(classify_code("KER-PCM-006"), ErrorClass::Permanent);
        assert_eq!(classify_code("KER-KMS-500"), ErrorClass::Retryable);
        assert_eq!(classify_code("DAT-SER-002"), ErrorClass::Retryable);
        assert_eq!(classify_code("PMS_PRT_500"), ErrorClass::Retryable);
        assert_eq!(classify_code("500"), ErrorClass::Retryable);
    }

    #[test]
    fn http_statuses() {
        assert_eq!(classify_http_status(503), ErrorClass::Retryable);
        assert_eq!(classify_http_status(429), ErrorClass::Retryable);
        assert_eq!(classify_http_status(400), ErrorClass::Permanent);
        assert_eq!(classify_http_status(404), ErrorClass::Permanent);
    }

    #[test]
    fn response_is_truncated_on_a_char_boundary() {
        let f = StepFailure::retryable("X", "y").with_response(500, Some("é".repeat(2000)));
        assert!(f.response.unwrap().len() <= 2048 + "…".len());
    }
}

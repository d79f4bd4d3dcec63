//! MOSIP kernel request/response envelopes and the MOSIP date format (mosip-contracts.md §1.3, §1.4).
//!
//! Requests go out as the kernel `RequestWrapper` (`id`, `version`, `requesttime`, `metadata`,
//! `request`); answers come back as a `ResponseWrapper` whose payload sits under `response`
//! (datashare: `dataShare`) and whose business errors sit in `errors[]`. This module only shapes
//! and reads JSON; turning an answer into a [`StepFailure`] follows the rules in
//! [`decode_payload`].

use pmsflow_core::failure::StepFailure;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::errors::{self, RawResponse};

pub(crate) use pmsflow_core::envelope::{
    mosip_datetime, serialize_mosip_datetime, RequestWrapper as RequestEnvelope,
};

/// The first entry of a response's `errors[]`: `errorCode` and `message` (eSignet: `errorMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FirstError {
    pub(crate) code: String,
    pub(crate) message: String,
}

/// What the `errors` member of a parsed body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ErrorsField {
    /// `errors` is absent, `null` or `[]`.
    Empty,
    /// `errors[0]` has an `errorCode`.
    First(FirstError),
    /// `errors` is non-empty but its first entry has no usable `errorCode`.
    Malformed,
}

/// Reads `errors[0]` of a JSON body.
pub(crate) fn errors_field(body: &Value) -> ErrorsField {
    let Some(list) = body.get("errors").and_then(Value::as_array) else {
        return ErrorsField::Empty;
    };
    let Some(first) = list.first() else {
        return ErrorsField::Empty;
    };
    let Some(code) = first.get("errorCode").and_then(Value::as_str) else {
        return ErrorsField::Malformed;
    };
    let message = first
        .get("message")
        .or_else(|| first.get("errorMessage"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    ErrorsField::First(FirstError {
        code: code.to_owned(),
        message: message.to_owned(),
    })
}

/// Parses a body as JSON, or `None` when it is empty or not JSON.
pub(crate) fn parse_json(body: &[u8]) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// Decodes the payload under `key` of a successful (2xx) answer, with PMS's rules (§1.3):
///
/// - empty or non-JSON body (or not a JSON object) → retryable `PMS_PRT_107`;
/// - payload present → deserialised into `T` (a payload of the wrong shape → retryable
///   `PMS_PRT_107` with the decoding error as message);
/// - payload `null`/absent and `errors[0]` present → [`StepFailure::from_code`] with the callee's
///   code and message;
/// - payload `null`/absent and no errors → `on_null()` (`PMS_PRT_500`, datashare `PMS_DTS_001`).
///
/// Every failure carries the HTTP status and the redacted body.
pub(crate) fn decode_payload<T: DeserializeOwned>(
    raw: &RawResponse,
    key: &str,
    on_null: fn() -> StepFailure,
) -> Result<T, StepFailure> {
    let Some(body) = parse_json(&raw.body).filter(Value::is_object) else {
        return Err(errors::null_response(None).with_response(raw.status, raw.redacted_body()));
    };
    match body.get(key) {
        Some(payload) if !payload.is_null() => T::deserialize(payload).map_err(|e| {
            errors::null_response(Some(&format!(
                "Unexpected shape of `{key}` in the response: {e}"
            )))
            .with_response(raw.status, raw.redacted_body())
        }),
        _ => Err(match errors_field(&body) {
            ErrorsField::First(first) => StepFailure::from_code(first.code, first.message),
            ErrorsField::Empty | ErrorsField::Malformed => on_null(),
        }
        .with_response(raw.status, raw.redacted_body())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn envelope_nulls_and_time() {
        let v = serde_json::to_value(RequestEnvelope::timed(
            serde_json::json!({"a": 1}),
            datetime!(2025-01-02 03:04:05 UTC),
        ))
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id":null,"version":null,"requesttime":"2025-01-02T03:04:05.000Z",
                               "metadata":null,"request":{"a":1}})
        );
    }

    #[test]
    fn errors_field_variants() {
        use serde_json::json;
        assert_eq!(errors_field(&json!({"errors": null})), ErrorsField::Empty);
        assert_eq!(errors_field(&json!({"errors": []})), ErrorsField::Empty);
        assert_eq!(
            errors_field(&json!({"errors": [{}]})),
            ErrorsField::Malformed
        );
        assert_eq!(
            errors_field(
                &json!({"errors": [{"errorCode": "invalid_request", "errorMessage": "m"}]})
            ),
            ErrorsField::First(FirstError {
                code: "invalid_request".into(),
                message: "m".into()
            })
        );
    }
}

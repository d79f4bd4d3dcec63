//! MOSIP request/response envelopes and the MOSIP date format.
//!
//! Kernel `RequestWrapper` / `ResponseWrapper` (mosip-contracts.md §1.3): requests are
//! `{id, version, requesttime, metadata, request}`, responses
//! `{id, version, responsetime, metadata, response, errors}`; PMS answers business errors with
//! HTTP 200, `response: null` and `errors: [{errorCode, message}]`.

use serde::{Deserialize, Serialize};
use time::{format_description::FormatItem, macros::format_description, OffsetDateTime};

/// MOSIP's `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (`mosip.utc-datetime-pattern`); `Z` is a literal.
pub const MOSIP_DATETIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Format an instant in MOSIP's pattern, in UTC.
pub fn mosip_datetime(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(MOSIP_DATETIME)
        .unwrap_or_default()
}

/// Serialise a time with [`mosip_datetime`] (for `#[serde(serialize_with)]`).
pub fn serialize_mosip_datetime<S: serde::Serializer>(
    at: &OffsetDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&mosip_datetime(*at))
}

/// One MOSIP error: `{errorCode, message}` (`ServiceError`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceError {
    /// e.g. `PMS_PRT_005`, `KER-PCM-006`.
    pub error_code: String,
    /// The verbatim message of mosip-pms.md §5.
    pub message: String,
}

impl ServiceError {
    /// Build an error from a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error_code: code.into(),
            message: message.into(),
        }
    }
}

/// Kernel request envelope; `T` is the `request` payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestWrapper<T> {
    /// Request id, e.g. `mosip.partnermanagement.partners.create`; PMS does not check it.
    #[serde(default)]
    pub id: Option<String>,
    /// API version, e.g. `1.0`.
    #[serde(default)]
    pub version: Option<String>,
    /// Client time in MOSIP's format; PMS does not check it.
    #[serde(default)]
    pub requesttime: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// The payload.
    pub request: T,
}

impl<T> RequestWrapper<T> {
    /// The envelope as PMS sends it: `id`, `version`, `metadata` and `requesttime` null.
    pub fn new(request: T) -> Self {
        Self {
            id: None,
            version: None,
            requesttime: None,
            metadata: None,
            request,
        }
    }

    /// As [`new`](Self::new), with `requesttime` = `at` in MOSIP's format (CA upload).
    pub fn timed(request: T, at: OffsetDateTime) -> Self {
        Self {
            requesttime: Some(mosip_datetime(at)),
            ..Self::new(request)
        }
    }
}

/// Kernel response envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseWrapper<T> {
    /// Echo of the request id (null for GET).
    pub id: Option<String>,
    /// Echo of the request version.
    pub version: Option<String>,
    /// Server time in MOSIP's format.
    pub responsetime: String,
    /// Always null in PMS.
    pub metadata: Option<serde_json::Value>,
    /// The payload, or null on error.
    pub response: Option<T>,
    /// The errors; an empty list on success, as PMS 1.2.0.1's `ResponseWrapper` starts with
    /// one (MOSIP's portal reads `errors.length`). Null from services that send null.
    pub errors: Option<Vec<ServiceError>>,
}

impl<T> ResponseWrapper<T> {
    /// A success envelope.
    pub fn ok(
        id: Option<String>,
        version: Option<String>,
        response: T,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            version,
            responsetime: mosip_datetime(now),
            metadata: None,
            response: Some(response),
            errors: Some(Vec::new()),
        }
    }

    /// An error envelope (sent with HTTP 200 on PMS paths).
    pub fn error(
        id: Option<String>,
        version: Option<String>,
        errors: Vec<ServiceError>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            version,
            responsetime: mosip_datetime(now),
            metadata: None,
            response: None,
            errors: Some(errors),
        }
    }
}

/// PMS's bean-validation error (`@NotBlank`, `@Size`...): `PMS_COR_001`
/// "Invalid request parameter - {msg} :{field}".
pub fn invalid_parameter(field: &str, msg: &str) -> ServiceError {
    ServiceError::new(
        "PMS_COR_001",
        format!("Invalid request parameter - {msg} :{field}"),
    )
}

/// PMS's status words `Active` / `De-active` (any case) as an active flag; `None` for any
/// other word, which each endpoint answers with its own code (`PMS_PM_058`, `PMS_MSP_407`,
/// `PMS_POL_045`).
pub fn active_flag(status: &str) -> Option<bool> {
    if status.eq_ignore_ascii_case("active") {
        Some(true)
    } else if status.eq_ignore_ascii_case("de-active") {
        Some(false)
    } else {
        None
    }
}

/// `@NotBlank @Size(min, max)` on `field`: at least `min` non-blank characters and at most
/// `max` characters, else [`invalid_parameter`].
pub fn check_size(value: &str, field: &str, min: usize, max: usize) -> Result<(), ServiceError> {
    let len = value.trim().chars().count();
    if len < min || value.chars().count() > max {
        return Err(invalid_parameter(
            field,
            &format!("size must be between {min} and {max}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_like_mosip() {
        assert_eq!(
            mosip_datetime(datetime!(2025-07-04 10:11:12.3456 UTC)),
            "2025-07-04T10:11:12.345Z"
        );
        assert_eq!(
            mosip_datetime(datetime!(2025-07-04 15:41:12 +05:30)),
            "2025-07-04T10:11:12.000Z"
        );
    }
}

//! The PMS envelope of every PMS-compatible handler: parsing `{id, version, requesttime,
//! metadata, request}` bodies (a malformed one is `PMS_COR_001`, as PMS answers) and building
//! `{id, version, responsetime, metadata, response, errors}` answers
//! (`pmsflow_core::envelope`, kernel `RequestWrapper` / `ResponseWrapper`).

use axum::Json;
use pmsflow_core::codes;
use pmsflow_core::envelope::{RequestWrapper, ResponseWrapper};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::PmsError;

/// Answer of a PMS-compatible handler.
pub(crate) type PmsResult = Result<Json<ResponseWrapper<Value>>, PmsError>;

/// A success envelope.
pub(crate) fn ok(id: Option<String>, version: Option<String>, body: Value) -> PmsResult {
    Ok(Json(ResponseWrapper::ok(
        id,
        version,
        body,
        OffsetDateTime::now_utc(),
    )))
}

/// Parse the envelope ourselves so a malformed body is a PMS error, not an axum 4xx.
pub(crate) fn envelope<T: for<'de> Deserialize<'de>>(
    body: &[u8],
) -> Result<RequestWrapper<T>, PmsError> {
    serde_json::from_slice(body).map_err(|e| {
        PmsError::new(
            codes::PMS_COR_001,
            format!("Invalid request parameter - {e} :request"),
        )
    })
}

/// A required text field of at most `max` characters, as PMS's `@NotBlank @Size` answer it:
/// `PMS_COR_001` "Invalid request parameter - value is empty or null :request.{field}" or
/// "... - Length should be in between 1 and {max} chars :request.{field}". The trimmed value.
pub(crate) fn required<'a>(
    value: &'a Option<String>,
    field: &str,
    max: usize,
) -> Result<&'a str, PmsError> {
    let path = format!("request.{field}");
    match value.as_deref().map(str::trim) {
        None | Some("") => {
            Err(pmsflow_core::envelope::invalid_parameter(&path, "value is empty or null").into())
        }
        Some(v) if v.chars().count() > max => Err(pmsflow_core::envelope::invalid_parameter(
            &path,
            &format!("Length should be in between 1 and {max} chars"),
        )
        .into()),
        Some(v) => Ok(v),
    }
}

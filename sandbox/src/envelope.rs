//! MOSIP wire shapes (mosip-contracts.md §1.3, §1.4): the kernel `ResponseWrapper`, the
//! datashare envelope, the WebSub form answers, and the `Reply` value every handler returns
//! so that a response can be stored and replayed byte for byte.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pmsflow_core::codes;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `application/json`.
pub(crate) const JSON: &str = "application/json";
/// `application/x-www-form-urlencoded` (WebSub hub answers).
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";
/// `application/octet-stream` (datashare downloads).
pub(crate) const OCTET_STREAM: &str = "application/octet-stream";

pub use pmsflow_core::envelope::mosip_datetime as mosip_timestamp;

/// RFC 3339 rendering used for the sandbox's own records (ledger, recorded calls).
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// A complete HTTP answer held as data: cloneable, storable for idempotent replay.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// A JSON body with the given status.
    pub(crate) fn json(status: StatusCode, body: &Value) -> Reply {
        Reply {
            status,
            content_type: JSON,
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    /// HTTP 200, `application/x-www-form-urlencoded`.
    pub(crate) fn form(body: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: FORM,
            headers: Vec::new(),
            body: body.into_bytes(),
        }
    }

    /// HTTP 200 with raw bytes.
    pub(crate) fn bytes(body: Vec<u8>) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: OCTET_STREAM,
            headers: Vec::new(),
            body,
        }
    }

    /// Adds a response header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// True for a 2xx status.
    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// `id` and `version` of a kernel request, echoed in the response (`ResponseFilter`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Echo {
    pub(crate) id: Value,
    pub(crate) version: Value,
}

impl Echo {
    /// Reads `id`/`version` from a parsed `RequestWrapper` (JSON `null` when absent).
    pub(crate) fn of(request: &Value) -> Echo {
        Echo {
            id: request.get("id").cloned().unwrap_or(Value::Null),
            version: request.get("version").cloned().unwrap_or(Value::Null),
        }
    }

    /// Fixed `id`/`version` strings (e.g. the auditmanager's `mosip.kernel.auditmanager.addAudit`).
    pub(crate) fn fixed(id: &str, version: &str) -> Echo {
        Echo {
            id: Value::String(id.to_owned()),
            version: Value::String(version.to_owned()),
        }
    }
}

/// Kernel `ResponseWrapper` success: HTTP 200, `errors: null`.
pub(crate) fn kernel_ok(echo: &Echo, response: Value) -> Reply {
    Reply::json(
        StatusCode::OK,
        &json!({
            "id": echo.id,
            "version": echo.version,
            "responsetime": mosip_timestamp(OffsetDateTime::now_utc()),
            "metadata": null,
            "response": response,
            "errors": null,
        }),
    )
}

/// Kernel `ResponseWrapper` failure with `response: null` and one `ServiceError`; MOSIP
/// answers business failures with HTTP 200 and unexpected ones with 500.
pub(crate) fn kernel_error(status: StatusCode, echo: &Echo, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "id": echo.id,
            "version": echo.version,
            "responsetime": mosip_timestamp(OffsetDateTime::now_utc()),
            "metadata": null,
            "response": null,
            "errors": [{"errorCode": code, "message": message}],
        }),
    )
}

/// HTTP 200 business failure in the kernel envelope.
pub(crate) fn kernel_failure(echo: &Echo, code: &str, message: &str) -> Reply {
    kernel_error(StatusCode::OK, echo, code, message)
}

/// The auth adapter's answer to a missing or invalid token: HTTP 401, `KER-ATH-401`.
pub(crate) fn unauthenticated() -> Reply {
    kernel_error(
        StatusCode::UNAUTHORIZED,
        &Echo::default(),
        codes::KER_ATH_401.code,
        codes::KER_ATH_401.message,
    )
}

/// Datashare's own envelope (`dataShare` instead of `response`), success.
pub(crate) fn datashare_ok(data_share: Value) -> Reply {
    Reply::json(
        StatusCode::OK,
        &json!({
            "id": "mosip.data.share",
            "version": "1.0",
            "responsetime": mosip_timestamp(OffsetDateTime::now_utc()),
            "dataShare": data_share,
            "errors": null,
        }),
    )
}

/// Datashare's envelope, failure: HTTP 200, `dataShare: null`.
pub(crate) fn datashare_error(code: &str, message: &str) -> Reply {
    Reply::json(
        StatusCode::OK,
        &json!({
            "id": "mosip.data.share",
            "version": "1.0",
            "responsetime": mosip_timestamp(OffsetDateTime::now_utc()),
            "dataShare": null,
            "errors": [{"errorCode": code, "message": message}],
        }),
    )
}

/// eSignet's `ResponseWrapper` success (mosip-contracts.md §1.3 "Exceptions"): HTTP 200,
/// `{responseTime, response, errors: []}` — no `id`/`version`/`metadata`.
pub(crate) fn esignet_ok(response: Value) -> Reply {
    Reply::json(
        StatusCode::OK,
        &json!({
            "responseTime": mosip_timestamp(OffsetDateTime::now_utc()),
            "response": response,
            "errors": [],
        }),
    )
}

/// eSignet's failure envelope (`ExceptionHandlerAdvice.handleInternalControllerException`):
/// `{responseTime, response: null, errors: [{errorCode, errorMessage}, …]}`; business and
/// validation failures use HTTP 200, authentication 401, authorization 403.
pub(crate) fn esignet_errors(status: StatusCode, errors: &[(String, String)]) -> Reply {
    let errors: Vec<Value> = errors
        .iter()
        .map(|(code, message)| json!({"errorCode": code, "errorMessage": message}))
        .collect();
    Reply::json(
        status,
        &json!({
            "responseTime": mosip_timestamp(OffsetDateTime::now_utc()),
            "response": null,
            "errors": errors,
        }),
    )
}

/// One eSignet error with HTTP 200.
pub(crate) fn esignet_failure(code: &str, message: &str) -> Reply {
    esignet_errors(StatusCode::OK, &[(code.to_owned(), message.to_owned())])
}

/// WebSub `hub.mode=accepted`.
pub(crate) fn hub_accepted() -> Reply {
    Reply::form("hub.mode=accepted".to_owned())
}

/// WebSub `hub.mode=denied&hub.topic=…&hub.reason=…`, form-encoded (parse it by key).
pub(crate) fn hub_denied(topic: &str, reason: &str) -> Reply {
    let body = serde_urlencoded::to_string([
        ("hub.mode", "denied"),
        ("hub.topic", topic),
        ("hub.reason", reason),
    ])
    .unwrap_or_else(|_| "hub.mode=denied".to_owned());
    Reply::form(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denied_body_is_form_encoded() {
        let reply = hub_denied(
            "PARTNER_UPDATED",
            "Topic has already registered with the Hub",
        );
        let body = String::from_utf8(reply.body).expect("utf8");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("form");
        assert_eq!(
            pairs,
            vec![
                ("hub.mode".to_owned(), "denied".to_owned()),
                ("hub.topic".to_owned(), "PARTNER_UPDATED".to_owned()),
                (
                    "hub.reason".to_owned(),
                    "Topic has already registered with the Hub".to_owned()
                ),
            ]
        );
    }
}

//! Auditmanager `POST /v1/auditmanager/audits` (mosip-contracts.md §2.7): validates the
//! request like the callee's bean validation and records it.

use pmsflow_core::codes;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::format_description::well_known::Iso8601;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::envelope::{self, rfc3339, Echo, Reply};
use crate::gate::Outcome;
use crate::{lock, App};

/// Required fields and their maximum lengths (auditmanager's `AuditRequestDto`).
const REQUIRED: &[(&str, usize)] = &[
    ("eventId", 64),
    ("eventName", 128),
    ("eventType", 64),
    ("actionTimeStamp", 64),
    ("hostName", 128),
    ("hostIp", 256),
    ("applicationId", 64),
    ("applicationName", 128),
    ("sessionUserId", 256),
    ("createdBy", 256),
];
/// Optional fields and their maximum lengths.
const OPTIONAL: &[(&str, usize)] = &[
    ("sessionUserName", 128),
    ("id", 64),
    ("idType", 64),
    ("moduleName", 128),
    ("moduleId", 64),
    ("description", 2048),
];

const INVALID: (&str, &str) = (codes::KER_AUD_001.code, codes::KER_AUD_001.message);
const BAD_FORMAT: (&str, &str) = (codes::KER_AUD_002.code, codes::KER_AUD_002.message);

/// One accepted audit row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedAudit {
    /// 1-based order of audits in this sandbox.
    pub seq: u64,
    /// The `request` object as received.
    pub request: Value,
    /// When it was recorded, RFC 3339.
    pub at: String,
}

/// `actionTimeStamp` is a `LocalDateTime`: ISO-8601 with or without a zone/`Z`.
fn valid_timestamp(text: &str) -> bool {
    OffsetDateTime::parse(text, &Iso8601::DEFAULT).is_ok()
        || PrimitiveDateTime::parse(text, &Iso8601::DEFAULT).is_ok()
        || PrimitiveDateTime::parse(text.trim_end_matches('Z'), &Iso8601::DEFAULT).is_ok()
}

/// Checks the request; `Err((code, message))` on the first problem.
fn validate(request: &Value) -> Result<(), (&'static str, &'static str)> {
    if !request.is_object() {
        return Err(INVALID);
    }
    for (name, max) in REQUIRED {
        match request.get(*name).and_then(Value::as_str) {
            Some(value) if !value.trim().is_empty() && value.chars().count() <= *max => {}
            _ => return Err(INVALID),
        }
    }
    for (name, max) in OPTIONAL {
        match request.get(*name) {
            None | Some(Value::Null) => {}
            Some(Value::String(value)) if value.chars().count() <= *max => {}
            _ => return Err(INVALID),
        }
    }
    let timestamp = request
        .get("actionTimeStamp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !valid_timestamp(timestamp) {
        return Err(BAD_FORMAT);
    }
    Ok(())
}

/// `POST /v1/auditmanager/audits`. Success: `{"id":"mosip.kernel.auditmanager.addAudit",
/// "version":"1.0",…,"response":{"status":true},"errors":null}`; invalid: `KER-AUD-001` /
/// `KER-AUD-002` (HTTP 200).
pub(crate) async fn add_audit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let work = async {
        let echo = Echo::fixed("mosip.kernel.auditmanager.addAudit", "1.0");
        let request = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("request").cloned())
            .unwrap_or(Value::Null);
        if let Err((code, message)) = validate(&request) {
            return Outcome::rejected(envelope::kernel_failure(&echo, code, message));
        }
        let field = |name: &str| {
            request
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let key = format!(
            "{}:{}:{}",
            field("eventId"),
            field("id"),
            field("actionTimeStamp")
        );
        let detail = json!({"eventId": field("eventId"), "eventName": field("eventName"), "id": field("id")});
        let mut audits = lock(&app.audits);
        let seq = audits.len() as u64 + 1;
        audits.push(RecordedAudit {
            seq,
            request,
            at: rfc3339(OffsetDateTime::now_utc()),
        });
        Outcome::done(
            envelope::kernel_ok(&echo, json!({"status": true})),
            key,
            detail,
        )
    };
    app.effectful("audit", "addAudit", "", &headers, work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({"eventId":"PMS_PRT_203","eventName":"POST UPLOADING PARTNER CERT","eventType":"SYSTEM",
               "actionTimeStamp":"2025-07-04T10:12:01.300Z","hostName":"pms-partner-7d9c","hostIp":"10.42.0.17",
               "applicationId":"Partner management portal","applicationName":"10002","sessionUserId":"partner-user-1",
               "sessionUserName":"partner-user-1","id":"mpartner-auth-1","idType":"partnerId","createdBy":"partner-user-1",
               "moduleName":"Partner Management Service","moduleId":"PMS_PRT","description":"Uploading Partner cert success"})
    }

    #[test]
    fn contract_sample_is_valid() {
        assert_eq!(validate(&sample()), Ok(()));
        let mut local = sample();
        local["actionTimeStamp"] = json!("2025-07-04T10:12:01.300");
        assert_eq!(validate(&local), Ok(()));
    }

    #[test]
    fn missing_long_or_badly_formatted_fields() {
        let mut missing = sample();
        missing.as_object_mut().map(|m| m.remove("hostIp"));
        assert_eq!(validate(&missing), Err(INVALID));
        let mut long = sample();
        long["eventId"] = json!("x".repeat(65));
        assert_eq!(validate(&long), Err(INVALID));
        let mut date = sample();
        date["actionTimeStamp"] = json!("yesterday");
        assert_eq!(validate(&date), Err(BAD_FORMAT));
        assert_eq!(validate(&Value::Null), Err(INVALID));
    }
}

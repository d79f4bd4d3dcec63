//! The kernel audit manager (mosip-contracts.md §2.7).

use async_trait::async_trait;
use pmsflow_core::failure::StepFailure;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::envelope::{decode_payload, serialize_mosip_datetime, RequestEnvelope};
use super::errors;
use super::http::{join, MosipHttp};

/// PMS's `applicationId` value. PMS swaps the two constants, so this is the portal's *name*.
const PMS_APPLICATION_ID: &str = "10002";
/// PMS's `applicationName` value.
const PMS_APPLICATION_NAME: &str = "Partner management portal";

/// One audit row, serialised in camelCase as the `request` of `POST /v1/auditmanager/audits`.
///
/// The audit manager requires `eventId` (≤64 chars), `eventName` (≤128), `eventType` (≤64),
/// `actionTimeStamp`, `hostName` (≤128), `hostIp` (≤256), `applicationId` (≤64),
/// `applicationName` (≤128), `sessionUserId` (≤256) and `createdBy` (≤256); `sessionUserName`
/// is 1–128 chars, `id`/`idType` ≤64, `moduleName` ≤128, `moduleId` ≤64, `description` ≤2048.
/// Longer values are rejected by the callee (`KER-AUD-001`), not truncated here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// E.g. `PMS_PRT_203`.
    pub event_id: String,
    /// E.g. `POST UPLOADING PARTNER CERT`.
    pub event_name: String,
    /// PMS: `SYSTEM`.
    pub event_type: String,
    /// When the audited action happened; sent as `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC.
    #[serde(serialize_with = "serialize_mosip_datetime")]
    pub action_time_stamp: OffsetDateTime,
    /// Host name of the process that did the action.
    pub host_name: String,
    /// IP address of that host.
    pub host_ip: String,
    /// PMS sends `"Partner management portal"` here (its constants are swapped; see [`AuditEvent::pms`]).
    pub application_id: String,
    /// PMS sends `"10002"` here.
    pub application_name: String,
    /// The acting user.
    pub session_user_id: String,
    /// The acting user's name (PMS: the user id again).
    pub session_user_name: String,
    /// Id of the audited object, e.g. the partner id.
    pub id: String,
    /// Kind of that id, e.g. `partnerId`.
    pub id_type: String,
    /// Who created the row (PMS: the acting user).
    pub created_by: String,
    /// PMS: `Partner Management Service`.
    pub module_name: String,
    /// PMS: `PMS_PRT`.
    pub module_id: String,
    /// Free text, e.g. `Uploading Partner cert success`.
    pub description: String,
}

/// The variable parts of a PMS audit row, for [`AuditEvent::pms`].
#[derive(Debug, Clone, Copy)]
pub struct PmsAudit<'a> {
    /// E.g. `PMS_PRT_203`.
    pub event_id: &'a str,
    /// E.g. `POST UPLOADING PARTNER CERT`.
    pub event_name: &'a str,
    /// E.g. `Uploading Partner cert success`.
    pub description: &'a str,
    /// The acting user (becomes sessionUserId, sessionUserName and createdBy).
    pub session_user: &'a str,
    /// Id of the audited object (e.g. the partner id).
    pub ref_id: &'a str,
    /// Kind of that id (e.g. `partnerId`).
    pub ref_type: &'a str,
    /// Host name of this process.
    pub host_name: &'a str,
    /// IP address of this host.
    pub host_ip: &'a str,
    /// When the action happened.
    pub now: OffsetDateTime,
}

impl AuditEvent {
    /// A row with the values PMS sends (§2.7): eventType `SYSTEM`, applicationId
    /// `Partner management portal` and applicationName `10002` (PMS's swap, kept so MOSIP reports
    /// look the same), moduleName `Partner Management Service`, moduleId `PMS_PRT`, and the acting
    /// user as sessionUserId, sessionUserName and createdBy.
    pub fn pms(audit: PmsAudit<'_>) -> Self {
        Self {
            event_id: audit.event_id.to_owned(),
            event_name: audit.event_name.to_owned(),
            event_type: "SYSTEM".to_owned(),
            action_time_stamp: audit.now,
            host_name: audit.host_name.to_owned(),
            host_ip: audit.host_ip.to_owned(),
            application_id: PMS_APPLICATION_NAME.to_owned(),
            application_name: PMS_APPLICATION_ID.to_owned(),
            session_user_id: audit.session_user.to_owned(),
            session_user_name: audit.session_user.to_owned(),
            id: audit.ref_id.to_owned(),
            id_type: audit.ref_type.to_owned(),
            created_by: audit.session_user.to_owned(),
            module_name: "Partner Management Service".to_owned(),
            module_id: "PMS_PRT".to_owned(),
            description: audit.description.to_owned(),
        }
    }
}

/// The kernel audit manager.
#[async_trait]
pub trait AuditManager: Send + Sync {
    /// `POST /v1/auditmanager/audits` with `{"id":null,"version":null,"requesttime":null,
    /// "metadata":null,"request":{...event}}` (§2.7). Not idempotent: each call inserts a row.
    ///
    /// # Errors
    /// `KER-AUD-001/002` (permanent), `KER-AUD-500` (retryable), `PMS_PRT_500` (retryable) when
    /// the answer is `{"status": false}`; the transport/HTTP mapping of [`errors`].
    async fn record(&self, event: &AuditEvent, effect_key: Option<&str>)
        -> Result<(), StepFailure>;
}

/// [`AuditManager`] over HTTP.
#[derive(Debug, Clone)]
pub struct HttpAuditManager {
    http: MosipHttp,
    base: Url,
}

impl HttpAuditManager {
    /// A client for the audit manager at `auditmanager_url` (without the context path, e.g.
    /// `http://auditmanager.kernel`).
    pub fn new(http: MosipHttp, auditmanager_url: Url) -> Self {
        Self {
            http,
            base: auditmanager_url,
        }
    }
}

#[derive(Deserialize)]
struct AuditResponse {
    #[serde(default)]
    status: bool,
}

#[async_trait]
impl AuditManager for HttpAuditManager {
    async fn record(
        &self,
        event: &AuditEvent,
        effect_key: Option<&str>,
    ) -> Result<(), StepFailure> {
        let url = join(&self.base, &["v1", "auditmanager", "audits"]);
        let request = self
            .http
            .client()
            .post(url)
            .json(&RequestEnvelope::new(event));
        let raw = self
            .http
            .send("auditmanager.audits", request, effect_key)
            .await?;
        let answer: AuditResponse = decode_payload(&raw, "response", errors::unable_to_process)?;
        if answer.status {
            Ok(())
        } else {
            Err(errors::unable_to_process().with_response(raw.status, raw.redacted_body()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn pms_audit_serialises_like_pms() {
        let event = AuditEvent::pms(PmsAudit {
            event_id: "PMS_PRT_203",
            event_name: "POST UPLOADING PARTNER CERT",
            description: "Uploading Partner cert success",
            session_user: "partner-user-1",
            ref_id: "mpartner-auth-1",
            ref_type: "partnerId",
            host_name: "pms-partner-7d9c",
            host_ip: "10.42.0.17",
            now: datetime!(2025-07-04 10:12:01.3 UTC),
        });
        let expected = serde_json::json!({"eventId":"PMS_PRT_203","eventName":"POST UPLOADING PARTNER CERT","eventType":"SYSTEM","actionTimeStamp":"2025-07-04T10:12:01.300Z",
          "hostName":"pms-partner-7d9c","hostIp":"10.42.0.17","applicationId":"Partner management portal","applicationName":"10002",
          "sessionUserId":"partner-user-1","sessionUserName":"partner-user-1","id":"mpartner-auth-1","idType":"partnerId","createdBy":"partner-user-1",
          "moduleName":"Partner Management Service","moduleId":"PMS_PRT","description":"Uploading Partner cert success"});
        assert_eq!(serde_json::to_value(&event).unwrap(), expected);
    }
}

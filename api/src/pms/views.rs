//! Views shared by several PMS endpoints: the `partnerData` of partner events, and the policy
//! group and policy DTOs of the policy manager (PMS 1.2.0.1 `PolicyGroupDto`,
//! `PolicyResponseDto`, `PolicyGroupEntity`).

use pmsflow_core::{
    envelope::mosip_datetime,
    events::{self, PolicyData},
};
use pmsflow_store::{
    partners::{self, PartnerDetail},
    policies::{PolicyGroupRow, PolicyRow},
};
use serde_json::{json, Value};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::error::PmsError;

/// `partnerData` for the partner's events: its current MOSIP-signed certificate (empty if it
/// has none) and status.
pub(crate) async fn partner_data(
    conn: &mut PgConnection,
    p: &PartnerDetail,
    active: bool,
) -> Result<Value, PmsError> {
    let pem = partners::current_certificate(&mut *conn, &p.id)
        .await?
        .map(|(pem, _)| pem)
        .unwrap_or_default();
    Ok(events::partner_updated_data(&p.id, &p.name, &pem, active)["partnerData"].take())
}

/// A MOSIP datetime, or null.
pub(crate) fn dt(at: Option<OffsetDateTime>) -> Value {
    at.map(mosip_datetime)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

/// PMS's `PolicyGroup` entity as JSON: `{id, name, desc, is_Active, cr_by, cr_dtimes, up_by,
/// upd_dtimes}`.
pub(crate) fn group_json(g: &PolicyGroupRow) -> Value {
    json!({
        "id": g.id, "name": g.name, "desc": g.descr, "is_Active": g.is_active,
        "cr_by": g.cr_by, "cr_dtimes": mosip_datetime(g.cr_dtimes),
        "up_by": g.upd_by, "upd_dtimes": dt(g.upd_dtimes),
    })
}

/// PMS's `PolicyResponseDto` (P4, P8).
pub(crate) fn policy_json(p: &PolicyRow, g: &PolicyGroupRow) -> Value {
    json!({
        "policyGroupId": g.id,
        "policyGroupName": g.name,
        "policyGroupDesc": g.descr,
        "policyGroupStatus": g.is_active,
        "policyGroup_cr_by": g.cr_by,
        "policyGroup_cr_dtimes": mosip_datetime(g.cr_dtimes),
        "policyGroup_up_by": g.upd_by,
        "policyGroup_upd_dtimes": dt(g.upd_dtimes),
        "policyId": p.id,
        "policyName": p.name,
        "policyDesc": p.descr,
        "policyType": p.policy_type,
        "publishDate": p.policy_schema.as_ref().map(|_| mosip_datetime(p.valid_from_date)),
        "validTill": mosip_datetime(p.valid_to_date),
        "status": p.status().as_str(),
        "version": p.version,
        "schema": p.policy_schema,
        "is_Active": p.is_active,
        "cr_by": p.cr_by,
        "cr_dtimes": mosip_datetime(p.cr_dtimes),
        "up_by": p.upd_by,
        "upd_dtimes": dt(p.upd_dtimes),
        "policies": p.policy_file_id,
    })
}

/// PMS's `PolicyGroup` JPA entity as Jackson writes it inside `{policyGroup, policies}`
/// (P10, P11): `{id, name, desc, isActive, isDeleted, crBy, crDtimes, updBy, updDtimes,
/// delDtimes, userId}`. (Create and update answer the `PolicyGroupCreateResponseDto` shape
/// of [`group_json`].)
pub(crate) fn group_entity_json(g: &PolicyGroupRow) -> Value {
    json!({
        "id": g.id, "name": g.name, "desc": g.descr, "isActive": g.is_active,
        "isDeleted": false, "crBy": g.cr_by, "crDtimes": mosip_datetime(g.cr_dtimes),
        "updBy": g.upd_by, "updDtimes": dt(g.upd_dtimes), "delDtimes": Value::Null,
        "userId": g.cr_by,
    })
}

/// `policyData` of the events for `p`.
pub(crate) fn policy_data(p: &PolicyRow) -> PolicyData<'_> {
    p.event_data()
}

//! PMS's own-partner rule and the lookups that precede a change: a caller without the
//! partner-admin role acts only on the partner whose id is its user id (`PMS_PRT_055`,
//! `PartnerServiceImpl#validateLoggedInUserAuthorization`); the partner is locked for the
//! change; a policy must be usable.

use pmsflow_core::codes::{self, Code};
use pmsflow_store::{
    partners::{self, PartnerDetail},
    policies::{self, PolicyRow},
};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::access::AuthUser;
use crate::error::PmsError;

/// `PMS_PRT_055 User not authorized.`
pub(crate) fn not_authorized() -> PmsError {
    PmsError::of(codes::PMS_PRT_055)
}

/// The own-partner rule: `caller` may act on `partner_id` ([`not_authorized`] otherwise).
pub(crate) fn own(caller: &AuthUser, partner_id: &str) -> Result<(), PmsError> {
    if caller.may_act_on(partner_id) {
        Ok(())
    } else {
        Err(not_authorized())
    }
}

/// The partner, locked for the change (`missing` when there is none).
pub(crate) async fn locked_partner(
    conn: &mut PgConnection,
    partner_id: &str,
    missing: Code,
) -> Result<PartnerDetail, PmsError> {
    partners::partner_detail(conn, partner_id, true)
        .await?
        .ok_or_else(|| PmsError::of(missing))
}

/// Checks of a policy a partner asks for or uses (`PMS_PMP_019` inactive, `PMS_PMP_018`
/// expired, `PMS_PMP_023` group inactive).
pub(crate) async fn usable_policy(conn: &mut PgConnection, p: &PolicyRow) -> Result<(), PmsError> {
    if !p.is_active {
        return Err(PmsError::of(codes::PMS_PMP_019));
    }
    if p.is_expired(OffsetDateTime::now_utc()) {
        return Err(PmsError::of(codes::PMS_PMP_018));
    }
    let g = policies::group(conn, &p.policy_group_id, false).await?;
    if !g.is_some_and(|g| g.is_active) {
        return Err(PmsError::of(codes::PMS_PMP_023));
    }
    Ok(())
}

/// PMS's `Active` / `De-active` status word as a flag; `PMS_PM_058` for anything else.
pub(crate) fn parse_active(status: &str) -> Result<bool, PmsError> {
    pmsflow_core::envelope::active_flag(status).ok_or_else(|| PmsError::of(codes::PMS_PM_058))
}

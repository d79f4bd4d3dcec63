//! Partner registration in the caller's transaction, shared by PMS's `POST /partners` and the
//! native one-request onboarding.

use pmsflow_core::codes;
use pmsflow_core::partner::{check_registration, PartnerRegistration};
use pmsflow_store::partners;
use sqlx::PgConnection;

use crate::access::AuthUser;
use crate::error::PmsError;
use crate::pms::guard::own;
use crate::state::AppState;

/// Register a partner in the caller's transaction, with PMS's checks in PMS's order
/// (mosip-pms.md §6.2). Returns the policy group id.
pub(crate) async fn register_partner(
    conn: &mut PgConnection,
    state: &AppState,
    caller: &AuthUser,
    req: &PartnerRegistration,
) -> Result<(), PmsError> {
    let lang = check_registration(req, &state.rules)?;
    own(caller, &req.partner_id)?;
    if partners::email_taken(conn, &req.email_id).await? {
        return Err(PmsError::of(codes::PMS_PRT_011));
    }
    if partners::partner_exists(conn, &req.partner_id).await? {
        return Err(PmsError::of(codes::PMS_PRT_051));
    }
    let Some(ptype) = partners::partner_type(conn, &req.partner_type).await? else {
        return Err(PmsError::of(codes::PMS_PRT_010));
    };
    let mut group_id = None;
    let group = req.policy_group.as_deref().filter(|g| !g.trim().is_empty());
    if ptype.is_policy_required && group.is_none() {
        return Err(PmsError::new(
            codes::PMS_PRT_108,
            format!("Policy group is Mandatory for {}", ptype.code),
        ));
    }
    if let Some(name) = group {
        let Some((id, active)) = partners::policy_group_by_name(conn, name).await? else {
            return Err(PmsError::of(codes::PMS_PRT_002));
        };
        if !active {
            return Err(PmsError::of(codes::PMS_PMP_023));
        }
        group_id = Some(id);
    }
    let inserted = partners::insert_partner(
        conn,
        &partners::NewPartner {
            id: req.partner_id.clone(),
            policy_group_id: group_id,
            name: req.organization_name.clone(),
            address: req.address.clone(),
            contact_no: req.contact_number.clone(),
            email_id: req.email_id.clone(),
            partner_type_code: ptype.code.clone(),
            lang_code: lang,
            logo_url: req.logo_url.clone(),
            additional_info: req.additional_info.clone(),
            created_by: caller.user_id.clone(),
        },
    )
    .await?;
    if !inserted {
        return Err(PmsError::of(codes::PMS_PRT_051));
    }
    Ok(())
}

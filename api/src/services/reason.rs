//! The reason an operator gives for an action (`{reason}` body), read and checked in one place
//! for the console's actions and the native schedule actions.

use serde::Deserialize;

use crate::error::{parse_json, Problem};

/// Body of every operator action: why the operator does it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReasonBody {
    /// Why, 1..=1000 characters (trimmed); written to the audit log.
    pub reason: String,
}

/// The checked reason of `body` (`pmsflow_core::operator::reason`): 400 `PMS_COR_001` for a
/// body that is not `{reason}`, 422 `PMS_COR_001` for a blank or over-long reason.
pub(crate) fn reason_of(body: &[u8]) -> Result<String, Problem> {
    let b: ReasonBody = parse_json(body)?;
    pmsflow_core::operator::reason(&b.reason).map_err(|e| Problem::invalid(e.to_string()))
}

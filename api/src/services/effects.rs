//! Enqueue the side effects of a state change (WebSub events, emails, audit) as an effects
//! run in the request's transaction ([`pmsflow_core::effects`]): nothing is published from
//! inside a request, so a hub or auditmanager outage delays effects and never fails or loses
//! them.

use pmsflow_core::effects::EffectsInput;
use pmsflow_store::runs::{self, EffectsAbout};
use sqlx::PgConnection;

use crate::error::PmsError;
use crate::state::AppState;

/// Create the effects run for `input` about `about` on `conn` (the caller's transaction).
/// Runs with events take its ordering key, so the events of one partner or policy go out in
/// commit order; a run with only email and audit starts at once; a run about a partner is
/// owned by it. Nothing is created for an empty input.
pub(crate) async fn enqueue(
    conn: &mut PgConnection,
    state: &AppState,
    created_by: &str,
    about: EffectsAbout<'_>,
    input: EffectsInput,
) -> Result<(), PmsError> {
    runs::enqueue_effects(conn, &state.budgets, created_by, about, &input).await?;
    Ok(())
}

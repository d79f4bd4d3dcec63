//! Enqueue the side effects of a state change (WebSub events, emails, audit) as an effects
//! run in the request's transaction ([`pmsflow_core::effects`]): nothing is published from
//! inside a request, so a hub or auditmanager outage delays effects and never fails or loses
//! them.

use pmsflow_core::{
    effects::{effects_steps, EffectsInput},
    workflow::WorkflowKind,
};
use pmsflow_store::runs;
use sqlx::PgConnection;

use crate::error::PmsError;
use crate::state::AppState;

/// Create the effects run for `input` on `conn` (the caller's transaction). Runs with events
/// take `ordering_key`, so the events of one partner or policy go out in commit order; a run
/// with only email and audit starts at once. Nothing is created for an empty input.
pub(crate) async fn enqueue(
    conn: &mut PgConnection,
    state: &AppState,
    created_by: &str,
    subject: &str,
    ordering_key: String,
    input: EffectsInput,
) -> Result<(), PmsError> {
    if input.is_empty() {
        return Ok(());
    }
    let steps = effects_steps(&input, &state.budgets);
    let ordering_key = (!input.events.is_empty()).then_some(ordering_key);
    runs::create_run(
        conn,
        runs::NewRun {
            kind: WorkflowKind::Effects,
            subject: Some(subject.to_owned()),
            input: serde_json::to_value(&input).map_err(|e| PmsError::Internal(e.to_string()))?,
            idempotency_key: None,
            created_by: created_by.to_owned(),
            steps,
            ordering_key,
        },
    )
    .await?;
    Ok(())
}

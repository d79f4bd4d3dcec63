//! The step of a bulk action (`bulk.apply`, [`pmsflow_core::operator::bulk_steps`]): apply
//! the operator's retry or cancel to the chosen runs, batch by batch
//! ([`pmsflow_store::bulk::apply_batch`]), until every run is processed.

use pmsflow_core::{failure::StepFailure, operator::BulkInput};
use pmsflow_store::{bulk, engine::Claimed};
use serde_json::json;
use sqlx::PgPool;

use super::StepDone;

/// Run `bulk.apply` of bulk action `step.run_id` on `pool`; the output is
/// `{total, applied, skipped, stopped}` (`stopped`: the bulk action was cancelled part-way).
pub(super) async fn run(step: &Claimed, pool: &PgPool) -> Result<StepDone, StepFailure> {
    let input: BulkInput = serde_json::from_value(step.input.clone()).map_err(|e| {
        StepFailure::permanent("PMS_COR_002", format!("run input is not valid: {e}"))
    })?;
    loop {
        let progress = bulk::apply_batch(pool, step.run_id, &input)
            .await
            .map_err(|e| StepFailure::retryable("PMSFLOW_DB", format!("bulk batch failed: {e}")))?
            .ok_or_else(|| {
                StepFailure::permanent(
                    "PMSFLOW_UNKNOWN_BULK",
                    format!("no bulk action {}", step.run_id),
                )
            })?;
        if progress.finished() {
            return Ok(StepDone::output(json!({
                "total": progress.total,
                "applied": progress.applied,
                "skipped": progress.skipped,
                "stopped": progress.stopped,
            })));
        }
    }
}

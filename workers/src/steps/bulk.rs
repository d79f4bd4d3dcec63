//! The step of a bulk action (`bulk.apply`, [`pmsflow_core::operator::bulk_steps`]): apply
//! the operator's retry or cancel to the chosen runs, batch by batch
//! ([`pmsflow_store::bulk::apply_batch`]), until every run is processed.

use pmsflow_core::{failure::StepFailure, operator::BulkInput, workflow::steps};
use pmsflow_store::bulk;
use serde_json::json;

use super::{ErasedStep, Step, StepContext, StepDone, StepKey};

/// The step of a bulk action.
pub(super) const STEPS: &[&dyn ErasedStep] = &[&BulkApply];

/// `bulk.apply` of bulk action `ctx.step.run_id`, on the sweeps' database; the output is
/// `{total, applied, skipped, stopped}` (`stopped`: the bulk action was cancelled part-way).
pub(super) struct BulkApply;

impl Step for BulkApply {
    const KEY: StepKey = StepKey::Exact(steps::BULK_APPLY);
    const LOCAL: bool = false;
    type Input = BulkInput;

    async fn run(&self, input: BulkInput, ctx: &StepContext<'_>) -> Result<StepDone, StepFailure> {
        // Bulk actions run on the sweeps' database handle.
        let pool = &ctx.sweeps("bulk actions")?.pool;
        let run_id = ctx.step.run_id;
        loop {
            let progress = bulk::apply_batch(pool, run_id, &input)
                .await
                .map_err(|e| {
                    StepFailure::retryable(
                        pmsflow_core::codes::PMSFLOW_DB,
                        format!("bulk batch failed: {e}"),
                    )
                })?
                .ok_or_else(|| {
                    StepFailure::permanent(
                        pmsflow_core::codes::PMSFLOW_UNKNOWN_BULK,
                        format!("no bulk action {run_id}"),
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
}

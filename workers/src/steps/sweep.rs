//! The step of a sweep run (`sweep.<schedule>`, [`pmsflow_core::schedule`]): run the sweep's
//! batches ([`pmsflow_store::sweeps`]) until no row is left. Each batch commits on its own, so
//! a retried attempt continues where the failed one stopped.

use pmsflow_core::{
    failure::StepFailure,
    schedule::{sweeps, SWEEP_STEP_PREFIX},
    workflow::Budgets,
};
use pmsflow_store::{engine::Claimed, sweeps as store};
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::StepDone;

/// What the sweep steps need: the database, the batch size, budgets of the effects runs.
#[derive(Debug, Clone)]
pub struct SweepContext {
    /// Database of the swept tables.
    pub pool: PgPool,
    /// Rows per transaction (`scheduler.batch`).
    pub batch: i64,
    /// Concurrent transactions of the licence-expiry sweep (`scheduler.lanes`).
    pub lanes: usize,
    /// Attempt budgets of the effects runs a sweep writes.
    pub budgets: Budgets,
    /// Reminder thresholds of certificates, days (`scheduler.certificate_reminder_days`).
    pub certificate_reminder_days: Vec<u32>,
    /// Reminder thresholds of API keys, days (`scheduler.api_key_reminder_days`).
    pub api_key_reminder_days: Vec<u32>,
    /// How licences are renewed.
    pub renewal: store::Renewal,
}

fn db_failure(e: sqlx::Error) -> StepFailure {
    StepFailure::retryable("PMSFLOW_DB", format!("sweep batch failed: {e}"))
}

/// Run the sweep named by the step key; its output is the [`store::SweepReport`].
pub(super) async fn run(step: &Claimed, ctx: &SweepContext) -> Result<StepDone, StepFailure> {
    let name = step
        .step_key
        .strip_prefix(SWEEP_STEP_PREFIX)
        .unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let report = match name {
        sweeps::LICENCE_EXPIRY => store::expire_licences(
            &ctx.pool,
            now,
            ctx.batch,
            ctx.lanes,
            Some(ctx.renewal),
            &ctx.budgets,
        )
        .await
        .map_err(db_failure)?,
        sweeps::API_KEY_EXPIRY => store::expire_api_keys(&ctx.pool, now, ctx.batch)
            .await
            .map_err(db_failure)?,
        sweeps::CERTIFICATE_EXPIRY => store::certificate_reminders(
            &ctx.pool,
            now,
            &ctx.certificate_reminder_days,
            ctx.batch,
            &ctx.budgets,
        )
        .await
        .map_err(db_failure)?,
        sweeps::LICENCE_RENEWAL => {
            store::renew_licences(&ctx.pool, now, ctx.renewal, ctx.batch, &ctx.budgets)
                .await
                .map_err(db_failure)?
        }
        sweeps::API_KEY_REMINDER => store::api_key_reminders(
            &ctx.pool,
            now,
            &ctx.api_key_reminder_days,
            ctx.batch,
            &ctx.budgets,
        )
        .await
        .map_err(db_failure)?,
        other => {
            return Err(StepFailure::permanent(
                "PMSFLOW_UNKNOWN_STEP",
                format!("no sweep named {other:?}"),
            ))
        }
    };
    Ok(StepDone::output(json!(report)))
}

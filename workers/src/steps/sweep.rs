//! The step of a sweep run (`sweep.<schedule>`, [`pmsflow_core::schedule`]): run the sweep's
//! batches ([`pmsflow_store::sweeps`]) until no row is left. Each batch commits on its own, so
//! a retried attempt continues where the failed one stopped.

use pmsflow_core::{
    failure::StepFailure,
    schedule::{sweeps, SWEEP_STEP_PREFIX},
    workflow::Budgets,
};
use pmsflow_store::sweeps as store;
use serde::de::IgnoredAny;
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::{ErasedStep, Step, StepContext, StepDone, StepKey};

/// The step of a sweep run.
pub(super) const STEPS: &[&dyn ErasedStep] = &[&RunSweep];

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
    /// Finished runs older than this many days are pruned (`engine.retention_days`).
    pub retention_days: u32,
}

fn db_failure(e: sqlx::Error) -> StepFailure {
    StepFailure::retryable(
        pmsflow_core::codes::PMSFLOW_DB,
        format!("sweep batch failed: {e}"),
    )
}

/// `sweep.<schedule>`: run the sweep named by the step key; its output is the
/// [`store::SweepReport`]. Runs with the [`SweepContext`].
pub(super) struct RunSweep;

impl Step for RunSweep {
    const KEY: StepKey = StepKey::Prefix(SWEEP_STEP_PREFIX);
    const LOCAL: bool = false;
    type Input = IgnoredAny;

    async fn run(
        &self,
        _input: IgnoredAny,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let sweep = ctx.sweeps("sweeps")?;
        let name = ctx
            .step
            .step_key
            .strip_prefix(SWEEP_STEP_PREFIX)
            .unwrap_or_default();
        let now = OffsetDateTime::now_utc();
        let report = match name {
            sweeps::LICENCE_EXPIRY => store::expire_licences(
                &sweep.pool,
                now,
                sweep.batch,
                sweep.lanes,
                Some(sweep.renewal),
                &sweep.budgets,
            )
            .await
            .map_err(db_failure)?,
            sweeps::API_KEY_EXPIRY => store::expire_api_keys(&sweep.pool, now, sweep.batch)
                .await
                .map_err(db_failure)?,
            sweeps::CERTIFICATE_EXPIRY => store::certificate_reminders(
                &sweep.pool,
                now,
                &sweep.certificate_reminder_days,
                sweep.batch,
                &sweep.budgets,
            )
            .await
            .map_err(db_failure)?,
            sweeps::LICENCE_RENEWAL => {
                store::renew_licences(&sweep.pool, now, sweep.renewal, sweep.batch, &sweep.budgets)
                    .await
                    .map_err(db_failure)?
            }
            sweeps::API_KEY_REMINDER => store::api_key_reminders(
                &sweep.pool,
                now,
                &sweep.api_key_reminder_days,
                sweep.batch,
                &sweep.budgets,
            )
            .await
            .map_err(db_failure)?,
            sweeps::RUN_RETENTION => store::prune_runs(
                &sweep.pool,
                now - time::Duration::days(i64::from(sweep.retention_days)),
                sweep.batch,
            )
            .await
            .map_err(db_failure)?,
            other => {
                return Err(StepFailure::permanent(
                    pmsflow_core::codes::PMSFLOW_UNKNOWN_STEP,
                    format!("no sweep named {other:?}"),
                ))
            }
        };
        pmsflow_store::metrics::sweep(name, report.marked);
        Ok(StepDone::output(json!(report)))
    }
}

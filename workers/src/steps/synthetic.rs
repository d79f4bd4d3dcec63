//! The synthetic benchmark step: one business transaction (`UPDATE` a row, `INSERT` a log row)
//! fused into the statement that completes the step ([`DomainWrite::BenchTouch`]).

use pmsflow_core::{failure::StepFailure, workflow::steps};
use pmsflow_store::domain_write::DomainWrite;
use serde::de::IgnoredAny;
use serde_json::json;

use super::{ErasedStep, Step, StepContext, StepDone, StepKey};

/// The steps of a synthetic run.
pub(super) const STEPS: &[&dyn ErasedStep] = &[&Touch];

/// `synthetic.<n>`: touch the run's account row — the run's subject (a `bench_account` id),
/// else the run id (local).
pub(super) struct Touch;

impl Step for Touch {
    const KEY: StepKey = StepKey::Prefix(steps::SYNTHETIC_PREFIX);
    const LOCAL: bool = true;
    type Input = IgnoredAny;

    async fn run(
        &self,
        _input: IgnoredAny,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let step = ctx.step;
        Ok(StepDone::with_write(
            json!({"step": step.step_key}),
            DomainWrite::BenchTouch {
                account: step
                    .subject
                    .as_deref()
                    .and_then(|s| uuid::Uuid::parse_str(s).ok())
                    .unwrap_or(step.run_id),
                step: step.step_key.clone(),
            },
        ))
    }
}

//! The synthetic benchmark step: one business transaction (`UPDATE` a row, `INSERT` a log row)
//! committed together with the step's completion.

use pmsflow_store::engine::{Claimed, FusedWrite};
use serde_json::json;

use super::{DbWrite, StepDone};

/// Touch the run's account row: the run's subject (a `bench_account` id), else the run id.
pub(super) fn touch(step: &Claimed) -> StepDone {
    StepDone {
        output: json!({"step": step.step_key}),
        write: Some(DbWrite::Fused(FusedWrite::BenchTouch {
            account: step
                .subject
                .as_deref()
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
                .unwrap_or(step.run_id),
            step: step.step_key.clone(),
        })),
    }
}

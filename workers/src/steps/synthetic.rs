//! The synthetic benchmark step: one business transaction (`UPDATE` a row, `INSERT` a log row)
//! committed together with the step's completion.

use pmsflow_store::engine::Claimed;
use serde_json::json;

use super::{DbWrite, StepDone};

/// Touch the run's account row.
pub(super) fn touch(step: &Claimed) -> StepDone {
    StepDone {
        output: json!({"step": step.step_key}),
        write: Some(DbWrite::BenchTouch {
            account: step.run_id,
            step: step.step_key.clone(),
        }),
    }
}

//! The message carried through Redis, and its task id.
//!
//! Redis payloads are pointers only: `{step_id, attempt, dispatch}`; everything else is read
//! from Postgres when the step is claimed. The task id is derived from the outbox row (the
//! dispatch), so a relay that pushes the same row twice (crash between push and commit) pushes
//! the same apalis task, which apalis-redis stores with HSETNX: a no-op.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// "Step `step_id` is ready for its attempt number `attempt + 1`."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTask {
    /// `workflow_step.id`.
    pub step_id: Uuid,
    /// Attempts started before this dispatch (`workflow_step.attempt` at enqueue time); a claim
    /// only succeeds if it still matches, so stale and duplicate deliveries are no-ops.
    pub attempt: i32,
    /// `outbox.id` of the dispatch (0 for the worker's fast path).
    pub dispatch: i64,
    /// Hint: the step makes no external call, so it can be claimed and completed in one
    /// statement. Checked against the step key when the step is loaded; a wrong hint only
    /// costs a round trip.
    #[serde(default)]
    pub local: bool,
}

impl StepTask {
    /// Deterministic 128-bit task id of this dispatch: step id mixed with attempt and outbox id.
    pub fn task_id(&self) -> u128 {
        let mixed = (u128::from(self.attempt as u32) << 64) | u128::from(self.dispatch as u64);
        self.step_id.as_u128() ^ mixed.rotate_left(17)
    }
}

/// Name of the apalis queue for steps under a namespace.
pub fn step_queue(namespace: &str) -> String {
    format!("{namespace}:steps")
}

/// Redis pub/sub channel that wakes idle workers when steps were pushed.
pub fn wake_channel(namespace: &str) -> String {
    format!("{namespace}:wake")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_differ_per_attempt_and_dispatch_and_are_stable() {
        let step_id = Uuid::now_v7();
        let a = StepTask {
            step_id,
            attempt: 0,
            dispatch: 1,
            local: false,
        };
        let b = StepTask {
            step_id,
            attempt: 1,
            dispatch: 1,
            local: false,
        };
        let c = StepTask {
            step_id,
            attempt: 0,
            dispatch: 2,
            local: false,
        };
        assert_ne!(a.task_id(), b.task_id());
        assert_ne!(a.task_id(), c.task_id());
        assert_eq!(a.task_id(), a.task_id());
    }
}

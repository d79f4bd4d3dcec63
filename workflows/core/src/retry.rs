//! Retry decisions: exponential backoff with jitter, and the attempt budget.
//!
//! The budget and the schedule live in Postgres (`workflow_step.attempt`, `max_attempts`,
//! `next_attempt_at`), not in apalis, whose Redis backend ignores `max_attempts` and backs off
//! linearly (engines.md §1.4). This module only decides; the store records.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::failure::StepFailure;

/// Backoff policy for one step: `base * 2^(attempt-1)`, capped at `max`, then "full jitter"
/// scaled by `jitter` (0.0 = none, 1.0 = anywhere in `[0, delay]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    /// Delay before the second attempt, in milliseconds.
    pub base_ms: u64,
    /// Upper bound of any delay, in milliseconds.
    pub max_ms: u64,
    /// Fraction of the delay that is randomised, 0.0..=1.0.
    pub jitter: f64,
}

impl Default for Backoff {
    /// 1 s, doubling, capped at 5 minutes, half of it jittered.
    fn default() -> Self {
        Self {
            base_ms: 1_000,
            max_ms: 300_000,
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// Delay after failed attempt number `attempt` (1-based). `random` is a uniform sample in
    /// `[0, 1)` supplied by the caller, so this function stays pure and testable.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let raw = self.base_ms.saturating_mul(1u64 << exp).min(self.max_ms) as f64;
        let jitter = self.jitter.clamp(0.0, 1.0);
        let random = random.clamp(0.0, 1.0);
        let ms = raw * (1.0 - jitter) + raw * jitter * random;
        Duration::from_millis(ms.round() as u64)
    }
}

/// What the engine does after a failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterFailure {
    /// Try again after the delay.
    RetryIn(Duration),
    /// Give up: the step is dead; `exhausted` says whether the budget ran out (otherwise the
    /// failure was permanent).
    GiveUp {
        /// `true` when `attempt == max_attempts`, `false` for a permanent error.
        exhausted: bool,
    },
}

/// Decide what follows failed attempt `attempt` (1-based) of a step allowed `max_attempts`.
pub fn after_failure(
    failure: &StepFailure,
    attempt: u32,
    max_attempts: u32,
    backoff: &Backoff,
    random: f64,
) -> AfterFailure {
    if !failure.is_retryable() {
        AfterFailure::GiveUp { exhausted: false }
    } else if attempt >= max_attempts {
        AfterFailure::GiveUp { exhausted: true }
    } else {
        AfterFailure::RetryIn(backoff.delay(attempt, random))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps() {
        let b = Backoff {
            base_ms: 100,
            max_ms: 1_000,
            jitter: 0.0,
        };
        assert_eq!(b.delay(1, 0.7), Duration::from_millis(100));
        assert_eq!(b.delay(2, 0.7), Duration::from_millis(200));
        assert_eq!(b.delay(4, 0.7), Duration::from_millis(800));
        assert_eq!(b.delay(5, 0.7), Duration::from_millis(1_000));
        assert_eq!(b.delay(400, 0.7), Duration::from_millis(1_000));
    }

    #[test]
    fn jitter_stays_within_the_delay() {
        let b = Backoff {
            base_ms: 1_000,
            max_ms: 60_000,
            jitter: 0.5,
        };
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(1_000));
    }

    #[test]
    fn permanent_gives_up_at_once_and_budget_is_counted() {
        let b = Backoff::default();
        let perm = StepFailure::permanent("KER-PCM-008", "Partner Organization Name not Matched.");
        assert_eq!(
            after_failure(&perm, 1, 8, &b, 0.5),
            AfterFailure::GiveUp { exhausted: false }
        );
        let tr = StepFailure::retryable("KER-KMS-500", "boom");
        assert!(matches!(
            after_failure(&tr, 7, 8, &b, 0.5),
            AfterFailure::RetryIn(_)
        ));
        assert_eq!(
            after_failure(&tr, 8, 8, &b, 0.5),
            AfterFailure::GiveUp { exhausted: true }
        );
    }
}

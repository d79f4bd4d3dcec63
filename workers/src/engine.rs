//! Running one step delivery: claim, call with no transaction open, commit.
//!
//! 1. Claim with a conditional UPDATE (0 rows = duplicate or stale delivery = no-op).
//! 2. Run the executor with no transaction open, bounded by the lease.
//! 3. In one statement (one transaction when the step writes domain rows: the store applies
//!    the step's [`DomainWrite`](pmsflow_store::domain_write::DomainWrite)) record the attempt,
//!    advance or finish the run and write the next outbox row.
//! 4. Fast path: push the next step to Redis right after the commit; if this process dies
//!    first, the reconciler re-dispatches the queued step.
//!
//! Retries are decided by [`pmsflow_core::retry::after_failure`] from the step's budget and
//! backoff stored in Postgres; apalis never retries (the handler always returns `Ok`).

use std::sync::Arc;
use std::time::Duration;

use pmsflow_core::{
    failure::StepFailure,
    retry::{after_failure, AfterFailure},
};
use pmsflow_store::{
    engine::{self as store, Claimed, Completion, Dispatch, Held, Outcome, SuccessError},
    jobs::StepTask,
};
use rand::Rng;
use sqlx::PgPool;
use tracing::Instrument;

use crate::dispatch::Dispatcher;
use crate::steps::{Executors, StepDone};

/// Most steps one delivery runs in a chain before handing the rest to Redis.
pub const MAX_CHAIN: usize = 32;

/// Engine settings of a worker process.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Lease of a claimed step.
    pub lease: Duration,
    /// Test-only failpoint: after the external call of this step key returns and before its
    /// outcome is committed, print `FAILPOINT paused-after-call <step key>` and wait forever
    /// (the crash test SIGKILLs the process there). `None` in production.
    pub pause_after_call: Option<String>,
    /// Test-only failpoint: after the step with this key commits, act as if the process died
    /// there: no chain, no push (the reconciler must find the queued successor). `None` in
    /// production.
    pub die_after_commit: Option<String>,
}

/// What one delivery did (for logs and tests).
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// The step was not claimable: duplicate or stale delivery.
    Duplicate,
    /// The attempt ended and was recorded.
    Recorded(Completion),
    /// The attempt failed and a retry was scheduled.
    RetryScheduled,
    /// The outcome came after the lease was lost and was discarded.
    LeaseLost,
}

/// Runs step deliveries for one worker process.
pub struct Engine {
    pool: PgPool,
    executors: Executors,
    dispatcher: Dispatcher,
    worker: String,
    settings: EngineSettings,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

/// Errors that stop a delivery before an outcome could be recorded (Postgres down). The step
/// stays leased; the reconciler takes it back when the lease ends.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A database error.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl Engine {
    /// An engine named `worker` (unique per process).
    pub fn new(
        pool: PgPool,
        executors: Executors,
        dispatcher: Dispatcher,
        worker: String,
        settings: EngineSettings,
    ) -> Arc<Self> {
        Arc::new(Self {
            pool,
            executors,
            dispatcher,
            worker,
            settings,
        })
    }

    /// Drop apalis-redis' bookkeeping of a delivered message ([`Dispatcher::forget`]).
    pub async fn forget(
        &self,
        task: &StepTask,
        worker: &apalis_core::worker::context::WorkerContext,
    ) {
        self.dispatcher.forget(task, worker).await;
    }

    /// This worker's name (lease owner).
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Handle one delivery of `task`, then the chain it starts: while the step just committed
    /// queued a local successor, run that successor here at once (built in memory from the
    /// completion: no Redis round trip, no `load`), at most [`MAX_CHAIN`] steps. A chained
    /// step is claimed by the same conditional statement as a delivered one, so a duplicate
    /// delivery of it is still a no-op, and if this worker dies mid-chain the queued step is
    /// re-dispatched by the reconciler. Returns the last step's delivery.
    pub async fn deliver(&self, task: StepTask) -> Result<Delivery, EngineError> {
        let (mut delivery, mut chained) = self.deliver_one(task).await?;
        let mut length = 1;
        while let Some(step) = chained.take() {
            if length >= MAX_CHAIN {
                // Hand the rest to Redis, so one run cannot hold a worker slot for long.
                self.fast_path(StepTask {
                    step_id: step.step_id,
                    attempt: step.attempt - 1,
                    dispatch: 0,
                    local: true,
                })
                .await;
                break;
            }
            (delivery, chained) = self.run_local(step).await?;
            length += 1;
        }
        Ok(delivery)
    }

    async fn deliver_one(
        &self,
        task: StepTask,
    ) -> Result<(Delivery, Option<Claimed>), EngineError> {
        if !task.local {
            // An external call follows: load and lease in one statement.
            let claimed = {
                let mut conn = self.pool.acquire().await?;
                store::claim(&mut conn, &task, &self.worker, self.settings.lease).await?
            };
            return match claimed {
                Some(step) => self.run_leased(step).await,
                None => Ok((Delivery::Duplicate, None)),
            };
        }
        let loaded = {
            let mut conn = self.pool.acquire().await?;
            store::load(&mut conn, &task, &self.worker).await?
        };
        let Some(step) = loaded else {
            return Ok((Delivery::Duplicate, None));
        };
        if Executors::is_local(&step.step_key) {
            return self.run_local(step).await;
        }
        {
            let mut conn = self.pool.acquire().await?;
            if !store::lease(&mut conn, &step, self.settings.lease).await? {
                return Ok((Delivery::Duplicate, None));
            }
        }
        self.run_leased(step).await
    }

    /// Run a loaded local step (no external call): compute, then claim-and-complete in one
    /// statement. Returns the delivery and the successor to chain, if any.
    async fn run_local(&self, step: Claimed) -> Result<(Delivery, Option<Claimed>), EngineError> {
        let span = step_span(&step);
        let started = std::time::Instant::now();
        let failure = match pmsflow_store::trace::scope(
            step.traceparent.clone(),
            self.executors.run(&step).instrument(span.clone()),
        )
        .await
        {
            Ok(done) => {
                let output = done.output.clone();
                match self.commit_success(&step, done, Held::Loaded).await {
                    Ok(delivery) => {
                        record(&step, &delivery, started);
                        let chained = self.after(&step, &delivery, &output).await;
                        return Ok((delivery, chained));
                    }
                    Err(e) => commit_failure(e),
                }
            }
            Err(failure) => failure,
        };
        // Record the failure as an attempt (lease, then fail) so it counts in the budget.
        {
            let mut conn = self.pool.acquire().await?;
            if !store::lease(&mut conn, &step, self.settings.lease).await? {
                return Ok((Delivery::Duplicate, None));
            }
        }
        let delivery = self.fail(&step, failure).await?;
        record(&step, &delivery, started);
        let chained = self.after(&step, &delivery, &serde_json::Value::Null).await;
        Ok((delivery, chained))
    }

    /// Run a leased step: the call with no transaction open, then the commit.
    async fn run_leased(
        &self,
        claimed: Claimed,
    ) -> Result<(Delivery, Option<Claimed>), EngineError> {
        let span = step_span(&claimed);
        let started = std::time::Instant::now();
        // Leave a margin so a slow call ends (and is recorded) before the lease does.
        let budget = self.settings.lease.mul_f64(0.8);
        let result = match tokio::time::timeout(
            budget,
            pmsflow_store::trace::scope(
                claimed.traceparent.clone(),
                self.executors.run(&claimed).instrument(span),
            ),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(StepFailure::retryable(
                pmsflow_core::codes::PMS_KKS_001,
                format!("step did not finish within {} ms", budget.as_millis()),
            )),
        };
        if let Some(key) = &self.settings.pause_after_call {
            if key == &claimed.step_key && !Executors::is_local(key) {
                println!("FAILPOINT paused-after-call {key}");
                std::future::pending::<()>().await;
            }
        }
        let mut output = serde_json::Value::Null;
        let delivery = match result {
            Ok(done) => {
                output = done.output.clone();
                match self.commit_success(&claimed, done, Held::Leased).await {
                    Ok(delivery) => delivery,
                    // A database error here may be passing: record it as a failed attempt (if
                    // even that fails, the lease expires and the reconciler counts the attempt).
                    Err(e) => self.fail(&claimed, commit_failure(e)).await?,
                }
            }
            Err(failure) => self.fail(&claimed, failure).await?,
        };
        record(&claimed, &delivery, started);
        let chained = self.after(&claimed, &delivery, &output).await;
        Ok((delivery, chained))
    }

    /// After a recorded attempt: the queued successor is chained here when it is local (and
    /// the step succeeded: its output is in hand), else pushed to Redis right away.
    async fn after(
        &self,
        step: &Claimed,
        delivery: &Delivery,
        output: &serde_json::Value,
    ) -> Option<Claimed> {
        let Delivery::Recorded(c) = delivery else {
            return None;
        };
        if self.settings.die_after_commit.as_deref() == Some(step.step_key.as_str()) {
            return None;
        }
        if let Some(status) = &c.run_finished {
            tracing::info!(run_id = %step.run_id, status, "run finished");
        }
        let mut next = c.next?;
        next.local = c.next_key.as_deref().is_some_and(Executors::is_local);
        if next.local && !c.failed_attempt {
            if let Some(chained) = c.chained(step, output) {
                return Some(chained);
            }
        }
        self.fast_path(next).await;
        None
    }

    /// Commit a successful attempt with the step's domain write, if any (the store applies it
    /// in the completing statement or transaction). `held`: the step was only loaded (claim
    /// and completion are one statement) or it holds a lease.
    async fn commit_success(
        &self,
        step: &Claimed,
        done: StepDone,
        held: Held,
    ) -> Result<Delivery, SuccessError> {
        let completion =
            store::complete_success(&self.pool, step, done.output, done.write.as_ref(), held)
                .await?;
        Ok(match (completion.recorded, held) {
            (true, _) => Delivery::Recorded(completion),
            (false, Held::Loaded) => Delivery::Duplicate,
            (false, Held::Leased) => Delivery::LeaseLost,
        })
    }

    async fn fail(&self, claimed: &Claimed, failure: StepFailure) -> Result<Delivery, EngineError> {
        let random: f64 = rand::rng().random();
        let decision = after_failure(
            &failure,
            claimed.attempt as u32,
            claimed.max_attempts as u32,
            &claimed.backoff,
            random,
        );
        tracing::warn!(run_id = %claimed.run_id, step = %claimed.step_key, attempt = claimed.attempt,
            code = %failure.code, class = ?failure.class, ?decision, "step attempt failed");
        let mut conn = self.pool.acquire().await?;
        match decision {
            AfterFailure::RetryIn(delay) => {
                let recorded = store::retry_later(
                    &mut conn,
                    claimed.step_id,
                    claimed.attempt,
                    &claimed.lease_owner,
                    &failure,
                    "failed",
                    delay,
                )
                .await?;
                Ok(if recorded {
                    Delivery::RetryScheduled
                } else {
                    Delivery::LeaseLost
                })
            }
            AfterFailure::GiveUp { .. } => {
                let c = store::complete(
                    &mut conn,
                    claimed,
                    &Outcome::Dead(failure),
                    Dispatch::FastPath,
                )
                .await?;
                Ok(if c.recorded {
                    Delivery::Recorded(c)
                } else {
                    Delivery::LeaseLost
                })
            }
        }
    }

    async fn fast_path(&self, next: StepTask) {
        if let Err(e) = self.dispatcher.push(&[next]).await {
            // The step stays queued; the reconciler re-dispatches it after `redispatch_after`.
            tracing::warn!(error = %e, "fast-path push failed; the reconciler will dispatch");
        }
    }
}

/// The span of a step's attempt: every log line of the step carries its run, step key,
/// attempt and partner (the run's subject).
fn step_span(step: &Claimed) -> tracing::Span {
    tracing::info_span!("step", run_id = %step.run_id, step = %step.step_key,
        attempt = step.attempt, partner_id = step.subject.as_deref().unwrap_or(""))
}

/// Count the attempt's outcome (`pmsflow_step_attempts_total`, `pmsflow_step_duration_seconds`):
/// a recorded success or a given-up failure, a scheduled retry; duplicates and lost leases are
/// not attempts of this worker.
fn record(step: &Claimed, delivery: &Delivery, started: std::time::Instant) {
    let outcome = match delivery {
        Delivery::Recorded(c) if c.failed_attempt => "failed",
        Delivery::Recorded(_) => "succeeded",
        Delivery::RetryScheduled => "retry",
        Delivery::Duplicate | Delivery::LeaseLost => return,
    };
    pmsflow_store::metrics::step_attempt(&step.step_key, outcome, Some(started.elapsed()));
}

/// The attempt's failure when its success could not be committed: the domain's refusal
/// (permanent), or a database error (retryable, it may be passing).
fn commit_failure(e: SuccessError) -> StepFailure {
    match e {
        SuccessError::DomainRefused(failure) => failure,
        SuccessError::Database(e) => StepFailure::retryable(
            pmsflow_core::codes::PMSFLOW_DB,
            format!("could not commit: {e}"),
        ),
    }
}

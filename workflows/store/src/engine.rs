//! The engine's state transitions, in SQL.
//!
//! A step moves `pending -> queued -> running -> succeeded | failed` (and back to `queued` on a
//! retry). Every transition out of `running` is conditional on the lease (step id, attempt
//! number, lease owner), so an outcome reported after the reconciler took the step back is
//! discarded, and a duplicate delivery cannot claim a step twice. Each completion is one SQL
//! statement (or one transaction when the step's work is itself a database change): it records
//! the attempt, advances or finishes the run and writes the next outbox row.

use std::time::Duration;

use pmsflow_core::{failure::StepFailure, retry::Backoff};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use crate::{
    domain_write::{DomainWrite, Fused},
    jobs::StepTask,
    OUTBOX_CHANNEL, RUN_CHANNEL,
};

/// Failure code of an attempt whose worker stopped answering (its lease expired).
pub const LEASE_EXPIRED: &str = "PMSFLOW_LEASE_EXPIRED";

/// A step this worker holds the lease of, with what it needs to run.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Step id.
    pub step_id: Uuid,
    /// Run id.
    pub run_id: Uuid,
    /// Step key.
    pub step_key: String,
    /// This attempt's number (from 1).
    pub attempt: i32,
    /// Attempt budget.
    pub max_attempts: i32,
    /// Backoff of the step.
    pub backoff: Backoff,
    /// Stable idempotency key of the step's effect.
    pub effect_key: String,
    /// Whether failing this step fails the run.
    pub required: bool,
    /// Run kind.
    pub kind: String,
    /// Run subject (partner id).
    pub subject: Option<String>,
    /// Run input.
    pub input: Value,
    /// Outputs of the run's succeeded steps, keyed by step key.
    pub outputs: Value,
    /// Who created the run.
    pub created_by: String,
    /// The W3C `traceparent` of the request that created the run ([`crate::trace`]).
    pub traceparent: Option<String>,
    /// Lease holder (this worker).
    pub lease_owner: String,
}

impl Claimed {
    /// Output of an earlier step, if it succeeded.
    pub fn output_of(&self, step_key: &str) -> Option<&Value> {
        self.outputs.get(step_key)
    }
}

fn claimed_from_row(row: &sqlx::postgres::PgRow, worker: &str) -> Result<Claimed, sqlx::Error> {
    let backoff: Value = row.try_get("backoff")?;
    Ok(Claimed {
        step_id: row.try_get("id")?,
        run_id: row.try_get("run_id")?,
        step_key: row.try_get("step_key")?,
        attempt: row.try_get("attempt")?,
        max_attempts: row.try_get("max_attempts")?,
        backoff: serde_json::from_value(backoff).unwrap_or_default(),
        effect_key: row.try_get("effect_key")?,
        required: row.try_get("required")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        input: row.try_get("input")?,
        outputs: row.try_get("outputs")?,
        created_by: row.try_get("created_by")?,
        traceparent: row.try_get("traceparent")?,
        lease_owner: worker.to_owned(),
    })
}

/// Read step `task.step_id` if it is still queued at attempt `task.attempt` and its run is
/// running, with what an executor needs (run input, earlier outputs). Nothing is written:
/// `attempt` of the result is the attempt about to start. `Ok(None)`: a duplicate or stale
/// delivery, or a cancelled run — a no-op.
pub async fn load(
    conn: &mut PgConnection,
    task: &StepTask,
    worker: &str,
) -> Result<Option<Claimed>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.id, s.run_id, s.step_key, s.attempt + 1 AS attempt, s.max_attempts, s.backoff,
                s.effect_key, s.required, r.kind, r.subject, r.input, r.created_by, r.traceparent,
                (SELECT coalesce(jsonb_object_agg(p.step_key, p.output), '{}'::jsonb)
                   FROM workflow_step p
                  WHERE p.run_id = s.run_id AND p.status = 'succeeded' AND p.output IS NOT NULL) AS outputs
           FROM workflow_step s JOIN workflow_run r ON r.id = s.run_id
          WHERE s.id = $1 AND s.status = 'queued' AND s.attempt = $2 AND r.status = 'running'",
    )
    .bind(task.step_id)
    .bind(task.attempt)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| claimed_from_row(&r, worker)).transpose()
}

/// Lease a [`load`]ed step for `lease` before an external call: a conditional UPDATE from
/// `queued` at the attempt that was read to `running`. `false`: another delivery got it first.
pub async fn lease(
    conn: &mut PgConnection,
    loaded: &Claimed,
    lease: Duration,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE workflow_step s
            SET status = 'running', attempt = s.attempt + 1, lease_owner = $3,
                lease_until = now() + make_interval(secs => $4), started_at = now()
          WHERE s.id = $1 AND s.status = 'queued' AND s.attempt = $2 - 1
            AND EXISTS (SELECT 1 FROM workflow_run r WHERE r.id = s.run_id AND r.status = 'running')",
    )
    .bind(loaded.step_id)
    .bind(loaded.attempt)
    .bind(&loaded.lease_owner)
    .bind(lease.as_secs_f64())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// [`load`] and [`lease`] in one statement: claim step `task.step_id` for its next attempt
/// with a lease of `lease_for`. `Ok(None)`: the step is not queued at that attempt any more
/// (duplicate or stale delivery, or a cancelled run) — the delivery is a no-op.
pub async fn claim(
    conn: &mut PgConnection,
    task: &StepTask,
    worker: &str,
    lease_for: Duration,
) -> Result<Option<Claimed>, sqlx::Error> {
    let row = sqlx::query(
        "WITH c AS (
            UPDATE workflow_step s
               SET status = 'running', attempt = s.attempt + 1, lease_owner = $3,
                   lease_until = now() + make_interval(secs => $4), started_at = now()
             WHERE s.id = $1 AND s.status = 'queued' AND s.attempt = $2
               AND EXISTS (SELECT 1 FROM workflow_run r WHERE r.id = s.run_id AND r.status = 'running')
            RETURNING s.id, s.run_id, s.step_key, s.attempt, s.max_attempts, s.backoff, s.effect_key, s.required
         )
         SELECT c.*, r.kind, r.subject, r.input, r.created_by, r.traceparent,
                (SELECT coalesce(jsonb_object_agg(p.step_key, p.output), '{}'::jsonb)
                   FROM workflow_step p
                  WHERE p.run_id = c.run_id AND p.status = 'succeeded' AND p.output IS NOT NULL) AS outputs
           FROM c JOIN workflow_run r ON r.id = c.run_id",
    )
    .bind(task.step_id)
    .bind(task.attempt)
    .bind(worker)
    .bind(lease_for.as_secs_f64())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| claimed_from_row(&r, worker)).transpose()
}

/// How the next step is dispatched after a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// NOTIFY the relay, which pushes the outbox row to Redis.
    Relay,
    /// The completing worker pushes the next step itself right after commit, and no outbox row
    /// is written: if the worker dies between commit and push, the reconciler re-dispatches
    /// the queued step once it has waited `redispatch_after` (a latency cost, never a lost step).
    FastPath,
}

/// What a completion did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Completion {
    /// `false`: the lease was lost (the reconciler took the step back); nothing was recorded.
    pub recorded: bool,
    /// The next step, now queued (with its outbox row id when the relay dispatches it, else 0).
    pub next: Option<StepTask>,
    /// Key of that next step.
    pub next_key: Option<String>,
    /// The run's new status if it ended (`completed` or `failed`).
    pub run_finished: Option<String>,
    /// The attempt recorded was a failure (the step's budget was spent or its error permanent).
    pub failed_attempt: bool,
    /// What the completing statement read of the next step (for [`Completion::chained`]).
    pub next_spec: Option<NextSpec>,
}

/// The next step's own columns, returned by the statement that queued it.
#[derive(Debug, Clone, PartialEq)]
pub struct NextSpec {
    /// Attempt budget.
    pub max_attempts: i32,
    /// Backoff.
    pub backoff: Backoff,
    /// Effect key.
    pub effect_key: String,
    /// Whether failing it fails the run.
    pub required: bool,
}

impl Completion {
    /// The step this completion queued, as [`load`] would read it, built in memory from the
    /// completed step `done` and its `output`: the worker that committed `done` can run it at
    /// once (a chain) without a Redis round trip or a `load`. Its state in Postgres is the
    /// same as for any queued step (claimed by the conditional completion, re-dispatched by
    /// the reconciler if this worker dies first). `None` when nothing was queued.
    pub fn chained(&self, done: &Claimed, output: &Value) -> Option<Claimed> {
        let (task, key, spec) = (
            self.next?,
            self.next_key.as_ref()?,
            self.next_spec.as_ref()?,
        );
        let mut outputs = done.outputs.clone();
        if !output.is_null() {
            if let Value::Object(map) = &mut outputs {
                map.insert(done.step_key.clone(), output.clone());
            } else {
                outputs = serde_json::json!({ done.step_key.clone(): output.clone() });
            }
        }
        Some(Claimed {
            step_id: task.step_id,
            run_id: done.run_id,
            step_key: key.clone(),
            attempt: task.attempt + 1,
            max_attempts: spec.max_attempts,
            backoff: spec.backoff,
            effect_key: spec.effect_key.clone(),
            required: spec.required,
            kind: done.kind.clone(),
            subject: done.subject.clone(),
            input: done.input.clone(),
            outputs,
            created_by: done.created_by.clone(),
            traceparent: done.traceparent.clone(),
            lease_owner: done.lease_owner.clone(),
        })
    }
}

/// How a step ends.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Succeeded with this output.
    Succeeded(Value),
    /// Failed for good; the run fails if the step is required, otherwise it goes on.
    Dead(StepFailure),
}

/// `done` of a leased step (claimed before an external call).
const DONE_LEASED: &str = "UPDATE workflow_step
               SET status = $4, output = $5, last_error = coalesce($6, last_error),
                   lease_owner = NULL, lease_until = NULL, finished_at = now()
             WHERE id = $1 AND status = 'running' AND attempt = $2 AND lease_owner = $3
            RETURNING id, run_id, seq, attempt, started_at";

/// `done` of a local step (no external call): claimed and completed by the same statement,
/// conditional on the step still being queued at the attempt that was read.
const DONE_LOCAL: &str = "UPDATE workflow_step
               SET status = $4, attempt = attempt + 1, output = $5, last_error = coalesce($6, last_error),
                   started_at = now(), finished_at = now()
             WHERE id = $1 AND status = 'queued' AND attempt = $2 - 1
               AND EXISTS (SELECT 1 FROM workflow_run r WHERE r.id = run_id AND r.status = 'running')
            RETURNING id, run_id, seq, attempt, started_at";

const FUSED_MARKER: &str = "/*fused*/";

/// The completing statement of a local or leased step, with a fused write's CTEs or none;
/// each variant is built once per process.
fn completion_sql(local: bool, fused: Option<Fused>) -> &'static str {
    const VARIANTS: usize = 2 * (1 + Fused::COUNT);
    static CACHE: [std::sync::OnceLock<String>; VARIANTS] =
        [const { std::sync::OnceLock::new() }; VARIANTS];
    let i = usize::from(local) * (1 + Fused::COUNT) + fused.map_or(0, |f| 1 + f.index());
    CACHE[i].get_or_init(|| {
        COMPLETION
            .replace("/*done*/", if local { DONE_LOCAL } else { DONE_LEASED })
            .replace(FUSED_MARKER, fused.map_or("", Fused::sql))
    })
}

const COMPLETION: &str = "WITH done AS (
            /*done*/
         ) /*fused*/, att AS (
            INSERT INTO step_attempt (step_id, run_id, attempt, outcome, error, worker, started_at)
            SELECT id, run_id, attempt, $14, $6, $3, started_at FROM done
         ), nxt AS (
            UPDATE workflow_step s SET status = 'queued', next_attempt_at = now()
              FROM done
             WHERE $7 AND s.run_id = done.run_id AND s.status = 'pending'
               AND s.seq = (SELECT min(p.seq) FROM workflow_step p
                             WHERE p.run_id = done.run_id AND p.seq > done.seq AND p.status = 'pending')
            RETURNING s.id, s.attempt, s.step_key, s.max_attempts, s.backoff, s.effect_key, s.required
         ), ob AS (
            INSERT INTO outbox (step_id, attempt, not_before)
            SELECT id, attempt, now() + make_interval(secs => $8) FROM nxt WHERE $9
            RETURNING id, step_id, attempt
         ), fin AS (
            UPDATE workflow_run r
               SET status = CASE WHEN $7 THEN 'completed' ELSE 'failed' END,
                   error_code = CASE WHEN $7 THEN NULL ELSE $10 END,
                   error_message = CASE WHEN $7 THEN NULL ELSE $11 END,
                   finished_at = now(), updated_at = now()
              FROM done
             WHERE r.id = done.run_id AND r.status = 'running'
               AND (NOT $7 OR NOT EXISTS (SELECT 1 FROM nxt))
            RETURNING r.id, r.status
         ), rel AS (
            -- The run ended: start the next waiting run of its ordering key (its first open
            -- step: step 1 of a new run, the failed step of a retried one).
            UPDATE workflow_step s SET status = 'queued', next_attempt_at = now()
              FROM fin JOIN workflow_run fr ON fr.id = fin.id,
                   LATERAL (SELECT w.id FROM workflow_run w
                             WHERE w.ordering_key = fr.ordering_key AND w.status = 'running'
                               AND w.id <> fr.id
                             ORDER BY w.ordering_seq LIMIT 1) nx
             WHERE fr.ordering_key IS NOT NULL
               AND s.id = (SELECT x.id FROM workflow_step x
                            WHERE x.run_id = nx.id AND x.status IN ('pending', 'queued', 'running')
                            ORDER BY x.seq LIMIT 1)
               AND s.status = 'pending'
            RETURNING s.id, s.attempt
         ), rob AS (
            INSERT INTO outbox (step_id, attempt) SELECT id, attempt FROM rel RETURNING id
         ), n1 AS (
            SELECT pg_notify($12, '') FROM ob WHERE $9
            UNION ALL SELECT pg_notify($12, '') FROM rob
         ), n2 AS (
            SELECT pg_notify($13, fin.id::text || ':' || fin.status) FROM fin
         )
         SELECT (SELECT count(*) FROM done) AS recorded,
                (SELECT id FROM ob LIMIT 1) AS ob_id,
                (SELECT id FROM nxt LIMIT 1) AS next_step,
                (SELECT attempt FROM nxt LIMIT 1) AS next_attempt,
                (SELECT step_key FROM nxt LIMIT 1) AS next_key,
                (SELECT max_attempts FROM nxt LIMIT 1) AS next_max_attempts,
                (SELECT backoff FROM nxt LIMIT 1) AS next_backoff,
                (SELECT effect_key FROM nxt LIMIT 1) AS next_effect_key,
                (SELECT required FROM nxt LIMIT 1) AS next_required,
                (SELECT status FROM fin LIMIT 1) AS run_status,
                (SELECT count(*) FROM n1) + (SELECT count(*) FROM n2) AS notified";

/// Record the end of the claimed attempt and advance the run, in one statement on `conn`.
pub async fn complete(
    conn: &mut PgConnection,
    claimed: &Claimed,
    outcome: &Outcome,
    dispatch: Dispatch,
) -> Result<Completion, sqlx::Error> {
    run_completion(conn, claimed, outcome, dispatch, None, false).await
}

/// How the worker completing a step holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Only [`load`]ed, not leased (a local step: pure computation or a database write, no
    /// external call): the completing statement claims it too, conditional on the step still
    /// being queued at the attempt that was read. Not recorded = a duplicate delivery.
    Loaded,
    /// [`claim`]ed or [`lease`]d before an external call: the completion is conditional on the
    /// lease. Not recorded = the lease was lost.
    Leased,
}

/// Why [`complete_success`] recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum SuccessError {
    /// The step's [`DomainWrite`] found the domain in a state it cannot apply to (the partner or
    /// the client is gone). Nothing was committed; the failure (permanent) is the attempt's.
    #[error("the domain refused the step's write: {0}")]
    DomainRefused(StepFailure),
    /// Postgres failed; nothing was committed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Record a successful attempt of `step` with `output`, advance the run and apply the step's
/// domain `write`, atomically; the next step is left for the completing worker to push
/// ([`Dispatch::FastPath`]).
///
/// - no write: one statement;
/// - a fused write ([`DomainWrite::BenchTouch`]): one statement, the write's CTEs included;
/// - any other write: one transaction, the completing statement then the write, which runs
///   only if the completion was recorded.
///
/// `Ok` with `recorded == false`: nothing was written (duplicate delivery of a
/// [`Held::Loaded`] step, lost lease of a [`Held::Leased`] one).
pub async fn complete_success(
    pool: &PgPool,
    step: &Claimed,
    output: Value,
    write: Option<&DomainWrite>,
    held: Held,
) -> Result<Completion, SuccessError> {
    let outcome = Outcome::Succeeded(output);
    let local = held == Held::Loaded;
    let Some(write) = write.filter(|w| w.fused().is_none()) else {
        let mut conn = pool.acquire().await?;
        return Ok(
            run_completion(&mut conn, step, &outcome, Dispatch::FastPath, write, local).await?,
        );
    };
    let mut tx = pool.begin().await?;
    let completion =
        run_completion(&mut tx, step, &outcome, Dispatch::FastPath, None, local).await?;
    if !completion.recorded {
        tx.rollback().await?;
        return Ok(completion);
    }
    if let Err(refused) = write.apply(&mut tx, &step.created_by).await? {
        tx.rollback().await?;
        return Err(SuccessError::DomainRefused(refused));
    }
    tx.commit().await?;
    Ok(completion)
}

/// The completing statement. `fused`: a write whose CTEs join it (ignored unless
/// [`DomainWrite::fused`]).
async fn run_completion(
    conn: &mut PgConnection,
    claimed: &Claimed,
    outcome: &Outcome,
    dispatch: Dispatch,
    fused: Option<&DomainWrite>,
    local: bool,
) -> Result<Completion, sqlx::Error> {
    let fused = fused.and_then(|w| w.fused().map(|variant| (w, variant)));
    let attempt_outcome = match outcome {
        Outcome::Succeeded(_) => "succeeded",
        Outcome::Dead(f) if f.code == LEASE_EXPIRED => "lease_expired",
        Outcome::Dead(_) => "failed",
    };
    let (status, output, error, advance) = match outcome {
        Outcome::Succeeded(out) => ("succeeded", Some(out.clone()), None, true),
        Outcome::Dead(f) => (
            "failed",
            None,
            serde_json::to_value(f).ok(),
            !claimed.required,
        ),
    };
    let (grace, notify) = match dispatch {
        Dispatch::Relay => (0.0, true),
        Dispatch::FastPath => (0.0, false),
    };
    let (err_code, err_msg) = match outcome {
        Outcome::Dead(f) => (Some(f.code.clone()), Some(f.message.clone())),
        Outcome::Succeeded(_) => (None, None),
    };
    let query = sqlx::query(completion_sql(local, fused.map(|(_, variant)| variant)))
        .bind(claimed.step_id)
        .bind(claimed.attempt)
        .bind(&claimed.lease_owner)
        .bind(status)
        .bind(output)
        .bind(error)
        .bind(advance)
        .bind(grace)
        .bind(notify)
        .bind(err_code)
        .bind(err_msg)
        .bind(OUTBOX_CHANNEL)
        .bind(RUN_CHANNEL)
        .bind(attempt_outcome);
    let query = match fused {
        Some((write, _)) => write.bind_fused(query),
        None => query,
    };
    let row = query.fetch_one(&mut *conn).await?;
    let recorded: i64 = row.try_get("recorded")?;
    let next = match (
        row.try_get::<Option<Uuid>, _>("next_step")?,
        row.try_get::<Option<i32>, _>("next_attempt")?,
    ) {
        (Some(step_id), Some(attempt)) => Some(StepTask {
            step_id,
            attempt,
            dispatch: row.try_get::<Option<i64>, _>("ob_id")?.unwrap_or(0),
            local: false,
        }),
        _ => None,
    };
    let run_finished: Option<String> = row.try_get("run_status")?;
    if let Some(status) = &run_finished {
        crate::metrics::run_finished(&claimed.kind, status);
    }
    if run_finished.as_deref() == Some("completed") {
        scrub_input(conn, claimed).await?;
    }
    let next_spec = match (
        row.try_get::<Option<i32>, _>("next_max_attempts")?,
        row.try_get::<Option<Value>, _>("next_backoff")?,
        row.try_get::<Option<String>, _>("next_effect_key")?,
        row.try_get::<Option<bool>, _>("next_required")?,
    ) {
        (Some(max_attempts), Some(backoff), Some(effect_key), Some(required)) => Some(NextSpec {
            max_attempts,
            backoff: serde_json::from_value(backoff).unwrap_or_default(),
            effect_key,
            required,
        }),
        _ => None,
    };
    Ok(Completion {
        recorded: recorded > 0,
        next,
        next_key: row.try_get("next_key")?,
        run_finished,
        failed_attempt: matches!(outcome, Outcome::Dead(_)),
        next_spec,
    })
}

/// A completed run keeps no credential in its input (licence keys, API keys, secrets:
/// [`pmsflow_core::redact::scrubbed`]); on `conn`, so in the completing transaction when
/// there is one. Runs that end otherwise keep theirs: an operator may retry them.
async fn scrub_input(conn: &mut PgConnection, claimed: &Claimed) -> Result<(), sqlx::Error> {
    if let Some(input) = pmsflow_core::redact::scrubbed(&claimed.input) {
        sqlx::query("UPDATE workflow_run SET input = $2 WHERE id = $1")
            .bind(claimed.run_id)
            .bind(input)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Hand back every step `worker` still holds (a drain at shutdown): each goes back to
/// `queued` at its previous attempt number (the attempt it was in is not counted, nothing is
/// recorded for it), due now, with an outbox row and a NOTIFY so another worker takes it at
/// once. An outcome this worker reports later no longer matches its lease and is discarded.
/// Returns how many steps were handed back.
pub async fn release_leases(pool: &sqlx::PgPool, worker: &str) -> Result<u64, sqlx::Error> {
    let released: i64 = sqlx::query_scalar(
        "WITH r AS (
            UPDATE workflow_step
               SET status = 'queued', attempt = attempt - 1, lease_owner = NULL,
                   lease_until = NULL, started_at = NULL, next_attempt_at = now()
             WHERE lease_owner = $1 AND status = 'running' AND lease_until IS NOT NULL
            RETURNING id, attempt
         ), o AS (
            INSERT INTO outbox (step_id, attempt) SELECT id, attempt FROM r RETURNING id
         ), n AS (
            SELECT pg_notify($2, '') FROM o LIMIT 1
         )
         SELECT (SELECT count(*) FROM r) + 0 * (SELECT count(*) FROM n)",
    )
    .bind(worker)
    .bind(OUTBOX_CHANNEL)
    .fetch_one(pool)
    .await?;
    Ok(released as u64)
}

/// Record a failed attempt that will be retried after `delay`: the step goes back to
/// `queued` with `next_attempt_at = now() + delay` and an outbox row due then. `outcome` is
/// `failed`, or `lease_expired` when the reconciler reports a lost worker.
pub async fn retry_later(
    conn: &mut PgConnection,
    claimed_step: Uuid,
    attempt: i32,
    lease_owner: &str,
    failure: &StepFailure,
    outcome: &str,
    delay: Duration,
) -> Result<bool, sqlx::Error> {
    let recorded: i64 = sqlx::query_scalar(
        "WITH done AS (
            UPDATE workflow_step
               SET status = 'queued', next_attempt_at = now() + make_interval(secs => $5),
                   last_error = $4, lease_owner = NULL, lease_until = NULL
             WHERE id = $1 AND status = 'running' AND attempt = $2 AND lease_owner = $3
            RETURNING id, run_id, attempt, started_at
         ), att AS (
            INSERT INTO step_attempt (step_id, run_id, attempt, outcome, error, worker, started_at)
            SELECT id, run_id, attempt, $6, $4, $3, started_at FROM done
         ), ob AS (
            INSERT INTO outbox (step_id, attempt, not_before)
            SELECT id, attempt, now() + make_interval(secs => $5) FROM done
            ON CONFLICT (step_id, attempt) DO NOTHING
            RETURNING id
         )
         SELECT count(*) FROM done",
    )
    .bind(claimed_step)
    .bind(attempt)
    .bind(lease_owner)
    .bind(serde_json::to_value(failure).ok())
    .bind(delay.as_secs_f64())
    .bind(outcome)
    .fetch_one(&mut *conn)
    .await?;
    Ok(recorded > 0)
}

/// Outbox rows taken by the relay, to be pushed to Redis before the transaction commits;
/// each with its step key.
pub async fn take_due_outbox(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<(StepTask, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "WITH due AS (
            SELECT id FROM outbox WHERE not_before <= now()
             ORDER BY not_before, id LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         DELETE FROM outbox o USING due, workflow_step s WHERE o.id = due.id AND s.id = o.step_id
         RETURNING o.id, o.step_id, o.attempt, s.step_key",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                StepTask {
                    step_id: r.try_get("step_id")?,
                    attempt: r.try_get("attempt")?,
                    dispatch: r.try_get("id")?,
                    local: false,
                },
                r.try_get("step_key")?,
            ))
        })
        .collect()
}

/// A running step whose lease expired (its worker died or stalled).
#[derive(Debug, Clone)]
pub struct ExpiredLease {
    /// Step id.
    pub step_id: Uuid,
    /// Run id.
    pub run_id: Uuid,
    /// The attempt that was running.
    pub attempt: i32,
    /// Its budget.
    pub max_attempts: i32,
    /// The step's backoff.
    pub backoff: Backoff,
    /// The worker that held it.
    pub lease_owner: String,
    /// Whether the run fails with it.
    pub required: bool,
    /// Step key.
    pub step_key: String,
}

/// Steps whose lease ended before now, at most `limit`.
pub async fn expired_leases(pool: &PgPool, limit: i64) -> Result<Vec<ExpiredLease>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, run_id, attempt, max_attempts, backoff, lease_owner, required, step_key
           FROM workflow_step WHERE status = 'running' AND lease_until < now()
          ORDER BY lease_until LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let backoff: Value = r.try_get("backoff")?;
            Ok(ExpiredLease {
                step_id: r.try_get("id")?,
                run_id: r.try_get("run_id")?,
                attempt: r.try_get("attempt")?,
                max_attempts: r.try_get("max_attempts")?,
                backoff: serde_json::from_value(backoff).unwrap_or_default(),
                step_key: r.try_get("step_key")?,
                lease_owner: r
                    .try_get::<Option<String>, _>("lease_owner")?
                    .unwrap_or_default(),
                required: r.try_get("required")?,
            })
        })
        .collect()
}

/// Give up a step whose lease expired with its budget spent: it fails, and so does its run if
/// the step is required (otherwise the run goes on). Same statement as [`complete`].
pub async fn give_up_expired(
    conn: &mut PgConnection,
    lease: &ExpiredLease,
    failure: StepFailure,
) -> Result<Completion, sqlx::Error> {
    let claimed = Claimed {
        step_id: lease.step_id,
        run_id: lease.run_id,
        step_key: String::new(),
        attempt: lease.attempt,
        max_attempts: lease.max_attempts,
        backoff: lease.backoff,
        effect_key: String::new(),
        required: lease.required,
        kind: String::new(),
        subject: None,
        input: Value::Null,
        outputs: Value::Null,
        created_by: String::new(),
        traceparent: None,
        lease_owner: lease.lease_owner.clone(),
    };
    complete(conn, &claimed, &Outcome::Dead(failure), Dispatch::Relay).await
}

/// Start the waiting runs whose ordering key has nothing else at work: the first running run
/// of a key (lowest sequence) is started when its first open step is `pending` and no run of
/// the key has a step queued or running (the run before it ended while it was being created,
/// so its completion did not see it; or an operator cancelled it). Returns how many were
/// started.
pub async fn release_waiting(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "WITH heads AS (
            SELECT DISTINCT ON (r.ordering_key) r.id, r.ordering_key
              FROM workflow_run r
             WHERE r.status = 'running' AND r.ordering_key IS NOT NULL
             ORDER BY r.ordering_key, r.ordering_seq
         ), w AS (
            SELECT s.id, s.attempt
              FROM heads h
              JOIN LATERAL (SELECT x.id, x.attempt, x.status FROM workflow_step x
                             WHERE x.run_id = h.id AND x.status IN ('pending', 'queued', 'running')
                             ORDER BY x.seq LIMIT 1) s ON true
             WHERE s.status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM workflow_run p
                                 JOIN workflow_step a ON a.run_id = p.id
                                WHERE p.ordering_key = h.ordering_key AND p.status = 'running'
                                  AND a.status IN ('queued', 'running'))
             LIMIT 1000
         ), q AS (
            UPDATE workflow_step s SET status = 'queued', next_attempt_at = now()
              FROM w WHERE s.id = w.id AND s.status = 'pending'
            RETURNING s.id, s.attempt
         ), ins AS (
            INSERT INTO outbox (step_id, attempt) SELECT id, attempt FROM q
            ON CONFLICT (step_id, attempt) DO NOTHING RETURNING 1
         ), n AS (SELECT pg_notify($1, '') WHERE EXISTS (SELECT 1 FROM ins))
         SELECT (SELECT count(*) FROM q) + 0 * (SELECT count(*) FROM n)",
    )
    .bind(OUTBOX_CHANNEL)
    .fetch_one(pool)
    .await?;
    Ok(n as u64)
}

/// Write a fresh outbox row for every queued step of a running run that was due more than
/// `after` ago and has no outbox row (its Redis message was lost: flush, failover, crash).
/// Each re-dispatch moves the step's `next_attempt_at` forward by the time it had waited, so
/// repeated re-dispatches of one step back off exponentially. Returns how many.
pub async fn redispatch_stale(pool: &PgPool, after: Duration) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "WITH stale AS (
            SELECT s.id, s.attempt, s.next_attempt_at AS due FROM workflow_step s JOIN workflow_run r ON r.id = s.run_id
             WHERE s.status = 'queued' AND s.next_attempt_at < now() - make_interval(secs => $1)
               AND r.status = 'running'
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.step_id = s.id)
             LIMIT 5000
         ), ins AS (
            INSERT INTO outbox (step_id, attempt) SELECT id, attempt FROM stale
            ON CONFLICT (step_id, attempt) DO UPDATE SET not_before = now()
            RETURNING 1
         ), bump AS (
            -- Back off: the next re-dispatch of the same step waits as long again as this
            -- one did, so a backlog under saturated workers is not multiplied.
            UPDATE workflow_step s SET next_attempt_at = now() + (now() - stale.due)
              FROM stale WHERE s.id = stale.id
         ), n AS (SELECT pg_notify($2, '') WHERE EXISTS (SELECT 1 FROM ins))
         SELECT (SELECT count(*) FROM ins) + 0 * (SELECT count(*) FROM n)",
    )
    .bind(after.as_secs_f64())
    .bind(OUTBOX_CHANNEL)
    .fetch_one(pool)
    .await?;
    Ok(n as u64)
}

//! Runs: created in the caller's transaction with their steps and first outbox row, read back
//! with steps and attempts.

use pmsflow_core::{
    effects::{effects_steps, EffectsInput},
    workflow::{Budgets, StepSpec, WorkflowKind},
};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::OUTBOX_CHANNEL;

/// A run to create.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Workflow kind.
    pub kind: WorkflowKind,
    /// What the run concerns, e.g. the partner id.
    pub subject: Option<String>,
    /// Input of the run (JSON), read by every step.
    pub input: Value,
    /// Client's `Idempotency-Key`; a replay returns the run created first.
    pub idempotency_key: Option<String>,
    /// Who asked: the caller's user id, or a system actor (`system:scheduler`, ...;
    /// [`pmsflow_core::actors`]).
    pub created_by: String,
    /// The partner that owns the run and may read it (`GET /v1/runs/{id}`) without the run
    /// readers' role: set when the run is about one partner, never derived from names.
    pub owner_partner_id: Option<String>,
    /// The definition's steps, in order.
    pub steps: Vec<StepSpec>,
    /// Runs with the same key (e.g. `partner:<id>`) start one at a time, in commit order: the
    /// run waits (first step `pending`) while an earlier run of the key is running, and the
    /// completion of that run starts it. `None`: the run starts at once.
    pub ordering_key: Option<String>,
}

/// SQL that takes the transaction-scoped advisory lock of the ordering key `$key` (an SQL
/// expression): the one lock every writer of a key's order takes.
macro_rules! ordering_lock {
    ($key:literal) => {
        concat!(
            "pg_advisory_xact_lock(hashtextextended('pmsflow.ordering:' || ",
            $key,
            ", 0))"
        )
    };
}

/// Take the lock of ordering key `key` in the caller's transaction, as [`create_run`] does,
/// and say whether a run of the key other than `run` is running (`run`, taking its place now,
/// must wait).
pub async fn lock_ordering_key(
    conn: &mut PgConnection,
    key: &str,
    run: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "WITH l AS (SELECT ",
        ordering_lock!("$1"),
        ")
         SELECT EXISTS (SELECT 1 FROM workflow_run
                         WHERE ordering_key = $1 AND status = 'running'
                           AND id <> $2)
           FROM l"
    ))
    .bind(key)
    .bind(run)
    .fetch_one(conn)
    .await
}

/// Ordering key of the runs that publish a partner's events.
pub fn partner_ordering_key(partner_id: &str) -> String {
    format!("partner:{partner_id}")
}

/// Ordering key of the runs that publish a policy's events.
pub fn policy_ordering_key(policy_id: &str) -> String {
    format!("policy:{policy_id}")
}

/// Whom an effects run is about: its subject, its ordering key and its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectsAbout<'a> {
    /// A partner (id): ordered by [`partner_ordering_key`], owned by the partner.
    Partner(&'a str),
    /// A policy or policy group (id): ordered by [`policy_ordering_key`], owned by no partner
    /// (only run readers see it).
    Policy(&'a str),
}

impl<'a> EffectsAbout<'a> {
    /// The partner or policy id.
    pub fn subject(self) -> &'a str {
        match self {
            Self::Partner(id) | Self::Policy(id) => id,
        }
    }

    /// The ordering key of its event runs.
    pub fn ordering_key(self) -> String {
        match self {
            Self::Partner(id) => partner_ordering_key(id),
            Self::Policy(id) => policy_ordering_key(id),
        }
    }

    /// The partner that owns the run, if it is about one.
    pub fn owner(self) -> Option<&'a str> {
        match self {
            Self::Partner(id) => Some(id),
            Self::Policy(_) => None,
        }
    }
}

/// Result of [`create_run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CreatedRun {
    /// The run id.
    pub run_id: Uuid,
    /// `true` when the idempotency key matched an existing run and nothing was created.
    pub replayed: bool,
}

/// The effects run of `input` ([`pmsflow_core::effects`]) about `about`: runs with events
/// take its ordering key, so the events of one partner or policy go out in commit order; a
/// run with only email and audit starts at once. `None` for an empty input.
pub fn effects_run(
    budgets: &Budgets,
    created_by: &str,
    about: EffectsAbout<'_>,
    input: &EffectsInput,
) -> Result<Option<NewRun>, sqlx::Error> {
    if input.is_empty() {
        return Ok(None);
    }
    Ok(Some(NewRun {
        kind: WorkflowKind::Effects,
        subject: Some(about.subject().to_owned()),
        input: serde_json::to_value(input).map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
        idempotency_key: None,
        created_by: created_by.to_owned(),
        owner_partner_id: about.owner().map(str::to_owned),
        steps: effects_steps(input, budgets),
        ordering_key: (!input.events.is_empty()).then(|| about.ordering_key()),
    }))
}

/// Create the [`effects_run`] of `input` on `conn`, the caller's transaction; returns its id
/// (`None` for an empty input).
pub async fn enqueue_effects(
    conn: &mut PgConnection,
    budgets: &Budgets,
    created_by: &str,
    about: EffectsAbout<'_>,
    input: &EffectsInput,
) -> Result<Option<Uuid>, sqlx::Error> {
    match effects_run(budgets, created_by, about, input)? {
        Some(run) => Ok(Some(create_run(conn, run).await?.run_id)),
        None => Ok(None),
    }
}

/// Insert the run, its steps (first one `queued`, the others `pending`) and the first outbox
/// row, and NOTIFY the relay — all on `conn`, which should be inside the caller's transaction
/// together with the domain change (transactional enqueue, DESIGN.md §2).
pub async fn create_run(conn: &mut PgConnection, new: NewRun) -> Result<CreatedRun, sqlx::Error> {
    let run_id = Uuid::now_v7();
    let n = new.steps.len();
    // An ordered run takes its place under a transaction-scoped lock on its key, so sequence
    // order is commit order among the runs of the key; it waits if an earlier one is running.
    let mut waits = false;
    let mut ordering_seq: Option<i64> = None;
    if let Some(key) = &new.ordering_key {
        let (seq, busy): (i64, bool) = sqlx::query_as(
            concat!("WITH l AS (SELECT ", ordering_lock!("$1"), ")
             SELECT nextval('workflow_run_ordering_seq'),
                    EXISTS (SELECT 1 FROM workflow_run WHERE ordering_key = $1 AND status = 'running')
               FROM l"),
        )
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
        waits = busy;
        ordering_seq = Some(seq);
    }
    debug_assert!(
        {
            let mut unique = std::collections::HashSet::with_capacity(n);
            new.steps.iter().all(|s| unique.insert(s.key.as_str()))
        },
        "a workflow definition repeats a step key"
    );
    let mut ids = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    let mut seqs = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut required = Vec::with_capacity(n);
    let mut max_attempts = Vec::with_capacity(n);
    let mut backoffs = Vec::with_capacity(n);
    let mut effect_keys = Vec::with_capacity(n);
    for (i, s) in new.steps.iter().enumerate() {
        ids.push(Uuid::now_v7());
        keys.push(s.key.clone());
        seqs.push(i as i32 + 1);
        statuses.push(if i == 0 && !waits {
            "queued"
        } else {
            "pending"
        });
        required.push(s.required);
        max_attempts.push(s.max_attempts as i32);
        backoffs.push(serde_json::to_value(s.backoff).unwrap_or(Value::Null));
        effect_keys.push(format!("{run_id}:{}", s.key));
    }
    // One statement: the run, its steps, the first outbox row and the relay's NOTIFY; nothing
    // but the run lookup happens when the idempotency key was used before.
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "WITH r AS (
            INSERT INTO workflow_run (id, kind, version, subject, status, input, idempotency_key, created_by, finished_at,
                                      ordering_key, ordering_seq, owner_partner_id, traceparent)
            VALUES ($1, $2, $3, $4, CASE WHEN $16 THEN 'completed' ELSE 'running' END, $5, $6, $7,
                    CASE WHEN $16 THEN now() END, $18, $19, $21, $22)
            ON CONFLICT (created_by, kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id
         ), s AS (
            INSERT INTO workflow_step (id, run_id, step_key, seq, status, required, max_attempts, backoff, effect_key, next_attempt_at)
            SELECT t.id, r.id, t.key, t.seq, t.status, t.req, t.max_att, t.backoff, t.effect_key,
                   CASE WHEN t.status = 'queued' THEN now() END
              FROM r, UNNEST($8::uuid[], $9::text[], $10::int[], $11::text[], $12::bool[], $13::int[], $14::jsonb[], $15::text[])
                   AS t(id, key, seq, status, req, max_att, backoff, effect_key)
            RETURNING id, seq
         ), o AS (
            INSERT INTO outbox (step_id, attempt) SELECT id, 0 FROM s WHERE seq = 1 AND NOT $20 RETURNING id
         ), n AS (
            SELECT pg_notify($17, '') FROM o
         )
         SELECT id FROM r WHERE (SELECT count(*) FROM n) >= 0",
    )
    .bind(run_id)
    .bind(new.kind.as_str())
    .bind(new.kind.version())
    .bind(&new.subject)
    .bind(&new.input)
    .bind(&new.idempotency_key)
    .bind(&new.created_by)
    .bind(&ids)
    .bind(&keys)
    .bind(&seqs)
    .bind(&statuses)
    .bind(&required)
    .bind(&max_attempts)
    .bind(&backoffs)
    .bind(&effect_keys)
    .bind(n == 0)
    .bind(OUTBOX_CHANNEL)
    .bind(&new.ordering_key)
    .bind(ordering_seq)
    .bind(waits)
    .bind(&new.owner_partner_id)
    .bind(crate::trace::current())
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() {
        crate::metrics::runs_started(new.kind.as_str(), 1);
        return Ok(CreatedRun {
            run_id,
            replayed: false,
        });
    }
    // The insert met the key's earlier run (the only conflict it skips).
    let key = new.idempotency_key.as_deref().unwrap_or_default();
    let existing = run_by_idempotency_key(&mut *conn, &new.created_by, new.kind, key)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok(CreatedRun {
        run_id: existing,
        replayed: true,
    })
}

/// Serialise, until the end of the caller's transaction, the requests of `created_by` for a run
/// of `kind` with idempotency key `key`: a retry arriving while the first request is still at
/// work waits for it, then finds its run with [`run_by_idempotency_key`].
pub async fn lock_idempotency_key(
    conn: &mut PgConnection,
    created_by: &str,
    kind: WorkflowKind,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("{created_by}|{}|{key}", kind.as_str()))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The run `created_by` created for `kind` with idempotency key `key`, if any (the one lookup
/// of a replay: [`create_run`] and the native onboarding use it).
pub async fn run_by_idempotency_key(
    conn: &mut PgConnection,
    created_by: &str,
    kind: WorkflowKind,
    key: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM workflow_run WHERE created_by = $1 AND kind = $2 AND idempotency_key = $3",
    )
    .bind(created_by)
    .bind(kind.as_str())
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
}

/// Create many runs (none with an idempotency key) in a few set-based statements on `conn`,
/// the caller's transaction, with the semantics of [`create_run`] for each: runs of one
/// ordering key start one at a time in the order given (the first waits if an earlier run of
/// its key is running, the later ones wait for it), and every run that starts gets its outbox
/// row; one NOTIFY for all. The ordering keys are locked in sorted order, so two batches never
/// deadlock on each other. Returns the run ids, in the order given.
///
/// # Panics
/// Never; a run with an idempotency key is created through [`create_run`] instead.
pub async fn create_runs(
    conn: &mut PgConnection,
    new: &[NewRun],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    if new.iter().any(|r| r.idempotency_key.is_some()) {
        let mut ids = Vec::with_capacity(new.len());
        for r in new {
            ids.push(create_run(conn, r.clone()).await?.run_id);
        }
        return Ok(ids);
    }
    let mut keys: Vec<&str> = new
        .iter()
        .filter_map(|r| r.ordering_key.as_deref())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut busy = std::collections::HashSet::new();
    let mut seqs: Vec<i64> = Vec::new();
    if !keys.is_empty() {
        sqlx::query(concat!(
            "SELECT count(",
            ordering_lock!("k"),
            ") FROM (SELECT k FROM UNNEST($1::text[]) k ORDER BY k) sorted"
        ))
        .bind(&keys)
        .execute(&mut *conn)
        .await?;
        let running: Vec<String> = sqlx::query_scalar(
            // Per key through the ordering index, whatever the planner's statistics say.
            "SELECT k FROM UNNEST($1::text[]) k
              WHERE EXISTS (SELECT 1 FROM workflow_run
                             WHERE ordering_key = k AND status = 'running')",
        )
        .bind(&keys)
        .fetch_all(&mut *conn)
        .await?;
        busy.extend(running);
        let ordered = new.iter().filter(|r| r.ordering_key.is_some()).count();
        seqs = sqlx::query_scalar(
            "SELECT nextval('workflow_run_ordering_seq') FROM generate_series(1, $1)",
        )
        .bind(ordered as i64)
        .fetch_all(&mut *conn)
        .await?;
        seqs.sort_unstable();
    }
    let mut seqs = seqs.into_iter();
    // The statements' columns, borrowed from `new` (a sweep batch writes thousands of runs).
    let steps_total: usize = new.iter().map(|r| r.steps.len()).sum();
    let mut run_ids = Vec::with_capacity(new.len());
    let mut kinds = Vec::with_capacity(new.len());
    let mut versions = Vec::with_capacity(new.len());
    let mut subjects: Vec<Option<&str>> = Vec::with_capacity(new.len());
    let mut inputs: Vec<&Value> = Vec::with_capacity(new.len());
    let mut creators: Vec<&str> = Vec::with_capacity(new.len());
    let mut owners: Vec<Option<&str>> = Vec::with_capacity(new.len());
    let mut run_keys: Vec<Option<&str>> = Vec::with_capacity(new.len());
    let mut run_seqs = Vec::with_capacity(new.len());
    let mut finished = Vec::with_capacity(new.len());
    let mut step_ids = Vec::with_capacity(steps_total);
    let mut step_runs = Vec::with_capacity(steps_total);
    let mut step_keys: Vec<&str> = Vec::with_capacity(steps_total);
    let mut step_seqs = Vec::with_capacity(steps_total);
    let mut statuses = Vec::with_capacity(steps_total);
    let mut required = Vec::with_capacity(steps_total);
    let mut max_attempts = Vec::with_capacity(steps_total);
    let mut backoffs: Vec<Value> = Vec::with_capacity(steps_total);
    let mut effect_keys = Vec::with_capacity(steps_total);
    let mut queued = Vec::new();
    for r in new {
        let run_id = Uuid::now_v7();
        let waits = match &r.ordering_key {
            // The first run of a key in this batch waits for a running one; later ones wait
            // for the first.
            Some(k) => !busy.insert(k.clone()),
            None => false,
        };
        run_ids.push(run_id);
        kinds.push(r.kind.as_str());
        versions.push(r.kind.version());
        subjects.push(r.subject.as_deref());
        inputs.push(&r.input);
        creators.push(r.created_by.as_str());
        owners.push(r.owner_partner_id.as_deref());
        run_keys.push(r.ordering_key.as_deref());
        run_seqs.push(r.ordering_key.as_ref().and_then(|_| seqs.next()));
        finished.push(r.steps.is_empty());
        for (i, s) in r.steps.iter().enumerate() {
            let id = Uuid::now_v7();
            let starts = i == 0 && !waits;
            step_ids.push(id);
            step_runs.push(run_id);
            step_keys.push(s.key.as_str());
            step_seqs.push(i as i32 + 1);
            statuses.push(if starts { "queued" } else { "pending" });
            required.push(s.required);
            max_attempts.push(s.max_attempts as i32);
            backoffs.push(serde_json::to_value(s.backoff).unwrap_or(Value::Null));
            effect_keys.push(format!("{run_id}:{}", s.key));
            if starts {
                queued.push(id);
            }
        }
    }
    sqlx::query(
        "INSERT INTO workflow_run (id, kind, version, subject, status, input, created_by, finished_at,
                                   ordering_key, ordering_seq, owner_partner_id, traceparent)
         SELECT id, kind, version, subject, CASE WHEN done THEN 'completed' ELSE 'running' END,
                input, created_by, CASE WHEN done THEN now() END, okey, oseq, owner, $11
           FROM UNNEST($1::uuid[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::text[],
                       $7::bool[], $8::text[], $9::int8[], $10::text[])
                AS t(id, kind, version, subject, input, created_by, done, okey, oseq, owner)",
    )
    .bind(&run_ids)
    .bind(&kinds)
    .bind(&versions)
    .bind(&subjects)
    .bind(&inputs)
    .bind(&creators)
    .bind(&finished)
    .bind(&run_keys)
    .bind(&run_seqs)
    .bind(&owners)
    .bind(crate::trace::current())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "WITH s AS (
            INSERT INTO workflow_step (id, run_id, step_key, seq, status, required, max_attempts, backoff,
                                       effect_key, next_attempt_at)
            SELECT id, run_id, key, seq, status, req, max_att, backoff, effect_key,
                   CASE WHEN status = 'queued' THEN now() END
              FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::bool[],
                          $7::int[], $8::jsonb[], $9::text[])
                   AS t(id, run_id, key, seq, status, req, max_att, backoff, effect_key)
            RETURNING 1
         ), o AS (
            INSERT INTO outbox (step_id, attempt) SELECT id, 0 FROM UNNEST($10::uuid[]) id RETURNING 1
         )
         SELECT pg_notify($11, '') WHERE (SELECT count(*) FROM s) + (SELECT count(*) FROM o) > 0",
    )
    .bind(&step_ids)
    .bind(&step_runs)
    .bind(&step_keys)
    .bind(&step_seqs)
    .bind(&statuses)
    .bind(&required)
    .bind(&max_attempts)
    .bind(&backoffs)
    .bind(&effect_keys)
    .bind(&queued)
    .bind(OUTBOX_CHANNEL)
    .execute(&mut *conn)
    .await?;
    for r in new {
        crate::metrics::runs_started(r.kind.as_str(), 1);
    }
    Ok(run_ids)
}

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub id: Uuid,
    /// Workflow kind.
    pub kind: String,
    /// Definition version.
    pub version: i32,
    /// Partner id or other subject.
    pub subject: Option<String>,
    /// `running`, `completed`, `failed`, `cancelled`.
    pub status: String,
    /// Code of the failure that ended the run.
    pub error_code: Option<String>,
    /// Message of that failure.
    pub error_message: Option<String>,
    /// Who created it: a user id or a system actor (`system:scheduler`).
    pub created_by: String,
    /// The partner that owns it (may read it without the run readers' role), if any.
    pub owner_partner_id: Option<String>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// End time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// One step with its attempts.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// Step id.
    pub id: Uuid,
    /// Stable key, e.g. `keymanager.upload_partner_certificate`.
    pub key: String,
    /// Position in the run, from 1.
    pub seq: i32,
    /// `pending`, `queued`, `running`, `succeeded`, `failed`, `skipped`.
    pub status: String,
    /// Whether the run fails when this step fails.
    pub required: bool,
    /// Attempts started.
    pub attempt: i32,
    /// Attempt budget.
    pub max_attempts: i32,
    /// When the next attempt is due (queued steps).
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// Output of the successful attempt.
    pub output: Option<Value>,
    /// Last failure.
    pub last_error: Option<Value>,
    /// Start of the latest attempt.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// End of the step.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
}

/// One attempt of a step.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptView {
    /// Attempt number, from 1.
    pub attempt: i32,
    /// `succeeded`, `failed`, `lease_expired`.
    pub outcome: String,
    /// The failure (class, code, message, HTTP status, redacted response).
    pub error: Option<Value>,
    /// Worker that ran it.
    pub worker: Option<String>,
    /// Start.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// End.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
}

/// A run with its input, steps and attempts.
#[derive(Debug, Clone, Serialize)]
pub struct RunDetail {
    /// The run.
    #[serde(flatten)]
    pub run: RunSummary,
    /// Its input.
    pub input: Value,
    /// Its steps in order.
    pub steps: Vec<StepView>,
}

const SUMMARY_COLUMNS: &str =
    "id, kind, version, subject, status, error_code, error_message, created_by, owner_partner_id, created_at, finished_at";

fn summary(row: &sqlx::postgres::PgRow) -> Result<RunSummary, sqlx::Error> {
    Ok(RunSummary {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        version: row.try_get("version")?,
        subject: row.try_get("subject")?,
        status: row.try_get("status")?,
        error_code: row.try_get("error_code")?,
        error_message: row.try_get("error_message")?,
        created_by: row.try_get("created_by")?,
        owner_partner_id: row.try_get("owner_partner_id")?,
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// Read one run with steps and attempts; `None` if it does not exist.
pub async fn get_run(pool: &PgPool, id: Uuid) -> Result<Option<RunDetail>, sqlx::Error> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS}, input FROM workflow_run WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let run = summary(&row)?;
    let input: Value = row.try_get("input")?;
    let attempts = sqlx::query(
        "SELECT a.step_id, a.attempt, a.outcome, a.error, a.worker, a.started_at, a.finished_at
           FROM workflow_step s JOIN step_attempt a ON a.step_id = s.id
          WHERE s.run_id = $1 ORDER BY a.step_id, a.attempt",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let steps = sqlx::query(
        "SELECT id, step_key, seq, status, required, attempt, max_attempts, next_attempt_at, output,
                last_error, started_at, finished_at
         FROM workflow_step WHERE run_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let mut views = Vec::with_capacity(steps.len());
    for s in steps {
        let step_id: Uuid = s.try_get("id")?;
        let mut list = Vec::new();
        for a in attempts
            .iter()
            .filter(|a| a.try_get::<Uuid, _>("step_id").ok() == Some(step_id))
        {
            list.push(AttemptView {
                attempt: a.try_get("attempt")?,
                outcome: a.try_get("outcome")?,
                error: a.try_get("error")?,
                worker: a.try_get("worker")?,
                started_at: a.try_get("started_at")?,
                finished_at: a.try_get("finished_at")?,
            });
        }
        views.push(StepView {
            id: step_id,
            key: s.try_get("step_key")?,
            seq: s.try_get("seq")?,
            status: s.try_get("status")?,
            required: s.try_get("required")?,
            attempt: s.try_get("attempt")?,
            max_attempts: s.try_get("max_attempts")?,
            next_attempt_at: s.try_get("next_attempt_at")?,
            output: s.try_get("output")?,
            last_error: s.try_get("last_error")?,
            started_at: s.try_get("started_at")?,
            finished_at: s.try_get("finished_at")?,
            attempts: list,
        });
    }
    Ok(Some(RunDetail {
        run,
        input,
        steps: views,
    }))
}

/// Filters of [`list_runs`]; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Workflow kind.
    pub kind: Option<String>,
    /// Run status.
    pub status: Option<String>,
    /// Subject (partner id).
    pub partner_id: Option<String>,
    /// Only runs this partner owns (`owner_partner_id`; the own-data rule for callers without
    /// the run readers' role).
    pub owner_partner_id: Option<String>,
}

/// A page of runs, newest first, keyset-paged on `(created_at, id)`.
#[derive(Debug, Clone, Serialize)]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<RunSummary>,
    /// Cursor for the next page (`id` of the last run), if there may be more.
    pub next_cursor: Option<Uuid>,
}

/// List runs matching `filter`, at most `limit` (1..=500), after `cursor` (a run id).
pub async fn list_runs(
    pool: &PgPool,
    filter: &RunFilter,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<RunPage, sqlx::Error> {
    let limit = limit.clamp(1, 500);
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM workflow_run r
         WHERE ($1::text IS NULL OR kind = $1)
           AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR subject = $3)
           AND ($4::text IS NULL OR owner_partner_id = $4)
           AND ($5::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM workflow_run WHERE id = $5))
         ORDER BY created_at DESC, id DESC
         LIMIT $6"
    ))
    .bind(&filter.kind)
    .bind(&filter.status)
    .bind(&filter.partner_id)
    .bind(&filter.owner_partner_id)
    .bind(cursor)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let runs = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = if runs.len() as i64 == limit {
        runs.last().map(|r| r.id)
    } else {
        None
    };
    Ok(RunPage { runs, next_cursor })
}

/// Status of a run, if it exists.
pub async fn run_status(pool: &PgPool, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM workflow_run WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

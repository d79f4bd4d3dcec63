//! Operator actions on runs and steps, and the operator audit log (`operator_action`).
//!
//! Every action runs in the caller's transaction: it locks the run (`FOR UPDATE`), checks
//! that the action applies ([`pmsflow_core::operator`]), changes the run and its steps,
//! writes the outbox row of whatever step it makes ready, and appends the audit entry with
//! who, what, why, before and after. Nothing is half-done: the caller commits all or none.

use pmsflow_core::operator::{RunAction, StepAction};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{OUTBOX_CHANNEL, RUN_CHANNEL};

/// Why an action was not done.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No run with this id.
    #[error("no such run")]
    UnknownRun,
    /// The run has no step with this id.
    #[error("no such step in this run")]
    UnknownStep,
    /// The action does not apply to the run or step in its current state.
    #[error("{0}")]
    NotApplicable(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Who acts, and why.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// User id of the operator.
    pub name: &'a str,
    /// The reason they gave (already checked with [`pmsflow_core::operator::reason`]).
    pub reason: &'a str,
    /// The bulk action this is part of, if any.
    pub bulk_id: Option<Uuid>,
}

/// One entry of the operator audit log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Sequence number (newest is highest).
    pub id: i64,
    /// Who.
    pub actor: String,
    /// What: `retry`, `retry-now`, `skip`, `cancel`, `republish`, `bulk`, `pause`, `resume`,
    /// `trigger`.
    pub action: String,
    /// The run acted on.
    pub run_id: Option<Uuid>,
    /// The step acted on.
    pub step_id: Option<Uuid>,
    /// The partner or schedule the action concerns.
    pub subject: Option<String>,
    /// Why.
    pub reason: String,
    /// State before (run status, step status and attempts).
    pub before: Option<Value>,
    /// State after.
    pub after: Option<Value>,
    /// The bulk action this entry belongs to.
    pub bulk_id: Option<Uuid>,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A new audit entry.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Who and why.
    pub actor: Actor<'a>,
    /// What (see [`AuditEntry::action`]).
    pub action: &'a str,
    /// The run acted on.
    pub run_id: Option<Uuid>,
    /// The step acted on.
    pub step_id: Option<Uuid>,
    /// The partner or schedule.
    pub subject: Option<&'a str>,
    /// State before.
    pub before: Option<Value>,
    /// State after.
    pub after: Option<Value>,
}

const ENTRY_COLUMNS: &str =
    "id, actor, action, run_id, step_id, subject, reason, before, after, bulk_id, at";

fn entry(row: &sqlx::postgres::PgRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        run_id: row.try_get("run_id")?,
        step_id: row.try_get("step_id")?,
        subject: row.try_get("subject")?,
        reason: row.try_get("reason")?,
        before: row.try_get("before")?,
        after: row.try_get("after")?,
        bulk_id: row.try_get("bulk_id")?,
        at: row.try_get("at")?,
    })
}

/// Append an entry to the operator audit log.
pub async fn record(conn: &mut PgConnection, e: NewEntry<'_>) -> Result<AuditEntry, sqlx::Error> {
    let row = sqlx::query(&format!(
        "INSERT INTO operator_action (actor, action, run_id, step_id, subject, reason, before, after, bulk_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(e.actor.name)
    .bind(e.action)
    .bind(e.run_id)
    .bind(e.step_id)
    .bind(e.subject)
    .bind(e.actor.reason)
    .bind(e.before)
    .bind(e.after)
    .bind(e.actor.bulk_id)
    .fetch_one(&mut *conn)
    .await?;
    entry(&row)
}

struct LockedRun {
    status: String,
    subject: Option<String>,
    ordering_key: Option<String>,
}

async fn lock_run(conn: &mut PgConnection, run_id: Uuid) -> Result<LockedRun, ActionError> {
    let row = sqlx::query(
        "SELECT status, subject, ordering_key FROM workflow_run WHERE id = $1 FOR UPDATE",
    )
    .bind(run_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ActionError::UnknownRun)?;
    Ok(LockedRun {
        status: row.try_get("status")?,
        subject: row.try_get("subject")?,
        ordering_key: row.try_get("ordering_key")?,
    })
}

struct StepState {
    id: Uuid,
    key: String,
    seq: i32,
    status: String,
    attempt: i32,
    max_attempts: i32,
}

impl StepState {
    fn view(&self) -> Value {
        json!({"key": self.key, "status": self.status, "attempt": self.attempt, "maxAttempts": self.max_attempts})
    }
}

fn step_state(row: &sqlx::postgres::PgRow) -> Result<StepState, sqlx::Error> {
    Ok(StepState {
        id: row.try_get("id")?,
        key: row.try_get("step_key")?,
        seq: row.try_get("seq")?,
        status: row.try_get("status")?,
        attempt: row.try_get("attempt")?,
        max_attempts: row.try_get("max_attempts")?,
    })
}

const STEP_COLUMNS: &str = "id, step_key, seq, status, attempt, max_attempts";

async fn notify_run(
    conn: &mut PgConnection,
    run_id: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2), pg_notify($3, '')")
        .bind(RUN_CHANNEL)
        .bind(format!("{run_id}:{status}"))
        .bind(OUTBOX_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Dispatch `step` (now `queued`) through the outbox at once.
async fn dispatch_now(
    conn: &mut PgConnection,
    step: Uuid,
    attempt: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (step_id, attempt) VALUES ($1, $2)
         ON CONFLICT (step_id, attempt) DO UPDATE SET not_before = now()",
    )
    .bind(step)
    .bind(attempt)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Retry a failed run from its failed step with a fresh attempt budget (the budget the step
/// was created with): the step is queued and dispatched at once, the run is `running` again
/// and its later steps follow as usual. A run with an ordering key (a partner's events) waits
/// instead, its failed step `pending`, while another run of its key is running: the engine
/// starts it when that run ends, lowest sequence first, so runs of one partner retried
/// together (a bulk retry after a hub outage) still publish one at a time in commit order.
/// `NotApplicable` unless the run is `failed`.
pub async fn retry_run(
    conn: &mut PgConnection,
    run_id: Uuid,
    actor: Actor<'_>,
) -> Result<AuditEntry, ActionError> {
    let run = lock_run(conn, run_id).await?;
    if !RunAction::Retry.applies(&run.status) {
        return Err(ActionError::NotApplicable(format!(
            "the run is {}; only a failed run can be retried",
            run.status
        )));
    }
    let failed = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM workflow_step
          WHERE run_id = $1 AND status = 'failed' AND required ORDER BY seq LIMIT 1"
    ))
    .bind(run_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| step_state(&r))
    .transpose()?
    .ok_or_else(|| ActionError::NotApplicable("the run has no failed step".into()))?;
    // Under the key's lock, as a run is created: is another run of the key at work?
    let waits = match &run.ordering_key {
        Some(key) => crate::runs::lock_ordering_key(conn, key, run_id).await?,
        None => false,
    };
    let max_attempts: i32 = sqlx::query_scalar(
        "UPDATE workflow_step
            SET status = CASE WHEN $2 THEN 'pending' ELSE 'queued' END,
                budget = coalesce(budget, max_attempts),
                max_attempts = attempt + coalesce(budget, max_attempts),
                next_attempt_at = CASE WHEN $2 THEN NULL ELSE now() END, finished_at = NULL
          WHERE id = $1 RETURNING max_attempts",
    )
    .bind(failed.id)
    .bind(waits)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE workflow_run SET status = 'running', error_code = NULL, error_message = NULL,
                finished_at = NULL, updated_at = now() WHERE id = $1",
    )
    .bind(run_id)
    .execute(&mut *conn)
    .await?;
    if !waits {
        dispatch_now(conn, failed.id, failed.attempt).await?;
    }
    notify_run(conn, run_id, "running").await?;
    let step_status = if waits { "pending" } else { "queued" };
    let after = json!({"run": "running", "step": {"key": failed.key, "status": step_status, "attempt": failed.attempt, "maxAttempts": max_attempts}, "waitsFor": waits.then_some(run.ordering_key.as_deref()).flatten()});
    Ok(record(
        conn,
        NewEntry {
            actor,
            action: RunAction::Retry.as_str(),
            run_id: Some(run_id),
            step_id: Some(failed.id),
            subject: run.subject.as_deref(),
            before: Some(json!({"run": run.status, "step": failed.view()})),
            after: Some(after),
        },
    )
    .await?)
}

/// Cancel a running or failed run: its pending and queued steps are skipped (a step leased by
/// a worker finishes its attempt, but nothing after it starts), and the next run waiting on
/// its ordering key is started by the reconciler.
pub async fn cancel_run(
    conn: &mut PgConnection,
    run_id: Uuid,
    actor: Actor<'_>,
) -> Result<AuditEntry, ActionError> {
    let run = lock_run(conn, run_id).await?;
    if !RunAction::Cancel.applies(&run.status) {
        return Err(ActionError::NotApplicable(format!(
            "the run is {}; only a running or failed run can be cancelled",
            run.status
        )));
    }
    let skipped: Vec<String> = sqlx::query_scalar(
        "WITH s AS (
            UPDATE workflow_step SET status = 'skipped', finished_at = now(), next_attempt_at = NULL
             WHERE run_id = $1 AND status IN ('pending', 'queued') RETURNING id, step_key, seq
         ), o AS (DELETE FROM outbox USING s WHERE outbox.step_id = s.id)
         SELECT step_key FROM s ORDER BY seq",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE workflow_run SET status = 'cancelled', finished_at = now(), updated_at = now()
          WHERE id = $1",
    )
    .bind(run_id)
    .execute(&mut *conn)
    .await?;
    notify_run(conn, run_id, "cancelled").await?;
    Ok(record(
        conn,
        NewEntry {
            actor,
            action: RunAction::Cancel.as_str(),
            run_id: Some(run_id),
            step_id: None,
            subject: run.subject.as_deref(),
            before: Some(json!({"run": run.status})),
            after: Some(json!({"run": "cancelled", "skippedSteps": skipped})),
        },
    )
    .await?)
}

async fn lock_step(
    conn: &mut PgConnection,
    run_id: Uuid,
    step_id: Uuid,
) -> Result<(LockedRun, StepState), ActionError> {
    let run = lock_run(conn, run_id).await?;
    let step = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM workflow_step WHERE id = $1 AND run_id = $2 FOR UPDATE"
    ))
    .bind(step_id)
    .bind(run_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| step_state(&r))
    .transpose()?
    .ok_or(ActionError::UnknownStep)?;
    Ok((run, step))
}

/// Dispatch a step that waits for its backoff now (`queued` after a failed attempt).
pub async fn retry_step_now(
    conn: &mut PgConnection,
    run_id: Uuid,
    step_id: Uuid,
    actor: Actor<'_>,
) -> Result<AuditEntry, ActionError> {
    let (run, step) = lock_step(conn, run_id, step_id).await?;
    if !StepAction::RetryNow.applies(&run.status, &step.status, step.attempt) {
        return Err(ActionError::NotApplicable(format!(
            "step {} is {} in a {} run; only a step waiting for its next attempt can be retried now",
            step.key, step.status, run.status
        )));
    }
    sqlx::query("UPDATE workflow_step SET next_attempt_at = now() WHERE id = $1")
        .bind(step.id)
        .execute(&mut *conn)
        .await?;
    dispatch_now(conn, step.id, step.attempt).await?;
    notify_run(conn, run_id, "running").await?;
    Ok(record(
        conn,
        NewEntry {
            actor,
            action: StepAction::RetryNow.as_str(),
            run_id: Some(run_id),
            step_id: Some(step.id),
            subject: run.subject.as_deref(),
            before: Some(json!({"run": run.status, "step": step.view()})),
            after: Some(json!({"run": run.status, "step": {"key": step.key, "status": "queued", "dispatched": true}})),
        },
    )
    .await?)
}

/// Skip a pending, queued or failed step of a running or failed run. When nothing else holds
/// the run (no other step queued or running, no required step failed, no earlier step
/// pending), the next pending step is queued (and the run is `running` again), or the run
/// completes when no step is left. Skipping a step the run has already passed (a best-effort
/// step that failed while the run went on) or a later one changes nothing else.
pub async fn skip_step(
    conn: &mut PgConnection,
    run_id: Uuid,
    step_id: Uuid,
    actor: Actor<'_>,
) -> Result<AuditEntry, ActionError> {
    let (run, step) = lock_step(conn, run_id, step_id).await?;
    if !StepAction::Skip.applies(&run.status, &step.status, step.attempt) {
        return Err(ActionError::NotApplicable(format!(
            "step {} is {} in a {} run; only a pending, queued or failed step of a running or failed run can be skipped",
            step.key, step.status, run.status
        )));
    }
    sqlx::query(
        "WITH s AS (
            UPDATE workflow_step SET status = 'skipped', finished_at = now(), next_attempt_at = NULL,
                   lease_owner = NULL, lease_until = NULL
             WHERE id = $1 RETURNING id
         )
         DELETE FROM outbox USING s WHERE outbox.step_id = s.id",
    )
    .bind(step.id)
    .execute(&mut *conn)
    .await?;
    // Was the run held at this step? Then it moves on. A step still at work, a required
    // failure elsewhere or an earlier pending step means the run is somewhere else.
    let held_elsewhere: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM workflow_step WHERE run_id = $1 AND id <> $2
                          AND (status IN ('queued', 'running') OR (status = 'failed' AND required)
                               OR (status = 'pending' AND seq < $3)))",
    )
    .bind(run_id)
    .bind(step.id)
    .bind(step.seq)
    .fetch_one(&mut *conn)
    .await?;
    let mut run_after = run.status.clone();
    let mut next_key: Option<String> = None;
    if !held_elsewhere {
        let next = sqlx::query(
            "UPDATE workflow_step SET status = 'queued', next_attempt_at = now()
              WHERE id = (SELECT id FROM workflow_step WHERE run_id = $1 AND seq > $2 AND status = 'pending'
                           ORDER BY seq LIMIT 1)
             RETURNING id, attempt, step_key",
        )
        .bind(run_id)
        .bind(step.seq)
        .fetch_optional(&mut *conn)
        .await?;
        run_after = match next {
            Some(n) => {
                dispatch_now(conn, n.try_get("id")?, n.try_get("attempt")?).await?;
                next_key = Some(n.try_get("step_key")?);
                "running".to_owned()
            }
            None => "completed".to_owned(),
        };
        sqlx::query(
            "UPDATE workflow_run
                SET status = $2, error_code = NULL, error_message = NULL, updated_at = now(),
                    finished_at = CASE WHEN $2 = 'completed' THEN now() END
              WHERE id = $1",
        )
        .bind(run_id)
        .bind(&run_after)
        .execute(&mut *conn)
        .await?;
        notify_run(conn, run_id, &run_after).await?;
    }
    Ok(record(
        conn,
        NewEntry {
            actor,
            action: StepAction::Skip.as_str(),
            run_id: Some(run_id),
            step_id: Some(step.id),
            subject: run.subject.as_deref(),
            before: Some(json!({"run": run.status, "step": step.view()})),
            after: Some(json!({"run": run_after, "step": {"key": step.key, "status": "skipped"}, "nextStep": next_key})),
        },
    )
    .await?)
}

/// Filters of [`list_audit`]; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Who.
    pub actor: Option<String>,
    /// What.
    pub action: Option<String>,
    /// The run.
    pub run_id: Option<Uuid>,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Before.
    pub to: Option<OffsetDateTime>,
}

/// Audit entries matching `filter`, newest first, at most `limit` (1..=500), older than entry
/// `cursor`. Returns the entries and the cursor of the next page.
pub async fn list_audit(
    pool: &PgPool,
    filter: &AuditFilter,
    cursor: Option<i64>,
    limit: i64,
) -> Result<(Vec<AuditEntry>, Option<i64>), sqlx::Error> {
    let limit = limit.clamp(1, 500);
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM operator_action
          WHERE ($1::text IS NULL OR actor = $1)
            AND ($2::text IS NULL OR action = $2)
            AND ($3::uuid IS NULL OR run_id = $3)
            AND ($4::timestamptz IS NULL OR at >= $4)
            AND ($5::timestamptz IS NULL OR at < $5)
            AND ($6::bigint IS NULL OR id < $6)
          ORDER BY id DESC LIMIT $7"
    ))
    .bind(&filter.actor)
    .bind(&filter.action)
    .bind(filter.run_id)
    .bind(filter.from)
    .bind(filter.to)
    .bind(cursor)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let entries = rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
    let next = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok((entries, next))
}

/// The audit entries of one run, newest first (at most 200).
pub async fn actions_of_run(pool: &PgPool, run_id: Uuid) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM operator_action WHERE run_id = $1 ORDER BY at DESC, id DESC LIMIT 200"
    ))
    .bind(run_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmsflow_core::workflow::{Budgets, WorkflowKind};

    use crate::runs::{create_run, NewRun};

    const OPERATOR: Actor<'static> = Actor {
        name: "op1",
        reason: "test",
        bulk_id: None,
    };

    /// An effects run of partner `p1` created with `steps` (key, required) and `ordering_key`.
    async fn effects_run_of_p1(
        conn: &mut PgConnection,
        steps: &[(&str, bool)],
        ordering_key: Option<String>,
    ) -> Uuid {
        let steps = steps
            .iter()
            .map(|(key, required)| pmsflow_core::workflow::StepSpec {
                key: (*key).to_owned(),
                max_attempts: 3,
                required: *required,
                backoff: Budgets::default().backoff,
            })
            .collect();
        create_run(
            conn,
            NewRun {
                kind: WorkflowKind::Effects,
                subject: Some("p1".into()),
                input: json!({}),
                idempotency_key: None,
                created_by: "t".into(),
                owner_partner_id: None,
                steps,
                ordering_key,
            },
        )
        .await
        .unwrap()
        .run_id
    }

    /// A running effects run (publish, email, audit) whose steps have the given statuses.
    async fn run_with_steps(pool: &PgPool, statuses: [&str; 3], required: [bool; 3]) -> Uuid {
        let keys = [
            "websub.publish.1:PARTNER_UPDATED",
            "notifier.email.1",
            "audit.record",
        ];
        let steps: Vec<(&str, bool)> = keys.into_iter().zip(required).collect();
        let mut conn = pool.acquire().await.unwrap();
        let run = effects_run_of_p1(&mut conn, &steps, None).await;
        for (seq, status) in statuses.iter().enumerate() {
            sqlx::query("UPDATE workflow_step SET status = $3 WHERE run_id = $1 AND seq = $2")
                .bind(run)
                .bind(seq as i32 + 1)
                .bind(status)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        run
    }

    /// A failed effects run of partner `p1`'s ordering key: publish 1 succeeded, publish 2
    /// failed, the audit step never reached.
    async fn failed_ordered_run(pool: &PgPool) -> Uuid {
        let steps = [
            ("websub.publish.1:PARTNER_UPDATED", true),
            ("websub.publish.2:APIKEY_APPROVED", true),
            ("audit.record", true),
        ];
        let mut tx = pool.begin().await.unwrap();
        let key = crate::runs::partner_ordering_key("p1");
        let run = effects_run_of_p1(&mut tx, &steps, Some(key)).await;
        sqlx::query(
            "UPDATE workflow_step SET status = CASE seq WHEN 1 THEN 'succeeded' WHEN 2 THEN 'failed' ELSE 'pending' END,
                    attempt = CASE seq WHEN 3 THEN 0 ELSE 3 END, next_attempt_at = NULL
              WHERE run_id = $1",
        )
        .bind(run)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query("UPDATE workflow_run SET status = 'failed', finished_at = now() WHERE id = $1")
            .bind(run)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("DELETE FROM outbox")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        run
    }

    /// Two failed runs of one partner retried together (a bulk retry after a hub outage): the
    /// first goes at once, the second waits at its failed step until the first has ended, and
    /// the reconciler does not start it early; the engine's completion of the first starts it.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn runs_of_one_partner_retried_together_publish_one_at_a_time(pool: PgPool) {
        let first = failed_ordered_run(&pool).await;
        let second = failed_ordered_run(&pool).await;
        let mut tx = pool.begin().await.unwrap();
        retry_run(&mut tx, first, OPERATOR).await.unwrap();
        let entry = retry_run(&mut tx, second, OPERATOR).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(entry.after.as_ref().unwrap()["waitsFor"], "partner:p1");
        let step_of = |run: Uuid, seq: i32| {
            let pool = pool.clone();
            async move {
                sqlx::query_as::<_, (Uuid, String, i32)>(
                    "SELECT id, status, attempt FROM workflow_step WHERE run_id = $1 AND seq = $2",
                )
                .bind(run)
                .bind(seq)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        assert_eq!(step_of(first, 2).await.1, "queued");
        assert_eq!(step_of(second, 2).await.1, "pending");
        // The console says what the second waits for.
        let waiting = crate::console::waiting_for(&pool, second)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (waiting.ordering_key.as_str(), waiting.run_id),
            ("partner:p1", Some(first))
        );
        assert!(crate::console::waiting_for(&pool, first)
            .await
            .unwrap()
            .is_none());
        assert_eq!(crate::engine::release_waiting(&pool).await.unwrap(), 0);
        assert_eq!(step_of(second, 2).await.1, "pending");
        // The engine runs the first run's two open steps to the end.
        for seq in [2, 3] {
            let (id, _, attempt) = step_of(first, seq).await;
            let task = crate::jobs::StepTask {
                step_id: id,
                attempt,
                dispatch: 0,
                local: false,
            };
            let mut conn = pool.acquire().await.unwrap();
            let claimed =
                crate::engine::claim(&mut conn, &task, "w1", std::time::Duration::from_secs(30))
                    .await
                    .unwrap()
                    .expect("claimable");
            crate::engine::complete(
                &mut conn,
                &claimed,
                &crate::engine::Outcome::Succeeded(json!({})),
                crate::engine::Dispatch::Relay,
            )
            .await
            .unwrap();
        }
        assert_eq!(statuses(&pool, first).await.0, "completed");
        assert_eq!(step_of(second, 2).await.1, "queued");
        assert!(crate::console::waiting_for(&pool, second)
            .await
            .unwrap()
            .is_none());
    }

    async fn statuses(pool: &PgPool, run: Uuid) -> (String, Vec<String>) {
        let run_status: String =
            sqlx::query_scalar("SELECT status FROM workflow_run WHERE id = $1")
                .bind(run)
                .fetch_one(pool)
                .await
                .unwrap();
        let steps: Vec<String> =
            sqlx::query_scalar("SELECT status FROM workflow_step WHERE run_id = $1 ORDER BY seq")
                .bind(run)
                .fetch_all(pool)
                .await
                .unwrap();
        (run_status, steps)
    }

    async fn skip(pool: &PgPool, run: Uuid, seq: i32) {
        let step: Uuid =
            sqlx::query_scalar("SELECT id FROM workflow_step WHERE run_id = $1 AND seq = $2")
                .bind(run)
                .bind(seq)
                .fetch_one(pool)
                .await
                .unwrap();
        let mut tx = pool.begin().await.unwrap();
        skip_step(&mut tx, run, step, OPERATOR).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// A best-effort email that failed while the run went on to its audit step: skipping it
    /// neither completes the run nor touches the audit step still queued.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn skipping_a_passed_best_effort_step_leaves_the_run_where_it_is(pool: PgPool) {
        let run = run_with_steps(
            &pool,
            ["succeeded", "failed", "queued"],
            [true, false, false],
        )
        .await;
        skip(&pool, run, 2).await;
        assert_eq!(
            statuses(&pool, run).await,
            (
                "running".into(),
                vec!["succeeded".into(), "skipped".into(), "queued".into()]
            )
        );
    }

    /// The step the run waits at (queued for its next attempt): skipping it queues the next.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn skipping_the_step_the_run_waits_at_moves_it_on(pool: PgPool) {
        let run = run_with_steps(
            &pool,
            ["queued", "pending", "pending"],
            [true, false, false],
        )
        .await;
        skip(&pool, run, 1).await;
        assert_eq!(
            statuses(&pool, run).await,
            (
                "running".into(),
                vec!["skipped".into(), "queued".into(), "pending".into()]
            )
        );
    }
}

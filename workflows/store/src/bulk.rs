//! Bulk actions: an operator's retry or cancel over many runs, as a tracked `bulk_action` run.
//!
//! The runs are chosen when the operator confirms (the filter's matches or an explicit
//! selection, in `bulk_action.run_ids`); the run's single step applies the action batch by
//! batch ([`apply_batch`]), each batch committing the runs' changes, their audit entries and
//! the progress (`done`, `applied`, `skipped`) in one transaction, so a retried step resumes
//! after the last committed batch and acts on no run twice.

use pmsflow_core::operator::{BulkInput, RunAction};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::operator::{self, ActionError, Actor};

/// Progress of a bulk action.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkView {
    /// Bulk action id (= its run's id).
    pub id: Uuid,
    /// `retry` or `cancel`.
    pub action: String,
    /// Who confirmed it.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// The filter the runs were chosen by, if any.
    pub filter: Option<Value>,
    /// The run's status: `running`, `completed`, `failed`, `cancelled`.
    pub status: String,
    /// Runs chosen.
    pub total: i32,
    /// Runs processed so far.
    pub done: i32,
    /// Runs the action was applied to.
    pub applied: i32,
    /// Runs it no longer applied to when their turn came (e.g. already retried).
    pub skipped: i32,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// Record bulk action `id` (its run, same id, is created by the caller in the same
/// transaction) over `run_ids`.
pub async fn create(
    conn: &mut PgConnection,
    id: Uuid,
    input: &BulkInput,
    filter: Option<Value>,
    run_ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bulk_action (id, action, actor, reason, filter, run_ids, total)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(input.action.as_str())
    .bind(&input.actor)
    .bind(&input.reason)
    .bind(filter)
    .bind(run_ids)
    .bind(run_ids.len() as i32)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Progress of bulk action `id`.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<BulkView>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT b.id, b.action, b.actor, b.reason, b.filter, b.total, b.done, b.applied, b.skipped,
                b.created_at, r.status, r.finished_at
           FROM bulk_action b JOIN workflow_run r ON r.id = b.id WHERE b.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(BulkView {
            id: r.try_get("id")?,
            action: r.try_get("action")?,
            actor: r.try_get("actor")?,
            reason: r.try_get("reason")?,
            filter: r.try_get("filter")?,
            status: r.try_get("status")?,
            total: r.try_get("total")?,
            done: r.try_get("done")?,
            applied: r.try_get("applied")?,
            skipped: r.try_get("skipped")?,
            created_at: r.try_get("created_at")?,
            finished_at: r.try_get("finished_at")?,
        })
    })
    .transpose()
}

/// Where a bulk action stands after a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkProgress {
    /// Runs processed.
    pub done: i32,
    /// Runs chosen.
    pub total: i32,
    /// Applied so far.
    pub applied: i32,
    /// Skipped so far.
    pub skipped: i32,
}

impl BulkProgress {
    /// Every run processed?
    pub fn finished(&self) -> bool {
        self.done >= self.total
    }
}

/// Apply the bulk action to its next `input.batch` runs in one transaction. `Ok(None)`: no
/// such bulk action.
pub async fn apply_batch(
    pool: &PgPool,
    id: Uuid,
    input: &BulkInput,
) -> Result<Option<BulkProgress>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(row) = sqlx::query(
        "SELECT done, total, applied, skipped,
                run_ids[done + 1 : done + $2] AS batch
           FROM bulk_action WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .bind(input.batch.max(1) as i32)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let mut p = BulkProgress {
        done: row.try_get("done")?,
        total: row.try_get("total")?,
        applied: row.try_get("applied")?,
        skipped: row.try_get("skipped")?,
    };
    let batch: Vec<Uuid> = row
        .try_get::<Option<Vec<Uuid>>, _>("batch")?
        .unwrap_or_default();
    let actor = Actor {
        name: &input.actor,
        reason: &input.reason,
        bulk_id: Some(id),
    };
    for run_id in batch {
        // A savepoint per run: a run the action no longer applies to is skipped alone.
        let mut sp = sqlx::Connection::begin(&mut *tx).await?;
        let result = match input.action {
            RunAction::Retry => operator::retry_run(&mut sp, run_id, actor).await,
            RunAction::Cancel => operator::cancel_run(&mut sp, run_id, actor).await,
        };
        match result {
            Ok(_) => {
                sp.commit().await?;
                p.applied += 1;
            }
            Err(ActionError::Db(e)) => return Err(e),
            Err(_) => {
                sp.rollback().await?;
                p.skipped += 1;
            }
        }
        p.done += 1;
    }
    sqlx::query("UPDATE bulk_action SET done = $2, applied = $3, skipped = $4 WHERE id = $1")
        .bind(id)
        .bind(p.done)
        .bind(p.applied)
        .bind(p.skipped)
        .execute(&mut *tx)
        .await?;
    // The console follows the progress through the step channel.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(crate::STEP_CHANNEL)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(p))
}

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
    /// The bulk action's own run is no longer running (an operator cancelled it): nothing
    /// more is applied.
    pub stopped: bool,
}

impl BulkProgress {
    /// Every run processed, or the bulk action stopped?
    pub fn finished(&self) -> bool {
        self.done >= self.total || self.stopped
    }
}

/// Apply the bulk action to its next `input.batch` runs in one transaction. Nothing is
/// applied once the bulk action's own run is no longer `running` (cancelled from the console:
/// the run's row is read `FOR SHARE`, so a cancel waits for the batch in hand and the next
/// batch sees it). `Ok(None)`: no such bulk action.
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
        stopped: false,
    };
    let run_status: Option<String> =
        sqlx::query_scalar("SELECT status FROM workflow_run WHERE id = $1 FOR SHARE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if run_status.as_deref() != Some("running") {
        p.stopped = true;
        return Ok(Some(p));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use pmsflow_core::workflow::{Budgets, WorkflowKind};

    use crate::runs::{create_run, NewRun};

    async fn run(pool: &PgPool, kind: WorkflowKind, status: &str) -> Uuid {
        let mut conn = pool.acquire().await.unwrap();
        let id = create_run(
            &mut conn,
            NewRun {
                kind,
                subject: None,
                input: serde_json::json!({}),
                idempotency_key: None,
                created_by: "t".into(),
                owner_partner_id: None,
                steps: pmsflow_core::operator::bulk_steps(&Budgets::default()),
                ordering_key: None,
            },
        )
        .await
        .unwrap()
        .run_id;
        sqlx::query("UPDATE workflow_run SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(status)
            .execute(&mut *conn)
            .await
            .unwrap();
        id
    }

    /// A bulk action cancelled part-way stops at its next batch: the runs after it are left
    /// alone.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_cancelled_bulk_action_applies_nothing_more(pool: PgPool) {
        let mut targets = Vec::new();
        for _ in 0..4 {
            targets.push(run(&pool, WorkflowKind::Effects, "failed").await);
        }
        let bulk = run(&pool, WorkflowKind::BulkAction, "running").await;
        let input = BulkInput {
            action: RunAction::Cancel,
            actor: "op1".into(),
            reason: "test".into(),
            batch: 2,
        };
        let mut tx = pool.begin().await.unwrap();
        create(&mut tx, bulk, &input, None, &targets).await.unwrap();
        tx.commit().await.unwrap();
        let first = apply_batch(&pool, bulk, &input).await.unwrap().unwrap();
        assert_eq!((first.done, first.applied, first.stopped), (2, 2, false));
        let mut tx = pool.begin().await.unwrap();
        let actor = Actor {
            name: "op2",
            reason: "wrong filter",
            bulk_id: None,
        };
        operator::cancel_run(&mut tx, bulk, actor).await.unwrap();
        tx.commit().await.unwrap();
        let next = apply_batch(&pool, bulk, &input).await.unwrap().unwrap();
        assert!(next.stopped && next.finished());
        assert_eq!((next.done, next.applied), (2, 2));
        let still_failed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM workflow_run WHERE id = ANY($1) AND status = 'failed'",
        )
        .bind(&targets)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(still_failed, 2);
    }
}

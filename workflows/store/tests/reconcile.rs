//! The reconciler's re-dispatch of lost step messages, on a real database.

use std::time::Duration;

use pmsflow_core::workflow::{synthetic_steps, WorkflowKind};
use pmsflow_store::{engine, runs};
use sqlx::PgPool;

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_lost_dispatch_is_sent_again_then_backs_off(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    let run = runs::create_run(
        &mut conn,
        runs::NewRun {
            kind: WorkflowKind::Synthetic,
            subject: None,
            input: serde_json::json!({}),
            idempotency_key: None,
            created_by: "test".into(),
            owner_partner_id: None,
            steps: synthetic_steps(2),
            ordering_key: None,
        },
    )
    .await
    .unwrap();
    // The relay took the first step's row and its message was then lost (Redis flushed).
    let mut tx = pool.begin().await.unwrap();
    let taken = engine::take_due_outbox(&mut tx, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].1, "synthetic.1");
    sqlx::query("UPDATE workflow_step SET next_attempt_at = now() - interval '10 seconds' WHERE run_id = $1 AND seq = 1")
        .bind(run.run_id)
        .execute(&pool)
        .await
        .unwrap();

    // Not yet stale for a 20 s threshold; stale for 5 s: re-dispatched once.
    assert_eq!(
        engine::redispatch_stale(&pool, Duration::from_secs(20))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        engine::redispatch_stale(&pool, Duration::from_secs(5))
            .await
            .unwrap(),
        1
    );
    let mut tx = pool.begin().await.unwrap();
    let again = engine::take_due_outbox(&mut tx, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again.len(), 1, "a fresh dispatch of the same step");
    assert_ne!(
        again[0].0.dispatch, taken[0].0.dispatch,
        "with a new task id"
    );
    // Backed off: the step waited 10 s, so it is not sent again for another 10 s.
    assert_eq!(
        engine::redispatch_stale(&pool, Duration::from_secs(5))
            .await
            .unwrap(),
        0
    );
    // Pending steps and finished runs are never re-dispatched.
    sqlx::query("UPDATE workflow_run SET status = 'failed' WHERE id = $1")
        .bind(run.run_id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE workflow_step SET next_attempt_at = now() - interval '1 hour' WHERE run_id = $1 AND seq = 1")
        .bind(run.run_id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        engine::redispatch_stale(&pool, Duration::from_secs(5))
            .await
            .unwrap(),
        0
    );
}

//! `runs::create_runs` gives each run what `runs::create_run` would: ordered runs of one key
//! start one at a time in the order given, after any running run of the key; unordered runs
//! start at once; each started run has its outbox row.

use pmsflow_core::workflow::{synthetic_steps, WorkflowKind};
use pmsflow_store::runs::{self, NewRun};
use sqlx::PgPool;
use uuid::Uuid;

fn run(key: Option<&str>, steps: u32) -> NewRun {
    NewRun {
        kind: WorkflowKind::Synthetic,
        subject: None,
        input: serde_json::json!({}),
        idempotency_key: None,
        created_by: "test".into(),
        owner_partner_id: None,
        steps: synthetic_steps(steps),
        ordering_key: key.map(str::to_owned),
    }
}

async fn first_step(pool: &PgPool, run: Uuid) -> (String, bool) {
    sqlx::query_as(
        "SELECT s.status, EXISTS (SELECT 1 FROM outbox o WHERE o.step_id = s.id)
           FROM workflow_step s WHERE s.run_id = $1 AND s.seq = 1",
    )
    .bind(run)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn batch_runs_keep_per_key_order(pool: PgPool) {
    let mut tx = pool.begin().await.unwrap();
    // A running run of key b before the batch.
    let earlier = runs::create_run(&mut tx, run(Some("b"), 1))
        .await
        .unwrap()
        .run_id;
    let ids = runs::create_runs(
        &mut tx,
        &[
            run(Some("a"), 2),
            run(Some("b"), 2),
            run(Some("a"), 3),
            run(None, 1),
            run(Some("a"), 1),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids.len(), 5);
    let expect = [
        ("queued", true),   // first of a
        ("pending", false), // b waits for the running run of b
        ("pending", false), // a waits for the first a
        ("queued", true),   // unordered
        ("pending", false),
    ];
    for (id, (status, outbox)) in ids.iter().zip(expect) {
        assert_eq!(
            first_step(&pool, *id).await,
            (status.to_owned(), outbox),
            "{id}"
        );
    }
    // Ordering sequence follows the order given, after the earlier run.
    let seqs: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT id, ordering_seq FROM workflow_run WHERE ordering_key IS NOT NULL ORDER BY ordering_seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let order: Vec<Uuid> = seqs.iter().map(|(id, _)| *id).collect();
    assert_eq!(order, vec![earlier, ids[0], ids[1], ids[2], ids[4]]);
    let steps: i64 = sqlx::query_scalar("SELECT count(*) FROM workflow_step")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(steps, 1 + 2 + 2 + 3 + 1 + 1);
    // The first a completes: the engine's completion starts the next a (same as create_run).
    let released = pmsflow_store::engine::release_waiting(&pool).await.unwrap();
    assert_eq!(released, 0, "nothing may start while its predecessor runs");
}

//! A worker process killed with SIGKILL between an external call and its commit.
//!
//! The worker is the real `pmsflow serve --roles worker` binary, paused by the
//! `PMSFLOW_FAILPOINT_PAUSE_AFTER_CALL` failpoint right after keymanager re-signed the
//! certificate and before the outcome is committed; the test kills it there. A second worker
//! (in this process) must finish the run, and the sandbox ledger must hold each effect once per
//! effect key: the repeated re-sign carries the same Idempotency-Key and is answered as a
//! replay, not re-done.

use std::time::Duration;

use pmsflow_tests::{fresh_chain, onboarding_body, TestApp, TestOptions};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn sigkill_between_call_and_commit_still_completes_with_effects_once(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        TestOptions {
            workers: false,
            lease_seconds: 2,
            ..Default::default()
        },
    )
    .await;
    let mut child = pmsflow_tests::serve_child(&app, "worker")
        .env("PMSFLOW_WORKER__LEASE_SECONDS", "2")
        .env("PMSFLOW_AUTH__DEV_SECRET", "crash-test-worker-secret-0123")
        .env(
            "PMSFLOW_FAILPOINT_PAUSE_AFTER_CALL",
            "keymanager.upload_partner_certificate",
        )
        .spawn()
        .expect("start the worker process");
    let (root, leaf) = fresh_chain("crashorg");
    let body = onboarding_body(
        "crashp",
        "crashorg",
        "Auth_Partner",
        Some("mpolicygroup-default-auth"),
        vec![root],
        leaf,
    );
    let id = app.start_onboarding(&body).await;

    // Wait for the failpoint line: the re-sign happened, its outcome is not committed.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let reached = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("FAILPOINT paused-after-call keymanager.upload_partner_certificate") {
                return true;
            }
        }
        false
    })
    .await
    .expect("worker reached the failpoint in time");
    assert!(reached);
    let resigned_before = app
        .ledger_of("uploadPartnerCertificate")
        .iter()
        .filter(|e| !e.replay)
        .count();
    assert_eq!(
        resigned_before, 1,
        "keymanager re-signed once before the kill"
    );
    child.kill().await.expect("SIGKILL");
    let status: String = sqlx::query_scalar("SELECT status FROM workflow_step WHERE run_id = $1 AND step_key = 'keymanager.upload_partner_certificate'")
        .bind(id).fetch_one(&app.pool).await.unwrap();
    assert_eq!(status, "running", "the killed worker still holds the lease");

    // A new worker takes over once the lease expires.
    let cancel = CancellationToken::new();
    let clients = pmsflow::serve::clients(&app.settings).unwrap();
    let mut settings = app.settings.clone();
    settings.worker.lease_seconds = 2;
    pmsflow::serve::start_worker_role(
        &settings,
        app.pool.clone(),
        &app.redis,
        clients,
        cancel.clone(),
    );
    let run = app.wait_run(id, Duration::from_secs(60)).await;
    cancel.cancel();
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    let step = run
        .steps
        .iter()
        .find(|s| s.key == "keymanager.upload_partner_certificate")
        .unwrap();
    assert_eq!(
        step.attempts.first().map(|a| a.outcome.as_str()),
        Some("lease_expired")
    );
    assert_eq!(
        step.attempts.last().map(|a| a.outcome.as_str()),
        Some("succeeded")
    );

    let ledger = app.sandbox.sandbox.ledger();
    let resign: Vec<_> = ledger
        .iter()
        .filter(|e| e.operation == "uploadPartnerCertificate")
        .collect();
    assert_eq!(
        resign.iter().filter(|e| !e.replay).count(),
        1,
        "re-signed once: {resign:?}"
    );
    assert!(
        resign.iter().any(|e| e.replay),
        "the retry was answered as a replay"
    );
    app.assert_effects_once();
}

/// A worker that dies mid-chain (step 2 committed, step 3 queued but not yet run): the
/// reconciler re-dispatches step 3, a live worker chains the rest, and every step has exactly
/// one attempt.
#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_worker_dying_mid_chain_leaves_the_rest_to_the_reconciler(pool: PgPool) {
    use pmsflow_core::workflow::{synthetic_steps, WorkflowKind};
    use pmsflow_store::{jobs::StepTask, runs};
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let created = runs::create_run(
        &mut app.pool.acquire().await.unwrap(),
        runs::NewRun {
            kind: WorkflowKind::Synthetic,
            subject: None,
            input: serde_json::json!({}),
            idempotency_key: None,
            created_by: "test".into(),
            owner_partner_id: None,
            steps: synthetic_steps(4),
            ordering_key: None,
        },
    )
    .await
    .unwrap();
    let first: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM workflow_step WHERE run_id = $1 AND seq = 1")
            .bind(created.run_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let dying = pmsflow_tests::engine_dying_after(&app, Some("synthetic.2"));
    dying
        .deliver(StepTask {
            step_id: first,
            attempt: 0,
            dispatch: 0,
            local: true,
        })
        .await
        .unwrap();
    let statuses = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT status FROM workflow_step WHERE run_id = $1 ORDER BY seq",
        )
        .bind(created.run_id)
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    assert_eq!(
        statuses().await,
        ["succeeded", "succeeded", "queued", "pending"],
        "step 1 chained into step 2, then the worker died"
    );

    // Nothing will deliver step 3 but the reconciler.
    let pass = pmsflow_workers::reconciler::pass(
        &app.pool,
        &pmsflow_workers::reconciler::ReconcilerSettings {
            interval: Duration::from_secs(1),
            redispatch_after: Duration::ZERO,
        },
    )
    .await
    .unwrap();
    assert_eq!(pass.redispatched, 1);
    let cancel = CancellationToken::new();
    let clients = pmsflow::serve::clients(&app.settings).unwrap();
    pmsflow::serve::start_worker_role(
        &app.settings,
        app.pool.clone(),
        &app.redis,
        clients,
        cancel.clone(),
    );
    let run = app.wait_run(created.run_id, Duration::from_secs(60)).await;
    cancel.cancel();
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    for step in &run.steps {
        let outcomes: Vec<&str> = step.attempts.iter().map(|a| a.outcome.as_str()).collect();
        assert_eq!(outcomes, ["succeeded"], "{}: one attempt", step.key);
        assert_eq!(step.attempt, 1, "{}", step.key);
    }
}

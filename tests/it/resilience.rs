//! Failure handling: sandbox faults, permanent errors, duplicate deliveries, Redis loss.

use std::collections::HashMap;
use std::time::Duration;

use pmsflow_sandbox::{FaultConfig, FaultRule};
use pmsflow_store::{jobs::StepTask, runs};
use pmsflow_tests::{fresh_body, TestApp, TestOptions};
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn thirty_percent_5xx_plus_http200_errors_all_runs_complete(pool: PgPool) {
    // A budget large enough that 45 % failures cannot exhaust it (0.45^25 per step).
    let app = TestApp::spawn_with(
        pool,
        TestOptions {
            external_attempts: 25,
            ..Default::default()
        },
    )
    .await;
    let mut rules = HashMap::new();
    rules.insert(
        "*".to_owned(),
        FaultRule {
            error_rate: 0.3,
            http200_error_rate: 0.15,
            ..FaultRule::default()
        },
    );
    app.sandbox.sandbox.set_faults(FaultConfig { rules });
    let mut ids = Vec::new();
    for i in 0..20 {
        let mut body = fresh_body(i);
        body["partner"]["partnerId"] = format!("faulty{i}").into();
        ids.push(app.start_onboarding(&body).await);
    }
    let mut retried = 0;
    for id in ids {
        let run = app.wait_run(id, Duration::from_secs(120)).await;
        assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
        retried += run
            .steps
            .iter()
            .map(|s| s.attempts.iter().filter(|a| a.outcome == "failed").count())
            .sum::<usize>();
        for s in run.steps.iter().filter(|s| s.required) {
            assert_eq!(s.status, "succeeded", "{}", s.key);
        }
    }
    assert!(
        retried > 0,
        "faults were injected, so some attempts failed and were retried"
    );
    app.sandbox.sandbox.clear_faults();
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_permanent_error_fails_the_run_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut rules = HashMap::new();
    rules.insert(
        "keymanager.uploadPartnerCertificate".to_owned(),
        FaultRule::always_http200_error(Some("KER-PCM-008")),
    );
    app.sandbox.sandbox.set_faults(FaultConfig { rules });
    let id = app.start_onboarding(&fresh_body(1)).await;
    let run = app.wait_run(id, Duration::from_secs(60)).await;
    assert_eq!(run.run.status, "failed");
    assert_eq!(run.run.error_code.as_deref(), Some("KER-PCM-008"));
    let step = run
        .steps
        .iter()
        .find(|s| s.key == "keymanager.upload_partner_certificate")
        .unwrap();
    assert_eq!(step.attempt, 1, "no retry of a permanent error");
    assert_eq!(step.attempts.len(), 1);
    assert!(run
        .steps
        .iter()
        .skip_while(|s| s.key != "keymanager.upload_partner_certificate")
        .skip(1)
        .all(|s| s.status == "pending"));
    let resigned = app.ledger_of("uploadPartnerCertificate").len();
    assert_eq!(resigned, 0);
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn the_same_step_delivered_twice_runs_once(pool: PgPool) {
    // API only: the test delivers the steps itself.
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let engine = pmsflow_tests::engine_for(&app);
    let id = app.start_onboarding(&fresh_body(7)).await;
    let mut reached_resign = false;
    loop {
        let next: Option<(Uuid, i32, String)> = sqlx::query_as(
            "SELECT id, attempt, step_key FROM workflow_step WHERE run_id = $1 AND status = 'queued' ORDER BY seq LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        let Some((step_id, attempt, key)) = next else {
            break;
        };
        let task = StepTask {
            step_id,
            attempt,
            dispatch: 1,
            local: pmsflow_workers::steps::Executors::is_local(&key),
        };
        let (a, b) = tokio::join!(engine.deliver(task), engine.deliver(task));
        let outcomes = [a.unwrap(), b.unwrap()];
        let duplicates = outcomes
            .iter()
            .filter(|d| matches!(d, pmsflow_workers::engine::Delivery::Duplicate))
            .count();
        assert_eq!(
            duplicates, 1,
            "{key}: exactly one of two concurrent deliveries runs: {outcomes:?}"
        );
        // A late third delivery is a no-op too.
        assert_eq!(
            engine.deliver(task).await.unwrap(),
            pmsflow_workers::engine::Delivery::Duplicate
        );
        reached_resign |= key == "keymanager.upload_partner_certificate";
    }
    assert!(reached_resign);
    assert_eq!(
        runs::run_status(&app.pool, id).await.unwrap().as_deref(),
        Some("completed")
    );
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM step_attempt WHERE run_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let steps: i64 = sqlx::query_scalar("SELECT count(*) FROM workflow_step WHERE run_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(attempts, steps, "one attempt per step");
    let resigned = app.ledger_of("uploadPartnerCertificate").len();
    assert_eq!(resigned, 1);
    app.assert_effects_once();
    // Lease bookkeeping: nothing left running.
    let running: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workflow_step WHERE status = 'running'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(running, 0);
}

/// A private redis-server on a free loopback port, stopped on drop.
struct PrivateRedis {
    child: std::process::Child,
    url: String,
}

impl PrivateRedis {
    fn start() -> PrivateRedis {
        use std::io::BufRead;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("redis-server must be installed (scripts/services.sh installs it)");
        // Ready when the server says so on its log.
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("Ready to accept connections"));
        // Keep draining its log so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let mut redis = PrivateRedis {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        if !ready {
            let _ = redis.child.wait();
            panic!("private redis-server did not start");
        }
        redis
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn redis_flushall_in_the_middle_of_100_runs_loses_nothing(pool: PgPool) {
    let redis = PrivateRedis::start();
    let app = TestApp::spawn_with(
        pool,
        TestOptions {
            redis_url: Some(redis.url.clone()),
            redispatch_after_ms: 1_000,
            ..Default::default()
        },
    )
    .await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&app.pool)
        .await
        .unwrap();
    listener.listen(pmsflow_store::RUN_CHANNEL).await.unwrap();
    let bodies: Vec<_> = (0..100).map(fresh_body).collect();
    let mut ids = Vec::new();
    for b in &bodies {
        ids.push(app.start_onboarding(b).await);
    }
    // Flush once a quarter of the runs have finished.
    let mut finished = 0;
    while finished < 25 {
        listener.recv().await.unwrap();
        finished += 1;
    }
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("FLUSHALL").query_async(&mut c).await.unwrap();
    let running_at_flush: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workflow_run WHERE status = 'running'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    for id in ids {
        let run = app.wait_run(id, Duration::from_secs(180)).await;
        assert_eq!(
            run.run.status, "completed",
            "{id}: {:?}",
            run.run.error_message
        );
    }
    assert!(
        running_at_flush > 0,
        "the flush happened while runs were in flight"
    );
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn delivered_steps_leave_no_queue_bookkeeping_in_redis(pool: PgPool) {
    // apalis-redis keeps a fetched task's metadata hash and its in-flight entry until it is
    // acknowledged; with results off nothing acknowledges it, so each delivery forgets its
    // message itself. Without that Redis grows with every step ever run.
    let mut app = TestApp::spawn(pool).await;
    for i in 0..3 {
        app.onboard_fixture(i).await;
    }
    // Every delivery in progress ends before the workers stop: all are forgotten by then.
    app.stop_workers().await;
    let mut c = app.redis.conn.clone();
    let ns = app.settings.redis.namespace.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{ns}:steps:*"))
        .query_async(&mut c)
        .await
        .unwrap();
    let metas = keys.iter().filter(|k| k.contains(":steps:meta:")).count();
    assert_eq!(metas, 0, "{keys:?}");
    for set in keys.iter().filter(|k| k.contains(":steps:inflight")) {
        let n: i64 = redis::cmd("SCARD")
            .arg(set)
            .query_async(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 0, "{set}");
    }
    let steps: i64 = sqlx::query_scalar("SELECT count(*) FROM step_attempt")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        steps >= 30,
        "{steps} attempts: the onboardings ran their steps"
    );
}

//! `pmsflow bench`: benchmarks that print one JSON line of figures.
//!
//! - `engine`: synthetic workflows of N database-only steps (each step: `UPDATE` a row and
//!   `INSERT` a log row, committed with the step's completion) through the whole engine:
//!   transactional enqueue, outbox, relay, Redis, claim, commit, fast path.
//! - `sweep`: the licence-expiry sweep over N licences (a tenth expired), with one effects
//!   run (`MISP_LICENSE_UPDATED`, email, audit) written per expired licence; no worker runs,
//!   so the figure is the sweep's own work.
//! - `onboarding`: full onboardings through the HTTP API against the in-process sandbox, each
//!   with a freshly generated chain (rcgen, ECDSA P-256 root -> partner).
//!
//! Each benchmark uses its own database (`<database>_bench`, recreated) and its own Redis
//! namespace, so it never touches real data. `engine` also prints what its window cost
//! ([`crate::usage`]): this process's and PostgreSQL's CPU per workflow, PostgreSQL statements
//! per step (null unless `pg_stat_statements` is installed), Redis commands per step, Redis
//! memory before and after, steps re-dispatched. Latencies are run creation -> run finished, read
//! from Postgres; peak RSS is this process's `VmHWM` (it hosts the enqueuer and the workers).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use pmsflow_core::workflow::{synthetic_steps, WorkflowKind};
use pmsflow_store::{config::Settings, runs};
use pmsflow_workers::runtime::RedisHandles;
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::serve;

/// Which benchmark.
#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Synthetic N-step workflows through the full engine.
    Engine {
        /// Workflows to run.
        #[arg(long, default_value_t = 10_000)]
        workflows: u32,
        /// Steps per workflow.
        #[arg(long, default_value_t = 5)]
        steps: u32,
        /// Worker concurrency.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Paced enqueue in workflows/s (default: as fast as possible).
        #[arg(long)]
        rate: Option<f64>,
    },
    /// The licence-expiry sweep over `licences` MISP licences, a tenth of them expired: the
    /// sweep itself (marking plus one effects run per expired licence) is timed.
    Sweep {
        /// Licences in the table.
        #[arg(long, default_value_t = 1_000_000)]
        licences: u32,
        /// Rows per sweep transaction (default: `scheduler.batch`).
        #[arg(long)]
        batch: Option<i64>,
        /// Concurrent sweep transactions (default: `scheduler.lanes`).
        #[arg(long)]
        lanes: Option<usize>,
    },
    /// Full onboardings through the API against the in-process sandbox.
    Onboarding {
        /// Onboardings to run.
        #[arg(long, default_value_t = 2_000)]
        runs: u32,
        /// Concurrent clients.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
}

/// A kB field of `/proc/self/status` (`VmHWM:`, `VmRSS:`), in MiB; 0 when unreadable.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Peak resident set of this process, MiB (`VmHWM`).
fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn bench_database(settings: &mut Settings) -> anyhow::Result<PgPool> {
    use sqlx::postgres::PgConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    let opts = PgConnectOptions::from_str(&settings.database.url)?;
    let name = format!("{}_bench", opts.get_database().unwrap_or("pmsflow"));
    let mut admin = opts.clone().database("postgres").connect().await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let url = opts.database(&name).to_url_lossy().to_string();
    settings.database.url = url;
    serve::database(settings).await
}

struct Figures {
    latencies_ms: Vec<f64>,
    wall_s: f64,
    failed: i64,
}

async fn collect(pool: &PgPool, kind: &str) -> anyhow::Result<Figures> {
    let rows: Vec<(f64, String)> = sqlx::query_as(
        "SELECT extract(epoch FROM finished_at - created_at)::float8 * 1000, status
           FROM workflow_run WHERE kind = $1 AND finished_at IS NOT NULL",
    )
    .bind(kind)
    .fetch_all(pool)
    .await?;
    let wall: Option<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM max(finished_at) - min(created_at))::float8 FROM workflow_run WHERE kind = $1",
    )
    .bind(kind)
    .fetch_one(pool)
    .await?;
    let mut latencies: Vec<f64> = rows.iter().map(|r| r.0).collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok(Figures {
        failed: rows.iter().filter(|r| r.1 != "completed").count() as i64,
        latencies_ms: latencies,
        wall_s: wall.unwrap_or(0.0),
    })
}

/// Run a benchmark and print its figures as one JSON line.
pub async fn run(mut settings: Settings, which: Bench) -> anyhow::Result<()> {
    let pool = bench_database(&mut settings).await?;
    settings.redis.namespace = format!("bench-{}", Uuid::new_v4().simple());
    let redis = RedisHandles::connect(&settings.redis.url, &settings.redis.namespace).await?;
    let cancel = CancellationToken::new();
    let result = match which {
        Bench::Engine {
            workflows,
            steps,
            concurrency,
            rate,
        } => {
            settings.worker.concurrency = concurrency;
            settings.mosip.point_all_at("http://127.0.0.1:9");
            let _role = serve::start_worker_role(
                &settings,
                pool.clone(),
                &redis,
                serve::clients(&settings)?,
                cancel.clone(),
            );
            engine(&pool, &redis.client, workflows, steps, concurrency, rate).await
        }
        Bench::Sweep {
            licences,
            batch,
            lanes,
        } => {
            let batch = batch.unwrap_or(settings.scheduler.batch);
            let lanes = lanes.unwrap_or(settings.scheduler.lanes);
            let renewal = pmsflow_store::sweeps::Renewal {
                lead_days: settings.scheduler.licence_renewal_lead_days,
                validity_days: settings.pms.misp_licence_validity_days,
                key_length: settings.pms.misp_licence_key_length,
            };
            sweep(
                &pool,
                licences,
                batch,
                lanes,
                renewal,
                &settings.engine.budgets(),
            )
            .await
        }
        Bench::Onboarding { runs, concurrency } => {
            let sandbox = pmsflow_sandbox::Sandbox::spawn(crate::sandbox_config(&settings)).await?;
            settings.mosip.point_all_at(&sandbox.base_url);
            let _role = serve::start_worker_role(
                &settings,
                pool.clone(),
                &redis,
                serve::clients(&settings)?,
                cancel.clone(),
            );
            onboarding(&settings, &pool, runs, concurrency, cancel.clone()).await
        }
    };
    cancel.cancel();
    let mut conn = redis.conn.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", settings.redis.namespace))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
    }
    result
}

/// Current resident set of this process, MiB (`VmRSS`).
fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

/// WAL written by the server so far, bytes.
async fn wal_bytes(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::int8")
        .fetch_one(pool)
        .await
}

async fn sweep(
    pool: &PgPool,
    licences: u32,
    batch: i64,
    lanes: usize,
    renewal: pmsflow_store::sweeps::Renewal,
    budgets: &pmsflow_core::workflow::Budgets,
) -> anyhow::Result<()> {
    // The data exists before the clock starts: one MISP partner per 100 licences, every tenth
    // licence expired yesterday, the others valid for 90 days.
    let partners = licences.div_ceil(100).max(1);
    let setup = Instant::now();
    sqlx::query(
        "INSERT INTO partner (id, name, address, contact_no, email_id, user_id, partner_type_code,
                              approval_status, is_active, cr_by)
         SELECT 'bench-misp-' || i, 'Bench MISP ' || i, 'bench', '9999999999',
                'bench-misp-' || i || '@example.org', 'bench-misp-' || i, 'MISP_Partner',
                'approved', true, 'bench'
           FROM generate_series(1, $1) i",
    )
    .bind(partners as i32)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO misp_license (misp_id, license_key, valid_from_date, valid_to_date, is_active, cr_by)
         SELECT 'bench-misp-' || (1 + (i - 1) % $2), md5(i::text) || md5((i * 7)::text),
                now() - interval '90 days',
                CASE WHEN i % 10 = 0 THEN now() - interval '1 day' ELSE now() + interval '90 days' END,
                true, 'bench'
           FROM generate_series(1, $1) i",
    )
    .bind(licences as i32)
    .bind(partners as i32)
    .execute(pool)
    .await?;
    sqlx::query("ANALYZE misp_license").execute(pool).await?;
    let setup_s = setup.elapsed().as_secs_f64();

    let wal_before = wal_bytes(pool).await?;
    let rss_before = rss_mib();
    let start = Instant::now();
    let report = pmsflow_store::sweeps::expire_licences(
        pool,
        time::OffsetDateTime::now_utc(),
        batch,
        lanes,
        Some(renewal),
        budgets,
    )
    .await?;
    let sweep_s = start.elapsed().as_secs_f64();
    let rss_after = rss_mib();
    let wal_after = wal_bytes(pool).await?;
    let (runs, steps, outbox): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM workflow_run WHERE kind = 'effects'),
                (SELECT count(*) FROM workflow_step),
                (SELECT count(*) FROM outbox)",
    )
    .fetch_one(pool)
    .await?;
    println!(
        "{}",
        json!({
            "bench": "sweep",
            "sweep": "licence-expiry",
            "licences": licences,
            "expired": report.marked,
            "batch": batch,
            "lanes": lanes,
            "batches": report.batches,
            "setup_s": setup_s,
            "sweep_s": sweep_s,
            "licences_per_s": report.marked as f64 / sweep_s.max(1e-9),
            "effects_runs": runs,
            "steps_written": steps,
            "outbox_rows": outbox,
            "wal_mib": (wal_after - wal_before) as f64 / 1_048_576.0,
            "rss_before_mib": rss_before,
            "rss_after_mib": rss_after,
            "peak_rss_mib": peak_rss_mib(),
        })
    );
    Ok(())
}

async fn engine(
    pool: &PgPool,
    redis: &redis::Client,
    workflows: u32,
    steps: u32,
    concurrency: usize,
    rate: Option<f64>,
) -> anyhow::Result<()> {
    let specs = synthetic_steps(steps);
    // The accounts the steps update exist before the clock starts (business data, not engine work).
    let accounts: Vec<Uuid> = (0..workflows).map(|_| Uuid::now_v7()).collect();
    sqlx::query("INSERT INTO bench_account (id) SELECT * FROM UNNEST($1::uuid[])")
        .bind(&accounts)
        .execute(pool)
        .await?;
    let before = crate::usage::sample(pool, redis).await?;
    let start = Instant::now();
    let enqueuers = if rate.is_some() { 1 } else { 4 };
    let per = accounts.len().div_ceil(enqueuers);
    let mut handles = Vec::new();
    for chunk in accounts.chunks(per.max(1)) {
        let pool = pool.clone();
        let specs = specs.clone();
        let chunk = chunk.to_vec();
        handles.push(tokio::spawn(async move {
            let interval = rate.map(|r| Duration::from_secs_f64(enqueuers as f64 / r));
            let t0 = tokio::time::Instant::now();
            let mut conn = pool.acquire().await?;
            for (i, account) in chunk.into_iter().enumerate() {
                if let Some(iv) = interval {
                    tokio::time::sleep_until(t0 + iv * i as u32).await;
                }
                // One statement: the run, its steps and its outbox row (transactional enqueue).
                runs::create_run(
                    &mut conn,
                    runs::NewRun {
                        kind: WorkflowKind::Synthetic,
                        subject: Some(account.to_string()),
                        input: json!({}),
                        idempotency_key: None,
                        created_by: "bench".into(),
                        owner_partner_id: None,
                        steps: specs.clone(),
                        ordering_key: None,
                    },
                )
                .await?;
            }
            Ok::<(), anyhow::Error>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let enqueue_s = start.elapsed().as_secs_f64();
    // Wait for the engine to drain (a benchmark may poll; tests never do).
    loop {
        let running: i64 =
            sqlx::query_scalar("SELECT count(*) FROM workflow_run WHERE status = 'running'")
                .fetch_one(pool)
                .await?;
        if running == 0 {
            break;
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(1800),
            "benchmark did not finish in 30 min"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = crate::usage::sample(pool, redis).await?;
    let f = collect(pool, WorkflowKind::Synthetic.as_str()).await?;
    let logs: i64 = sqlx::query_scalar("SELECT count(*) FROM bench_log")
        .fetch_one(pool)
        .await?;
    anyhow::ensure!(
        logs == i64::from(workflows) * i64::from(steps),
        "expected {} business rows, found {logs}",
        workflows * steps
    );
    println!(
        "{}",
        json!({
            "bench": "engine",
            "workflows": workflows,
            "steps": steps,
            "concurrency": concurrency,
            "rate": rate,
            "failed": f.failed,
            "enqueue_s": enqueue_s,
            "wall_s": f.wall_s,
            "workflows_per_s": f64::from(workflows) / f.wall_s.max(1e-9),
            "steps_per_s": f64::from(workflows * steps) / f.wall_s.max(1e-9),
            "p50_ms": percentile(&f.latencies_ms, 0.50),
            "p99_ms": percentile(&f.latencies_ms, 0.99),
            "max_ms": f.latencies_ms.last().copied().unwrap_or(0.0),
            "peak_rss_mib": peak_rss_mib(),
            "worker_cpu_ms_per_workflow": (after.own_cpu_ms - before.own_cpu_ms) / f64::from(workflows),
            "pg_cpu_ms_per_workflow": (after.postgres_cpu_ms - before.postgres_cpu_ms) / f64::from(workflows),
            "pg_statements_per_step": after.pg_statements.zip(before.pg_statements)
                .map(|(a, b)| (a - b) as f64 / f64::from(workflows * steps)),
            "redis_commands_per_step": (after.redis_commands - before.redis_commands) as f64 / f64::from(workflows * steps),
            "redis_used_memory_mib_before": before.redis_used_memory_mib,
            "redis_used_memory_mib_after": after.redis_used_memory_mib,
            "redispatched": after.redispatched - before.redispatched,
        })
    );
    Ok(())
}

/// A fresh chain: ECDSA P-256 root (self-signed) and a partner certificate with `O=org`, as
/// PEMs `(root, leaf)`; the leaf is valid for two years, so it passes the 335-day rule.
pub fn fresh_chain(org: &str) -> anyhow::Result<(String, String)> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    };
    let now = time::OffsetDateTime::now_utc();
    let root_key = KeyPair::generate()?;
    let mut root = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{org} root"));
    dn.push(DnType::OrganizationName, format!("{org} CA"));
    root.distinguished_name = dn;
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.not_before = now - time::Duration::days(1);
    root.not_after = now + time::Duration::days(3650);
    let root_cert = root.self_signed(&root_key)?;
    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, org);
    dn.push(DnType::OrganizationName, org);
    leaf.distinguished_name = dn;
    leaf.not_before = now - time::Duration::days(1);
    leaf.not_after = now + time::Duration::days(730);
    let issuer = Issuer::new(root, root_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
    Ok((root_cert.pem(), leaf_cert.pem()))
}

async fn onboarding(
    settings: &Settings,
    pool: &PgPool,
    count: u32,
    concurrency: usize,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let state = serve::app_state(settings, pool.clone()).await?;
    let finished = state.runs.clone();
    let token = state
        .auth
        .mint(
            "bench-admin",
            &["PARTNER_ADMIN".into()],
            Duration::from_secs(3600),
        )
        .context("bench needs auth.mode = dev")?;
    let app = pmsflow_api::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let c2 = cancel.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { c2.cancelled().await })
            .await;
    });
    // Chains are generated before the clock starts.
    let mut chains = Vec::with_capacity(count as usize);
    for i in 0..count {
        chains.push(fresh_chain(&format!("org{i}"))?);
    }
    let http = reqwest::Client::new();
    let sem = Arc::new(Semaphore::new(concurrency));
    let start = Instant::now();
    let mut handles = Vec::with_capacity(count as usize);
    for (i, (root, leaf)) in chains.into_iter().enumerate() {
        let permit = sem.clone().acquire_owned().await?;
        let http = http.clone();
        let base = base.clone();
        let token = token.clone();
        let finished = finished.clone();
        handles.push(tokio::spawn(async move {
            let _permit = permit;
            let body = json!({
                "partner": {
                    "partnerId": format!("bench-partner-{i}"),
                    "policyGroup": "mpolicygroup-default-auth",
                    "organizationName": format!("org{i}"),
                    "address": "Bench street 1",
                    "contactNumber": "9876543210",
                    "emailId": format!("partner{i}@bench.example.org"),
                    "partnerType": "Auth_Partner",
                },
                "caCertificates": [root],
                "partnerCertificate": leaf,
            });
            let resp: serde_json::Value = http
                .post(format!("{base}/v1/onboardings"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let id: Uuid = serde_json::from_value(resp["runId"].clone())?;
            finished.wait(id, Duration::from_secs(120)).await?;
            Ok::<(), anyhow::Error>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let wall = start.elapsed().as_secs_f64();
    let f = collect(pool, WorkflowKind::Onboarding.as_str()).await?;
    println!(
        "{}",
        json!({
            "bench": "onboarding",
            "runs": count,
            "concurrency": concurrency,
            "failed": f.failed,
            "wall_s": wall,
            "onboardings_per_s": f64::from(count) / wall.max(1e-9),
            "p50_ms": percentile(&f.latencies_ms, 0.50),
            "p99_ms": percentile(&f.latencies_ms, 0.99),
            "peak_rss_mib": peak_rss_mib(),
        })
    );
    Ok(())
}

//! The Prometheus metrics of every role, named in one place, recorded through the `metrics`
//! facade (the binary installs the exporter; without one, recording costs nothing).
//!
//! Counters end in `_total`, durations are histograms in seconds (`_seconds`); labels are
//! bounded sets (route templates, step keys, workflow kinds, MOSIP services and operations),
//! never ids.

use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use sqlx::PgPool;

/// `pmsflow_http_requests_total{route, method, status}`.
pub const HTTP_REQUESTS: &str = "pmsflow_http_requests_total";
/// `pmsflow_http_request_duration_seconds{route, method}`.
pub const HTTP_DURATION: &str = "pmsflow_http_request_duration_seconds";
/// `pmsflow_runs_started_total{kind}`.
pub const RUNS_STARTED: &str = "pmsflow_runs_started_total";
/// `pmsflow_runs_finished_total{kind, status}` (`completed`, `failed`).
pub const RUNS_FINISHED: &str = "pmsflow_runs_finished_total";
/// `pmsflow_step_attempts_total{step, outcome}`: `succeeded`, `retry`, `failed`,
/// `lease_expired`, `skipped`, `released` (handed back at shutdown).
pub const STEP_ATTEMPTS: &str = "pmsflow_step_attempts_total";
/// `pmsflow_step_duration_seconds{step}`: one attempt, claim to outcome.
pub const STEP_DURATION: &str = "pmsflow_step_duration_seconds";
/// `pmsflow_ready_steps`: steps queued and due now.
pub const READY_STEPS: &str = "pmsflow_ready_steps";
/// `pmsflow_oldest_ready_step_age_seconds`: how long the oldest due step has waited.
pub const OLDEST_READY_AGE: &str = "pmsflow_oldest_ready_step_age_seconds";
/// `pmsflow_outbox_lag_seconds`: age of the oldest due outbox row not yet relayed.
pub const OUTBOX_LAG: &str = "pmsflow_outbox_lag_seconds";
/// `pmsflow_redispatched_total`: queued steps the reconciler pushed again (lost messages).
pub const REDISPATCHED: &str = "pmsflow_redispatched_total";
/// `pmsflow_mosip_calls_total{service, operation, outcome}`: `ok`, `retryable`, `permanent`.
pub const MOSIP_CALLS: &str = "pmsflow_mosip_calls_total";
/// `pmsflow_mosip_call_duration_seconds{service, operation}`.
pub const MOSIP_DURATION: &str = "pmsflow_mosip_call_duration_seconds";
/// `pmsflow_sweep_runs_total{schedule}`: sweep steps that finished a pass.
pub const SWEEP_RUNS: &str = "pmsflow_sweep_runs_total";
/// `pmsflow_sweep_rows_total{schedule}`: rows the sweeps changed.
pub const SWEEP_ROWS: &str = "pmsflow_sweep_rows_total";
/// `pmsflow_workers_alive`: workers whose heartbeat is younger than three periods.
pub const WORKERS_ALIVE: &str = "pmsflow_workers_alive";
/// `pmsflow_worker_heartbeats_total`: heartbeats this process recorded.
pub const WORKER_HEARTBEATS: &str = "pmsflow_worker_heartbeats_total";
/// `pmsflow_db_pool_connections{pool, state}`: `in_use`, `idle`.
pub const DB_POOL: &str = "pmsflow_db_pool_connections";
/// `pmsflow_db_pool_max_connections{pool}`.
pub const DB_POOL_MAX: &str = "pmsflow_db_pool_max_connections";

/// Histogram buckets of durations, seconds (5 ms to 60 s).
pub const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Give every metric its help text (call once, after installing the exporter).
pub fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request duration."
    );
    describe_counter!(RUNS_STARTED, "Runs created, by workflow kind.");
    describe_counter!(RUNS_FINISHED, "Runs that ended, by kind and status.");
    describe_counter!(STEP_ATTEMPTS, "Step attempts, by step key and outcome.");
    describe_histogram!(
        STEP_DURATION,
        metrics::Unit::Seconds,
        "Step attempt duration."
    );
    describe_gauge!(READY_STEPS, "Steps queued and due now.");
    describe_gauge!(
        OLDEST_READY_AGE,
        metrics::Unit::Seconds,
        "Wait of the oldest due step."
    );
    describe_gauge!(
        OUTBOX_LAG,
        metrics::Unit::Seconds,
        "Age of the oldest due outbox row."
    );
    describe_counter!(
        REDISPATCHED,
        "Queued steps re-dispatched by the reconciler."
    );
    describe_counter!(
        MOSIP_CALLS,
        "Calls to MOSIP services, by service, operation, outcome."
    );
    describe_histogram!(
        MOSIP_DURATION,
        metrics::Unit::Seconds,
        "MOSIP call duration."
    );
    describe_counter!(SWEEP_RUNS, "Sweep passes finished, by schedule.");
    describe_counter!(SWEEP_ROWS, "Rows changed by sweeps, by schedule.");
    describe_gauge!(WORKERS_ALIVE, "Workers with a recent heartbeat.");
    describe_counter!(WORKER_HEARTBEATS, "Heartbeats recorded by this process.");
    describe_gauge!(DB_POOL, "Database connections by pool and state.");
    describe_gauge!(DB_POOL_MAX, "Largest size of each database pool.");
}

/// An HTTP request answered.
pub fn http_request(route: &str, method: &str, status: u16, took: Duration) {
    counter!(HTTP_REQUESTS, "route" => route.to_owned(), "method" => method.to_owned(),
        "status" => status.to_string())
    .increment(1);
    histogram!(HTTP_DURATION, "route" => route.to_owned(), "method" => method.to_owned())
        .record(took.as_secs_f64());
}

/// `n` runs of `kind` created.
pub fn runs_started(kind: &str, n: u64) {
    counter!(RUNS_STARTED, "kind" => kind.to_owned()).increment(n);
}

/// A run of `kind` ended with `status`.
pub fn run_finished(kind: &str, status: &str) {
    counter!(RUNS_FINISHED, "kind" => kind.to_owned(), "status" => status.to_owned()).increment(1);
}

/// An attempt of step `step` ended with `outcome`, after `took` (none for outcomes recorded
/// without running it: `skipped`, `lease_expired`, `released`).
pub fn step_attempt(step: &str, outcome: &str, took: Option<Duration>) {
    counter!(STEP_ATTEMPTS, "step" => step.to_owned(), "outcome" => outcome.to_owned())
        .increment(1);
    if let Some(took) = took {
        histogram!(STEP_DURATION, "step" => step.to_owned()).record(took.as_secs_f64());
    }
}

/// A call to MOSIP `service` (`keymanager`, `datashare`, ...) `operation` ended with
/// `outcome` (`ok`, `retryable`, `permanent`) after `took`.
pub fn mosip_call(service: &str, operation: &str, outcome: &str, took: Duration) {
    counter!(MOSIP_CALLS, "service" => service.to_owned(), "operation" => operation.to_owned(),
        "outcome" => outcome.to_owned())
    .increment(1);
    histogram!(MOSIP_DURATION, "service" => service.to_owned(),
        "operation" => operation.to_owned())
    .record(took.as_secs_f64());
}

/// A sweep pass of `schedule` finished, having changed `rows` rows.
pub fn sweep(schedule: &str, rows: u64) {
    counter!(SWEEP_RUNS, "schedule" => schedule.to_owned()).increment(1);
    counter!(SWEEP_ROWS, "schedule" => schedule.to_owned()).increment(rows);
}

/// Steps this process's reconciler re-dispatched (what [`redispatched_so_far`] reads).
static REDISPATCHED_HERE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The reconciler re-dispatched `n` queued steps.
pub fn redispatched(n: u64) {
    counter!(REDISPATCHED).increment(n);
    REDISPATCHED_HERE.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

/// Steps this process's reconciler has re-dispatched since it started (`pmsflow bench`
/// reports the difference over its window).
pub fn redispatched_so_far() -> u64 {
    REDISPATCHED_HERE.load(std::sync::atomic::Ordering::Relaxed)
}

/// This process recorded a worker heartbeat.
pub fn heartbeat() {
    counter!(WORKER_HEARTBEATS).increment(1);
}

/// Connections of pool `name` in use and idle, and its size limit.
pub fn pool(name: &'static str, pool: &PgPool) {
    let size = pool.size() as f64;
    let idle = pool.num_idle() as f64;
    gauge!(DB_POOL, "pool" => name, "state" => "in_use").set(size - idle);
    gauge!(DB_POOL, "pool" => name, "state" => "idle").set(idle);
    gauge!(DB_POOL_MAX, "pool" => name).set(f64::from(pool.options().get_max_connections()));
}

/// Read the engine's backlog from Postgres into the gauges: ready steps, the oldest one's
/// wait, the outbox lag, live workers (heartbeat younger than `alive_within`). One statement.
pub async fn refresh_backlog(pool: &PgPool, alive_within: Duration) -> Result<(), sqlx::Error> {
    let (ready, oldest, lag, alive): (i64, Option<f64>, Option<f64>, i64) = sqlx::query_as(
        "WITH ready AS (
            SELECT s.next_attempt_at FROM workflow_run r JOIN workflow_step s ON s.run_id = r.id
             WHERE r.status = 'running' AND s.status = 'queued' AND s.next_attempt_at <= now()
         )
         SELECT (SELECT count(*) FROM ready),
                (SELECT extract(epoch FROM now() - min(next_attempt_at))::float8 FROM ready),
                (SELECT extract(epoch FROM now() - min(not_before))::float8 FROM outbox
                  WHERE not_before <= now()),
                (SELECT count(*) FROM worker_heartbeat
                  WHERE last_heartbeat > now() - make_interval(secs => $1))",
    )
    .bind(alive_within.as_secs_f64())
    .fetch_one(pool)
    .await?;
    gauge!(READY_STEPS).set(ready as f64);
    gauge!(OLDEST_READY_AGE).set(oldest.unwrap_or(0.0).max(0.0));
    gauge!(OUTBOX_LAG).set(lag.unwrap_or(0.0).max(0.0));
    gauge!(WORKERS_ALIVE).set(alive as f64);
    Ok(())
}

//! The process's own endpoints, for Kubernetes and Prometheus:
//!
//! - `GET /health/live`: `200 {"status": "up"}` while the process runs.
//! - `GET /health/ready`: `200 {"status": "ready", "checks": {...}}` when Postgres answers,
//!   its migrations include this binary's, Redis answers (roles that use it) and the process is not
//!   draining; `503 {"status": "unready", "checks": {...}}` otherwise, each check `ok` or why
//!   not.
//! - `GET /metrics`: the Prometheus text exposition ([`pmsflow_store::metrics`]), gauges of the
//!   pools and of the engine's backlog refreshed at each scrape.
//!
//! Served on `[admin] bind` by every process (it stays up while the process drains, so
//! readiness can say so) and on `api.bind` by the API role.

use std::sync::Arc;
use std::time::Duration;

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use metrics_exporter_prometheus::PrometheusHandle;
use pmsflow_workers::runtime::RedisHandles;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// What the endpoints look at.
#[derive(Clone)]
pub struct Ops {
    /// Cancelled when the drain starts (SIGTERM or SIGINT): readiness turns false.
    pub draining: CancellationToken,
    /// The process's main pool (readiness and migrations are checked on it).
    pub pool: PgPool,
    /// Pools reported in `pmsflow_db_pool_connections`, by name.
    pub pools: Vec<(&'static str, PgPool)>,
    /// Redis, for the roles that use it (workers).
    pub redis: Option<RedisHandles>,
    /// The installed Prometheus recorder, if any.
    pub metrics: Option<PrometheusHandle>,
    /// A worker counts as alive while its heartbeat is younger than this.
    pub alive_within: Duration,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ops").finish_non_exhaustive()
    }
}

/// Install the process-wide Prometheus recorder (once; later calls get `None`).
pub fn install_metrics() -> Option<PrometheusHandle> {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(pmsflow_store::metrics::DURATION_BUCKETS)
        .ok()?
        .install_recorder()
        .ok()?;
    pmsflow_store::metrics::describe();
    Some(handle)
}

/// The three endpoints on `ops`.
pub fn router(ops: Arc<Ops>) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(ops)
}

async fn live() -> Json<Value> {
    Json(json!({"status": "up"}))
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

async fn postgres_check(pool: &PgPool) -> Result<(), String> {
    let latest = pmsflow_store::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let applied: i64 = tokio::time::timeout(
        CHECK_TIMEOUT,
        sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool),
    )
    .await
    .map_err(|_| "postgres: no answer within 2 s".to_owned())?
    .map_err(|e| format!("postgres: {e}"))?;
    // Migrations are additive: a database ahead of this binary (an upgrade's Job ran before
    // this pod was replaced) still serves it.
    if applied >= latest {
        Ok(())
    } else {
        Err(format!(
            "migrations: database at {applied}, this binary needs {latest}"
        ))
    }
}

async fn redis_check(redis: &RedisHandles) -> Result<(), String> {
    let mut conn = redis.conn.clone();
    let pong: Result<String, _> =
        tokio::time::timeout(CHECK_TIMEOUT, redis::cmd("PING").query_async(&mut conn))
            .await
            .map_err(|_| "redis: no answer within 2 s".to_owned())?;
    pong.map(|_| ()).map_err(|e| format!("redis: {e}"))
}

async fn ready(State(ops): State<Arc<Ops>>) -> Response {
    let mut checks = Map::new();
    let mut ok = true;
    let mut put = |name: &str, result: Result<(), String>| {
        ok &= result.is_ok();
        checks.insert(
            name.to_owned(),
            Value::String(result.err().unwrap_or_else(|| "ok".to_owned())),
        );
    };
    put(
        "draining",
        if ops.draining.is_cancelled() {
            Err("shutting down".to_owned())
        } else {
            Ok(())
        },
    );
    put("postgres", postgres_check(&ops.pool).await);
    if let Some(redis) = &ops.redis {
        put("redis", redis_check(redis).await);
    }
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({"status": if ok { "ready" } else { "unready" }, "checks": checks})),
    )
        .into_response()
}

async fn metrics(State(ops): State<Arc<Ops>>) -> Response {
    let Some(handle) = &ops.metrics else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are not enabled in this process",
        )
            .into_response();
    };
    for (name, pool) in &ops.pools {
        pmsflow_store::metrics::pool(name, pool);
    }
    match tokio::time::timeout(
        CHECK_TIMEOUT,
        pmsflow_store::metrics::refresh_backlog(&ops.pool, ops.alive_within),
    )
    .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "backlog gauges not refreshed"),
        Err(_) => tracing::warn!("backlog gauges not refreshed within 2 s"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

//! The reconciler: one leader (Postgres advisory lock) that
//! - turns expired leases into counted failed attempts (`lease_expired`), retried with backoff
//!   within the budget, or failed for good;
//! - re-dispatches queued steps whose Redis message was lost (Redis flush or failover), so
//!   losing Redis costs latency, never a step.

use std::time::Duration;

use pmsflow_core::{
    failure::StepFailure,
    retry::{after_failure, AfterFailure},
};
use pmsflow_store::engine;
use rand::Rng;
use sqlx::{pool::PoolConnection, PgPool, Postgres};
use tokio_util::sync::CancellationToken;

/// Advisory lock key of the reconciler leader ("pmsflow" reconciler).
pub const LEADER_LOCK: i64 = 0x706d_7366_6c6f_7701;

/// Reconciler periods.
#[derive(Debug, Clone, Copy)]
pub struct ReconcilerSettings {
    /// How often a pass runs.
    pub interval: Duration,
    /// Re-dispatch queued steps not started this long after they were due.
    pub redispatch_after: Duration,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Expired leases handled.
    pub expired: usize,
    /// Steps re-dispatched.
    pub redispatched: u64,
    /// Waiting ordered runs started.
    pub released: u64,
}

/// One reconciliation pass (the caller must be the leader).
pub async fn pass(pool: &PgPool, settings: &ReconcilerSettings) -> anyhow::Result<Pass> {
    let mut out = Pass::default();
    for lease in engine::expired_leases(pool, 500).await? {
        let failure = StepFailure::retryable(
            engine::LEASE_EXPIRED,
            format!(
                "worker {} stopped answering; lease expired",
                lease.lease_owner
            ),
        );
        let random: f64 = rand::rng().random();
        let mut conn = pool.acquire().await?;
        match after_failure(
            &failure,
            lease.attempt as u32,
            lease.max_attempts as u32,
            &lease.backoff,
            random,
        ) {
            AfterFailure::RetryIn(delay) => {
                engine::retry_later(
                    &mut conn,
                    lease.step_id,
                    lease.attempt,
                    &lease.lease_owner,
                    &failure,
                    "lease_expired",
                    delay,
                )
                .await?;
            }
            AfterFailure::GiveUp { .. } => {
                engine::give_up_expired(&mut conn, &lease, failure).await?;
            }
        }
        pmsflow_store::metrics::step_attempt(&lease.step_key, "lease_expired", None);
        out.expired += 1;
    }
    out.redispatched = engine::redispatch_stale(pool, settings.redispatch_after).await?;
    out.released = engine::release_waiting(pool).await?;
    pmsflow_store::metrics::redispatched(out.redispatched);
    if out.expired > 0 || out.redispatched > 0 || out.released > 0 {
        tracing::info!(
            expired = out.expired,
            redispatched = out.redispatched,
            released = out.released,
            "reconciled"
        );
    }
    Ok(out)
}

async fn try_lead(pool: &PgPool) -> Option<PoolConnection<Postgres>> {
    let mut conn = pool.acquire().await.ok()?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LEADER_LOCK)
        .fetch_one(&mut *conn)
        .await
        .ok()?;
    got.then_some(conn)
}

/// Run the reconciler until `cancel`: try to become leader each period; the leader holds its
/// lock on a dedicated connection (lost with the connection, so a dead leader is replaced).
pub async fn run(pool: PgPool, settings: ReconcilerSettings, cancel: CancellationToken) {
    let mut leader: Option<PoolConnection<Postgres>> = None;
    let mut tick = tokio::time::interval(settings.interval);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Some(conn) = leader.as_mut() {
            // Still connected (and so still holding the lock)? If not, close the connection
            // rather than return it to the pool: closing the session releases the lock.
            if sqlx::query("SELECT 1").execute(&mut **conn).await.is_err() {
                if let Some(conn) = leader.take() {
                    drop(conn.detach());
                }
            }
        }
        if leader.is_none() {
            leader = try_lead(&pool).await;
        }
        if leader.is_some() {
            if let Err(e) = pass(&pool, &settings).await {
                tracing::warn!(error = %e, "reconciler pass failed");
            }
        }
    }
}

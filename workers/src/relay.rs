//! The outbox relay: moves due outbox rows into Redis.
//!
//! Woken by LISTEN on [`pmsflow_store::OUTBOX_CHANNEL`], with a poll every
//! `poll` as fallback (and for rows due later: retries with backoff, fast-path safety nets).
//! Rows are taken with `FOR UPDATE SKIP LOCKED` inside a transaction, pushed, then deleted by
//! the commit; a crash between push and commit re-pushes the same task id, which apalis-redis
//! ignores. Several relays (one per worker or api process) share the work safely.

use std::time::Duration;

use pmsflow_store::{engine, OUTBOX_CHANNEL};
use sqlx::{postgres::PgListener, PgPool};
use tokio_util::sync::CancellationToken;

use crate::dispatch::Dispatcher;

/// Rows moved per transaction.
const BATCH: i64 = 500;

/// Move every due row now; returns how many were pushed.
pub async fn drain(pool: &PgPool, dispatcher: &Dispatcher) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        let tasks: Vec<_> = engine::take_due_outbox(&mut tx, BATCH)
            .await?
            .into_iter()
            .map(|(mut task, key)| {
                task.local = crate::steps::Executors::is_local(&key);
                task
            })
            .collect();
        if tasks.is_empty() {
            tx.rollback().await?;
            return Ok(total);
        }
        dispatcher.push(&tasks).await?;
        tx.commit().await?;
        total += tasks.len();
        if (tasks.len() as i64) < BATCH {
            // Drained: rows written from now on come with their own NOTIFY.
            return Ok(total);
        }
    }
}

/// Run the relay until `cancel`.
pub async fn run(pool: PgPool, dispatcher: Dispatcher, poll: Duration, cancel: CancellationToken) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(mut l) => match l.listen(OUTBOX_CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "relay LISTEN failed; polling");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "relay listener connection failed; polling");
                None
            }
        };
        loop {
            if let Err(e) = drain(&pool, &dispatcher).await {
                tracing::warn!(error = %e, "relay could not dispatch; will retry");
            }
            let woke = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                res = woke => {
                    if let Err(e) = res {
                        tracing::warn!(error = %e, "relay listener lost; reconnecting");
                        break;
                    }
                    // Coalesce the notifications that queued up meanwhile: one drain serves all.
                    if let Some(l) = listener.as_mut() {
                        while let Some(Ok(_)) = futures::FutureExt::now_or_never(l.recv()) {}
                    }
                }
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

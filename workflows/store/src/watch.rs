//! Waiting for runs to finish, for every waiter of a process through one LISTEN connection.
//!
//! The completing statement NOTIFYs [`crate::RUN_CHANNEL`] with `<run id>:<status>`
//! when a run ends. A [`RunWatcher`] holds one listener and wakes the waiters of that run, so
//! any number of synchronous API calls wait without holding a pool connection each. Waiters
//! beyond the cap are answered at once with the run's current status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{postgres::PgListener, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{runs, RUN_CHANNEL};

type Waiters = Arc<Mutex<HashMap<Uuid, watch::Sender<bool>>>>;

/// Shared by every waiter of a process; cheap to clone.
///
/// The listener stops, releasing its connection, when the last clone is dropped.
#[derive(Clone)]
pub struct RunWatcher {
    pool: PgPool,
    waiters: Waiters,
    cap: usize,
    _stop: Arc<tokio_util::sync::DropGuard>,
}

impl std::fmt::Debug for RunWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunWatcher")
            .field("cap", &self.cap)
            .finish_non_exhaustive()
    }
}

impl RunWatcher {
    /// Start the listener on its own connection (reconnecting on error; sqlx re-LISTENs).
    /// At most `cap` waiters wait at once.
    pub async fn start(pool: PgPool, cap: usize) -> Result<Self, sqlx::Error> {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(RUN_CHANNEL).await?;
        let waiters: Waiters = Arc::default();
        let w = Arc::clone(&waiters);
        let stop = tokio_util::sync::CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    _ = stopped.cancelled() => return,
                    r = listener.recv() => r,
                };
                match received {
                    Ok(n) => {
                        let id = n
                            .payload()
                            .split(':')
                            .next()
                            .and_then(|s| Uuid::parse_str(s).ok());
                        if let (Some(id), Ok(map)) = (id, w.lock()) {
                            if let Some(tx) = map.get(&id) {
                                let _ = tx.send(true);
                            }
                        }
                    }
                    Err(e) => {
                        // Notifications may have been lost: wake everyone to re-check.
                        tracing::warn!(error = %e, "run listener interrupted");
                        if let Ok(map) = w.lock() {
                            for tx in map.values() {
                                let _ = tx.send(true);
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        Ok(Self {
            pool,
            waiters,
            cap,
            _stop: Arc::new(stop.drop_guard()),
        })
    }

    /// Wait until run `id` is no longer `running`, or `timeout` passes; returns its last status
    /// (`None` if the run does not exist).
    pub async fn wait(&self, id: Uuid, timeout: Duration) -> Result<Option<String>, sqlx::Error> {
        let rx = self.subscribe(id);
        let Some(rx) = rx else {
            // Over the cap (or a poisoned map): answer with the current status.
            return runs::run_status(&self.pool, id).await;
        };
        let result = self.wait_on(id, rx, timeout).await;
        self.unsubscribe(id);
        result
    }

    fn unsubscribe(&self, id: Uuid) {
        if let Ok(mut map) = self.waiters.lock() {
            // Our receiver is dropped by now; remove the entry when nobody else waits.
            if map.get(&id).is_some_and(|tx| tx.receiver_count() == 0) {
                map.remove(&id);
            }
        }
    }

    fn subscribe(&self, id: Uuid) -> Option<watch::Receiver<bool>> {
        let mut map = self.waiters.lock().ok()?;
        if map.len() >= self.cap && !map.contains_key(&id) {
            return None;
        }
        Some(
            map.entry(id)
                .or_insert_with(|| watch::channel(false).0)
                .subscribe(),
        )
    }

    async fn wait_on(
        &self,
        id: Uuid,
        mut rx: watch::Receiver<bool>,
        timeout: Duration,
    ) -> Result<Option<String>, sqlx::Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before this read, so a notification in between is not lost.
            let status = runs::run_status(&self.pool, id).await?;
            if status.as_deref() != Some("running") {
                return Ok(status);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return runs::run_status(&self.pool, id).await,
            }
        }
    }
}

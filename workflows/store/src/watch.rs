//! Run notifications of a process, through one LISTEN connection: waiting for runs to finish,
//! and a feed of every notification for whoever follows them (the console's live updates).
//!
//! The completing statement NOTIFYs [`crate::RUN_CHANNEL`] with `<run id>:<status>` when a
//! run ends; bulk actions NOTIFY [`crate::STEP_CHANNEL`] with the comma-separated ids of the
//! runs they progressed. A [`RunWatcher`] holds one listener on its own connection (named
//! [`RUN_WATCH_APPLICATION`] in `pg_stat_activity`), wakes the waiters of a run, so any number
//! of synchronous API calls wait without holding a pool connection each, and broadcasts every
//! notification as a [`RunNotice`] ([`RunWatcher::subscribe`]). Waiters beyond the cap are
//! answered at once with the run's current status. When the connection is lost, every waiter
//! re-reads its run and subscribers get [`RunNotice::Resync`]: notifications sent meanwhile
//! were not seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{postgres::PgListener, PgPool};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::{runs, RUN_CHANNEL, STEP_CHANNEL};

type Waiters = Arc<Mutex<HashMap<Uuid, watch::Sender<bool>>>>;

/// `application_name` of the watcher's connection (how operators find it in
/// `pg_stat_activity`).
pub const RUN_WATCH_APPLICATION: &str = "pmsflow-run-watch";

/// One notification, as [`RunWatcher::subscribe`] hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunNotice {
    /// A run's status changed ([`crate::RUN_CHANNEL`]).
    Run {
        /// The run.
        run_id: Uuid,
        /// Its new status (`completed`, `failed`, `cancelled`, ...).
        status: String,
    },
    /// Bulk actions progressed ([`crate::STEP_CHANNEL`]): their run ids.
    Progress(Vec<Uuid>),
    /// The listener lost its connection and reconnects: notifications sent meanwhile were not
    /// seen, so whoever follows runs should re-read them.
    Resync,
}

impl RunNotice {
    /// The notice of a notification on `channel` with `payload` (`None` for a payload that
    /// names no run).
    pub fn parse(channel: &str, payload: &str) -> Option<Self> {
        if channel == RUN_CHANNEL {
            let mut parts = payload.splitn(2, ':');
            let run_id = parts.next().and_then(|s| Uuid::parse_str(s).ok())?;
            let status = parts.next().unwrap_or("changed").to_owned();
            Some(Self::Run { run_id, status })
        } else {
            let ids: Vec<Uuid> = payload
                .split(',')
                .filter_map(|s| Uuid::parse_str(s.trim()).ok())
                .collect();
            (!ids.is_empty()).then_some(Self::Progress(ids))
        }
    }
}

/// Shared by every waiter of a process; cheap to clone.
///
/// The listener stops, releasing its connection, when the last clone is dropped.
#[derive(Clone)]
pub struct RunWatcher {
    pool: PgPool,
    waiters: Waiters,
    cap: usize,
    notices: broadcast::Sender<RunNotice>,
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
    /// Start the listener on a connection of its own, outside `pool` (a listener holds its
    /// connection for good, and the pool is sized for requests), reconnecting when it is lost.
    /// At most `cap` waiters wait at once; subscribers that fall 1,024 notices behind miss
    /// some (their receiver says it lagged).
    pub async fn start(pool: PgPool, cap: usize) -> Result<Self, sqlx::Error> {
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(
                (*pool.connect_options())
                    .clone()
                    .application_name(RUN_WATCH_APPLICATION),
            )
            .await?;
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen_all([RUN_CHANNEL, STEP_CHANNEL]).await?;
        let waiters: Waiters = Arc::default();
        let (notices, _) = broadcast::channel(1024);
        let w = Arc::clone(&waiters);
        let out = notices.clone();
        let stop = tokio_util::sync::CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let wake_all = |w: &Waiters| {
                if let Ok(map) = w.lock() {
                    for tx in map.values() {
                        let _ = tx.send(true);
                    }
                }
            };
            loop {
                // `try_recv` says when the connection was lost (`Ok(None)`; the next call
                // reconnects); `recv` would reconnect silently and lose what happened meanwhile.
                let received = tokio::select! {
                    _ = stopped.cancelled() => return,
                    r = listener.try_recv() => r,
                };
                // Nobody subscribed is not an error: the send results are ignored.
                match received {
                    Ok(Some(n)) => {
                        let Some(notice) = RunNotice::parse(n.channel(), n.payload()) else {
                            continue;
                        };
                        if let (RunNotice::Run { run_id, .. }, Ok(map)) = (&notice, w.lock()) {
                            if let Some(tx) = map.get(run_id) {
                                let _ = tx.send(true);
                            }
                        }
                        let _ = out.send(notice);
                    }
                    Ok(None) => {
                        tracing::warn!("run listener lost its connection; reconnecting");
                        wake_all(&w);
                        let _ = out.send(RunNotice::Resync);
                    }
                    Err(e) => {
                        // Notifications may have been lost: wake everyone to re-check.
                        tracing::warn!(error = %e, "run listener interrupted");
                        wake_all(&w);
                        let _ = out.send(RunNotice::Resync);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        Ok(Self {
            pool,
            waiters,
            cap,
            notices,
            _stop: Arc::new(stop.drop_guard()),
        })
    }

    /// Every notification from now on, and [`RunNotice::Resync`] after a lost connection.
    pub fn subscribe(&self) -> broadcast::Receiver<RunNotice> {
        self.notices.subscribe()
    }

    /// Wait until run `id` is no longer `running`, or `timeout` passes; returns its last status
    /// (`None` if the run does not exist).
    pub async fn wait(&self, id: Uuid, timeout: Duration) -> Result<Option<String>, sqlx::Error> {
        let rx = self.waiter(id);
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

    fn waiter(&self, id: Uuid) -> Option<watch::Receiver<bool>> {
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
            let status = self.status_surviving_restarts(id, deadline).await?;
            if status.as_deref() != Some("running") {
                return Ok(status);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return self.status_surviving_restarts(id, deadline).await,
            }
        }
    }

    /// The run's status, asked again while the connection is lost ([`surviving_restarts`]).
    async fn status_surviving_restarts(
        &self,
        id: Uuid,
        deadline: tokio::time::Instant,
    ) -> Result<Option<String>, sqlx::Error> {
        surviving_restarts(deadline, || runs::run_status(&self.pool, id)).await
    }
}

/// `read`, asked again every [`RECONNECT_PAUSE`] while its connection is lost
/// ([`is_connection_lost`]: Postgres restarting, a backend terminated) until `deadline` (and
/// once after it), so a waiting request outlives a database restart.
///
/// # Errors
/// `read`'s error: any but a lost connection at once, a lost connection after `deadline`.
pub async fn surviving_restarts<T, F, Fut>(
    deadline: tokio::time::Instant,
    mut read: F,
) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    loop {
        match read().await {
            Err(e) if is_connection_lost(&e) && tokio::time::Instant::now() < deadline => {
                tracing::debug!(error = %e, "connection lost, asking again");
                tokio::time::sleep(RECONNECT_PAUSE).await;
            }
            other => return other,
        }
    }
}

/// Pause between two tries of a read whose connection was lost.
pub const RECONNECT_PAUSE: Duration = Duration::from_millis(100);

/// Is `e` a lost connection rather than an answer: an IO error, a pool that could not connect
/// in time, or Postgres ending the session (SQLSTATE class 08 connection exception, 57P
/// operator intervention: `pg_terminate_backend`, shutdown)?
pub fn is_connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_become_notices() {
        let id = Uuid::new_v4();
        assert_eq!(
            RunNotice::parse(RUN_CHANNEL, &format!("{id}:completed")),
            Some(RunNotice::Run {
                run_id: id,
                status: "completed".into()
            })
        );
        let other = Uuid::new_v4();
        assert_eq!(
            RunNotice::parse(STEP_CHANNEL, &format!("{id},{other}")),
            Some(RunNotice::Progress(vec![id, other]))
        );
        assert_eq!(RunNotice::parse(STEP_CHANNEL, "garbage"), None);
        assert_eq!(RunNotice::parse(RUN_CHANNEL, "garbage:failed"), None);
    }
}

//! Live updates for the console: one Postgres LISTEN per API process on
//! [`RUN_CHANNEL`](pmsflow_store::RUN_CHANNEL) (a run's status changed) and
//! [`STEP_CHANNEL`](pmsflow_store::STEP_CHANNEL) (a bulk action progressed),
//! fanned out to every open `GET /v1/admin/events` stream through a broadcast channel.

use std::time::Duration;

use serde::Serialize;
use sqlx::{postgres::PgListener, PgPool};
use tokio::sync::broadcast;
use uuid::Uuid;

/// One change a console is told about.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveEvent {
    /// The run (or bulk action) that changed.
    pub run_id: Uuid,
    /// Its new status, or `step` when a bulk action it is made of progressed.
    pub status: String,
}

/// What the feed carries.
#[derive(Debug, Clone)]
pub enum LiveMessage {
    /// A change.
    Change(LiveEvent),
    /// The listener lost its connection to Postgres and reconnects: changes made meanwhile
    /// were not seen, so every console should refetch what it shows.
    Resync,
}

/// `application_name` of the live feed's connection (how operators find it in
/// `pg_stat_activity`).
pub const LIVE_FEED_APPLICATION: &str = "pmsflow-console-live";

/// The process's feed of [`LiveMessage`]s; cheap to clone. The listener stops, releasing its
/// connection, when the last clone is dropped.
#[derive(Clone)]
pub struct LiveFeed {
    tx: broadcast::Sender<LiveMessage>,
    _stop: std::sync::Arc<tokio_util::sync::DropGuard>,
}

impl std::fmt::Debug for LiveFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveFeed").finish_non_exhaustive()
    }
}

impl LiveFeed {
    /// Start listening on a connection of its own, not one of `pool`'s (reconnecting on
    /// error, after which subscribers get [`LiveMessage::Resync`]). Slow subscribers miss
    /// events (they are told to refetch) rather than slowing the feed.
    pub async fn start(pool: PgPool) -> Result<Self, sqlx::Error> {
        // Its own connection, outside `pool`: a listener holds its connection for good, and the
        // API's pool is sized for requests.
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(
                (*pool.connect_options())
                    .clone()
                    .application_name(LIVE_FEED_APPLICATION),
            )
            .await?;
        let mut listener = PgListener::connect_with(&own).await?;
        listener
            .listen_all([pmsflow_store::RUN_CHANNEL, pmsflow_store::STEP_CHANNEL])
            .await?;
        let (tx, _) = broadcast::channel(1024);
        let stop = tokio_util::sync::CancellationToken::new();
        let stopped = stop.clone();
        let out = tx.clone();
        tokio::spawn(async move {
            loop {
                // `try_recv` says when the connection was lost (`Ok(None)`; the next call
                // reconnects); `recv` would reconnect silently and lose what happened meanwhile.
                let received = tokio::select! {
                    _ = stopped.cancelled() => return,
                    r = listener.try_recv() => r,
                };
                // Nobody listening is not an error: the send results are ignored.
                match received {
                    Ok(Some(n)) => {
                        for e in parse(n.channel(), n.payload()) {
                            let _ = out.send(LiveMessage::Change(e));
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("console live feed lost its connection; reconnecting");
                        let _ = out.send(LiveMessage::Resync);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "console live feed interrupted");
                        let _ = out.send(LiveMessage::Resync);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        });
        Ok(Self {
            tx,
            _stop: std::sync::Arc::new(stop.drop_guard()),
        })
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveMessage> {
        self.tx.subscribe()
    }
}

/// Events of one notification: `<run id>:<status>` on the run channel, comma-separated run
/// ids on the step channel.
fn parse(channel: &str, payload: &str) -> Vec<LiveEvent> {
    if channel == pmsflow_store::RUN_CHANNEL {
        let mut parts = payload.splitn(2, ':');
        let id = parts.next().and_then(|s| Uuid::parse_str(s).ok());
        let status = parts.next().unwrap_or("changed");
        id.map(|run_id| LiveEvent {
            run_id,
            status: status.to_owned(),
        })
        .into_iter()
        .collect()
    } else {
        payload
            .split(',')
            .filter_map(|s| Uuid::parse_str(s.trim()).ok())
            .map(|run_id| LiveEvent {
                run_id,
                status: "step".to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_become_events() {
        let id = Uuid::new_v4();
        let e = parse(pmsflow_store::RUN_CHANNEL, &format!("{id}:completed"));
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].run_id, e[0].status.as_str()), (id, "completed"));
        let other = Uuid::new_v4();
        let e = parse(pmsflow_store::STEP_CHANNEL, &format!("{id},{other}"));
        assert_eq!(e.len(), 2);
        assert!(e.iter().all(|e| e.status == "step"));
        assert!(parse(pmsflow_store::STEP_CHANNEL, "garbage").is_empty());
    }
}

//! Live updates for the console: the [`RunWatcher`]'s notifications (a run's status changed,
//! a bulk action progressed, the connection was lost), fanned out to every open
//! `GET /v1/admin/events` stream through a broadcast channel.

use pmsflow_store::watch::{RunNotice, RunWatcher};
use serde::Serialize;
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

/// The process's feed of [`LiveMessage`]s; cheap to clone. It follows the
/// [`RunWatcher`]'s notifications (one LISTEN connection per process); the forwarding task
/// stops when the last clone is dropped.
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
    /// Follow `watcher`: every run-status change and bulk progress becomes a
    /// [`LiveMessage::Change`], a lost connection (or a feed that fell behind) a
    /// [`LiveMessage::Resync`]. Slow subscribers miss events (they are told to refetch) rather
    /// than slowing the feed.
    pub fn follow(watcher: &RunWatcher) -> Self {
        let mut notices = watcher.subscribe();
        let (tx, _) = broadcast::channel(1024);
        let stop = tokio_util::sync::CancellationToken::new();
        let stopped = stop.clone();
        let out = tx.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    _ = stopped.cancelled() => return,
                    r = notices.recv() => r,
                };
                // Nobody listening is not an error: the send results are ignored.
                match received {
                    Ok(notice) => {
                        for m in messages(notice) {
                            let _ = out.send(m);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = out.send(LiveMessage::Resync);
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Self {
            tx,
            _stop: std::sync::Arc::new(stop.drop_guard()),
        }
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveMessage> {
        self.tx.subscribe()
    }
}

/// What the consoles are told of one notice.
fn messages(notice: RunNotice) -> Vec<LiveMessage> {
    match notice {
        RunNotice::Run { run_id, status } => {
            vec![LiveMessage::Change(LiveEvent { run_id, status })]
        }
        RunNotice::Progress(ids) => ids
            .into_iter()
            .map(|run_id| {
                LiveMessage::Change(LiveEvent {
                    run_id,
                    status: "step".to_owned(),
                })
            })
            .collect(),
        RunNotice::Resync => vec![LiveMessage::Resync],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_become_messages() {
        let id = Uuid::new_v4();
        let m = messages(RunNotice::Run {
            run_id: id,
            status: "completed".into(),
        });
        assert!(
            matches!(&m[..], [LiveMessage::Change(e)] if e.run_id == id && e.status == "completed")
        );
        let other = Uuid::new_v4();
        let m = messages(RunNotice::Progress(vec![id, other]));
        assert_eq!(m.len(), 2);
        assert!(m
            .iter()
            .all(|m| matches!(m, LiveMessage::Change(e) if e.status == "step")));
        assert!(matches!(
            &messages(RunNotice::Resync)[..],
            [LiveMessage::Resync]
        ));
    }
}

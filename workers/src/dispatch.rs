//! Pushing step messages into apalis-redis, and waking workers.
//!
//! Messages go into the apalis queue `<namespace>:steps` through apalis-redis's own batch push
//! script, with the deterministic task id of [`StepTask::task_id`]. After a push the
//! [`Doorbell`] of this process is rung and a message is published on `<namespace>:wake`, so
//! idle workers in every process fetch at once instead of waiting for their poll interval.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};
use std::task::{Context, Poll};

use apalis_core::{
    backend::ext::poll_strategy::{PollSnapshot, PollStrategy},
    task::{builder::TaskBuilder, task_id::TaskId},
};
use apalis_redis::{Config, ConnectionManager};
use futures::task::AtomicWaker;
use pmsflow_store::jobs::{step_queue, wake_channel, StepTask};

/// A wake-up flag for this process's apalis worker; ringing it makes the worker fetch now.
#[derive(Clone, Default)]
pub struct Doorbell(Arc<DoorbellInner>);

#[derive(Default)]
struct DoorbellInner {
    rung: AtomicBool,
    waker: AtomicWaker,
}

impl std::fmt::Debug for Doorbell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doorbell").finish_non_exhaustive()
    }
}

impl Doorbell {
    /// Wake the worker (cheap; coalesces).
    pub fn ring(&self) {
        self.0.rung.store(true, Ordering::Release);
        self.0.waker.wake();
    }
}

impl PollStrategy for Doorbell {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _snapshot: &PollSnapshot) -> Poll<Option<()>> {
        self.0.waker.register(cx.waker());
        if self.0.rung.swap(false, Ordering::AcqRel) {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

/// Pushes step messages to Redis.
#[derive(Clone)]
pub struct Dispatcher {
    conn: ConnectionManager,
    config: Config,
    wake: String,
    doorbell: Doorbell,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("wake", &self.wake)
            .finish_non_exhaustive()
    }
}

/// How long Redis remembers a pushed task's id (apalis keeps none forever by default). A
/// message is a doorbell for one attempt: after an hour its id is of no use (a retry is a new
/// attempt with a new id), so Redis does not grow with every step ever run.
pub const TASK_ID_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes a delivered task from the worker's in-flight set (KEYS[1]) and deletes its
/// metadata hash (KEYS[2]); ARGV[1] is the task id.
static FORGET: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new("redis.call('SREM', KEYS[1], ARGV[1]) return redis.call('DEL', KEYS[2])")
});

/// The apalis-redis configuration of the step queue under `namespace`: no task events on
/// pub/sub and no stored results (Postgres records every attempt and its output; nobody reads
/// them from Redis), task ids forgotten after [`TASK_ID_TTL`].
pub fn queue_config(namespace: &str) -> Config {
    Config::default()
        .queue(step_queue(namespace))
        .heartbeat_interval(std::time::Duration::from_secs(5))
        .missed_heartbeats(3)
        .batch_size(16)
        .emit_events(false)
        .persist_results(false)
        .idempotency_ttl(Some(TASK_ID_TTL))
}

impl Dispatcher {
    /// A dispatcher on `conn` for `namespace`, ringing `doorbell` after each push.
    pub fn new(conn: ConnectionManager, namespace: &str, doorbell: Doorbell) -> Self {
        Self {
            conn,
            config: queue_config(namespace),
            wake: wake_channel(namespace),
            doorbell,
        }
    }

    /// Forget a delivered message: apalis-redis keeps each fetched task's metadata hash and
    /// its place in the fetching worker's in-flight set until it is acknowledged, and with
    /// no stored results nothing acknowledges it, so Redis would grow with every step ever
    /// run. One script call (`FORGET`) removes both once the delivery is over (its outcome is
    /// in Postgres). A failure only leaves the keys behind; it is logged, not retried.
    pub async fn forget(
        &self,
        task: &StepTask,
        worker: &apalis_core::worker::context::WorkerContext,
    ) {
        let id = ulid::Ulid::from(task.task_id()).to_string();
        let mut conn = self.conn.clone();
        let res: Result<i64, _> = FORGET
            .key(self.config.inflight_set_for(worker))
            .key(format!("{}:{id}", self.config.job_meta_hash()))
            .arg(&id)
            .invoke_async(&mut conn)
            .await;
        if let Err(e) = res {
            tracing::debug!(error = %e, "could not forget a delivered message");
        }
    }

    /// Push `tasks` in one script call, then wake workers everywhere.
    pub async fn push(&self, tasks: &[StepTask]) -> Result<(), apalis_redis::Error> {
        if tasks.is_empty() {
            return Ok(());
        }
        let mut batch = Vec::with_capacity(tasks.len());
        for t in tasks {
            let payload = serde_json::to_vec(t).map_err(apalis_redis::Error::Json)?;
            let id = TaskId::from(ulid::Ulid::from(t.task_id()));
            batch.push(
                TaskBuilder::new(payload)
                    .task_id(id)
                    .max_attempts(1)
                    .build(),
            );
        }
        let mut conn = self.conn.clone();
        apalis_redis::queries::push_tasks(&mut conn, &self.config, &batch).await?;
        self.doorbell.ring();
        let _: Result<i64, _> = redis::cmd("PUBLISH")
            .arg(&self.wake)
            .arg(tasks.len())
            .query_async(&mut conn)
            .await;
        Ok(())
    }
}

/// Ring `doorbell` whenever a message arrives on `<namespace>:wake`; reconnects on error and
/// never returns unless cancelled.
pub async fn listen_for_wakes(
    client: redis::Client,
    namespace: String,
    doorbell: Doorbell,
    cancel: tokio_util::sync::CancellationToken,
) {
    use futures::StreamExt;
    let channel = wake_channel(&namespace);
    loop {
        let attempt = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            let mut messages = pubsub.on_message();
            // Anything may have been pushed while we were not listening.
            doorbell.ring();
            while messages.next().await.is_some() {
                doorbell.ring();
            }
            Ok::<(), redis::RedisError>(())
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            res = attempt => {
                if let Err(e) = res {
                    tracing::warn!(error = %e, "wake subscription lost; reconnecting");
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
        }
    }
}

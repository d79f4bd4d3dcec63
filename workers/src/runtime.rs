//! Wiring of the worker role: the apalis Monitor on Redis, the wake listener, the relay and
//! the reconciler.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_core::backend::ext::poll_strategy::Strategy;
use apalis_redis::RedisStorage;
use pmsflow_store::jobs::StepTask;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::dispatch::{listen_for_wakes, queue_config, Dispatcher, Doorbell};
use crate::engine::Engine;
use crate::reconciler::{self, ReconcilerSettings};
use crate::relay;

/// Redis connection pieces shared by a process.
#[derive(Clone)]
pub struct RedisHandles {
    /// Client (for pub/sub).
    pub client: redis::Client,
    /// Multiplexed, auto-reconnecting connection.
    pub conn: apalis_redis::ConnectionManager,
    /// Key namespace.
    pub namespace: String,
}

impl std::fmt::Debug for RedisHandles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHandles")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl RedisHandles {
    /// Connect to `url` with a 5 s response timeout (redis-rs' 500 ms default turns a stall
    /// into a fatal stream error, apalis-redis#76).
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_connection_timeout(Some(Duration::from_secs(5)));
        let conn = client.get_connection_manager_with_config(config).await?;
        Ok(Self {
            client,
            conn,
            namespace: namespace.to_owned(),
        })
    }
}

/// Settings of the worker role.
#[derive(Debug, Clone)]
pub struct WorkerRoleSettings {
    /// Steps run at once.
    pub concurrency: usize,
    /// Fallback Redis poll.
    pub poll_interval: Duration,
    /// At shutdown, how long running steps may finish after claiming stops
    /// (`admin.shutdown_grace_s`); the caller then releases the leases left.
    pub drain: Duration,
}

/// A dispatcher and doorbell for this process.
pub fn dispatcher(redis: &RedisHandles, doorbell: &Doorbell) -> Dispatcher {
    Dispatcher::new(redis.conn.clone(), &redis.namespace, doorbell.clone())
}

async fn handle_step(
    task: StepTask,
    engine: Data<Arc<Engine>>,
    worker: WorkerContext,
) -> Result<(), BoxDynError> {
    // The delivery runs on its own task: if apalis drops this future (its worker restarting
    // after a Redis error or flush), the step still finishes and commits instead of waiting
    // for its lease to expire.
    let engine = Arc::clone(&engine);
    let delivery = tokio::spawn(async move {
        let delivery = engine.deliver(task).await;
        engine.forget(&task, &worker).await;
        delivery
    });
    match delivery.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "delivery task panicked");
        Ok(crate::engine::Delivery::LeaseLost)
    }) {
        Ok(d) => {
            tracing::trace!(?d, "delivery");
            Ok(())
        }
        Err(e) => {
            // Postgres unreachable: the step stays leased and the reconciler takes it back.
            tracing::error!(error = %e, step_id = %task.step_id, "delivery aborted");
            Ok(())
        }
    }
}

/// Start the apalis worker (restarted on Redis errors, e.g. after a flush), and the wake
/// listener. Returns their join handles; both stop on `cancel`.
pub fn spawn_worker(
    engine: Arc<Engine>,
    redis: &RedisHandles,
    doorbell: Doorbell,
    settings: WorkerRoleSettings,
    cancel: CancellationToken,
) -> Vec<JoinHandle<()>> {
    let storage: RedisStorage<StepTask> =
        RedisStorage::new(redis.conn.clone()).with_config(queue_config(&redis.namespace));
    let strategy = Strategy::new()
        .apply(doorbell.clone())
        .interval(settings.poll_interval);
    let name = engine.worker().to_owned();
    let concurrency = settings.concurrency;
    let monitor = Monitor::new()
        .shutdown_timeout(settings.drain)
        .should_restart(|_ctx, err| {
            tracing::warn!(error = %err, "apalis worker stopped; restarting");
            true
        })
        .register(move |run| {
            WorkerBuilder::new(format!("{name}-{run}"))
                .backend(storage.clone().poll_with_strategy(strategy.clone()))
                .concurrency(concurrency)
                .data(engine.clone())
                .build(handle_step)
        });
    let c1 = cancel.clone();
    let worker = tokio::spawn(async move {
        if let Err(e) = monitor
            .run_with_signal(async move {
                c1.cancelled().await;
                Ok(())
            })
            .await
        {
            tracing::error!(error = %e, "worker monitor ended");
        }
    });
    let wakes = tokio::spawn(listen_for_wakes(
        redis.client.clone(),
        redis.namespace.clone(),
        doorbell,
        cancel,
    ));
    vec![worker, wakes]
}

/// Start the outbox relay.
pub fn spawn_relay(
    pool: PgPool,
    dispatcher: Dispatcher,
    poll: Duration,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(relay::run(pool, dispatcher, poll, cancel))
}

/// Start the reconciler (it becomes leader only if no other process is).
pub fn spawn_reconciler(
    pool: PgPool,
    settings: ReconcilerSettings,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(reconciler::run(pool, settings, cancel))
}

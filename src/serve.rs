//! `pmsflow serve`: start the roles of one process.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pmsflow_api::{access::token::JwksConfig, access::Authenticator, access::RoleTable, AppState};
use pmsflow_core::partner::RegistrationRules;
use pmsflow_store::config::{AuthMode, Settings};
use pmsflow_workers::{
    dispatch::Doorbell,
    engine::{Engine, EngineSettings},
    mosip::{ClientSettings, MosipClients, MosipEndpoints, ServiceCredentials},
    reconciler::ReconcilerSettings,
    runtime::{self, RedisHandles, WorkerRoleSettings},
    steps::{Executors, RepublishContext, StepSettings, SweepContext},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// A role a process can play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The HTTP API.
    Api,
    /// Step workers, outbox relay and reconciler.
    Worker,
    /// Cron sweeps (`[scheduler.schedules]`): starts their runs, once per fire across replicas.
    Scheduler,
}

/// Connect, create the database if needed, migrate.
pub async fn database(settings: &Settings) -> anyhow::Result<PgPool> {
    pmsflow_store::db::ensure_database(&settings.database.url)
        .await
        .context("database.url: could not reach PostgreSQL or create the database")?;
    let pool = pmsflow_store::db::connect(&settings.database)
        .await
        .context("database.url: could not connect")?;
    pmsflow_store::db::migrate(&pool)
        .await
        .context("applying migrations")?;
    Ok(pool)
}

/// The authenticator of `[auth]`; in `jwks` mode the JWKS is fetched now.
///
/// # Errors
/// `auth.ca_file` unreadable or holding no certificate; in `jwks` mode, the first JWKS fetch
/// failing (naming `auth.jwks_url`).
pub async fn authenticator(settings: &Settings) -> anyhow::Result<Authenticator> {
    let a = &settings.auth;
    Ok(match a.mode {
        AuthMode::Jwks => Authenticator::jwks(JwksConfig {
            url: a.jwks_url.clone(),
            issuer: a.issuer.clone(),
            audience: a.audience.clone(),
            leeway: Duration::from_secs(a.leeway_s),
            ttl: Duration::from_secs(a.jwks_ttl_s),
            extra_roots: ca_bundle("auth.ca_file", &a.ca_file)?,
            partner_admin_role: a.partner_admin_role.clone(),
        })
        .await
        .context("auth.jwks_url")?,
        AuthMode::Dev => Authenticator::dev(&a.dev_secret, &a.partner_admin_role),
    })
}

/// The CA certificates of the PEM bundle at `path` (setting `key`); none when `path` is empty.
///
/// # Errors
/// The file cannot be read, is not PEM, or holds no certificate (the error names `key`).
pub fn ca_bundle(key: &str, path: &str) -> anyhow::Result<Vec<reqwest::Certificate>> {
    let path = path.trim();
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let pem = std::fs::read(path).with_context(|| format!("{key}: could not read {path}"))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .with_context(|| format!("{key}: {path} is not a PEM bundle"))?;
    anyhow::ensure!(!certs.is_empty(), "{key}: {path} holds no certificate");
    Ok(certs)
}

/// The API state of `settings` on `pool` (starts the run watcher's LISTEN connection on it);
/// requests get a pool of their own to the same database ([`pmsflow_store::db::api_pool`]).
pub async fn app_state(settings: &Settings, pool: PgPool) -> anyhow::Result<AppState> {
    let unknown = RoleTable::unknown_keys(&settings.roles);
    if !unknown.is_empty() {
        anyhow::bail!("[roles] names endpoint keys that do not exist: {unknown:?}");
    }
    let runs = pmsflow_store::watch::RunWatcher::start(pool.clone(), 4096).await?;
    let api = &settings.api;
    let api_pool = pmsflow_store::db::api_pool(
        &pool,
        api.db_max_connections,
        Duration::from_millis(api.statement_timeout_ms),
    );
    Ok(AppState {
        draining: CancellationToken::new(),
        limits: pmsflow_api::state::RequestLimits {
            timeout: Duration::from_millis(api.request_timeout_ms),
            max_concurrent: api.max_concurrent_requests,
            max_body_bytes: api.max_body_bytes,
        },
        console: pmsflow_api::access::console_access(&settings.console, &settings.auth),
        heartbeat: Duration::from_millis(settings.worker.heartbeat_ms.max(100)),
        portal: Arc::new(pmsflow_api::access::PortalAccess::new(
            &settings.portal.dir,
            &settings.portal.public_url,
            &settings.portal.origins,
        )),
        runs,
        pool: api_pool,
        auth: Arc::new(authenticator(settings).await?),
        budgets: settings.engine.budgets(),
        rules: Arc::new(RegistrationRules::default()),
        certificate_upload_wait: Duration::from_millis(settings.api.certificate_upload_wait_ms),
        roles: Arc::new(RoleTable::new(&settings.roles)),
        pms: Arc::new(settings.pms.clone()),
        schedules: Arc::new(
            pmsflow_scheduler::parse_schedules(&settings.scheduler.schedules)
                .context("scheduler.schedules")?,
        ),
        esignet: Arc::new(esignet_directory(settings).await?),
        republish_batch: settings.republish.batch,
    })
}

/// Read a mapping file setting: empty → `stock`; an http(s) URL → fetched with `http`; else a
/// file path.
async fn mapping_file(
    http: &reqwest::Client,
    key: &str,
    value: &str,
    stock: &str,
) -> anyhow::Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(stock.to_owned());
    }
    if value.starts_with("http://") || value.starts_with("https://") {
        let text = http
            .get(value)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("mosip.{key}: could not fetch {value}"))?
            .text()
            .await
            .with_context(|| format!("mosip.{key}: could not read {value}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(value).with_context(|| format!("mosip.{key}: could not read {value}"))
}

/// eSignet's mapping files and discovery cache of `[mosip]`.
pub async fn esignet_directory(
    settings: &Settings,
) -> anyhow::Result<pmsflow_api::services::esignet::EsignetDirectory> {
    use pmsflow_api::services::esignet::{
        EsignetDirectory, STOCK_AMR_ACR_MAPPING, STOCK_IDENTITY_MAPPING,
    };
    let m = &settings.mosip;
    let mut http = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(Duration::from_millis(m.timeout_ms));
    for root in ca_bundle("mosip.ca_file", &m.ca_file)? {
        http = http.add_root_certificate(root);
    }
    let http = http
        .build()
        .context("mosip: HTTP client of the mapping files")?;
    let identity = mapping_file(
        &http,
        "identity_mapping_file",
        &m.identity_mapping_file,
        STOCK_IDENTITY_MAPPING,
    )
    .await?;
    let amr_acr = mapping_file(
        &http,
        "amr_acr_mapping_file",
        &m.amr_acr_mapping_file,
        STOCK_AMR_ACR_MAPPING,
    )
    .await?;
    EsignetDirectory::new(
        &m.esignet_url,
        &identity,
        &amr_acr,
        Duration::from_millis(m.timeout_ms),
        Duration::from_secs(m.esignet_discovery_ttl_s),
        &ca_bundle("mosip.ca_file", &m.ca_file)?,
    )
    .context("mosip: eSignet mapping files")
}

/// MOSIP clients of `[mosip]`.
pub fn clients(settings: &Settings) -> anyhow::Result<MosipClients> {
    let m = &settings.mosip;
    Ok(MosipClients::http(
        &MosipEndpoints {
            authmanager_url: m.authmanager_url.clone(),
            keymanager_url: m.keymanager_url.clone(),
            datashare_url: m.datashare_url.clone(),
            websub_url: m.websub_url.clone(),
            notifier_url: m.notifier_url.clone(),
            auditmanager_url: m.auditmanager_url.clone(),
            esignet_url: m.esignet_url.clone(),
        },
        ServiceCredentials::new(&m.client_id, &m.secret_key, &m.app_id),
        ClientSettings {
            timeout: Duration::from_millis(m.timeout_ms),
            extra_roots: ca_bundle("mosip.ca_file", &m.ca_file)?,
        },
    )?)
}

/// Everything the worker role runs, started on the current runtime.
pub struct WorkerRole {
    /// Join handles of the background tasks.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The worker's name: the lease owner of the steps it runs.
    pub worker: String,
}

/// Start the scheduler loop (`[scheduler]`).
///
/// # Errors
/// An unknown sweep name or a bad cron expression in `[scheduler.schedules]`.
pub fn start_scheduler_role(
    settings: &Settings,
    pool: PgPool,
    cancel: CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let schedules = pmsflow_scheduler::parse_schedules(&settings.scheduler.schedules)
        .context("scheduler.schedules")?;
    tracing::info!(
        schedules = ?settings.scheduler.schedules,
        "scheduler role started"
    );
    let scheduler = pmsflow_scheduler::Scheduler::new(pool, schedules, settings.engine.budgets());
    Ok(tokio::spawn(scheduler.run(
        Duration::from_millis(settings.scheduler.tick_ms),
        cancel,
    )))
}

/// Start worker, relay and reconciler.
pub fn start_worker_role(
    settings: &Settings,
    pool: PgPool,
    redis: &RedisHandles,
    clients: MosipClients,
    cancel: CancellationToken,
) -> WorkerRole {
    let doorbell = Doorbell::default();
    let dispatcher = runtime::dispatcher(redis, &doorbell);
    let executors = Executors::new(
        Arc::new(clients),
        StepSettings {
            datashare_policy_id: settings.mosip.datashare_policy_id.clone(),
            datashare_subscriber_id: settings.mosip.datashare_subscriber_id.clone(),
            other_domain_application_id: settings.mosip.other_domain_application_id.clone(),
            audit_host_name: settings.mosip.audit_host_name.clone(),
        },
    )
    .with_sweeps(SweepContext {
        pool: pool.clone(),
        batch: settings.scheduler.batch,
        lanes: settings.scheduler.lanes,
        budgets: settings.engine.budgets(),
        certificate_reminder_days: settings.scheduler.certificate_reminder_days.clone(),
        api_key_reminder_days: settings.scheduler.api_key_reminder_days.clone(),
        renewal: pmsflow_store::sweeps::Renewal {
            lead_days: settings.scheduler.licence_renewal_lead_days,
            validity_days: settings.pms.misp_licence_validity_days,
            key_length: settings.pms.misp_licence_key_length,
        },
        retention_days: settings.engine.retention_days,
    })
    .with_republish(RepublishContext::new(
        pool.clone(),
        settings.republish.rate_per_s,
    ));
    let worker_name = format!(
        "{}-worker-{}-{}",
        settings.redis.namespace,
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    let heartbeat = tokio::spawn(heartbeats(
        pool.clone(),
        worker_name.clone(),
        Duration::from_millis(settings.worker.heartbeat_ms.max(100)),
        cancel.clone(),
    ));
    let engine = Engine::new(
        pool.clone(),
        executors,
        dispatcher.clone(),
        worker_name.clone(),
        EngineSettings {
            lease: Duration::from_secs(settings.worker.lease_seconds),
            pause_after_call: std::env::var("PMSFLOW_FAILPOINT_PAUSE_AFTER_CALL").ok(),
            die_after_commit: None,
        },
    );
    let mut tasks = runtime::spawn_worker(
        engine,
        redis,
        doorbell,
        WorkerRoleSettings {
            concurrency: settings.worker.concurrency,
            poll_interval: Duration::from_millis(settings.worker.poll_interval_ms),
            drain: Duration::from_secs(settings.admin.shutdown_grace_s),
        },
        cancel.clone(),
    );
    tasks.push(heartbeat);
    tasks.push(runtime::spawn_relay(
        pool.clone(),
        dispatcher,
        Duration::from_millis(settings.engine.relay_poll_ms),
        cancel.clone(),
    ));
    tasks.push(runtime::spawn_reconciler(
        pool,
        ReconcilerSettings {
            interval: Duration::from_millis(settings.engine.reconcile_interval_ms),
            redispatch_after: Duration::from_millis(settings.engine.redispatch_after_ms),
        },
        cancel,
    ));
    WorkerRole {
        tasks,
        worker: worker_name,
    }
}

/// Record `worker`'s heartbeat every `every` until `cancel`, then remove it, so the console
/// shows which workers are alive.
async fn heartbeats(pool: PgPool, worker: String, every: Duration, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {
                match pmsflow_store::console::heartbeat(&pool, &worker).await {
                    Ok(()) => pmsflow_store::metrics::heartbeat(),
                    Err(e) => tracing::warn!(error = %e, "worker heartbeat not recorded"),
                }
            }
        }
    }
    if let Err(e) = pmsflow_store::console::forget_worker(&pool, &worker).await {
        tracing::debug!(error = %e, "worker heartbeat not removed");
    }
}

/// Resolves on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `pmsflow serve`: the `roles` of one process. `dev` (`--dev`) allows the sandbox or dev
/// auth on a non-loopback `api.bind` ([`Settings::dev_exposure`]).
///
/// SIGTERM or SIGINT starts a drain bounded by `admin.shutdown_grace_s`: readiness turns
/// false at once; the API stops accepting, finishes in-flight requests and ends the console's
/// event streams; workers stop claiming and let running steps finish; at the deadline the
/// steps still running are handed back ([`pmsflow_store::engine::release_leases`]), and the
/// process exits 0. `/health/*` and `/metrics` are served on `admin.bind` until the end (and
/// on `api.bind` by the API role).
///
/// # Errors
/// Development settings on a non-loopback `api.bind` without `dev`, then any start-up failure
/// (database, Redis, settings the roles need, a bind address in use).
pub async fn serve(mut settings: Settings, roles: Vec<Role>, dev: bool) -> anyhow::Result<()> {
    if let Some(banner) = settings.dev_exposure(dev)? {
        eprintln!("{banner}");
        tracing::warn!(bind = %settings.api.bind, "development mode");
    }
    let metrics = crate::ops::install_metrics();
    let pool = database(&settings).await?;
    let cancel = CancellationToken::new();
    let draining = CancellationToken::new();
    let grace = Duration::from_secs(settings.admin.shutdown_grace_s);
    let mut _sandbox = None;
    if settings.mosip.use_sandbox() {
        let handle = pmsflow_sandbox::Sandbox::spawn(crate::sandbox_config(&settings)).await?;
        settings.mosip.point_all_at(&handle.base_url);
        tracing::info!(url = %handle.base_url, "mosip.mode = sandbox: running the sandbox in-process");
        println!("sandbox: {}", handle.base_url);
        _sandbox = Some(handle);
    }
    // Only workers use Redis: an API or scheduler process starts without it.
    let redis = if roles.contains(&Role::Worker) {
        Some(
            RedisHandles::connect(&settings.redis.url, &settings.redis.namespace)
                .await
                .context("redis.url: could not connect to Redis")?,
        )
    } else {
        None
    };
    let mut tasks = Vec::new();
    let mut worker = None;
    if let Some(redis) = &redis {
        let role = start_worker_role(
            &settings,
            pool.clone(),
            redis,
            clients(&settings)?,
            cancel.clone(),
        );
        tasks.extend(role.tasks);
        worker = Some(role.worker);
    }
    if roles.contains(&Role::Scheduler) {
        tasks.push(start_scheduler_role(
            &settings,
            pool.clone(),
            cancel.clone(),
        )?);
    }
    let state = if roles.contains(&Role::Api) {
        let mut state = app_state(&settings, pool.clone()).await?;
        state.draining = draining.clone();
        Some(state)
    } else {
        None
    };
    let mut pools = vec![("main", pool.clone())];
    if let Some(state) = &state {
        pools.push(("api", state.pool.clone()));
    }
    let ops = Arc::new(crate::ops::Ops {
        draining: draining.clone(),
        pool: pool.clone(),
        pools,
        redis: redis.clone(),
        metrics,
        alive_within: Duration::from_millis(settings.worker.heartbeat_ms.max(100) * 3),
    });
    let admin = tokio::net::TcpListener::bind(&settings.admin.bind)
        .await
        .with_context(|| format!("admin.bind: cannot listen on {}", settings.admin.bind))?;
    println!("admin: http://{}", admin.local_addr()?);
    let admin_stop = CancellationToken::new();
    let admin_server = tokio::spawn({
        let app = crate::ops::router(ops.clone());
        let stop = admin_stop.clone();
        async move {
            let _ = axum::serve(admin, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
        }
    });
    let api_server = match state {
        Some(state) => {
            let app = pmsflow_api::router(state).merge(crate::ops::router(ops));
            let listener = tokio::net::TcpListener::bind(&settings.api.bind)
                .await
                .with_context(|| format!("api.bind: cannot listen on {}", settings.api.bind))?;
            println!("api: http://{}", listener.local_addr()?);
            let drain = draining.clone();
            Some(tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(drain.cancelled_owned())
                    .await
            }))
        }
        None => None,
    };

    stop_signal().await;
    let deadline = tokio::time::Instant::now() + grace;
    tracing::info!(grace_s = grace.as_secs(), "draining");
    draining.cancel();
    println!("drain: started");
    cancel.cancel();
    if let Some(server) = api_server {
        match tokio::time::timeout_at(deadline, server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "API server ended with an error"),
            Ok(Err(e)) => tracing::warn!(error = %e, "API server task failed"),
            Err(_) => tracing::warn!("in-flight requests still open at the deadline"),
        }
    }
    for t in tasks {
        let _ = tokio::time::timeout_at(deadline, t).await;
    }
    if let Some(worker) = worker {
        match pmsflow_store::engine::release_leases(&pool, &worker).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(steps = n, "running steps handed back to other workers"),
            Err(e) => tracing::error!(error = %e, "leases not released; they expire instead"),
        }
    }
    admin_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(1), admin_server).await;
    tracing::info!("drained");
    Ok(())
}

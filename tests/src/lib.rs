//! Harness of pmsflow's end-to-end tests: a real API on a loopback port, real workers on a
//! unique Redis namespace, the sandbox over HTTP, and the fresh database `#[sqlx::test]` made.
//!
//! Nothing here sleeps to synchronise: runs are awaited through Postgres LISTEN/NOTIFY.

pub mod browser;
pub mod contract;

use std::path::PathBuf;
use std::time::Duration;

use pmsflow::serve;
use pmsflow_sandbox::{Sandbox, SandboxHandle};
use pmsflow_store::{config::Settings, runs};
use pmsflow_workers::runtime::RedisHandles;
use serde_json::{json, Value};
use sqlx::{ConnectOptions, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Install a test log writer once (RUST_LOG controls it; quiet by default).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// `../shared/fixtures/mosip/certs` (override with `PMSFLOW_SHARED_DIR`).
pub fn certs_dir() -> PathBuf {
    let shared = std::env::var("PMSFLOW_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    shared.join("fixtures/mosip/certs")
}

/// The `pmsflow` binary next to the test binary (`<target>/debug/pmsflow`); panics, saying to
/// build it, when it is missing (`scripts/test.sh` builds it first).
pub fn pmsflow_binary() -> PathBuf {
    // <target>/debug/deps/it-<hash> -> <target>/debug/pmsflow
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("<target>/debug")
        .join("pmsflow");
    assert!(
        bin.exists(),
        "{} missing: run `cargo build --bin pmsflow` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// `pmsflow serve --roles <roles>` as a child process wired to `app`: its database, Redis
/// namespace and sandbox (`mosip.mode = "mosip"` with every URL), the admin port on an
/// ephemeral loopback port, warnings only, stdout piped (it prints `admin: `, `api: ` and
/// failpoint lines), killed when dropped. Tests add their own variables.
pub fn serve_child(app: &TestApp, roles: &str) -> tokio::process::Command {
    let m = &app.settings.mosip;
    let mut cmd = tokio::process::Command::new(pmsflow_binary());
    cmd.args(["serve", "--roles", roles])
        .env("PMSFLOW_DATABASE__URL", &app.settings.database.url)
        .env("PMSFLOW_DATABASE__MAX_CONNECTIONS", "4")
        .env("PMSFLOW_REDIS__URL", &app.settings.redis.url)
        .env("PMSFLOW_REDIS__NAMESPACE", &app.settings.redis.namespace)
        .env("PMSFLOW_ADMIN__BIND", "127.0.0.1:0")
        .env("PMSFLOW_MOSIP__MODE", "mosip")
        .env("PMSFLOW_MOSIP__AUTHMANAGER_URL", &m.authmanager_url)
        .env("PMSFLOW_MOSIP__KEYMANAGER_URL", &m.keymanager_url)
        .env("PMSFLOW_MOSIP__DATASHARE_URL", &m.datashare_url)
        .env("PMSFLOW_MOSIP__WEBSUB_URL", &m.websub_url)
        .env("PMSFLOW_MOSIP__NOTIFIER_URL", &m.notifier_url)
        .env("PMSFLOW_MOSIP__AUDITMANAGER_URL", &m.auditmanager_url)
        .env("PMSFLOW_MOSIP__ESIGNET_URL", &m.esignet_url)
        .env("PMSFLOW_LOG__FILTER", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    cmd
}

/// Read a fixture certificate, e.g. `apitest-credential/partner.movp.pem`.
pub fn fixture(rel: &str) -> String {
    let p = certs_dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// CA files (everything but `partner.*`) of a fixture group, in file-name order.
pub fn fixture_cas(group: &str) -> Vec<String> {
    let dir = certs_dir().join(group);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixture dir {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pem") && !n.starts_with("partner."))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| fixture(&format!("{group}/{n}")))
        .collect()
}

/// A valid MOSIP fixture partner: (group, leaf file, partner id = O=, partner type, policy group).
pub const VALID_FIXTURES: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "apitest-credential",
        "partner.movp.pem",
        "movp",
        "Credential_Partner",
        Some("mpolicygroup-default-digitalcard"),
    ),
    (
        "apitest-misp",
        "partner.misp.pem",
        "misp",
        "MISP_Partner",
        None,
    ),
    (
        "apitest-misp",
        "partner.misp2.pem",
        "misp2",
        "MISP_Partner",
        None,
    ),
    (
        "apitest-device",
        "partner.deviceprovider.pem",
        "deviceprovider",
        "Device_Provider",
        None,
    ),
    (
        "apitest-ftm",
        "partner.ftp.pem",
        "ftp",
        "FTM_Provider",
        None,
    ),
    (
        "mosiptest-2021",
        "partner.Techno.pem",
        "Techno",
        "Auth_Partner",
        Some("mpolicygroup-default-auth"),
    ),
    (
        "mosiptest-2024",
        "partner.mosipprint.pem",
        "mosipprint",
        "Print_Partner",
        Some("mpolicygroup-default-print"),
    ),
];

/// Options of [`TestApp::spawn_with`].
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Run workers (relay, reconciler) in this process.
    pub workers: bool,
    /// Redis URL (a private server for the flush test).
    pub redis_url: Option<String>,
    /// Lease of a claimed step, seconds.
    pub lease_seconds: u64,
    /// Re-dispatch lost steps after this many ms.
    pub redispatch_after_ms: u64,
    /// Attempt budget of external steps.
    pub external_attempts: u32,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            workers: true,
            redis_url: None,
            lease_seconds: 30,
            redispatch_after_ms: 2_000,
            external_attempts: 10,
        }
    }
}

impl TestOptions {
    /// API only: the test dispatches or delivers steps itself.
    pub fn api_only() -> Self {
        Self {
            workers: false,
            ..Self::default()
        }
    }
}

/// The onboarding body of `VALID_FIXTURES[index]`: its chain, partner id = `O=`.
pub fn fixture_body(index: usize) -> Value {
    let (group, leaf, partner, ptype, pgroup) = VALID_FIXTURES[index];
    onboarding_body(
        partner,
        partner,
        ptype,
        pgroup,
        fixture_cas(group),
        fixture(&format!("{group}/{leaf}")),
    )
}

/// A running pmsflow (API + workers) with its sandbox.
pub struct TestApp {
    /// `http://127.0.0.1:<port>` of the API.
    pub api: String,
    /// The sandbox.
    pub sandbox: SandboxHandle,
    /// The test's database.
    pub pool: PgPool,
    /// Effective settings (database URL, Redis namespace, sandbox URLs).
    pub settings: Settings,
    /// Redis handles of this test's namespace.
    pub redis: RedisHandles,
    /// HTTP client.
    pub http: reqwest::Client,
    watcher: pmsflow_store::watch::RunWatcher,
    cancel: CancellationToken,
    /// The worker role's tasks and their own stop signal (a child of `cancel`).
    workers: Option<(Vec<tokio::task::JoinHandle<()>>, CancellationToken)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl TestApp {
    /// API + workers on a fresh namespace, against a fresh sandbox.
    pub async fn spawn(pool: PgPool) -> TestApp {
        Self::spawn_with(pool, TestOptions::default()).await
    }

    /// As [`spawn`](Self::spawn), with options.
    pub async fn spawn_with(pool: PgPool, opts: TestOptions) -> TestApp {
        init_logs();
        let mut settings = Settings::defaults().expect("defaults");
        settings.database.url = database_url(&pool);
        settings.database.max_connections = 10;
        settings.redis.url = opts
            .redis_url
            .clone()
            .unwrap_or_else(|| std::env::var("REDIS_URL").expect("REDIS_URL must be set"));
        settings.redis.namespace = format!("test-{}", Uuid::new_v4().simple());
        settings.worker.lease_seconds = opts.lease_seconds;
        settings.worker.concurrency = 8;
        settings.engine.backoff_base_ms = 20;
        settings.engine.backoff_max_ms = 400;
        settings.engine.reconcile_interval_ms = 200;
        settings.engine.redispatch_after_ms = opts.redispatch_after_ms;
        settings.engine.relay_poll_ms = 200;
        settings.engine.external_attempts = opts.external_attempts;
        settings.api.certificate_upload_wait_ms = 20_000;
        // A stand-in for a built partner portal, served under /pmp/.
        settings.portal.dir = concat!(env!("CARGO_MANIFEST_DIR"), "/portal").to_owned();
        let sandbox = Sandbox::spawn(pmsflow::sandbox_config(&settings))
            .await
            .expect("sandbox");
        settings.mosip.point_all_at(&sandbox.base_url);
        // The sandbox runs beside the app, reached over HTTP like real MOSIP services.
        settings.mosip.mode = pmsflow_store::config::MosipMode::Mosip;
        let redis = RedisHandles::connect(&settings.redis.url, &settings.redis.namespace)
            .await
            .expect("Redis must be reachable");
        let cancel = CancellationToken::new();
        let mut workers = None;
        if opts.workers {
            let clients = serve::clients(&settings).expect("clients");
            let stop = cancel.child_token();
            let role =
                serve::start_worker_role(&settings, pool.clone(), &redis, clients, stop.clone());
            workers = Some((role.tasks, stop));
        }
        let state = serve::app_state(&settings, pool.clone())
            .await
            .expect("state");
        let watcher = state.runs.clone();
        let app = pmsflow_api::router(state).layer(axum::middleware::from_fn(contract::check));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let api = format!("http://{}", listener.local_addr().expect("addr"));
        let c = cancel.clone();
        tokio::spawn(async move {
            let _ = axum_serve(listener, app, c).await;
        });
        TestApp {
            api,
            sandbox,
            pool,
            settings,
            redis,
            http: reqwest::Client::new(),
            watcher,
            cancel,
            workers,
        }
    }

    /// Stop the worker role as a shutdown does and wait until it has: every delivery in
    /// progress finished (`admin.shutdown_grace_s`), relay and reconciler ended. The API keeps
    /// serving. No-op without workers.
    pub async fn stop_workers(&mut self) {
        if let Some((tasks, stop)) = self.workers.take() {
            stop.cancel();
            for t in tasks {
                let _ = t.await;
            }
        }
    }

    /// A PMS-compatible call: `request` (if any) wrapped in the request envelope; asserts
    /// HTTP 200 (PMS answers business errors with 200) and returns the response envelope.
    pub async fn pms(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        request: Option<Value>,
    ) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(token);
        if let Some(r) = request {
            req = req.json(&serde_json::json!({"id": "mosip.test", "version": "1.0", "requesttime": "2026-11-22T10:00:00.000Z", "request": r}));
        }
        let resp = req.send().await.expect("request");
        assert_eq!(resp.status(), 200, "{path}");
        resp.json().await.expect("json")
    }

    /// Onboard `VALID_FIXTURES[index]` ([`fixture_body`]) through the native API, wait for its
    /// run to complete (asserted) and return the partner id.
    pub async fn onboard_fixture(&self, index: usize) -> String {
        let body = fixture_body(index);
        let id = self.start_onboarding(&body).await;
        let run = self.wait_run(id, Duration::from_secs(60)).await;
        assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
        body["partner"]["partnerId"].as_str().unwrap().to_owned()
    }

    /// A dev token for `sub` with `roles`, valid for an hour.
    pub fn token(&self, sub: &str, roles: &[&str]) -> String {
        self.token_for(sub, roles, Duration::from_secs(3600))
    }

    /// A dev token for `sub` with `roles`, valid for `ttl`.
    pub fn token_for(&self, sub: &str, roles: &[&str], ttl: Duration) -> String {
        let auth = pmsflow_api::access::Authenticator::dev(
            &self.settings.auth.dev_secret,
            &self.settings.auth.partner_admin_role,
        );
        auth.mint(
            sub,
            &roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            ttl,
        )
        .expect("dev token")
    }

    /// Onboard `n` fresh partners ([`fresh_body`] from index `from`) while keymanager is
    /// down (sandbox fault `keymanager.*`), wait for every run to fail, and clear the fault.
    /// Returns the failed runs' ids, oldest first.
    pub async fn failed_onboardings(&self, from: usize, n: usize) -> Vec<Uuid> {
        self.sandbox
            .sandbox
            .set_faults(pmsflow_sandbox::FaultConfig::single(
                "keymanager.*",
                pmsflow_sandbox::FaultRule::always_unavailable(),
            ));
        let mut ids = Vec::with_capacity(n);
        for i in from..from + n {
            ids.push(self.start_onboarding(&fresh_body(i)).await);
        }
        for id in &ids {
            let run = self.wait_run(*id, Duration::from_secs(120)).await;
            assert_eq!(
                run.run.status, "failed",
                "{id} should fail while keymanager is down"
            );
        }
        self.sandbox.sandbox.clear_faults();
        ids
    }

    /// A partner-admin token.
    pub fn admin(&self) -> String {
        self.token("test-admin", &["PARTNER_ADMIN"])
    }

    /// `POST /v1/onboardings` as partner admin; returns (HTTP status, body).
    pub async fn post_onboarding(
        &self,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/v1/onboardings", self.api))
            .bearer_auth(self.admin())
            .json(body);
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        let resp = req.send().await.expect("POST /v1/onboardings");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Start an onboarding and return its run id (panics unless 202).
    pub async fn start_onboarding(&self, body: &Value) -> Uuid {
        let (status, resp) = self.post_onboarding(body, None).await;
        assert_eq!(status, 202, "onboarding not accepted: {resp}");
        serde_json::from_value(resp["runId"].clone()).expect("runId")
    }

    /// Wait (LISTEN/NOTIFY) until the run ends, at most `timeout`; returns its detail.
    pub async fn wait_run(&self, id: Uuid, timeout: Duration) -> runs::RunDetail {
        self.watcher.wait(id, timeout).await.expect("wait for run");
        runs::get_run(&self.pool, id)
            .await
            .expect("get_run")
            .expect("run exists")
    }

    /// Assert that the sandbox applied every effect at most once per effect key (replays of
    /// an idempotency key are answered from the stored response and are not effects).
    pub fn assert_effects_once(&self) {
        let mut seen = std::collections::HashMap::<String, u32>::new();
        for e in self
            .sandbox
            .sandbox
            .ledger()
            .into_iter()
            .filter(|e| !e.replay)
        {
            *seen.entry(e.effect_key).or_default() += 1;
        }
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.is_empty(),
            "effects applied more than once: {twice:?}"
        );
    }

    /// Ledger entries (effects and replays) of one sandbox operation, e.g. `uploadPartnerCertificate`.
    pub fn ledger_of(&self, operation: &str) -> Vec<pmsflow_sandbox::LedgerEntry> {
        self.sandbox
            .sandbox
            .ledger()
            .into_iter()
            .filter(|e| e.operation == operation)
            .collect()
    }

    /// Ledger entries of effects (not replays) whose key belongs to `run`.
    pub fn effects_of(&self, run: Uuid) -> Vec<pmsflow_sandbox::LedgerEntry> {
        let prefix = run.to_string();
        self.sandbox
            .sandbox
            .ledger()
            .into_iter()
            .filter(|e| e.effect_key.starts_with(&prefix))
            .collect()
    }
}

async fn axum_serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}

/// The URL of the pool's database (for child processes and listeners).
pub fn database_url(pool: &PgPool) -> String {
    pool.connect_options().to_url_lossy().to_string()
}

/// An onboarding body for a fixture partner.
pub fn onboarding_body(
    partner_id: &str,
    organization: &str,
    partner_type: &str,
    policy_group: Option<&str>,
    cas: Vec<String>,
    leaf: String,
) -> Value {
    json!({
        "partner": {
            "partnerId": partner_id,
            "organizationName": organization,
            "partnerType": partner_type,
            "policyGroup": policy_group,
            "address": "MOSIP test street 1",
            "contactNumber": "9876543210",
            "emailId": format!("{}@test.example.org", partner_id.to_lowercase()),
        },
        "caCertificates": cas,
        "partnerCertificate": leaf,
    })
}

/// The onboarding body of a fresh `Auth_Partner` `p{i}` of organisation `org{i}`, with its
/// own new chain ([`fresh_chain`]).
pub fn fresh_body(i: usize) -> Value {
    let org = format!("org{i}");
    let (root, leaf) = fresh_chain(&org);
    onboarding_body(
        &format!("p{i}"),
        &org,
        "Auth_Partner",
        Some("mpolicygroup-default-auth"),
        vec![root],
        leaf,
    )
}

/// A fresh valid chain (ECDSA P-256 root -> partner with `O=org`), PEMs (root, leaf).
pub fn fresh_chain(org: &str) -> (String, String) {
    pmsflow::bench::fresh_chain(org).expect("rcgen chain")
}

/// An engine on the app's database and namespace, for tests that deliver steps themselves.
pub fn engine_for(app: &TestApp) -> std::sync::Arc<pmsflow_workers::engine::Engine> {
    engine_dying_after(app, None)
}

/// [`engine_for`], acting as if its process died right after committing the step with key
/// `die_after_commit` (no chain, no push).
pub fn engine_dying_after(
    app: &TestApp,
    die_after_commit: Option<&str>,
) -> std::sync::Arc<pmsflow_workers::engine::Engine> {
    use pmsflow_workers::{
        dispatch::Doorbell,
        engine::{Engine, EngineSettings},
        runtime,
        steps::{Executors, StepSettings},
    };
    let clients = serve::clients(&app.settings).expect("clients");
    let executors = Executors::new(
        std::sync::Arc::new(clients),
        StepSettings {
            datashare_policy_id: app.settings.mosip.datashare_policy_id.clone(),
            datashare_subscriber_id: app.settings.mosip.datashare_subscriber_id.clone(),
            other_domain_application_id: app.settings.mosip.other_domain_application_id.clone(),
            audit_host_name: "test".into(),
        },
    );
    Engine::new(
        app.pool.clone(),
        executors,
        runtime::dispatcher(&app.redis, &Doorbell::default()),
        format!("test-engine-{}", Uuid::new_v4().simple()),
        EngineSettings {
            lease: Duration::from_secs(30),
            pause_after_call: None,
            die_after_commit: die_after_commit.map(str::to_owned),
        },
    )
}

//! Shared handles of the API.

use std::sync::Arc;
use std::time::Duration;

use pmsflow_core::{partner::RegistrationRules, workflow::Budgets};
use pmsflow_store::{config::PmsSettings, watch::RunWatcher};
use sqlx::PgPool;

use crate::access::{console::ConsoleAccess, roles::RoleTable, token::Authenticator};
use crate::services::esignet::EsignetDirectory;

/// Bounds on every request ([`crate::router`]), from `[api]`.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Until the answer starts; 503 after it (`api.request_timeout_ms`).
    pub timeout: Duration,
    /// Requests handled at once; more wait for a slot (`api.max_concurrent_requests`).
    pub max_concurrent: usize,
    /// Largest body, bytes; 413 above it (`api.max_body_bytes`).
    pub max_body_bytes: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_concurrent: 256,
            max_body_bytes: 1 << 20,
        }
    }
}

/// Cloned into every handler.
#[derive(Clone)]
pub struct AppState {
    /// The API's Postgres pool (`api.db_max_connections`, `statement_timeout` =
    /// `api.statement_timeout_ms`), apart from the workers' pool.
    pub pool: PgPool,
    /// Bounds on every request.
    pub limits: RequestLimits,
    /// Cancelled when the process starts draining (SIGTERM): long-lived answers (the console's
    /// event stream) end with a reconnect hint.
    pub draining: tokio_util::sync::CancellationToken,
    /// Token verification.
    pub auth: Arc<Authenticator>,
    /// Attempt budgets and backoff of new runs.
    pub budgets: Budgets,
    /// Registration limits.
    pub rules: Arc<RegistrationRules>,
    /// How long the synchronous certificate endpoints wait for their run.
    pub certificate_upload_wait: Duration,
    /// Waits for runs through one LISTEN connection.
    pub runs: RunWatcher,
    /// Role list of every endpoint.
    pub roles: Arc<RoleTable>,
    /// PMS behaviour settings (validities, key lengths, schema URL).
    pub pms: Arc<PmsSettings>,
    /// The configured sweeps (`[scheduler.schedules]`), for `/v1/schedules`.
    pub schedules: Arc<Vec<pmsflow_core::schedule::CronSchedule>>,
    /// eSignet's mapping files and `claims_supported`, for the OIDC endpoints.
    pub esignet: Arc<EsignetDirectory>,
    /// Partners per step of a re-publication (`republish.batch`).
    pub republish_batch: usize,
    /// Console roles, CSRF key, sign-in and bulk settings (`[console]`).
    pub console: Arc<ConsoleAccess>,
    /// The partner portal's directory, public URL and return-URL origins (`[portal]`).
    pub portal: Arc<crate::access::portal::PortalAccess>,
    /// Workers' heartbeat period (`worker.heartbeat_ms`): three without one and a worker is
    /// shown dead.
    pub heartbeat: Duration,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

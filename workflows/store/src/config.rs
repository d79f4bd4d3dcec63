//! Layered configuration: compiled-in defaults (`pmsflow.default.toml`, documented there), then
//! the file named by `PMSFLOW_CONFIG` (default `pmsflow.toml` if present), then `PMSFLOW_`
//! environment variables with `__` between section and key.
//!
//! A missing or malformed setting stops start-up with a message naming it.

use std::path::PathBuf;

use figment::{
    providers::{Env, Format, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

/// The dev-token secret shipped in `pmsflow.default.toml`; refused next to real MOSIP services.
pub const DEFAULT_DEV_SECRET: &str = "pmsflow-dev-secret-change-me";

/// The documented defaults, embedded at build time.
pub const DEFAULTS: &str = include_str!("../../../pmsflow.default.toml");

/// All settings; see `pmsflow.default.toml` for each field's meaning and unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[database]`.
    pub database: DatabaseSettings,
    /// `[redis]`.
    pub redis: RedisSettings,
    /// `[api]`.
    pub api: ApiSettings,
    /// `[auth]`.
    pub auth: AuthSettings,
    /// `[worker]`.
    pub worker: WorkerSettings,
    /// `[engine]`.
    pub engine: EngineSettings,
    /// `[mosip]`.
    pub mosip: MosipSettings,
    /// `[log]`.
    pub log: LogSettings,
    /// `[pms]`.
    pub pms: PmsSettings,
    /// `[scheduler]`.
    pub scheduler: SchedulerSettings,
    /// `[republish]`.
    pub republish: RepublishSettings,
    /// `[console]`.
    pub console: ConsoleSettings,
    /// `[roles]`: endpoint key (`mosip.role.pms.<key>`) → roles, replacing PMS's default list.
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, Vec<String>>,
}

/// `[console]`: the operator console at `/console` and its JSON API under `/v1/admin`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// JWT realm roles that give the console role `viewer` (sees everything, acts on nothing).
    pub viewer_roles: Vec<String>,
    /// Roles that give `operator` (retry, skip, cancel, re-publish, bulk actions, trigger).
    pub operator_roles: Vec<String>,
    /// Roles that give `admin` (also pause and resume schedules).
    pub admin_roles: Vec<String>,
    /// Key of the CSRF tokens (HMAC of the session token). Empty: a random key per process,
    /// so set it when several API replicas serve one console.
    pub csrf_secret: String,
    /// Where `/console/login` sends the browser in `jwks` mode (the IdP's login page); in
    /// `dev` mode the console shows its own sign-in form.
    pub login_url: String,
    /// Lifetime of a dev sign-in, seconds.
    pub dev_session_s: u64,
    /// Runs per transaction of a bulk action.
    pub bulk_batch: u32,
}

impl std::fmt::Debug for ConsoleSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSettings")
            .field("viewer_roles", &self.viewer_roles)
            .field("operator_roles", &self.operator_roles)
            .field("admin_roles", &self.admin_roles)
            .field("csrf_secret", &"<redacted>")
            .field("login_url", &self.login_url)
            .field("dev_session_s", &self.dev_session_s)
            .field("bulk_batch", &self.bulk_batch)
            .finish()
    }
}

/// `[republish]`: re-publication of partners' events to the hub.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepublishSettings {
    /// Replayed events per second, per worker process (≥ 1).
    pub rate_per_s: u32,
    /// Partners per step (≥ 1): the unit of progress and of retry.
    pub batch: usize,
}

/// `[scheduler]`: the sweeps and how often the scheduler looks at them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    /// How often each scheduler replica checks whether a fire is due, milliseconds.
    pub tick_ms: u64,
    /// Rows per sweep transaction.
    pub batch: i64,
    /// Concurrent transactions of the licence-expiry sweep.
    pub lanes: usize,
    /// Days before the end of a re-signed certificate when its partner is reminded.
    pub certificate_reminder_days: Vec<u32>,
    /// Days before the end of an API key when its partner is reminded
    /// (`notifications.sent.before.days`).
    pub api_key_reminder_days: Vec<u32>,
    /// Days before its end a MISP licence is renewed (both keys are valid meanwhile).
    pub licence_renewal_lead_days: u32,
    /// Sweep name → 5-field cron expression (UTC). Known sweeps: `licence-expiry`,
    /// `api-key-expiry`; an unknown name or a bad expression stops start-up.
    pub schedules: std::collections::BTreeMap<String, String>,
}

/// `[pms]`: PMS behaviour settings (mosip-pms.md §3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PmsSettings {
    /// API-key validity (`mosip.pmp.partner.policy.expiry.period.indays`), days.
    pub api_key_validity_days: u32,
    /// MISP licence validity (`mosip.pmp.misp.license.expiry.period.indays`), days.
    pub misp_licence_validity_days: u32,
    /// Licence key length (`mosip.kernel.idgenerator.misp.license-key-length`), characters.
    pub misp_licence_key_length: usize,
    /// Length of generated API keys, characters (PMS: a number below 10^6).
    pub api_key_length: usize,
    /// Schema URL stored on publish (`pmp.policy.schema.url`).
    pub policy_schema_url: String,
    /// Policy validity from creation (PMS: 200 years), years.
    pub policy_validity_years: u32,
    /// Credential types a partner may map to a policy (`pmp.allowed.credential.types`).
    pub allowed_credential_types: Vec<String>,
    /// Partner types that may map credential types
    /// (`policy.credential.type.mapping.allowed.partner.types`).
    pub credential_type_partner_types: Vec<String>,
    /// Roles the partner portal offers (`mosip.pms.ui.required.roles`), answered by
    /// `GET /roles`.
    pub ui_roles: Vec<String>,
}

/// `[database]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// PostgreSQL URL.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
}

/// `[redis]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// Redis URL.
    pub url: String,
    /// Key prefix and queue name.
    pub namespace: String,
}

/// `[api]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Listen address, `host:port`.
    pub bind: String,
    /// Wait bound of synchronous PMS endpoints, in ms.
    pub certificate_upload_wait_ms: u64,
}

/// How tokens are verified (`auth.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// HS256 tokens signed with `auth.dev_secret` (`pmsflow token`, the console's dev sign-in).
    Dev,
    /// The IdP's (Keycloak) RS256 tokens, verified against `auth.jwks_url`.
    Jwks,
}

/// `[auth]`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `dev` or `jwks`; any other value stops start-up naming `auth.mode`.
    pub mode: AuthMode,
    /// HS256 secret of dev tokens.
    pub dev_secret: String,
    /// IdP JWKS URL (mode `jwks`).
    pub jwks_url: String,
    /// Expected `iss` (empty: not checked).
    pub issuer: String,
    /// Role that bypasses the own-data rule.
    pub partner_admin_role: String,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("mode", &self.mode)
            .field("dev_secret", &"<redacted>")
            .field("jwks_url", &self.jwks_url)
            .field("issuer", &self.issuer)
            .field("partner_admin_role", &self.partner_admin_role)
            .finish()
    }
}

/// `[worker]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// Concurrent steps per worker process.
    pub concurrency: usize,
    /// Lease of a claimed step, in seconds.
    pub lease_seconds: u64,
    /// Fallback Redis poll, in ms.
    pub poll_interval_ms: u64,
    /// How often a worker process records its heartbeat, in ms; the console counts a worker
    /// alive while its heartbeat is younger than three periods.
    pub heartbeat_ms: u64,
}

/// `[engine]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    /// Fallback outbox poll, in ms.
    pub relay_poll_ms: u64,
    /// Reconciler period, in ms.
    pub reconcile_interval_ms: u64,
    /// Re-dispatch a queued step not started this long after it was due, in ms.
    pub redispatch_after_ms: u64,
    /// Attempt budget of external steps.
    pub external_attempts: u32,
    /// Attempt budget of best-effort steps.
    pub best_effort_attempts: u32,
    /// Attempt budget of a WebSub publish in an effects run.
    pub event_attempts: u32,
    /// First backoff delay, in ms.
    pub backoff_base_ms: u64,
    /// Backoff cap, in ms.
    pub backoff_max_ms: u64,
    /// Jittered fraction of each delay, 0..=1.
    pub backoff_jitter: f64,
}

impl EngineSettings {
    /// The attempt budgets and backoff for workflow definitions.
    pub fn budgets(&self) -> pmsflow_core::workflow::Budgets {
        pmsflow_core::workflow::Budgets {
            external: self.external_attempts,
            best_effort: self.best_effort_attempts,
            events: self.event_attempts,
            backoff: pmsflow_core::retry::Backoff {
                base_ms: self.backoff_base_ms,
                max_ms: self.backoff_max_ms,
                jitter: self.backoff_jitter,
            },
        }
    }
}

/// `[mosip]`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosipSettings {
    /// authmanager base URL.
    pub authmanager_url: String,
    /// keymanager base URL; empty = in-process sandbox.
    pub keymanager_url: String,
    /// datashare base URL.
    pub datashare_url: String,
    /// WebSub hub URL.
    pub websub_url: String,
    /// notifier base URL.
    pub notifier_url: String,
    /// auditmanager base URL.
    pub auditmanager_url: String,
    /// eSignet base URL (`mosip.esignet.service.url`): client management and its
    /// `.well-known/openid-configuration`.
    pub esignet_url: String,
    /// identity-mapping.json (`mosip.pms.esignet.claims-mapping-file-url`): an http(s) URL or a
    /// file path; empty = MOSIP's stock file, built in.
    pub identity_mapping_file: String,
    /// amr-acr-mapping.json (`mosip.pms.esignet.amr-acr-mapping-file-url`): an http(s) URL or a
    /// file path; empty = MOSIP's stock file, built in.
    pub amr_acr_mapping_file: String,
    /// How long the eSignet `claims_supported` list is cached, in seconds.
    pub esignet_discovery_ttl_s: u64,
    /// Service-account client id.
    pub client_id: String,
    /// Service-account secret (never logged).
    pub secret_key: String,
    /// authmanager app id.
    pub app_id: String,
    /// Outbound call timeout, in ms.
    pub timeout_ms: u64,
    /// Datashare policy of certificate chains.
    pub datashare_policy_id: String,
    /// Datashare subscriber of certificate chains.
    pub datashare_subscriber_id: String,
    /// `applicationId` of other-domain uploads.
    pub other_domain_application_id: String,
    /// Host name in audit events.
    pub audit_host_name: String,
}

impl MosipSettings {
    /// `true` when no MOSIP keymanager is configured: `serve` then runs the sandbox in-process.
    pub fn use_sandbox(&self) -> bool {
        self.keymanager_url.trim().is_empty()
    }

    /// Point every service at one base URL (the sandbox's).
    pub fn point_all_at(&mut self, base: &str) {
        let base = base.trim_end_matches('/').to_owned();
        self.authmanager_url = base.clone();
        self.keymanager_url = base.clone();
        self.datashare_url = base.clone();
        self.websub_url = format!("{base}/hub/");
        self.notifier_url = base.clone();
        self.esignet_url = base.clone();
        self.auditmanager_url = base;
    }
}

impl std::fmt::Debug for MosipSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MosipSettings")
            .field("authmanager_url", &self.authmanager_url)
            .field("keymanager_url", &self.keymanager_url)
            .field("datashare_url", &self.datashare_url)
            .field("websub_url", &self.websub_url)
            .field("notifier_url", &self.notifier_url)
            .field("auditmanager_url", &self.auditmanager_url)
            .field("esignet_url", &self.esignet_url)
            .field("client_id", &self.client_id)
            .field("secret_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// `[log]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// tracing filter.
    pub filter: String,
    /// `text` or `json`.
    pub format: String,
}

/// A setting that is missing, malformed or out of range.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// figment could not extract the settings (names the key and the source).
    #[error("configuration: {0}")]
    Extract(#[from] Box<figment::Error>),
    /// A value is out of range.
    #[error("configuration: {key}: {reason}")]
    Invalid {
        /// The dotted key, e.g. `worker.concurrency`.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// `PMSFLOW_<SECTION>__<KEY>` variables; other `PMSFLOW_` variables (`PMSFLOW_CONFIG`,
/// `PMSFLOW_SHARED_DIR`, failpoints) are not settings and are left alone.
fn settings_env() -> Env {
    Env::prefixed("PMSFLOW_")
        .filter(|key| key.as_str().contains("__"))
        .split("__")
}

impl Settings {
    /// Load defaults, then the file (`PMSFLOW_CONFIG` or `./pmsflow.toml`), then `PMSFLOW_` env.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("PMSFLOW_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("pmsflow.toml"));
        Self::from_figment(
            Figment::new()
                .merge(Toml::string(DEFAULTS))
                .merge(Toml::file(file))
                .merge(settings_env()),
        )
    }

    /// The compiled-in defaults only (tests start from here).
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::from_figment(Figment::new().merge(Toml::string(DEFAULTS)))
    }

    fn from_figment(f: Figment) -> Result<Self, ConfigError> {
        let s: Settings = f.extract().map_err(Box::new)?;
        s.validate()?;
        Ok(s)
    }

    /// Range checks that serde cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        if self.database.url.trim().is_empty() {
            return bad("database.url", "must not be empty");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.redis.url.trim().is_empty() {
            return bad("redis.url", "must not be empty");
        }
        if self.redis.namespace.trim().is_empty() || self.redis.namespace.contains(' ') {
            return bad("redis.namespace", "must be a non-empty word");
        }
        if self.api.bind.parse::<std::net::SocketAddr>().is_err() {
            return bad("api.bind", "must be host:port, e.g. 127.0.0.1:8080");
        }
        if self.auth.mode == AuthMode::Jwks && self.auth.jwks_url.trim().is_empty() {
            return bad("auth.jwks_url", "is required when auth.mode = \"jwks\"");
        }
        if self.auth.mode == AuthMode::Dev && self.auth.dev_secret.len() < 16 {
            return bad("auth.dev_secret", "must be at least 16 characters");
        }
        if self.auth.mode == AuthMode::Dev
            && !self.mosip.use_sandbox()
            && self.auth.dev_secret == DEFAULT_DEV_SECRET
        {
            return bad(
                "auth.dev_secret",
                "the published default secret cannot be used with real MOSIP services: set auth.mode = \"jwks\" or a secret of your own",
            );
        }
        if self.worker.concurrency == 0 {
            return bad("worker.concurrency", "must be at least 1");
        }
        if self.worker.lease_seconds == 0 {
            return bad("worker.lease_seconds", "must be at least 1");
        }
        if self.engine.external_attempts == 0
            || self.engine.best_effort_attempts == 0
            || self.engine.event_attempts == 0
        {
            return bad(
                "engine.external_attempts",
                "attempt budgets must be at least 1",
            );
        }
        if !(0.0..=1.0).contains(&self.engine.backoff_jitter) {
            return bad("engine.backoff_jitter", "must be between 0 and 1");
        }
        if !self.mosip.use_sandbox() {
            for (key, v) in [
                ("mosip.authmanager_url", &self.mosip.authmanager_url),
                ("mosip.datashare_url", &self.mosip.datashare_url),
                ("mosip.websub_url", &self.mosip.websub_url),
                ("mosip.notifier_url", &self.mosip.notifier_url),
                ("mosip.auditmanager_url", &self.mosip.auditmanager_url),
                ("mosip.esignet_url", &self.mosip.esignet_url),
            ] {
                if v.trim().is_empty() {
                    return bad(key, "is required when mosip.keymanager_url is set");
                }
            }
        }
        if self.republish.rate_per_s == 0 || self.republish.batch == 0 {
            return bad("republish.rate_per_s", "rate and batch must be at least 1");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format", "must be \"text\" or \"json\"");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let s = Settings::defaults().unwrap();
        assert!(s.mosip.use_sandbox());
        assert!(!format!("{s:?}").contains("pmsflow-dev-secret"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure returns figment::Error
    fn env_overrides_sections_and_ignores_other_pmsflow_variables() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PMSFLOW_WORKER__CONCURRENCY", "3");
            jail.set_env("PMSFLOW_SHARED_DIR", "/tmp/x");
            jail.set_env("PMSFLOW_FAILPOINT_PAUSE_AFTER_CALL", "audit");
            let s = Settings::from_figment(
                Figment::new()
                    .merge(Toml::string(DEFAULTS))
                    .merge(settings_env()),
            )
            .map_err(|e| e.to_string())?;
            assert_eq!(s.worker.concurrency, 3);
            Ok(())
        });
    }

    #[test]
    fn the_default_dev_secret_is_refused_with_real_mosip() {
        let err = Settings::from_figment(
            Figment::new()
                .merge(Toml::string(DEFAULTS))
                .merge(Toml::string(
                    "[mosip]\nkeymanager_url = \"https://km\"\nauthmanager_url = \"https://am\"\ndatashare_url = \"https://ds\"\nwebsub_url = \"https://hub/\"\nnotifier_url = \"https://nt\"\nauditmanager_url = \"https://au\"",
                )),
        )
        .unwrap_err();
        assert!(err.to_string().contains("auth.dev_secret"), "{err}");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Settings::from_figment(
            Figment::new()
                .merge(Toml::string(DEFAULTS))
                .merge(Toml::string("[worker]\nconcurrency = 0")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("worker.concurrency"), "{err}");
        let err = Settings::from_figment(
            Figment::new()
                .merge(Toml::string(DEFAULTS))
                .merge(Toml::string("[worker]\nconcurrency = \"many\"")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("concurrency"), "{err}");
    }
}

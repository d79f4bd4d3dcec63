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
    /// `[admin]`.
    pub admin: AdminSettings,
    /// `[portal]`.
    pub portal: PortalSettings,
    /// `[roles]`: endpoint key (`mosip.role.pms.<key>`) → roles, replacing PMS's default list.
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, Vec<String>>,
}

/// `[admin]`: the process's own endpoints (health, metrics) and its shutdown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// Where a process without the API role serves `/health/live`, `/health/ready` and
    /// `/metrics`, `host:port` (the API role serves them on `api.bind`).
    pub bind: String,
    /// From SIGTERM or SIGINT to exit, seconds: in-flight requests and steps finish within it;
    /// steps still running then are handed back (their leases released, the attempt not
    /// counted). Keep it under Kubernetes' `terminationGracePeriodSeconds`.
    pub shutdown_grace_s: u64,
}

/// `[portal]`: MOSIP's partner portal (pmp-ui) served by the API under `/pmp/`, and where its
/// session calls (`/v1/partnermanager/login`, `logout/user`) may send the browser back to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    /// Directory of a built portal (its `index.html`, `assets/`...), served under `/pmp/`;
    /// empty: no portal is served.
    pub dir: String,
    /// This server's public URL as browsers reach it, `scheme://host[:port]` (e.g.
    /// `https://pms.example.org`): the portal's `config.json` `baseUrl` and the origin a
    /// return URL may name. Empty: taken from each request's `Host` and
    /// `X-Forwarded-Proto`.
    pub public_url: String,
    /// Other origins (`scheme://host[:port]`) the sign-in and sign-out may send the browser
    /// back to, e.g. a portal served apart from the API.
    pub origins: Vec<String>,
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
    /// Dev sign-in attempts accepted per minute, all users together (429 beyond).
    pub dev_sign_ins_per_minute: u32,
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
            .field("dev_sign_ins_per_minute", &self.dev_sign_ins_per_minute)
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
    /// Bound of a request until its answer starts, in ms (503 after it).
    pub request_timeout_ms: u64,
    /// Requests handled at once by the process (more wait for a slot).
    pub max_concurrent_requests: usize,
    /// Largest request body, bytes (413 above it).
    pub max_body_bytes: usize,
    /// Connections of the API's own pool (apart from `database.max_connections`).
    pub db_max_connections: u32,
    /// Postgres `statement_timeout` of the API's pool, in ms.
    pub statement_timeout_ms: u64,
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
    /// IdP JWKS URL (mode `jwks`): `https://`, or `http://` to a loopback host only.
    pub jwks_url: String,
    /// Required `iss` of IdP tokens (mode `jwks`; required there). Dev tokens always carry
    /// `pmsflow-dev`.
    pub issuer: String,
    /// Accepted audiences (mode `jwks`; at least one): a token passes when its `aud` (a
    /// string or an array) holds one of them, or its `azp` is one of them (Keycloak access
    /// tokens carry `aud = account` and `azp = <client id>`).
    pub audience: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`, seconds (at most 300).
    pub leeway_s: u64,
    /// Age after which the cached JWKS is fetched again before a token is verified, seconds
    /// (so a key the IdP removed stops being trusted); 0 = fetch on every verification.
    pub jwks_ttl_s: u64,
    /// PEM bundle of CA certificates trusted for the IdP in addition to the built-in roots;
    /// empty = none.
    pub ca_file: String,
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
            .field("audience", &self.audience)
            .field("leeway_s", &self.leeway_s)
            .field("jwks_ttl_s", &self.jwks_ttl_s)
            .field("ca_file", &self.ca_file)
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
    /// Finished runs (their steps and attempts) older than this many days are deleted by the
    /// `run-retention` sweep; at least 1. The operators' audit log is kept.
    pub retention_days: u32,
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

/// Where the MOSIP services are (`mosip.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MosipMode {
    /// `serve` runs the MOSIP sandbox in-process and points every client at it; every
    /// `mosip.*_url` must be empty. Development only: refused on a non-loopback `api.bind`
    /// unless `serve --dev`.
    Sandbox,
    /// Real MOSIP services: every `mosip.*_url` is required.
    Mosip,
}

/// `[mosip]`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosipSettings {
    /// `sandbox` or `mosip`; any other value stops start-up naming `mosip.mode`.
    pub mode: MosipMode,
    /// authmanager base URL.
    pub authmanager_url: String,
    /// keymanager base URL.
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
    /// PEM bundle of CA certificates trusted for the MOSIP services (and mapping files
    /// fetched over https) in addition to the built-in roots; empty = none.
    pub ca_file: String,
}

impl MosipSettings {
    /// `true` when `mode = "sandbox"`: `serve` then runs the sandbox in-process.
    pub fn use_sandbox(&self) -> bool {
        self.mode == MosipMode::Sandbox
    }

    /// The service URL settings, as (dotted key, value).
    pub fn urls(&self) -> [(&'static str, &str); 7] {
        [
            ("mosip.authmanager_url", &self.authmanager_url),
            ("mosip.keymanager_url", &self.keymanager_url),
            ("mosip.datashare_url", &self.datashare_url),
            ("mosip.websub_url", &self.websub_url),
            ("mosip.notifier_url", &self.notifier_url),
            ("mosip.auditmanager_url", &self.auditmanager_url),
            ("mosip.esignet_url", &self.esignet_url),
        ]
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
            .field("mode", &self.mode)
            .field("authmanager_url", &self.authmanager_url)
            .field("keymanager_url", &self.keymanager_url)
            .field("datashare_url", &self.datashare_url)
            .field("websub_url", &self.websub_url)
            .field("notifier_url", &self.notifier_url)
            .field("auditmanager_url", &self.auditmanager_url)
            .field("esignet_url", &self.esignet_url)
            .field("client_id", &self.client_id)
            .field("secret_key", &"<redacted>")
            .field("ca_file", &self.ca_file)
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
    /// A `PMSFLOW_` environment variable that is neither a setting nor one of
    /// [`OTHER_ENV_VARS`] (a typo would otherwise be ignored silently).
    #[error("unknown environment variable {name}; did you mean {nearest}?")]
    UnknownEnv {
        /// The variable as it is set.
        name: String,
        /// The known variable nearest to it (edit distance).
        nearest: String,
    },
}

/// The `PMSFLOW_` environment variables that are not settings: the configuration file, the
/// shared fixtures directory, the crash test's failpoint and the contract log of the test
/// suite. Any other `PMSFLOW_` variable must name a setting (`PMSFLOW_<SECTION>__<KEY>`).
pub const OTHER_ENV_VARS: &[&str] = &[
    "PMSFLOW_CONFIG",
    "PMSFLOW_SHARED_DIR",
    "PMSFLOW_FAILPOINT_PAUSE_AFTER_CALL",
    "PMSFLOW_CONTRACT_LOG",
];

/// Settings whose keys are free-form (`[roles]`: endpoint keys, checked when the API starts;
/// `[scheduler.schedules]`: sweep names, checked when the schedules are parsed): any
/// `PMSFLOW_ROLES__<KEY>` or `PMSFLOW_SCHEDULER__SCHEDULES__<NAME>` passes the name check.
const FREE_FORM_SETTINGS: &[&str] = &["ROLES", "SCHEDULER__SCHEDULES"];

/// The environment variable of every setting of the defaults, `PMSFLOW_<SECTION>__<KEY>`
/// (upper case), sorted.
fn setting_env_names() -> Vec<String> {
    let defaults: serde_json::Value = Figment::new()
        .merge(Toml::string(DEFAULTS))
        .extract()
        .unwrap_or_default();
    let mut names = Vec::new();
    if let serde_json::Value::Object(sections) = defaults {
        for (section, table) in sections {
            if let serde_json::Value::Object(keys) = table {
                for key in keys.keys() {
                    names.push(format!("PMSFLOW_{section}__{key}").to_ascii_uppercase());
                }
            }
        }
    }
    names.sort();
    names
}

/// Check the names of the process's environment variables: every one starting with
/// `PMSFLOW_` (in any case, as figment matches it) must be a setting of the defaults
/// (`PMSFLOW_<SECTION>__<KEY>`), a key of a free-form table (`PMSFLOW_ROLES__<KEY>`,
/// `PMSFLOW_SCHEDULER__SCHEDULES__<NAME>`) or one of [`OTHER_ENV_VARS`]. Other names are
/// ignored.
///
/// # Errors
/// [`ConfigError::UnknownEnv`] for the first unknown name, with the nearest known one.
pub fn check_env_names<I, S>(names: I) -> Result<(), ConfigError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut settings: Option<Vec<String>> = None;
    for name in names {
        let name = name.as_ref();
        let upper = name.trim().to_ascii_uppercase();
        let Some(rest) = upper.strip_prefix("PMSFLOW_") else {
            continue;
        };
        if OTHER_ENV_VARS.contains(&upper.as_str()) {
            continue;
        }
        let free_form = FREE_FORM_SETTINGS.iter().any(|table| {
            rest.strip_prefix(table)
                .and_then(|key| key.strip_prefix("__"))
                .is_some_and(|key| !key.is_empty() && !key.split("__").any(str::is_empty))
        });
        if free_form {
            continue;
        }
        let known = settings.get_or_insert_with(setting_env_names);
        if known.binary_search(&upper).is_ok() {
            continue;
        }
        let nearest = known
            .iter()
            .map(String::as_str)
            .chain(OTHER_ENV_VARS.iter().copied())
            .min_by_key(|candidate| strsim::levenshtein(&upper, candidate))
            .unwrap_or("PMSFLOW_CONFIG")
            .to_owned();
        return Err(ConfigError::UnknownEnv {
            name: name.to_owned(),
            nearest,
        });
    }
    Ok(())
}

/// `true` when `host` (a name or an IP address, IPv6 with or without brackets) is loopback:
/// `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The host of an absolute `http://` or `https://` URL and whether it is plain `http`, or
/// `None` when `url` is not one.
fn http_url_host(url: &str) -> Option<(bool, &str)> {
    let url = url.trim();
    let (plain, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
        (true, rest)
    } else {
        (false, strip_prefix_ignore_case(url, "https://")?)
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split_once(']').map(|(h, _)| &h[1..])?
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then_some((plain, host))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| &s[prefix.len()..])
}

/// `PMSFLOW_<SECTION>__<KEY>` variables; other `PMSFLOW_` variables ([`OTHER_ENV_VARS`]) are
/// not settings (unknown ones are refused by [`check_env_names`] first).
fn settings_env() -> Env {
    Env::prefixed("PMSFLOW_")
        .filter(|key| key.as_str().contains("__"))
        .split("__")
}

impl Settings {
    /// Load defaults, then the file (`PMSFLOW_CONFIG` or `./pmsflow.toml`), then `PMSFLOW_` env.
    ///
    /// # Errors
    /// [`ConfigError::UnknownEnv`] for a `PMSFLOW_` variable that is no setting
    /// ([`check_env_names`]); [`ConfigError::Extract`] for a malformed value;
    /// [`ConfigError::Invalid`] from [`Settings::validate`].
    pub fn load() -> Result<Self, ConfigError> {
        check_env_names(std::env::vars_os().map(|(name, _)| name.to_string_lossy().into_owned()))?;
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
        if self.admin.bind.parse::<std::net::SocketAddr>().is_err() {
            return bad("admin.bind", "must be host:port, e.g. 0.0.0.0:9464");
        }
        if !self.portal.public_url.is_empty() && origin_of(&self.portal.public_url).is_none() {
            return bad(
                "portal.public_url",
                "must be scheme://host[:port] with http or https and no path, e.g. https://pms.example.org",
            );
        }
        if self.portal.origins.iter().any(|o| origin_of(o).is_none()) {
            return bad(
                "portal.origins",
                "each must be scheme://host[:port] with http or https and no path",
            );
        }
        if self.admin.shutdown_grace_s == 0 {
            return bad("admin.shutdown_grace_s", "must be at least 1 second");
        }
        if self.api.request_timeout_ms <= self.api.certificate_upload_wait_ms {
            return bad(
                "api.request_timeout_ms",
                "must be above api.certificate_upload_wait_ms",
            );
        }
        if self.api.max_concurrent_requests == 0
            || self.api.db_max_connections == 0
            || self.api.max_body_bytes < 1024
            || self.api.statement_timeout_ms == 0
        {
            return bad(
                "api.max_concurrent_requests",
                "api.max_concurrent_requests, api.db_max_connections and api.statement_timeout_ms must be at least 1, api.max_body_bytes at least 1024",
            );
        }
        if self.auth.mode == AuthMode::Jwks {
            self.validate_jwks()?;
        }
        if self.auth.leeway_s > 300 {
            return bad("auth.leeway_s", "must be at most 300 seconds");
        }
        self.validate_mosip_mode()?;
        if self.auth.mode == AuthMode::Dev && self.auth.dev_secret.len() < 16 {
            return bad("auth.dev_secret", "must be at least 16 characters");
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
        if self.engine.retention_days == 0 {
            return bad("engine.retention_days", "must be at least 1");
        }
        if self.republish.rate_per_s == 0 || self.republish.batch == 0 {
            return bad("republish.rate_per_s", "rate and batch must be at least 1");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format", "must be \"text\" or \"json\"");
        }
        Ok(())
    }

    /// `[auth]` in `jwks` mode: the JWKS URL (https, or http to a loopback host), the issuer
    /// and at least one audience.
    fn validate_jwks(&self) -> Result<(), ConfigError> {
        let bad = |key, reason: String| Err(ConfigError::Invalid { key, reason });
        let a = &self.auth;
        if a.jwks_url.trim().is_empty() {
            return bad(
                "auth.jwks_url",
                "is required when auth.mode = \"jwks\"".into(),
            );
        }
        match http_url_host(&a.jwks_url) {
            None => {
                return bad(
                    "auth.jwks_url",
                    "must be an absolute https:// URL (http:// only to a loopback host)".into(),
                )
            }
            Some((true, host)) if !is_loopback_host(host) => {
                return bad(
                    "auth.jwks_url",
                    format!(
                        "plain http to {host} would let anyone on the path swap the signing keys: use https:// (http:// is allowed to a loopback host only)"
                    ),
                )
            }
            Some(_) => {}
        }
        if a.issuer.trim().is_empty() {
            return bad(
                "auth.issuer",
                "is required when auth.mode = \"jwks\" (the realm URL, e.g. https://iam.example.org/auth/realms/mosip)".into(),
            );
        }
        if a.audience.iter().all(|v| v.trim().is_empty()) {
            return bad(
                "auth.audience",
                "needs at least one value when auth.mode = \"jwks\" (the accepted aud or azp, e.g. [\"mosip-pms-client\"])".into(),
            );
        }
        Ok(())
    }

    /// `mosip.mode` against the `mosip.*_url` settings: all set in `mosip` mode, none in
    /// `sandbox` mode (the sandbox replaces them); the published dev secret only with the
    /// sandbox.
    fn validate_mosip_mode(&self) -> Result<(), ConfigError> {
        let bad = |key, reason: String| Err(ConfigError::Invalid { key, reason });
        match self.mosip.mode {
            MosipMode::Mosip => {
                for (key, v) in self.mosip.urls() {
                    if v.trim().is_empty() {
                        return bad(key, "is required when mosip.mode = \"mosip\"".into());
                    }
                }
                if self.auth.mode == AuthMode::Dev && self.auth.dev_secret == DEFAULT_DEV_SECRET {
                    return bad(
                        "auth.dev_secret",
                        "the published default secret cannot be used with real MOSIP services (mosip.mode = \"mosip\"): set auth.mode = \"jwks\" or a secret of your own".into(),
                    );
                }
            }
            MosipMode::Sandbox => {
                if let Some((key, _)) = self
                    .mosip
                    .urls()
                    .into_iter()
                    .find(|(_, v)| !v.trim().is_empty())
                {
                    return bad(
                        "mosip.mode",
                        format!(
                            "is \"sandbox\" but {key} is set: set mosip.mode = \"mosip\" to use real MOSIP services, or leave {key} empty to run the in-process sandbox"
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Whether `serve` may run with these settings on `api.bind`, and what it must say.
    ///
    /// Development settings (`mosip.mode = "sandbox"`, `auth.mode = "dev"`) are refused on an
    /// `api.bind` that is not loopback (`127.0.0.0/8`, `::1`) unless `dev_flag` (`serve
    /// --dev`) is given.
    ///
    /// # Returns
    /// `Ok(None)` for production settings; `Ok(Some(banner))` when development settings run
    /// (the banner is for stderr, one or more lines starting with `DEVELOPMENT MODE`).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `mosip.mode` (or `auth.mode`) when development
    /// settings would be served on a non-loopback `api.bind` without `dev_flag`.
    pub fn dev_exposure(&self, dev_flag: bool) -> Result<Option<String>, ConfigError> {
        let mut parts = Vec::new();
        if self.mosip.mode == MosipMode::Sandbox {
            parts.push("the in-process MOSIP sandbox (mosip.mode = \"sandbox\")");
        }
        if self.auth.mode == AuthMode::Dev {
            if self.auth.dev_secret == DEFAULT_DEV_SECRET {
                parts.push("dev tokens signed with the PUBLISHED default auth.dev_secret (auth.mode = \"dev\")");
            } else {
                parts.push("dev tokens signed with auth.dev_secret (auth.mode = \"dev\")");
            }
        }
        if parts.is_empty() {
            return Ok(None);
        }
        let bind = self.api.bind.trim();
        let loopback = bind
            .parse::<std::net::SocketAddr>()
            .map(|a| a.ip().is_loopback())
            .unwrap_or_else(|_| {
                is_loopback_host(bind.rsplit_once(':').map_or(bind, |(host, _)| host))
            });
        if !loopback && !dev_flag {
            let key = if self.mosip.mode == MosipMode::Sandbox {
                "mosip.mode"
            } else {
                "auth.mode"
            };
            return Err(ConfigError::Invalid {
                key,
                reason: format!(
                    "{} would be served on api.bind = {bind}, which is not loopback: bind 127.0.0.1, configure real services (mosip.mode = \"mosip\", auth.mode = \"jwks\"), or pass --dev to expose development mode anyway",
                    parts.join(" and ")
                ),
            });
        }
        Ok(Some(format!(
            "DEVELOPMENT MODE: running {} on {bind}{}.\nDEVELOPMENT MODE: fake MOSIP services or locally signed tokens; never expose this to a network you do not control.",
            parts.join(" and "),
            if loopback { "" } else { " (--dev: NOT loopback)" },
        )))
    }
}

/// `value` as an origin, when it is one: an http or https URL with a host and no path (other
/// than `/`), query or fragment.
pub fn origin_of(value: &str) -> Option<url::Origin> {
    let url = url::Url::parse(value).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin())
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

    const REAL_MOSIP: &str = "[mosip]\nmode = \"mosip\"\nkeymanager_url = \"https://km\"\nauthmanager_url = \"https://am\"\ndatashare_url = \"https://ds\"\nwebsub_url = \"https://hub/\"\nnotifier_url = \"https://nt\"\nauditmanager_url = \"https://au\"\nesignet_url = \"https://es\"";

    fn with(toml: &str) -> Result<Settings, ConfigError> {
        Settings::from_figment(
            Figment::new()
                .merge(Toml::string(DEFAULTS))
                .merge(Toml::string(toml)),
        )
    }

    #[test]
    fn the_default_dev_secret_is_refused_with_real_mosip() {
        let err = with(REAL_MOSIP).unwrap_err();
        assert!(err.to_string().contains("auth.dev_secret"), "{err}");
        let ok = with(&format!(
            "{REAL_MOSIP}\n[auth]\ndev_secret = \"a-secret-of-our-own-0123\""
        ))
        .unwrap();
        assert!(!ok.mosip.use_sandbox());
    }

    #[test]
    fn mosip_mode_needs_every_url_and_sandbox_mode_none() {
        let own = "\n[auth]\ndev_secret = \"a-secret-of-our-own-0123\"";
        let err = with(&format!(
            "{}{own}",
            REAL_MOSIP.replace("esignet_url = \"https://es\"", "")
        ))
        .unwrap_err();
        assert!(err.to_string().contains("mosip.esignet_url"), "{err}");
        let err = with("[mosip]\nkeymanager_url = \"https://km\"").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("mosip.mode") && msg.contains("mosip.keymanager_url"),
            "{msg}"
        );
        let err = with("[mosip]\nmode = \"real\"").unwrap_err();
        assert!(err.to_string().contains("mode"), "{err}");
    }

    fn jwks(extra: &str) -> Result<Settings, ConfigError> {
        with(&format!(
            "[auth]\nmode = \"jwks\"\njwks_url = \"https://iam.example.org/certs\"\n{extra}"
        ))
    }

    #[test]
    fn jwks_mode_needs_issuer_audience_and_a_safe_url() {
        let err = jwks("").unwrap_err();
        assert!(err.to_string().contains("auth.issuer"), "{err}");
        let err = jwks("issuer = \"https://iam.example.org/realms/mosip\"").unwrap_err();
        assert!(err.to_string().contains("auth.audience"), "{err}");
        let good = "issuer = \"https://iam.example.org/realms/mosip\"\naudience = [\"pmsflow\"]";
        jwks(good).unwrap();
        for (url, ok) in [
            ("http://iam.example.org/certs", false),
            ("http://10.0.0.1:8080/certs", false),
            ("ftp://iam.example.org/certs", false),
            ("http://127.0.0.1:8080/certs", true),
            ("http://localhost/certs", true),
            ("http://[::1]:9/certs", true),
            ("http://user@127.0.0.1.evil.org/certs", false),
            ("HTTPS://iam.example.org", true),
        ] {
            let r = with(&format!(
                "[auth]\nmode = \"jwks\"\njwks_url = \"{url}\"\n{good}"
            ));
            assert_eq!(r.is_ok(), ok, "{url}: {r:?}");
            if let Err(e) = r {
                assert!(e.to_string().contains("auth.jwks_url"), "{e}");
            }
        }
    }

    #[test]
    fn development_settings_on_a_public_bind_need_dev() {
        let s = Settings::defaults().unwrap();
        let banner = s
            .dev_exposure(false)
            .unwrap()
            .expect("a banner in dev mode");
        assert!(banner.starts_with("DEVELOPMENT MODE"), "{banner}");
        for bind in ["0.0.0.0:8080", "10.1.2.3:80", "[::]:8080"] {
            let s = with(&format!("[api]\nbind = \"{bind}\"")).unwrap();
            let err = s.dev_exposure(false).unwrap_err().to_string();
            assert!(
                err.contains("mosip.mode") && err.contains("--dev") && err.contains(bind),
                "{err}"
            );
            assert!(s.dev_exposure(true).unwrap().is_some());
        }
        for bind in ["127.0.0.1:8080", "127.0.0.2:1", "[::1]:8080"] {
            let s = with(&format!("[api]\nbind = \"{bind}\"")).unwrap();
            assert!(s.dev_exposure(false).unwrap().is_some());
        }
        // Dev auth alone (real MOSIP) is development mode too; jwks + mosip is not.
        let dev_auth = with(&format!(
            "{REAL_MOSIP}\n[auth]\ndev_secret = \"a-secret-of-our-own-0123\"\n[api]\nbind = \"0.0.0.0:8080\""
        ))
        .unwrap();
        assert!(dev_auth
            .dev_exposure(false)
            .unwrap_err()
            .to_string()
            .contains("auth.mode"));
        let prod = with(&format!(
            "{REAL_MOSIP}\n[auth]\nmode = \"jwks\"\njwks_url = \"https://iam/certs\"\nissuer = \"https://iam/realms/mosip\"\naudience = [\"pmsflow\"]\n[api]\nbind = \"0.0.0.0:8080\""
        ))
        .unwrap();
        assert!(prod.dev_exposure(false).unwrap().is_none());
    }

    #[test]
    fn unknown_pmsflow_variables_name_the_nearest_known_one() {
        let err = check_env_names(["PATH", "PMSFLOW_MOSIP_KEYMANAGER_URL"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown environment variable PMSFLOW_MOSIP_KEYMANAGER_URL; did you mean PMSFLOW_MOSIP__KEYMANAGER_URL?"
        );
        let err = check_env_names(["PMSFLOW_MOSIP__KEYMANAGR_URL"]).unwrap_err();
        assert!(
            err.to_string().contains("PMSFLOW_MOSIP__KEYMANAGER_URL"),
            "{err}"
        );
        let err = check_env_names(["PMSFLOW_SHARED_DIRS"]).unwrap_err();
        assert!(
            err.to_string().contains("did you mean PMSFLOW_SHARED_DIR?"),
            "{err}"
        );
        let err = check_env_names(["pmsflow_worker__concurency"]).unwrap_err();
        assert!(
            err.to_string().contains("PMSFLOW_WORKER__CONCURRENCY"),
            "{err}"
        );
        assert!(check_env_names(["PMSFLOW_MOSIP__"]).is_err());
        assert!(check_env_names(["PMSFLOW_ROLES__"]).is_err());
        check_env_names([
            "PMSFLOW_CONFIG",
            "PMSFLOW_SHARED_DIR",
            "PMSFLOW_FAILPOINT_PAUSE_AFTER_CALL",
            "PMSFLOW_CONTRACT_LOG",
            "PMSFLOW_MOSIP__MODE",
            "PMSFLOW_AUTH__AUDIENCE",
            "pmsflow_database__url",
            "PMSFLOW_ROLES__POSTPOLICIES",
            "PMSFLOW_SCHEDULER__SCHEDULES",
            "PMSFLOW_SCHEDULER__SCHEDULES__LICENCE-EXPIRY",
            "OTHER_PMSFLOW_X",
        ])
        .unwrap();
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure returns figment::Error
    fn load_refuses_a_mistyped_variable() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PMSFLOW_LOG_FILTER", "debug");
            let err = Settings::load().expect_err("refused");
            assert!(err.to_string().contains("PMSFLOW_LOG__FILTER"), "{err}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure returns figment::Error
    fn figment_alone_refuses_an_unknown_setting_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PMSFLOW_MOSIP__KEYMANAGR_URL", "https://km");
            let err = Settings::from_figment(
                Figment::new()
                    .merge(Toml::string(DEFAULTS))
                    .merge(settings_env()),
            )
            .unwrap_err();
            assert!(err.to_string().contains("keymanagr_url"), "{err}");
            Ok(())
        });
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

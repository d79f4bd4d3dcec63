//! # pmsflow-sandbox
//!
//! The MOSIP counterpart pmsflow runs against locally and in tests, over real HTTP on one base
//! URL (DESIGN.md §6, contracts in mosip-contracts.md):
//!
//! | service | paths |
//! |---|---|
//! | authmanager | `POST /v1/authmanager/authenticate/clientidsecretkey` |
//! | keymanager | `POST /v1/keymanager/uploadCACertificate`, `…/uploadPartnerCertificate`, `…/uploadOtherDomainCertificate`, `…/verifyCertificateTrust`; `GET …/getPartnerCertificate/{id}`, `…/getPartnerSignedCertificate/{id}` |
//! | datashare | `POST /v1/datashare/create/{policyId}/{subscriberId}`, `GET /v1/datashare/get/{policyId}/{subscriberId}/{key}` |
//! | WebSub hub | `POST /hub`, `POST /hub/` |
//! | notifier | `POST /v1/notifier/email/send` |
//! | auditmanager | `POST /v1/auditmanager/audits` |
//! | eSignet | `POST /v1/esignet/client-mgmt/oidc-client`, `PUT /v1/esignet/client-mgmt/oidc-client/{client_id}`, `GET /v1/esignet/oidc/.well-known/openid-configuration` |
//! | sandbox admin (no token) | `GET /_sandbox/ledger`, `GET/PUT/DELETE /_sandbox/faults`, `GET /_sandbox/websub/publishes`, `/_sandbox/emails`, `/_sandbox/audits`, `/_sandbox/esignet/clients`, `/_sandbox/health` |
//!
//! The keymanager really validates chains with `pmsflow_core::certificate` and really
//! re-signs partner certificates with its own PMS key (a `MOSIP ROOT` → `PMS` RSA-2048 chain
//! generated per sandbox). Every service but authmanager wants a sandbox token (cookie
//! `Authorization=<jwt>` or `Authorization: Bearer <jwt>`), else HTTP 401 `KER-ATH-401`;
//! eSignet's client management reads it from `Authorization: Bearer` only and answers in
//! eSignet's own envelope (see [`EsignetClient`] and the `esignet` module docs).
//!
//! Beyond MOSIP: every effectful endpoint honours an `Idempotency-Key` header (a repeat
//! with the same key replays the stored answer without a new effect), every effect is
//! appended to a ledger ([`LedgerEntry`]), and faults can be injected at run time
//! ([`FaultConfig`]). Roles in the token are not enforced (the sandbox mints every role PMS
//! needs), and WebSub subscriptions/delivery are not implemented.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use axum::Router;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

mod admin;
mod audit;
mod authmanager;
mod datashare;
mod envelope;
mod esignet;
mod faults;
mod gate;
mod keymanager;
mod ledger;
mod notifier;
mod pki;
mod websub;

pub use audit::RecordedAudit;
pub use authmanager::{Claims, RealmAccess, TOKEN_TTL_SECONDS};
pub use datashare::{DatashareObject, TRANSACTIONS_ALLOWED, VALID_FOR_MINUTES};
pub use envelope::mosip_timestamp;
pub use esignet::{
    EsignetClient, ESIGNET_ACR_VALUES, ESIGNET_CLAIMS_SUPPORTED, ESIGNET_CLIENT_AUTH_METHODS,
    ESIGNET_GRANT_TYPES, ESIGNET_MIN_RSA_BITS, ESIGNET_REQUEST_TIME_LEEWAY_MINUTES,
};
pub use faults::{FaultConfig, FaultConfigError, FaultRule, ENDPOINTS, SERVICES};
pub use gate::IDEMPOTENCY_KEY;
pub use keymanager::{OtherDomainCertificate, PartnerCertificateRecord};
pub use ledger::LedgerEntry;
pub use notifier::RecordedEmail;
pub use pmsflow_core::certificate::{Certificate, TrustStore};
pub use websub::RecordedPublish;

/// How the sandbox authenticates PMS and how it names itself.
///
/// Defaults are PMS's stock credentials: client `mosip-pms-client`, secret `sandbox-secret`,
/// app `partner` (`mosip.pmp.auth.*`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxConfig {
    /// Expected `clientId` of `authenticate/clientidsecretkey`.
    pub client_id: String,
    /// Expected `secretKey`.
    pub secret_key: String,
    /// Expected `appId`.
    pub app_id: String,
    /// Base URL written into datashare URLs and the token issuer, e.g.
    /// `http://127.0.0.1:8090`; `None` = `http://<Host header>`.
    pub public_base_url: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            client_id: "mosip-pms-client".to_owned(),
            secret_key: "sandbox-secret".to_owned(),
            app_id: "partner".to_owned(),
            public_base_url: None,
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("client_id", &self.client_id)
            .field("secret_key", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("public_base_url", &self.public_base_url)
            .finish()
    }
}

/// Locks a mutex, recovering from poisoning: the sandbox's stores are plain collections
/// that a panicking handler cannot leave in a state worse than "one call lost".
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Shared state behind every handler.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: SandboxConfig,
    pub(crate) tokens: authmanager::Tokens,
    pub(crate) ca: pki::MosipCa,
    pub(crate) keymanager: Mutex<keymanager::Store>,
    pub(crate) datashare: Mutex<datashare::Store>,
    pub(crate) websub: Mutex<websub::Store>,
    pub(crate) emails: Mutex<Vec<RecordedEmail>>,
    pub(crate) audits: Mutex<Vec<RecordedAudit>>,
    pub(crate) esignet: Mutex<esignet::Store>,
    pub(crate) ledger: ledger::Ledger,
    pub(crate) idempotency: ledger::IdempotencyStore,
    pub(crate) faults: Mutex<FaultConfig>,
    /// `(path, traceparent)` of every request that carried a W3C `traceparent`, in order.
    pub(crate) traceparents: Mutex<Vec<(String, String)>>,
}

impl App {
    /// `public_base_url`, else `http://<Host>` of the request, without a trailing slash.
    pub(crate) fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(base) = &self.config.public_base_url {
            return base.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    }
}

/// The sandbox: cheap to clone (shared state), serves all MOSIP services on one router.
#[derive(Debug, Clone)]
pub struct Sandbox {
    app: Arc<App>,
}

/// A sandbox served on `127.0.0.1:<ephemeral port>` by a tokio task; the task is aborted
/// when the handle is dropped.
#[derive(Debug)]
pub struct SandboxHandle {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    /// The served sandbox (a clone sharing its state), for inspection and fault setting.
    pub sandbox: Sandbox,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sandbox {
    /// Builds a sandbox: generates its `MOSIP ROOT` (self-signed) and `PMS` (issued by the
    /// root) RSA-2048 certificates and a random token secret. Key generation takes a moment
    /// (RSA in pure Rust); call it from a blocking context or use [`Sandbox::spawn`].
    ///
    /// # Errors
    /// Key or certificate generation failure.
    pub fn new(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        let ca = pki::MosipCa::generate(OffsetDateTime::now_utc())?;
        Ok(Sandbox {
            app: Arc::new(App {
                config,
                tokens: authmanager::Tokens::generate(),
                ca,
                keymanager: Mutex::default(),
                datashare: Mutex::default(),
                websub: Mutex::default(),
                emails: Mutex::default(),
                audits: Mutex::default(),
                esignet: Mutex::default(),
                ledger: ledger::Ledger::default(),
                idempotency: ledger::IdempotencyStore::default(),
                faults: Mutex::default(),
                traceparents: Mutex::default(),
            }),
        })
    }

    /// Every service and the admin endpoints on one router (paths in the crate docs).
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/v1/authmanager/authenticate/clientidsecretkey",
                post(authmanager::authenticate),
            )
            .route(
                "/v1/keymanager/uploadCACertificate",
                post(keymanager::upload_ca_certificate),
            )
            .route(
                "/v1/keymanager/uploadPartnerCertificate",
                post(keymanager::upload_partner_certificate),
            )
            .route(
                "/v1/keymanager/uploadOtherDomainCertificate",
                post(keymanager::upload_other_domain_certificate),
            )
            .route(
                "/v1/keymanager/getPartnerCertificate/{partner_cert_id}",
                get(keymanager::get_partner_certificate),
            )
            .route(
                "/v1/keymanager/getPartnerSignedCertificate/{partner_cert_id}",
                get(keymanager::get_partner_signed_certificate),
            )
            .route(
                "/v1/keymanager/verifyCertificateTrust",
                post(keymanager::verify_certificate_trust),
            )
            .route(
                "/v1/datashare/create/{policy_id}/{subscriber_id}",
                post(datashare::create),
            )
            .route(
                "/v1/datashare/get/{policy_id}/{subscriber_id}/{key}",
                get(datashare::get),
            )
            .route("/hub", post(websub::hub))
            .route("/hub/", post(websub::hub))
            .route("/v1/notifier/email/send", post(notifier::send_email))
            .route("/v1/auditmanager/audits", post(audit::add_audit))
            .route(
                "/v1/esignet/client-mgmt/oidc-client",
                post(esignet::create_oidc_client),
            )
            .route(
                "/v1/esignet/client-mgmt/oidc-client/{client_id}",
                put(esignet::update_oidc_client),
            )
            .route(
                "/v1/esignet/oidc/.well-known/openid-configuration",
                get(esignet::openid_configuration),
            )
            .route("/_sandbox/ledger", get(admin::ledger))
            .route(
                "/_sandbox/faults",
                get(admin::get_faults)
                    .put(admin::put_faults)
                    .delete(admin::delete_faults),
            )
            .route("/_sandbox/websub/publishes", get(admin::publishes))
            .route("/_sandbox/emails", get(admin::emails))
            .route("/_sandbox/audits", get(admin::audits))
            .route("/_sandbox/esignet/clients", get(admin::esignet_clients))
            .route("/_sandbox/health", get(admin::health))
            .layer(axum::middleware::from_fn_with_state(
                self.app.clone(),
                record_traceparent,
            ))
            .with_state(self.app.clone())
    }

    /// Serves [`router`](Self::router) on `listener` until the returned future is dropped.
    ///
    /// # Errors
    /// The listener's accept loop failing.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Binds `127.0.0.1:0`, builds a sandbox (with `public_base_url` defaulting to the bound
    /// address) and serves it on a tokio task.
    ///
    /// # Errors
    /// Binding or [`Sandbox::new`] failing.
    pub async fn spawn(mut config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        if config.public_base_url.is_none() {
            config.public_base_url = Some(base_url.clone());
        }
        let sandbox = tokio::task::spawn_blocking(move || Sandbox::new(config)).await??;
        let served = sandbox.clone();
        let task = tokio::spawn(async move {
            if let Err(error) = served.serve(listener).await {
                tracing::error!(%error, "sandbox server stopped");
            }
        });
        Ok(SandboxHandle {
            base_url,
            sandbox,
            task,
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &SandboxConfig {
        &self.app.config
    }

    /// The whole effect ledger, in order.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.app.ledger.entries(None)
    }

    /// The ledger entries of one service (`keymanager`, `datashare`, `websub`, `notifier`,
    /// `audit`, `esignet`).
    pub fn ledger_for(&self, service: &str) -> Vec<LedgerEntry> {
        self.app.ledger.entries(Some(service))
    }

    /// Replaces the fault configuration. Not validated: rates ≥ 1 always fire, ≤ 0 or NaN
    /// never; unknown keys never match (use [`FaultConfig::validate`] to check).
    pub fn set_faults(&self, faults: FaultConfig) {
        *lock(&self.app.faults) = faults;
    }

    /// The fault configuration in force.
    pub fn faults(&self) -> FaultConfig {
        lock(&self.app.faults).clone()
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.set_faults(FaultConfig::default());
    }

    /// Accepted WebSub publishes, in order.
    pub fn websub_publishes(&self) -> Vec<RecordedPublish> {
        lock(&self.app.websub).publishes().to_vec()
    }

    /// Registered WebSub topics, sorted.
    pub fn websub_topics(&self) -> Vec<String> {
        lock(&self.app.websub).topics()
    }

    /// Accepted email requests, in order.
    pub fn emails(&self) -> Vec<RecordedEmail> {
        lock(&self.app.emails).clone()
    }

    /// `(path, traceparent)` of every request that carried a W3C `traceparent`, in order (a
    /// tracing backend would join them to the trace of the request that caused them).
    pub fn traceparents(&self) -> Vec<(String, String)> {
        lock(&self.app.traceparents).clone()
    }

    /// Accepted audit rows, in order.
    pub fn audits(&self) -> Vec<RecordedAudit> {
        lock(&self.app.audits).clone()
    }

    /// OIDC clients registered with eSignet (`esignet.create`), in creation order, as last
    /// updated (`esignet.update`). Also `GET /_sandbox/esignet/clients`.
    pub fn esignet_clients(&self) -> Vec<EsignetClient> {
        lock(&self.app.esignet).clients()
    }

    /// Stored datashare objects, in creation order.
    pub fn datashare_objects(&self) -> Vec<DatashareObject> {
        lock(&self.app.datashare).objects().to_vec()
    }

    /// Partner certificates accepted by `uploadPartnerCertificate`, in order.
    pub fn partner_certificates(&self) -> Vec<PartnerCertificateRecord> {
        lock(&self.app.keymanager).partner_certificates().to_vec()
    }

    /// Certificates uploaded with `uploadOtherDomainCertificate`, in order (expired ones
    /// included).
    pub fn other_domain_certificates(&self) -> Vec<OtherDomainCertificate> {
        lock(&self.app.keymanager)
            .other_domain_certificates()
            .to_vec()
    }

    /// A copy of one partner domain's trust store (`AUTH`, `DEVICE`, `FTM`, `MISP`,
    /// case-insensitive); `None` for an unknown domain or one without uploads.
    pub fn trust_store(&self, partner_domain: &str) -> Option<TrustStore> {
        let domain = keymanager::Domain::parse(partner_domain)?;
        lock(&self.app.keymanager).trust_store(domain).cloned()
    }

    /// The sandbox's self-signed `MOSIP ROOT` certificate.
    pub fn root_certificate(&self) -> Certificate {
        self.app.ca.root().clone()
    }

    /// The sandbox's `PMS` signing certificate (issuer of re-signed partner certificates).
    pub fn pms_certificate(&self) -> Certificate {
        self.app.ca.pms().clone()
    }

    /// Mints a token for the configured client without an HTTP round trip (for tools and
    /// tests); `issuer` becomes the `iss` claim.
    ///
    /// # Errors
    /// JWT encoding failure.
    pub fn mint_token(&self, issuer: &str) -> anyhow::Result<String> {
        Ok(self.app.tokens.mint(
            &self.app.config.client_id,
            issuer,
            OffsetDateTime::now_utc(),
        )?)
    }
}

/// Remember the `traceparent` of a request, as a tracing backend behind MOSIP would see it.
async fn record_traceparent(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(tp) = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
    {
        lock(&app.traceparents).push((req.uri().path().to_owned(), tp.to_owned()));
    }
    next.run(req).await
}

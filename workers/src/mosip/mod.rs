//! HTTP clients for the MOSIP services PMS calls (keymanager, datashare, WebSub hub, notifier,
//! audit manager), authenticated with a cached authmanager service token.
//!
//! The contracts are those of `docs/mosip-contracts.md` (§ references in the item docs). Each
//! service is an object-safe async trait (`Arc<dyn Keymanager>` ...), so the engine can hold
//! real clients or fakes; [`MosipClients::http`] wires the real ones onto one shared
//! `reqwest::Client` and one [`TokenProvider`].
//!
//! Rules every client follows:
//! - **One attempt per call.** No retries inside; a failure is a [`StepFailure`] whose class tells
//!   the engine whether to retry (mapping in [`errors`]: transport → `PMS_KKS_001`, non-2xx →
//!   status class, MOSIP `errors[0]` → its code, `null` payload → `PMS_PRT_500`/`PMS_DTS_001`,
//!   empty body → `PMS_PRT_107`).
//! - **Auth.** The service token goes out as `Cookie: Authorization=<jwt>` and
//!   `Authorization: Bearer <jwt>`. A 401 drops the cached token and fails with retryable
//!   `KER-ATH-401`.
//! - **Idempotency.** Each method takes the step's `effect_key`, sent as `Idempotency-Key`
//!   (MOSIP ignores it; the sandbox honours it). Repeats that MOSIP reports as errors but that
//!   mean "already done" (`KER-PCM-003`, `KER-KMS-035`, hub "already registered") come back `Ok`
//!   with a flag.
//! - **Timeouts** on every call ([`ClientSettings::timeout`]); TLS verification always on.
//! - **No secrets in logs or errors:** tokens and secrets are never logged, bodies are never
//!   logged, and bodies kept in [`StepFailure::response`] are [`redact`]ed.
//!
//! # Layout
//! - [`auth`]: [`TokenProvider`], [`AccessToken`] (§2.1).
//! - [`keymanager`]: CA / partner / other-domain certificate upload, partner certificate read (§2.2).
//! - [`datashare`]: publish the certificate chain (§2.3).
//! - [`esignet`]: create and update OIDC clients (§2.5).
//! - [`websub`]: register a topic, publish an event (§2.4).
//! - [`notifier`]: e-mail (§2.6).
//! - [`audit`]: audit rows (§2.7).
//! - [`errors`]: failure mapping, [`redact`], [`MosipSetupError`], [`codes`].
//! - `http`: the shared transport [`MosipHttp`]; `envelope`: MOSIP envelopes and date format.

pub mod audit;
pub mod auth;
pub mod datashare;
mod envelope;
pub mod errors;
pub mod esignet;
mod http;
pub mod keymanager;
pub mod notifier;
pub mod websub;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

pub use audit::{AuditEvent, AuditManager, HttpAuditManager, PmsAudit};
pub use auth::{AccessToken, TokenProvider};
pub use datashare::{Datashare, DatashareUrl, HttpDatashare};
pub use errors::{codes, redact, MosipSetupError};
pub use esignet::{ClientResponse, Esignet, HttpEsignet};
pub use http::{MosipHttp, IDEMPOTENCY_KEY};
pub use keymanager::{
    CaUploadOutcome, HttpKeymanager, Keymanager, OtherDomainOutcome, PartnerCertificateUpload,
    SignedPartnerCertificate,
};
pub use notifier::{EmailMessage, EmailReceipt, HttpNotifier, Notifier};
pub use pmsflow_core::failure::StepFailure;
pub use websub::{HttpWebSubHub, TopicRegistration, WebSubHub};

/// Where the MOSIP services live (mosip-config `application-default.properties`, §1.1).
///
/// All but `websub_url` are base URLs **without** the context path; the clients append
/// `/v1/authmanager/...`, `/v1/keymanager/...`, `/v1/datashare/...`, `/v1/notifier/...` and
/// `/v1/auditmanager/...`. A trailing slash is tolerated. A path prefix (a gateway) is kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MosipEndpoints {
    /// E.g. `http://authmanager.kernel` (`mosip.kernel.authmanager.url`).
    pub authmanager_url: String,
    /// E.g. `http://keymanager.keymanager` (`mosip.kernel.keymanager.url`).
    pub keymanager_url: String,
    /// E.g. `http://datashare.datashare` (`mosip.datashare.url`).
    pub datashare_url: String,
    /// The hub URL itself, used as given: e.g. `http://websub.websub/hub/` (`websub.publish.url`).
    pub websub_url: String,
    /// E.g. `http://notifier.kernel` (`mosip.kernel.notification.url`).
    pub notifier_url: String,
    /// E.g. `http://auditmanager.kernel` (`mosip.kernel.auditmanager.url`).
    pub auditmanager_url: String,
    /// E.g. `http://esignet.esignet` (`mosip.esignet.service.url`).
    pub esignet_url: String,
}

/// The PMS service account used to get tokens from authmanager (§2.1: `mosip.pmp.auth.*`).
///
/// `Debug` redacts `secret_key`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceCredentials {
    /// Keycloak client id, stock `mosip-pms-client`.
    pub client_id: String,
    /// The client's secret (`mosip.pms.client.secret`). Never logged.
    pub secret_key: String,
    /// Authmanager app id, stock `partner`.
    pub app_id: String,
}

impl ServiceCredentials {
    /// Credentials from their three parts.
    pub fn new(
        client_id: impl Into<String>,
        secret_key: impl Into<String>,
        app_id: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            secret_key: secret_key.into(),
            app_id: app_id.into(),
        }
    }
}

impl fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCredentials")
            .field("client_id", &self.client_id)
            .field("secret_key", &"***")
            .field("app_id", &self.app_id)
            .finish()
    }
}

/// Transport settings shared by all MOSIP clients.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Upper bound of one HTTP exchange, from sending the request to reading the whole answer.
    /// A token fetch is a separate exchange with the same bound, so a call that first has to
    /// refresh the token can take up to twice this. Must be > 0. The connect timeout is
    /// `min(timeout, 10 s)`.
    pub timeout: Duration,
    /// CA certificates trusted in addition to the built-in (webpki) roots (`mosip.ca_file`),
    /// e.g. the private CA of a MOSIP cluster.
    pub extra_roots: Vec<reqwest::Certificate>,
}

impl Default for ClientSettings {
    /// 30 seconds, no extra roots.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            extra_roots: Vec::new(),
        }
    }
}

/// The MOSIP clients the engine's steps use, as trait objects (real or fake).
#[derive(Clone)]
pub struct MosipClients {
    /// Keymanager (§2.2).
    pub keymanager: Arc<dyn Keymanager>,
    /// Datashare (§2.3).
    pub datashare: Arc<dyn Datashare>,
    /// WebSub hub (§2.4).
    pub websub: Arc<dyn WebSubHub>,
    /// Notifier (§2.6).
    pub notifier: Arc<dyn Notifier>,
    /// Audit manager (§2.7).
    pub audit: Arc<dyn AuditManager>,
    /// eSignet client management (§2.5).
    pub esignet: Arc<dyn Esignet>,
}

impl fmt::Debug for MosipClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MosipClients").finish_non_exhaustive()
    }
}

impl MosipClients {
    /// The HTTP clients: one shared `reqwest::Client` (rustls, certificate verification on
    /// against the built-in roots and `settings.extra_roots`, no redirects,
    /// `settings.timeout`, connect timeout ≤ 10 s) and one shared [`TokenProvider`]
    /// authenticating at `endpoints.authmanager_url` with `credentials`.
    ///
    /// # Errors
    /// [`MosipSetupError::InvalidUrl`] if an endpoint is not an absolute http(s) URL,
    /// [`MosipSetupError::ZeroTimeout`], [`MosipSetupError::HttpClient`].
    pub fn http(
        endpoints: &MosipEndpoints,
        credentials: ServiceCredentials,
        settings: ClientSettings,
    ) -> Result<Self, MosipSetupError> {
        let authmanager = http::parse_base_url("authmanager_url", &endpoints.authmanager_url)?;
        let keymanager = http::parse_base_url("keymanager_url", &endpoints.keymanager_url)?;
        let datashare = http::parse_base_url("datashare_url", &endpoints.datashare_url)?;
        let websub = http::parse_base_url("websub_url", &endpoints.websub_url)?;
        let notifier = http::parse_base_url("notifier_url", &endpoints.notifier_url)?;
        let audit = http::parse_base_url("auditmanager_url", &endpoints.auditmanager_url)?;
        let esignet = http::parse_base_url("esignet_url", &endpoints.esignet_url)?;

        let client = MosipHttp::build_client(&settings)?;
        let tokens = Arc::new(TokenProvider::new(
            client.clone(),
            &authmanager,
            credentials,
            settings.timeout,
        ));
        let transport = MosipHttp::new(client, tokens, settings.timeout);
        Ok(Self {
            keymanager: Arc::new(HttpKeymanager::new(transport.clone(), keymanager)),
            datashare: Arc::new(HttpDatashare::new(transport.clone(), datashare)),
            websub: Arc::new(HttpWebSubHub::new(transport.clone(), websub)),
            notifier: Arc::new(HttpNotifier::new(transport.clone(), notifier)),
            audit: Arc::new(HttpAuditManager::new(transport.clone(), audit)),
            esignet: Arc::new(HttpEsignet::new(transport, esignet)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_the_secret() {
        let c = ServiceCredentials::new("mosip-pms-client", "hunter2", "partner");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("mosip-pms-client"));
    }

    #[test]
    fn setup_rejects_bad_urls_and_zero_timeout() {
        let endpoints = MosipEndpoints {
            authmanager_url: "http://authmanager.kernel".into(),
            keymanager_url: "keymanager".into(),
            datashare_url: "http://datashare.datashare".into(),
            websub_url: "http://websub.websub/hub/".into(),
            notifier_url: "http://notifier.kernel".into(),
            auditmanager_url: "http://auditmanager.kernel".into(),
            esignet_url: "http://esignet.esignet".into(),
        };
        let creds = ServiceCredentials::new("c", "s", "a");
        let err =
            MosipClients::http(&endpoints, creds.clone(), ClientSettings::default()).unwrap_err();
        assert!(matches!(
            err,
            MosipSetupError::InvalidUrl {
                name: "keymanager_url",
                ..
            }
        ));
        let endpoints = MosipEndpoints {
            keymanager_url: "http://keymanager.keymanager".into(),
            ..endpoints
        };
        let zero = ClientSettings {
            timeout: Duration::ZERO,
            ..ClientSettings::default()
        };
        assert!(matches!(
            MosipClients::http(&endpoints, creds.clone(), zero),
            Err(MosipSetupError::ZeroTimeout)
        ));
        assert!(MosipClients::http(&endpoints, creds, ClientSettings::default()).is_ok());
    }
}

//! eSignet's side of the OIDC endpoints: its identity and AMR/ACR mapping files and its
//! `claims_supported` (cached), shared by every OIDC handler through [`crate::state::AppState`].

use pmsflow_core::codes;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pmsflow_core::oidc::{self, Mappings};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::error::PmsError;

/// MOSIP's stock identity-mapping.json (mosip-config), used when
/// `mosip.identity_mapping_file` is empty.
pub const STOCK_IDENTITY_MAPPING: &str =
    include_str!("../../../seeds/esignet/identity-mapping.json");
/// MOSIP's stock amr-acr-mapping.json (mosip-config), used when
/// `mosip.amr_acr_mapping_file` is empty.
pub const STOCK_AMR_ACR_MAPPING: &str = include_str!("../../../seeds/esignet/amr-acr-mapping.json");

/// What the OIDC endpoints need from eSignet's side: the two mapping files (read once) and
/// eSignet's `claims_supported` (from `GET {esignet}/v1/esignet/oidc/.well-known/
/// openid-configuration`, cached for `ttl`).
pub struct EsignetDirectory {
    pub(crate) mappings: Mappings,
    discovery_url: String,
    http: reqwest::Client,
    ttl: Duration,
    cache: Mutex<Option<(Instant, Arc<Vec<String>>)>>,
}

impl std::fmt::Debug for EsignetDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsignetDirectory")
            .field("discovery_url", &self.discovery_url)
            .finish_non_exhaustive()
    }
}

/// Why [`EsignetDirectory::new`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// A mapping file does not parse (`PMS-MSD-393` / `PMS-MSD-395`).
    #[error("eSignet mapping file: {0}")]
    Mapping(#[from] oidc::OidcError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

impl EsignetDirectory {
    /// A directory for eSignet at `esignet_url` (base URL, no context path) with the mapping
    /// files' JSON text; `timeout` bounds the discovery call, `ttl` its cache; `extra_roots`
    /// are trusted besides the built-in roots (`mosip.ca_file`).
    ///
    /// # Errors
    /// [`DirectoryError::Mapping`] when a mapping file is not MOSIP's shape.
    pub fn new(
        esignet_url: &str,
        identity_mapping: &str,
        amr_acr_mapping: &str,
        timeout: Duration,
        ttl: Duration,
        extra_roots: &[reqwest::Certificate],
    ) -> Result<Self, DirectoryError> {
        let mut http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none());
        for root in extra_roots {
            http = http.add_root_certificate(root.clone());
        }
        Ok(Self {
            mappings: Mappings::parse(identity_mapping, amr_acr_mapping)?,
            discovery_url: format!(
                "{}/v1/esignet/oidc/.well-known/openid-configuration",
                esignet_url.trim_end_matches('/')
            ),
            http: http.build()?,
            ttl,
            cache: Mutex::new(None),
        })
    }

    /// eSignet's `claims_supported`. A failed fetch is `PMS_KKS_001` ("API not accessible"),
    /// as PMS's `RestUtil` answers; nothing is cached then.
    pub(crate) async fn claims_supported(&self) -> Result<Arc<Vec<String>>, PmsError> {
        let mut cache = self.cache.lock().await;
        if let Some((at, claims)) = cache.as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(claims.clone());
            }
        }
        #[derive(Deserialize)]
        struct Discovery {
            #[serde(default)]
            claims_supported: Vec<String>,
        }
        let unreachable = |e: reqwest::Error| {
            tracing::warn!(error = %e, "eSignet discovery failed");
            PmsError::of(codes::PMS_KKS_001)
        };
        let discovery: Discovery = self
            .http
            .get(&self.discovery_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unreachable)?
            .json()
            .await
            .map_err(unreachable)?;
        let claims = Arc::new(discovery.claims_supported);
        *cache = Some((Instant::now(), claims.clone()));
        Ok(claims)
    }
}

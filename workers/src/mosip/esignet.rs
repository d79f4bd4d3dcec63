//! eSignet client management: create and update OIDC clients (mosip-contracts.md §2.5).
//!
//! eSignet answers business errors with HTTP 200 and `errors[{errorCode, errorMessage}]`; both
//! calls read the body and fail with eSignet's code (PMS 1.2.0.1's update never reads it and
//! takes an error for a success). `unknown_error` is retryable, every other eSignet code
//! (`invalid_*`, `duplicate_public_key`, `unsupported_grant_type`...) permanent.

use async_trait::async_trait;
use pmsflow_core::{
    failure::StepFailure,
    oidc::{EsignetCreateClient, EsignetRequest, EsignetUpdateClient},
};
use reqwest::Url;
use serde::Deserialize;
use time::OffsetDateTime;

use super::envelope::decode_payload;
use super::errors;
use super::http::{join, MosipHttp};

/// eSignet's code for a client id it already holds.
pub const DUPLICATE_CLIENT_ID: &str = "duplicate_client_id";

/// eSignet's answer to a create or update: `response{clientId, status}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientResponse {
    /// The client id.
    #[serde(default)]
    pub client_id: String,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default)]
    pub status: String,
}

/// eSignet's client-management endpoints.
#[async_trait]
pub trait Esignet: Send + Sync {
    /// `POST /v1/esignet/client-mgmt/oidc-client` with `{requestTime, request}` (requestTime =
    /// now, as eSignet allows ±2 min).
    ///
    /// # Errors
    /// `errors[0].errorCode` of the answer (e.g. [`DUPLICATE_CLIENT_ID`], `invalid_redirect_uri`),
    /// `PMS_PRT_500` for a `null` response without errors, and the transport / HTTP mapping of
    /// [`errors`].
    async fn create_client(
        &self,
        client: &EsignetCreateClient,
        effect_key: Option<&str>,
    ) -> Result<ClientResponse, StepFailure>;

    /// `PUT /v1/esignet/client-mgmt/oidc-client/{client_id}` with `{requestTime, request}`.
    ///
    /// # Errors
    /// As [`create_client`](Self::create_client); `invalid_client_id` for an unknown id.
    async fn update_client(
        &self,
        client_id: &str,
        client: &EsignetUpdateClient,
        effect_key: Option<&str>,
    ) -> Result<ClientResponse, StepFailure>;
}

/// [`Esignet`] over HTTP.
#[derive(Debug, Clone)]
pub struct HttpEsignet {
    http: MosipHttp,
    base: Url,
}

impl HttpEsignet {
    /// A client for eSignet at `esignet_url` (without the context path, e.g.
    /// `http://esignet.esignet`: `mosip.esignet.service.url`).
    pub fn new(http: MosipHttp, esignet_url: Url) -> Self {
        Self {
            http,
            base: esignet_url,
        }
    }
}

#[async_trait]
impl Esignet for HttpEsignet {
    async fn create_client(
        &self,
        client: &EsignetCreateClient,
        effect_key: Option<&str>,
    ) -> Result<ClientResponse, StepFailure> {
        let url = join(&self.base, &["v1", "esignet", "client-mgmt", "oidc-client"]);
        let body = EsignetRequest::new(client, OffsetDateTime::now_utc());
        let request = self.http.client().post(url).json(&body);
        let raw = self
            .http
            .send("esignet.create_client", request, effect_key)
            .await?;
        decode_payload(&raw, "response", errors::unable_to_process)
    }

    async fn update_client(
        &self,
        client_id: &str,
        client: &EsignetUpdateClient,
        effect_key: Option<&str>,
    ) -> Result<ClientResponse, StepFailure> {
        if client_id.trim().is_empty() {
            return Err(errors::bad_input("the client id must not be empty"));
        }
        let url = join(
            &self.base,
            &["v1", "esignet", "client-mgmt", "oidc-client", client_id],
        );
        let body = EsignetRequest::new(client, OffsetDateTime::now_utc());
        let request = self.http.client().put(url).json(&body);
        let raw = self
            .http
            .send("esignet.update_client", request, effect_key)
            .await?;
        decode_payload(&raw, "response", errors::unable_to_process)
    }
}

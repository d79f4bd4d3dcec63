//! Datashare: publish the certificate chain as a short-lived URL (mosip-contracts.md §2.3).

use async_trait::async_trait;
use pmsflow_core::failure::StepFailure;
use reqwest::multipart::{Form, Part};
use reqwest::Url;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::envelope::decode_payload;
use super::errors;
use super::http::{join, MosipHttp};

/// The name PMS gives the shared file (`name`, `filename` and the `file` part's filename).
const FILE_NAME: &str = "certsChain";

/// A datashare URL (`dataShare` of the create answer, §2.3: `url`, `validForInMinutes`,
/// `transactionsAllowed`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatashareUrl {
    /// `http://{shareDomain}/v1/datashare/get/{policyId}/{subscriberId}/{key}`. Never empty.
    #[serde(default)]
    pub url: String,
    /// Minutes the URL stays valid (stock policy: 30); `None` if datashare did not say.
    #[serde(
        rename = "validForInMinutes",
        default,
        deserialize_with = "lenient_u32"
    )]
    pub valid_for_minutes: Option<u32>,
    /// How many downloads the URL allows (stock policy: 2); `None` if datashare did not say.
    #[serde(default, deserialize_with = "lenient_u32")]
    pub transactions_allowed: Option<u32>,
}

/// Accepts a number or a numeric string (datashare policies store these as strings).
fn lenient_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Datashare's create endpoint.
#[async_trait]
pub trait Datashare: Send + Sync {
    /// `POST /v1/datashare/create/{policy_id}/{subscriber_id}` (§2.3), `multipart/form-data` with
    /// parts `name=certsChain`, `filename=certsChain` and `file` (filename `certsChain`,
    /// `application/octet-stream`) holding `content` (PMS: the UTF-8 bytes of the URL-safe base64
    /// P7B returned by keymanager).
    ///
    /// Not idempotent: each call stores a new object and returns a new URL. `effect_key` is sent
    /// as `Idempotency-Key`.
    ///
    /// # Errors
    /// `errors[0]` of the answer (`DAT-SER-002/004/005/007` retryable, others permanent);
    /// `PMS_DTS_001` (retryable) when `dataShare` is `null` without errors or has no URL; the
    /// transport/HTTP mapping of [`errors`]. Empty ids fail permanently without a call.
    async fn create(
        &self,
        policy_id: &str,
        subscriber_id: &str,
        content: &[u8],
        effect_key: Option<&str>,
    ) -> Result<DatashareUrl, StepFailure>;
}

/// [`Datashare`] over HTTP.
#[derive(Debug, Clone)]
pub struct HttpDatashare {
    http: MosipHttp,
    base: Url,
}

impl HttpDatashare {
    /// A client for the datashare service at `datashare_url` (without the context path, e.g.
    /// `http://datashare.datashare`).
    pub fn new(http: MosipHttp, datashare_url: Url) -> Self {
        Self {
            http,
            base: datashare_url,
        }
    }
}

#[async_trait]
impl Datashare for HttpDatashare {
    async fn create(
        &self,
        policy_id: &str,
        subscriber_id: &str,
        content: &[u8],
        effect_key: Option<&str>,
    ) -> Result<DatashareUrl, StepFailure> {
        if policy_id.trim().is_empty() || subscriber_id.trim().is_empty() {
            return Err(errors::bad_input(
                "the datashare policy id and subscriber id must not be empty",
            ));
        }
        let file = Part::bytes(content.to_vec())
            .file_name(FILE_NAME)
            .mime_str("application/octet-stream")
            .map_err(|_| errors::bad_input("invalid MIME type for the datashare file"))?;
        let form = Form::new()
            .text("name", FILE_NAME)
            .text("filename", FILE_NAME)
            .part("file", file);
        let url = join(
            &self.base,
            &["v1", "datashare", "create", policy_id, subscriber_id],
        );
        let request = self.http.client().post(url).multipart(form);
        let raw = self
            .http
            .send("datashare.create", request, effect_key)
            .await?;
        let share: DatashareUrl = decode_payload(&raw, "dataShare", errors::datashare_null)?;
        if share.url.trim().is_empty() {
            return Err(errors::datashare_null().with_response(raw.status, raw.redacted_body()));
        }
        Ok(share)
    }
}

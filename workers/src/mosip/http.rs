//! The shared transport of all MOSIP clients: one `reqwest::Client`, one [`TokenProvider`],
//! authentication headers, the idempotency header, the per-call timeout and the mapping of
//! transport/HTTP errors (mosip-contracts.md §1.2).

use std::sync::Arc;
use std::time::{Duration, Instant};

use pmsflow_core::failure::StepFailure;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, COOKIE};
use reqwest::{RequestBuilder, Response, Url};

use super::auth::TokenProvider;
use super::errors::{self, MosipSetupError, RawResponse};
use super::ClientSettings;

/// Header carrying the step's effect key. MOSIP ignores it; pmsflow's sandbox honours it.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Bodies larger than this are not read to the end (MOSIP answers are a few KiB).
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// Upper bound of the TCP/TLS connect timeout (it is never longer than the call timeout).
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The transport shared by the MOSIP clients: cheap to clone (an `Arc` and a reqwest handle).
///
/// Every call made through it gets a fresh-or-cached service token sent both as
/// `Cookie: Authorization=<jwt>` (what MOSIP's kernel auth adapter and the WebSub hub read) and
/// `Authorization: Bearer <jwt>` (what eSignet reads), like PMS's `RestUtil` (§1.2(a)); the
/// effect key as `Idempotency-Key`; and the configured timeout. It never retries: a 401 drops the
/// cached token and fails with a retryable `KER-ATH-401`, and the engine schedules the retry.
#[derive(Clone)]
pub struct MosipHttp {
    client: reqwest::Client,
    tokens: Arc<TokenProvider>,
    timeout: Duration,
}

impl std::fmt::Debug for MosipHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MosipHttp")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl MosipHttp {
    /// Wraps an HTTP client (see [`MosipHttp::build_client`]) and a token provider; `timeout`
    /// bounds each call from sending the request to reading the whole body.
    pub fn new(client: reqwest::Client, tokens: Arc<TokenProvider>, timeout: Duration) -> Self {
        Self {
            client,
            tokens,
            timeout,
        }
    }

    /// Builds the one `reqwest::Client` shared by all MOSIP clients: rustls with certificate
    /// verification on (webpki roots and `settings.extra_roots`), no redirects (a 3xx is
    /// reported, never followed with our token), no cookie store, `settings.timeout` per
    /// request and a connect timeout of at most 10 s.
    ///
    /// # Errors
    /// [`MosipSetupError::ZeroTimeout`] for a zero timeout, [`MosipSetupError::HttpClient`] if
    /// the TLS backend cannot be initialised.
    pub fn build_client(settings: &ClientSettings) -> Result<reqwest::Client, MosipSetupError> {
        if settings.timeout.is_zero() {
            return Err(MosipSetupError::ZeroTimeout);
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(MAX_CONNECT_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("pmsflow/", env!("CARGO_PKG_VERSION")));
        for root in &settings.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        builder.build().map_err(MosipSetupError::HttpClient)
    }

    /// The token provider whose tokens this transport sends.
    pub fn tokens(&self) -> &Arc<TokenProvider> {
        &self.tokens
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` with the service token, the optional idempotency key and the timeout.
    /// Returns the answer only when its status is 2xx; every other outcome is a [`StepFailure`]
    /// (see [`errors`]). `call` names the operation in logs.
    pub(crate) async fn send(
        &self,
        call: &'static str,
        request: RequestBuilder,
        effect_key: Option<&str>,
    ) -> Result<RawResponse, StepFailure> {
        let started = Instant::now();
        let answer = self.send_once(call, request, effect_key).await;
        let (service, operation) = call.split_once('.').unwrap_or((call, ""));
        let outcome = match &answer {
            Ok(_) => "ok",
            Err(f) if f.is_retryable() => "retryable",
            Err(_) => "permanent",
        };
        pmsflow_store::metrics::mosip_call(service, operation, outcome, started.elapsed());
        answer
    }

    async fn send_once(
        &self,
        call: &'static str,
        request: RequestBuilder,
        effect_key: Option<&str>,
    ) -> Result<RawResponse, StepFailure> {
        let effect_key = effect_key
            .map(HeaderValue::from_str)
            .transpose()
            .map_err(|_| errors::bad_input("the effect key is not a valid HTTP header value"))?;
        let token = self.tokens.token().await?;
        let mut request = request
            .header(COOKIE, token.cookie_header())
            .header(AUTHORIZATION, token.bearer_header())
            .timeout(self.timeout);
        if let Some(key) = effect_key {
            request = request.header(IDEMPOTENCY_KEY, key);
        }
        // The trace of the request that created the run, continued with a new parent id.
        if let Some(traceparent) = pmsflow_store::trace::outgoing(rand::random()) {
            request = request.header("traceparent", traceparent);
        }
        let raw = execute(call, request, self.timeout).await?;
        if raw.status == 401 {
            self.tokens.invalidate_if_current(&token).await;
            tracing::warn!(
                call,
                "MOSIP rejected the service token; it was dropped from the cache"
            );
            return Err(errors::unauthorized(&raw));
        }
        if !(200..300).contains(&raw.status) {
            tracing::warn!(
                call,
                status = raw.status,
                "MOSIP answered with an error status"
            );
            return Err(errors::http_status(&raw));
        }
        Ok(raw)
    }
}

/// Sends a request and reads its body, mapping transport failures to `PMS_KKS_001`.
pub(crate) async fn execute(
    call: &'static str,
    request: RequestBuilder,
    timeout: Duration,
) -> Result<RawResponse, StepFailure> {
    let started = Instant::now();
    let response = request.send().await.map_err(|e| {
        tracing::warn!(call, error = %describe(&e), timeout = e.is_timeout(), "MOSIP call failed");
        errors::transport(&e, timeout)
    })?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = read_capped(response).await.map_err(|e| {
        tracing::warn!(call, status, error = %describe(&e), "reading the MOSIP answer failed");
        errors::transport(&e, timeout)
    })?;
    tracing::debug!(
        call,
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "MOSIP call answered"
    );
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

/// A reqwest error and its causes ("error sending request: client error (Connect): tcp connect
/// error: Connection refused ..."), without the URL (query strings could carry data we do not
/// want in logs).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(pos) = text.find(" for url (") {
        text.truncate(pos);
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Reads a body up to [`MAX_BODY_BYTES`]; the rest is dropped (the result is then only used
/// for diagnostics or fails to parse, which maps to `PMS_PRT_107`).
async fn read_capped(mut response: Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY_BYTES {
            break;
        }
    }
    Ok(body)
}

/// Parses a configured base URL: absolute `http`/`https` that can take path segments.
pub(crate) fn parse_base_url(name: &'static str, url: &str) -> Result<Url, MosipSetupError> {
    let parsed = Url::parse(url.trim()).map_err(|e| MosipSetupError::InvalidUrl {
        name,
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(MosipSetupError::InvalidUrl {
            name,
            reason: format!("scheme `{}` is not http or https", parsed.scheme()),
        });
    }
    if parsed.cannot_be_a_base() || parsed.host_str().is_none() {
        return Err(MosipSetupError::InvalidUrl {
            name,
            reason: "not a base URL with a host".to_owned(),
        });
    }
    Ok(parsed)
}

/// `base` + the given path segments, each percent-encoded (a `/` or `?` in an id stays inside
/// its segment). An empty trailing segment of `base` (`http://h/`) is dropped first.
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_encodes_segments_and_tolerates_trailing_slash() {
        let base = parse_base_url("x", "http://keymanager.keymanager/").unwrap();
        assert_eq!(
            join(
                &base,
                &["v1", "keymanager", "getPartnerCertificate", "a/b?c"]
            )
            .as_str(),
            "http://keymanager.keymanager/v1/keymanager/getPartnerCertificate/a%2Fb%3Fc"
        );
        let base = parse_base_url("x", "https://api.example/prefix").unwrap();
        assert_eq!(
            join(&base, &["v1", "x"]).as_str(),
            "https://api.example/prefix/v1/x"
        );
    }

    #[test]
    fn bad_base_urls_are_rejected() {
        assert!(parse_base_url("x", "keymanager").is_err());
        assert!(parse_base_url("x", "ftp://h/").is_err());
        assert!(parse_base_url("x", "mailto:a@b").is_err());
    }
}

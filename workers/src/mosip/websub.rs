//! The WebSub hub: register a topic and publish an event (mosip-contracts.md §2.4).
//!
//! The hub (Ballerina `websubhub`) answers HTTP 200 with a form-encoded body:
//! `hub.mode=accepted`, or `hub.mode=denied&hub.topic=T&hub.reason=...`. Bodies are parsed by key,
//! never by position (§6). The hub reads the token from the `Cookie` header; the Bearer header is
//! sent as well, like every other call.

use async_trait::async_trait;
use pmsflow_core::failure::StepFailure;
use reqwest::Url;

use super::errors::{self, codes, RawResponse};
use super::http::MosipHttp;

/// Outcome of a topic registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicRegistration {
    /// The hub accepted the registration (`hub.mode=accepted`, or HTTP 202).
    Registered,
    /// The hub denied it because the topic exists ("Topic has already registered with the Hub").
    AlreadyRegistered,
}

/// The MOSIP WebSub hub, as a publisher uses it.
#[async_trait]
pub trait WebSubHub: Send + Sync {
    /// `POST {hub}` form `hub.mode=register&hub.topic={topic}` (§2.4). Optional for a publisher
    /// (publish creates missing topics), but PMS does it before every publish.
    ///
    /// # Errors
    /// A denial for any other reason → retryable `KER-WSC-101` with `hub.reason` as message; a
    /// 2xx answer that is neither accepted nor denied → retryable `KER-WSC-101`; the
    /// transport/HTTP mapping of [`errors`]. An empty topic fails permanently.
    async fn register_topic(
        &self,
        topic: &str,
        effect_key: Option<&str>,
    ) -> Result<TopicRegistration, StepFailure>;

    /// `POST {hub}?hub.mode=publish&hub.topic={topic}` with `event` as the JSON body (§2.4; the
    /// EventModel is built by the caller). Success is HTTP 202, or a 2xx with `hub.mode=accepted`.
    /// Not idempotent: a repeat delivers a duplicate (consumers upsert).
    ///
    /// # Errors
    /// A denial → retryable `KER-WSC-103` with `hub.reason` as message; any other 2xx answer →
    /// retryable `KER-WSC-103`; the transport/HTTP mapping of [`errors`].
    /// An empty topic fails permanently.
    async fn publish(
        &self,
        topic: &str,
        event: &serde_json::Value,
        effect_key: Option<&str>,
    ) -> Result<(), StepFailure>;
}

/// [`WebSubHub`] over HTTP.
#[derive(Debug, Clone)]
pub struct HttpWebSubHub {
    http: MosipHttp,
    hub: Url,
}

impl HttpWebSubHub {
    /// A client for the hub at `hub_url`, used as given (e.g. `http://websub.websub/hub/`;
    /// PMS's `websub.publish.url`).
    pub fn new(http: MosipHttp, hub_url: Url) -> Self {
        Self { http, hub: hub_url }
    }
}

/// What the hub's form body says.
#[derive(Debug, PartialEq, Eq)]
enum HubAnswer {
    Accepted,
    Denied(String),
    Unrecognised,
}

fn hub_answer(raw: &RawResponse) -> HubAnswer {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&raw.body) else {
        return HubAnswer::Unrecognised;
    };
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_owned())
    };
    match value("hub.mode").as_deref() {
        Some(mode) if mode.eq_ignore_ascii_case("accepted") => HubAnswer::Accepted,
        Some(mode) if mode.eq_ignore_ascii_case("denied") => {
            HubAnswer::Denied(value("hub.reason").unwrap_or_default())
        }
        _ => HubAnswer::Unrecognised,
    }
}

fn hub_failure(code: &str, answer: HubAnswer, raw: &RawResponse) -> StepFailure {
    let message = match answer {
        HubAnswer::Denied(reason) if !reason.is_empty() => reason,
        HubAnswer::Denied(_) => "The hub denied the request".to_owned(),
        _ => format!("Unexpected answer from the hub (HTTP {})", raw.status),
    };
    StepFailure::retryable(code, message).with_response(raw.status, raw.redacted_body())
}

fn check_topic(topic: &str) -> Result<(), StepFailure> {
    if topic.trim().is_empty() {
        return Err(errors::bad_input("the WebSub topic is empty"));
    }
    Ok(())
}

#[async_trait]
impl WebSubHub for HttpWebSubHub {
    async fn register_topic(
        &self,
        topic: &str,
        effect_key: Option<&str>,
    ) -> Result<TopicRegistration, StepFailure> {
        check_topic(topic)?;
        let request = self
            .http
            .client()
            .post(self.hub.clone())
            .form(&[("hub.mode", "register"), ("hub.topic", topic)]);
        let raw = self
            .http
            .send("websub.register", request, effect_key)
            .await?;
        if raw.status == 202 {
            return Ok(TopicRegistration::Registered);
        }
        match hub_answer(&raw) {
            HubAnswer::Accepted => Ok(TopicRegistration::Registered),
            HubAnswer::Denied(reason)
                if reason.to_ascii_lowercase().contains("already registered") =>
            {
                Ok(TopicRegistration::AlreadyRegistered)
            }
            answer => Err(hub_failure(codes::WEBSUB_REGISTER_FAILED, answer, &raw)),
        }
    }

    async fn publish(
        &self,
        topic: &str,
        event: &serde_json::Value,
        effect_key: Option<&str>,
    ) -> Result<(), StepFailure> {
        check_topic(topic)?;
        let mut url = self.hub.clone();
        url.query_pairs_mut()
            .append_pair("hub.mode", "publish")
            .append_pair("hub.topic", topic);
        let request = self.http.client().post(url).json(event);
        let raw = self
            .http
            .send("websub.publish", request, effect_key)
            .await?;
        if raw.status == 202 {
            return Ok(());
        }
        match hub_answer(&raw) {
            HubAnswer::Accepted => Ok(()),
            answer => Err(hub_failure(codes::WEBSUB_PUBLISH_FAILED, answer, &raw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(body: &str) -> RawResponse {
        RawResponse {
            status: 200,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn answers_are_read_by_key() {
        assert_eq!(hub_answer(&raw("hub.mode=accepted")), HubAnswer::Accepted);
        assert_eq!(
            hub_answer(&raw(
                "hub.topic=T&hub.reason=Topic+has+already+registered+with+the+Hub&hub.mode=denied"
            )),
            HubAnswer::Denied("Topic has already registered with the Hub".into())
        );
        assert_eq!(hub_answer(&raw("")), HubAnswer::Unrecognised);
        assert_eq!(hub_answer(&raw("{\"x\":1}")), HubAnswer::Unrecognised);
    }
}

//! WebSub hub on `POST /hub` and `POST /hub/` (mosip-contracts.md §2.4): topic registration
//! (form body) and publishing (`?hub.mode=publish&hub.topic=T` with a JSON EventModel body).
//! Always HTTP 200 `application/x-www-form-urlencoded`: `hub.mode=accepted`, or
//! `hub.mode=denied&hub.topic=…&hub.reason=…` (form-encoded; parse by key).
//! Subscriptions and delivery are not implemented: `subscribe` is denied with a reason.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::envelope::{self, rfc3339, Reply};
use crate::gate::Outcome;
use crate::{lock, App};

/// One accepted publish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedPublish {
    /// 1-based order of publishes in this sandbox.
    pub seq: u64,
    /// `hub.topic` of the request.
    pub topic: String,
    /// `event.id` of the EventModel.
    pub event_id: String,
    /// The EventModel as received.
    pub body: Value,
    /// When it was accepted, RFC 3339.
    pub published_at: String,
}

/// Registered topics and accepted publishes.
#[derive(Debug, Default)]
pub(crate) struct Store {
    topics: BTreeSet<String>,
    publishes: Vec<RecordedPublish>,
}

impl Store {
    pub(crate) fn topics(&self) -> Vec<String> {
        self.topics.iter().cloned().collect()
    }

    pub(crate) fn publishes(&self) -> &[RecordedPublish] {
        &self.publishes
    }
}

/// The `hub.*` parameters of a form-encoded string.
#[derive(Debug, Default)]
struct HubParams {
    mode: Option<String>,
    topic: Option<String>,
}

fn hub_params(form: &str) -> HubParams {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(form).unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    HubParams {
        mode: get("hub.mode"),
        topic: get("hub.topic"),
    }
}

/// Validates an EventModel: `topic` (string), `event.id` (string), `event.data` (object).
fn event_id(body: &Value) -> Result<String, &'static str> {
    if !body.get("topic").is_some_and(Value::is_string) {
        return Err("Invalid EventModel: topic is missing");
    }
    let event = body
        .get("event")
        .filter(|e| e.is_object())
        .ok_or("Invalid EventModel: event is missing")?;
    if !event.get("data").is_some_and(Value::is_object) {
        return Err("Invalid EventModel: event.data is missing");
    }
    event
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or("Invalid EventModel: event.id is missing")
}

/// `POST /hub` and `POST /hub/`.
pub(crate) async fn hub(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let from_query = hub_params(query.as_deref().unwrap_or(""));
    let params = if from_query.mode.is_some() {
        from_query
    } else {
        hub_params(std::str::from_utf8(&body).unwrap_or(""))
    };
    let topic = params.topic.clone().unwrap_or_default();
    match params.mode.as_deref() {
        Some("register") => {
            let work = async { register(&app, &topic) };
            app.effectful("websub", "register", &topic, &headers, work)
                .await
        }
        Some("unregister") => {
            let work = async { unregister(&app, &topic) };
            app.effectful("websub", "unregister", &topic, &headers, work)
                .await
        }
        Some("publish") => {
            let work = async { publish(&app, &topic, &body) };
            app.effectful("websub", "publish", &topic, &headers, work)
                .await
        }
        Some(other) => envelope::hub_denied(
            &topic,
            &format!("hub.mode '{other}' is not supported by the sandbox hub"),
        ),
        None => envelope::hub_denied(&topic, "hub.mode is missing"),
    }
}

fn register(app: &App, topic: &str) -> Outcome {
    if topic.is_empty() {
        return Outcome::rejected(envelope::hub_denied(topic, "hub.topic is missing"));
    }
    if !lock(&app.websub).topics.insert(topic.to_owned()) {
        return Outcome::rejected(envelope::hub_denied(
            topic,
            "Topic has already registered with the Hub",
        ));
    }
    Outcome::done(
        envelope::hub_accepted(),
        format!("register:{topic}"),
        json!({"topic": topic}),
    )
}

fn unregister(app: &App, topic: &str) -> Outcome {
    if !lock(&app.websub).topics.remove(topic) {
        return Outcome::rejected(envelope::hub_denied(
            topic,
            "Topic has not registered with the Hub",
        ));
    }
    Outcome::done(
        envelope::hub_accepted(),
        format!("unregister:{topic}"),
        json!({"topic": topic}),
    )
}

/// Publish auto-creates a missing topic (`createTopicIFNotExist`).
fn publish(app: &App, topic: &str, body: &[u8]) -> Outcome {
    if topic.is_empty() {
        return Outcome::rejected(envelope::hub_denied(topic, "hub.topic is missing"));
    }
    let Ok(event) = serde_json::from_slice::<Value>(body) else {
        return Outcome::rejected(envelope::hub_denied(topic, "Invalid EventModel: not JSON"));
    };
    let event_id = match event_id(&event) {
        Ok(id) => id,
        Err(reason) => return Outcome::rejected(envelope::hub_denied(topic, reason)),
    };
    let mut store = lock(&app.websub);
    store.topics.insert(topic.to_owned());
    let seq = store.publishes.len() as u64 + 1;
    store.publishes.push(RecordedPublish {
        seq,
        topic: topic.to_owned(),
        event_id: event_id.clone(),
        body: event,
        published_at: rfc3339(OffsetDateTime::now_utc()),
    });
    Outcome::done(
        envelope::hub_accepted(),
        format!("{topic}:{event_id}"),
        json!({"topic": topic, "eventId": event_id, "publishSeq": seq}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_model_validation() {
        let ok = json!({"topic": "T", "event": {"id": "e1", "data": {}}});
        assert_eq!(event_id(&ok), Ok("e1".to_owned()));
        for bad in [
            json!({"event": {"id": "e1", "data": {}}}),
            json!({"topic": "T"}),
            json!({"topic": "T", "event": {"id": "e1"}}),
            json!({"topic": "T", "event": {"data": {}}}),
            json!({"topic": "T", "event": {"id": "", "data": {}}}),
            json!([1, 2]),
        ] {
            assert!(event_id(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hub_params_from_form() {
        let params = hub_params("hub.mode=register&hub.topic=PARTNER_UPDATED");
        assert_eq!(params.mode.as_deref(), Some("register"));
        assert_eq!(params.topic.as_deref(), Some("PARTNER_UPDATED"));
        assert!(hub_params("%%%").mode.is_none());
    }
}

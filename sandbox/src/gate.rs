//! What happens around every handler, in this order: injected faults (latency, 503, HTTP 200
//! errors — before any effect), token check (401), `Idempotency-Key` replay, the handler,
//! then the ledger entry and the stored reply for a successful effect.

use std::future::Future;

use axum::http::HeaderMap;
use serde_json::Value;

use crate::authmanager::token_from_headers;
use crate::envelope::{self, Reply};
use crate::ledger::Stored;
use crate::{faults, lock, App};

/// Header carrying the caller's effect key (pmsflow sends the step's effect key; MOSIP
/// ignores it).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A side effect that happened, for the ledger.
#[derive(Debug, Clone)]
pub(crate) struct Effect {
    /// Key used when the request has no `Idempotency-Key`.
    pub(crate) natural_key: String,
    /// Small summary for the ledger.
    pub(crate) detail: Value,
}

/// A handler's answer, with the effect it performed, if any.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) reply: Reply,
    pub(crate) effect: Option<Effect>,
}

impl Outcome {
    /// An answer without effect (validation failure, business error, nothing to do).
    pub(crate) fn rejected(reply: Reply) -> Outcome {
        Outcome {
            reply,
            effect: None,
        }
    }

    /// A successful answer whose effect has been applied.
    pub(crate) fn done(reply: Reply, natural_key: String, detail: Value) -> Outcome {
        Outcome {
            reply,
            effect: Some(Effect {
                natural_key,
                detail,
            }),
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
}

impl App {
    async fn fault(&self, service: &str, operation: &str, topic: &str) -> Option<Reply> {
        let rule = lock(&self.faults).rule_for(service, operation).cloned();
        faults::apply(rule, service, topic).await
    }

    fn authenticated(&self, headers: &HeaderMap) -> bool {
        token_from_headers(headers).is_some_and(|token| self.tokens.validate(&token).is_some())
    }

    /// An endpoint without token check and without effect (authmanager): faults only.
    pub(crate) async fn public(
        &self,
        service: &str,
        operation: &str,
        work: impl Future<Output = Reply>,
    ) -> Reply {
        if let Some(reply) = self.fault(service, operation, "").await {
            return reply;
        }
        work.await
    }

    /// A read: faults, token check, handler. Never in the ledger.
    pub(crate) async fn read(
        &self,
        service: &str,
        operation: &str,
        headers: &HeaderMap,
        work: impl Future<Output = Reply>,
    ) -> Reply {
        if let Some(reply) = self.fault(service, operation, "").await {
            return reply;
        }
        if !self.authenticated(headers) {
            return envelope::unauthenticated();
        }
        work.await
    }

    /// An effectful call: faults, token check, idempotent replay, handler, ledger.
    /// `topic` only shapes WebSub's injected denials.
    pub(crate) async fn effectful(
        &self,
        service: &str,
        operation: &str,
        topic: &str,
        headers: &HeaderMap,
        work: impl Future<Output = Outcome>,
    ) -> Reply {
        if let Some(reply) = self.fault(service, operation, topic).await {
            return reply;
        }
        if !self.authenticated(headers) {
            return envelope::unauthenticated();
        }
        let Some(key) = idempotency_key(headers) else {
            let outcome = work.await;
            if let Some(effect) = outcome.effect {
                self.ledger.record(
                    service,
                    operation,
                    &effect.natural_key,
                    false,
                    effect.detail,
                );
            }
            return outcome.reply;
        };

        let slot = self
            .idempotency
            .slot(&format!("{service}.{operation}"), &key);
        let mut stored = slot.lock().await;
        if let Some(previous) = stored.as_ref() {
            let mut detail = previous.detail.clone();
            if let Value::Object(map) = &mut detail {
                map.insert("replayOf".to_owned(), Value::from(previous.seq));
            }
            self.ledger.record(service, operation, &key, true, detail);
            return previous.reply.clone();
        }
        let outcome = work.await;
        if let Some(effect) = outcome.effect {
            if outcome.reply.is_success() {
                let seq =
                    self.ledger
                        .record(service, operation, &key, false, effect.detail.clone());
                *stored = Some(Stored {
                    reply: outcome.reply.clone(),
                    seq,
                    detail: effect.detail,
                });
            }
        }
        outcome.reply
    }
}

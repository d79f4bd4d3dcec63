//! What happens around every handler, in this order: injected faults (latency, 503, HTTP 200
//! errors — before any effect), token check (401), `Idempotency-Key` replay, the handler,
//! then the ledger entry and the stored reply for a successful effect.

use std::future::Future;

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;

use crate::authmanager::{bearer_token, token_from_headers};
use crate::envelope::{self, Reply};
use crate::ledger::Stored;
use crate::{faults, lock, App};

/// Header carrying the caller's effect key (pmsflow sends the step's effect key; MOSIP
/// ignores it).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// How an effectful endpoint authenticates its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// The kernel auth adapter: a valid sandbox token from the `Authorization` cookie or a
    /// Bearer header, else HTTP 401 `KER-ATH-401` (roles are not enforced).
    Kernel,
    /// eSignet's Spring resource server (mosip-contracts.md §2.5 "Auth"): a valid sandbox
    /// token in `Authorization: Bearer` only, else HTTP 401 `UNAUTHORIZED`; a token without
    /// this OAuth scope in its `scope` claim: HTTP 403 `FORBIDDEN`.
    BearerScope(&'static str),
}

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
        let rule = lock(&self.faults).take(service, operation);
        faults::apply(rule, service, topic).await
    }

    fn authenticated(&self, headers: &HeaderMap) -> bool {
        token_from_headers(headers).is_some_and(|token| self.tokens.validate(&token).is_some())
    }

    /// `None` when `guard` lets the caller in, else the refusal to answer.
    fn refusal(&self, guard: Guard, headers: &HeaderMap) -> Option<Reply> {
        match guard {
            Guard::Kernel => (!self.authenticated(headers)).then(envelope::unauthenticated),
            Guard::BearerScope(scope) => {
                let Some(claims) = bearer_token(headers).and_then(|t| self.tokens.validate(&t))
                else {
                    return Some(
                        envelope::esignet_errors(
                            StatusCode::UNAUTHORIZED,
                            &[("UNAUTHORIZED".to_owned(), "Unauthorized".to_owned())],
                        )
                        .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")),
                    );
                };
                if claims.scope.split_whitespace().any(|s| s == scope) {
                    None
                } else {
                    Some(envelope::esignet_errors(
                        StatusCode::FORBIDDEN,
                        &[("FORBIDDEN".to_owned(), "Forbidden".to_owned())],
                    ))
                }
            }
        }
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
        self.effectful_guarded(service, operation, topic, Guard::Kernel, headers, work)
            .await
    }

    /// [`effectful`](Self::effectful) with the caller check of `guard`.
    pub(crate) async fn effectful_guarded(
        &self,
        service: &str,
        operation: &str,
        topic: &str,
        guard: Guard,
        headers: &HeaderMap,
        work: impl Future<Output = Outcome>,
    ) -> Reply {
        if let Some(reply) = self.fault(service, operation, topic).await {
            return reply;
        }
        if let Some(refusal) = self.refusal(guard, headers) {
            return refusal;
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

#[cfg(test)]
mod tests {
    use axum::http::header::{AUTHORIZATION, COOKIE};
    use time::OffsetDateTime;

    use super::*;
    use crate::{Sandbox, SandboxConfig};

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::try_from(format!("Bearer {token}")).expect("header");
        headers.insert(AUTHORIZATION, value);
        headers
    }

    #[test]
    fn esignet_guard_wants_a_bearer_token_with_the_scope() {
        let sandbox = Sandbox::new(SandboxConfig::default()).expect("sandbox");
        let app = &sandbox.app;
        let now = OffsetDateTime::now_utc();
        let guard = Guard::BearerScope("add_oidc_client");
        let full = app.tokens.mint("pms", "iss", now).expect("token");
        assert!(app.refusal(guard, &bearer(&full)).is_none());
        assert!(app.refusal(Guard::Kernel, &bearer(&full)).is_none());

        let update_only = app
            .tokens
            .mint_with_scope("pms", "iss", now, "update_oidc_client")
            .expect("token");
        let refused = app.refusal(guard, &bearer(&update_only)).expect("403");
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let body: Value = serde_json::from_slice(&refused.body).expect("json");
        assert_eq!(body["errors"][0]["errorCode"], "FORBIDDEN");
        assert!(app
            .refusal(
                Guard::BearerScope("update_oidc_client"),
                &bearer(&update_only)
            )
            .is_none());

        let mut cookie_only = HeaderMap::new();
        let value = HeaderValue::try_from(format!("Authorization={full}")).expect("header");
        cookie_only.insert(COOKIE, value);
        assert!(app.refusal(Guard::Kernel, &cookie_only).is_none());
        let refused = app.refusal(guard, &cookie_only).expect("401");
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        let body: Value = serde_json::from_slice(&refused.body).expect("json");
        assert_eq!(body["errors"][0]["errorCode"], "UNAUTHORIZED");
        assert_eq!(body["response"], Value::Null);
    }
}

//! The effect ledger (every side effect the sandbox performed, with its key, for
//! exactly-once checks) and the `Idempotency-Key` replay store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::envelope::{rfc3339, Reply};
use crate::lock;

/// One side effect performed by the sandbox, or one idempotent replay of an earlier effect.
///
/// Appended only for successful effectful calls (an upload stored, a datashare object
/// created, a topic registered, an event published, an email queued, an audit row written, an
/// eSignet client created or updated),
/// never for rejected, failed or fault-injected calls, and never for reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// 1-based position in the ledger, gap-free.
    pub seq: u64,
    /// Service name: `keymanager`, `datashare`, `websub`, `notifier`, `audit` or `esignet`.
    pub service: String,
    /// Operation, e.g. `uploadPartnerCertificate`, `create`, `publish`, `sendEmail`, `addAudit`,
    /// `update` (eSignet).
    pub operation: String,
    /// The request's `Idempotency-Key` header when sent, else a natural key of the effect
    /// (e.g. `AUTH:<thumbprint>` for a CA upload, `<partnerId>:<thumbprint>` for a partner
    /// upload, `<topic>:<event.id>` for a publish, the client id for an eSignet create).
    pub effect_key: String,
    /// True when the call was answered from the idempotency store without a new effect.
    pub replay: bool,
    /// When it happened, RFC 3339 UTC.
    pub at: String,
    /// A small summary of the effect (ids, thumbprints, topic…; never tokens or secrets).
    /// A replay carries the original's detail plus `replayOf` = the original `seq`.
    pub detail: Value,
}

/// Append-only, in-memory ledger.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    entries: Mutex<Vec<LedgerEntry>>,
}

impl Ledger {
    /// Appends an entry and returns its `seq`.
    pub(crate) fn record(
        &self,
        service: &str,
        operation: &str,
        effect_key: &str,
        replay: bool,
        detail: Value,
    ) -> u64 {
        let mut entries = lock(&self.entries);
        let seq = entries.len() as u64 + 1;
        entries.push(LedgerEntry {
            seq,
            service: service.to_owned(),
            operation: operation.to_owned(),
            effect_key: effect_key.to_owned(),
            replay,
            at: rfc3339(OffsetDateTime::now_utc()),
            detail,
        });
        seq
    }

    /// All entries, optionally only those of one service.
    pub(crate) fn entries(&self, service: Option<&str>) -> Vec<LedgerEntry> {
        lock(&self.entries)
            .iter()
            .filter(|e| service.is_none_or(|s| e.service == s))
            .cloned()
            .collect()
    }
}

/// A successful answer kept for replay, with the ledger entry of its effect.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) reply: Reply,
    pub(crate) seq: u64,
    pub(crate) detail: Value,
}

/// Per-(endpoint, key) slots. A slot's async mutex is held while the first request with that
/// key runs, so a concurrent duplicate waits and then replays instead of repeating the effect.
pub(crate) type Slot = Arc<tokio::sync::Mutex<Option<Stored>>>;

/// `Idempotency-Key` store: `(endpoint name, key)` → slot.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    slots: Mutex<HashMap<(String, String), Slot>>,
}

impl IdempotencyStore {
    /// The slot for `key` on `endpoint`, created empty on first use.
    pub(crate) fn slot(&self, endpoint: &str, key: &str) -> Slot {
        lock(&self.slots)
            .entry((endpoint.to_owned(), key.to_owned()))
            .or_default()
            .clone()
    }
}

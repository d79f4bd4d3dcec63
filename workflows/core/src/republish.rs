//! Re-publication of partners' events to the WebSub hub: what MOSIP's `pms-migration-utility`
//! does by hand after IDA lost its partner data or a new IDA instance joins (mosip-pms.md §11,
//! mosip-contracts.md §2.4).
//!
//! A re-publication selects partners (one, one partner type, or every partner), snapshots their
//! ids in the run input, and works through them in batches: one step `republish.<n>` per batch,
//! so progress is `done / total` partners and a failed batch is retried alone. For each partner
//! a step replays, in this order and as far as the partner has them:
//! `PARTNER_UPDATED` (its current MOSIP-signed certificate and status),
//! `CA_CERTIFICATE_UPLOADED` (a fresh datashare of that certificate),
//! `APIKEY_APPROVED` (each active API key), `MISP_LICENSE_GENERATED` (each active licence) and
//! `OIDC_CLIENT_CREATED` (each client eSignet holds). IDA's handlers upsert, so a replayed or
//! repeated event does no harm. Publishes go through one rate limiter per worker process
//! (`republish.rate_per_s`).

use serde::{Deserialize, Serialize};

use crate::events;
use crate::workflow::{Budgets, StepSpec};

/// The topics a re-publication can replay, in the order a partner's events go out.
pub const REPLAYABLE_TOPICS: [&str; 5] = [
    events::PARTNER_UPDATED,
    events::CA_CERTIFICATE_UPLOADED,
    events::APIKEY_APPROVED,
    events::MISP_LICENSE_GENERATED,
    events::OIDC_CLIENT_CREATED,
];

/// Who publishes a replayed `topic`: the PMS class that publishes it live.
pub fn publisher_of(topic: &str) -> events::Publisher<'static> {
    match topic {
        events::APIKEY_APPROVED => events::PARTNER_MANAGER,
        events::MISP_LICENSE_GENERATED => events::MISP_SERVICE,
        events::OIDC_CLIENT_CREATED => events::CLIENT_MANAGEMENT,
        _ => events::PARTNER_SERVICE,
    }
}

/// The event id of the `index`-th replay of `partner_id` in step `step_id`: the first 16 bytes
/// of SHA-256(step id, partner id, index) as a version-8 UUID, so a retried step re-sends the
/// same ids and consumers can de-duplicate.
pub fn event_id(step_id: uuid::Uuid, partner_id: &str, index: usize) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(step_id.as_bytes());
    h.update(partner_id.as_bytes());
    h.update(index.to_be_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Step key prefix: `republish.<n>`, `n` from 1.
pub const STEP_PREFIX: &str = "republish.";

/// Which partners to replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "camelCase")]
pub enum Selection {
    /// One partner.
    Partner {
        /// Partner id.
        partner_id: String,
    },
    /// Every partner of a type (`Auth_Partner`...).
    PartnerType {
        /// Partner type code.
        partner_type: String,
    },
    /// Every partner.
    All,
}

/// Why a re-publication request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepublishError {
    /// Not exactly one of `partnerId`, `partnerType`, `all: true`.
    #[error("give exactly one of partnerId, partnerType or all: true")]
    Selection,
    /// A topic outside [`REPLAYABLE_TOPICS`].
    #[error("topic {0} cannot be re-published; replayable: PARTNER_UPDATED, CA_CERTIFICATE_UPLOADED, APIKEY_APPROVED, MISP_LICENSE_GENERATED, OIDC_CLIENT_CREATED")]
    Topic(String),
}

impl Selection {
    /// The selection of a request's three fields; exactly one must be given
    /// ([`RepublishError::Selection`]). Blank strings count as absent.
    pub fn from_request(
        partner_id: Option<&str>,
        partner_type: Option<&str>,
        all: bool,
    ) -> Result<Self, RepublishError> {
        let partner_id = partner_id.map(str::trim).filter(|s| !s.is_empty());
        let partner_type = partner_type.map(str::trim).filter(|s| !s.is_empty());
        match (partner_id, partner_type, all) {
            (Some(id), None, false) => Ok(Self::Partner {
                partner_id: id.to_owned(),
            }),
            (None, Some(t), false) => Ok(Self::PartnerType {
                partner_type: t.to_owned(),
            }),
            (None, None, true) => Ok(Self::All),
            _ => Err(RepublishError::Selection),
        }
    }
}

/// The topics to replay: `requested` de-duplicated in [`REPLAYABLE_TOPICS`] order, or all of
/// them when empty. Errors: [`RepublishError::Topic`] for any other name.
pub fn topics(requested: &[String]) -> Result<Vec<String>, RepublishError> {
    if let Some(bad) = requested
        .iter()
        .find(|t| !REPLAYABLE_TOPICS.contains(&t.as_str()))
    {
        return Err(RepublishError::Topic(bad.clone()));
    }
    Ok(REPLAYABLE_TOPICS
        .iter()
        .filter(|t| requested.is_empty() || requested.iter().any(|r| r == *t))
        .map(|t| (*t).to_owned())
        .collect())
}

/// Input of a [`WorkflowKind::Republish`](crate::workflow::WorkflowKind::Republish) run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepublishInput {
    /// What was asked for.
    pub selection: Selection,
    /// Topics to replay, in [`REPLAYABLE_TOPICS`] order.
    pub topics: Vec<String>,
    /// The selected partner ids, in batches; step `republish.<n>` replays `batches[n - 1]`.
    pub batches: Vec<Vec<String>>,
    /// Number of partners.
    pub total: usize,
}

impl RepublishInput {
    /// Split `partner_ids` into batches of `batch` (≥ 1).
    pub fn new(
        selection: Selection,
        topics: Vec<String>,
        partner_ids: Vec<String>,
        batch: usize,
    ) -> Self {
        let total = partner_ids.len();
        let batches = partner_ids
            .chunks(batch.max(1))
            .map(<[String]>::to_vec)
            .collect();
        Self {
            selection,
            topics,
            batches,
            total,
        }
    }

    /// The partner ids of step `key` (`republish.<n>`), `None` for another key.
    pub fn batch_of(&self, key: &str) -> Option<&[String]> {
        let n: usize = key.strip_prefix(STEP_PREFIX)?.parse().ok()?;
        self.batches.get(n.checked_sub(1)?).map(Vec::as_slice)
    }
}

/// One step per batch, required, `budgets.events` attempts (a hub outage delays the
/// re-publication, it does not kill it).
pub fn republish_steps(input: &RepublishInput, budgets: &Budgets) -> Vec<StepSpec> {
    (1..=input.batches.len())
        .map(|n| StepSpec {
            key: format!("{STEP_PREFIX}{n}"),
            max_attempts: budgets.events,
            required: true,
            backoff: budgets.backoff,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_needs_exactly_one_scope() {
        assert_eq!(
            Selection::from_request(Some("p1"), None, false),
            Ok(Selection::Partner {
                partner_id: "p1".into()
            })
        );
        assert_eq!(
            Selection::from_request(None, Some(" Auth_Partner "), false),
            Ok(Selection::PartnerType {
                partner_type: "Auth_Partner".into()
            })
        );
        assert_eq!(
            Selection::from_request(Some(""), None, true),
            Ok(Selection::All)
        );
        for (id, t, all) in [
            (None, None, false),
            (Some("p"), Some("t"), false),
            (Some("p"), None, true),
        ] {
            assert_eq!(
                Selection::from_request(id, t, all),
                Err(RepublishError::Selection)
            );
        }
    }

    #[test]
    fn topics_keep_the_replay_order_and_refuse_others() {
        assert_eq!(topics(&[]).unwrap().len(), 5);
        assert_eq!(
            topics(&["OIDC_CLIENT_CREATED".into(), "PARTNER_UPDATED".into()]).unwrap(),
            ["PARTNER_UPDATED", "OIDC_CLIENT_CREATED"]
        );
        assert_eq!(
            topics(&["POLICY_UPDATED".into()]),
            Err(RepublishError::Topic("POLICY_UPDATED".into()))
        );
    }

    #[test]
    fn event_ids_are_stable_per_step_partner_and_index() {
        let step = uuid::Uuid::now_v7();
        assert_eq!(event_id(step, "p1", 0), event_id(step, "p1", 0));
        assert_ne!(event_id(step, "p1", 0), event_id(step, "p1", 1));
        assert_ne!(event_id(step, "p1", 0), event_id(step, "p2", 0));
        assert_ne!(
            event_id(step, "p1", 0),
            event_id(uuid::Uuid::now_v7(), "p1", 0)
        );
    }

    #[test]
    fn batches_map_to_step_keys() {
        let ids: Vec<String> = (1..=7).map(|i| format!("p{i}")).collect();
        let input = RepublishInput::new(Selection::All, topics(&[]).unwrap(), ids, 3);
        assert_eq!(input.total, 7);
        let steps = republish_steps(&input, &Budgets::default());
        let keys: Vec<_> = steps.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["republish.1", "republish.2", "republish.3"]);
        assert_eq!(input.batch_of("republish.3").unwrap(), ["p7"]);
        assert_eq!(input.batch_of("republish.0"), None);
        assert_eq!(input.batch_of("republish.4"), None);
        assert_eq!(input.batch_of("audit"), None);
        let empty = RepublishInput::new(Selection::All, vec![], vec![], 3);
        assert!(republish_steps(&empty, &Budgets::default()).is_empty());
    }
}

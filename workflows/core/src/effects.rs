//! The side effects of a PMS state change, as a durable run.
//!
//! PMS 1.2.0.1 publishes WebSub events, sends emails and writes audit records inside the request
//! (mosip-pms.md §13 items 1–2): a hub outage fails the request or loses the event, and an
//! auditmanager outage fails every write. pmsflow writes what is to be published as the input of
//! an **effects run**, in the same transaction as the state change, and workers carry it out:
//! one `websub.publish.<n>:<TOPIC>` step per event (required, retried until the hub takes it),
//! one `notifier.email.<n>` step per email and one `audit.record` step (both best-effort, so a
//! notifier or auditmanager outage never blocks anything).
//!
//! Runs of one ordering key (`partner:<id>`, `policy:<id>`) start in commit order, one at a time
//! (see `pmsflow_store::runs::NewRun::ordering_key`), so a consumer sees a partner's events in the
//! order their changes were committed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::Publisher;
use crate::workflow::{Budgets, StepSpec};

/// Step key prefix of a WebSub publish: `websub.publish.<n>:<TOPIC>`, `n` from 1.
pub const PUBLISH_PREFIX: &str = "websub.publish.";
/// Step key prefix of an email: `notifier.email.<n>`, `n` from 1.
pub const EMAIL_PREFIX: &str = "notifier.email.";
/// Step key of the audit record.
pub const AUDIT_RECORD: &str = "audit.record";

/// One WebSub event to publish (mosip-pms.md §11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicEvent {
    /// Topic, the `EventType` name (`PARTNER_UPDATED`, `APIKEY_APPROVED`...).
    pub topic: String,
    /// `publisher` / `type.name` of the event model (a PMS class simple name).
    pub publisher: String,
    /// `type.namespace` (the class's full name).
    pub namespace: String,
    /// `event.data`.
    pub data: Value,
}

impl TopicEvent {
    /// An event of `topic` published as `publisher`.
    pub fn new(topic: &str, publisher: Publisher<'_>, data: Value) -> Self {
        Self {
            topic: topic.to_owned(),
            publisher: publisher.name.to_owned(),
            namespace: publisher.namespace.to_owned(),
            data,
        }
    }

    /// `MISP_LICENSE_UPDATED` of one licence now `active` or not: `{mispLicenseData}`
    /// ([`events::misp_license_data`](crate::events::misp_license_data)).
    pub fn licence_updated(
        publisher: Publisher<'_>,
        misp_id: &str,
        license_key: &str,
        commence_on: time::OffsetDateTime,
        expires_on: time::OffsetDateTime,
        active: bool,
    ) -> Self {
        Self::new(
            crate::events::MISP_LICENSE_UPDATED,
            publisher,
            crate::events::misp_license_event_data(
                crate::events::misp_license_data(
                    misp_id,
                    license_key,
                    commence_on,
                    expires_on,
                    active,
                ),
                None,
            ),
        )
    }
}

/// One email to send through the notifier (mosip-pms.md §12), already rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    /// Recipients.
    pub to: Vec<String>,
    /// Subject line.
    pub subject: String,
    /// Body.
    pub content: String,
}

/// One auditmanager record (mosip-pms.md §12: the success id `PMS_*_2xx` of the action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    /// `eventId`, e.g. `PMS_PRT_279`.
    pub event_id: String,
    /// `eventName`.
    pub event_name: String,
    /// `description`.
    pub description: String,
    /// `id`: the audited object.
    pub ref_id: String,
    /// `idType`, e.g. `partnerId`, `policyId`.
    pub ref_type: String,
}

impl Audit {
    /// A record of `event_id` / `name` about `ref_id` of kind `ref_type` (e.g. `policyId`).
    pub fn new(
        event_id: &str,
        name: &str,
        description: &str,
        ref_id: &str,
        ref_type: &str,
    ) -> Self {
        Self {
            event_id: event_id.to_owned(),
            event_name: name.to_owned(),
            description: description.to_owned(),
            ref_id: ref_id.to_owned(),
            ref_type: ref_type.to_owned(),
        }
    }

    /// A record about a partner (`idType` `partnerId`).
    pub fn of_partner(event_id: &str, name: &str, description: &str, partner_id: &str) -> Self {
        Self::new(event_id, name, description, partner_id, "partnerId")
    }
}

/// Input of an effects run: what one committed state change has to tell the world.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectsInput {
    /// Events, published in this order.
    #[serde(default)]
    pub events: Vec<TopicEvent>,
    /// Emails.
    #[serde(default)]
    pub emails: Vec<Email>,
    /// Audit record.
    #[serde(default)]
    pub audit: Option<Audit>,
}

impl EffectsInput {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.emails.is_empty() && self.audit.is_none()
    }

    /// Add an event.
    pub fn event(mut self, event: TopicEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Add an email.
    pub fn email(mut self, email: Email) -> Self {
        self.emails.push(email);
        self
    }

    /// Set the audit record.
    pub fn audit(mut self, audit: Audit) -> Self {
        self.audit = Some(audit);
        self
    }
}

/// Where a step of an effects run points in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectStep {
    /// `events[i]` (0-based).
    Publish(usize),
    /// `emails[i]` (0-based).
    Email(usize),
    /// The audit record.
    Audit,
}

impl EffectStep {
    /// Parse a step key written by [`effects_steps`]; `None` for any other key.
    pub fn parse(key: &str) -> Option<Self> {
        if key == AUDIT_RECORD {
            return Some(Self::Audit);
        }
        if let Some(rest) = key.strip_prefix(PUBLISH_PREFIX) {
            let n: usize = rest.split(':').next()?.parse().ok()?;
            return n.checked_sub(1).map(Self::Publish);
        }
        let n: usize = key.strip_prefix(EMAIL_PREFIX)?.parse().ok()?;
        n.checked_sub(1).map(Self::Email)
    }
}

/// Steps of an effects run: publishes (required, `budgets.events` attempts: a hub outage delays
/// them, it does not kill them), then emails and the audit record (best-effort).
pub fn effects_steps(input: &EffectsInput, budgets: &Budgets) -> Vec<StepSpec> {
    let publishes = input.events.iter().enumerate().map(|(i, e)| StepSpec {
        key: format!("{PUBLISH_PREFIX}{}:{}", i + 1, e.topic),
        max_attempts: budgets.events,
        required: true,
        backoff: budgets.backoff,
    });
    let emails = (1..=input.emails.len()).map(|n| StepSpec {
        key: format!("{EMAIL_PREFIX}{n}"),
        max_attempts: budgets.best_effort,
        required: false,
        backoff: budgets.backoff,
    });
    let audit = input.audit.iter().map(|_| StepSpec {
        key: AUDIT_RECORD.to_owned(),
        max_attempts: budgets.best_effort,
        required: false,
        backoff: budgets.backoff,
    });
    publishes.chain(emails).chain(audit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::PARTNER_SERVICE;
    use serde_json::json;

    #[test]
    fn steps_follow_the_input_and_parse_back() {
        let input = EffectsInput::default()
            .event(TopicEvent::new(
                "PARTNER_UPDATED",
                PARTNER_SERVICE,
                json!({}),
            ))
            .event(TopicEvent::new(
                "MISP_LICENSE_UPDATED",
                PARTNER_SERVICE,
                json!({}),
            ))
            .email(Email {
                to: vec!["a@b.org".into()],
                subject: "s".into(),
                content: "c".into(),
            })
            .audit(Audit {
                event_id: "PMS_PRT_289".into(),
                event_name: "n".into(),
                description: "d".into(),
                ref_id: "p".into(),
                ref_type: "partnerId".into(),
            });
        let steps = effects_steps(&input, &Budgets::default());
        let keys: Vec<_> = steps.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "websub.publish.1:PARTNER_UPDATED",
                "websub.publish.2:MISP_LICENSE_UPDATED",
                "notifier.email.1",
                "audit.record"
            ]
        );
        assert!(steps[0].required && !steps[2].required && !steps[3].required);
        let parsed: Vec<_> = keys.iter().map(|k| EffectStep::parse(k)).collect();
        assert_eq!(
            parsed,
            [
                Some(EffectStep::Publish(0)),
                Some(EffectStep::Publish(1)),
                Some(EffectStep::Email(0)),
                Some(EffectStep::Audit)
            ]
        );
        assert_eq!(EffectStep::parse("websub.publish.0:X"), None);
        assert_eq!(EffectStep::parse("audit"), None);
        assert!(EffectsInput::default().is_empty());
    }
}

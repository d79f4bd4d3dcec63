//! Steps of an effects run ([`pmsflow_core::effects`]): publish one event, send one email,
//! record the audit. Each reads its part of the run input; the event id is the step id, so a
//! retried publish carries the same id and consumers can de-duplicate on it.

use pmsflow_core::{
    effects::{EffectStep, EffectsInput},
    events::{self, Publisher},
    failure::StepFailure,
};
use pmsflow_store::engine::Claimed;
use serde_json::json;
use time::OffsetDateTime;

use super::{StepDone, StepSettings};
use crate::mosip::{AuditEvent, EmailMessage, MosipClients, PmsAudit};

fn input(step: &Claimed) -> Result<EffectsInput, StepFailure> {
    serde_json::from_value(step.input.clone())
        .map_err(|e| StepFailure::permanent("PMS_COR_002", format!("run input is not valid: {e}")))
}

fn missing(step: &Claimed) -> StepFailure {
    StepFailure::permanent(
        "PMSFLOW_UNKNOWN_STEP",
        format!("step {} has nothing to do in its run input", step.step_key),
    )
}

/// Run step `step` of an effects run.
pub(super) async fn run(
    step: &Claimed,
    clients: &MosipClients,
    settings: &StepSettings,
) -> Result<StepDone, StepFailure> {
    let which = EffectStep::parse(&step.step_key).ok_or_else(|| missing(step))?;
    let input = input(step)?;
    let effect = Some(step.effect_key.as_str());
    match which {
        EffectStep::Publish(i) => {
            let ev = input.events.get(i).ok_or_else(|| missing(step))?;
            // PMS registers the topic before every publish and ignores the answer; so do we.
            if let Err(e) = clients.websub.register_topic(&ev.topic, None).await {
                tracing::debug!(topic = %ev.topic, error = %e, "topic registration failed (ignored)");
            }
            let model = events::event_model(
                &ev.topic,
                Publisher {
                    name: &ev.publisher,
                    namespace: &ev.namespace,
                },
                step.step_id,
                ev.data.clone(),
                OffsetDateTime::now_utc(),
            );
            clients.websub.publish(&ev.topic, &model, effect).await?;
            Ok(StepDone::output(
                json!({"topic": ev.topic, "eventId": step.step_id}),
            ))
        }
        EffectStep::Email(i) => {
            let mail = input.emails.get(i).ok_or_else(|| missing(step))?;
            let receipt = clients
                .notifier
                .send_email(
                    &EmailMessage {
                        to: mail.to.clone(),
                        cc: Vec::new(),
                        subject: mail.subject.clone(),
                        content: mail.content.clone(),
                    },
                    effect,
                )
                .await?;
            Ok(StepDone::output(json!({"status": receipt.status})))
        }
        EffectStep::Audit => {
            let a = input.audit.as_ref().ok_or_else(|| missing(step))?;
            let event = AuditEvent::pms(PmsAudit {
                event_id: &a.event_id,
                event_name: &a.event_name,
                description: &a.description,
                session_user: &step.created_by,
                ref_id: &a.ref_id,
                ref_type: &a.ref_type,
                host_name: &settings.audit_host_name,
                host_ip: "127.0.0.1",
                now: OffsetDateTime::now_utc(),
            });
            clients.audit.record(&event, effect).await?;
            Ok(StepDone::output(json!({"eventId": a.event_id})))
        }
    }
}

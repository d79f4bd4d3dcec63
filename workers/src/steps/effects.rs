//! Steps of an effects run ([`pmsflow_core::effects`]): publish one event, send one email,
//! record the audit. Each reads its part of the run input; the event id is the step id, so a
//! retried publish carries the same id and consumers can de-duplicate on it.

use pmsflow_core::{
    effects::{EffectStep, EffectsInput, AUDIT_RECORD, EMAIL_PREFIX, PUBLISH_PREFIX},
    events::{self, Publisher},
    failure::StepFailure,
};
use pmsflow_store::engine::Claimed;
use serde_json::json;
use time::OffsetDateTime;

use super::{ErasedStep, Step, StepContext, StepDone, StepKey};
use crate::mosip::{AuditEvent, EmailMessage, PmsAudit};

/// The steps of an effects run.
pub(super) const STEPS: &[&dyn ErasedStep] = &[&Publish, &Email, &AuditRecord];

fn missing(step: &Claimed) -> StepFailure {
    StepFailure::permanent(
        pmsflow_core::codes::PMSFLOW_UNKNOWN_STEP,
        format!("step {} has nothing to do in its run input", step.step_key),
    )
}

/// Where the step's key points in the run input. Permanent `PMSFLOW_UNKNOWN_STEP` for a key
/// [`EffectStep::parse`] does not read.
fn which(step: &Claimed) -> Result<EffectStep, StepFailure> {
    EffectStep::parse(&step.step_key).ok_or_else(|| missing(step))
}

/// `websub.publish.<n>:<TOPIC>`: publish `events[n - 1]` of the run input.
pub(super) struct Publish;

impl Step for Publish {
    const KEY: StepKey = StepKey::Prefix(PUBLISH_PREFIX);
    const LOCAL: bool = false;
    type Input = EffectsInput;

    async fn run(
        &self,
        input: EffectsInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let step = ctx.step;
        let EffectStep::Publish(i) = which(step)? else {
            return Err(missing(step));
        };
        let ev = input.events.get(i).ok_or_else(|| missing(step))?;
        // PMS registers the topic before every publish and ignores the answer; so do we.
        if let Err(e) = ctx.clients.websub.register_topic(&ev.topic, None).await {
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
        ctx.clients
            .websub
            .publish(&ev.topic, &model, ctx.effect_key())
            .await?;
        Ok(StepDone::output(
            json!({"topic": ev.topic, "eventId": step.step_id}),
        ))
    }
}

/// `notifier.email.<n>`: send `emails[n - 1]` of the run input (best-effort).
pub(super) struct Email;

impl Step for Email {
    const KEY: StepKey = StepKey::Prefix(EMAIL_PREFIX);
    const LOCAL: bool = false;
    type Input = EffectsInput;

    async fn run(
        &self,
        input: EffectsInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let step = ctx.step;
        let EffectStep::Email(i) = which(step)? else {
            return Err(missing(step));
        };
        let mail = input.emails.get(i).ok_or_else(|| missing(step))?;
        let receipt = ctx
            .clients
            .notifier
            .send_email(
                &EmailMessage {
                    to: mail.to.clone(),
                    cc: Vec::new(),
                    subject: mail.subject.clone(),
                    content: mail.content.clone(),
                },
                ctx.effect_key(),
            )
            .await?;
        Ok(StepDone::output(json!({"status": receipt.status})))
    }
}

/// `audit.record`: record the run input's `audit` with auditmanager (best-effort).
pub(super) struct AuditRecord;

impl Step for AuditRecord {
    const KEY: StepKey = StepKey::Exact(AUDIT_RECORD);
    const LOCAL: bool = false;
    type Input = EffectsInput;

    async fn run(
        &self,
        input: EffectsInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let step = ctx.step;
        let a = input.audit.as_ref().ok_or_else(|| missing(step))?;
        let event = AuditEvent::pms(PmsAudit {
            event_id: &a.event_id,
            event_name: &a.event_name,
            description: &a.description,
            session_user: &step.created_by,
            ref_id: &a.ref_id,
            ref_type: &a.ref_type,
            host_name: &ctx.settings.audit_host_name,
            host_ip: "127.0.0.1",
            now: OffsetDateTime::now_utc(),
        });
        ctx.clients.audit.record(&event, ctx.effect_key()).await?;
        Ok(StepDone::output(json!({"eventId": a.event_id})))
    }
}

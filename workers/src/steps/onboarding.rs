//! The onboarding steps (DESIGN.md §3, mosip-pms.md §6.3): each is idempotent — it carries the
//! step's effect key to the callee, and treats keymanager's "already there" answers
//! (KER-PCM-003, KER-KMS-035) as done.

use pmsflow_core::{
    certificate::{decode_p7b_base64, Certificate},
    events::{self, PARTNER_SERVICE},
    failure::StepFailure,
    onboarding::{validate_chain, CertificateRunInput, ChainFacts},
    workflow::steps,
};
use pmsflow_store::{engine::Claimed, partners::CertificateRecord};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{DbWrite, StepDone, StepSettings};
use crate::mosip::{AuditEvent, EmailMessage, MosipClients, PartnerCertificateUpload, PmsAudit};

pub(super) struct Ctx<'a> {
    pub(super) step: &'a Claimed,
    pub(super) clients: &'a MosipClients,
    pub(super) settings: &'a StepSettings,
}

impl Ctx<'_> {
    fn input(&self) -> Result<CertificateRunInput, StepFailure> {
        serde_json::from_value(self.step.input.clone()).map_err(|e| {
            StepFailure::permanent("PMS_COR_002", format!("run input is not valid: {e}"))
        })
    }

    fn earlier<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<T, StepFailure> {
        let v = self.step.output_of(key).ok_or_else(|| {
            StepFailure::permanent(
                "PMSFLOW_MISSING_OUTPUT",
                format!("step {key} has no output"),
            )
        })?;
        serde_json::from_value(v.clone()).map_err(|e| {
            StepFailure::permanent("PMSFLOW_MISSING_OUTPUT", format!("output of {key}: {e}"))
        })
    }

    fn effect(&self) -> Option<&str> {
        Some(&self.step.effect_key)
    }
}

/// Output of `keymanager.upload_partner_certificate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Resigned {
    certificate_id: String,
    /// URL-safe base64 P7B `[re-signed leaf, PMS cert, root]` as keymanager returned it.
    signed_certificate_data: String,
    /// The MOSIP-signed leaf, PEM.
    leaf_pem: String,
    #[serde(with = "time::serde::rfc3339")]
    signed_not_after: OffsetDateTime,
}

pub(super) fn validate(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let facts = validate_chain(&input, OffsetDateTime::now_utc())?;
    Ok(StepDone::output(
        serde_json::to_value(facts).unwrap_or(Value::Null),
    ))
}

pub(super) async fn upload_ca(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct CaInput {
        partner_domain: pmsflow_core::partner::PartnerDomain,
        #[serde(default)]
        ca_certificates: Vec<String>,
    }
    let input: CaInput = serde_json::from_value(ctx.step.input.clone()).map_err(|e| {
        StepFailure::permanent("PMS_COR_002", format!("run input is not valid: {e}"))
    })?;
    // Onboarding: the order the local check found (roots first); CA upload: as given.
    let order = match ctx.step.output_of(steps::VALIDATE_CHAIN) {
        Some(_) => {
            ctx.earlier::<ChainFacts>(steps::VALIDATE_CHAIN)?
                .ca_upload_order
        }
        None => input.ca_certificates.clone(),
    };
    let mut uploads = Vec::with_capacity(order.len());
    for (i, pem) in order.iter().enumerate() {
        let key = format!("{}:{i}", ctx.step.effect_key);
        let outcome = ctx
            .clients
            .keymanager
            .upload_ca_certificate(pem, input.partner_domain.as_str(), Some(&key))
            .await?;
        uploads.push(json!({"status": outcome.status, "alreadyPresent": outcome.already_present}));
    }
    Ok(StepDone::output(json!({ "uploads": uploads })))
}

pub(super) async fn upload_partner_certificate(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let signed = ctx
        .clients
        .keymanager
        .upload_partner_certificate(
            &PartnerCertificateUpload {
                partner_id: input.partner_id.clone(),
                certificate_data: input.partner_certificate.clone(),
                organization_name: input.organization_name.clone(),
                partner_type: input.partner_type.clone(),
                partner_domain: input.partner_domain.as_str().to_owned(),
            },
            ctx.effect(),
        )
        .await?;
    let chain = decode_p7b_base64(&signed.signed_certificate_data)
        .map_err(|e| StepFailure::permanent(e.code(), e.message()))?;
    let leaf = chain.first().ok_or_else(|| {
        StepFailure::permanent(
            "PMS_PRT_046",
            "Error occured while extracting the leaf cert.",
        )
    })?;
    let out = Resigned {
        certificate_id: signed.certificate_id,
        signed_certificate_data: signed.signed_certificate_data,
        leaf_pem: leaf.to_pem(),
        signed_not_after: leaf.not_after(),
    };
    Ok(StepDone::output(
        serde_json::to_value(out).unwrap_or(Value::Null),
    ))
}

pub(super) async fn upload_other_domain(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
    let outcome = ctx
        .clients
        .keymanager
        .upload_other_domain_certificate(
            &ctx.settings.other_domain_application_id,
            &input.partner_id,
            &resigned.leaf_pem,
            ctx.effect(),
        )
        .await?;
    Ok(StepDone::output(
        json!({"status": outcome.status, "alreadyPresent": outcome.already_present}),
    ))
}

pub(super) fn activate(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
    let original = Certificate::parse_any(&input.partner_certificate)
        .map_err(|e| StepFailure::permanent(e.code(), e.message()))?;
    let record = CertificateRecord {
        partner_id: input.partner_id.clone(),
        certificate_id: resigned.certificate_id.clone(),
        partner_domain: input.partner_domain.as_str().to_owned(),
        original_pem: original.to_pem(),
        original_thumbprint: original.thumbprint().to_owned(),
        original_issuer: original.issuer_dn().to_owned(),
        original_not_after: original.not_after(),
        signed_pem: resigned.leaf_pem.clone(),
        signed_not_after: resigned.signed_not_after,
        run_id: ctx.step.run_id,
    };
    Ok(StepDone {
        output: json!({"certificateAlias": resigned.certificate_id, "approvalStatus": "approved", "isActive": true}),
        write: Some(DbWrite::ActivatePartner(record)),
    })
}

async fn publish(ctx: &Ctx<'_>, topic: &str, data: Value) -> Result<StepDone, StepFailure> {
    // PMS registers the topic before every publish and ignores the answer; so do we.
    if let Err(e) = ctx.clients.websub.register_topic(topic, None).await {
        tracing::debug!(topic, error = %e, "topic registration failed (ignored, publish creates it)");
    }
    let event = events::event_model(
        topic,
        PARTNER_SERVICE,
        ctx.step.step_id,
        data,
        OffsetDateTime::now_utc(),
    );
    ctx.clients
        .websub
        .publish(topic, &event, ctx.effect())
        .await?;
    Ok(StepDone::output(
        json!({"topic": topic, "eventId": ctx.step.step_id}),
    ))
}

pub(super) async fn publish_partner_updated(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
    let data = events::partner_updated_data(
        &input.partner_id,
        &input.organization_name,
        &resigned.leaf_pem,
        true,
    );
    publish(ctx, events::PARTNER_UPDATED, data).await
}

pub(super) async fn datashare_chain(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
    let share = ctx
        .clients
        .datashare
        .create(
            &ctx.settings.datashare_policy_id,
            &ctx.settings.datashare_subscriber_id,
            resigned.signed_certificate_data.as_bytes(),
            ctx.effect(),
        )
        .await?;
    Ok(StepDone::output(json!({
        "url": share.url,
        "validForInMinutes": share.valid_for_minutes,
        "transactionsAllowed": share.transactions_allowed,
    })))
}

pub(super) async fn publish_ca_uploaded(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let url = ctx
        .step
        .output_of(steps::DATASHARE_CHAIN)
        .and_then(|o| o.get("url"))
        .and_then(Value::as_str)
        .ok_or_else(|| StepFailure::permanent("PMSFLOW_MISSING_OUTPUT", "datashare URL missing"))?
        .to_owned();
    let data = events::ca_certificate_uploaded_data(&url, input.partner_domain.as_str());
    publish(ctx, events::CA_CERTIFICATE_UPLOADED, data).await
}

pub(super) async fn email(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
    let expires = pmsflow_core::envelope::mosip_datetime(resigned.signed_not_after);
    let message = EmailMessage {
        to: vec![input.email.clone()],
        cc: Vec::new(),
        subject: "Partner certificate signed by MOSIP".to_owned(),
        content: format!(
            "Dear Partner, the certificate of partner ID {} has been signed by MOSIP and is \
             active. The MOSIP-signed certificate expires on {expires}; upload a new certificate \
             before then.",
            input.partner_id
        ),
    };
    let receipt = ctx
        .clients
        .notifier
        .send_email(&message, ctx.effect())
        .await?;
    Ok(StepDone::output(json!({"status": receipt.status})))
}

pub(super) async fn audit(ctx: &Ctx<'_>) -> Result<StepDone, StepFailure> {
    let input = ctx.input()?;
    let event = AuditEvent::pms(PmsAudit {
        event_id: "PMS_PRT_203",
        event_name: "POST UPLOADING PARTNER CERT",
        description: "Uploading Partner cert success",
        session_user: &ctx.step.created_by,
        ref_id: &input.partner_id,
        ref_type: "partnerId",
        host_name: &ctx.settings.audit_host_name,
        host_ip: "127.0.0.1",
        now: OffsetDateTime::now_utc(),
    });
    ctx.clients.audit.record(&event, ctx.effect()).await?;
    Ok(StepDone::output(json!({"eventId": "PMS_PRT_203"})))
}

//! The onboarding steps (DESIGN.md §3, mosip-pms.md §6.3): each is idempotent — it carries the
//! step's effect key to the callee, and treats keymanager's "already there" answers
//! (KER-PCM-003, KER-KMS-035) as done. They run the onboarding, certificate upload and CA
//! upload kinds.

use pmsflow_core::{
    certificate::{decode_p7b_base64, Certificate},
    events::{self, PARTNER_SERVICE},
    failure::StepFailure,
    onboarding::{validate_chain, CertificateRunInput, ChainFacts},
    partner::PartnerDomain,
    workflow::steps,
};
use pmsflow_store::{domain_write::DomainWrite, partners::CertificateRecord};
use serde::{de::IgnoredAny, Deserialize, Serialize};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{ErasedStep, Step, StepContext, StepDone, StepKey};
use crate::mosip::{AuditEvent, EmailMessage, PartnerCertificateUpload, PmsAudit};

/// The onboarding steps, in run order.
pub(super) const STEPS: &[&dyn ErasedStep] = &[
    &ValidateChain,
    &UploadCa,
    &UploadPartnerCertificate,
    &UploadOtherDomain,
    &ActivatePartner,
    &PublishPartnerUpdated,
    &DatashareChain,
    &PublishCaCertificateUploaded,
    &EmailPartner,
    &Audit,
];

/// Output of `keymanager.upload_partner_certificate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Resigned {
    pub(super) certificate_id: String,
    /// URL-safe base64 P7B `[re-signed leaf, PMS cert, root]` as keymanager returned it.
    signed_certificate_data: String,
    /// The MOSIP-signed leaf, PEM.
    pub(super) leaf_pem: String,
    #[serde(with = "time::serde::rfc3339")]
    signed_not_after: OffsetDateTime,
}

/// `chain.validate`: parse the request's certificates and check the chain locally (local).
pub(super) struct ValidateChain;

impl Step for ValidateChain {
    const KEY: StepKey = StepKey::Exact(steps::VALIDATE_CHAIN);
    const LOCAL: bool = true;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        _ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let facts = validate_chain(&input, OffsetDateTime::now_utc())?;
        Ok(StepDone::output(
            serde_json::to_value(facts).unwrap_or(Value::Null),
        ))
    }
}

/// Input of [`UploadCa`]: an onboarding's or a CA upload's run input.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CaInput {
    partner_domain: PartnerDomain,
    #[serde(default)]
    ca_certificates: Vec<String>,
}

/// `keymanager.upload_ca`: keymanager `uploadCACertificate` for each CA of the chain.
pub(super) struct UploadCa;

impl Step for UploadCa {
    const KEY: StepKey = StepKey::Exact(steps::UPLOAD_CA);
    const LOCAL: bool = false;
    type Input = CaInput;

    async fn run(&self, input: CaInput, ctx: &StepContext<'_>) -> Result<StepDone, StepFailure> {
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
            uploads
                .push(json!({"status": outcome.status, "alreadyPresent": outcome.already_present}));
        }
        Ok(StepDone::output(json!({ "uploads": uploads })))
    }
}

/// `keymanager.upload_partner_certificate`: keymanager re-signs the partner certificate.
pub(super) struct UploadPartnerCertificate;

impl Step for UploadPartnerCertificate {
    const KEY: StepKey = StepKey::Exact(steps::UPLOAD_PARTNER_CERTIFICATE);
    const LOCAL: bool = false;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
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
                ctx.effect_key(),
            )
            .await?;
        let chain = decode_p7b_base64(&signed.signed_certificate_data)
            .map_err(|e| StepFailure::permanent(e.code(), e.message()))?;
        let leaf = chain.first().ok_or_else(|| {
            StepFailure::permanent(
                pmsflow_core::codes::PMS_PRT_046,
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
}

/// `keymanager.upload_other_domain`: the MOSIP-signed leaf to the other domain (not for FTM).
pub(super) struct UploadOtherDomain;

impl Step for UploadOtherDomain {
    const KEY: StepKey = StepKey::Exact(steps::UPLOAD_OTHER_DOMAIN);
    const LOCAL: bool = false;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
        let outcome = ctx
            .clients
            .keymanager
            .upload_other_domain_certificate(
                &ctx.settings.other_domain_application_id,
                &input.partner_id,
                &resigned.leaf_pem,
                ctx.effect_key(),
            )
            .await?;
        Ok(StepDone::output(
            json!({"status": outcome.status, "alreadyPresent": outcome.already_present}),
        ))
    }
}

/// `partner.activate`: mark the partner approved and active with its re-signed certificate
/// ([`DomainWrite::ActivatePartner`], local).
pub(super) struct ActivatePartner;

impl Step for ActivatePartner {
    const KEY: StepKey = StepKey::Exact(steps::ACTIVATE_PARTNER);
    const LOCAL: bool = true;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
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
        Ok(StepDone::with_write(
            json!({"certificateAlias": resigned.certificate_id, "approvalStatus": "approved", "isActive": true}),
            DomainWrite::ActivatePartner(record),
        ))
    }
}

async fn publish(ctx: &StepContext<'_>, topic: &str, data: Value) -> Result<StepDone, StepFailure> {
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
        .publish(topic, &event, ctx.effect_key())
        .await?;
    Ok(StepDone::output(
        json!({"topic": topic, "eventId": ctx.step.step_id}),
    ))
}

/// `websub.partner_updated`: WebSub `PARTNER_UPDATED` with the MOSIP-signed certificate.
pub(super) struct PublishPartnerUpdated;

impl Step for PublishPartnerUpdated {
    const KEY: StepKey = StepKey::Exact(steps::PUBLISH_PARTNER_UPDATED);
    const LOCAL: bool = false;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
        let data = events::partner_updated_data(
            &input.partner_id,
            &input.organization_name,
            &resigned.leaf_pem,
            true,
        );
        publish(ctx, events::PARTNER_UPDATED, data).await
    }
}

/// `datashare.chain`: datashare `create` with the P7B chain.
pub(super) struct DatashareChain;

impl Step for DatashareChain {
    const KEY: StepKey = StepKey::Exact(steps::DATASHARE_CHAIN);
    const LOCAL: bool = false;
    type Input = IgnoredAny;

    async fn run(
        &self,
        _input: IgnoredAny,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
        let share = ctx
            .clients
            .datashare
            .create(
                &ctx.settings.datashare_policy_id,
                &ctx.settings.datashare_subscriber_id,
                resigned.signed_certificate_data.as_bytes(),
                ctx.effect_key(),
            )
            .await?;
        Ok(StepDone::output(json!({
            "url": share.url,
            "validForInMinutes": share.valid_for_minutes,
            "transactionsAllowed": share.transactions_allowed,
        })))
    }
}

/// `websub.ca_certificate_uploaded`: WebSub `CA_CERTIFICATE_UPLOADED` with the datashare URL.
pub(super) struct PublishCaCertificateUploaded;

impl Step for PublishCaCertificateUploaded {
    const KEY: StepKey = StepKey::Exact(steps::PUBLISH_CA_CERTIFICATE_UPLOADED);
    const LOCAL: bool = false;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let url = ctx
            .step
            .output_of(steps::DATASHARE_CHAIN)
            .and_then(|o| o.get("url"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                StepFailure::permanent(
                    pmsflow_core::codes::PMSFLOW_MISSING_OUTPUT,
                    "datashare URL missing",
                )
            })?
            .to_owned();
        let data = events::ca_certificate_uploaded_data(&url, input.partner_domain.as_str());
        publish(ctx, events::CA_CERTIFICATE_UPLOADED, data).await
    }
}

/// `notifier.email`: tell the partner its certificate is signed (best-effort).
pub(super) struct EmailPartner;

impl Step for EmailPartner {
    const KEY: StepKey = StepKey::Exact(steps::EMAIL_PARTNER);
    const LOCAL: bool = false;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
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
            .send_email(&message, ctx.effect_key())
            .await?;
        Ok(StepDone::output(json!({"status": receipt.status})))
    }
}

/// `audit`: auditmanager record `PMS_PRT_203` (best-effort).
pub(super) struct Audit;

impl Step for Audit {
    const KEY: StepKey = StepKey::Exact(steps::AUDIT);
    const LOCAL: bool = false;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
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
        ctx.clients.audit.record(&event, ctx.effect_key()).await?;
        Ok(StepDone::output(json!({"eventId": "PMS_PRT_203"})))
    }
}

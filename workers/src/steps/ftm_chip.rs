//! The steps of an FTM chip's certificate upload (`ftm_chip_certificate` runs): keymanager
//! re-signs the chip's certificate in the FTM domain, with the chip id as partner id (PMS
//! 1.2.0.1 `FTPChipDetailServiceImpl#uploadCertificate`), the chip records it and waits for
//! approval, and the signed certificate goes to datashare and out as WebSub
//! `CA_CERTIFICATE_UPLOADED` (`FTPChipDetailServiceImpl#notify`), by the onboarding's steps.

use pmsflow_core::{failure::StepFailure, onboarding::CertificateRunInput, workflow::steps};
use pmsflow_store::{devices::ChipCertificate, domain_write::DomainWrite};
use serde_json::json;

use super::onboarding::{
    DatashareChain, PublishCaCertificateUploaded, Resigned, UploadPartnerCertificate,
};
use super::{ErasedStep, Step, StepContext, StepDone, StepKey};

/// The steps, in run order.
pub(super) const STEPS: &[&dyn ErasedStep] = &[
    &UploadPartnerCertificate,
    &RecordChip,
    &DatashareChain,
    &PublishCaCertificateUploaded,
];

/// `ftm_chip.record`: the chip's certificate id and MOSIP-signed certificate on the chip,
/// which then waits for approval ([`DomainWrite::FtmChipCertificate`], local).
pub(super) struct RecordChip;

impl Step for RecordChip {
    const KEY: StepKey = StepKey::Exact(steps::RECORD_FTM_CHIP);
    const LOCAL: bool = true;
    type Input = CertificateRunInput;

    async fn run(
        &self,
        input: CertificateRunInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let resigned: Resigned = ctx.earlier(steps::UPLOAD_PARTNER_CERTIFICATE)?;
        Ok(StepDone::with_write(
            json!({"certificateAlias": resigned.certificate_id, "approvalStatus": "pending_approval"}),
            DomainWrite::FtmChipCertificate(ChipCertificate {
                chip_id: input.partner_id,
                certificate_alias: resigned.certificate_id,
                certificate_pem: resigned.leaf_pem,
            }),
        ))
    }
}

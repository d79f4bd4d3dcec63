//! Workflow definitions: kinds, versions and their named steps.
//!
//! A run keeps the definition version it started with; its steps are written as rows when the
//! run is created, so later deployments that change a definition never re-interpret a running
//! run. Step keys are stable names, never positions (DESIGN.md §2).

use serde::{Deserialize, Serialize};

use crate::partner::PartnerDomain;
use crate::retry::Backoff;

/// The kinds of durable workflows pmsflow runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowKind {
    /// Partner onboarding (native `POST /v1/onboardings`): CA chain, re-sign, events, email, audit.
    Onboarding,
    /// The certificate part alone (PMS `POST /partners/certificate/upload`, re-upload/renewal).
    CertificateUpload,
    /// Upload of CA / intermediate certificates (PMS `POST /partners/certificate/ca/upload`).
    CaUpload,
    /// WebSub events, emails and audit of one committed PMS state change
    /// ([`effects`](crate::effects)).
    Effects,
    /// One fire of a scheduled sweep ([`schedule`](crate::schedule)): its single step
    /// `sweep.<schedule>` works through the expired rows in batches.
    Sweep,
    /// Registration or update of an eSignet OIDC client (PMS `POST` / `PUT /oidc/client`,
    /// [`oidc`](crate::oidc)): the eSignet call, the local record, then its events and audit.
    OidcClient,
    /// A re-publication of partners' events to the hub ([`republish`](crate::republish)).
    Republish,
    /// An operator's bulk retry or cancel over many runs ([`operator`](crate::operator)): its
    /// single step `bulk.apply` works through the selected runs in batches.
    BulkAction,
    /// The certificate of an FTM chip (PMS `POST /ftpchipdetail/uploadcertificate`): keymanager
    /// re-signs it in the FTM domain, then the chip records it.
    FtmChipCertificate,
    /// Synthetic database-only workflow used by `pmsflow bench engine`.
    Synthetic,
}

impl WorkflowKind {
    /// Stable name stored in `workflow_run.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Onboarding => "onboarding",
            Self::CertificateUpload => "certificate_upload",
            Self::CaUpload => "ca_upload",
            Self::Effects => "effects",
            Self::Sweep => "sweep",
            Self::OidcClient => "oidc_client",
            Self::Republish => "republish",
            Self::BulkAction => "bulk_action",
            Self::FtmChipCertificate => "ftm_chip_certificate",
            Self::Synthetic => "synthetic",
        }
    }

    /// Inverse of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "onboarding" => Some(Self::Onboarding),
            "certificate_upload" => Some(Self::CertificateUpload),
            "ca_upload" => Some(Self::CaUpload),
            "effects" => Some(Self::Effects),
            "sweep" => Some(Self::Sweep),
            "oidc_client" => Some(Self::OidcClient),
            "republish" => Some(Self::Republish),
            "bulk_action" => Some(Self::BulkAction),
            "ftm_chip_certificate" => Some(Self::FtmChipCertificate),
            "synthetic" => Some(Self::Synthetic),
            _ => None,
        }
    }

    /// Current definition version of this kind.
    pub fn version(self) -> i32 {
        1
    }
}

/// Stable step keys.
pub mod steps {
    /// Parse the request's certificates and check the chain locally (no side effect).
    pub const VALIDATE_CHAIN: &str = "chain.validate";
    /// keymanager `uploadCACertificate` for each CA of the chain, root first.
    pub const UPLOAD_CA: &str = "keymanager.upload_ca";
    /// keymanager `uploadPartnerCertificate` (MOSIP re-signs the partner key).
    pub const UPLOAD_PARTNER_CERTIFICATE: &str = "keymanager.upload_partner_certificate";
    /// keymanager `uploadOtherDomainCertificate` (not for FTM).
    pub const UPLOAD_OTHER_DOMAIN: &str = "keymanager.upload_other_domain";
    /// Record an FTM chip's MOSIP-signed certificate on the chip (local).
    pub const RECORD_FTM_CHIP: &str = "ftm_chip.record";
    /// Mark the partner approved and active, record the certificate (database only).
    pub const ACTIVATE_PARTNER: &str = "partner.activate";
    /// WebSub `PARTNER_UPDATED`.
    pub const PUBLISH_PARTNER_UPDATED: &str = "websub.partner_updated";
    /// datashare `create` with the P7B chain.
    pub const DATASHARE_CHAIN: &str = "datashare.chain";
    /// WebSub `CA_CERTIFICATE_UPLOADED`.
    pub const PUBLISH_CA_CERTIFICATE_UPLOADED: &str = "websub.ca_certificate_uploaded";
    /// notifier email to the partner.
    pub const EMAIL_PARTNER: &str = "notifier.email";
    /// auditmanager record.
    pub const AUDIT: &str = "audit";
    /// eSignet `POST /client-mgmt/oidc-client` (a `duplicate_client_id` is reconciled).
    pub const ESIGNET_CREATE_CLIENT: &str = "esignet.create_client";
    /// eSignet `PUT /client-mgmt/oidc-client/{clientId}`.
    pub const ESIGNET_UPDATE_CLIENT: &str = "esignet.update_client";
    /// Mark the reserved client `ACTIVE` (database only).
    pub const ACTIVATE_CLIENT: &str = "oidc.activate";
    /// Store the client's update (database only).
    pub const APPLY_CLIENT_UPDATE: &str = "oidc.apply_update";
    /// The single step of a bulk action: apply it to the selected runs, batch by batch.
    pub const BULK_APPLY: &str = "bulk.apply";
    /// Prefix of the synthetic benchmark steps (`synthetic.1` ...).
    pub const SYNTHETIC_PREFIX: &str = "synthetic.";
}

/// One step of a definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSpec {
    /// Stable key, unique within the run.
    pub key: String,
    /// Attempt budget, including the first attempt.
    pub max_attempts: u32,
    /// `false` for steps whose failure must not fail the run (email, audit).
    pub required: bool,
    /// Backoff between attempts.
    pub backoff: Backoff,
}

impl StepSpec {
    fn required(key: &str, max_attempts: u32) -> Self {
        Self {
            key: key.to_owned(),
            max_attempts,
            required: true,
            backoff: Backoff::default(),
        }
    }

    fn best_effort(key: &str, max_attempts: u32) -> Self {
        Self {
            required: false,
            ..Self::required(key, max_attempts)
        }
    }

    /// Replace the backoff (tests and benchmarks use short delays).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

/// Attempt budgets for external calls and for best-effort steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budgets {
    /// Attempts of a step that calls keymanager, datashare or the hub.
    pub external: u32,
    /// Attempts of email and audit.
    pub best_effort: u32,
    /// Attempts of a WebSub publish of an effects run: enough to ride out a hub outage of hours
    /// with the backoff's cap.
    pub events: u32,
    /// Backoff used for every step.
    pub backoff: Backoff,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            external: 10,
            best_effort: 5,
            events: 40,
            backoff: Backoff::default(),
        }
    }
}

/// Steps of an onboarding (DESIGN.md §3): validate, CA upload, re-sign, other-domain upload
/// (skipped for FTM, as PMS does), activate, `PARTNER_UPDATED`, datashare,
/// `CA_CERTIFICATE_UPLOADED`, email, audit.
pub fn onboarding_steps(domain: PartnerDomain, budgets: &Budgets) -> Vec<StepSpec> {
    let mut v = certificate_upload_steps(domain, budgets);
    v.insert(
        1,
        StepSpec::required(steps::UPLOAD_CA, budgets.external).with_backoff(budgets.backoff),
    );
    v
}

/// Steps of an FTM chip's certificate upload: keymanager's re-signing in the FTM domain (the
/// chip id as partner id), the chip's record of it, then, as 1.2.0.1's
/// `FTPChipDetailServiceImpl#notify` does, the signed certificate on datashare and WebSub
/// `CA_CERTIFICATE_UPLOADED` with its URL and the request's partner domain.
pub fn ftm_chip_certificate_steps(budgets: &Budgets) -> Vec<StepSpec> {
    vec![
        StepSpec::required(steps::UPLOAD_PARTNER_CERTIFICATE, budgets.external)
            .with_backoff(budgets.backoff),
        StepSpec::required(steps::RECORD_FTM_CHIP, 3),
        StepSpec::required(steps::DATASHARE_CHAIN, budgets.external).with_backoff(budgets.backoff),
        StepSpec::required(steps::PUBLISH_CA_CERTIFICATE_UPLOADED, budgets.external)
            .with_backoff(budgets.backoff),
    ]
}

/// Steps of a certificate upload: onboarding without the CA upload (the CA chain was uploaded
/// earlier through `POST /partners/certificate/ca/upload`); the local check then covers every
/// rule but the path, which keymanager checks against its stored trust.
pub fn certificate_upload_steps(domain: PartnerDomain, budgets: &Budgets) -> Vec<StepSpec> {
    let mut v = vec![
        StepSpec::required(steps::VALIDATE_CHAIN, 3),
        StepSpec::required(steps::UPLOAD_PARTNER_CERTIFICATE, budgets.external),
    ];
    if domain != PartnerDomain::Ftm {
        v.push(StepSpec::required(
            steps::UPLOAD_OTHER_DOMAIN,
            budgets.external,
        ));
    }
    v.extend([
        StepSpec::required(steps::ACTIVATE_PARTNER, budgets.external),
        StepSpec::required(steps::PUBLISH_PARTNER_UPDATED, budgets.external),
        StepSpec::required(steps::DATASHARE_CHAIN, budgets.external),
        StepSpec::required(steps::PUBLISH_CA_CERTIFICATE_UPLOADED, budgets.external),
        StepSpec::best_effort(steps::EMAIL_PARTNER, budgets.best_effort),
        StepSpec::best_effort(steps::AUDIT, budgets.best_effort),
    ]);
    v.into_iter()
        .map(|s| s.with_backoff(budgets.backoff))
        .collect()
}

/// `n` synthetic database-only steps `synthetic.1` ... `synthetic.n`.
pub fn synthetic_steps(n: u32) -> Vec<StepSpec> {
    (1..=n)
        .map(|i| StepSpec::required(&format!("{}{i}", steps::SYNTHETIC_PREFIX), 3))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onboarding_has_named_steps_and_ftm_skips_other_domain() {
        let b = Budgets::default();
        let auth: Vec<_> = onboarding_steps(PartnerDomain::Auth, &b)
            .into_iter()
            .map(|s| s.key)
            .collect();
        assert_eq!(
            auth.first().map(String::as_str),
            Some(steps::VALIDATE_CHAIN)
        );
        assert!(auth.iter().any(|k| k == steps::UPLOAD_OTHER_DOMAIN));
        assert_eq!(auth.last().map(String::as_str), Some(steps::AUDIT));
        let ftm = onboarding_steps(PartnerDomain::Ftm, &b);
        assert!(!ftm.iter().any(|s| s.key == steps::UPLOAD_OTHER_DOMAIN));
        assert!(ftm.iter().filter(|s| !s.required).count() == 2);
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            WorkflowKind::Onboarding,
            WorkflowKind::CertificateUpload,
            WorkflowKind::CaUpload,
            WorkflowKind::Effects,
            WorkflowKind::Sweep,
            WorkflowKind::OidcClient,
            WorkflowKind::Republish,
            WorkflowKind::FtmChipCertificate,
            WorkflowKind::Synthetic,
        ] {
            assert_eq!(WorkflowKind::parse(k.as_str()), Some(k));
        }
    }
}

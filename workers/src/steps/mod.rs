//! Step executors: what each named step does.
//!
//! An executor gets the claimed step (run input, outputs of earlier steps, effect key) and
//! returns either a success — an output to store and, for steps whose work is a database
//! change, the change to make in the completing transaction — or a classified
//! [`StepFailure`]. Executors never open a transaction across a network call.

mod bulk;
mod effects;
mod oidc;
mod onboarding;
mod republish;
mod sweep;
mod synthetic;

pub use republish::RepublishContext;
pub use sweep::SweepContext;

use std::sync::Arc;

use pmsflow_core::{
    failure::StepFailure,
    workflow::{steps, WorkflowKind},
};
use pmsflow_store::{
    engine::{Claimed, FusedWrite},
    partners::CertificateRecord,
};
use serde_json::Value;

use crate::mosip::MosipClients;

/// A database change committed with the step's completion.
#[derive(Debug, Clone)]
pub enum DbWrite {
    /// Mark the partner approved/active and record its re-signed certificate (in the
    /// completing transaction).
    ActivatePartner(CertificateRecord),
    /// A write fused into the completing statement itself.
    Fused(FusedWrite),
    /// Activate or update an OIDC client record (in the completing transaction).
    Oidc(pmsflow_store::oidc_clients::OidcWrite),
}

/// A successful step.
#[derive(Debug, Clone)]
pub struct StepDone {
    /// Stored as `workflow_step.output`.
    pub output: Value,
    /// Database change committed with the completion.
    pub write: Option<DbWrite>,
}

impl StepDone {
    /// Success with an output and no database change.
    pub fn output(output: Value) -> Self {
        Self {
            output,
            write: None,
        }
    }
}

/// Settings the onboarding steps need.
#[derive(Debug, Clone)]
pub struct StepSettings {
    /// Datashare policy of certificate chains (`pms.certs.datashare.policyId`).
    pub datashare_policy_id: String,
    /// Datashare subscriber (`pms.certs.datashare.subscriberId`).
    pub datashare_subscriber_id: String,
    /// `applicationId` of other-domain uploads (`application.id`, `PARTNER`).
    pub other_domain_application_id: String,
    /// Host name sent in audit events.
    pub audit_host_name: String,
}

/// Runs steps by key.
#[derive(Clone)]
pub struct Executors {
    clients: Arc<MosipClients>,
    settings: Arc<StepSettings>,
    sweeps: Option<Arc<SweepContext>>,
    republish: Option<Arc<RepublishContext>>,
}

impl std::fmt::Debug for Executors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executors")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Executors {
    /// Executors calling MOSIP through `clients`.
    pub fn new(clients: Arc<MosipClients>, settings: StepSettings) -> Self {
        Self {
            clients,
            settings: Arc::new(settings),
            sweeps: None,
            republish: None,
        }
    }

    /// These executors also run sweep steps, on `ctx`'s database.
    pub fn with_sweeps(mut self, ctx: SweepContext) -> Self {
        self.sweeps = Some(Arc::new(ctx));
        self
    }

    /// `true` for steps whose whole work is a database change or a pure computation
    /// (no external call): they hold no lease across IO.
    pub fn is_local(step_key: &str) -> bool {
        step_key == steps::VALIDATE_CHAIN
            || step_key == steps::ACTIVATE_PARTNER
            || step_key == steps::ACTIVATE_CLIENT
            || step_key == steps::APPLY_CLIENT_UPDATE
            || step_key.starts_with(steps::SYNTHETIC_PREFIX)
    }

    /// These executors also run re-publication steps with `ctx`.
    pub fn with_republish(mut self, ctx: RepublishContext) -> Self {
        self.republish = Some(Arc::new(ctx));
        self
    }

    /// Run the claimed step.
    pub async fn run(&self, step: &Claimed) -> Result<StepDone, StepFailure> {
        if step.kind == WorkflowKind::Effects.as_str() {
            return effects::run(step, &self.clients, &self.settings).await;
        }
        if step.kind == WorkflowKind::OidcClient.as_str() {
            return oidc::run(step, &self.clients, &self.settings).await;
        }
        if step.kind == WorkflowKind::Republish.as_str() {
            let ctx = self.republish.as_deref().ok_or_else(|| {
                StepFailure::retryable(
                    "PMSFLOW_NO_REPUBLISH",
                    "this worker was started without a database for re-publication",
                )
            })?;
            return republish::run(step, &self.clients, &self.settings, ctx).await;
        }
        if step.kind == WorkflowKind::BulkAction.as_str() {
            // Bulk actions run on the sweeps' database handle.
            let ctx = self.sweeps.as_deref().ok_or_else(|| {
                StepFailure::retryable(
                    "PMSFLOW_NO_SWEEPS",
                    "this worker was started without a database for bulk actions",
                )
            })?;
            return bulk::run(step, &ctx.pool).await;
        }
        if step.kind == WorkflowKind::Sweep.as_str() {
            let ctx = self.sweeps.as_deref().ok_or_else(|| {
                StepFailure::retryable(
                    "PMSFLOW_NO_SWEEPS",
                    "this worker was started without a database for sweeps",
                )
            })?;
            return sweep::run(step, ctx).await;
        }
        let ctx = onboarding::Ctx {
            step,
            clients: &self.clients,
            settings: &self.settings,
        };
        match step.step_key.as_str() {
            steps::VALIDATE_CHAIN => onboarding::validate(&ctx),
            steps::UPLOAD_CA => onboarding::upload_ca(&ctx).await,
            steps::UPLOAD_PARTNER_CERTIFICATE => onboarding::upload_partner_certificate(&ctx).await,
            steps::UPLOAD_OTHER_DOMAIN => onboarding::upload_other_domain(&ctx).await,
            steps::ACTIVATE_PARTNER => onboarding::activate(&ctx),
            steps::PUBLISH_PARTNER_UPDATED => onboarding::publish_partner_updated(&ctx).await,
            steps::DATASHARE_CHAIN => onboarding::datashare_chain(&ctx).await,
            steps::PUBLISH_CA_CERTIFICATE_UPLOADED => onboarding::publish_ca_uploaded(&ctx).await,
            steps::EMAIL_PARTNER => onboarding::email(&ctx).await,
            steps::AUDIT => onboarding::audit(&ctx).await,
            key if key.starts_with(steps::SYNTHETIC_PREFIX) => Ok(synthetic::touch(step)),
            other => Err(StepFailure::permanent(
                "PMSFLOW_UNKNOWN_STEP",
                format!("no executor for step {other}"),
            )),
        }
    }
}

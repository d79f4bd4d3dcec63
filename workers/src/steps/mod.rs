//! Step executors: what each named step does.
//!
//! A step is a type implementing [`Step`] (crates.io's `BackgroundJob` is the model): it
//! declares its key, whether it is local (no external call), the part of the run input it reads,
//! and its `run`. `run` gets the typed input and a [`StepContext`] (the claimed step with its
//! earlier outputs and effect key, the MOSIP clients, the settings, the optional sweep and
//! re-publication contexts) and returns either a [`StepDone`] — an output to store and, for
//! steps whose work is a database change, the [`DomainWrite`] the store commits with the
//! completion — or a classified [`StepFailure`]. Steps never open a transaction across a
//! network call.
//!
//! Each workflow's module registers its steps in one table (`STEPS`), and `REGISTRY` maps
//! every workflow kind to its table: [`Executors::run`] looks a claimed step up by (run kind,
//! step key), and [`Executors::is_local`] answers from the same tables.
//!
//! # Adding a step
//!
//! 1. In the workflow's module (`onboarding.rs`, `oidc.rs`, `effects.rs`, ...), write a unit
//!    struct and `impl Step` for it: `KEY` (the stable key of the workflow definition,
//!    `pmsflow_core::workflow::steps::*`, or a key prefix for numbered steps), `LOCAL`, `Input`
//!    (a serde type read from the run input: a bad input fails the attempt with `PMS_COR_002
//!    run input is not valid`; `IgnoredAny` when the step reads none), and `run`. A step whose
//!    work is a database change returns it as `StepDone::write`; a new kind of change is a new
//!    [`DomainWrite`] variant, applied by the store.
//! 2. Add `&YourStep` to that module's `STEPS` table.
//!
//! ```ignore
//! /// `notifier.sms`: text the partner (best-effort).
//! pub(super) struct SmsPartner;
//!
//! impl Step for SmsPartner {
//!     const KEY: StepKey = StepKey::Exact(steps::SMS_PARTNER);
//!     const LOCAL: bool = false;
//!     type Input = CertificateRunInput;
//!
//!     async fn run(&self, input: CertificateRunInput, ctx: &StepContext<'_>) -> Result<StepDone, StepFailure> {
//!         let receipt = ctx.clients.notifier.send_sms(&input.phone, ctx.effect_key()).await?;
//!         Ok(StepDone::output(json!({"status": receipt.status})))
//!     }
//! }
//! // onboarding.rs: pub(super) const STEPS: &[&dyn ErasedStep] = &[..., &SmsPartner];
//! ```
//!
//! A new workflow kind is one more `STEPS` table and one line in `REGISTRY`.
//!
//! Nothing else dispatches on step keys: the engine, the relay and the reconciler learn about
//! the step from the tables. (The workflow definition in the pure core, which lists a run's
//! steps when the run is created, is where the step gets its place in the run.)

mod bulk;
mod effects;
mod ftm_chip;
mod oidc;
mod onboarding;
mod republish;
mod sweep;
mod synthetic;

pub use republish::RepublishContext;
pub use sweep::SweepContext;

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use pmsflow_core::{failure::StepFailure, workflow::WorkflowKind};
use pmsflow_store::{domain_write::DomainWrite, engine::Claimed};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;

use crate::mosip::MosipClients;

/// A successful step.
#[derive(Debug, Clone)]
pub struct StepDone {
    /// Stored as `workflow_step.output`.
    pub output: Value,
    /// Database change the store commits with the completion (see
    /// [`pmsflow_store::engine::complete_success`]).
    pub write: Option<DomainWrite>,
}

impl StepDone {
    /// Success with an output and no database change.
    pub fn output(output: Value) -> Self {
        Self {
            output,
            write: None,
        }
    }

    /// Success with an output and a database change committed with the completion.
    pub fn with_write(output: Value, write: DomainWrite) -> Self {
        Self {
            output,
            write: Some(write),
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

/// Which step keys a [`Step`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKey {
    /// Exactly this key (`partner.activate`).
    Exact(&'static str),
    /// Every key starting with this prefix: numbered or named steps of one kind
    /// (`websub.publish.<n>:<TOPIC>`, `sweep.<schedule>`, `synthetic.<n>`).
    Prefix(&'static str),
}

impl StepKey {
    /// `true` when step key `key` is one of these.
    pub fn matches(self, key: &str) -> bool {
        match self {
            Self::Exact(k) => key == k,
            Self::Prefix(p) => key.starts_with(p),
        }
    }

    /// `true` when some step key matches both `self` and `other`.
    pub fn overlaps(self, other: Self) -> bool {
        match (self, other) {
            (Self::Exact(a), b) | (b, Self::Exact(a)) => b.matches(a),
            (Self::Prefix(a), Self::Prefix(b)) => a.starts_with(b) || b.starts_with(a),
        }
    }
}

/// One step of a workflow: its key, locality, input and work.
pub trait Step: Send + Sync + 'static {
    /// The step key (or key prefix) this step runs, as the workflow definition writes it.
    const KEY: StepKey;
    /// `true` when the step's whole work is a database change or a pure computation (no
    /// external call): it holds no lease, and is claimed and completed by one statement.
    const LOCAL: bool;
    /// What the step reads from the run input (`serde::de::IgnoredAny` for nothing). A run
    /// input that does not deserialise fails the attempt, permanently, with `PMS_COR_002 run
    /// input is not valid: <serde error>`.
    type Input: DeserializeOwned + Send;

    /// Do the step's work for `ctx.step` with its run `input`. Must be idempotent: an attempt
    /// may be repeated after a crash (carry `ctx.effect_key()` to the callee, or read before
    /// writing). Errors are classified: retryable or permanent.
    fn run(
        &self,
        input: Self::Input,
        ctx: &StepContext<'_>,
    ) -> impl Future<Output = Result<StepDone, StepFailure>> + Send;
}

/// A [`Step`] with its types erased, as held in the step tables. Implemented for every
/// [`Step`]; not meant to be implemented by hand.
pub trait ErasedStep: Send + Sync {
    /// [`Step::KEY`].
    fn key(&self) -> StepKey;
    /// [`Step::LOCAL`].
    fn local(&self) -> bool;
    /// Deserialise the input from `ctx.step`'s run input (`PMS_COR_002` on failure) and
    /// [`Step::run`].
    fn call<'a>(&'a self, ctx: &'a StepContext<'a>)
        -> BoxFuture<'a, Result<StepDone, StepFailure>>;
}

impl<S: Step> ErasedStep for S {
    fn key(&self) -> StepKey {
        S::KEY
    }

    fn local(&self) -> bool {
        S::LOCAL
    }

    fn call<'a>(
        &'a self,
        ctx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<StepDone, StepFailure>> {
        Box::pin(async move {
            let input = S::Input::deserialize(&ctx.step.input).map_err(|e| {
                StepFailure::permanent(
                    pmsflow_core::codes::PMS_COR_002,
                    format!("run input is not valid: {e}"),
                )
            })?;
            Step::run(self, input, ctx).await
        })
    }
}

/// What a step's `run` has besides its input.
pub struct StepContext<'a> {
    /// The claimed step: ids, attempt, effect key, run kind and subject, the run input,
    /// outputs of the run's succeeded steps, who created the run.
    pub step: &'a Claimed,
    /// The MOSIP clients.
    pub clients: &'a MosipClients,
    /// Settings of the steps.
    pub settings: &'a StepSettings,
    sweeps: Option<&'a SweepContext>,
    republish: Option<&'a RepublishContext>,
}

impl std::fmt::Debug for StepContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepContext")
            .field("run_id", &self.step.run_id)
            .field("step", &self.step.step_key)
            .field("attempt", &self.step.attempt)
            .finish_non_exhaustive()
    }
}

impl StepContext<'_> {
    /// The step's stable effect key, as callees that de-duplicate take it.
    pub fn effect_key(&self) -> Option<&str> {
        Some(&self.step.effect_key)
    }

    /// The output of earlier step `key` of the run, as a `T`. Permanent
    /// `PMSFLOW_MISSING_OUTPUT` when that step has no output or another shape.
    pub fn earlier<T: DeserializeOwned>(&self, key: &str) -> Result<T, StepFailure> {
        let v = self.step.output_of(key).ok_or_else(|| {
            StepFailure::permanent(
                pmsflow_core::codes::PMSFLOW_MISSING_OUTPUT,
                format!("step {key} has no output"),
            )
        })?;
        T::deserialize(v).map_err(|e| {
            StepFailure::permanent(
                pmsflow_core::codes::PMSFLOW_MISSING_OUTPUT,
                format!("output of {key}: {e}"),
            )
        })
    }

    /// The sweeps' context (database, batch sizes, budgets), which sweep and bulk-action steps
    /// run on. Retryable `PMSFLOW_NO_SWEEPS` when this worker was started without it (another
    /// worker may have it); `purpose` completes "started without a database for ...".
    pub fn sweeps(&self, purpose: &str) -> Result<&SweepContext, StepFailure> {
        self.sweeps.ok_or_else(|| {
            StepFailure::retryable(
                pmsflow_core::codes::PMSFLOW_NO_SWEEPS,
                format!("this worker was started without a database for {purpose}"),
            )
        })
    }

    /// The re-publication context (database, rate limiter). Retryable `PMSFLOW_NO_REPUBLISH`
    /// when this worker was started without it.
    pub fn republish(&self) -> Result<&RepublishContext, StepFailure> {
        self.republish.ok_or_else(|| {
            StepFailure::retryable(
                pmsflow_core::codes::PMSFLOW_NO_REPUBLISH,
                "this worker was started without a database for re-publication",
            )
        })
    }
}

/// A workflow's step table.
type Table = &'static [&'static dyn ErasedStep];

/// Every workflow kind with its step table: the one place steps are registered (each
/// workflow's module lists its steps in its `STEPS`).
const REGISTRY: &[(&[WorkflowKind], Table)] = &[
    (
        &[
            WorkflowKind::Onboarding,
            WorkflowKind::CertificateUpload,
            WorkflowKind::CaUpload,
        ],
        onboarding::STEPS,
    ),
    (&[WorkflowKind::Effects], effects::STEPS),
    (&[WorkflowKind::OidcClient], oidc::STEPS),
    (&[WorkflowKind::Republish], republish::STEPS),
    (&[WorkflowKind::BulkAction], bulk::STEPS),
    (&[WorkflowKind::Sweep], sweep::STEPS),
    (&[WorkflowKind::FtmChipCertificate], ftm_chip::STEPS),
    (&[WorkflowKind::Synthetic], synthetic::STEPS),
];

/// The step running `step_key` in a run of kind `kind` (`workflow_run.kind`).
fn lookup(kind: &str, step_key: &str) -> Option<&'static dyn ErasedStep> {
    REGISTRY
        .iter()
        .filter(|(kinds, _)| kinds.iter().any(|k| k.as_str() == kind))
        .flat_map(|(_, table)| table.iter())
        .find(|s| s.key().matches(step_key))
        .copied()
}

/// Runs steps by (run kind, step key).
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
    /// (no external call): they hold no lease across IO. Answered from the step tables
    /// ([`Step::LOCAL`]); a key no table knows is not local.
    pub fn is_local(step_key: &str) -> bool {
        REGISTRY
            .iter()
            .flat_map(|(_, table)| table.iter())
            .any(|s| s.local() && s.key().matches(step_key))
    }

    /// These executors also run re-publication steps with `ctx`.
    pub fn with_republish(mut self, ctx: RepublishContext) -> Self {
        self.republish = Some(Arc::new(ctx));
        self
    }

    /// Run the claimed step: the step registered for its run kind and key. Permanent
    /// `PMSFLOW_UNKNOWN_STEP` when there is none.
    pub async fn run(&self, step: &Claimed) -> Result<StepDone, StepFailure> {
        let found = lookup(&step.kind, &step.step_key).ok_or_else(|| {
            StepFailure::permanent(
                pmsflow_core::codes::PMSFLOW_UNKNOWN_STEP,
                format!("no executor for step {}", step.step_key),
            )
        })?;
        let ctx = StepContext {
            step,
            clients: &self.clients,
            settings: &self.settings,
            sweeps: self.sweeps.as_deref(),
            republish: self.republish.as_deref(),
        };
        found.call(&ctx).await
    }
}

#[cfg(test)]
mod tests {
    use pmsflow_core::{
        effects::{AUDIT_RECORD, EMAIL_PREFIX, PUBLISH_PREFIX},
        partner::PartnerDomain,
        schedule::{sweep_steps, sweeps},
        workflow::{onboarding_steps, steps, synthetic_steps, Budgets},
    };

    use super::*;

    #[test]
    fn local_steps_are_the_database_and_pure_ones() {
        for key in [
            steps::VALIDATE_CHAIN,
            steps::ACTIVATE_PARTNER,
            steps::ACTIVATE_CLIENT,
            steps::APPLY_CLIENT_UPDATE,
            "synthetic.1",
            "synthetic.250",
        ] {
            assert!(Executors::is_local(key), "{key}");
        }
        for key in [
            steps::UPLOAD_CA,
            steps::UPLOAD_PARTNER_CERTIFICATE,
            steps::UPLOAD_OTHER_DOMAIN,
            steps::PUBLISH_PARTNER_UPDATED,
            steps::DATASHARE_CHAIN,
            steps::PUBLISH_CA_CERTIFICATE_UPLOADED,
            steps::EMAIL_PARTNER,
            steps::AUDIT,
            steps::ESIGNET_CREATE_CLIENT,
            steps::ESIGNET_UPDATE_CLIENT,
            steps::BULK_APPLY,
            "websub.publish.1:PARTNER_UPDATED",
            "notifier.email.1",
            AUDIT_RECORD,
            "republish.1",
            "sweep.licence-expiry",
            "no.such.step",
        ] {
            assert!(!Executors::is_local(key), "{key}");
        }
    }

    #[test]
    fn a_key_runs_one_step_per_kind_and_locality_does_not_depend_on_the_kind() {
        let all: Vec<(&[WorkflowKind], &dyn ErasedStep)> = REGISTRY
            .iter()
            .flat_map(|(kinds, table)| table.iter().map(move |s| (*kinds, *s)))
            .collect();
        for (i, (kinds_a, a)) in all.iter().enumerate() {
            for (kinds_b, b) in &all[i + 1..] {
                if !a.key().overlaps(b.key()) {
                    continue;
                }
                assert_eq!(a.local(), b.local(), "{:?} / {:?}", a.key(), b.key());
                assert!(
                    !kinds_a.iter().any(|k| kinds_b.contains(k)),
                    "{:?} and {:?} both run in one kind",
                    a.key(),
                    b.key()
                );
            }
        }
    }

    #[test]
    fn every_kind_has_a_table_and_every_defined_step_an_executor() {
        for kind in [
            WorkflowKind::Onboarding,
            WorkflowKind::CertificateUpload,
            WorkflowKind::CaUpload,
            WorkflowKind::Effects,
            WorkflowKind::Sweep,
            WorkflowKind::OidcClient,
            WorkflowKind::Republish,
            WorkflowKind::BulkAction,
            WorkflowKind::FtmChipCertificate,
            WorkflowKind::Synthetic,
        ] {
            assert!(
                REGISTRY.iter().any(|(kinds, _)| kinds.contains(&kind)),
                "{kind:?}"
            );
        }
        let b = Budgets::default();
        let defined = [
            (
                WorkflowKind::Onboarding,
                onboarding_steps(PartnerDomain::Auth, &b),
            ),
            (
                WorkflowKind::Onboarding,
                onboarding_steps(PartnerDomain::Ftm, &b),
            ),
            (WorkflowKind::Synthetic, synthetic_steps(3)),
            (
                WorkflowKind::FtmChipCertificate,
                pmsflow_core::workflow::ftm_chip_certificate_steps(&b),
            ),
            (
                WorkflowKind::Sweep,
                [
                    sweeps::LICENCE_EXPIRY,
                    sweeps::API_KEY_EXPIRY,
                    sweeps::CERTIFICATE_EXPIRY,
                    sweeps::LICENCE_RENEWAL,
                    sweeps::API_KEY_REMINDER,
                ]
                .iter()
                .flat_map(|s| sweep_steps(s, &b))
                .collect(),
            ),
            (
                WorkflowKind::BulkAction,
                pmsflow_core::operator::bulk_steps(&b),
            ),
        ];
        for (kind, specs) in defined {
            for spec in specs {
                assert!(
                    lookup(kind.as_str(), &spec.key).is_some(),
                    "{kind:?} {}",
                    spec.key
                );
            }
        }
        for kind in [WorkflowKind::Effects, WorkflowKind::OidcClient] {
            for key in [
                format!("{PUBLISH_PREFIX}1:PARTNER_UPDATED"),
                format!("{EMAIL_PREFIX}2"),
                AUDIT_RECORD.to_owned(),
            ] {
                assert!(lookup(kind.as_str(), &key).is_some(), "{kind:?} {key}");
            }
        }
        for key in [
            steps::ESIGNET_CREATE_CLIENT,
            steps::ESIGNET_UPDATE_CLIENT,
            steps::ACTIVATE_CLIENT,
            steps::APPLY_CLIENT_UPDATE,
        ] {
            assert!(
                lookup(WorkflowKind::OidcClient.as_str(), key).is_some(),
                "{key}"
            );
        }
        assert!(lookup(WorkflowKind::CaUpload.as_str(), steps::UPLOAD_CA).is_some());
        assert!(lookup(WorkflowKind::Republish.as_str(), "republish.3").is_some());
        assert!(lookup(WorkflowKind::Effects.as_str(), steps::VALIDATE_CHAIN).is_none());
        assert!(lookup("no_such_kind", steps::VALIDATE_CHAIN).is_none());
    }
}

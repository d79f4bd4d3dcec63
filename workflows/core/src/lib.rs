//! # pmsflow-core
//!
//! The pure domain core of pmsflow: what a MOSIP partner is, which certificate chains MOSIP's
//! keymanager accepts, which steps a workflow has and how a failed attempt is retried. It does no
//! IO: no tokio, sqlx, reqwest, axum or apalis (DESIGN.md §1). Adapters in `pmsflow-store`,
//! `pmsflow-workers` and `pmsflow-api` feed it bytes and clocks and act on its decisions.
//!
//! # Layout
//! - [`certificate`]: X.509 parsing, MOSIP keymanager's trust rules (KER-PCM codes), P7B.
//! - [`actors`]: pmsflow's own actors (`system:scheduler`), a namespace no token may take.
//! - [`codes`]: the catalogue of error codes (MOSIP's, with PMS's messages, and pmsflow's own).
//! - [`failure`]: step errors classified as retryable or permanent.
//! - [`retry`]: exponential backoff with jitter and the attempt budget.
//! - [`workflow`]: workflow kinds, versions and their named steps.
//! - [`onboarding`]: the local chain check that runs before any side effect.
//! - [`notifications`]: the emails PMS sends, from MOSIP's seed templates.
//! - [`partner`]: partner types, partner domains and registration validation (PMS_PRT codes).
//! - [`policy`]: policy types and schema validation of policy documents (PMS_PV codes).
//! - [`effects`]: the WebSub events, emails and audit of a state change, as a durable run.
//! - [`events`]: WebSub event payloads (mosip-pms.md §11).
//! - [`envelope`]: MOSIP request/response envelopes and the MOSIP date format.
//! - [`oidc`]: eSignet OIDC clients: clientId, claims/ACRs from the auth policy, request checks.
//! - [`operator`]: console roles and what operator actions apply to which runs and steps.
//! - [`redact`]: secrets out of stored callee responses and of what the console shows.

pub mod actors;
pub mod certificate;
pub mod codes;
pub mod effects;
pub mod envelope;
pub mod events;
pub mod failure;
pub mod notifications;
pub mod oidc;
pub mod onboarding;
pub mod operator;
pub mod partner;
pub mod policy;
pub mod redact;
pub mod republish;
pub mod retry;
pub mod schedule;
pub mod search;
pub mod workflow;

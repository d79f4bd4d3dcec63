//! # pmsflow-store
//!
//! The adapters that the API, the workers and the scheduler share: the Postgres pool and
//! migrations, the engine's tables (runs, steps, attempts, outbox), the partner tables, the
//! configuration and telemetry. It depends on the pure core, never the other way round.
//!
//! # Layout
//! - [`config`]: layered settings (defaults file, `PMSFLOW_CONFIG`, `PMSFLOW_` env).
//! - [`db`]: pool and migrations.
//! - [`runs`]: creating runs transactionally and reading them back.
//! - [`engine`]: claim, complete, retry, fail; outbox relay and reconciler queries.
//! - [`domain_write`]: the domain changes a step commits with its completion.
//! - [`partners`]: partner, partner type, policy group and certificate rows.
//! - [`policies`]: policy groups and policies.
//! - [`partner_policies`]: policy mapping requests and API keys.
//! - [`licences`]: MISP licence keys.
//! - [`credentials`]: bio-extractors and credential-type mappings of credential partners.
//! - [`devices`]: device providers' devices, SBIs and their mappings.
//! - [`search`]: PMS searches and filter values over the partner and policy tables.
//! - [`schedules`]: cron fires (one per schedule and fire time), pause flags, sweep runs.
//! - [`sweeps`]: the expiry sweeps in set-based batches.
//! - [`jobs`]: the payload carried through Redis and its deterministic task id.
//! - [`telemetry`]: tracing initialisation.
//! - [`watch`]: run notifications through one LISTEN per process: waiting for runs, and the
//!   feed the console follows.
//! - [`operator`]: operator actions on runs and steps, and the operator audit log.
//! - [`bulk`]: bulk actions over many runs, applied batch by batch.
//! - [`console`]: what the operator console reads (overview, run list, heartbeats).
//! - [`sessions`]: signed-out session tokens, refused until they expire.
//! - [`metrics`]: the Prometheus metrics of every role, named in one place.
//! - [`trace`]: the W3C `traceparent` kept on runs and sent on their MOSIP calls.

pub mod bulk;
pub mod config;
pub mod console;
pub mod credentials;
pub mod db;
pub mod devices;
pub mod domain_write;
pub mod engine;
pub mod jobs;
pub mod licences;
pub mod metrics;
pub mod oidc_clients;
pub mod operator;
pub mod partner_policies;
pub mod partners;
pub mod policies;
pub mod republish;
pub mod runs;
pub mod schedules;
pub mod search;
pub mod sessions;
pub mod sweeps;
pub mod telemetry;
pub mod trace;
pub mod watch;

/// Postgres NOTIFY channel: new outbox rows are ready for the relay.
pub const OUTBOX_CHANNEL: &str = "pmsflow_outbox";
/// Postgres NOTIFY channel: a run finished, or an operator changed its status; payload
/// `<run id>:<status>`.
pub const RUN_CHANNEL: &str = "pmsflow_run";
/// Postgres NOTIFY channel: a bulk action committed a batch; payload: comma-separated run ids
/// (the bulk action's). Step commits of the engine send nothing here: a NOTIFY per step would
/// serialise every commit on Postgres's notification queue lock.
pub const STEP_CHANNEL: &str = "pmsflow_step";

//! The steps of a re-publication run ([`pmsflow_core::republish`]): step `republish.<n>`
//! replays the events of batch `n`'s partners, through a rate limiter shared by the process.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use pmsflow_core::{
    events,
    failure::StepFailure,
    republish::{event_id, publisher_of, RepublishInput, STEP_PREFIX},
};
use pmsflow_store::republish::{partner_replays, Replay};
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::{ErasedStep, Step, StepContext, StepDone, StepKey};

/// The steps of a re-publication run.
pub(super) const STEPS: &[&dyn ErasedStep] = &[&RepublishBatch];

/// What re-publication steps need besides the MOSIP clients.
#[derive(Clone)]
pub struct RepublishContext {
    /// The database the partners are read from.
    pub pool: PgPool,
    limiter: Arc<DefaultDirectRateLimiter>,
}

impl std::fmt::Debug for RepublishContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepublishContext").finish_non_exhaustive()
    }
}

impl RepublishContext {
    /// Steps reading `pool` and publishing at most `rate_per_s` replayed events per second
    /// from this process (bursts of at most one second's worth). `rate_per_s` of 0 is taken
    /// as 1.
    pub fn new(pool: PgPool, rate_per_s: u32) -> Self {
        let rate = NonZeroU32::new(rate_per_s).unwrap_or(NonZeroU32::MIN);
        Self {
            pool,
            limiter: Arc::new(RateLimiter::direct(Quota::per_second(rate))),
        }
    }
}

fn db_failure(e: sqlx::Error) -> StepFailure {
    StepFailure::retryable(
        pmsflow_core::codes::PMSFLOW_DB,
        format!("reading the partners failed: {e}"),
    )
}

/// `republish.<n>`: for each partner of batch `n`, every replay in order (a datashare before
/// each `CA_CERTIFICATE_UPLOADED`). Event ids derive from the step id, the partner and the
/// event's position, so a retried step re-sends the same ids. Runs with the
/// [`RepublishContext`].
pub(super) struct RepublishBatch;

impl Step for RepublishBatch {
    const KEY: StepKey = StepKey::Prefix(STEP_PREFIX);
    const LOCAL: bool = false;
    type Input = RepublishInput;

    async fn run(
        &self,
        input: RepublishInput,
        ctx: &StepContext<'_>,
    ) -> Result<StepDone, StepFailure> {
        let republish = ctx.republish()?;
        let (step, clients, settings) = (ctx.step, ctx.clients, ctx.settings);
        let batch = input.batch_of(&step.step_key).ok_or_else(|| {
            StepFailure::permanent(
                pmsflow_core::codes::PMSFLOW_UNKNOWN_STEP,
                format!("step {} has no batch in the run input", step.step_key),
            )
        })?;
        let mut published = std::collections::BTreeMap::<&str, u64>::new();
        for partner_id in batch {
            let replays = {
                let mut conn = republish.pool.acquire().await.map_err(db_failure)?;
                partner_replays(
                    &mut conn,
                    partner_id,
                    &input.topics,
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(db_failure)?
            };
            for (i, replay) in replays.into_iter().enumerate() {
                let topic = replay.topic();
                let event_id = event_id(step.step_id, partner_id, i);
                let effect = format!("{}:{partner_id}:{i}", step.effect_key);
                let data = match replay {
                    Replay::Event { data, .. } => data,
                    Replay::CaCertificate {
                        certificate_pem,
                        partner_domain,
                    } => {
                        let share = clients
                            .datashare
                            .create(
                                &settings.datashare_policy_id,
                                &settings.datashare_subscriber_id,
                                certificate_pem.as_bytes(),
                                Some(&format!("{effect}:datashare")),
                            )
                            .await?;
                        events::ca_certificate_uploaded_data(&share.url, &partner_domain)
                    }
                };
                republish.limiter.until_ready().await;
                if let Err(e) = clients.websub.register_topic(topic, None).await {
                    tracing::debug!(topic, error = %e, "topic registration failed (ignored)");
                }
                let model = events::event_model(
                    topic,
                    publisher_of(topic),
                    event_id,
                    data,
                    OffsetDateTime::now_utc(),
                );
                clients.websub.publish(topic, &model, Some(&effect)).await?;
                *published.entry(topic).or_default() += 1;
            }
        }
        Ok(StepDone::output(
            json!({"partners": batch.len(), "published": published}),
        ))
    }
}

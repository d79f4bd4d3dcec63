//! The expiry sweeps, in set-based batches (issue 4 "Scheduler"; mosip-pms.md §9, §12).
//!
//! Each batch is one transaction: it takes up to `batch` expired rows (`FOR UPDATE SKIP
//! LOCKED`, so two sweeps never take the same row), marks them, and writes their effects runs
//! (events, emails) in the same transaction. A sweep is therefore idempotent and resumable: a
//! retried or second sweep continues with the rows still to do.

use pmsflow_core::{
    effects::{Audit, EffectsInput, TopicEvent},
    events::MISP_SERVICE,
    notifications,
    workflow::Budgets,
};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::runs::{create_runs, effects_run, partner_ordering_key};

/// Rows a sweep handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Rows marked.
    pub marked: u64,
    /// Effects runs written.
    pub effects_runs: u64,
    /// Transactions used.
    pub batches: u64,
}

#[derive(Debug, sqlx::FromRow)]
struct ExpiredLicence {
    misp_id: String,
    license_key: String,
    valid_from_date: OffsetDateTime,
    valid_to_date: OffsetDateTime,
    email_id: String,
}

/// One batch of the licence-expiry sweep on `conn` (inside a transaction): mark up to `batch`
/// active licences whose validity ended at or before `now` inactive, and write per licence an
/// effects run with `MISP_LICENSE_UPDATED` (status `NOT_ACTIVE`), the MISP's email and an
/// audit record, ordered with the MISP partner's other events. Returns the licences marked.
pub async fn expire_licences_batch(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    batch: i64,
    budgets: &Budgets,
) -> Result<u64, sqlx::Error> {
    let expired: Vec<ExpiredLicence> = sqlx::query_as(
        "WITH due AS (
             SELECT misp_id, license_key FROM misp_license
              WHERE is_active AND valid_to_date <= $1
              ORDER BY valid_to_date
              LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE misp_license l
            SET is_active = false, upd_by = 'pmsflow-scheduler', upd_dtimes = now()
           FROM due
          WHERE l.misp_id = due.misp_id AND l.license_key = due.license_key
         RETURNING l.misp_id, l.license_key, l.valid_from_date, l.valid_to_date,
                   (SELECT p.email_id FROM partner p WHERE p.id = l.misp_id) AS email_id",
    )
    .bind(now)
    .bind(batch)
    .fetch_all(&mut *conn)
    .await?;
    let mut runs = Vec::with_capacity(expired.len());
    for l in &expired {
        let input = EffectsInput::default()
            .event(TopicEvent::licence_updated(
                MISP_SERVICE,
                &l.misp_id,
                &l.license_key,
                l.valid_from_date,
                l.valid_to_date,
                false,
            ))
            .email(notifications::misp_licence(
                &l.email_id,
                &l.misp_id,
                false,
                l.valid_to_date,
            ))
            .audit(Audit::of_partner(
                "PMS_MSP_202",
                "MISP_LICENSE_EXPIRED",
                "MISP licence expired",
                &l.misp_id,
            ));
        runs.extend(effects_run(
            budgets,
            "pmsflow-scheduler",
            &l.misp_id,
            partner_ordering_key(&l.misp_id),
            &input,
        )?);
    }
    // The effects runs of the whole batch in a few set-based statements.
    create_runs(conn, &runs).await?;
    Ok(expired.len() as u64)
}

/// The licence-expiry sweep: batches of [`expire_licences_batch`] until none is left.
pub async fn expire_licences(
    pool: &PgPool,
    now: OffsetDateTime,
    batch: i64,
    budgets: &Budgets,
) -> Result<SweepReport, sqlx::Error> {
    let mut report = SweepReport::default();
    loop {
        let mut tx = pool.begin().await?;
        let n = expire_licences_batch(&mut tx, now, batch, budgets).await?;
        tx.commit().await?;
        if n == 0 {
            return Ok(report);
        }
        report.marked += n;
        report.effects_runs += n;
        report.batches += 1;
    }
}

/// The API-key expiry sweep: mark active API keys whose validity ended at or before `now`
/// inactive, in batches of `batch`. (PMS publishes nothing when a key expires; IDA checks the
/// validity itself.)
pub async fn expire_api_keys(
    pool: &PgPool,
    now: OffsetDateTime,
    batch: i64,
) -> Result<SweepReport, sqlx::Error> {
    let mut report = SweepReport::default();
    loop {
        let n = sqlx::query(
            "WITH due AS (
                 SELECT policy_api_key FROM partner_policy
                  WHERE is_active AND valid_to_datetime <= $1
                  LIMIT $2 FOR UPDATE SKIP LOCKED)
             UPDATE partner_policy k
                SET is_active = false, upd_by = 'pmsflow-scheduler', upd_dtimes = now()
               FROM due WHERE k.policy_api_key = due.policy_api_key",
        )
        .bind(now)
        .bind(batch)
        .execute(pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(report);
        }
        report.marked += n;
        report.batches += 1;
    }
}

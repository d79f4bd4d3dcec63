//! The expiry sweeps, in set-based batches (issue 4 "Scheduler"; mosip-pms.md §9, §12).
//!
//! Each batch is one transaction: it takes up to `batch` expired rows (`FOR UPDATE SKIP
//! LOCKED`, so two sweeps never take the same row), marks them, and writes their effects runs
//! (events, emails) in the same transaction. A sweep is therefore idempotent and resumable: a
//! retried or second sweep continues with the rows still to do.

use pmsflow_core::{
    actors::SCHEDULER,
    effects::{Audit, EffectsInput, TopicEvent},
    events::MISP_SERVICE,
    notifications,
    workflow::Budgets,
};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::runs::{create_runs, effects_run, EffectsAbout};

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
/// audit record, ordered with the MISP partner's other events. Then, with `renewal`, an
/// active MISP left without a valid licence gets a new one (`MISP_LICENSE_GENERATED`, after
/// the `UPDATED` in its event order), as the renewal sweep would have issued it in advance.
/// Only the licences of `lane`'s MISPs are taken, so concurrent lanes never wait on each
/// other's ordering keys. Returns the licences marked.
pub async fn expire_licences_batch(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    batch: i64,
    lane: Lane,
    renewal: Option<Renewal>,
    budgets: &Budgets,
) -> Result<u64, sqlx::Error> {
    // The due licences are read in expiry order from `misp_license_expiry`, stopping at the
    // batch size. The planner cannot estimate the lane filter and would otherwise read and
    // sort every due licence in each batch (170 ms a batch with 100,000 due, against 2 ms).
    sqlx::query("SET LOCAL enable_sort = off")
        .execute(&mut *conn)
        .await?;
    let expired: Vec<ExpiredLicence> = sqlx::query_as(
        "WITH due AS (
             SELECT misp_id, license_key FROM misp_license
              WHERE is_active AND valid_to_date <= $1
                AND (hashtext(misp_id)::int8 & 2147483647) % $4 = $3
              ORDER BY valid_to_date
              LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE misp_license l
            SET is_active = false, upd_by = 'system:scheduler', upd_dtimes = now()
           FROM due
          WHERE l.misp_id = due.misp_id AND l.license_key = due.license_key
         RETURNING l.misp_id, l.license_key, l.valid_from_date, l.valid_to_date,
                   (SELECT p.email_id FROM partner p WHERE p.id = l.misp_id) AS email_id",
    )
    .bind(now)
    .bind(batch)
    .bind(i64::from(lane.index))
    .bind(i64::from(lane.of.max(1)))
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("RESET enable_sort").execute(&mut *conn).await?;
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
            SCHEDULER,
            EffectsAbout::Partner(&l.misp_id),
            &input,
        )?);
    }
    // The effects runs of the whole batch in a few set-based statements.
    create_runs(conn, &runs).await?;
    if let Some(renewal) = renewal {
        let mut misps: Vec<&str> = expired.iter().map(|l| l.misp_id.as_str()).collect();
        misps.sort_unstable();
        misps.dedup();
        let bare: Vec<Renewable> = sqlx::query_as(
            "SELECT p.id AS misp_id, p.email_id,
                    (SELECT policy_id FROM misp_license WHERE misp_id = p.id
                      ORDER BY valid_to_date DESC LIMIT 1) AS policy_id
               FROM partner p
              WHERE p.id = ANY($1) AND p.is_active
                AND NOT EXISTS (SELECT 1 FROM misp_license n
                                 WHERE n.misp_id = p.id AND n.is_active AND n.valid_to_date > $2)",
        )
        .bind(&misps)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        issue_renewals(conn, &bare, now, renewal, budgets).await?;
    }
    Ok(expired.len() as u64)
}

/// One of the concurrent lanes of a sweep: lane `index` (0-based) of `of` takes the rows of
/// the partners whose id hashes to it, so each partner's rows, and the ordering key of its
/// events, belong to one lane only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane {
    /// This lane, `0..of`.
    pub index: u32,
    /// Number of lanes (at least 1).
    pub of: u32,
}

/// The licence-expiry sweep: batches of [`expire_licences_batch`] until none is left, in
/// `lanes` concurrent transactions. Each lane takes the licences of its own MISPs ([`Lane`]),
/// so the lanes never wait on each other's ordering keys and each MISP's events still go out
/// in commit order; `SKIP LOCKED` and the sorted key locks keep a second sweep, or an API
/// request writing a MISP's events, from deadlocking with a lane.
pub async fn expire_licences(
    pool: &PgPool,
    now: OffsetDateTime,
    batch: i64,
    lanes: usize,
    renewal: Option<Renewal>,
    budgets: &Budgets,
) -> Result<SweepReport, sqlx::Error> {
    let of = lanes.max(1) as u32;
    let lane = |index| async move {
        let lane = Lane { index, of };
        let mut report = SweepReport::default();
        loop {
            let mut tx = pool.begin().await?;
            let n = expire_licences_batch(&mut tx, now, batch, lane, renewal, budgets).await?;
            tx.commit().await?;
            if n == 0 {
                return Ok::<_, sqlx::Error>(report);
            }
            report.marked += n;
            report.effects_runs += n;
            report.batches += 1;
        }
    };
    let reports = futures::future::try_join_all((0..of).map(lane)).await?;
    Ok(reports
        .into_iter()
        .fold(SweepReport::default(), |a, b| SweepReport {
            marked: a.marked + b.marked,
            effects_runs: a.effects_runs + b.effects_runs,
            batches: a.batches + b.batches,
        }))
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
                SET is_active = false, upd_by = 'system:scheduler', upd_dtimes = now()
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

#[derive(Debug, sqlx::FromRow)]
struct Reminder {
    partner_id: String,
    email_id: String,
    threshold_days: i32,
    expires_at: OffsetDateTime,
    label: Option<String>,
    policy_name: Option<String>,
}

fn max_days(days: &[u32]) -> i32 {
    days.iter().copied().max().unwrap_or(0) as i32
}

fn days_array(days: &[u32]) -> Vec<i32> {
    days.iter().map(|d| *d as i32).collect()
}

/// Write the reminders' email runs (no events, so they start at once).
async fn remind(
    conn: &mut PgConnection,
    reminders: &[Reminder],
    budgets: &Budgets,
) -> Result<(), sqlx::Error> {
    let mut runs = Vec::with_capacity(reminders.len());
    for r in reminders {
        let days = r.threshold_days.max(0) as u32;
        let email = match (&r.label, &r.policy_name) {
            (Some(label), Some(policy)) => notifications::api_key_expiring(
                &r.email_id,
                &r.partner_id,
                label,
                policy,
                r.expires_at,
                days,
            ),
            _ => {
                notifications::certificate_expiring(&r.email_id, &r.partner_id, r.expires_at, days)
            }
        };
        runs.extend(effects_run(
            budgets,
            SCHEDULER,
            EffectsAbout::Partner(&r.partner_id),
            &EffectsInput::default().email(email),
        )?);
    }
    create_runs(conn, &runs).await?;
    Ok(())
}

/// Certificate reminders due at `$1` with thresholds `$2` (max `$3`), at most `$4`: recorded
/// and answered in one statement.
const CERTIFICATE_REMINDERS: &str = "WITH cur AS (
                 SELECT DISTINCT ON (partner_id) partner_id, signed_not_after
                   FROM partner_certificate ORDER BY partner_id, uploaded_at DESC
             ), due AS (
                 SELECT cur.partner_id, cur.signed_not_after,
                        (SELECT min(t) FROM UNNEST($2::int[]) t
                          WHERE cur.signed_not_after <= $1 + make_interval(days => t)) AS threshold
                   FROM cur JOIN partner p ON p.id = cur.partner_id
                  WHERE p.is_active AND cur.signed_not_after > $1
                    AND cur.signed_not_after <= $1 + make_interval(days => $3)
             ), fresh AS (
                 SELECT d.* FROM due d
                  WHERE NOT EXISTS (SELECT 1 FROM expiry_reminder r
                                     WHERE r.kind = 'certificate' AND r.subject = d.partner_id
                                       AND r.threshold_days = d.threshold
                                       AND r.expires_at = d.signed_not_after)
                  ORDER BY d.signed_not_after LIMIT $4
             ), ins AS (
                 INSERT INTO expiry_reminder (kind, subject, threshold_days, expires_at)
                 SELECT 'certificate', partner_id, threshold, signed_not_after FROM fresh
                 ON CONFLICT DO NOTHING
                 RETURNING subject, threshold_days, expires_at
             )
             SELECT ins.subject AS partner_id, p.email_id, ins.threshold_days, ins.expires_at,
                    NULL::text AS label, NULL::text AS policy_name
               FROM ins JOIN partner p ON p.id = ins.subject";

/// API-key reminders due at `$1` with thresholds `$2` (max `$3`), at most `$4`.
const API_KEY_REMINDERS: &str = "WITH due AS (
                 SELECT k.part_id, k.label, a.name AS policy_name, k.valid_to_datetime,
                        k.part_id || ':' || k.policy_id || ':' || k.label AS subject,
                        (SELECT min(t) FROM UNNEST($2::int[]) t
                          WHERE k.valid_to_datetime <= $1 + make_interval(days => t)) AS threshold
                   FROM partner_policy k JOIN auth_policy a ON a.id = k.policy_id
                  WHERE k.is_active AND k.valid_to_datetime > $1
                    AND k.valid_to_datetime <= $1 + make_interval(days => $3)
             ), fresh AS (
                 SELECT d.* FROM due d
                  WHERE NOT EXISTS (SELECT 1 FROM expiry_reminder r
                                     WHERE r.kind = 'api_key' AND r.subject = d.subject
                                       AND r.threshold_days = d.threshold
                                       AND r.expires_at = d.valid_to_datetime)
                  ORDER BY d.valid_to_datetime LIMIT $4
             ), ins AS (
                 INSERT INTO expiry_reminder (kind, subject, threshold_days, expires_at)
                 SELECT 'api_key', subject, threshold, valid_to_datetime FROM fresh
                 ON CONFLICT DO NOTHING
                 RETURNING subject, threshold_days, expires_at
             )
             SELECT f.part_id AS partner_id, p.email_id, ins.threshold_days, ins.expires_at,
                    f.label, f.policy_name
               FROM ins JOIN fresh f ON f.subject = ins.subject JOIN partner p ON p.id = f.part_id";

/// Batches of `sql` (one of the reminder statements) with their emails, until none is due.
async fn reminders(
    pool: &PgPool,
    sql: &str,
    now: OffsetDateTime,
    days: &[u32],
    batch: i64,
    budgets: &Budgets,
) -> Result<SweepReport, sqlx::Error> {
    let mut report = SweepReport::default();
    loop {
        let mut tx = pool.begin().await?;
        let due: Vec<Reminder> = sqlx::query_as(sql)
            .bind(now)
            .bind(days_array(days))
            .bind(max_days(days))
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
        remind(&mut tx, &due, budgets).await?;
        tx.commit().await?;
        if due.is_empty() {
            return Ok(report);
        }
        report.marked += due.len() as u64;
        report.effects_runs += due.len() as u64;
        report.batches += 1;
    }
}

/// The certificate-expiry reminders: for each active partner whose current MOSIP-signed
/// certificate ends within the largest of `days`, the reminder
/// [`reminder_due`](pmsflow_core::schedule::reminder_due) picks (the nearest threshold), once
/// per `(partner, threshold, expiry)`, by email; in batches of `batch`.
pub async fn certificate_reminders(
    pool: &PgPool,
    now: OffsetDateTime,
    days: &[u32],
    batch: i64,
    budgets: &Budgets,
) -> Result<SweepReport, sqlx::Error> {
    reminders(pool, CERTIFICATE_REMINDERS, now, days, batch, budgets).await
}

/// The API-key expiry reminders (PMS: 3 days before): as [`certificate_reminders`] for each
/// active API key ending within the largest of `days`, once per `(key, threshold, expiry)`.
pub async fn api_key_reminders(
    pool: &PgPool,
    now: OffsetDateTime,
    days: &[u32],
    batch: i64,
    budgets: &Budgets,
) -> Result<SweepReport, sqlx::Error> {
    reminders(pool, API_KEY_REMINDERS, now, days, batch, budgets).await
}

/// How the licence-renewal sweep issues licences.
#[derive(Debug, Clone, Copy)]
pub struct Renewal {
    /// Days before its end a licence is renewed.
    pub lead_days: u32,
    /// Validity of a new licence, days (`[pms] misp_licence_validity_days`).
    pub validity_days: u32,
    /// Length of a new key (`[pms] misp_licence_key_length`).
    pub key_length: usize,
}

#[derive(Debug, sqlx::FromRow)]
struct Renewable {
    misp_id: String,
    policy_id: Option<String>,
    email_id: String,
}

/// Issue the renewal licences of `due` in one set-based batch: a fresh CSPRNG key each, the
/// same MISP policy, `MISP_LICENSE_GENERATED` with email and audit.
async fn issue_renewals(
    conn: &mut PgConnection,
    due: &[Renewable],
    now: OffsetDateTime,
    renewal: Renewal,
    budgets: &Budgets,
) -> Result<(), sqlx::Error> {
    use rand::distr::{Alphanumeric, SampleString};
    let keys: Vec<String> = due
        .iter()
        .map(|_| Alphanumeric.sample_string(&mut rand::rng(), renewal.key_length))
        .collect();
    let valid_to = now + time::Duration::days(i64::from(renewal.validity_days));
    let issues: Vec<crate::licences::IssueLicence<'_>> = due
        .iter()
        .zip(&keys)
        .map(|(r, key)| crate::licences::IssueLicence {
            misp_id: &r.misp_id,
            email: &r.email_id,
            key,
            policy_id: r.policy_id.as_deref(),
            valid_to,
            by: SCHEDULER,
            topic: pmsflow_core::events::MISP_LICENSE_GENERATED,
        })
        .collect();
    crate::licences::issue_many(conn, &issues, budgets).await?;
    Ok(())
}

/// The licence-renewal sweep: for each active licence of an active MISP partner that ends
/// within `lead_days` ([`renewal_due`](pmsflow_core::schedule::renewal_due)) and has no later
/// licence of its MISP, issue a new licence (a fresh CSPRNG key, the same MISP policy) with
/// `MISP_LICENSE_GENERATED`, the MISP's email and an audit record. The old licence stays valid
/// until it ends (the overlap); `licence-expiry` then deactivates it. In batches of `batch`
/// MISPs, each batch one transaction.
pub async fn renew_licences(
    pool: &PgPool,
    now: OffsetDateTime,
    renewal: Renewal,
    batch: i64,
    budgets: &Budgets,
) -> Result<SweepReport, sqlx::Error> {
    let mut report = SweepReport::default();
    loop {
        let mut tx = pool.begin().await?;
        let due: Vec<Renewable> = sqlx::query_as(
            "SELECT l.misp_id, l.policy_id, p.email_id
               FROM misp_license l JOIN partner p ON p.id = l.misp_id
              WHERE l.is_active AND p.is_active
                AND l.valid_to_date > $1 AND l.valid_to_date <= $1 + make_interval(days => $2)
                AND NOT EXISTS (SELECT 1 FROM misp_license n
                                 WHERE n.misp_id = l.misp_id AND n.valid_to_date > l.valid_to_date)
              ORDER BY l.valid_to_date LIMIT $3
              FOR UPDATE OF l, p SKIP LOCKED",
        )
        .bind(now)
        .bind(renewal.lead_days as i32)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        issue_renewals(&mut tx, &due, now, renewal, budgets).await?;
        tx.commit().await?;
        if due.is_empty() {
            return Ok(report);
        }
        report.marked += due.len() as u64;
        report.effects_runs += due.len() as u64;
        report.batches += 1;
    }
}

/// The `run-retention` sweep: delete the runs that ended before `cutoff` (completed, failed
/// or cancelled; `finished_at` set), with their steps, attempts and outbox rows, `batch` runs
/// per transaction, oldest first, until none is left; each leaves a tombstone in `pruned_run`.
/// Rows of running runs, and operator actions, are never touched. `marked` counts the runs
/// deleted.
pub async fn prune_runs(
    pool: &PgPool,
    cutoff: OffsetDateTime,
    batch: i64,
) -> Result<SweepReport, sqlx::Error> {
    let mut report = SweepReport::default();
    loop {
        let n: i64 = sqlx::query_scalar(
            "WITH gone AS (
                SELECT id, kind, status, finished_at FROM workflow_run
                 WHERE status <> 'running' AND finished_at < $1
                 ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED
             ), steps AS (
                SELECT s.id FROM workflow_step s JOIN gone g ON s.run_id = g.id
             ), a AS (
                DELETE FROM step_attempt WHERE run_id IN (SELECT id FROM gone)
             ), o AS (
                DELETE FROM outbox WHERE step_id IN (SELECT id FROM steps)
             ), s AS (
                DELETE FROM workflow_step WHERE id IN (SELECT id FROM steps)
             ), r AS (
                DELETE FROM workflow_run WHERE id IN (SELECT id FROM gone) RETURNING id
             ), t AS (
                INSERT INTO pruned_run (id, kind, status, finished_at)
                SELECT id, kind, status, finished_at FROM gone
                ON CONFLICT (id) DO NOTHING
             )
             SELECT count(*) FROM r",
        )
        .bind(cutoff)
        .bind(batch)
        .fetch_one(pool)
        .await?;
        if n == 0 {
            return Ok(report);
        }
        report.marked += n as u64;
        report.batches += 1;
    }
}

/// Whether run `id` was deleted by the `run-retention` sweep ([`prune_runs`]).
pub async fn was_pruned(pool: &PgPool, id: uuid::Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pruned_run WHERE id = $1)")
        .bind(id)
        .fetch_one(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `misps` active MISP partners `m1..` and `licences` active licences `k1..` spread over
    /// them round-robin; every `valid_every`-th licence is still valid (a day left), the
    /// others ended an hour ago.
    async fn misps_with_licences(pool: &PgPool, misps: i32, licences: i32, valid_every: i32) {
        sqlx::query(
            "INSERT INTO partner (id, name, address, contact_no, email_id, user_id, partner_type_code,
                                  approval_status, is_active, cr_by)
             SELECT 'm' || i, 'M' || i, 'a', '1', 'm' || i || '@example.org', 'm' || i,
                    'MISP_Partner', 'approved', true, 't'
               FROM generate_series(1, $1) i",
        )
        .bind(misps)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO misp_license (misp_id, license_key, valid_to_date, is_active, cr_by)
             SELECT 'm' || (1 + i % $1), 'k' || i,
                    CASE WHEN i % $3 = 0 THEN now() + interval '1 day'
                         ELSE now() - interval '1 hour' END,
                    true, 't'
               FROM generate_series(1, $2) i",
        )
        .bind(misps)
        .bind(licences)
        .bind(valid_every)
        .execute(pool)
        .await
        .unwrap();
    }

    /// Each lane takes whole MISPs: lane 0 and lane 1 of 2 mark disjoint sets of MISPs that
    /// together cover every MISP with an expired licence, and neither marks a valid licence.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_lane_takes_whole_misps(pool: PgPool) {
        misps_with_licences(&pool, 40, 400, 4).await;
        // The licences (key, MISP) each lane marked.
        let mut marked_by: Vec<Vec<(String, String)>> = Vec::new();
        for index in 0..2 {
            let mut tx = pool.begin().await.unwrap();
            let lane = Lane { index, of: 2 };
            let n = expire_licences_batch(
                &mut tx,
                OffsetDateTime::now_utc(),
                1000,
                lane,
                None,
                &Budgets::default(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let before: Vec<String> = marked_by.iter().flatten().map(|(k, _)| k.clone()).collect();
            let now_marked: Vec<(String, String)> = sqlx::query_as(
                "SELECT license_key, misp_id FROM misp_license
                  WHERE NOT is_active AND license_key <> ALL($1)",
            )
            .bind(&before)
            .fetch_all(&pool)
            .await
            .unwrap();
            assert_eq!(n as usize, now_marked.len());
            assert!(n > 0, "lane {index} marked nothing");
            marked_by.push(now_marked);
        }
        // Every expired licence is marked, no valid one, and no MISP is shared by the lanes.
        let (expired_left, valid_marked, misps_marked): (i64, i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE is_active AND valid_to_date <= now()),
                    count(*) FILTER (WHERE NOT is_active AND valid_to_date > now()),
                    count(DISTINCT misp_id) FILTER (WHERE NOT is_active)
               FROM misp_license",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((expired_left, valid_marked), (0, 0));
        let misps = |lane: usize| {
            let mut m: Vec<&str> = marked_by[lane].iter().map(|(_, m)| m.as_str()).collect();
            m.sort_unstable();
            m.dedup();
            m
        };
        let (lane0, lane1) = (misps(0), misps(1));
        assert!(
            lane0.iter().all(|m| !lane1.contains(m)),
            "a MISP in both lanes"
        );
        assert_eq!((lane0.len() + lane1.len()) as i64, misps_marked);
    }

    /// Two lanes over the same expired licences: each licence is marked once and gets one
    /// effects run; the MISPs' runs keep one ordering sequence each.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn lanes_share_the_work_without_overlap(pool: PgPool) {
        misps_with_licences(&pool, 7, 600, 3).await;
        let report = expire_licences(
            &pool,
            OffsetDateTime::now_utc(),
            50,
            2,
            None,
            &Budgets::default(),
        )
        .await
        .unwrap();
        assert_eq!(report.marked, 400);
        let (inactive, runs, distinct_subjects_seq): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM misp_license WHERE NOT is_active),
                    (SELECT count(*) FROM workflow_run WHERE kind = 'effects'),
                    (SELECT count(DISTINCT ordering_seq) FROM workflow_run WHERE kind = 'effects')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((inactive, runs, distinct_subjects_seq), (400, 400, 400));
        // Per MISP, exactly one run may start; the others wait for it.
        let started: i64 =
            sqlx::query_scalar("SELECT count(*) FROM workflow_step WHERE status = 'queued'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(started, 7);
    }
}

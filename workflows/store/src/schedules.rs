//! Scheduler state in Postgres: one `cron_fire` row per `(schedule, fire time)` across every
//! replica, pause flags (`schedule_state`), and starting the sweep run of a fire
//! (DESIGN.md §3; engines.md §1.13: apalis-cron fires in every process, so the uniqueness lives
//! here).
//!
//! [`fire`] is the whole decision for one schedule at one instant, under a transaction-scoped
//! advisory lock on the schedule: paused → nothing; not due → nothing; the previous run of the
//! schedule still running → the fire is recorded `skipped`; otherwise the sweep run is created
//! and the fire recorded `started`, in the same transaction.

use pmsflow_core::{
    schedule::{sweep_steps, CronSchedule},
    workflow::{Budgets, WorkflowKind},
};
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::runs::{self, NewRun};

/// What a recorded fire did (`cron_fire.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The fire started a sweep run.
    Started,
    /// The previous run of the schedule was still running: no run.
    Skipped,
    /// An operator fired the schedule by hand.
    Triggered,
}

impl Outcome {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Skipped => "skipped",
            Self::Triggered => "triggered",
        }
    }
}

/// What [`fire`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fire {
    /// The schedule is paused.
    Paused,
    /// No fire time since the last recorded fire.
    NotDue,
    /// This call recorded the fire at `fire_at` and started `run_id`.
    Started {
        /// Fire time.
        fire_at: OffsetDateTime,
        /// The sweep run.
        run_id: Uuid,
    },
    /// This call recorded the fire at `fire_at` as skipped: the previous run still runs.
    Skipped {
        /// Fire time.
        fire_at: OffsetDateTime,
    },
}

/// The latest recorded fire of a schedule, with its run's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LastFire {
    /// Fire time.
    pub fire_at: OffsetDateTime,
    /// The run it started (none when skipped).
    pub run_id: Option<Uuid>,
    /// `started`, `skipped` or `triggered`.
    pub outcome: String,
    /// Status of that run: `running`, `completed`, `failed`, `cancelled`.
    pub run_status: Option<String>,
}

/// The latest recorded fire of `schedule`.
pub async fn last_fire(
    conn: &mut PgConnection,
    schedule: &str,
) -> Result<Option<LastFire>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.fire_at, f.run_id, f.outcome, r.status AS run_status
           FROM cron_fire f LEFT JOIN workflow_run r ON r.id = f.run_id
          WHERE f.schedule = $1 ORDER BY f.fire_at DESC LIMIT 1",
    )
    .bind(schedule)
    .fetch_optional(conn)
    .await
}

/// Whether a run started by `schedule` is still running.
pub async fn run_in_progress(conn: &mut PgConnection, schedule: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM cron_fire f JOIN workflow_run r ON r.id = f.run_id
                         WHERE f.schedule = $1 AND r.status = 'running')",
    )
    .bind(schedule)
    .fetch_one(conn)
    .await
}

/// Whether `schedule` is paused.
pub async fn is_paused(conn: &mut PgConnection, schedule: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, bool>("SELECT paused FROM schedule_state WHERE name = $1")
            .bind(schedule)
            .fetch_optional(conn)
            .await?
            .unwrap_or(false),
    )
}

/// Pause or resume `schedule`.
pub async fn set_paused(
    conn: &mut PgConnection,
    schedule: &str,
    paused: bool,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schedule_state (name, paused, updated_by) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE
            SET paused = EXCLUDED.paused, updated_by = EXCLUDED.updated_by, updated_at = now()",
    )
    .bind(schedule)
    .bind(paused)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Record the fire of `schedule` at `fire_at`; `false` when that fire is already recorded.
pub async fn record_fire(
    conn: &mut PgConnection,
    schedule: &str,
    fire_at: OffsetDateTime,
    run_id: Option<Uuid>,
    outcome: Outcome,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO cron_fire (schedule, fire_at, run_id, outcome) VALUES ($1, $2, $3, $4)
         ON CONFLICT (schedule, fire_at) DO NOTHING",
    )
    .bind(schedule)
    .bind(fire_at)
    .bind(run_id)
    .bind(outcome.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

async fn lock(conn: &mut PgConnection, schedule: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('schedule:' || $1, 0))")
        .bind(schedule)
        .execute(conn)
        .await?;
    Ok(())
}

async fn start_run(
    conn: &mut PgConnection,
    schedule: &str,
    fire_at: OffsetDateTime,
    by: &str,
    budgets: &Budgets,
) -> Result<Uuid, sqlx::Error> {
    let created = runs::create_run(
        conn,
        NewRun {
            kind: WorkflowKind::Sweep,
            subject: Some(schedule.to_owned()),
            input: json!({"schedule": schedule, "fireAt": fire_at.unix_timestamp()}),
            idempotency_key: None,
            created_by: by.to_owned(),
            owner_partner_id: None,
            steps: sweep_steps(schedule, budgets),
            ordering_key: None,
        },
    )
    .await?;
    Ok(created.run_id)
}

/// Decide and record the fire of `schedule` at `now` (see the module doc), in one transaction.
pub async fn fire(
    pool: &PgPool,
    schedule: &CronSchedule,
    now: OffsetDateTime,
    budgets: &Budgets,
) -> Result<Fire, sqlx::Error> {
    let name = schedule.name();
    let mut tx = pool.begin().await?;
    lock(&mut tx, name).await?;
    if is_paused(&mut tx, name).await? {
        return Ok(Fire::Paused);
    }
    let last = last_fire(&mut tx, name).await?.map(|f| f.fire_at);
    let Some(fire_at) = schedule.due(last, now) else {
        return Ok(Fire::NotDue);
    };
    let outcome = if run_in_progress(&mut tx, name).await? {
        record_fire(&mut tx, name, fire_at, None, Outcome::Skipped).await?;
        Fire::Skipped { fire_at }
    } else {
        let run_id = start_run(
            &mut tx,
            name,
            fire_at,
            pmsflow_core::actors::SCHEDULER,
            budgets,
        )
        .await?;
        record_fire(&mut tx, name, fire_at, Some(run_id), Outcome::Started).await?;
        Fire::Started { fire_at, run_id }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Fire `schedule` now by hand (operator "trigger now"), even when paused; `None` when a run
/// of the schedule is still running (nothing is recorded then). The fire time is `now` to the
/// microsecond, as Postgres keeps it.
pub async fn trigger(
    pool: &PgPool,
    schedule: &str,
    now: OffsetDateTime,
    by: &str,
    budgets: &Budgets,
) -> Result<Option<Uuid>, sqlx::Error> {
    let fire_at = now
        .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
    let mut tx = pool.begin().await?;
    lock(&mut tx, schedule).await?;
    if run_in_progress(&mut tx, schedule).await? {
        return Ok(None);
    }
    let run_id = start_run(&mut tx, schedule, fire_at, by, budgets).await?;
    if !record_fire(&mut tx, schedule, fire_at, Some(run_id), Outcome::Triggered).await? {
        // Triggered twice in the same microsecond: the first one stands.
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(run_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmsflow_core::schedule::sweeps;
    use time::macros::datetime;

    fn nightly() -> CronSchedule {
        CronSchedule::parse(sweeps::LICENCE_EXPIRY, "0 3 * * *").unwrap()
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn one_run_per_fire_across_replicas(pool: PgPool) {
        let s = nightly();
        let now = datetime!(2026-11-22 10:00 UTC);
        let b = Budgets::default();
        // Two replicas fire at the same instant: one run.
        let (a, c) = tokio::join!(fire(&pool, &s, now, &b), fire(&pool, &s, now, &b));
        let outcomes = [a.unwrap(), c.unwrap()];
        let started = outcomes
            .iter()
            .filter(|o| matches!(o, Fire::Started { .. }))
            .count();
        assert_eq!(started, 1, "{outcomes:?}");
        assert!(outcomes.contains(&Fire::NotDue), "{outcomes:?}");
        let runs: i64 =
            sqlx::query_scalar("SELECT count(*) FROM workflow_run WHERE kind = 'sweep'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(runs, 1);
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn running_previous_run_skips_and_pause_holds(pool: PgPool) {
        let s = nightly();
        let b = Budgets::default();
        let Fire::Started { run_id, .. } = fire(&pool, &s, datetime!(2026-11-22 10:00 UTC), &b)
            .await
            .unwrap()
        else {
            panic!("first fire starts a run");
        };
        // The next night, the first run still runs: skipped, recorded once.
        let next = datetime!(2026-11-23 03:00:05 UTC);
        assert_eq!(
            fire(&pool, &s, next, &b).await.unwrap(),
            Fire::Skipped {
                fire_at: datetime!(2026-11-23 03:00 UTC)
            }
        );
        assert_eq!(fire(&pool, &s, next, &b).await.unwrap(), Fire::NotDue);
        // Trigger now refuses while it runs.
        assert_eq!(
            trigger(&pool, s.name(), next, "op", &b).await.unwrap(),
            None
        );
        sqlx::query("UPDATE workflow_run SET status = 'completed' WHERE id = $1")
            .bind(run_id)
            .execute(&pool)
            .await
            .unwrap();
        // Paused: nothing, even when due; resumed: the missed fires collapse into one.
        let mut conn = pool.acquire().await.unwrap();
        set_paused(&mut conn, s.name(), true, "op").await.unwrap();
        let later = datetime!(2026-11-26 09:00 UTC);
        assert_eq!(fire(&pool, &s, later, &b).await.unwrap(), Fire::Paused);
        set_paused(&mut conn, s.name(), false, "op").await.unwrap();
        assert!(matches!(
            fire(&pool, &s, later, &b).await.unwrap(),
            Fire::Started { fire_at, .. } if fire_at == datetime!(2026-11-26 03:00 UTC)
        ));
        let last = last_fire(&mut conn, s.name()).await.unwrap().unwrap();
        assert_eq!(
            (last.outcome.as_str(), last.run_status.as_deref()),
            ("started", Some("running"))
        );
    }
}

//! # pmsflow-scheduler
//!
//! The scheduler role: every `tick` it asks, for each configured sweep, whether a fire is due
//! and starts it ([`pmsflow_store::schedules::fire`]). Any number of replicas may run it: a
//! fire is recorded once per `(schedule, fire time)` under a per-schedule lock, so it starts at
//! most one run; a fire is skipped while the previous run of its schedule still runs; fires
//! missed while no replica ran collapse into one, caught up on start (DESIGN.md §3, engines.md
//! §1.13). The sweep runs themselves are executed by the workers.

use std::time::Duration;

use pmsflow_core::{
    schedule::{CronSchedule, ScheduleError},
    workflow::Budgets,
};
use pmsflow_store::schedules::{self, Fire};
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// The configured sweeps, parsed.
///
/// # Errors
/// The first unknown sweep name or bad cron expression of `[scheduler.schedules]`.
pub fn parse_schedules(
    config: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<CronSchedule>, ScheduleError> {
    config
        .iter()
        .map(|(name, expr)| CronSchedule::parse(name, expr))
        .collect()
}

/// One scheduler replica.
#[derive(Debug, Clone)]
pub struct Scheduler {
    pool: PgPool,
    schedules: Vec<CronSchedule>,
    budgets: Budgets,
}

impl Scheduler {
    /// A scheduler for `schedules`, starting runs with `budgets`.
    pub fn new(pool: PgPool, schedules: Vec<CronSchedule>, budgets: Budgets) -> Self {
        Self {
            pool,
            schedules,
            budgets,
        }
    }

    /// Look at every schedule once at `now`; returns what each decided, by schedule name.
    ///
    /// # Errors
    /// A database error (the other schedules of this tick are not looked at).
    pub async fn tick(&self, now: OffsetDateTime) -> Result<Vec<(String, Fire)>, sqlx::Error> {
        let mut out = Vec::with_capacity(self.schedules.len());
        for s in &self.schedules {
            let fire = schedules::fire(&self.pool, s, now, &self.budgets).await?;
            match fire {
                Fire::Started { fire_at, run_id } => {
                    tracing::info!(schedule = s.name(), %fire_at, %run_id, "sweep started");
                }
                Fire::Skipped { fire_at } => tracing::warn!(
                    schedule = s.name(),
                    %fire_at,
                    "fire skipped: the previous run of this schedule is still running"
                ),
                Fire::Paused | Fire::NotDue => {}
            }
            out.push((s.name().to_owned(), fire));
        }
        Ok(out)
    }

    /// Tick every `every` until `cancel`; a failed tick is logged and retried next time.
    pub async fn run(self, every: Duration, cancel: CancellationToken) {
        loop {
            if let Err(e) = self.tick(OffsetDateTime::now_utc()).await {
                tracing::warn!(error = %e, "scheduler tick failed");
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use time::macros::datetime;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn configuration_is_checked() {
        assert!(parse_schedules(&config(&[("licence-expiry", "0 3 * * *")])).is_ok());
        assert!(parse_schedules(&config(&[("licence-expiry", "0 25 * * *")])).is_err());
        assert!(parse_schedules(&config(&[("cleanup", "0 3 * * *")])).is_err());
    }

    /// Two scheduler replicas ticking over three days: one run per fire, and a fire missed
    /// while both were down is caught up once.
    #[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
    async fn two_replicas_one_run_per_fire(pool: PgPool) {
        let schedules = parse_schedules(&config(&[
            ("licence-expiry", "0 3 * * *"),
            ("api-key-expiry", "30 3 * * *"),
        ]))
        .unwrap();
        let a = Scheduler::new(pool.clone(), schedules.clone(), Budgets::default());
        let b = Scheduler::new(pool.clone(), schedules, Budgets::default());
        let instants = [
            datetime!(2026-11-22 03:40 UTC),
            datetime!(2026-11-22 03:41 UTC),
            datetime!(2026-11-23 03:35 UTC),
            // 24th: nobody ran. 25th: both come back.
            datetime!(2026-11-25 04:00 UTC),
            datetime!(2026-11-25 04:01 UTC),
        ];
        for now in instants {
            let (x, y) = tokio::join!(a.tick(now), b.tick(now));
            x.unwrap();
            y.unwrap();
            // Runs finish between ticks.
            sqlx::query("UPDATE workflow_run SET status = 'completed' WHERE kind = 'sweep'")
                .execute(&pool)
                .await
                .unwrap();
        }
        let fires: Vec<(String, OffsetDateTime)> = sqlx::query_as(
            "SELECT schedule, fire_at FROM cron_fire WHERE run_id IS NOT NULL ORDER BY schedule, fire_at",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let expected: Vec<(String, OffsetDateTime)> = [
            ("api-key-expiry", datetime!(2026-11-22 03:30 UTC)),
            ("api-key-expiry", datetime!(2026-11-23 03:30 UTC)),
            ("api-key-expiry", datetime!(2026-11-25 03:30 UTC)),
            ("licence-expiry", datetime!(2026-11-22 03:00 UTC)),
            ("licence-expiry", datetime!(2026-11-23 03:00 UTC)),
            ("licence-expiry", datetime!(2026-11-25 03:00 UTC)),
        ]
        .iter()
        .map(|(s, t)| ((*s).to_owned(), *t))
        .collect();
        assert_eq!(fires, expected);
        let runs: i64 =
            sqlx::query_scalar("SELECT count(*) FROM workflow_run WHERE kind = 'sweep'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(runs, 6);
    }
}

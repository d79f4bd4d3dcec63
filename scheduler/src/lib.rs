//! # pmsflow-scheduler
//!
//! The scheduler role's foundation: a cron fire is claimed in Postgres so that, across any
//! number of replicas, each `(schedule, fire time)` starts at most one run (DESIGN.md §3,
//! engines.md §1.13: apalis-cron ticks in every process). The sweeps themselves (licence,
//! certificate and API-key expiry) build on [`claim_fire`].

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Claim the fire of `schedule` at `fire_at` for `run_id`, in the caller's transaction (write
/// the run in the same transaction). Returns `false` when another replica already claimed it.
pub async fn claim_fire(
    conn: &mut PgConnection,
    schedule: &str,
    fire_at: OffsetDateTime,
    run_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO cron_fire (schedule, fire_at, run_id) VALUES ($1, $2, $3)
         ON CONFLICT (schedule, fire_at) DO NOTHING",
    )
    .bind(schedule)
    .bind(fire_at)
    .bind(run_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::PgPool;

    #[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
    async fn a_fire_is_claimed_once(pool: PgPool) {
        let at = time::macros::datetime!(2026-11-22 03:00 UTC);
        let mut a = pool.acquire().await.unwrap();
        let mut b = pool.acquire().await.unwrap();
        assert!(claim_fire(&mut a, "licence-expiry", at, Uuid::now_v7())
            .await
            .unwrap());
        assert!(!claim_fire(&mut b, "licence-expiry", at, Uuid::now_v7())
            .await
            .unwrap());
        assert!(claim_fire(&mut b, "certificate-expiry", at, Uuid::now_v7())
            .await
            .unwrap());
    }
}

//! The API's own pool: its statements are bounded by `statement_timeout`, the workers' pool
//! is not touched.

use std::time::Duration;

use sqlx::PgPool;

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn api_statements_end_at_the_statement_timeout(pool: PgPool) {
    let api = pmsflow_store::db::api_pool(&pool, 2, Duration::from_millis(200));
    let setting: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&api)
        .await
        .unwrap();
    assert_eq!(setting, "200ms");
    let err = sqlx::query("SELECT pg_sleep(5)")
        .execute(&api)
        .await
        .expect_err("cancelled by statement_timeout");
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("57014"), "{err}");
    // The workers' pool keeps Postgres' default (no timeout).
    let setting: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(setting, "0");
}

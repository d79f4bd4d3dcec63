//! Pool and migrations.

use std::time::Duration;

use sqlx::{postgres::PgPoolOptions, PgPool};

use crate::config::DatabaseSettings;

/// The SQL migrations of `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Connect a pool to `settings.url`; fails if Postgres does not answer within 10 s.
pub async fn connect(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&settings.url)
        .await
}

/// The API's own pool to the database of `pool`: at most `max_connections`, every statement
/// bounded by Postgres' `statement_timeout` (a statement over it fails with SQLSTATE 57014,
/// answered as an internal error), connections opened on first use. Requests then never wait
/// for the workers' connections, nor hold them.
pub fn api_pool(pool: &PgPool, max_connections: u32, statement_timeout: Duration) -> PgPool {
    let options = (*pool.connect_options()).clone().options([(
        "statement_timeout",
        format!("{}", statement_timeout.as_millis()),
    )]);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options)
}

/// Apply pending migrations (idempotent; safe to run from several processes at once, sqlx
/// takes an advisory lock). Migrations the database has and this binary does not know (a
/// newer release migrated it: a rolling upgrade, or a rollback) are left alone: migrations are
/// additive, so an older binary still runs on the newer schema.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator = sqlx::migrate!("../../migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await
}

/// Create the database named in `url` if it does not exist (used by `pmsflow migrate` and the
/// demo on a fresh machine). Connects to the `postgres` maintenance database of the same server.
pub async fn ensure_database(url: &str) -> Result<(), sqlx::Error> {
    use sqlx::{postgres::PgConnectOptions, ConnectOptions, Connection};
    use std::str::FromStr;
    let opts = PgConnectOptions::from_str(url)?;
    let Some(name) = opts.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let mut conn = opts.clone().database("postgres").connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        sqlx::query(&format!("CREATE DATABASE {quoted}"))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await
}

//! Sign-out: a session token stays refused until its own expiry, on every API replica.
//!
//! Tokens are kept as their SHA-256 (`revoked_session`), never in clear; a row outlives its
//! use by nothing: expired rows are deleted by the next sign-out.

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::OffsetDateTime;

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Refuse `token` from now until `expires_at` (its `exp`, seconds since the Unix epoch), and
/// forget tokens that have expired meanwhile. Idempotent.
pub async fn revoke(pool: &PgPool, token: &str, expires_at: i64) -> Result<(), sqlx::Error> {
    let expires_at =
        OffsetDateTime::from_unix_timestamp(expires_at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    sqlx::query(
        "WITH gone AS (DELETE FROM revoked_session WHERE expires_at < now())
         INSERT INTO revoked_session (token_sha256, expires_at) VALUES ($1, $2)
         ON CONFLICT (token_sha256) DO NOTHING",
    )
    .bind(digest(token))
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether `token` was signed out ([`revoke`]).
pub async fn is_revoked(pool: &PgPool, token: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revoked_session WHERE token_sha256 = $1)")
        .bind(digest(token))
        .fetch_one(pool)
        .await
}

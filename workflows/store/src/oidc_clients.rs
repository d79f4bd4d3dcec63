//! eSignet OIDC clients (`oidc_client`; PMS `pms.oidc_client`, mosip-pms.md §2.1, §6.6).
//!
//! The row is the reservation of a client id: [`reserve`] writes it `PENDING` in the caller's
//! transaction, together with the run that creates the client in eSignet, so no eSignet client
//! ever exists without a local record (PMS 1.2.0.1 saves after the eSignet call and the event,
//! so a failure in between leaves an orphan). The run's local step [`apply`]s the outcome.

use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// An `oidc_client` row with its policy's name, as `GET /oidc/client/{id}` answers it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OidcClientRow {
    /// clientId.
    pub id: String,
    /// Client name.
    pub name: String,
    /// The `Auth_Partner` id (`relyingPartyId`).
    pub rp_id: String,
    /// Auth policy id.
    pub policy_id: String,
    /// Its name (`None` if the policy was deleted).
    pub policy_name: Option<String>,
    /// Logo URL.
    pub logo_uri: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Claims derived from the policy.
    pub claims: Vec<String>,
    /// ACRs derived from the policy.
    pub acr_values: Vec<String>,
    /// The canonical JWK JSON.
    pub public_key: String,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// Client auth methods.
    pub auth_methods: Vec<String>,
    /// `PENDING` (its creation run has not finished), `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// The run that created or last updated it.
    pub run_id: Uuid,
    /// Created at.
    pub cr_dtimes: OffsetDateTime,
}

/// A client to reserve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewClient {
    /// clientId.
    pub id: String,
    /// Client name.
    pub name: String,
    /// The `Auth_Partner` id.
    pub rp_id: String,
    /// Auth policy id.
    pub policy_id: String,
    /// Logo URL.
    pub logo_uri: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Claims.
    pub claims: Vec<String>,
    /// ACRs.
    pub acr_values: Vec<String>,
    /// The canonical JWK JSON.
    pub public_key: String,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// Client auth methods.
    pub auth_methods: Vec<String>,
}

/// What an update changes (PMS `ClientDetailUpdateRequest`, claims and ACRs never change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientUpdate {
    /// Client name.
    pub name: String,
    /// Logo URL.
    pub logo_uri: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// Client auth methods.
    pub auth_methods: Vec<String>,
}

/// The database change a client run's local step commits with its completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum OidcWrite {
    /// eSignet holds the client: `PENDING` → `ACTIVE`.
    Activate {
        /// clientId.
        client_id: String,
    },
    /// eSignet took the update: store it.
    Update {
        /// clientId.
        client_id: String,
        /// The new values.
        update: ClientUpdate,
    },
}

const SELECT: &str = "SELECT c.id, c.name, c.rp_id, c.policy_id, p.name AS policy_name, c.logo_uri,
        c.redirect_uris, c.claims, c.acr_values, c.public_key, c.grant_types, c.auth_methods,
        c.status, c.run_id, c.cr_dtimes
   FROM oidc_client c LEFT JOIN auth_policy p ON p.id = c.policy_id";

/// The client `id`, if any.
pub async fn client<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    id: &str,
) -> Result<Option<OidcClientRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await
}

/// The clients of partner `rp_id`, oldest first.
pub async fn clients_of<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    rp_id: &str,
) -> Result<Vec<OidcClientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE c.rp_id = $1 ORDER BY c.cr_dtimes, c.id"
    ))
    .bind(rp_id)
    .fetch_all(executor)
    .await
}

/// Reserve `client` for the run `run_id`, on `conn` (the transaction that creates the run).
/// A `PENDING` row whose creation run failed or was cancelled is taken over (its client may
/// or may not exist in eSignet; the new run reconciles either way). Returns `false`, writing
/// nothing, when the id (or public key) is held by a live client.
pub async fn reserve(
    conn: &mut PgConnection,
    client: &NewClient,
    run_id: Uuid,
    by: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "DELETE FROM oidc_client c USING workflow_run r
          WHERE c.id = $1 AND c.status = 'PENDING' AND r.id = c.run_id
            AND r.status IN ('failed', 'cancelled')",
    )
    .bind(&client.id)
    .execute(&mut *conn)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO oidc_client (id, name, rp_id, policy_id, logo_uri, redirect_uris, claims,
             acr_values, public_key, grant_types, auth_methods, status, run_id, cr_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'PENDING', $12, $13)
         ON CONFLICT DO NOTHING",
    )
    .bind(&client.id)
    .bind(&client.name)
    .bind(&client.rp_id)
    .bind(&client.policy_id)
    .bind(&client.logo_uri)
    .bind(&client.redirect_uris)
    .bind(&client.claims)
    .bind(&client.acr_values)
    .bind(&client.public_key)
    .bind(&client.grant_types)
    .bind(&client.auth_methods)
    .bind(run_id)
    .bind(by)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Point the client at the update run `run_id` (in the run's transaction), so the console
/// and `GET` show which run last touched it. `false` if the client does not exist.
pub async fn mark_updating(
    conn: &mut PgConnection,
    id: &str,
    run_id: Uuid,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE oidc_client SET run_id = $2, upd_by = $3, upd_dtimes = now() WHERE id = $1",
    )
    .bind(id)
    .bind(run_id)
    .bind(by)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Apply `write` (idempotent: activating an active client or storing the same update again
/// changes nothing). Returns `false` when the client no longer exists.
pub async fn apply(
    conn: &mut PgConnection,
    write: &OidcWrite,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let n = match write {
        OidcWrite::Activate { client_id } => sqlx::query(
            "UPDATE oidc_client SET status = CASE WHEN status = 'PENDING' THEN 'ACTIVE' ELSE status END,
                    upd_by = $2, upd_dtimes = now()
              WHERE id = $1",
        )
        .bind(client_id)
        .bind(by)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        OidcWrite::Update { client_id, update } => sqlx::query(
            "UPDATE oidc_client SET name = $2, logo_uri = $3, redirect_uris = $4, status = $5,
                    grant_types = $6, auth_methods = $7, upd_by = $8, upd_dtimes = now()
              WHERE id = $1",
        )
        .bind(client_id)
        .bind(&update.name)
        .bind(&update.logo_uri)
        .bind(&update.redirect_uris)
        .bind(&update.status)
        .bind(&update.grant_types)
        .bind(&update.auth_methods)
        .bind(by)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
    };
    Ok(n == 1)
}

/// `true` when client `id` exists and is not a `PENDING` reservation whose creation run failed
/// or was cancelled (such a reservation is taken over by the next [`reserve`]).
pub async fn is_live<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM oidc_client c JOIN workflow_run r ON r.id = c.run_id
                         WHERE c.id = $1
                           AND NOT (c.status = 'PENDING' AND r.status IN ('failed', 'cancelled')))",
    )
    .bind(id)
    .fetch_one(executor)
    .await
}

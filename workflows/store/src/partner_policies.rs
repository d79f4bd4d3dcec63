//! Policy mapping requests and API keys (`partner_policy_request`, `partner_policy`;
//! mosip-pms.md §2.1, §6.4).

use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;

/// A `partner_policy_request` row with its policy's name.
#[derive(Debug, Clone, FromRow)]
pub struct MappingRequestRow {
    /// Id (the `mappingkey`).
    pub id: String,
    /// Partner id.
    pub part_id: String,
    /// Policy id.
    pub policy_id: String,
    /// Policy name.
    pub policy_name: String,
    /// Use-case description.
    pub request_detail: String,
    /// `InProgress`, `approved`, `rejected`.
    pub status_code: String,
    /// When it was requested.
    pub request_datetimes: OffsetDateTime,
}

const REQUEST_SELECT: &str =
    "SELECT r.id, r.part_id, r.policy_id, p.name AS policy_name, r.request_detail,
        r.status_code, r.request_datetimes
   FROM partner_policy_request r JOIN auth_policy p ON p.id = r.policy_id";

/// The partner's request for a policy that is in progress or approved, if any.
pub async fn open_request(
    conn: &mut PgConnection,
    partner_id: &str,
    policy_id: &str,
) -> Result<Option<MappingRequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{REQUEST_SELECT} WHERE r.part_id = $1 AND r.policy_id = $2
            AND r.status_code IN ('InProgress', 'approved')
          ORDER BY r.request_datetimes LIMIT 1"
    ))
    .bind(partner_id)
    .bind(policy_id)
    .fetch_optional(conn)
    .await
}

/// The partner's first request for the policy, whatever its status: the one PMS 1.2.0.1's
/// OIDC client creation checks (`ClientManagementServiceImpl#createOIDCClient` takes
/// `get(0)` of the partner's requests for the policy).
pub async fn first_request(
    conn: &mut PgConnection,
    partner_id: &str,
    policy_id: &str,
) -> Result<Option<MappingRequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{REQUEST_SELECT} WHERE r.part_id = $1 AND r.policy_id = $2
          ORDER BY r.request_datetimes, r.id LIMIT 1"
    ))
    .bind(partner_id)
    .bind(policy_id)
    .fetch_optional(conn)
    .await
}

/// The partner's latest request for the policy, whatever its status.
pub async fn latest_request(
    conn: &mut PgConnection,
    partner_id: &str,
    policy_id: &str,
) -> Result<Option<MappingRequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{REQUEST_SELECT} WHERE r.part_id = $1 AND r.policy_id = $2
          ORDER BY r.request_datetimes DESC, r.id DESC LIMIT 1"
    ))
    .bind(partner_id)
    .bind(policy_id)
    .fetch_optional(conn)
    .await
}

/// A request with its partner's organisation name, as PMS's `ApikeyRequests` lists it.
#[derive(Debug, Clone, FromRow)]
pub struct RequestView {
    /// Request id (`apiKeyReqNo`).
    pub id: String,
    /// Partner id.
    pub part_id: String,
    /// The partner's organisation name.
    pub organization_name: String,
    /// Policy id.
    pub policy_id: String,
    /// Use-case description.
    pub request_detail: String,
    /// `InProgress`, `approved`, `rejected`.
    pub status_code: String,
}

/// Every request (oldest first), or the one with id `id`.
pub async fn request_views(
    conn: &mut PgConnection,
    id: Option<&str>,
) -> Result<Vec<RequestView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, r.part_id, p.name AS organization_name, r.policy_id, r.request_detail,
                r.status_code
           FROM partner_policy_request r JOIN partner p ON p.id = r.part_id
          WHERE $1::text IS NULL OR r.id = $1
          ORDER BY r.request_datetimes, r.id",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Insert an `InProgress` request.
pub async fn insert_request(
    conn: &mut PgConnection,
    id: &str,
    partner_id: &str,
    policy_id: &str,
    detail: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO partner_policy_request (id, part_id, policy_id, request_detail, status_code, cr_by)
         VALUES ($1, $2, $3, $4, 'InProgress', $5)",
    )
    .bind(id)
    .bind(partner_id)
    .bind(policy_id)
    .bind(detail)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// A request by id, locked for update.
pub async fn request_for_update(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<MappingRequestRow>, sqlx::Error> {
    sqlx::query_as(&format!("{REQUEST_SELECT} WHERE r.id = $1 FOR UPDATE OF r"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Requests of a partner, oldest first.
pub async fn requests_of(
    conn: &mut PgConnection,
    partner_id: &str,
) -> Result<Vec<MappingRequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{REQUEST_SELECT} WHERE r.part_id = $1 ORDER BY r.request_datetimes, r.id"
    ))
    .bind(partner_id)
    .fetch_all(conn)
    .await
}

/// Set a request's status.
pub async fn set_request_status(
    conn: &mut PgConnection,
    id: &str,
    status: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE partner_policy_request SET status_code = $2, upd_by = $3, upd_dtimes = now() WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the partner has an approved request for the policy.
pub async fn is_approved(
    conn: &mut PgConnection,
    partner_id: &str,
    policy_id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_policy_request
                         WHERE part_id = $1 AND policy_id = $2 AND status_code = 'approved')",
    )
    .bind(partner_id)
    .bind(policy_id)
    .fetch_one(conn)
    .await
}

/// A `partner_policy` row (an API key).
#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRow {
    /// The key.
    pub policy_api_key: String,
    /// Partner id.
    pub part_id: String,
    /// Policy id.
    pub policy_id: String,
    /// Label, unique per (partner, policy).
    pub label: String,
    /// Validity start.
    pub valid_from_datetime: OffsetDateTime,
    /// Validity end.
    pub valid_to_datetime: OffsetDateTime,
    /// Active flag.
    pub is_active: bool,
}

const KEY_COLUMNS: &str =
    "policy_api_key, part_id, policy_id, label, valid_from_datetime, valid_to_datetime, is_active";

/// Insert an active key valid until `valid_to`; `None` when the label is taken for this
/// partner and policy.
pub async fn insert_key(
    conn: &mut PgConnection,
    key: &str,
    partner_id: &str,
    policy_id: &str,
    label: &str,
    valid_to: OffsetDateTime,
    by: &str,
) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO partner_policy (policy_api_key, part_id, policy_id, label, valid_to_datetime, is_active, cr_by)
         VALUES ($1, $2, $3, $4, $5, true, $6)
         ON CONFLICT (part_id, policy_id, label) DO NOTHING
         RETURNING {KEY_COLUMNS}"
    ))
    .bind(key)
    .bind(partner_id)
    .bind(policy_id)
    .bind(label)
    .bind(valid_to)
    .bind(by)
    .fetch_optional(conn)
    .await
}

/// The key of (partner, policy, label), locked.
pub async fn key_by_label(
    conn: &mut PgConnection,
    partner_id: &str,
    policy_id: &str,
    label: &str,
) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM partner_policy WHERE part_id = $1 AND policy_id = $2 AND label = $3 FOR UPDATE"
    ))
    .bind(partner_id)
    .bind(policy_id)
    .bind(label)
    .fetch_optional(conn)
    .await
}

/// A key by its value (for a partner), locked.
pub async fn key(
    conn: &mut PgConnection,
    partner_id: &str,
    api_key: &str,
) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM partner_policy WHERE part_id = $1 AND policy_api_key = $2 FOR UPDATE"
    ))
    .bind(partner_id)
    .bind(api_key)
    .fetch_optional(conn)
    .await
}

/// Keys of a partner.
pub async fn keys_of(
    conn: &mut PgConnection,
    partner_id: &str,
) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM partner_policy WHERE part_id = $1 ORDER BY valid_from_datetime, label"
    ))
    .bind(partner_id)
    .fetch_all(conn)
    .await
}

/// Set a key's active flag.
pub async fn set_key_active(
    conn: &mut PgConnection,
    api_key: &str,
    active: bool,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE partner_policy SET is_active = $2, upd_by = $3, upd_dtimes = now() WHERE policy_api_key = $1",
    )
    .bind(api_key)
    .bind(active)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Point a key at another policy; `false` when the key's label is already used with that policy.
pub async fn repoint_key(
    conn: &mut PgConnection,
    api_key: &str,
    policy_id: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE partner_policy k SET policy_id = $2, upd_by = $3, upd_dtimes = now()
          WHERE policy_api_key = $1
            AND NOT EXISTS (SELECT 1 FROM partner_policy o
                             WHERE o.part_id = k.part_id AND o.policy_id = $2 AND o.label = k.label)",
    )
    .bind(api_key)
    .bind(policy_id)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

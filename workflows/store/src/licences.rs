//! MISP licence keys (`misp_license`; mosip-pms.md §9).

use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;

/// A `misp_license` row.
#[derive(Debug, Clone, FromRow)]
pub struct LicenceRow {
    /// MISP partner id.
    pub misp_id: String,
    /// The licence key.
    pub license_key: String,
    /// MISP policy attached, if any.
    pub policy_id: Option<String>,
    /// Validity start.
    pub valid_from_date: OffsetDateTime,
    /// Validity end.
    pub valid_to_date: OffsetDateTime,
    /// Active flag.
    pub is_active: bool,
}

impl LicenceRow {
    /// Active and not past its validity.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.is_active && self.valid_to_date > now
    }
}

const COLUMNS: &str = "misp_id, license_key, policy_id, valid_from_date, valid_to_date, is_active";

/// Licences of a MISP, newest first (`FOR UPDATE` when `lock`).
pub async fn of_misp(
    conn: &mut PgConnection,
    misp_id: &str,
    lock: bool,
) -> Result<Vec<LicenceRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM misp_license WHERE misp_id = $1 ORDER BY valid_from_date DESC{lock}"
    ))
    .bind(misp_id)
    .fetch_all(conn)
    .await
}

/// Every licence (admins), or those of one MISP, newest first.
pub async fn list(
    conn: &mut PgConnection,
    misp_id: Option<&str>,
) -> Result<Vec<LicenceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM misp_license WHERE ($1::text IS NULL OR misp_id = $1)
          ORDER BY misp_id, valid_from_date DESC"
    ))
    .bind(misp_id)
    .fetch_all(conn)
    .await
}

/// Insert an active licence.
pub async fn insert(
    conn: &mut PgConnection,
    misp_id: &str,
    key: &str,
    policy_id: Option<&str>,
    valid_to: OffsetDateTime,
    by: &str,
) -> Result<LicenceRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO misp_license (misp_id, license_key, policy_id, valid_to_date, is_active, cr_by)
         VALUES ($1, $2, $3, $4, true, $5) RETURNING {COLUMNS}"
    ))
    .bind(misp_id)
    .bind(key)
    .bind(policy_id)
    .bind(valid_to)
    .bind(by)
    .fetch_one(conn)
    .await
}

/// Set the active flag of one licence; the row after the change, `None` if it does not exist.
pub async fn set_active(
    conn: &mut PgConnection,
    misp_id: &str,
    key: &str,
    active: bool,
    by: &str,
) -> Result<Option<LicenceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE misp_license SET is_active = $3, upd_by = $4, upd_dtimes = now()
          WHERE misp_id = $1 AND license_key = $2 RETURNING {COLUMNS}"
    ))
    .bind(misp_id)
    .bind(key)
    .bind(active)
    .bind(by)
    .fetch_optional(conn)
    .await
}

/// Deactivate every active licence of a MISP (partner deactivation); the rows changed.
pub async fn deactivate_all(
    conn: &mut PgConnection,
    misp_id: &str,
    by: &str,
) -> Result<Vec<LicenceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE misp_license SET is_active = false, upd_by = $2, upd_dtimes = now()
          WHERE misp_id = $1 AND is_active RETURNING {COLUMNS}"
    ))
    .bind(misp_id)
    .bind(by)
    .fetch_all(conn)
    .await
}

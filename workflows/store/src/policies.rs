//! Policy groups and policies (`policy_group`, `auth_policy`; mosip-pms.md §2.1, §8).
//!
//! Conflicts on unique names are reported as `Ok(false)` / `Ok(None)` from the conditional
//! statements themselves, so two concurrent creations of one name never produce a 500.

use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;

/// A `policy_group` row.
#[derive(Debug, Clone, FromRow)]
pub struct PolicyGroupRow {
    /// Id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Description (`descr`).
    pub descr: String,
    /// Whether partners may use it.
    pub is_active: bool,
    /// Created by.
    pub cr_by: String,
    /// Created at.
    pub cr_dtimes: OffsetDateTime,
    /// Last updated by.
    pub upd_by: Option<String>,
    /// Last updated at.
    pub upd_dtimes: Option<OffsetDateTime>,
}

const GROUP_COLUMNS: &str = "id, name, descr, is_active, cr_by, cr_dtimes, upd_by, upd_dtimes";

/// Insert a group; `None` if the name is taken.
pub async fn insert_group(
    conn: &mut PgConnection,
    id: &str,
    name: &str,
    descr: &str,
    by: &str,
) -> Result<Option<PolicyGroupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO policy_group (id, name, descr, user_id, is_active, cr_by)
         VALUES ($1, $2, $3, $4, true, $4)
         ON CONFLICT (name) DO NOTHING RETURNING {GROUP_COLUMNS}"
    ))
    .bind(id)
    .bind(name)
    .bind(descr)
    .bind(by)
    .fetch_optional(conn)
    .await
}

/// A group by id (`FOR UPDATE` when `lock`).
pub async fn group(
    conn: &mut PgConnection,
    id: &str,
    lock: bool,
) -> Result<Option<PolicyGroupRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM policy_group WHERE id = $1 AND NOT is_deleted{lock}"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A group by name.
pub async fn group_by_name(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Option<PolicyGroupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM policy_group WHERE name = $1 AND NOT is_deleted"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Every group, by name.
pub async fn groups(conn: &mut PgConnection) -> Result<Vec<PolicyGroupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM policy_group WHERE NOT is_deleted ORDER BY name"
    ))
    .fetch_all(conn)
    .await
}

/// Rename / describe / (de)activate a group; `None` if the new name belongs to another group.
pub async fn update_group(
    conn: &mut PgConnection,
    id: &str,
    name: &str,
    descr: &str,
    active: bool,
    by: &str,
) -> Result<Option<PolicyGroupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE policy_group SET name = $2, descr = $3, is_active = $4, upd_by = $5, upd_dtimes = now()
          WHERE id = $1
            AND NOT EXISTS (SELECT 1 FROM policy_group o WHERE o.name = $2 AND o.id <> $1)
         RETURNING {GROUP_COLUMNS}"
    ))
    .bind(id)
    .bind(name)
    .bind(descr)
    .bind(active)
    .bind(by)
    .fetch_optional(conn)
    .await
}

/// Number of active (published, not deactivated) policies in a group.
pub async fn active_policy_count(
    conn: &mut PgConnection,
    group_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM auth_policy WHERE policy_group_id = $1 AND is_active")
        .bind(group_id)
        .fetch_one(conn)
        .await
}

/// Lifecycle of a policy, derived as PMS does plus the deactivation of published policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyStatus {
    /// Created, editable, not usable (`policy_schema` NULL).
    Drafted,
    /// Published and usable.
    Published,
    /// Published, then deactivated (no new mappings or API keys).
    Deactivated,
}

impl PolicyStatus {
    /// PMS's spelling: `DRAFTED`, `PUBLISHED`, `DEACTIVATED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drafted => "DRAFTED",
            Self::Published => "PUBLISHED",
            Self::Deactivated => "DEACTIVATED",
        }
    }
}

/// An `auth_policy` row with its group's name.
#[derive(Debug, Clone, FromRow)]
pub struct PolicyRow {
    /// Id.
    pub id: String,
    /// Group id.
    pub policy_group_id: String,
    /// Group name.
    pub policy_group_name: String,
    /// Name, unique in the group.
    pub name: String,
    /// Description.
    pub descr: String,
    /// The policy document (`policy_file_id`).
    pub policy_file_id: Value,
    /// `Auth`, `DataShare`, `CredentialIssuance` or `MISP`.
    pub policy_type: String,
    /// Free-text version.
    pub version: String,
    /// Schema URL, set on publish.
    pub policy_schema: Option<String>,
    /// Validity start.
    pub valid_from_date: OffsetDateTime,
    /// Validity end.
    pub valid_to_date: OffsetDateTime,
    /// Published and not deactivated.
    pub is_active: bool,
    /// Created by.
    pub cr_by: String,
    /// Created at.
    pub cr_dtimes: OffsetDateTime,
    /// Updated by.
    pub upd_by: Option<String>,
    /// Updated at.
    pub upd_dtimes: Option<OffsetDateTime>,
}

impl PolicyRow {
    /// Derived status.
    pub fn status(&self) -> PolicyStatus {
        match (&self.policy_schema, self.is_active) {
            (None, _) => PolicyStatus::Drafted,
            (Some(_), true) => PolicyStatus::Published,
            (Some(_), false) => PolicyStatus::Deactivated,
        }
    }

    /// `valid_to_date` is past.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.valid_to_date < now
    }
}

const POLICY_SELECT: &str =
    "SELECT p.id, p.policy_group_id, g.name AS policy_group_name, p.name, p.descr,
        p.policy_file_id, p.policy_type, p.version, p.policy_schema, p.valid_from_date,
        p.valid_to_date, p.is_active, p.cr_by, p.cr_dtimes, p.upd_by, p.upd_dtimes
   FROM auth_policy p JOIN policy_group g ON g.id = p.policy_group_id";

/// A policy to create (a draft).
#[derive(Debug, Clone)]
pub struct NewPolicy<'a> {
    /// Id.
    pub id: &'a str,
    /// Group id.
    pub group_id: &'a str,
    /// Name.
    pub name: &'a str,
    /// Description.
    pub descr: &'a str,
    /// Document.
    pub document: &'a Value,
    /// Type.
    pub policy_type: &'a str,
    /// Version.
    pub version: &'a str,
    /// Validity end (PMS: creation + 200 years).
    pub valid_to: OffsetDateTime,
    /// Creator.
    pub by: &'a str,
}

/// Insert a draft; `false` if the id or the name in the group is taken.
pub async fn insert_policy(
    conn: &mut PgConnection,
    p: &NewPolicy<'_>,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO auth_policy (id, policy_group_id, name, descr, policy_file_id, policy_type, version,
                                  valid_to_date, is_active, cr_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, $9)
         ON CONFLICT DO NOTHING",
    )
    .bind(p.id)
    .bind(p.group_id)
    .bind(p.name)
    .bind(p.descr)
    .bind(p.document)
    .bind(p.policy_type)
    .bind(p.version)
    .bind(p.valid_to)
    .bind(p.by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

impl PolicyRow {
    /// `policyData` of the events that carry this policy.
    pub fn event_data(&self) -> pmsflow_core::events::PolicyData<'_> {
        pmsflow_core::events::PolicyData {
            id: &self.id,
            name: &self.name,
            description: &self.descr,
            document: &self.policy_file_id,
            active: self.is_active,
            commence_on: self.valid_from_date,
            expires_on: self.valid_to_date,
        }
    }
}

/// A policy by id (`FOR UPDATE OF p` when `lock`).
pub async fn policy(
    conn: &mut PgConnection,
    id: &str,
    lock: bool,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF p" } else { "" };
    sqlx::query_as(&format!("{POLICY_SELECT} WHERE p.id = $1{lock}"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A policy by name within a group.
pub async fn policy_by_name(
    conn: &mut PgConnection,
    group_id: &str,
    name: &str,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{POLICY_SELECT} WHERE p.policy_group_id = $1 AND p.name = $2"
    ))
    .bind(group_id)
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Policies of a group (all when `group_id` is `None`), by name; only active ones when
/// `active_only`.
pub async fn policies(
    conn: &mut PgConnection,
    group_id: Option<&str>,
    active_only: bool,
) -> Result<Vec<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{POLICY_SELECT} WHERE ($1::text IS NULL OR p.policy_group_id = $1) AND (p.is_active OR NOT $2)
         ORDER BY g.name, p.name"
    ))
    .bind(group_id)
    .bind(active_only)
    .fetch_all(conn)
    .await
}

/// Edit a draft's name, description, document and version (group may change too); `false`
/// when the new name is taken in the group.
#[allow(clippy::too_many_arguments)]
pub async fn update_draft(
    conn: &mut PgConnection,
    id: &str,
    group_id: &str,
    name: &str,
    descr: &str,
    document: &Value,
    version: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE auth_policy SET policy_group_id = $2, name = $3, descr = $4, policy_file_id = $5,
                version = $6, upd_by = $7, upd_dtimes = now()
          WHERE id = $1 AND policy_schema IS NULL
            AND NOT EXISTS (SELECT 1 FROM auth_policy o WHERE o.policy_group_id = $2 AND o.name = $3 AND o.id <> $1)",
    )
    .bind(id)
    .bind(group_id)
    .bind(name)
    .bind(descr)
    .bind(document)
    .bind(version)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Publish a draft: record the schema URL, activate it, restart its validity now.
pub async fn publish(
    conn: &mut PgConnection,
    id: &str,
    schema_url: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE auth_policy SET policy_schema = $2, is_active = true, valid_from_date = now(),
                upd_by = $3, upd_dtimes = now()
          WHERE id = $1 AND policy_schema IS NULL",
    )
    .bind(id)
    .bind(schema_url)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Deactivate a published policy.
pub async fn deactivate(conn: &mut PgConnection, id: &str, by: &str) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE auth_policy SET is_active = false, upd_by = $2, upd_dtimes = now()
          WHERE id = $1 AND policy_schema IS NOT NULL AND is_active",
    )
    .bind(id)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Whether an approved or in-progress mapping request, or an active API key, uses the policy.
pub async fn in_use(conn: &mut PgConnection, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_policy_request
                         WHERE policy_id = $1 AND status_code IN ('approved', 'InProgress'))
             OR EXISTS (SELECT 1 FROM partner_policy WHERE policy_id = $1 AND is_active)",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

//! Partner rows (`partner`, `partner_type`, `policy_group`, `partner_certificate`).

use serde::Serialize;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

/// A partner type row.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerTypeRow {
    /// Code, e.g. `Auth_Partner`.
    pub code: String,
    /// Whether a policy group is mandatory.
    pub is_policy_required: bool,
    /// Whether it may be used.
    pub is_active: bool,
}

/// Look up a partner type by code, case-insensitively (`AUTH_PARTNER` is `Auth_Partner`, as
/// PMS's repository query matches it).
pub async fn partner_type(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<PartnerTypeRow>, sqlx::Error> {
    let row =
        sqlx::query(
            "SELECT code, is_policy_required, is_active FROM partner_type WHERE lower(code) = lower($1)",
        )
            .bind(code)
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        Ok(PartnerTypeRow {
            code: r.try_get("code")?,
            is_policy_required: r.try_get("is_policy_required")?,
            is_active: r.try_get("is_active")?,
        })
    })
    .transpose()
}

/// A policy group's id and active flag, by name.
pub async fn policy_group_by_name(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Option<(String, bool)>, sqlx::Error> {
    let row = sqlx::query("SELECT id, is_active FROM policy_group WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("is_active")?)))
        .transpose()
}

/// `true` if a partner with this id exists.
pub async fn partner_exists(conn: &mut PgConnection, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM partner WHERE id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// `true` if a partner already uses this email.
pub async fn email_taken(conn: &mut PgConnection, email: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM partner WHERE lower(email_id) = lower($1))")
        .bind(email)
        .fetch_one(conn)
        .await
}

/// A partner to insert (registration).
#[derive(Debug, Clone)]
pub struct NewPartner {
    /// Partner id (= IAM username).
    pub id: String,
    /// Policy group id.
    pub policy_group_id: Option<String>,
    /// Organisation name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Phone.
    pub contact_no: String,
    /// Email.
    pub email_id: String,
    /// Partner type code.
    pub partner_type_code: String,
    /// Language.
    pub lang_code: String,
    /// Logo URL (v2).
    pub logo_url: Option<String>,
    /// Additional info (v2).
    pub additional_info: Option<serde_json::Value>,
    /// Logged-in user.
    pub created_by: String,
}

/// Insert a registered partner: `InProgress`, inactive, `user_id = id` (PMS §6.2).
/// Returns `false` if the id or email was taken concurrently.
pub async fn insert_partner(conn: &mut PgConnection, p: &NewPartner) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "INSERT INTO partner (id, policy_group_id, name, address, contact_no, email_id, user_id,
                              partner_type_code, approval_status, is_active, lang_code, logo_url,
                              additional_info, cr_by)
         VALUES ($1, $2, $3, $4, $5, $6, $1, $7, 'InProgress', false, $8, $9, $10, $11)
         ON CONFLICT DO NOTHING",
    )
    .bind(&p.id)
    .bind(&p.policy_group_id)
    .bind(&p.name)
    .bind(&p.address)
    .bind(&p.contact_no)
    .bind(&p.email_id)
    .bind(&p.partner_type_code)
    .bind(&p.lang_code)
    .bind(&p.logo_url)
    .bind(&p.additional_info)
    .bind(&p.created_by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// A re-signed certificate to record.
#[derive(Debug, Clone)]
pub struct CertificateRecord {
    /// Partner id.
    pub partner_id: String,
    /// keymanager certId.
    pub certificate_id: String,
    /// Partner domain.
    pub partner_domain: String,
    /// The partner's own certificate, PEM.
    pub original_pem: String,
    /// Its SHA-1 thumbprint (lower-case hex).
    pub original_thumbprint: String,
    /// Its issuer DN.
    pub original_issuer: String,
    /// Its notAfter.
    pub original_not_after: OffsetDateTime,
    /// The MOSIP-signed leaf, PEM.
    pub signed_pem: String,
    /// Its notAfter.
    pub signed_not_after: OffsetDateTime,
    /// The run that uploaded it.
    pub run_id: Uuid,
}

/// Mark the partner approved and active with its new certificate alias, and add the
/// certificate to its history (idempotent per run). Runs inside the step's completion
/// transaction. Returns `false` (and writes nothing) when the partner does not exist.
pub async fn activate_with_certificate(
    conn: &mut PgConnection,
    rec: &CertificateRecord,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE partner SET certificate_alias = $2, is_active = true, approval_status = 'approved',
                upd_by = $3, upd_dtimes = now()
          WHERE id = $1",
    )
    .bind(&rec.partner_id)
    .bind(&rec.certificate_id)
    .bind(by)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO partner_certificate (id, partner_id, certificate_id, partner_domain, original_pem,
             original_thumbprint, original_issuer, original_not_after, signed_pem, signed_not_after, run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (run_id) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(&rec.partner_id)
    .bind(&rec.certificate_id)
    .bind(&rec.partner_domain)
    .bind(&rec.original_pem)
    .bind(&rec.original_thumbprint)
    .bind(&rec.original_issuer)
    .bind(rec.original_not_after)
    .bind(&rec.signed_pem)
    .bind(rec.signed_not_after)
    .bind(rec.run_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The partner's current MOSIP-signed certificate (PEM) and when it was uploaded.
pub async fn current_certificate<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    partner_id: &str,
) -> Result<Option<(String, OffsetDateTime)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.signed_pem, c.uploaded_at FROM partner p
           JOIN partner_certificate c ON c.partner_id = p.id AND c.certificate_id = p.certificate_alias
          WHERE p.id = $1 ORDER BY c.uploaded_at DESC LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(executor)
    .await?;
    row.map(|r| Ok((r.try_get("signed_pem")?, r.try_get("uploaded_at")?)))
        .transpose()
}

/// One certificate a partner had, from `partner_certificate` (every upload of a partner
/// certificate that keymanager re-signed), as `GET /v1/partners/{id}/certificates` lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateHistoryRow {
    /// keymanager certId (`partner.certificate_alias` while current).
    pub certificate_id: String,
    /// Trust domain it was uploaded to (`AUTH`, `DEVICE`, `FTM`...).
    pub partner_domain: String,
    /// SHA-1 thumbprint of the partner's own (CA-signed) certificate, lower-case hex.
    pub original_thumbprint: String,
    /// Issuer DN of the partner's own certificate.
    pub original_issuer: String,
    /// notAfter of the partner's own certificate (RFC 3339 UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub original_not_after: OffsetDateTime,
    /// notAfter of the MOSIP-signed certificate (RFC 3339 UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub signed_not_after: OffsetDateTime,
    /// When the upload completed (RFC 3339 UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    /// The run that uploaded it (`/v1/runs/{runId}`).
    pub run_id: Uuid,
    /// `true` for the partner's current certificate (the newest upload of its alias).
    pub current: bool,
}

/// Every certificate `partner_id` had, newest first; empty for a partner with none (or an
/// unknown one: check existence first).
pub async fn certificate_history<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    partner_id: &str,
) -> Result<Vec<CertificateHistoryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.certificate_id, c.partner_domain, c.original_thumbprint, c.original_issuer,
                c.original_not_after, c.signed_not_after, c.uploaded_at, c.run_id,
                (c.certificate_id IS NOT DISTINCT FROM p.certificate_alias
                 AND c.uploaded_at = max(c.uploaded_at) OVER (PARTITION BY c.certificate_id)) AS current
           FROM partner_certificate c JOIN partner p ON p.id = c.partner_id
          WHERE c.partner_id = $1
          ORDER BY c.uploaded_at DESC, c.id DESC",
    )
    .bind(partner_id)
    .fetch_all(executor)
    .await
}

/// The partner's current certificate in both forms: `(original PEM as the partner's CA signed
/// it, MOSIP-signed PEM, upload time)` — what PMS's `getOriginalPartnerCertificate` returns.
pub async fn original_certificate<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    partner_id: &str,
) -> Result<Option<(String, String, OffsetDateTime)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.original_pem, c.signed_pem, c.uploaded_at FROM partner p
           JOIN partner_certificate c ON c.partner_id = p.id AND c.certificate_id = p.certificate_alias
          WHERE p.id = $1 ORDER BY c.uploaded_at DESC LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("original_pem")?,
            r.try_get("signed_pem")?,
            r.try_get("uploaded_at")?,
        ))
    })
    .transpose()
}

/// Every column of a partner the partner-management endpoints use.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartnerDetail {
    /// Id.
    pub id: String,
    /// Organisation name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Phone.
    pub contact_no: String,
    /// Email.
    pub email_id: String,
    /// Partner type code.
    pub partner_type_code: String,
    /// Policy group id.
    pub policy_group_id: Option<String>,
    /// Policy group name.
    pub policy_group_name: Option<String>,
    /// `InProgress` / `approved`.
    pub approval_status: String,
    /// Active flag.
    pub is_active: bool,
    /// keymanager certId of the current re-signed certificate.
    pub certificate_alias: Option<String>,
    /// Language.
    pub lang_code: String,
    /// Logo URL (v2).
    pub logo_url: Option<String>,
    /// Additional info JSON (v2).
    pub additional_info: Option<serde_json::Value>,
}

const DETAIL_SELECT: &str =
    "SELECT p.id, p.name, p.address, p.contact_no, p.email_id, p.partner_type_code,
        p.policy_group_id, g.name AS policy_group_name, p.approval_status, p.is_active,
        p.certificate_alias, p.lang_code, p.logo_url, p.additional_info
   FROM partner p LEFT JOIN policy_group g ON g.id = p.policy_group_id";

/// A partner with every column; `FOR UPDATE OF p` when `lock` (serialises the changes of
/// one partner, so its events are enqueued in commit order).
pub async fn partner_detail(
    conn: &mut PgConnection,
    id: &str,
    lock: bool,
) -> Result<Option<PartnerDetail>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF p" } else { "" };
    sqlx::query_as(&format!("{DETAIL_SELECT} WHERE p.id = $1{lock}"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Partners, optionally of one type, by id.
pub async fn partners(
    conn: &mut PgConnection,
    partner_type: Option<&str>,
) -> Result<Vec<PartnerDetail>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{DETAIL_SELECT} WHERE ($1::text IS NULL OR p.partner_type_code = $1) ORDER BY p.id"
    ))
    .bind(partner_type)
    .fetch_all(conn)
    .await
}

/// Update address and phone, and (v2) logo and additional info when given.
pub async fn update_partner(
    conn: &mut PgConnection,
    id: &str,
    address: &str,
    contact_no: &str,
    logo_url: Option<&str>,
    additional_info: Option<&serde_json::Value>,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE partner SET address = $2, contact_no = $3, logo_url = coalesce($4, logo_url),
                additional_info = coalesce($5, additional_info), upd_by = $6, upd_dtimes = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(address)
    .bind(contact_no)
    .bind(logo_url)
    .bind(additional_info)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Set the active flag.
pub async fn set_active(
    conn: &mut PgConnection,
    id: &str,
    active: bool,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE partner SET is_active = $2, upd_by = $3, upd_dtimes = now() WHERE id = $1")
        .bind(id)
        .bind(active)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

/// Map the partner to a policy group.
pub async fn set_policy_group(
    conn: &mut PgConnection,
    id: &str,
    group_id: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE partner SET policy_group_id = $2, upd_by = $3, upd_dtimes = now() WHERE id = $1",
    )
    .bind(id)
    .bind(group_id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// A partner contact (`partner_contact`), upserted by (partner, email).
#[derive(Debug, Clone)]
pub struct Contact<'a> {
    /// Row id (used when inserted).
    pub id: &'a str,
    /// Partner id.
    pub partner_id: &'a str,
    /// Email (the upsert key).
    pub email: &'a str,
    /// Phone.
    pub contact_no: Option<&'a str>,
    /// Address.
    pub address: Option<&'a str>,
    /// Active flag.
    pub active: bool,
    /// Acting user.
    pub by: &'a str,
}

/// Insert or update the partner's contact with this email; `true` when inserted.
pub async fn upsert_contact(conn: &mut PgConnection, c: &Contact<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO partner_contact (id, partner_id, email_id, contact_no, address, is_active, cr_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (partner_id, email_id) DO UPDATE
            SET contact_no = EXCLUDED.contact_no, address = EXCLUDED.address,
                is_active = EXCLUDED.is_active, upd_by = EXCLUDED.cr_by, upd_dtimes = now()
         RETURNING (xmax = 0)",
    )
    .bind(c.id)
    .bind(c.partner_id)
    .bind(c.email)
    .bind(c.contact_no)
    .bind(c.address)
    .bind(c.active)
    .bind(c.by)
    .fetch_one(conn)
    .await
}

/// Codes of the active partner types that need a policy group, by code.
pub async fn policy_required_types(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT code FROM partner_type WHERE is_policy_required AND is_active ORDER BY code",
    )
    .fetch_all(conn)
    .await
}

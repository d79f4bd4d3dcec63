//! Device providers' registered devices (`device_detail`), their secure biometric interfaces
//! (`secure_biometric_interface`) and which SBI runs which device (`device_detail_sbi`), with
//! MOSIP's device types and sub-types (`reg_device_type`, `reg_device_sub_type`): PMS 1.2.0.1's
//! device module (`DeviceDetailServiceImpl`, `SecureBiometricInterfaceServiceImpl`).
//!
//! A new device or SBI waits for an administrator: `approval_status` `pending_approval`,
//! inactive; approval makes it `approved` and active, rejection `rejected` and inactive.

use sqlx::{FromRow, PgConnection};
use time::OffsetDateTime;

/// Approval status of a new device or SBI.
pub const PENDING_APPROVAL: &str = "pending_approval";
/// Approval status once an administrator approved it.
pub const APPROVED: &str = "approved";
/// Approval status once an administrator rejected it.
pub const REJECTED: &str = "rejected";

/// Is `sub_type` an active sub-type of the active device type `device_type`?
pub async fn sub_type_active(
    conn: &mut PgConnection,
    device_type: &str,
    sub_type: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM reg_device_sub_type s JOIN reg_device_type t ON t.code = s.dtyp_code
                         WHERE s.code = $2 AND s.dtyp_code = $1 AND s.is_active AND t.is_active)",
    )
    .bind(device_type)
    .bind(sub_type)
    .fetch_one(conn)
    .await
}

/// The organisation name of active partner `id`; `None` when there is no such active partner.
pub async fn active_provider(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM partner WHERE id = $1 AND is_active")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A device to register.
#[derive(Debug, Clone)]
pub struct NewDevice<'a> {
    /// Its id (the request's, or a new UUID).
    pub id: &'a str,
    /// The device provider's partner id.
    pub provider_id: &'a str,
    /// Device type code (`Finger`, `Face`, `Iris`).
    pub type_code: &'a str,
    /// Device sub-type code (`Slap`, `Single`, `Full face`...).
    pub sub_type_code: &'a str,
    /// Make.
    pub make: &'a str,
    /// Model.
    pub model: &'a str,
    /// The provider's organisation name.
    pub org_name: &'a str,
    /// Who registers it.
    pub by: &'a str,
}

/// Register a device, inactive and pending approval. `false` when the provider has the same
/// type, sub-type, make and model already (or the id is taken).
pub async fn insert_device(
    conn: &mut PgConnection,
    d: &NewDevice<'_>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO device_detail (id, dprovider_id, dtype_code, dstype_code, make, model,
                                    partner_org_name, approval_status, is_active, cr_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, $9) ON CONFLICT DO NOTHING",
    )
    .bind(d.id)
    .bind(d.provider_id)
    .bind(d.type_code)
    .bind(d.sub_type_code)
    .bind(d.make)
    .bind(d.model)
    .bind(d.org_name)
    .bind(PENDING_APPROVAL)
    .bind(d.by)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A `device_detail` row.
#[derive(Debug, Clone, FromRow)]
pub struct DeviceRow {
    /// Id.
    pub id: String,
    /// Provider's partner id.
    pub dprovider_id: String,
    /// Approval status.
    pub approval_status: String,
    /// Active flag.
    pub is_active: bool,
}

/// Device `id`, locked for the transaction.
pub async fn device(conn: &mut PgConnection, id: &str) -> Result<Option<DeviceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, dprovider_id, approval_status, is_active FROM device_detail WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Change a device's type, sub-type, make and model. `false` when the provider has another
/// device with the same four already.
pub async fn update_device(
    conn: &mut PgConnection,
    id: &str,
    (type_code, sub_type_code, make, model): (&str, &str, &str, &str),
    by: &str,
) -> Result<bool, sqlx::Error> {
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM device_detail d JOIN device_detail me ON me.id = $1
                         WHERE d.id <> $1 AND d.dprovider_id = me.dprovider_id AND d.dtype_code = $2
                           AND d.dstype_code = $3 AND d.make = $4 AND d.model = $5)",
    )
    .bind(id)
    .bind(type_code)
    .bind(sub_type_code)
    .bind(make)
    .bind(model)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE device_detail SET dtype_code = $2, dstype_code = $3, make = $4, model = $5,
                upd_by = $6, upd_dtimes = now() WHERE id = $1",
    )
    .bind(id)
    .bind(type_code)
    .bind(sub_type_code)
    .bind(make)
    .bind(model)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Approve (active) or reject (inactive) a device, or an SBI with `table` =
/// `secure_biometric_interface`.
pub async fn set_approval(
    conn: &mut PgConnection,
    table: Approvable,
    id: &str,
    approved: bool,
    by: &str,
) -> Result<(), sqlx::Error> {
    let table = match table {
        Approvable::Device => "device_detail",
        Approvable::Sbi => "secure_biometric_interface",
    };
    sqlx::query(&format!(
        "UPDATE {table} SET approval_status = $2, is_active = $3, upd_by = $4, upd_dtimes = now()
          WHERE id = $1"
    ))
    .bind(id)
    .bind(if approved { APPROVED } else { REJECTED })
    .bind(approved)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// What an administrator approves or rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approvable {
    /// A registered device.
    Device,
    /// A secure biometric interface.
    Sbi,
}

/// An SBI to register, or the new values of one.
#[derive(Debug, Clone)]
pub struct SbiValues<'a> {
    /// Hash of the SBI's binary, as the provider gives it.
    pub binary_hash: &'a str,
    /// Its version (one SBI per provider and version).
    pub version: &'a str,
    /// When the binary was built.
    pub created: OffsetDateTime,
    /// When it stops being accepted.
    pub expiry: OffsetDateTime,
}

/// Register an SBI for `provider_id`, inactive and pending approval. `false` when the
/// provider has an SBI of that version already.
pub async fn insert_sbi(
    conn: &mut PgConnection,
    id: &str,
    (provider_id, org_name): (&str, &str),
    v: &SbiValues<'_>,
    by: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO secure_biometric_interface (id, sw_binary_hash, sw_version, sw_cr_dtimes,
             sw_expiry_dtimes, approval_status, is_active, provider_id, partner_org_name, cr_by)
         VALUES ($1, $2, $3, $4, $5, $6, false, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(v.binary_hash)
    .bind(v.version)
    .bind(v.created)
    .bind(v.expiry)
    .bind(PENDING_APPROVAL)
    .bind(provider_id)
    .bind(org_name)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A `secure_biometric_interface` row.
#[derive(Debug, Clone, FromRow)]
pub struct SbiRow {
    /// Id.
    pub id: String,
    /// Provider's partner id.
    pub provider_id: Option<String>,
    /// Approval status.
    pub approval_status: String,
    /// Active flag.
    pub is_active: bool,
}

/// SBI `id`, locked for the transaction.
pub async fn sbi(conn: &mut PgConnection, id: &str) -> Result<Option<SbiRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, provider_id, approval_status, is_active FROM secure_biometric_interface
          WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Change an SBI's binary hash, version, dates and active flag. `false` when its provider has
/// another SBI of that version.
pub async fn update_sbi(
    conn: &mut PgConnection,
    id: &str,
    v: &SbiValues<'_>,
    active: bool,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM secure_biometric_interface s
                          JOIN secure_biometric_interface me ON me.id = $1
                         WHERE s.id <> $1 AND s.provider_id = me.provider_id AND s.sw_version = $2)",
    )
    .bind(id)
    .bind(v.version)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE secure_biometric_interface SET sw_binary_hash = $2, sw_version = $3,
                sw_cr_dtimes = $4, sw_expiry_dtimes = $5, is_active = $6, upd_by = $7,
                upd_dtimes = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(v.binary_hash)
    .bind(v.version)
    .bind(v.created)
    .bind(v.expiry)
    .bind(active)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Map SBI `sbi_id` to device `device_id` of `provider_id`; `false` when they are mapped
/// already.
pub async fn map(
    conn: &mut PgConnection,
    (device_id, sbi_id): (&str, &str),
    provider_id: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO device_detail_sbi (device_detail_id, sbi_id, dprovider_id, partner_org_name, cr_by)
         SELECT $1, $2, $3, (SELECT name FROM partner WHERE id = $3), $4
         ON CONFLICT DO NOTHING",
    )
    .bind(device_id)
    .bind(sbi_id)
    .bind(provider_id)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Remove the mapping of SBI `sbi_id` to device `device_id`; `false` when there was none.
pub async fn unmap(
    conn: &mut PgConnection,
    (device_id, sbi_id): (&str, &str),
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM device_detail_sbi WHERE device_detail_id = $1 AND sbi_id = $2")
            .bind(device_id)
            .bind(sbi_id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Approval status of an FTM chip without its certificate yet.
pub const PENDING_CERT_UPLOAD: &str = "pending_cert_upload";

/// An `ftp_chip_detail` row.
#[derive(Debug, Clone, FromRow)]
pub struct ChipRow {
    /// Chip id.
    pub id: String,
    /// The FTM provider's partner id.
    pub foundational_trust_provider_id: String,
    /// keymanager's id of the chip's MOSIP-signed certificate, once uploaded.
    pub certificate_alias: Option<String>,
    /// The MOSIP-signed certificate (PEM), once uploaded.
    pub certificate_pem: Option<String>,
    /// When it was uploaded.
    pub certificate_uploaded_at: Option<OffsetDateTime>,
    /// Approval status.
    pub approval_status: String,
}

/// Register an FTM chip of `provider_id`, waiting for its certificate. `false` when the
/// provider has a chip of that make and model.
pub async fn insert_chip(
    conn: &mut PgConnection,
    id: &str,
    (provider_id, org_name): (&str, &str),
    (make, model): (&str, &str),
    by: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO ftp_chip_detail (id, foundational_trust_provider_id, make, model,
                                      partner_org_name, approval_status, is_active, cr_by)
         VALUES ($1, $2, $3, $4, $5, $6, false, $7) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(provider_id)
    .bind(make)
    .bind(model)
    .bind(org_name)
    .bind(PENDING_CERT_UPLOAD)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Chip `id`, locked for the transaction.
pub async fn chip(conn: &mut PgConnection, id: &str) -> Result<Option<ChipRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, foundational_trust_provider_id, certificate_alias, certificate_pem,
                certificate_uploaded_at, approval_status
           FROM ftp_chip_detail WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Change a chip's make and model; `false` when its provider has another chip with both.
pub async fn update_chip(
    conn: &mut PgConnection,
    id: &str,
    (make, model): (&str, &str),
    by: &str,
) -> Result<bool, sqlx::Error> {
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM ftp_chip_detail c JOIN ftp_chip_detail me ON me.id = $1
                         WHERE c.id <> $1 AND c.foundational_trust_provider_id = me.foundational_trust_provider_id
                           AND c.make = $2 AND c.model = $3)",
    )
    .bind(id)
    .bind(make)
    .bind(model)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE ftp_chip_detail SET make = $2, model = $3, upd_by = $4, upd_dtimes = now() WHERE id = $1",
    )
    .bind(id)
    .bind(make)
    .bind(model)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Approve (active) or reject (inactive) chip `id`.
pub async fn set_chip_approval(
    conn: &mut PgConnection,
    id: &str,
    approved: bool,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE ftp_chip_detail SET approval_status = $2, is_active = $3, upd_by = $4,
                upd_dtimes = now() WHERE id = $1",
    )
    .bind(id)
    .bind(if approved { APPROVED } else { REJECTED })
    .bind(approved)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// A chip's MOSIP-signed certificate, recorded by the `ftm_chip.record` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipCertificate {
    /// The chip.
    pub chip_id: String,
    /// keymanager's certificate id.
    pub certificate_alias: String,
    /// The MOSIP-signed certificate, PEM.
    pub certificate_pem: String,
}

/// Record a chip's certificate; the chip then waits for approval. `false` when the chip is
/// gone.
pub async fn record_chip_certificate(
    conn: &mut PgConnection,
    c: &ChipCertificate,
    by: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE ftp_chip_detail SET certificate_alias = $2, certificate_pem = $3,
                certificate_uploaded_at = now(), approval_status = $4, is_active = false,
                upd_by = $5, upd_dtimes = now()
          WHERE id = $1",
    )
    .bind(&c.chip_id)
    .bind(&c.certificate_alias)
    .bind(&c.certificate_pem)
    .bind(PENDING_APPROVAL)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

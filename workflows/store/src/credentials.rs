//! What credential partners declare besides their policy requests: the biometric extractors
//! of a policy (`partner_policy_bioextract`) and the policy to use per credential type
//! (`partner_policy_credential_type`); mosip-pms.md §2.1, §4.1 #7–#10.

use sqlx::{FromRow, PgConnection};

/// One biometric extractor of a partner and policy.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ExtractorRow {
    /// Attribute of the identity the extractor applies to (`photo`, `fingerprint`...).
    pub attribute_name: String,
    /// Modality (`face`, `finger`, `iris`).
    pub biometric_modality: String,
    /// Comma-separated sub-types (`LEFT_THUMB,RIGHT_THUMB`), if restricted.
    pub biometric_sub_types: Option<String>,
    /// Extractor SDK provider.
    pub extractor_provider: String,
    /// Its version.
    pub extractor_provider_version: Option<String>,
}

/// Insert or replace (by partner, policy and attribute) the extractors; `id_for` gives the id
/// of a new row. Returns how many rows were written.
pub async fn upsert_extractors(
    conn: &mut PgConnection,
    partner_id: &str,
    policy_id: &str,
    extractors: &[ExtractorRow],
    by: &str,
    mut id_for: impl FnMut() -> String,
) -> Result<u64, sqlx::Error> {
    let mut written = 0;
    for e in extractors {
        written += sqlx::query(
            "INSERT INTO partner_policy_bioextract (id, part_id, policy_id, attribute_name,
                 extractor_provider, extractor_provider_version, biometric_modality,
                 biometric_sub_types, cr_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (part_id, policy_id, attribute_name) DO UPDATE SET
                 extractor_provider = EXCLUDED.extractor_provider,
                 extractor_provider_version = EXCLUDED.extractor_provider_version,
                 biometric_modality = EXCLUDED.biometric_modality,
                 biometric_sub_types = EXCLUDED.biometric_sub_types,
                 upd_by = EXCLUDED.cr_by, upd_dtimes = now()",
        )
        .bind(id_for())
        .bind(partner_id)
        .bind(policy_id)
        .bind(&e.attribute_name)
        .bind(&e.extractor_provider)
        .bind(&e.extractor_provider_version)
        .bind(&e.biometric_modality)
        .bind(&e.biometric_sub_types)
        .bind(by)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(written)
}

/// The extractors of a partner and policy, by attribute name.
pub async fn extractors(
    conn: &mut PgConnection,
    partner_id: &str,
    policy_id: &str,
) -> Result<Vec<ExtractorRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT attribute_name, biometric_modality, biometric_sub_types, extractor_provider,
                extractor_provider_version
           FROM partner_policy_bioextract WHERE part_id = $1 AND policy_id = $2
          ORDER BY attribute_name",
    )
    .bind(partner_id)
    .bind(policy_id)
    .fetch_all(conn)
    .await
}

/// Map (partner, credential type) to a policy, replacing an earlier mapping of the pair so
/// that the credential service resolves exactly one policy.
pub async fn map_credential_type(
    conn: &mut PgConnection,
    partner_id: &str,
    credential_type: &str,
    policy_id: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM partner_policy_credential_type
          WHERE part_id = $1 AND credential_type = $2 AND policy_id <> $3",
    )
    .bind(partner_id)
    .bind(credential_type)
    .bind(policy_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO partner_policy_credential_type (part_id, policy_id, credential_type, is_active, cr_by)
         VALUES ($1, $2, $3, true, $4)
         ON CONFLICT (part_id, policy_id, credential_type) DO UPDATE
            SET is_active = true, upd_by = EXCLUDED.cr_by, upd_dtimes = now()",
    )
    .bind(partner_id)
    .bind(policy_id)
    .bind(credential_type)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The policy id mapped to (partner, credential type), if any.
pub async fn credential_type_policy(
    conn: &mut PgConnection,
    partner_id: &str,
    credential_type: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT policy_id FROM partner_policy_credential_type
          WHERE part_id = $1 AND credential_type = $2 AND is_active
          ORDER BY cr_dtimes DESC LIMIT 1",
    )
    .bind(partner_id)
    .bind(credential_type)
    .fetch_optional(conn)
    .await
}

//! `pmsflow seed`: MOSIP's default partners, policies, approved policy requests and API keys
//! (`db_scripts/mosip_pms/dml/pms-partner.csv`, `pms-auth_policy.csv`,
//! `pms-partner_policy_request.csv`, `pms-partner_policy.csv`; mosip-pms.md §2.3), so a fresh
//! install looks like a MOSIP sandbox. The policy groups `mpolicygroup-default-*` come with
//! the migrations. Idempotent: rows that exist are left as they are.
//!
//! Policy documents are the DML ones where the fixtures have them (`seeds/*.json`:
//! `mpolicy-default-auth`, `-abis`, `-PDFCard`, `-cert`); the other default partners use the
//! auth datashare policy's document. Each document is validated against MOSIP's schema
//! before anything is written.

use anyhow::Context;
use pmsflow_core::policy::{validate_policy, PolicyType};
use serde_json::Value;
use sqlx::PgPool;

/// One default partner: (partner id, e-mail, partner type, policy group, policy id, policy
/// document). E-mails are the DML's (`pms-partner.csv`); partners it lacks get `<id>@mosip.io`.
struct DefaultPartner {
    id: &'static str,
    email: &'static str,
    partner_type: &'static str,
    group: &'static str,
    policy: &'static str,
    document: &'static str,
}

const AUTH: &str = include_str!("../seeds/mpolicy-default-auth.json");
const ABIS: &str = include_str!("../seeds/mpolicy-default-abis.json");
const PDF_CARD: &str = include_str!("../seeds/mpolicy-default-PDFCard.json");
const CERT: &str = include_str!("../seeds/mpolicy-default-cert.json");

const DEFAULTS: &[DefaultPartner] = &[
    DefaultPartner {
        id: "mpartner-default-auth",
        email: "info@mosip.io",
        partner_type: "Online_Verification_Partner",
        group: "mpolicygroup-default-auth",
        policy: "mpolicy-default-auth",
        document: AUTH,
    },
    DefaultPartner {
        id: "mpartner-default-abis",
        email: "absi@mosip.io",
        partner_type: "ABIS_Partner",
        group: "mpolicygroup-default-abis",
        policy: "mpolicy-default-abis",
        document: ABIS,
    },
    DefaultPartner {
        id: "mpartner-default-print",
        email: "print@mosip.io",
        partner_type: "Credential_Partner",
        group: "mpolicygroup-default-print",
        policy: "mpolicy-default-PDFCard",
        document: PDF_CARD,
    },
    DefaultPartner {
        id: "mpartner-default-resident",
        email: "resident@mosip.io",
        partner_type: "Credential_Partner",
        group: "mpolicygroup-default-resident",
        policy: "mpolicy-default-resident",
        document: AUTH,
    },
    DefaultPartner {
        id: "mpartner-default-digitalcard",
        email: "mpartner-default-digitalcard@mosip.io",
        partner_type: "Credential_Partner",
        group: "mpolicygroup-default-digitalcard",
        policy: "mpolicy-default-digitalcard",
        document: PDF_CARD,
    },
    DefaultPartner {
        id: "mpartner-default-mobile",
        email: "mpartner-default-mobile@mosip.io",
        partner_type: "Credential_Partner",
        group: "mpolicygroup-default-mobile",
        policy: "mpolicy-default-mobile",
        document: AUTH,
    },
    DefaultPartner {
        id: "mpartner-default-adjudication",
        email: "adjudication@mosip.io",
        partner_type: "Manual_Adjudication",
        group: "mpolicygroup-default-adjudication",
        policy: "mpolicy-default-adjudication",
        document: ABIS,
    },
    DefaultPartner {
        id: "mpartner-default-cert",
        email: "mpartner-default-cert@mosip.io",
        partner_type: "Internal_Partner",
        group: "mpolicygroup-default-cert",
        policy: "mpolicy-default-cert",
        document: CERT,
    },
];

/// What `seed` wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Seeded {
    /// Partners inserted.
    pub partners: u64,
    /// Policies inserted.
    pub policies: u64,
    /// API keys inserted.
    pub api_keys: u64,
}

/// Write the defaults in one transaction; rows that exist are kept.
///
/// # Errors
/// A seed document that MOSIP's schema refuses (a packaging bug), or a database error.
pub async fn seed(pool: &PgPool, schema_url: &str) -> anyhow::Result<Seeded> {
    let mut out = Seeded::default();
    let mut tx = pool.begin().await?;
    for d in DEFAULTS {
        let document: Value = serde_json::from_str(d.document).context("seed policy JSON")?;
        validate_policy(PolicyType::DataShare, &document)
            .with_context(|| format!("seed policy {} does not match its schema", d.policy))?;
        out.policies += sqlx::query(
            "INSERT INTO auth_policy (id, policy_group_id, name, descr, policy_file_id, policy_type, version,
                                      policy_schema, valid_to_date, is_active, cr_by)
             VALUES ($1, $2, $1, $1, $3, 'DataShare', '1.0', $4, now() + interval '200 years', true, 'pmsflow-seed')
             ON CONFLICT DO NOTHING",
        )
        .bind(d.policy)
        .bind(d.group)
        .bind(&document)
        .bind(schema_url)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        out.partners += sqlx::query(
            "INSERT INTO partner (id, policy_group_id, name, address, contact_no, email_id, user_id,
                                  partner_type_code, approval_status, is_active, cr_by)
             VALUES ($1, $2, $1, 'MOSIP', '9999999999', $4, $1, $3, 'approved', true, 'pmsflow-seed')
             ON CONFLICT DO NOTHING",
        )
        .bind(d.id)
        .bind(d.group)
        .bind(d.partner_type)
        .bind(d.email)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO partner_policy_request (id, part_id, policy_id, request_detail, status_code, cr_by)
             VALUES ($1 || ':' || $2, $1, $2, 'default partner', 'approved', 'pmsflow-seed')
             ON CONFLICT DO NOTHING",
        )
        .bind(d.id)
        .bind(d.policy)
        .execute(&mut *tx)
        .await?;
        let key = format!(
            "mpolicy_part_{}_api",
            d.id.trim_start_matches("mpartner-default-")
        );
        out.api_keys += sqlx::query(
            "INSERT INTO partner_policy (policy_api_key, part_id, policy_id, label, valid_to_datetime, is_active, cr_by)
             VALUES ($1, $2, $3, 'default', now() + interval '200 years', true, 'pmsflow-seed')
             ON CONFLICT DO NOTHING",
        )
        .bind(&key)
        .bind(d.id)
        .bind(d.policy)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(out)
}

//! `pmsflow seed`: MOSIP's own default rows of the `mosip_pms` database, so MOSIP's onboarder,
//! its test rig and IDA find the partners, policies, policy requests, API keys, bio-extractors,
//! credential types, device types and sub-types, devices and SBIs they expect (partners with
//! their organisation names, `IITB`, `IIITB`, `MOSIP`..., which the onboarder's certificates
//! carry in `O=`).
//!
//! The rows are MOSIP's DML files (partner-management-services v1.2.0.1,
//! `db_scripts/mosip_pms/dml/pms-*.csv`, MPL-2.0), shipped unchanged under `seeds/mosip_pms/`
//! and loaded in dependency order. A CSV column the pmsflow table does not have is ignored; a
//! pmsflow column the CSV lacks takes its default; `now()` in a time column is the load time
//! and other times are read month first (`12-01-2025 05:31`); an empty field is null.
//! Idempotent: a row whose key exists is left as it is.
//!
//! Where a row breaks a rule pmsflow keeps, the rule wins and [`Seeded::adjusted`] says so:
//! - a validity end already past (the DML's 2025 dates: API keys, policies) runs from today for
//!   `pms.api_key_validity_days` / `pms.policy_validity_years`, as each MOSIP release moves them;
//! - an e-mail an earlier partner has (partners' e-mails are unique, as PMS's registration
//!   keeps them) becomes `<partner id>@mosip.io`;
//! - a status in another case (`Approved`) is written in PMS's (`approved`);
//! - a policy whose document is not JSON, or not valid against MOSIP's schema of its type, is
//!   left out with the rows that name it ([`Seeded::skipped`]);
//! - a row that repeats another's unique key in pmsflow's schema (the DML's three extractors
//!   of one attribute, one per modality, where pmsflow keeps one per attribute as PMS's
//!   `addBiometricExtractors` updates them) is left out after the first.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use pmsflow_core::policy::{validate_policy, PolicyType};
use pmsflow_store::config::PmsSettings;
use serde_json::{Map, Value};
use sqlx::PgPool;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// The DML files, in the order their rows depend on each other: (table, the columns naming a
/// row, CSV text).
const TABLES: [(&str, &[&str], &str); 12] = [
    (
        "partner_type",
        &["code"],
        include_str!("../seeds/mosip_pms/pms-partner_type.csv"),
    ),
    (
        "policy_group",
        &["id"],
        include_str!("../seeds/mosip_pms/pms-policy_group.csv"),
    ),
    (
        "auth_policy",
        &["id"],
        include_str!("../seeds/mosip_pms/pms-auth_policy.csv"),
    ),
    (
        "partner",
        &["id"],
        include_str!("../seeds/mosip_pms/pms-partner.csv"),
    ),
    (
        "partner_policy_request",
        &["id"],
        include_str!("../seeds/mosip_pms/pms-partner_policy_request.csv"),
    ),
    (
        "partner_policy",
        &["policy_api_key"],
        include_str!("../seeds/mosip_pms/pms-partner_policy.csv"),
    ),
    (
        "partner_policy_bioextract",
        &["id"],
        include_str!("../seeds/mosip_pms/pms-partner_policy_bioextract.csv"),
    ),
    (
        "partner_policy_credential_type",
        &["credential_type", "part_id", "policy_id"],
        include_str!("../seeds/mosip_pms/pms-partner_policy_credential_type.csv"),
    ),
    (
        "reg_device_type",
        &["code"],
        include_str!("../seeds/mosip_pms/pms-reg_device_type.csv"),
    ),
    (
        "reg_device_sub_type",
        &["code", "dtyp_code"],
        include_str!("../seeds/mosip_pms/pms-reg_device_sub_type.csv"),
    ),
    (
        "device_detail",
        &["id"],
        include_str!("../seeds/mosip_pms/pms-device_detail.csv"),
    ),
    (
        "secure_biometric_interface",
        &["id"],
        include_str!("../seeds/mosip_pms/pms-secure_biometric_interface.csv"),
    ),
];

/// What a seed wrote (JSON line printed by `pmsflow seed`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Seeded {
    /// New rows per table (0 when the rows were there already).
    pub inserted: BTreeMap<String, u64>,
    /// Rows changed to keep one of pmsflow's rules: `table id: what`.
    pub adjusted: Vec<String>,
    /// Rows left out: `table id: why`.
    pub skipped: Vec<String>,
}

impl Seeded {
    /// New rows of `table`.
    pub fn of(&self, table: &str) -> u64 {
        self.inserted.get(table).copied().unwrap_or(0)
    }
}

/// A DML row as a JSON object of the table's columns (null for an empty field, `now` for
/// `now()`).
type Row = Map<String, Value>;

fn rows(
    table: &str,
    csv_text: &str,
    columns: &BTreeMap<String, String>,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Row>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader
        .headers()
        .with_context(|| format!("seed {table}: header"))?
        .clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("seed {table}: a row"))?;
        let mut row = Row::new();
        for (name, field) in header.iter().zip(record.iter()) {
            // Some of MOSIP's files start with a byte-order mark.
            let name = name.trim_start_matches('\u{feff}').trim();
            let Some(data_type) = columns.get(name) else {
                continue;
            };
            let field = field.trim();
            let value = match field {
                "" => Value::Null,
                _ if data_type.starts_with("timestamp") => match dml_time(field, now) {
                    Some(t) => Value::String(t.format(&Rfc3339).unwrap_or_default()),
                    None => Value::String(field.to_owned()),
                },
                _ => Value::String(field.to_owned()),
            };
            row.insert(name.to_owned(), value);
        }
        out.push(row);
    }
    Ok(out)
}

fn text<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or_default()
}

/// A DML date-time (`now()`, `12-01-2025 05:31`, `4/28/2025 9:37`: month first) as a time.
fn dml_time(value: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if value == "now()" || value == "now" {
        return Some(now);
    }
    let (date, clock) = value.split_once(' ').unwrap_or((value, "0:0"));
    let mut d = date.split(['-', '/']).map(|p| p.parse::<u32>().ok());
    let (month, day, year) = (d.next()??, d.next()??, d.next()??);
    let mut c = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute) = (c.next()??, c.next()??);
    let date = time::Date::from_calendar_date(
        i32::try_from(year).ok()?,
        time::Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    Some(
        date.with_time(time::Time::from_hms(hour, minute, 0).ok()?)
            .assume_utc(),
    )
}

/// Keep pmsflow's rules on one row (see the module's list); `Err` leaves the row out.
fn adjust(
    (table, id): (&str, &str),
    row: &mut Row,
    pms: &PmsSettings,
    now: OffsetDateTime,
    emails: &mut BTreeSet<String>,
    adjusted: &mut Vec<String>,
) -> Result<(), String> {
    let mut renew = |row: &mut Row, column: &str, until: OffsetDateTime| {
        let end = text(row, column).to_owned();
        let parsed = OffsetDateTime::parse(&end, &Rfc3339)
            .ok()
            .or_else(|| dml_time(&end, now));
        match parsed {
            Some(t) if t > now => {}
            _ => {
                let iso = until.format(&Rfc3339).unwrap_or_default();
                adjusted.push(format!("{table} {id}: {column} {end} → {iso}"));
                row.insert(column.to_owned(), Value::String(iso));
            }
        }
    };
    match table {
        "auth_policy" => {
            let document: Value = serde_json::from_str(text(row, "policy_file_id"))
                .map_err(|e| format!("its policy document is not JSON ({e})"))?;
            let kind = PolicyType::parse(text(row, "policy_type"))
                .ok_or_else(|| format!("unknown policy type {}", text(row, "policy_type")))?;
            validate_policy(kind, &document)
                .map_err(|e| format!("its policy document breaks MOSIP's schema: {e}"))?;
            row.insert("policy_file_id".into(), document);
            let years = i64::from(pms.policy_validity_years);
            renew(
                row,
                "valid_to_date",
                now + time::Duration::days(365 * years),
            );
        }
        "partner_policy" => {
            let days = i64::from(pms.api_key_validity_days);
            renew(row, "valid_to_datetime", now + time::Duration::days(days));
        }
        "partner_policy_request" => {
            let status = text(row, "status_code").to_owned();
            let pms_case = match status.to_ascii_lowercase().as_str() {
                "inprogress" => "InProgress".to_owned(),
                other => other.to_owned(),
            };
            if pms_case != status {
                adjusted.push(format!("{table} {id}: status_code {status} → {pms_case}"));
                row.insert("status_code".into(), Value::String(pms_case));
            }
        }
        "partner" => {
            let email = text(row, "email_id").to_ascii_lowercase();
            if !emails.insert(email.clone()) {
                let own = format!("{id}@mosip.io");
                adjusted.push(format!("{table} {id}: email_id {email} (taken) → {own}"));
                emails.insert(own.clone());
                row.insert("email_id".into(), Value::String(own));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Load MOSIP's default rows (see the module documentation) in one transaction.
///
/// # Errors
/// A database failure, or a DML file that does not parse as CSV.
pub async fn seed(pool: &PgPool, pms: &PmsSettings) -> anyhow::Result<Seeded> {
    let now = OffsetDateTime::now_utc();
    let mut out = Seeded::default();
    let mut tx = pool.begin().await?;
    let mut emails: BTreeSet<String> =
        sqlx::query_scalar::<_, String>("SELECT lower(email_id) FROM partner")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let mut skipped_policies = BTreeSet::new();
    for (table, key, csv_text) in TABLES {
        let columns: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let mut inserted = 0;
        for mut row in rows(table, csv_text, &columns, now)? {
            let id = text(&row, key[0]).to_owned();
            let policy = text(&row, "policy_id").to_owned();
            if skipped_policies.contains(&policy) {
                out.skipped
                    .push(format!("{table} {id}: its policy {policy} was left out"));
                continue;
            }
            // A row loaded by an earlier seed stays as it is, and is no news.
            let named: Vec<String> = key
                .iter()
                .enumerate()
                .map(|(i, k)| format!("\"{k}\" = ${}", i + 1))
                .collect();
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM {table} WHERE {})",
                named.join(" AND ")
            );
            let mut exists = sqlx::query_scalar::<_, bool>(&sql);
            for k in key {
                exists = exists.bind(text(&row, k).to_owned());
            }
            let there = exists.fetch_one(&mut *tx).await?;
            if there {
                continue;
            }
            let mut adjusted = Vec::new();
            if let Err(why) = adjust((table, &id), &mut row, pms, now, &mut emails, &mut adjusted) {
                out.skipped.push(format!("{table} {id}: {why}"));
                if table == "auth_policy" {
                    skipped_policies.insert(id);
                }
                continue;
            }
            // Only the table's own columns reach the statement, quoted; values are one bound
            // JSON record.
            let names: Vec<String> = row.keys().map(|c| format!("\"{c}\"")).collect();
            let names = names.join(", ");
            let sql = format!(
                "INSERT INTO {table} ({names})
                 SELECT {names} FROM jsonb_populate_record(NULL::{table}, $1)
                 ON CONFLICT DO NOTHING"
            );
            let written = sqlx::query(&sql)
                .bind(Value::Object(row))
                .execute(&mut *tx)
                .await
                .with_context(|| format!("seed {table}"))?
                .rows_affected();
            if written > 0 {
                out.adjusted.extend(adjusted);
            } else {
                out.skipped.push(format!(
                    "{table} {id}: a row with the same unique key is there (the DML's first is kept)"
                ));
            }
            inserted += written;
        }
        out.inserted.insert(table.to_owned(), inserted);
    }
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dml_dates_are_month_first() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(dml_time("now", now), Some(now));
        let t = dml_time("12-01-2025 05:31", now).unwrap();
        assert_eq!(
            (t.year(), t.month() as u8, t.day(), t.hour()),
            (2025, 12, 1, 5)
        );
        let t = dml_time("4/28/2025 9:37", now).unwrap();
        assert_eq!((t.month() as u8, t.day(), t.minute()), (4, 28, 37));
        assert_eq!(dml_time("soon", now), None);
    }
}

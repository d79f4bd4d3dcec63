//! Runs checked PMS searches and filter-values requests ([`pmsflow_core::search`]) against the
//! searchable entities: policy groups, policies, partners, partner types, policy mapping
//! requests, API keys, MISP licences, and the device module's devices, device types and
//! sub-types, SBIs and device-SBI mappings.
//!
//! Each [`Entity`] is a SQL sub-select whose columns carry the API field names (PMS's JPA
//! entity field names, e.g. `crDtimes`), so a row is answered as `to_jsonb` of it and a filter
//! names a column by the same name the client used. Only names from the entity's
//! [`Column`] list reach the SQL (the core refuses others), always as quoted identifiers;
//! values are bound parameters.

use pmsflow_core::envelope::mosip_datetime;
use pmsflow_core::search::{Column, ColumnKind, Condition, FilterPlan, Predicate, SearchPlan};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// How a searched row is answered: every column but an API key's value, which only serves
/// filters and sort (a search never hands out keys; PMS 1.2.0.1 answers them).
const ANSWERED: &str = "SELECT to_jsonb(t) - 'policyApiKey'";

/// A searchable entity: its sub-select, its columns and the column that identifies a row.
#[derive(Debug, Clone, Copy)]
pub struct Entity {
    /// `SELECT ... FROM ...` whose output columns are named as in [`columns`](Self::columns).
    pub select: &'static str,
    /// Searchable, sortable columns.
    pub columns: &'static [Column],
    /// Column answered as `fieldCode` of a filter value (1.2.0.1's `fieldCodeColumnName` of
    /// `FilterHelper#filterValuesWithCode`: a policy group's name, a licence's MISP id, else
    /// the entity's id or code); also the last sort key of a search.
    pub code: &'static str,
    /// The partner-id column: a caller without PARTNER_ADMIN sees only the rows where it is
    /// its own user id (`SearchHelper#addPartnerFilter`); `None` when every row is public.
    pub owner: Option<Column>,
}

/// The audit columns of table alias `$t` (`"p."`, or `""` for none), as a literal.
macro_rules! audit {
    ($t:literal) => {
        concat!(
            $t,
            "cr_by AS \"crBy\", ",
            $t,
            "cr_dtimes AS \"crDtimes\", ",
            $t,
            "upd_by AS \"updBy\", ",
            $t,
            "upd_dtimes AS \"updDtimes\""
        )
    };
}

macro_rules! audited {
    ($($c:expr),* $(,)?) => {
        &[
            $($c,)*
            Column::text("crBy"),
            Column::timestamp("crDtimes"),
            Column::text("updBy"),
            Column::timestamp("updDtimes"),
        ]
    };
}

/// Policy groups (`PolicyGroup`): `POST /policies/group/search`, `/group/filtervalues`.
pub const POLICY_GROUPS: Entity = Entity {
    select: concat!(
        r#"SELECT id, name, descr AS "desc", is_active AS "isActive", user_id AS "userId", "#,
        audit!(""),
        " FROM policy_group",
    ),
    columns: audited![
        Column::text("id"),
        Column::text("name"),
        Column::text("desc"),
        Column::boolean("isActive"),
        Column::text("userId"),
    ],
    code: "name",
    owner: None,
};

/// Policies (`SearchAuthPolicy`, with the group's name and the derived status):
/// `POST /policies/search`, `/policies/filtervalues`.
pub const POLICIES: Entity = Entity {
    select: concat!(
        r#"SELECT p.id, p.name, p.descr AS "desc", p.policy_type AS "policyType", p.version,
                  p.policy_schema AS "schema", p.policy_file_id AS "policies",
                  p.policy_group_id AS "policyGroupId", g.name AS "policyGroupName",
                  p.is_active AS "isActive", p.valid_from_date AS "validFromDate",
                  p.valid_to_date AS "validToDate",
                  CASE WHEN p.policy_schema IS NULL THEN 'DRAFTED'
                       WHEN p.is_active THEN 'PUBLISHED' ELSE 'DEACTIVATED' END AS "status", "#,
        audit!("p."),
        " FROM auth_policy p JOIN policy_group g ON g.id = p.policy_group_id",
    ),
    columns: audited![
        Column::text("id"),
        Column::text("name"),
        Column::text("desc"),
        Column::text("policyType"),
        Column::text("version"),
        Column::text("policyGroupId"),
        Column::text("policyGroupName"),
        Column::boolean("isActive"),
        Column::timestamp("validFromDate"),
        Column::timestamp("validToDate"),
        Column::text("status"),
    ],
    code: "id",
    owner: None,
};

/// Partners (`Partner`): `POST /partners/search`, `/partners/filtervalues`.
pub const PARTNERS: Entity = Entity {
    select: concat!(
        r#"SELECT p.id, p.policy_group_id AS "policyGroupId", g.name AS "policyGroupName",
                  p.name, p.address, p.contact_no AS "contactNo", p.email_id AS "emailId",
                  p.certificate_alias AS "certificateAlias", p.user_id AS "userId",
                  p.partner_type_code AS "partnerTypeCode", p.approval_status AS "approvalStatus",
                  p.is_active AS "isActive", p.lang_code AS "langCode", p.logo_url AS "logoUrl", "#,
        audit!("p."),
        " FROM partner p LEFT JOIN policy_group g ON g.id = p.policy_group_id",
    ),
    columns: audited![
        Column::text("id"),
        Column::text("policyGroupId"),
        Column::text("policyGroupName"),
        Column::text("name"),
        Column::text("address"),
        Column::text("contactNo"),
        Column::text("emailId"),
        Column::text("certificateAlias"),
        Column::text("userId"),
        Column::text("partnerTypeCode"),
        Column::text("approvalStatus"),
        Column::boolean("isActive"),
        Column::text("langCode"),
    ],
    code: "id",
    owner: Some(Column::text("id")),
};

/// Partner types (`PartnerType`): `POST /partners/partnertype/search`.
pub const PARTNER_TYPES: Entity = Entity {
    select: r#"SELECT code, partner_description AS "partnerDescription",
                      is_policy_required AS "isPolicyRequired", is_active AS "isActive",
                      cr_by AS "crBy", cr_dtimes AS "crDtimes" FROM partner_type"#,
    columns: &[
        Column::text("code"),
        Column::text("partnerDescription"),
        Column::boolean("isPolicyRequired"),
        Column::boolean("isActive"),
        Column::text("crBy"),
        Column::timestamp("crDtimes"),
    ],
    code: "code",
    owner: None,
};

/// Policy mapping requests (`PartnerPolicySearchResponseDto` of requests):
/// `POST /partners/apikey/request/search`, `/apikey/request/filtervalues`. The request id is
/// both `apikeyRequestId` and `id` (the entity's field, which 1.2.0.1 and MOSIP's partner
/// portal filter and sort by).
pub const POLICY_REQUESTS: Entity = Entity {
    select: concat!(
        r#"SELECT r.id AS "apikeyRequestId", r.id, r.part_id AS "partnerId", p.name AS "partnerName",
                  r.policy_id AS "policyId", a.name AS "policyName",
                  r.request_datetimes AS "requestDatetimes", r.request_detail AS "requestDetail",
                  r.status_code AS "statusCode", "#,
        audit!("r."),
        " FROM partner_policy_request r JOIN partner p ON p.id = r.part_id JOIN auth_policy a ON a.id = r.policy_id",
    ),
    columns: audited![
        Column::text("apikeyRequestId"),
        // 1.2.0.1 searches the JPA entity, whose field is `id` (the partner portal's column).
        Column::text("id"),
        Column::text("partnerId"),
        Column::text("partnerName"),
        Column::text("policyId"),
        Column::text("policyName"),
        Column::timestamp("requestDatetimes"),
        Column::text("requestDetail"),
        Column::text("statusCode"),
    ],
    code: "apikeyRequestId",
    owner: Some(Column::text("partnerId")),
};

/// API keys, without the key itself (`PartnerPolicy`, answered without `policyApiKey`):
/// `POST /partners/apikey/search`.
pub const API_KEYS: Entity = Entity {
    select: concat!(
        r#"SELECT k.label, k.policy_api_key AS "policyApiKey", k.part_id AS "partnerId", p.name AS "partnerName",
                  k.policy_id AS "policyId", a.name AS "policyName",
                  k.valid_from_datetime AS "validFromDatetime", k.valid_to_datetime AS "validToDatetime",
                  k.is_active AS "isActive", "#,
        audit!("k."),
        " FROM partner_policy k JOIN partner p ON p.id = k.part_id JOIN auth_policy a ON a.id = k.policy_id",
    ),
    columns: audited![
        Column::text("label"),
        // 1.2.0.1's entity field (`PartnerPolicy#policyApiKey`): a caller may filter and sort
        // by its own key's value, which is never answered (see [`ANSWERED`]).
        Column::text("policyApiKey"),
        Column::text("partnerId"),
        Column::text("partnerName"),
        Column::text("policyId"),
        Column::text("policyName"),
        Column::timestamp("validFromDatetime"),
        Column::timestamp("validToDatetime"),
        Column::boolean("isActive"),
    ],
    code: "label",
    owner: Some(Column::text("partnerId")),
};

/// MISP licences (`MISPLicenseEntity`): `POST /misps/search`, `/misps/filtervalues`; the
/// partner is both `providerId` and the entity's `mispId`, its audit columns both `crBy`... and
/// the entity's `createdBy`, `createdDateTime`, `updatedBy`, `updatedDateTime`.
pub const LICENCES: Entity = Entity {
    select: concat!(
        r#"SELECT misp_id AS "providerId", misp_id AS "mispId", license_key AS "licenseKey",
                  policy_id AS "policyId", valid_from_date AS "validFromDate",
                  valid_to_date AS "validToDate", is_active AS "isActive",
                  cr_by AS "createdBy", cr_dtimes AS "createdDateTime", upd_by AS "updatedBy",
                  upd_dtimes AS "updatedDateTime", "#,
        audit!(""),
        " FROM misp_license",
    ),
    columns: audited![
        Column::text("providerId"),
        // 1.2.0.1 searches the entity `MISPLicenseEntity`, whose fields these are.
        Column::text("mispId"),
        Column::text("createdBy"),
        Column::timestamp("createdDateTime"),
        Column::text("updatedBy"),
        Column::timestamp("updatedDateTime"),
        Column::text("licenseKey"),
        Column::text("policyId"),
        Column::timestamp("validFromDate"),
        Column::timestamp("validToDate"),
        Column::boolean("isActive"),
    ],
    code: "mispId",
    owner: Some(Column::text("providerId")),
};

/// Registered devices (`DeviceDetailSearchResponseDto`): `POST /devicedetail/search`,
/// `/devicedetail/filtervalues`; a provider sees its own.
pub const DEVICE_DETAILS: Entity = Entity {
    select: concat!(
        r#"SELECT id, dprovider_id AS "deviceProviderId", dtype_code AS "deviceTypeCode",
                  dstype_code AS "deviceSubTypeCode", make, model,
                  partner_org_name AS "partnerOrganizationName", approval_status AS "approvalStatus",
                  is_active AS "isActive", "#,
        audit!(""),
        " FROM device_detail",
    ),
    columns: audited![
        Column::text("id"),
        Column::text("deviceProviderId"),
        Column::text("deviceTypeCode"),
        Column::text("deviceSubTypeCode"),
        Column::text("make"),
        Column::text("model"),
        Column::text("partnerOrganizationName"),
        Column::text("approvalStatus"),
        Column::boolean("isActive"),
    ],
    code: "id",
    owner: Some(Column::text("deviceProviderId")),
};

/// Device sub-types with their type (`RegistrationSubTypeDto`, its `desciption` spelling; its
/// primitive `isActive` goes out as `active`, as Jackson names it, beside the `isActive` filters
/// use):
/// `POST /devicedetail/deviceType/search`, `/devicedetail/deviceSubType/filtervalues`.
pub const DEVICE_SUB_TYPES: Entity = Entity {
    select: concat!(
        r#"SELECT code, dtyp_code AS "deviceType", name, descr AS "desciption",
                  is_active AS "isActive", is_active AS "active", false AS "isDeleted",
                  NULL::timestamp AS "delDtimes", "#,
        audit!(""),
        " FROM reg_device_sub_type",
    ),
    columns: audited![
        Column::text("code"),
        Column::text("deviceType"),
        Column::text("name"),
        Column::text("desciption"),
        Column::boolean("isActive"),
    ],
    code: "code",
    owner: None,
};

/// Device types (`RegistrationDeviceType`): `POST /devicedetail/deviceType/filtervalues`.
pub const DEVICE_TYPES: Entity = Entity {
    select: concat!(
        r#"SELECT code, name, descr AS "description", is_active AS "isActive", "#,
        audit!(""),
        " FROM reg_device_type",
    ),
    columns: audited![
        Column::text("code"),
        Column::text("name"),
        Column::text("description"),
        Column::boolean("isActive"),
    ],
    code: "code",
    owner: None,
};

/// Secure biometric interfaces (`SbiSearchResponseDto`): `POST /securebiometricinterface/search`,
/// `/securebiometricinterface/filtervalues`; a provider sees its own.
pub const SBIS: Entity = Entity {
    select: concat!(
        r#"SELECT id, sw_binary_hash AS "swBinaryHash", sw_version AS "swVersion",
                  sw_cr_dtimes AS "swCreateDateTime", sw_expiry_dtimes AS "swExpiryDateTime",
                  is_active AS "isActive", approval_status AS "approvalStatus",
                  provider_id AS "providerId", partner_org_name AS "partnerOrganizationName", "#,
        audit!(""),
        " FROM secure_biometric_interface",
    ),
    columns: audited![
        Column::text("id"),
        Column::text("swBinaryHash"),
        Column::text("swVersion"),
        Column::timestamp("swCreateDateTime"),
        Column::timestamp("swExpiryDateTime"),
        Column::boolean("isActive"),
        Column::text("approvalStatus"),
        Column::text("providerId"),
        Column::text("partnerOrganizationName"),
    ],
    code: "id",
    owner: Some(Column::text("providerId")),
};

/// Devices mapped to SBIs (`MappedDeviceDetailsReponse`):
/// `POST /securebiometricinterface/devicedetails/map/search`; a provider sees its own.
pub const SBI_MAPPINGS: Entity = Entity {
    select: concat!(
        r#"SELECT m.device_detail_id AS "deviceDetailId", m.sbi_id AS "sbiId",
                  m.dprovider_id AS "providerId", m.partner_org_name AS "providerName",
                  d.make, d.model, d.dtype_code AS "deviceTypeCode",
                  d.dstype_code AS "deviceSubTypeCode", s.sw_binary_hash AS "swBinaryHash",
                  s.sw_version AS "swVersion", "#,
        audit!("m."),
        " FROM device_detail_sbi m JOIN device_detail d ON d.id = m.device_detail_id",
        " JOIN secure_biometric_interface s ON s.id = m.sbi_id",
    ),
    columns: audited![
        Column::text("deviceDetailId"),
        Column::text("sbiId"),
        Column::text("providerId"),
        Column::text("providerName"),
        Column::text("make"),
        Column::text("model"),
        Column::text("deviceTypeCode"),
        Column::text("deviceSubTypeCode"),
        Column::text("swBinaryHash"),
        Column::text("swVersion"),
    ],
    code: "deviceDetailId",
    owner: Some(Column::text("providerId")),
};

/// FTM chips (`FTPSearchResponseDto`): `POST /ftpchipdetail/search`; a provider sees its own.
pub const FTM_CHIPS: Entity = Entity {
    select: concat!(
        r#"SELECT id AS "ftpChipDetailId", foundational_trust_provider_id AS "ftpProviderId",
                  make, model, certificate_alias AS "certificateAlias",
                  partner_org_name AS "partnerOrganizationName", is_active AS "isActive",
                  approval_status AS "approvalStatus", "#,
        audit!(""),
        " FROM ftp_chip_detail",
    ),
    columns: audited![
        Column::text("ftpChipDetailId"),
        Column::text("ftpProviderId"),
        Column::text("make"),
        Column::text("model"),
        Column::text("certificateAlias"),
        Column::text("partnerOrganizationName"),
        Column::boolean("isActive"),
        Column::text("approvalStatus"),
    ],
    code: "ftpChipDetailId",
    owner: Some(Column::text("ftpProviderId")),
};

/// One page of a search: PMS's `PageResponseDto{fromRecord, toRecord, totalRecord, data}`,
/// numbered as 1.2.0.1's `PageUtils#pageResponse`: `fromRecord` is the first row's number
/// (1-based; 0 for an empty page), `toRecord` the last one's.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Number of the first row of this page (1-based), 0 when the page is empty.
    pub from_record: i64,
    /// Number of the last row of this page (the offset when the page is empty).
    pub to_record: i64,
    /// Rows matching the filters, over all pages.
    pub total_record: i64,
    /// The rows, as the entity's JSON (timestamps in MOSIP's format).
    pub data: Vec<Value>,
}

/// One value of a filter-values answer: PMS's `FilterData{fieldID, fieldValue, fieldCode}`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FilterData {
    /// The column asked for.
    #[serde(rename = "fieldID")]
    pub field_id: String,
    /// A value of it.
    #[serde(rename = "fieldValue")]
    pub field_value: String,
    /// The row's identifying column (the entity's code; `unique` answers each (value, code)
    /// pair once).
    #[serde(rename = "fieldCode")]
    pub field_code: String,
}

/// At most this many values per filter-values column (`mosip.pms.filtervalue.max_columns`).
pub const MAX_FILTER_VALUES: i64 = 500;

fn quoted(name: &str) -> String {
    format!("t.\"{name}\"")
}

fn push_conditions(qb: &mut QueryBuilder<'_, Postgres>, predicates: &[Predicate]) {
    for (i, p) in predicates.iter().enumerate() {
        qb.push(if i == 0 { " WHERE " } else { " AND " });
        let col = quoted(p.column.name);
        match &p.condition {
            Condition::Like(pattern) => {
                qb.push(format!("lower({col}) LIKE lower("))
                    .push_bind(pattern.clone())
                    .push(")");
            }
            Condition::TextEquals(v) => {
                qb.push(format!("lower({col}) = lower("))
                    .push_bind(v.clone())
                    .push(")");
            }
            Condition::BoolEquals(v) => {
                qb.push(format!("{col} = ")).push_bind(*v);
            }
            Condition::TimeBetween(a, b) => {
                qb.push(format!("{col} BETWEEN "))
                    .push_bind(*a)
                    .push(" AND ")
                    .push_bind(*b);
            }
            Condition::TextBetween(a, b) => {
                qb.push(format!("{col} BETWEEN "))
                    .push_bind(a.clone())
                    .push(" AND ")
                    .push_bind(b.clone());
            }
            Condition::In(values) => {
                qb.push(format!("{col} = ANY("))
                    .push_bind(values.clone())
                    .push(")");
            }
        }
    }
}

/// Timestamps of `row` as MOSIP writes them (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`).
fn mosip_times(entity: &Entity, mut row: Value) -> Value {
    for c in entity
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Timestamp)
    {
        if let Some(v) = row.get_mut(c.name) {
            if let Some(at) = v
                .as_str()
                .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            {
                *v = Value::String(mosip_datetime(at));
            }
        }
    }
    row
}

/// One page of `entity` under `plan`, plus `extra` conditions the endpoint adds (own data,
/// `partnerType`, `policyType`). Rows are ordered by the plan's sort keys, then by the
/// entity's identifying column, so pages are stable.
pub async fn search(
    conn: &mut PgConnection,
    entity: &Entity,
    plan: &SearchPlan,
    extra: &[Predicate],
) -> Result<Page, sqlx::Error> {
    let predicates: Vec<Predicate> = plan.predicates.iter().chain(extra).cloned().collect();
    let mut count =
        QueryBuilder::<Postgres>::new(format!("SELECT count(*) FROM ({}) t", entity.select));
    push_conditions(&mut count, &predicates);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

    let mut page = QueryBuilder::<Postgres>::new(format!("{ANSWERED} FROM ({}) t", entity.select));
    push_conditions(&mut page, &predicates);
    page.push(" ORDER BY ");
    for (col, asc) in &plan.order {
        page.push(format!(
            "{} {} NULLS LAST, ",
            quoted(col.name),
            if *asc { "ASC" } else { "DESC" }
        ));
    }
    page.push(quoted(entity.code))
        .push(" LIMIT ")
        .push_bind(plan.limit)
        .push(" OFFSET ")
        .push_bind(plan.offset);
    let rows: Vec<Value> = page.build_query_scalar().fetch_all(&mut *conn).await?;
    let data: Vec<Value> = rows.into_iter().map(|r| mosip_times(entity, r)).collect();
    Ok(Page {
        from_record: if data.is_empty() { 0 } else { plan.offset + 1 },
        to_record: plan.offset + data.len() as i64,
        total_record: total,
        data,
    })
}

/// The values of each column of `plan` (at most [`MAX_FILTER_VALUES`] each, in value order)
/// among the rows meeting its optional filters and `extra`. A boolean column answers `true`
/// and `false`, as PMS's `FilterHelper` does.
pub async fn filter_values(
    conn: &mut PgConnection,
    entity: &Entity,
    plan: &FilterPlan,
    extra: &[Predicate],
) -> Result<Vec<FilterData>, sqlx::Error> {
    let predicates: Vec<Predicate> = plan.predicates.iter().chain(extra).cloned().collect();
    let mut out = Vec::new();
    for v in &plan.columns {
        let id = v.column.name.to_owned();
        let Some(like) = &v.like else {
            for b in ["true", "false"] {
                out.push(FilterData {
                    field_id: id.clone(),
                    field_value: b.into(),
                    field_code: String::new(),
                });
            }
            continue;
        };
        let col = quoted(v.column.name);
        // `FilterHelper#filterValuesWithCode`: (value, code) pairs, distinct for `unique`.
        let select = format!(
            "SELECT {}{col}::text, {}::text",
            if v.unique { "DISTINCT " } else { "" },
            quoted(entity.code)
        );
        let mut qb = QueryBuilder::<Postgres>::new(format!("{select} FROM ({}) t", entity.select));
        let mut all = predicates.clone();
        all.push(Predicate {
            column: v.column,
            condition: Condition::Like(like.clone()),
        });
        push_conditions(&mut qb, &all);
        qb.push(" ORDER BY 1, 2 LIMIT ")
            .push_bind(MAX_FILTER_VALUES);
        let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        out.extend(rows.into_iter().map(|(value, code)| FilterData {
            field_id: id.clone(),
            field_value: value,
            field_code: code,
        }));
    }
    Ok(out)
}

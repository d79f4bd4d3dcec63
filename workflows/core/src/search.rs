//! PMS's search and filter-values requests, checked and turned into a plan the store runs.
//!
//! Source: pms-common `SearchDto`, `SearchFilter`, `SearchSort`, `Pagination`, `FilterValueDto`,
//! `FilterDto`, and the rules of `SearchHelper` / `FilterHelper`
//! (`partner/pms-common/src/main/java/io/mosip/pms/common/helper/`). Error codes are
//! pms-common's `SearchErrorCode` (`PMS-MSD-3xx`, hyphenated, as 1.2.0.1 answers them).
//!
//! A search names columns by the API field names of the entity searched (`name`, `isActive`,
//! `crDtimes`...). Each searchable entity declares its [`Column`]s; anything else is refused
//! before any SQL is written, so column names reaching the store are always known ones.

use serde::Deserialize;
use time::{format_description::well_known::Iso8601, OffsetDateTime, PrimitiveDateTime};

use crate::envelope::ServiceError;

/// The type of a searchable column: decides how `equals` and `between` compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text: `equals` is case-insensitive, `contains` / `startswith` are case-insensitive LIKE.
    Text,
    /// Boolean: `equals` takes `true` / `false` (any case).
    Bool,
    /// Timestamp (UTC): `equals` matches the millisecond, `between` takes two ISO date-times.
    Timestamp,
}

/// One searchable field of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The API field name a request uses (`columnName`, `sortField`).
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnKind,
}

impl Column {
    /// A text column.
    pub const fn text(name: &'static str) -> Self {
        Self {
            name,
            kind: ColumnKind::Text,
        }
    }
    /// A boolean column.
    pub const fn boolean(name: &'static str) -> Self {
        Self {
            name,
            kind: ColumnKind::Bool,
        }
    }
    /// A timestamp column.
    pub const fn timestamp(name: &'static str) -> Self {
        Self {
            name,
            kind: ColumnKind::Timestamp,
        }
    }
}

/// A number PMS's Jackson accepts as an integer: a JSON integer, a JSON number with a fraction
/// (`10.0`, as MOSIP's test rig sends pagination; Jackson's `ACCEPT_FLOAT_AS_INT` truncates it),
/// or a string holding an integer (`"pageStart": "0"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Lenient {
    Number(i64),
    Fraction(f64),
    Text(String),
}

impl Lenient {
    fn value(self) -> Result<i64, SearchError> {
        match self {
            Self::Number(n) => Ok(n),
            Self::Fraction(f) if f.is_finite() && f.abs() < i64::MAX as f64 => Ok(f.trunc() as i64),
            Self::Fraction(_) => Err(SearchError::Pagination),
            Self::Text(s) => s.trim().parse().map_err(|_| SearchError::Pagination),
        }
    }
}

/// `Pagination{pageStart, pageFetch}`: page index from 0 and page size (default 10).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    page_start: Option<Lenient>,
    page_fetch: Option<Lenient>,
}

/// `SearchFilter{columnName, type, value, values, fromValue, toValue}`; `type` is one of
/// `equals`, `contains`, `startswith`, `between`, `in` (any case).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchFilter {
    /// API field name.
    pub column_name: Option<String>,
    /// Filter type.
    #[serde(rename = "type")]
    pub filter_type: Option<String>,
    /// Value of `equals`, `contains`, `startswith` (`*` wildcards at either end allowed).
    pub value: Option<String>,
    /// Values of `in`.
    pub values: Option<Vec<String>>,
    /// Lower bound of `between`.
    pub from_value: Option<String>,
    /// Upper bound of `between`.
    pub to_value: Option<String>,
}

/// `SearchSort{sortField, sortType}`; `sortType` is `asc` or `desc` (any case).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchSort {
    /// API field name.
    pub sort_field: Option<String>,
    /// `asc` or `desc`.
    pub sort_type: Option<String>,
}

/// PMS's `SearchDto{filters, sort, pagination, languageCode}`. Entity-specific extras
/// (`partnerType`, `policyType`) are read by the endpoint from the same JSON.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchRequest {
    /// Filters, all of which must hold.
    #[serde(default)]
    pub filters: Vec<SearchFilter>,
    /// Sort keys, in order.
    #[serde(default)]
    pub sort: Vec<SearchSort>,
    /// Page; the first page of 10 when absent.
    #[serde(default)]
    pub pagination: Option<Pagination>,
}

/// A checked condition on a known column.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Case-insensitive LIKE with this pattern (`%` added as PMS does).
    Like(String),
    /// Case-insensitive equality of text.
    TextEquals(String),
    /// Boolean equality.
    BoolEquals(bool),
    /// Timestamps in `[from, to]`, inclusive.
    TimeBetween(OffsetDateTime, OffsetDateTime),
    /// Text in `[from, to]` (string order).
    TextBetween(String, String),
    /// Text equal to one of these (case-sensitive, as PMS's `in`).
    In(Vec<String>),
}

/// A condition on a column.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    /// The column.
    pub column: Column,
    /// What must hold.
    pub condition: Condition,
}

/// A checked search: conditions (all must hold), order, page.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    /// Conditions.
    pub predicates: Vec<Predicate>,
    /// Sort keys: (column, ascending).
    pub order: Vec<(Column, bool)>,
    /// Rows to skip (`pageStart × pageFetch`).
    pub offset: i64,
    /// Page size (`pageFetch`).
    pub limit: i64,
}

/// Bounds on one search or filter-values request, so a single request cannot hold the
/// database (PMS has none; each is far above what the partner portal and MOSIP's admin UI
/// send).
pub mod limits {
    /// Largest `pageFetch`, rows (more is `PMS-MSD-313`, as an invalid page).
    pub const PAGE_FETCH: i64 = 500;
    /// Most `filters` (search) or `optionalFilters` (filter values) per request.
    pub const FILTERS: usize = 20;
    /// Most `sort` entries per request.
    pub const SORTS: usize = 5;
    /// Most columns in a filter-values request (each is one query).
    pub const FILTER_COLUMNS: usize = 10;
    /// Most `values` of an `in` filter.
    pub const IN_VALUES: usize = 100;
}

/// Why a search or filter-values request was refused; `code()` / `message()` are PMS's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// `PMS-MSD-310`: a column the entity does not have.
    #[error("Invalid column received : {0}")]
    InvalidColumn(String),
    /// `PMS-MSD-311`: a filter without `columnName`.
    #[error("Column is missing in request")]
    MissingColumn,
    /// `PMS-MSD-312`: a filter without `type`.
    #[error("Filter type is missing")]
    MissingType,
    /// `PMS-MSD-313`: `pageStart < 0` or `pageFetch < 1`, or not a number.
    #[error("Invalid pagination value received pagestart and pagefetch")]
    Pagination,
    /// `PMS-MSD-314`: a sort without field or type.
    #[error("Missing sort field or sort type values")]
    SortInput,
    /// `PMS-MSD-315`: `between` without both bounds, or bounds of the wrong type.
    #[error("Invalid fromValue or toValue")]
    Between,
    /// `PMS-MSD-357`: an unknown sort field.
    #[error("Invalid sort field {0}")]
    SortField(String),
    /// `PMS-MSD-358`: a sort type other than `asc` / `desc`.
    #[error("Sort type {0} is not supported")]
    SortType(String),
    /// `PMS-MSD-390`: a filter without a usable value.
    #[error("Invalid filter value")]
    Value,
    /// `PMS-MSD-391`: `in` without values.
    #[error("Invalid filter values")]
    Values,
    /// `PMS-MSD-392`: both `value` and `values`.
    #[error("Both value and values cannot be present")]
    ValueAndValues,
    /// `PMS-MSD-322`: a filter-values column whose `type` is empty.
    #[error("Filter Type cannot be empty or null")]
    EmptyFilterType,
    /// `PMS-MSD-317` of filter values: a column the entity does not have.
    #[error("Column {0} doesn't exist for the searched entity")]
    NoSuchColumn(String),
    /// `PMS-MSD-324`: a filter-values type other than `all` / `unique`, or a column whose
    /// values are dates.
    #[error("Received Filter Type not supported")]
    UnsupportedFilterType,
    /// `PMS_COR_001`: more filters, sorts, columns or values than [`limits`] allows.
    #[error("Invalid request parameter - at most {max} {what} :request")]
    TooMany {
        /// What there are too many of (`filters`, `sort`, `filter columns`, `values`).
        what: &'static str,
        /// The bound.
        max: usize,
    },
}

impl SearchError {
    /// PMS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidColumn(_) => "PMS-MSD-310",
            Self::MissingColumn => "PMS-MSD-311",
            Self::MissingType => "PMS-MSD-312",
            Self::Pagination => "PMS-MSD-313",
            Self::SortInput => "PMS-MSD-314",
            Self::Between => "PMS-MSD-315",
            Self::SortField(_) => "PMS-MSD-357",
            Self::SortType(_) => "PMS-MSD-358",
            Self::Value => "PMS-MSD-390",
            Self::Values => "PMS-MSD-391",
            Self::ValueAndValues => "PMS-MSD-392",
            Self::NoSuchColumn(_) => "PMS-MSD-317",
            Self::EmptyFilterType => "PMS-MSD-322",
            Self::UnsupportedFilterType => "PMS-MSD-324",
            Self::TooMany { .. } => "PMS_COR_001",
        }
    }
}

impl From<SearchError> for ServiceError {
    fn from(e: SearchError) -> Self {
        ServiceError::new(e.code(), e.to_string())
    }
}

fn at_most(n: usize, max: usize, what: &'static str) -> Result<(), SearchError> {
    if n > max {
        Err(SearchError::TooMany { what, max })
    } else {
        Ok(())
    }
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn column(columns: &[Column], name: &str) -> Option<Column> {
    columns.iter().copied().find(|c| c.name == name)
}

/// A MOSIP date-time (`2026-11-22T10:00:00.000Z`, or without zone: UTC).
fn parse_time(s: &str) -> Result<OffsetDateTime, SearchError> {
    OffsetDateTime::parse(s, &Iso8601::DEFAULT)
        .or_else(|_| PrimitiveDateTime::parse(s, &Iso8601::DEFAULT).map(|t| t.assume_utc()))
        .map_err(|_| SearchError::Between)
}

/// The filter types `SearchHelper#buildFilters` turns into a condition.
const FILTER_TYPES: [&str; 5] = ["equals", "contains", "startswith", "between", "in"];

/// Check one filter as `SearchHelper#validateFilters` then `#buildFilters` do. A filter of
/// another type (`unique`, which the partner portal sends) needs a `value` and is then
/// ignored, column and all: 1.2.0.1's `buildFilters` answers no predicate for it.
pub fn predicate(columns: &[Column], f: &SearchFilter) -> Result<Option<Predicate>, SearchError> {
    let name = present(&f.column_name).ok_or(SearchError::MissingColumn)?;
    let kind = present(&f.filter_type)
        .ok_or(SearchError::MissingType)?
        .to_ascii_lowercase();
    let values = f.values.as_ref().filter(|v| !v.is_empty());
    if present(&f.value).is_some() && values.is_some() {
        return Err(SearchError::ValueAndValues);
    }
    if !FILTER_TYPES.contains(&kind.as_str()) {
        present(&f.value).ok_or(SearchError::Value)?;
        return Ok(None);
    }
    let col = column(columns, name).ok_or_else(|| SearchError::InvalidColumn(name.into()))?;
    let value = || present(&f.value).ok_or(SearchError::Value);
    let condition = match kind.as_str() {
        "equals" => match col.kind {
            ColumnKind::Bool => match value()?.to_ascii_lowercase().as_str() {
                "true" => Condition::BoolEquals(true),
                "false" => Condition::BoolEquals(false),
                _ => return Err(SearchError::Value),
            },
            ColumnKind::Timestamp => {
                let at = parse_time(value()?).map_err(|_| SearchError::Value)?;
                Condition::TimeBetween(at, at + time::Duration::milliseconds(1))
            }
            ColumnKind::Text => Condition::TextEquals(value()?.to_owned()),
        },
        "contains" => {
            let v = value()?;
            let inner = v.strip_prefix('*').unwrap_or(v);
            let inner = inner.strip_suffix('*').unwrap_or(inner);
            Condition::Like(format!("%{}%", escape_like(inner)))
        }
        "startswith" => {
            let v = value()?;
            Condition::Like(format!(
                "{}%",
                escape_like(v.strip_suffix('*').unwrap_or(v))
            ))
        }
        "between" => {
            let (Some(from), Some(to)) = (present(&f.from_value), present(&f.to_value)) else {
                return Err(SearchError::Between);
            };
            match col.kind {
                ColumnKind::Timestamp => Condition::TimeBetween(parse_time(from)?, parse_time(to)?),
                ColumnKind::Text => Condition::TextBetween(from.into(), to.into()),
                ColumnKind::Bool => return Err(SearchError::InvalidColumn(name.into())),
            }
        }
        "in" => {
            let values = values.ok_or(SearchError::Values)?;
            at_most(values.len(), limits::IN_VALUES, "values")?;
            Condition::In(values.clone())
        }
        _ => return Ok(None),
    };
    if matches!(condition, Condition::Like(_)) && col.kind != ColumnKind::Text {
        return Err(SearchError::InvalidColumn(name.into()));
    }
    Ok(Some(Predicate {
        column: col,
        condition,
    }))
}

/// `%`, `_` and `\` in a user's value match themselves (PMS passes them to LIKE unescaped, so
/// a `%` in a search text matched anything; here it matches a `%`).
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Check a whole search against the entity's columns: filters, then sort, then page (the
/// order in which `SearchHelper` reports errors).
pub fn plan(columns: &[Column], req: &SearchRequest) -> Result<SearchPlan, SearchError> {
    at_most(req.filters.len(), limits::FILTERS, "filters")?;
    at_most(req.sort.len(), limits::SORTS, "sort")?;
    let predicates = req
        .filters
        .iter()
        .map(|f| predicate(columns, f))
        .filter_map(Result::transpose)
        .collect::<Result<Vec<_>, _>>()?;
    let mut order = Vec::with_capacity(req.sort.len());
    for s in &req.sort {
        let (Some(field), Some(kind)) = (present(&s.sort_field), present(&s.sort_type)) else {
            return Err(SearchError::SortInput);
        };
        let col = column(columns, field).ok_or_else(|| SearchError::SortField(field.into()))?;
        let asc = match kind.to_ascii_lowercase().as_str() {
            "asc" => true,
            "desc" => false,
            _ => return Err(SearchError::SortType(kind.into())),
        };
        order.push((col, asc));
    }
    let page = req.pagination.clone().unwrap_or_default();
    let start = page
        .page_start
        .map(Lenient::value)
        .transpose()?
        .unwrap_or(0);
    let fetch = page
        .page_fetch
        .map(Lenient::value)
        .transpose()?
        .unwrap_or(10);
    if start < 0 || !(1..=limits::PAGE_FETCH).contains(&fetch) {
        return Err(SearchError::Pagination);
    }
    Ok(SearchPlan {
        predicates,
        order,
        offset: start.saturating_mul(fetch),
        limit: fetch,
    })
}

/// `FilterDto{columnName, type, text}`: `type` is `all` (every row's value) or `unique`
/// (distinct values); `text` narrows to values containing it (case-insensitive).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterColumn {
    /// API field name (`@NotBlank`).
    pub column_name: Option<String>,
    /// `all` or `unique`, any case: absent is `unique` (the DTO's default), `null` is refused
    /// (`@NotNull`), `""` is `PMS-MSD-322`.
    #[serde(rename = "type", default = "unique", deserialize_with = "given")]
    pub filter_type: Option<String>,
    /// Substring the values must contain.
    pub text: Option<String>,
}

fn unique() -> Option<String> {
    Some("unique".to_owned())
}

/// A field that is present: its value, `None` for an explicit `null`.
fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// PMS's `FilterValueDto{filters, optionalFilters, languageCode}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterValueRequest {
    /// The columns whose values are wanted (`@NotNull`).
    pub filters: Option<Vec<FilterColumn>>,
    /// Conditions every row must meet (`SearchFilter`s).
    #[serde(default)]
    pub optional_filters: Vec<SearchFilter>,
}

/// One checked filter-values column.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuesOf {
    /// The column.
    pub column: Column,
    /// Distinct values only.
    pub unique: bool,
    /// `LIKE` pattern of `text` (`%text%`), `None` for a boolean column (whose values are
    /// always `true` and `false`, as `FilterHelper` answers).
    pub like: Option<String>,
}

/// A checked filter-values request.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPlan {
    /// The columns, in request order.
    pub columns: Vec<ValuesOf>,
    /// Conditions on the rows.
    pub predicates: Vec<Predicate>,
}

/// Why a filter-values request is refused, in 1.2.0.1's order: bean validation
/// (`PMS_COR_001`), then `FilterColumnValidator` (every column's errors together), then the
/// rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValuesError {
    /// `PMS_COR_001` "Invalid request parameter - {message} :{field}" (`filters` missing, a
    /// blank `columnName`, a `null` type): the first such field.
    Invalid {
        /// Its path, e.g. `request.filters[0].columnName`.
        field: String,
        /// `must not be null` or `must not be blank`.
        message: &'static str,
    },
    /// `PMS-MSD-322`, `PMS-MSD-317`, `PMS-MSD-324` of every column, in request order (1.2.0.1's
    /// policy service answers them as `PMS_COR_003`).
    Columns(Vec<SearchError>),
    /// Any other refusal (a date column, the optional filters, the limits).
    Search(SearchError),
}

impl From<SearchError> for FilterValuesError {
    fn from(e: SearchError) -> Self {
        Self::Search(e)
    }
}

/// Check a filter-values request against `columns` as 1.2.0.1 does; column names match in
/// any case.
///
/// # Errors
/// [`FilterValuesError`].
pub fn filter_plan(
    columns: &[Column],
    req: &FilterValueRequest,
) -> Result<FilterPlan, FilterValuesError> {
    let invalid = |field: String, message| FilterValuesError::Invalid { field, message };
    let Some(filters) = &req.filters else {
        return Err(invalid("request.filters".into(), "must not be null"));
    };
    for (i, f) in filters.iter().enumerate() {
        if present(&f.column_name).is_none() {
            return Err(invalid(
                format!("request.filters[{i}].columnName"),
                "must not be blank",
            ));
        }
        if f.filter_type.is_none() {
            return Err(invalid(
                format!("request.filters[{i}].type"),
                "must not be null",
            ));
        }
    }
    at_most(filters.len(), limits::FILTER_COLUMNS, "filter columns")?;
    at_most(req.optional_filters.len(), limits::FILTERS, "filters")?;
    // `FilterColumnValidator`: all columns' errors together.
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(filters.len());
    for f in filters {
        let name = f.column_name.as_deref().unwrap_or_default().trim();
        let kind = f.filter_type.as_deref().unwrap_or_default().trim();
        if kind.is_empty() {
            errors.push(SearchError::EmptyFilterType);
            continue;
        }
        let col = columns
            .iter()
            .copied()
            .find(|c| c.name.eq_ignore_ascii_case(name));
        if col.is_none() {
            errors.push(SearchError::NoSuchColumn(name.to_owned()));
        }
        let unique = match kind.to_ascii_lowercase().as_str() {
            "unique" => Some(true),
            "all" => Some(false),
            _ => {
                errors.push(SearchError::UnsupportedFilterType);
                None
            }
        };
        if let (Some(col), Some(unique)) = (col, unique) {
            checked.push((col, unique, f.text.as_deref()));
        }
    }
    if !errors.is_empty() {
        return Err(FilterValuesError::Columns(errors));
    }
    let mut out = Vec::with_capacity(checked.len());
    for (column, unique, text) in checked {
        let like = match column.kind {
            ColumnKind::Text => Some(format!("%{}%", escape_like(text.unwrap_or("").trim()))),
            ColumnKind::Bool => None,
            // `FilterHelper` refuses date columns.
            ColumnKind::Timestamp => return Err(SearchError::UnsupportedFilterType.into()),
        };
        out.push(ValuesOf {
            column,
            unique,
            like,
        });
    }
    let predicates = req
        .optional_filters
        .iter()
        .map(|f| predicate(columns, f))
        .filter_map(Result::transpose)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FilterPlan {
        columns: out,
        predicates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLUMNS: &[Column] = &[
        Column::text("name"),
        Column::boolean("isActive"),
        Column::timestamp("crDtimes"),
    ];

    fn req(v: serde_json::Value) -> SearchRequest {
        serde_json::from_value(v).unwrap()
    }

    fn err(v: serde_json::Value) -> &'static str {
        plan(COLUMNS, &req(v)).unwrap_err().code()
    }

    #[test]
    fn string_pagination_and_defaults() {
        let p = plan(
            COLUMNS,
            &req(json!({"pagination": {"pageStart": "2", "pageFetch": 5}})),
        )
        .unwrap();
        assert_eq!((p.offset, p.limit), (10, 5));
        let p = plan(COLUMNS, &req(json!({"pagination": {"pageStart": "0"}}))).unwrap();
        // As MOSIP's test rig sends them: JSON numbers with a fraction, truncated as Jackson does.
        let floats = plan(
            COLUMNS,
            &req(json!({"pagination": {"pageStart": 1.0, "pageFetch": 10.0}})),
        )
        .unwrap();
        assert_eq!((floats.offset, floats.limit), (10, 10));
        assert_eq!((p.offset, p.limit), (0, 10));
        assert_eq!(err(json!({"pagination": {"pageStart": -1}})), "PMS-MSD-313");
        assert_eq!(
            err(json!({"pagination": {"pageFetch": "0"}})),
            "PMS-MSD-313"
        );
        assert_eq!(
            err(json!({"pagination": {"pageFetch": limits::PAGE_FETCH + 1}})),
            "PMS-MSD-313"
        );
        let sorts = vec![json!({"sortField": "name", "sortType": "asc"}); limits::SORTS + 1];
        assert_eq!(err(json!({ "sort": sorts })), "PMS_COR_001");
        let filters = vec![
            json!({"columnName": "name", "type": "equals", "value": "x"});
            limits::FILTERS + 1
        ];
        assert_eq!(err(json!({ "filters": filters })), "PMS_COR_001");
    }

    #[test]
    fn filter_errors_as_search_helper() {
        let f = |f: serde_json::Value| err(json!({"filters": [f]}));
        assert_eq!(f(json!({"type": "equals", "value": "x"})), "PMS-MSD-311");
        assert_eq!(
            f(json!({"columnName": "name", "value": "x"})),
            "PMS-MSD-312"
        );
        assert_eq!(
            f(json!({"columnName": "n@@e", "type": "equals", "value": "x"})),
            "PMS-MSD-310"
        );
        assert_eq!(
            f(json!({"columnName": "name", "type": "equals"})),
            "PMS-MSD-390"
        );
        assert_eq!(
            f(json!({"columnName": "isActive", "type": "equals", "value": "yes"})),
            "PMS-MSD-390"
        );
        assert_eq!(
            f(json!({"columnName": "name", "type": "between", "fromValue": "a"})),
            "PMS-MSD-315"
        );
        assert_eq!(
            f(json!({"columnName": "name", "type": "in"})),
            "PMS-MSD-391"
        );
        assert_eq!(
            f(json!({"columnName": "isActive", "type": "contains", "value": "x"})),
            "PMS-MSD-310"
        );
        // Another type (the portal's `unique`) needs a value and is then ignored, column and
        // all, as 1.2.0.1's `buildFilters` ignores it.
        assert_eq!(
            f(json!({"columnName": "name", "type": "unique"})),
            "PMS-MSD-390"
        );
        let p = plan(
            COLUMNS,
            &req(json!({"filters": [
                {"columnName": "nosuch", "type": "unique", "value": "x"},
                {"columnName": "name", "type": "equals", "value": "x"},
            ]})),
        )
        .unwrap();
        assert_eq!(p.predicates.len(), 1);
        assert_eq!(p.predicates[0].column.name, "name");
    }

    #[test]
    fn sort_errors_as_search_helper() {
        let s = |s: serde_json::Value| err(json!({"sort": [s]}));
        assert_eq!(s(json!({"sortField": "name"})), "PMS-MSD-314");
        assert_eq!(s(json!({"sortType": "asc"})), "PMS-MSD-314");
        assert_eq!(
            s(json!({"sortField": "n@@", "sortType": "asc"})),
            "PMS-MSD-357"
        );
        assert_eq!(
            s(json!({"sortField": "name", "sortType": "dc"})),
            "PMS-MSD-358"
        );
        let p = plan(
            COLUMNS,
            &req(json!({"sort": [{"sortField": "name", "sortType": "DESC"}]})),
        )
        .unwrap();
        assert_eq!(p.order, vec![(COLUMNS[0], false)]);
    }

    #[test]
    fn conditions() {
        let one = |f: serde_json::Value| {
            plan(COLUMNS, &req(json!({"filters": [f]})))
                .unwrap()
                .predicates[0]
                .condition
                .clone()
        };
        assert_eq!(
            one(json!({"columnName": "name", "type": "contains", "value": "*Auth*"})),
            Condition::Like("%Auth%".into())
        );
        assert_eq!(
            one(json!({"columnName": "name", "type": "startsWith", "value": "50%_x*"})),
            Condition::Like("50\\%\\_x%".into())
        );
        assert_eq!(
            one(json!({"columnName": "name", "type": "EQUALS", "value": "Auth"})),
            Condition::TextEquals("Auth".into())
        );
        assert_eq!(
            one(json!({"columnName": "isActive", "type": "equals", "value": "TRUE"})),
            Condition::BoolEquals(true)
        );
        let Condition::TimeBetween(a, b) = one(
            json!({"columnName": "crDtimes", "type": "between", "fromValue": "2026-01-01T00:00:00.000Z", "toValue": "2026-12-31T00:00:00"}),
        ) else {
            panic!()
        };
        assert!(a < b);
    }

    #[test]
    fn filter_values() {
        let r: FilterValueRequest = serde_json::from_value(json!({
            "filters": [{"columnName": "name", "type": "all", "text": "mo"}, {"columnName": "isActive", "type": "unique"}],
            "optionalFilters": [{"columnName": "isActive", "type": "equals", "value": "true"}]
        })).unwrap();
        let p = filter_plan(COLUMNS, &r).unwrap();
        assert_eq!(
            p.columns[0],
            ValuesOf {
                column: COLUMNS[0],
                unique: false,
                like: Some("%mo%".into())
            }
        );
        assert_eq!(p.columns[1].like, None);
        assert_eq!(p.predicates.len(), 1);
        let many: FilterValueRequest = serde_json::from_value(json!({
            "filters": vec![json!({"columnName": "name", "type": "all"}); limits::FILTER_COLUMNS + 1]
        }))
        .unwrap();
        assert_eq!(
            filter_plan(COLUMNS, &many).unwrap_err(),
            FilterValuesError::Search(SearchError::TooMany {
                what: "filter columns",
                max: limits::FILTER_COLUMNS
            })
        );
        let err = |v: serde_json::Value| {
            filter_plan(COLUMNS, &serde_json::from_value(v).unwrap()).unwrap_err()
        };
        // A date column.
        assert_eq!(
            err(json!({"filters": [{"columnName": "crDtimes", "type": "all"}]})),
            FilterValuesError::Search(SearchError::UnsupportedFilterType)
        );
        // Bean validation first: no filters, a blank column, a null type.
        assert_eq!(
            err(json!({})),
            FilterValuesError::Invalid {
                field: "request.filters".into(),
                message: "must not be null"
            }
        );
        assert_eq!(
            err(json!({"filters": [{"columnName": "name"}, {"columnName": " ", "type": "all"}]})),
            FilterValuesError::Invalid {
                field: "request.filters[1].columnName".into(),
                message: "must not be blank"
            }
        );
        assert_eq!(
            err(json!({"filters": [{"columnName": "name", "type": null}]})),
            FilterValuesError::Invalid {
                field: "request.filters[0].type".into(),
                message: "must not be null"
            }
        );
        // Then every column's errors together: empty type, unknown column, unknown type.
        let FilterValuesError::Columns(errors) = err(json!({"filters": [
            {"columnName": "name", "type": ""},
            {"columnName": "nope", "type": "few"},
        ]})) else {
            panic!("column errors expected")
        };
        let codes: Vec<&str> = errors.iter().map(SearchError::code).collect();
        assert_eq!(codes, ["PMS-MSD-322", "PMS-MSD-317", "PMS-MSD-324"]);
        // Column names and types in any case; an absent type is `unique`.
        let p = filter_plan(
            COLUMNS,
            &serde_json::from_value(json!({"filters": [{"columnName": "NAME", "type": "ALL"}, {"columnName": "isactive"}]}))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (p.columns[0].column, p.columns[0].unique),
            (COLUMNS[0], false)
        );
        assert_eq!(
            (p.columns[1].column, p.columns[1].unique),
            (COLUMNS[1], true)
        );
    }
}

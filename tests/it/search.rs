//! PMS's search and filter-values endpoints over a seeded MOSIP sandbox (`pmsflow seed`):
//! filters, sort, paging, the own-data rule, and pms-common's `PMS-MSD-3xx` errors.

use crate::helpers::code;
use pmsflow_tests::TestApp;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn post(app: &TestApp, path: &str, token: &str, request: Value) -> Value {
    let resp = app
        .http
        .post(format!("{}{path}", app.api))
        .bearer_auth(token)
        .json(&json!({"id": "mosip.search", "version": "1.0", "requesttime": "2026-11-22T10:00:00.000Z", "request": request}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.expect("json")
}

fn strings<'a>(v: &'a Value, field: &str) -> Vec<&'a str> {
    v["response"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data: {v}"))
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default())
        .collect()
}

async fn seeded(pool: PgPool) -> TestApp {
    let app = TestApp::spawn(pool).await;
    pmsflow::seed::seed(&app.pool, &app.settings.pms)
        .await
        .unwrap();
    app
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn policy_search_filters_sorts_and_pages(pool: PgPool) {
    let app = seeded(pool).await;
    let admin = app.admin();
    let path = "/v1/policymanager/policies/search";

    // All DataShare policies, by name descending, as PMS's `sort`.
    let v = post(&app, path, &admin, json!({"policyType": "DataShare", "filters": [], "sort": [{"sortField": "name", "sortType": "desc"}], "pagination": {"pageStart": "0", "pageFetch": "50"}})).await;
    let names = strings(&v, "name");
    assert_eq!(names.len(), 12, "{v}");
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted);
    assert_eq!(v["response"]["totalRecord"], 12);
    assert!(strings(&v, "policyType").iter().all(|t| *t == "DataShare"));
    assert!(strings(&v, "status").iter().all(|s| *s == "PUBLISHED"));
    // Timestamps in MOSIP's format.
    let cr = v["response"]["data"][0]["crDtimes"].as_str().unwrap();
    assert!(cr.len() == 24 && cr.ends_with('Z'), "{cr}");

    // Paging is stable and covers every row once.
    let mut seen = Vec::new();
    for page in 0..4 {
        let v = post(&app, path, &admin, json!({"policyType": "all", "sort": [{"sortField": "name", "sortType": "asc"}], "pagination": {"pageStart": page, "pageFetch": 3}})).await;
        // Numbered as 1.2.0.1's PageUtils#pageResponse: the first row of a page is 1-based.
        assert_eq!(v["response"]["fromRecord"], page * 3 + 1);
        seen.extend(strings(&v, "id").into_iter().map(str::to_owned));
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (12, 12));

    // contains / startswith / equals are case-insensitive; `*` is a wildcard; `%` is literal.
    let one = |f: Value| json!({"policyType": "all", "filters": [f]});
    let v = post(
        &app,
        path,
        &admin,
        one(json!({"columnName": "name", "type": "contains", "value": "*DEFAULT-ABIS*"})),
    )
    .await;
    assert_eq!(strings(&v, "id"), ["mpolicy-default-abis"]);
    let v = post(
        &app,
        path,
        &admin,
        one(json!({"columnName": "name", "type": "startswith", "value": "MPOLICY-DEFAULT-C*"})),
    )
    .await;
    assert_eq!(strings(&v, "id"), ["mpolicy-default-cert"]);
    let v = post(&app, path, &admin, one(json!({"columnName": "policyGroupName", "type": "equals", "value": "MPOLICYGROUP-DEFAULT-CERT"}))).await;
    assert_eq!(strings(&v, "id"), ["mpolicy-default-cert"]);
    let v = post(
        &app,
        path,
        &admin,
        one(json!({"columnName": "name", "type": "contains", "value": "%"})),
    )
    .await;
    assert_eq!(v["response"]["totalRecord"], 0, "{v}");
    let v = post(&app, path, &admin, one(json!({"columnName": "crDtimes", "type": "between", "fromValue": "2000-01-01T00:00:00.000Z", "toValue": "2999-01-01T00:00:00.000Z"}))).await;
    assert_eq!(v["response"]["totalRecord"], 12, "{v}");
    let v = post(
        &app,
        path,
        &admin,
        one(json!({"columnName": "isActive", "type": "equals", "value": "false"})),
    )
    .await;
    assert_eq!(v["response"]["totalRecord"], 0, "{v}");

    // Errors, as 1.2.0.1 answers them.
    for (request, expected) in [
        (
            one(json!({"columnName": "n@@e", "type": "startswith", "value": "x"})),
            "PMS-MSD-310",
        ),
        (
            one(json!({"type": "startswith", "value": "x"})),
            "PMS_COR_003",
        ),
        (
            one(json!({"columnName": "name", "value": "x"})),
            "PMS-MSD-312",
        ),
        (
            json!({"policyType": "all", "sort": [{"sortField": "name", "sortType": "dc"}]}),
            "PMS-MSD-358",
        ),
        (
            json!({"policyType": "all", "sort": [{"sortField": "name"}]}),
            "PMS-MSD-314",
        ),
        (
            json!({"policyType": "all", "sort": [{"sortField": "n@@", "sortType": "asc"}]}),
            "PMS-MSD-357",
        ),
        (
            json!({"policyType": "all", "pagination": {"pageStart": 0, "pageFetch": 0}}),
            "PMS-MSD-313",
        ),
        (json!({"filters": []}), "PMS_COR_001"),
        (json!({"policyType": "all", "filters": "x"}), "PMS_COR_002"),
    ] {
        let v = post(&app, path, &admin, request.clone()).await;
        assert_eq!(code(&v), Some(expected), "{request} -> {v}");
    }
    // Group search reports the missing column as SearchHelper does.
    let v = post(
        &app,
        "/v1/policymanager/policies/group/search",
        &admin,
        json!({"filters": [{"type": "equals", "value": "x"}]}),
    )
    .await;
    assert_eq!(code(&v), Some("PMS-MSD-311"));
    let v = post(&app, "/v1/policymanager/policies/group/search", &admin, json!({"filters": [{"columnName": "name", "type": "startswith", "value": "mpolicygroup-default-a"}], "sort": [{"sortField": "name", "sortType": "asc"}]})).await;
    assert_eq!(
        strings(&v, "name"),
        [
            "mpolicygroup-default-abis",
            "mpolicygroup-default-adjudication",
            "mpolicygroup-default-auth"
        ]
    );
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn partner_searches_keep_partners_to_their_own_rows(pool: PgPool) {
    let app = seeded(pool).await;
    let admin = app.admin();
    let partner = app.token(
        "mpartner-default-auth",
        &["ONLINE_VERIFICATION_PARTNER", "PARTNER"],
    );

    let v = post(&app, "/v1/partnermanager/partners/search", &admin, json!({"partnerType": "Credential_Partner", "sort": [{"sortField": "id", "sortType": "asc"}]})).await;
    assert_eq!(
        strings(&v, "id"),
        [
            "mpartner-default-digitalcard",
            "mpartner-default-mobile",
            "mpartner-default-print",
            "mpartner-default-resident"
        ]
    );
    let v = post(
        &app,
        "/v1/partnermanager/partners/search",
        &partner,
        json!({"partnerType": "all"}),
    )
    .await;
    assert_eq!(strings(&v, "id"), ["mpartner-default-auth"]);
    let v = post(
        &app,
        "/v1/partnermanager/partners/search",
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_COR_001"));

    // API keys: the partner sees its own, without the key itself (MOSIP's DML labels its keys
    // with the key: give it a label of its own).
    sqlx::query("UPDATE partner_policy SET label = 'ida-key' WHERE policy_api_key = 'mpolicy_part_auth_api'")
        .execute(&app.pool)
        .await
        .unwrap();
    let v = post(
        &app,
        "/v1/partnermanager/partners/apikey/search",
        &partner,
        json!({}),
    )
    .await;
    let rows = v["response"]["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(rows[0]["partnerId"], "mpartner-default-auth");
    let text = v.to_string();
    assert!(
        !text.contains("mpolicy_part_auth_api"),
        "API key value leaked: {text}"
    );
    let v = post(
        &app,
        "/v1/partnermanager/partners/apikey/search",
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(v["response"]["totalRecord"], 12);

    // Policy requests and their filter values.
    let v = post(
        &app,
        "/v1/partnermanager/partners/apikey/request/search",
        &partner,
        json!({"filters": [{"columnName": "statusCode", "type": "equals", "value": "APPROVED"}]}),
    )
    .await;
    assert_eq!(strings(&v, "partnerId"), ["mpartner-default-auth"]);
    let v = post(
        &app,
        "/v1/partnermanager/partners/apikey/request/filtervalues",
        &admin,
        json!({"filters": [{"columnName": "statusCode", "type": "unique"}]}),
    )
    .await;
    // `unique` answers each (value, request id) pair once, as FilterHelper#filterValuesWithCode.
    let filters = v["response"]["filters"].as_array().unwrap();
    assert_eq!(filters.len(), 12, "{filters:?}");
    assert!(filters
        .iter()
        .all(|f| f["fieldID"] == "statusCode" && f["fieldValue"] == "approved"));
    assert!(filters
        .iter()
        .any(|f| f["fieldCode"] == "mpartner_policy_auth_req"));

    // Partner filter values: own rows only; booleans answer true/false; dates are refused.
    let v = post(
        &app,
        "/v1/partnermanager/partners/filtervalues",
        &partner,
        json!({"filters": [{"columnName": "id", "type": "all", "text": "default"}]}),
    )
    .await;
    assert_eq!(
        v["response"]["filters"],
        json!([{"fieldID": "id", "fieldValue": "mpartner-default-auth", "fieldCode": "mpartner-default-auth"}])
    );
    let v = post(&app, "/v1/partnermanager/partners/filtervalues", &admin, json!({"filters": [{"columnName": "partnerTypeCode", "type": "unique", "text": "partner"}], "optionalFilters": [{"columnName": "isActive", "type": "equals", "value": "true"}]})).await;
    let values: Vec<&str> = v["response"]["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fieldValue"].as_str().unwrap())
        .collect();
    // One per (type, partner id) pair, ordered by the type.
    assert_eq!(
        values,
        [
            "ABIS_Partner",
            "Credential_Partner",
            "Credential_Partner",
            "Credential_Partner",
            "Credential_Partner",
            "Internal_Partner",
            "Online_Verification_Partner"
        ]
    );
    let v = post(
        &app,
        "/v1/partnermanager/partners/filtervalues",
        &admin,
        json!({"filters": [{"columnName": "isActive", "type": "unique"}]}),
    )
    .await;
    assert_eq!(v["response"]["filters"].as_array().unwrap().len(), 2);
    let v = post(
        &app,
        "/v1/partnermanager/partners/filtervalues",
        &admin,
        json!({"filters": [{"columnName": "crDtimes", "type": "unique"}]}),
    )
    .await;
    assert_eq!(code(&v), Some("PMS-MSD-324"));

    // Partner types.
    let v = post(&app, "/v1/partnermanager/partners/partnertype/search", &partner, json!({"filters": [{"columnName": "isPolicyRequired", "type": "equals", "value": "false"}], "sort": [{"sortField": "code", "sortType": "asc"}]})).await;
    assert!(strings(&v, "code").contains(&"Device_Provider"), "{v}");
    assert!(!strings(&v, "code").contains(&"Auth_Partner"), "{v}");

    // Roles are checked as PMS lists them: a MISP partner may not search partners.
    let resp = app
        .http
        .post(format!("{}/v1/partnermanager/partners/search", app.api))
        .bearer_auth(app.token("m1", &["MISP_PARTNER"]))
        .json(&json!({"request": {"partnerType": "all"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

//! Policy manager end to end (mosip-pms.md §4.6, §8, §11): policy groups, the real MOSIP example
//! policies through draft → published → deactivated, PMS's error codes, and `POLICY_UPDATED`
//! delivered through ordered effects runs — a hub outage delays a policy's events and loses
//! none, and the hub sees them in commit order.

use crate::helpers::{code, message};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pmsflow_sandbox::{FaultConfig, FaultRule};
use pmsflow_tests::{certs_dir, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);
const BASE: &str = "/v1/policymanager/policies";

/// One PMS call; asserts HTTP 200 (PMS answers business errors with 200) and returns the body.
async fn pms(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    request: Option<Value>,
) -> Value {
    let mut req = app
        .http
        .request(method.clone(), format!("{}{path}", app.api))
        .bearer_auth(token);
    if let Some(r) = request {
        req = req.json(&json!({
            "id": "mosip.pms.policy.test", "version": "1.0",
            "requesttime": "2026-11-22T10:00:00.000Z", "request": r,
        }));
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json body");
    assert_eq!(status, 200, "{method} {path}: {body}");
    body
}

/// The response of a successful call (panics with the body on a PMS error).
fn response(v: &Value) -> &Value {
    assert!(
        v["errors"].as_array().is_none_or(|e| e.is_empty()),
        "unexpected PMS error: {v}"
    );
    assert!(!v["response"].is_null(), "no response: {v}");
    &v["response"]
}

/// `../shared/fixtures/mosip/policies`.
fn policies_dir() -> PathBuf {
    certs_dir()
        .parent()
        .expect("fixtures/mosip")
        .join("policies")
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One real example policy document, e.g. `auth-policy.docs-example.json`.
fn example(file: &str) -> Value {
    read_json(policies_dir().join(file))
}

/// Every real example policy: (file stem, PMS policy type, document), in file-name order.
fn examples() -> Vec<(String, &'static str, Value)> {
    let mut files: Vec<String> = std::fs::read_dir(policies_dir())
        .expect("policies dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let ptype = if f.starts_with("auth-policy.") {
                "Auth"
            } else if f.starts_with("datashare-policy.") {
                "DataShare"
            } else if f.starts_with("misp-policy.") {
                "MISP"
            } else {
                panic!("example policy {f} of no known type")
            };
            let doc = example(&f);
            (f.trim_end_matches(".json").to_owned(), ptype, doc)
        })
        .collect()
}

/// `required` of the schema of `file` in `policies/schemas`.
fn required_keys(schema_file: &str) -> Vec<String> {
    let schema = read_json(policies_dir().join("schemas").join(schema_file));
    serde_json::from_value(schema["required"].clone()).expect("required keys")
}

/// `POST /policies/group/new`; returns the response.
async fn create_group(app: &TestApp, name: &str, desc: &str) -> Value {
    pms(
        app,
        Method::POST,
        &format!("{BASE}/group/new"),
        &app.admin(),
        Some(json!({"name": name, "desc": desc})),
    )
    .await
}

/// `POST /policies` (create a draft); returns the whole body.
async fn create_draft(
    app: &TestApp,
    group: &str,
    ptype: &str,
    name: &str,
    desc: &str,
    doc: &Value,
) -> Value {
    pms(
        app,
        Method::POST,
        BASE,
        &app.admin(),
        Some(json!({
            "policyGroupName": group, "policyType": ptype, "name": name, "desc": desc,
            "version": "1.0", "policies": doc,
        })),
    )
    .await
}

/// `PUT /policies/{id}` (edit a draft); returns the whole body.
async fn edit_draft(
    app: &TestApp,
    id: &str,
    group: &str,
    name: &str,
    desc: &str,
    doc: &Value,
) -> Value {
    pms(
        app,
        Method::PUT,
        &format!("{BASE}/{id}"),
        &app.admin(),
        Some(json!({
            "policyGroupName": group, "name": name, "desc": desc, "version": "1.1",
            "policies": doc,
        })),
    )
    .await
}

async fn publish(app: &TestApp, id: &str, group_id: &str) -> Value {
    pms(
        app,
        Method::POST,
        &format!("{BASE}/{id}/group/{group_id}/publish"),
        &app.admin(),
        None,
    )
    .await
}

async fn set_status(app: &TestApp, id: &str, group_id: &str, status: &str) -> Value {
    pms(
        app,
        Method::PATCH,
        &format!("{BASE}/{id}/group/{group_id}"),
        &app.admin(),
        Some(json!({"status": status})),
    )
    .await
}

async fn get_policy(app: &TestApp, id: &str) -> Value {
    pms(
        app,
        Method::GET,
        &format!("{BASE}/{id}"),
        &app.admin(),
        None,
    )
    .await
}

/// Effects runs about `subject` (a policy or group id), oldest first. Runs with events take
/// the ordering key `policy:<id>`; audit-only runs (create) start at once, unordered.
async fn runs_about(app: &TestApp, subject: &str) -> Vec<Uuid> {
    sqlx::query_scalar(
        "SELECT id FROM workflow_run WHERE kind = 'effects' AND subject = $1 ORDER BY id",
    )
    .bind(subject)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// Effects runs of one ordering key (`policy:<id>`), in commit order.
async fn ordered_runs(app: &TestApp, ordering_key: &str) -> Vec<Uuid> {
    sqlx::query_scalar(
        "SELECT id FROM workflow_run WHERE kind = 'effects' AND ordering_key = $1 ORDER BY ordering_seq",
    )
    .bind(ordering_key)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// Wait (LISTEN/NOTIFY) until every given run ended, and check each completed.
async fn wait_completed(app: &TestApp, ids: &[Uuid]) {
    for id in ids {
        let run = app.wait_run(*id, WAIT).await;
        assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    }
}

/// The `POLICY_UPDATED` publishes the hub accepted for policy `id` (either data shape), in hub
/// order.
fn policy_events(app: &TestApp, id: &str) -> Vec<pmsflow_sandbox::RecordedPublish> {
    app.sandbox
        .sandbox
        .websub_publishes()
        .into_iter()
        .filter(|p| p.topic == "POLICY_UPDATED")
        .filter(|p| {
            let data = &p.body["event"]["data"];
            data["policyId"] == id || data["policyData"]["policyId"] == id
        })
        .collect()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn policy_group_lifecycle(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.admin();

    let v = create_group(&app, "g-lifecycle", "a group for the lifecycle test").await;
    let g = response(&v).clone();
    let group_id = g["id"].as_str().expect("group id").to_owned();
    assert!(!group_id.is_empty());
    assert_eq!(g["name"], "g-lifecycle");
    assert_eq!(g["desc"], "a group for the lifecycle test");
    assert_eq!(g["is_Active"], true);
    assert_eq!(g["cr_by"], "test-admin");

    // The name is unique.
    let v = create_group(&app, "g-lifecycle", "again").await;
    assert_eq!(code(&v), Some("PMS_POL_014"), "{v}");
    assert!(message(&v).contains("g-lifecycle"), "{v}");
    assert!(v["response"].is_null(), "{v}");

    // Rename.
    let v = pms(
        &app,
        Method::PUT,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        Some(json!({"name": "g-renamed", "desc": "renamed", "isActive": true})),
    )
    .await;
    let g = response(&v);
    assert_eq!(g["id"], group_id);
    assert_eq!(g["name"], "g-renamed");
    assert_eq!(g["desc"], "renamed");
    assert_eq!(g["is_Active"], true);
    assert_eq!(g["up_by"], "test-admin");
    let v = pms(
        &app,
        Method::GET,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(response(&v)["policyGroup"]["name"], "g-renamed", "{v}");
    assert_eq!(response(&v)["policies"], json!([]), "{v}");
    // An update without `isActive` is refused as 1.2.0.1 refuses it, and changes nothing.
    let v = pms(
        &app,
        Method::PUT,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        Some(json!({"name": "g-other", "desc": "other"})),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_COR_003"), "{v}");
    let v = pms(
        &app,
        Method::GET,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(response(&v)["policyGroup"]["desc"], "renamed", "{v}");
    // The old name is free again; renaming onto a taken name is refused.
    let v = pms(
        &app,
        Method::PUT,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        Some(json!({"name": "mpolicygroup-default-auth", "desc": "renamed", "isActive": true})),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_014"), "{v}");
    let v = pms(
        &app,
        Method::PUT,
        &format!("{BASE}/group/no-such-group"),
        &admin,
        Some(json!({"name": "x", "desc": "y", "isActive": true})),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_008"), "{v}");
    let v = pms(
        &app,
        Method::GET,
        &format!("{BASE}/group/no-such-group"),
        &admin,
        None,
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_016"), "{v}");

    // A published (active) policy blocks deactivation of its group.
    let v = create_draft(
        &app,
        "g-renamed",
        "Auth",
        "p-in-group",
        "policy of the group",
        &example("auth-policy.docs-example.json"),
    )
    .await;
    let policy_id = response(&v)["id"].as_str().unwrap().to_owned();
    // A caller-chosen id that exists is refused, and the existing policy is left as it was.
    let v = pms(
        &app,
        Method::POST,
        BASE,
        &admin,
        Some(
            json!({"policyId": policy_id, "policyGroupName": "g-renamed", "policyType": "Auth",
            "name": "another-name", "desc": "d", "version": "1.0",
            "policies": example("auth-policy.docs-example.json")}),
        ),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_009"), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("with id"),
        "{v}"
    );
    let name: String = sqlx::query_scalar("SELECT name FROM auth_policy WHERE id = $1")
        .bind(&policy_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, "p-in-group");
    let v = publish(&app, &policy_id, &group_id).await;
    assert_eq!(response(&v)["status"], "PUBLISHED", "{v}");
    let deactivate = json!({"name": "g-renamed", "desc": "renamed", "isActive": false});
    let v = pms(
        &app,
        Method::PUT,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        Some(deactivate.clone()),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_056"), "{v}");
    let v = pms(
        &app,
        Method::GET,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(response(&v)["policyGroup"]["isActive"], true, "{v}");
    assert_eq!(response(&v)["policies"][0]["id"], policy_id, "{v}");
    assert_eq!(response(&v)["policies"][0]["status"], "PUBLISHED", "{v}");

    // Once the policy is deactivated the group can be, and an inactive group takes no policy.
    let v = set_status(&app, &policy_id, &group_id, "De-Active").await;
    assert_eq!(
        response(&v)["message"],
        "status updated successfully",
        "{v}"
    );
    let v = pms(
        &app,
        Method::PUT,
        &format!("{BASE}/group/{group_id}"),
        &admin,
        Some(deactivate),
    )
    .await;
    assert_eq!(response(&v)["is_Active"], false, "{v}");
    let v = create_draft(
        &app,
        "g-renamed",
        "Auth",
        "p-too-late",
        "d",
        &example("auth-policy.docs-example.json"),
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_053"), "{v}");
    let v = pms(
        &app,
        Method::GET,
        &format!("{BASE}/active/group/g-renamed"),
        &admin,
        None,
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_053"), "{v}");

    // Every change was audited through its effects run.
    let group_runs = runs_about(&app, &group_id).await;
    assert_eq!(group_runs.len(), 3, "create, rename, deactivate");
    wait_completed(&app, &group_runs).await;
    // Audit-only runs carry no ordering key: compare them as a set.
    let mut audited: Vec<_> = app
        .sandbox
        .sandbox
        .audits()
        .into_iter()
        .filter(|a| a.request["id"] == group_id.as_str())
        .map(|a| a.request["eventId"].as_str().unwrap_or_default().to_owned())
        .collect();
    audited.sort();
    assert_eq!(
        audited,
        ["PMS_PRT_215", "PMS_PRT_256", "PMS_PRT_256"],
        "{audited:?}"
    );
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn every_real_example_policy_drafts_and_publishes_and_pms_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.admin();
    let v = create_group(&app, "g-examples", "real MOSIP example policies").await;
    let group_id = response(&v)["id"].as_str().unwrap().to_owned();

    let all = examples();
    let types: std::collections::BTreeSet<_> = all.iter().map(|(_, t, _)| *t).collect();
    assert_eq!(
        types.into_iter().collect::<Vec<_>>(),
        ["Auth", "DataShare", "MISP"]
    );
    assert!(all.len() >= 9, "{} example policies", all.len());
    let mut ids = HashMap::new();
    for (name, ptype, doc) in &all {
        let v = create_draft(&app, "g-examples", ptype, name, "real example", doc).await;
        let r = response(&v);
        assert_eq!(r["name"], name.as_str(), "{v}");
        assert_eq!(r["policyType"], *ptype, "{v}");
        assert_eq!(r["policyGroupName"], "g-examples", "{v}");
        assert_eq!(r["is_Active"], false, "{v}");
        let id = r["id"].as_str().unwrap().to_owned();

        let v = get_policy(&app, &id).await;
        let p = response(&v);
        assert_eq!(p["status"], "DRAFTED", "{name}: {v}");
        assert_eq!(&p["policies"], doc, "{name}: the document is kept as sent");
        assert!(p["schema"].is_null(), "{name}: {v}");
        assert!(p["publishDate"].is_null(), "{name}: {v}");

        let v = publish(&app, &id, &group_id).await;
        let p = response(&v);
        assert_eq!(p["status"], "PUBLISHED", "{name}: {v}");
        assert_eq!(p["is_Active"], true, "{name}: {v}");
        assert_eq!(p["policyId"], id.as_str(), "{name}: {v}");
        assert_eq!(p["policyType"], *ptype, "{name}: {v}");
        assert_eq!(p["policyGroupId"], group_id.as_str(), "{name}: {v}");
        assert_eq!(&p["policies"], doc, "{name}");
        assert!(p["schema"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
        assert!(p["publishDate"].is_string(), "{v}");
        ids.insert(name.clone(), id);
    }
    let v = pms(
        &app,
        Method::GET,
        &format!("{BASE}/active/group/g-examples"),
        &admin,
        None,
    )
    .await;
    let mut active: Vec<_> = response(&v)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["policyType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    active.sort();
    let mut expected: Vec<_> = all
        .iter()
        .map(|(n, t, _)| (n.clone(), (*t).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(active, expected);

    // A document missing a required key of its type's schema: PMS_PV_006 naming the key.
    for (ptype, file, schema) in [
        (
            "Auth",
            "auth-policy.docs-example.json",
            "auth-policy-schema.json",
        ),
        (
            "DataShare",
            "datashare-policy.docs-example.json",
            "data-share-policy-schema.json",
        ),
        (
            "MISP",
            "misp-policy.esignet.json",
            "misp-policy-schema.json",
        ),
    ] {
        let keys = required_keys(schema);
        assert!(!keys.is_empty());
        for key in keys {
            let mut doc = example(file);
            doc.as_object_mut()
                .unwrap()
                .remove(&key)
                .expect("key in example");
            let v = create_draft(
                &app,
                "g-examples",
                ptype,
                &format!("missing-{key}"),
                "d",
                &doc,
            )
            .await;
            assert_eq!(code(&v), Some("PMS_PV_006"), "{ptype} without {key}: {v}");
            assert_eq!(
                message(&v),
                format!("Missing input parameter - {key} in policy data"),
                "{v}"
            );
        }
    }
    // A document of the wrong type is refused too (a MISP document is no Auth policy).
    let v = create_draft(
        &app,
        "g-examples",
        "Auth",
        "misp-as-auth",
        "d",
        &example("misp-policy.esignet.json"),
    )
    .await;
    assert!(matches!(code(&v), Some("PMS_PV_005" | "PMS_PV_006")), "{v}");

    let auth = example("auth-policy.docs-example.json");
    let v = create_draft(&app, "g-examples", "Bogus", "bad-type", "d", &auth).await;
    assert_eq!(code(&v), Some("PMS_POL_023"), "{v}");
    let v = create_draft(&app, "no-such-group", "Auth", "no-group", "d", &auth).await;
    assert_eq!(code(&v), Some("PMS_POL_019"), "{v}");
    let v = create_draft(
        &app,
        "g-examples",
        "Auth",
        "auth-policy.docs-example",
        "d",
        &auth,
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_009"), "{v}");
    assert!(message(&v).contains("auth-policy.docs-example"), "{v}");
    // Nothing was stored by a refused create.
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth_policy p JOIN policy_group g ON g.id = p.policy_group_id WHERE g.name = 'g-examples'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(count as usize, all.len());

    // Published: no second publish, no edit.
    let published = &ids["auth-policy.docs-example"];
    let v = publish(&app, published, &group_id).await;
    assert_eq!(code(&v), Some("PMS_POL_020"), "{v}");
    let v = edit_draft(
        &app,
        published,
        "g-examples",
        "auth-policy.docs-example",
        "edited",
        &auth,
    )
    .await;
    assert_eq!(code(&v), Some("PMS_POL_055"), "{v}");
    // A policy published in another group is not this group's.
    let v = publish(&app, published, "mpolicygroup-default-auth").await;
    assert_eq!(code(&v), Some("PMS_POL_015"), "{v}");

    // A draft cannot be activated.
    let v = create_draft(&app, "g-examples", "Auth", "a-draft", "d", &auth).await;
    let draft = response(&v)["id"].as_str().unwrap().to_owned();
    let v = set_status(&app, &draft, &group_id, "Active").await;
    assert_eq!(code(&v), Some("PMS_POL_054"), "{v}");
    let v = get_policy(&app, &draft).await;
    assert_eq!(response(&v)["status"], "DRAFTED");

    // A published policy nothing uses can be deactivated.
    let misp = &ids["misp-policy.esignet"];
    let v = set_status(&app, misp, &group_id, "De-Active").await;
    assert_eq!(
        response(&v)["message"],
        "status updated successfully",
        "{v}"
    );
    let v = get_policy(&app, misp).await;
    assert_eq!(response(&v)["status"], "DEACTIVATED", "{v}");
    assert_eq!(response(&v)["is_Active"], false, "{v}");
    let v = pms(
        &app,
        Method::GET,
        &format!("{BASE}/active/group/g-examples"),
        &admin,
        None,
    )
    .await;
    let names: Vec<_> = response(&v)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), all.len() - 1);
    assert!(
        !names.iter().any(|n| n == "misp-policy.esignet"),
        "{names:?}"
    );
    // ... and not activated again.
    let v = set_status(&app, misp, &group_id, "Active").await;
    assert_eq!(code(&v), Some("PMS_POL_058"), "{v}");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn publish_and_edit_publish_policy_updated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let v = create_group(&app, "g-events", "events").await;
    let group_id = response(&v)["id"].as_str().unwrap().to_owned();
    let first = example("auth-policy.docs-example.json");
    let second = example("auth-policy.kyc-languages.apitest.json");

    let v = create_draft(&app, "g-events", "Auth", "kyc", "first draft", &first).await;
    let id = response(&v)["id"].as_str().unwrap().to_owned();
    let v = edit_draft(&app, &id, "g-events", "kyc", "second draft", &second).await;
    let r = response(&v);
    assert_eq!(r["desc"], "second draft", "{v}");
    assert_eq!(r["version"], "1.1", "{v}");
    let v = publish(&app, &id, &group_id).await;
    assert_eq!(response(&v)["status"], "PUBLISHED", "{v}");

    let runs = runs_about(&app, &id).await;
    assert_eq!(runs.len(), 3, "create, edit, publish");
    wait_completed(&app, &runs).await;
    assert_eq!(
        ordered_runs(&app, &format!("policy:{id}")).await.len(),
        2,
        "the runs with an event are ordered"
    );

    let events = policy_events(&app, &id);
    assert_eq!(events.len(), 2, "{events:?}");
    // The edit: policyData with the edited draft.
    let edit = &events[0].body;
    assert_eq!(edit["topic"], "POLICY_UPDATED");
    assert_eq!(edit["publisher"], "PolicyManagementService");
    assert_eq!(edit["event"]["type"]["name"], "PolicyManagementService");
    let data = &edit["event"]["data"];
    assert_eq!(data["policyData"]["policyId"], id.as_str());
    assert_eq!(data["policyData"]["policyName"], "kyc");
    assert_eq!(data["policyData"]["policyDescription"], "second draft");
    assert_eq!(data["policyData"]["policy"], second);
    assert_eq!(data["policyData"]["policyStatus"], false);
    assert!(data["policyData"]["policyCommenceOn"].is_string(), "{data}");
    assert!(data["policyData"]["policyExpiresOn"].is_string(), "{data}");
    // The publish: only the policy id.
    assert_eq!(events[1].body["event"]["data"], json!({"policyId": id}));
    assert!(events[0].seq < events[1].seq);
    assert_ne!(events[0].event_id, events[1].event_id);
    // The audit records of the three changes.
    let audits: Vec<_> = app
        .ledger_of("addAudit")
        .into_iter()
        .filter(|e| !e.replay)
        .collect();
    assert!(audits.len() >= 3, "{audits:?}");
    app.assert_effects_once();
}

/// Wait until `query` (one scalar count) reaches `at_least`, at most [`WAIT`]. No polling: a
/// trigger installed in this test's database NOTIFYs on every recorded step attempt, and the
/// count is re-read after each notification.
async fn until_count(app: &TestApp, what: &str, query: &str, bind: &str, at_least: i64) {
    let mut listener = sqlx::postgres::PgListener::connect_with(&app.pool)
        .await
        .unwrap();
    listener.listen("test_step_attempt").await.unwrap();
    sqlx::raw_sql(
        "CREATE OR REPLACE FUNCTION test_notify_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_notify('test_step_attempt', ''); RETURN NEW; END $$;
         CREATE OR REPLACE TRIGGER test_notify_attempt AFTER INSERT ON step_attempt
             FOR EACH ROW EXECUTE FUNCTION test_notify_attempt();",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let n: i64 = sqlx::query_scalar(query)
            .bind(bind)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if n >= at_least {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, listener.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what} ({n})"))
            .unwrap();
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_hub_outage_delays_policy_events_and_loses_none_in_commit_order(pool: PgPool) {
    // Backoff is 20 ms doubling to 400 ms (TestOptions' default engine settings) and a publish
    // has 40 attempts (event_attempts), so the outage can last ~15 s without failing a run.
    let app = TestApp::spawn_with(pool, TestOptions::default()).await;
    let v = create_group(&app, "g-outage", "outage").await;
    let group_id = response(&v)["id"].as_str().unwrap().to_owned();
    let docs = [
        example("auth-policy.docs-example.json"),
        example("auth-policy.kyc-languages.apitest.json"),
        example("auth-policy.oidc-relying-party.json"),
    ];

    app.sandbox.sandbox.set_faults(FaultConfig::single(
        "websub.publish",
        FaultRule {
            outage: true,
            ..FaultRule::default()
        },
    ));

    // Every call succeeds while the hub is down.
    let v = create_draft(&app, "g-outage", "Auth", "ordered", "draft 0", &docs[0]).await;
    let id = response(&v)["id"].as_str().unwrap().to_owned();
    let v = edit_draft(&app, &id, "g-outage", "ordered", "draft 1", &docs[1]).await;
    assert_eq!(response(&v)["desc"], "draft 1");
    let v = edit_draft(&app, &id, "g-outage", "ordered", "draft 2", &docs[2]).await;
    assert_eq!(response(&v)["desc"], "draft 2");
    let v = publish(&app, &id, &group_id).await;
    assert_eq!(response(&v)["status"], "PUBLISHED", "{v}");
    let v = set_status(&app, &id, &group_id, "De-Active").await;
    assert_eq!(
        response(&v)["message"],
        "status updated successfully",
        "{v}"
    );
    let v = get_policy(&app, &id).await;
    assert_eq!(response(&v)["status"], "DEACTIVATED", "{v}");

    let key = format!("policy:{id}");
    let all_runs = runs_about(&app, &id).await;
    assert_eq!(all_runs.len(), 5, "create, edit, edit, publish, deactivate");
    let runs = ordered_runs(&app, &key).await;
    assert_eq!(
        runs.len(),
        4,
        "edit, edit, publish, deactivate publish events"
    );

    // The first event's publish is refused by the hub and retried...
    until_count(
        &app,
        "failed publishes of the first edit",
        "SELECT count(*) FROM step_attempt a JOIN workflow_step s ON s.id = a.step_id
           JOIN workflow_run r ON r.id = s.run_id
          WHERE r.ordering_key = $1 AND s.step_key LIKE 'websub.publish.%' AND a.outcome = 'failed'",
        &key,
        2,
    )
    .await;
    // ... and the later runs of the policy wait for it, untouched.
    let failed_runs: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT a.run_id FROM step_attempt a JOIN workflow_step s ON s.id = a.step_id
          WHERE s.step_key LIKE 'websub.publish.%' AND a.outcome = 'failed'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        failed_runs,
        [runs[0]],
        "only the first edit's run tried the hub"
    );
    for later in &runs[1..] {
        let (attempts, not_pending): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM step_attempt WHERE run_id = $1),
                    (SELECT count(*) FROM workflow_step WHERE run_id = $1 AND status <> 'pending')",
        )
        .bind(later)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            (attempts, not_pending),
            (0, 0),
            "run {later} started before the earlier run of its policy ended"
        );
    }
    assert!(policy_events(&app, &id).is_empty(), "the hub is down");

    // The hub comes back: every event arrives, once, in commit order.
    app.sandbox.sandbox.clear_faults();
    wait_completed(&app, &all_runs).await;

    let events = policy_events(&app, &id);
    let data: Vec<Value> = events
        .iter()
        .map(|e| e.body["event"]["data"].clone())
        .collect();
    assert_eq!(data.len(), 4, "{data:#?}");
    let expect_policy_data = |d: &Value, desc: &str, doc: &Value, active: bool| {
        let p = &d["policyData"];
        assert_eq!(p["policyId"], id.as_str(), "{d}");
        assert_eq!(p["policyName"], "ordered", "{d}");
        assert_eq!(p["policyDescription"], desc, "{d}");
        assert_eq!(&p["policy"], doc, "{d}");
        assert_eq!(p["policyStatus"], active, "{d}");
    };
    expect_policy_data(&data[0], "draft 1", &docs[1], false);
    expect_policy_data(&data[1], "draft 2", &docs[2], false);
    assert_eq!(data[2], json!({"policyId": id}));
    expect_policy_data(&data[3], "draft 2", &docs[2], false);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));

    // Each event id (the publish step's id) reached the hub exactly once, in ordering_seq order.
    let step_ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT s.id FROM workflow_step s JOIN workflow_run r ON r.id = s.run_id
          WHERE r.ordering_key = $1 AND s.step_key LIKE 'websub.publish.%'
          ORDER BY r.ordering_seq, s.seq",
    )
    .bind(&key)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let event_ids: Vec<String> = events.iter().map(|e| e.event_id.clone()).collect();
    assert_eq!(
        event_ids,
        step_ids.iter().map(Uuid::to_string).collect::<Vec<_>>()
    );
    let all_publishes = app.sandbox.sandbox.websub_publishes();
    for eid in &event_ids {
        assert_eq!(
            all_publishes.iter().filter(|p| &p.event_id == eid).count(),
            1,
            "event {eid} published once"
        );
    }
    // Runs ran one at a time: each started after the previous one of the policy finished.
    let spans: Vec<(Option<time::OffsetDateTime>, Option<time::OffsetDateTime>)> = sqlx::query_as(
        "SELECT min(a.started_at), max(a.finished_at) FROM workflow_run r
           JOIN step_attempt a ON a.run_id = r.id
          WHERE r.ordering_key = $1 GROUP BY r.id, r.ordering_seq ORDER BY r.ordering_seq",
    )
    .bind(&key)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(spans.len(), 4);
    assert!(
        spans.iter().all(|(a, b)| a.is_some() && b.is_some()),
        "{spans:?}"
    );
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "runs of one policy overlapped: {spans:?}");
    }
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn policy_endpoints_check_token_and_role(pool: PgPool) {
    let app = TestApp::spawn_with(pool, TestOptions::api_only()).await;
    let body = json!({
        "id": "mosip.pms.policy.test", "version": "1.0",
        "requesttime": "2026-11-22T10:00:00.000Z",
        "request": {"name": "g-roles", "desc": "roles"},
    });
    let url = format!("{}{BASE}/group/new", app.api);

    let resp = app.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(code(&v), Some("KER-ATH-401"), "{v}");

    let partner = app.token("movp", &["AUTH_PARTNER"]);
    let resp = app
        .http
        .post(&url)
        .bearer_auth(&partner)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(code(&v), Some("KER-ATH-403"), "{v}");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM policy_group WHERE name = 'g-roles'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0, "a refused call changes nothing");

    // POLICYMANAGER may.
    let manager = app.token("pm", &["POLICYMANAGER"]);
    let resp = app
        .http
        .post(&url)
        .bearer_auth(&manager)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(response(&v)["name"], "g-roles");
    assert_eq!(response(&v)["cr_by"], "pm");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn concurrent_edits_reach_the_hub_in_commit_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    create_group(&app, "g-concurrent", "concurrent").await;
    let doc = example("auth-policy.docs-example.json");
    let v = create_draft(&app, "g-concurrent", "Auth", "raced", "draft", &doc).await;
    let id = response(&v)["id"].as_str().unwrap().to_owned();

    let edits = (0..8).map(|i| {
        let (app, id, doc) = (&app, &id, &doc);
        async move {
            let v = edit_draft(app, id, "g-concurrent", "raced", &format!("edit {i}"), doc).await;
            assert_eq!(response(&v)["desc"], format!("edit {i}"), "{v}");
        }
    });
    futures::future::join_all(edits).await;
    wait_completed(&app, &runs_about(&app, &id).await).await;

    let key = format!("policy:{id}");
    let runs = ordered_runs(&app, &key).await;
    assert_eq!(runs.len(), 8);
    // Commit order is ordering_seq order: each run's input is the state its edit committed,
    // and the hub received the events in that order.
    let inputs: Vec<Value> = sqlx::query_scalar(
        "SELECT input FROM workflow_run WHERE ordering_key = $1 ORDER BY ordering_seq",
    )
    .bind(&key)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let committed: Vec<Value> = inputs
        .iter()
        .map(|i| i["events"][0]["data"].clone())
        .collect();
    let received: Vec<Value> = policy_events(&app, &id)
        .iter()
        .map(|e| e.body["event"]["data"].clone())
        .collect();
    assert_eq!(received, committed);
    // The last event the hub saw is the policy's final state.
    let v = get_policy(&app, &id).await;
    let last = &received.last().unwrap()["policyData"];
    assert_eq!(last["policyDescription"], response(&v)["policyDesc"]);
    let descs: std::collections::BTreeSet<_> = received
        .iter()
        .map(|d| {
            d["policyData"]["policyDescription"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(descs.len(), 8, "every edit published once: {descs:?}");
    app.assert_effects_once();
}

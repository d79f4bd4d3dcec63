//! Re-publication of partners' events (`/v1/admin/republish`): the selected partners' current
//! state replayed to the sandbox hub as a tracked run, with a fresh datashare per certificate
//! chain, and a hub outage riding through retries.

use std::collections::HashMap;
use std::time::Duration;

use pmsflow_sandbox::{FaultConfig, FaultRule};
use pmsflow_tests::TestApp;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);

async fn onboard(app: &TestApp, index: usize) -> String {
    app.onboard_fixture(index).await
}

/// Wait for every run that is still going (effects of the set-up).
async fn settle(app: &TestApp) {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM workflow_run WHERE status = 'running'")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for id in ids {
        app.wait_run(id, WAIT).await;
    }
}

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{}/v1/admin/republish", app.api))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The distinct events (by event id) published after `seq`: `(topic, event.data)`.
fn topics_since(app: &TestApp, seq: u64) -> Vec<(String, Value)> {
    let mut seen = std::collections::HashSet::new();
    app.sandbox
        .sandbox
        .websub_publishes()
        .into_iter()
        .filter(|p| p.seq > seq && seen.insert(p.event_id.clone()))
        .map(|p| (p.topic, p.body["event"]["data"].clone()))
        .collect()
}

fn last_seq(app: &TestApp) -> u64 {
    app.sandbox
        .sandbox
        .websub_publishes()
        .last()
        .map_or(0, |p| p.seq)
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn republish_replays_partners_state_with_progress(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let auth = onboard(&app, 5).await; // Techno, Auth_Partner
    let misp = onboard(&app, 1).await; // misp, MISP_Partner
    let admin = app.admin();
    let v: Value = app
        .http
        .post(format!("{}/v1/partnermanager/misps", app.api))
        .bearer_auth(app.token(&misp, &["MISP_PARTNER"]))
        .json(&json!({"id": "t", "version": "1.0", "requesttime": "2026-11-22T10:00:00.000Z", "request": {"providerId": misp}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let licence = v["response"]["licenseKey"].as_str().unwrap().to_owned();
    settle(&app).await;

    // Who and what may be asked.
    let partner = app.token(&auth, &["AUTH_PARTNER"]);
    assert_eq!(post(&app, &partner, json!({"all": true})).await.0, 403);
    let (s, v) = post(&app, &admin, json!({})).await;
    assert_eq!((s, &v["code"]), (422, &json!("PMS_COR_001")), "{v}");
    let (s, _) = post(&app, &admin, json!({"all": true, "partnerId": auth})).await;
    assert_eq!(s, 422);
    let (s, v) = post(
        &app,
        &admin,
        json!({"all": true, "topics": ["POLICY_UPDATED"]}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = post(&app, &admin, json!({"partnerId": "nobody"})).await;
    assert_eq!((s, &v["code"]), (404, &json!("PMS_PRT_005")), "{v}");
    let (s, _) = post(&app, &admin, json!({"partnerType": "No_Such_Type"})).await;
    assert_eq!(s, 404);

    // Everyone, through a hub that refuses a third of the publishes: failed batches are
    // retried, and a retried batch re-sends the same event ids.
    let before = last_seq(&app);
    let shares_before = app.sandbox.sandbox.datashare_objects().len();
    let mut rules = HashMap::new();
    rules.insert(
        "websub.publish".to_owned(),
        FaultRule {
            error_rate: 0.3,
            ..FaultRule::default()
        },
    );
    app.sandbox.sandbox.set_faults(FaultConfig { rules });
    let (s, v) = post(&app, &admin, json!({"all": true})).await;
    assert_eq!(s, 202, "{v}");
    let run_id: Uuid = v["runId"].as_str().unwrap().parse().unwrap();
    let total = v["total"].as_u64().unwrap();
    let partners: i64 = sqlx::query_scalar("SELECT count(*) FROM partner")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(total, partners as u64, "every partner is selected");
    let run = app.wait_run(run_id, WAIT).await;
    app.sandbox.sandbox.clear_faults();
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    let progress: Value = app
        .http
        .get(format!("{}/v1/admin/republish/{run_id}", app.api))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(progress["done"], progress["total"], "{progress}");
    assert_eq!(progress["total"], total);
    assert_eq!(progress["status"], "completed");

    let replayed = topics_since(&app, before);
    let count = |topic: &str, partner: &str| {
        replayed
            .iter()
            .filter(|(t, d)| {
                t == topic
                    && (d["partnerData"]["partnerId"] == partner
                        || d["mispLicenseData"]["mispId"] == partner
                        || topic == "CA_CERTIFICATE_UPLOADED")
            })
            .count()
    };
    // Each onboarded partner: its certificate and status, and its chain at a new datashare URL.
    for p in [&auth, &misp] {
        assert_eq!(count("PARTNER_UPDATED", p), 1, "{p}: {replayed:?}");
    }
    assert_eq!(count("CA_CERTIFICATE_UPLOADED", ""), 2);
    assert_eq!(
        app.sandbox.sandbox.datashare_objects().len(),
        shares_before + 2
    );
    let licences: Vec<_> = replayed
        .iter()
        .filter(|(t, _)| t == "MISP_LICENSE_GENERATED")
        .collect();
    assert_eq!(licences.len(), 1);
    assert_eq!(
        licences[0].1["mispLicenseData"]["licenseKey"],
        licence.as_str()
    );
    assert_eq!(licences[0].1["mispLicenseData"]["mispStatus"], "ACTIVE");

    // One partner type, one topic.
    let before = last_seq(&app);
    let (s, v) = post(
        &app,
        &admin,
        json!({"partnerType": "MISP_Partner", "topics": ["MISP_LICENSE_GENERATED"]}),
    )
    .await;
    assert_eq!(s, 202, "{v}");
    let run = app
        .wait_run(v["runId"].as_str().unwrap().parse().unwrap(), WAIT)
        .await;
    assert_eq!(run.run.status, "completed");
    let replayed = topics_since(&app, before);
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    assert_eq!(replayed[0].0, "MISP_LICENSE_GENERATED");
}

/// A re-publication of one partner is ordered with the runs of that partner's events: it
/// waits while one of them is at work (here a publish leased by a worker that went quiet) and
/// starts when that run has ended.
#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn a_partners_republication_waits_for_its_events_at_work(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let partner = onboard(&app, 5).await;
    settle(&app).await;
    let blocker = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO workflow_run (id, kind, version, subject, status, input, created_by,
                                   ordering_key, ordering_seq)
         VALUES ($1, 'effects', 1, $2, 'running', '{}', 't', 'partner:' || $2,
                 nextval('workflow_run_ordering_seq'))",
    )
    .bind(blocker)
    .bind(&partner)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO workflow_step (id, run_id, step_key, seq, status, attempt, max_attempts,
                                    backoff, effect_key, lease_owner, lease_until, started_at)
         VALUES ($1, $2, 'websub.publish.1:PARTNER_UPDATED', 1, 'running', 1, 3, '{}', 'k',
                 'gone', now() + interval '1 hour', now())",
    )
    .bind(Uuid::now_v7())
    .bind(blocker)
    .execute(&app.pool)
    .await
    .unwrap();
    let (s, v) = post(&app, &app.admin(), json!({"partnerId": partner})).await;
    assert_eq!(s, 202, "{v}");
    let run: Uuid = v["runId"].as_str().unwrap().parse().unwrap();
    let first: String = sqlx::query_scalar(
        "SELECT status FROM workflow_step WHERE run_id = $1 ORDER BY seq LIMIT 1",
    )
    .bind(run)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(first, "pending");
    // The run at work ends (an operator cancels it): the re-publication goes.
    sqlx::query("UPDATE workflow_run SET status = 'cancelled', finished_at = now() WHERE id = $1")
        .bind(blocker)
        .execute(&app.pool)
        .await
        .unwrap();
    let done = app.wait_run(run, WAIT).await;
    assert_eq!(done.run.status, "completed");
}

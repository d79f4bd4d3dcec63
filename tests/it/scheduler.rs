//! The expiry sweeps end to end: a sweep run started through `/v1/schedules`, executed by the
//! workers, marking expired rows and publishing through effects runs to the sandbox hub.

use std::time::Duration;

use pmsflow_tests::TestApp;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);

async fn onboard(app: &TestApp, index: usize) -> String {
    app.onboard_fixture(index).await
}

async fn native(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> (u16, Value) {
    let resp = app
        .http
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Wait for every effects run, in creation order.
async fn settle_effects(app: &TestApp) {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM workflow_run WHERE kind = 'effects' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for id in ids {
        let run = app.wait_run(id, WAIT).await;
        assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn licence_expiry_sweep_marks_publishes_and_emails_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.admin();
    let misp = onboard(&app, 1).await;
    let expired = crate::helpers::licence(&app, &misp).await;
    // Time passes for this licence only; a second MISP keeps a valid one.
    sqlx::query("UPDATE misp_license SET valid_to_date = now() - interval '1 minute' WHERE license_key = $1")
        .bind(&expired)
        .execute(&app.pool)
        .await
        .unwrap();
    let other = onboard(&app, 2).await;
    let valid = crate::helpers::licence(&app, &other).await;
    settle_effects(&app).await;
    let before = app.sandbox.sandbox.websub_publishes().len();

    // Roles: only the partner admin may see and act on schedules.
    let partner = app.token(&misp, &["MISP_PARTNER"]);
    let (status, _) = native(&app, reqwest::Method::GET, "/v1/schedules", &partner).await;
    assert_eq!(status, 403);

    let (status, v) = native(
        &app,
        reqwest::Method::POST,
        "/v1/schedules/licence-expiry/trigger",
        &admin,
    )
    .await;
    assert_eq!(status, 202, "{v}");
    let run_id: Uuid = serde_json::from_value(v["runId"].clone()).unwrap();
    let run = app.wait_run(run_id, WAIT).await;
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    assert_eq!(run.run.kind, "sweep");
    assert_eq!(
        run.steps[0].output.as_ref().unwrap()["marked"],
        1,
        "{:?}",
        run.steps[0].output
    );
    settle_effects(&app).await;

    let active: Vec<(String, bool)> =
        sqlx::query_as("SELECT license_key, is_active FROM misp_license ORDER BY license_key")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(active.contains(&(expired.clone(), false)), "{active:?}");
    assert!(active.contains(&(valid.clone(), true)), "{active:?}");
    let publishes = app.sandbox.sandbox.websub_publishes();
    let new: Vec<&Value> = publishes[before..].iter().map(|p| &p.body).collect();
    // The expired licence's MISP_LICENSE_UPDATED, then, as the active MISP is left without a
    // valid licence, its new licence's MISP_LICENSE_GENERATED.
    assert_eq!(new.len(), 2, "{new:?}");
    assert_eq!(new[0]["topic"], "MISP_LICENSE_UPDATED", "{}", new[0]);
    assert_eq!(new[1]["topic"], "MISP_LICENSE_GENERATED", "{}", new[1]);
    let renewed = new[1]["event"]["data"]["mispLicenseData"]["licenseKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let renewed_active: bool =
        sqlx::query_scalar("SELECT is_active FROM misp_license WHERE license_key = $1")
            .bind(&renewed)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(renewed_active);
    let per_misp: i64 =
        sqlx::query_scalar("SELECT count(*) FROM misp_license WHERE misp_id = $1 AND is_active")
            .bind(&misp)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        per_misp, 1,
        "only the renewed licence of the MISP is active"
    );
    let data = &new[0]["event"]["data"]["mispLicenseData"];
    assert_eq!(
        (data["licenseKey"].as_str(), data["mispStatus"].as_str()),
        (Some(expired.as_str()), Some("NOT_ACTIVE")),
        "{data}"
    );
    assert!(app
        .sandbox
        .sandbox
        .emails()
        .iter()
        .any(|m| m.subject == "MISP License Key Updated" && m.content.contains("De-active")));

    // A second sweep finds nothing; the listing shows the last fire and its result.
    let (status, v) = native(
        &app,
        reqwest::Method::POST,
        "/v1/schedules/licence-expiry/trigger",
        &admin,
    )
    .await;
    assert_eq!(status, 202, "{v}");
    let again: Uuid = serde_json::from_value(v["runId"].clone()).unwrap();
    let run = app.wait_run(again, WAIT).await;
    assert_eq!(run.steps[0].output.as_ref().unwrap()["marked"], 0);
    assert_eq!(
        app.sandbox.sandbox.websub_publishes().len(),
        publishes.len()
    );
    let (status, list) = native(&app, reqwest::Method::GET, "/v1/schedules", &admin).await;
    assert_eq!(status, 200);
    let sweep = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "licence-expiry")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(sweep["cron"], "0 3 * * *");
    assert_eq!(sweep["paused"], false);
    assert_eq!(sweep["lastFire"]["outcome"], "triggered", "{sweep}");
    assert_eq!(sweep["lastFire"]["runStatus"], "completed", "{sweep}");
    assert!(
        sweep["nextFireAt"]
            .as_str()
            .unwrap()
            .ends_with("T03:00:00.000Z"),
        "{sweep}"
    );

    // Pause and resume; unknown schedules are 404.
    let (status, v) = native(
        &app,
        reqwest::Method::POST,
        "/v1/schedules/licence-expiry/pause",
        &admin,
    )
    .await;
    assert_eq!((status, v["paused"].as_bool()), (200, Some(true)), "{v}");
    let (status, v) = native(
        &app,
        reqwest::Method::POST,
        "/v1/schedules/licence-expiry/resume",
        &admin,
    )
    .await;
    assert_eq!((status, v["paused"].as_bool()), (200, Some(false)), "{v}");
    let (status, v) = native(
        &app,
        reqwest::Method::POST,
        "/v1/schedules/nightly/pause",
        &admin,
    )
    .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("PMSFLOW_UNKNOWN_SCHEDULE")),
        "{v}"
    );
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn api_key_expiry_sweep_marks_only_expired_keys(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    pmsflow::seed::seed(&app.pool, &app.settings.pms)
        .await
        .unwrap();
    let n = sqlx::query(
        "UPDATE partner_policy SET valid_to_datetime = now() - interval '1 day'
          WHERE part_id IN ('mpartner-default-auth', 'mpartner-default-print')",
    )
    .execute(&app.pool)
    .await
    .unwrap()
    .rows_affected();
    // MOSIP's DML gives the auth partner one key and the print partner five.
    assert_eq!(n, 6);
    let (status, v) = native(
        &app,
        reqwest::Method::POST,
        "/v1/schedules/api-key-expiry/trigger",
        &app.admin(),
    )
    .await;
    assert_eq!(status, 202, "{v}");
    let run = app
        .wait_run(serde_json::from_value(v["runId"].clone()).unwrap(), WAIT)
        .await;
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    assert_eq!(run.steps[0].output.as_ref().unwrap()["marked"], 6);
    let inactive: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT part_id FROM partner_policy WHERE NOT is_active ORDER BY part_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        inactive,
        ["mpartner-default-auth", "mpartner-default-print"]
    );
}

/// Trigger `schedule` and wait for its run; returns the sweep's report.
async fn sweep(app: &TestApp, schedule: &str) -> Value {
    let (status, v) = native(
        app,
        reqwest::Method::POST,
        &format!("/v1/schedules/{schedule}/trigger"),
        &app.admin(),
    )
    .await;
    assert_eq!(status, 202, "{v}");
    let run = app
        .wait_run(serde_json::from_value(v["runId"].clone()).unwrap(), WAIT)
        .await;
    assert_eq!(run.run.status, "completed", "{:?}", run.run.error_message);
    run.steps[0].output.clone().unwrap()
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn expiry_reminders_go_once_per_threshold(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let partner = onboard(&app, 0).await;
    pmsflow::seed::seed(&app.pool, &app.settings.pms)
        .await
        .unwrap();
    settle_effects(&app).await;
    let mails = |subject: &'static str| {
        app.sandbox
            .sandbox
            .emails()
            .into_iter()
            .filter(move |m| m.subject == subject)
            .collect::<Vec<_>>()
    };

    // The re-signed certificate ends in 5 days: the 7-day reminder, once.
    sqlx::query(
        "UPDATE partner_certificate SET signed_not_after = now() + interval '5 days' WHERE partner_id = $1",
    )
    .bind(&partner)
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(sweep(&app, "certificate-expiry").await["marked"], 1);
    settle_effects(&app).await;
    let sent = mails("Partner Certificate Expiring");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].content.contains("in 7 day(s) or less"),
        "{}",
        sent[0].content
    );
    // Triggered again the same day: nothing more. The next threshold comes in its time.
    let again = sweep(&app, "certificate-expiry").await;
    assert_eq!(again["marked"], 0, "{again}");
    sqlx::query(
        "UPDATE partner_certificate SET signed_not_after = now() + interval '20 hours' WHERE partner_id = $1",
    )
    .bind(&partner)
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(sweep(&app, "certificate-expiry").await["marked"], 1);
    settle_effects(&app).await;
    let sent = mails("Partner Certificate Expiring");
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1].content.contains("in 1 day(s) or less"),
        "{}",
        sent[1].content
    );

    // API keys: two seeded keys end in 2 and 10 days; only the first gets PMS's 3-day mail,
    // naming the key by label (MOSIP's DML labels its keys with the key itself: give it one).
    sqlx::query(
        "UPDATE partner_policy SET valid_to_datetime = now() + CASE part_id
            WHEN 'mpartner-default-auth' THEN interval '2 days' ELSE interval '10 days' END,
            label = CASE part_id WHEN 'mpartner-default-auth' THEN 'ida-key' ELSE label END
          WHERE part_id IN ('mpartner-default-auth', 'mpartner-default-print')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(sweep(&app, "api-key-reminder").await["marked"], 1);
    settle_effects(&app).await;
    let sent = mails("API Key Expiring");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, ["info@mosip.io"]);
    assert!(sent[0].content.contains("ida-key"), "{}", sent[0].content);
    assert!(
        !sent[0].content.contains("mpolicy_part_auth_api"),
        "a key was mailed"
    );
    assert_eq!(sweep(&app, "api-key-reminder").await["marked"], 0);
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn licence_renewal_overlaps_then_the_old_key_expires(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let misp = onboard(&app, 1).await;
    let old = crate::helpers::licence(&app, &misp).await;
    sqlx::query(
        "UPDATE misp_license SET valid_to_date = now() + interval '5 days' WHERE license_key = $1",
    )
    .bind(&old)
    .execute(&app.pool)
    .await
    .unwrap();
    settle_effects(&app).await;
    let before = app.sandbox.sandbox.websub_publishes().len();

    // Within the 14-day lead time: a new licence, once; both valid meanwhile.
    assert_eq!(sweep(&app, "licence-renewal").await["marked"], 1);
    assert_eq!(sweep(&app, "licence-renewal").await["marked"], 0);
    settle_effects(&app).await;
    let keys: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT license_key, is_active, valid_to_date > now() + interval '80 days'
           FROM misp_license WHERE misp_id = $1 ORDER BY valid_to_date",
    )
    .bind(&misp)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], (old.clone(), true, false));
    let new = keys[1].0.clone();
    assert!(keys[1].1 && keys[1].2, "{keys:?}");
    assert_eq!(new.len(), 50);
    let publishes = app.sandbox.sandbox.websub_publishes();
    let generated: Vec<&Value> = publishes[before..]
        .iter()
        .filter(|p| p.topic == "MISP_LICENSE_GENERATED")
        .map(|p| &p.body)
        .collect();
    assert_eq!(generated.len(), 1);
    assert_eq!(
        generated[0]["event"]["data"]["mispLicenseData"]["licenseKey"],
        new.as_str()
    );
    // The MISP's get-or-regenerate answers the newest usable key.
    let v: Value = app
        .http
        .get(format!(
            "{}/v1/partnermanager/misps/{misp}/licenseKey",
            app.api
        ))
        .bearer_auth(app.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["response"]["licenseKey"], new.as_str(), "{v}");

    // The overlap ends: the expiry sweep deactivates the old key only; nothing is renewed again.
    sqlx::query("UPDATE misp_license SET valid_to_date = now() - interval '1 minute' WHERE license_key = $1")
        .bind(&old)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(sweep(&app, "licence-expiry").await["marked"], 1);
    assert_eq!(sweep(&app, "licence-renewal").await["marked"], 0);
    let active: Vec<String> =
        sqlx::query_scalar("SELECT license_key FROM misp_license WHERE misp_id = $1 AND is_active")
            .bind(&misp)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(active, [new]);
    settle_effects(&app).await;
    app.assert_effects_once();
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn run_retention_prunes_old_finished_runs_and_says_so(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    onboard(&app, 0).await;
    onboard(&app, 1).await;
    let runs: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM workflow_run WHERE kind = 'onboarding' ORDER BY created_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let (old, recent) = (runs[0], runs[1]);
    // The first ended 100 days ago, beyond the default retention of 90; an operator acted on it.
    sqlx::query("UPDATE workflow_run SET finished_at = now() - interval '100 days' WHERE id = $1")
        .bind(old)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO operator_action (actor, action, run_id, reason) VALUES ('ops', 'retry', $1, 'test')",
    )
    .bind(old)
    .execute(&app.pool)
    .await
    .unwrap();
    let (steps_before, attempts_before): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM workflow_step WHERE run_id = $1),
                (SELECT count(*) FROM step_attempt WHERE run_id = $1)",
    )
    .bind(old)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(steps_before > 0 && attempts_before > 0);

    let report = sweep(&app, "run-retention").await;
    assert_eq!(report["marked"], 1, "{report}");

    let count = |sql: &'static str, id: Uuid| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    for sql in [
        "SELECT count(*) FROM workflow_run WHERE id = $1",
        "SELECT count(*) FROM workflow_step WHERE run_id = $1",
        "SELECT count(*) FROM step_attempt WHERE run_id = $1",
    ] {
        assert_eq!(count(sql, old).await, 0, "{sql}");
    }
    assert_eq!(
        count("SELECT count(*) FROM workflow_run WHERE id = $1", recent).await,
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM operator_action WHERE run_id = $1",
            old
        )
        .await,
        1,
        "the audit log is kept"
    );

    // Asking for it says it was pruned: run readers get 410, a partner still 404.
    let (status, v) = native(
        &app,
        reqwest::Method::GET,
        &format!("/v1/runs/{old}"),
        &app.admin(),
    )
    .await;
    assert_eq!(status, 410, "{v}");
    assert_eq!(v["code"], "PMSFLOW_RUN_PRUNED", "{v}");
    let (status, v) = native(
        &app,
        reqwest::Method::GET,
        &format!("/v1/admin/runs/{old}"),
        &app.admin(),
    )
    .await;
    assert_eq!(status, 410, "{v}");
    let partner = app.token("someone", &["AUTH_PARTNER"]);
    let (status, _) = native(
        &app,
        reqwest::Method::GET,
        &format!("/v1/runs/{old}"),
        &partner,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = native(
        &app,
        reqwest::Method::GET,
        &format!("/v1/runs/{recent}"),
        &app.admin(),
    )
    .await;
    assert_eq!(status, 200);

    // A second pass finds nothing more.
    let report = sweep(&app, "run-retention").await;
    assert_eq!(report["marked"], 0, "{report}");
}

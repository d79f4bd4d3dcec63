//! The operator console end to end in real headless Chromium (Debian's `chromium` through
//! `chromedriver`): sign-in, filters, a run made to fail by sandbox fault injection, a retry
//! with a reason watched to completion without reloading, the audit log, the viewer's
//! read-only screens, and a bulk retry over 200 failed runs. Screenshots of each screen go to
//! `target/console-screenshots/`.

use std::time::Duration;

use fantoccini::Locator;
use pmsflow_sandbox::{FaultConfig, FaultRule};
use pmsflow_tests::{browser::Browser, TestApp, TestOptions};
use sqlx::PgPool;

const WAIT: Duration = Duration::from_secs(20);

fn options() -> TestOptions {
    TestOptions {
        external_attempts: 2,
        ..TestOptions::default()
    }
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn operator_retries_a_failed_run_and_finds_it_in_the_audit_log(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    app.onboard_fixture(0).await;
    let failed = app.failed_onboardings(0, 2).await;
    // keymanager is still down while the operator looks at the run.
    app.sandbox.sandbox.set_faults(FaultConfig::single(
        "keymanager.*",
        FaultRule::always_unavailable(),
    ));
    let b = Browser::start().await;
    b.sign_in(&app.api, "operator1", "operator").await;
    b.find("[data-testid=overview]", WAIT).await;
    b.screenshot("overview").await;

    // Filter the failed runs through the form; the filter lands in the URL.
    b.client
        .goto(&format!("{}/console/runs", app.api))
        .await
        .unwrap();
    let status = b
        .find("[data-testid=filters] select[name=status]", WAIT)
        .await;
    status.select_by_value("failed").await.unwrap();
    b.click("[data-testid=apply-filters]").await;
    b.wait_text("[data-testid=runs-table]", WAIT, |t| {
        !t.contains("completed")
    })
    .await;
    let url = b.client.current_url().await.unwrap();
    assert!(url.as_str().contains("status=failed"), "{url}");
    let rows = b
        .client
        .find_all(Locator::Css("[data-testid=run-row]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    b.screenshot("runs-failed").await;

    // Open the first failed run: keymanager's 503 is shown on its step.
    let run = failed[0];
    b.find(
        &format!("[data-testid=run-row][data-run-id='{run}'] a"),
        WAIT,
    )
    .await
    .click()
    .await
    .unwrap();
    b.wait_text("[data-testid=run-status]", WAIT, |t| t.contains("failed"))
        .await;
    let step = b
        .wait_text(
            "[data-testid=step][data-step-key='keymanager.upload_ca'] [data-testid=step-status]",
            WAIT,
            |t| t.contains("failed"),
        )
        .await;
    assert!(step.contains("failed"));
    b.screenshot("run-failed").await;

    // Turn the fault off, retry with a reason, and watch the run complete without a reload.
    app.sandbox.sandbox.clear_faults();
    b.client
        .execute("window.__notReloaded = true; return true;", vec![])
        .await
        .unwrap();
    b.click("[data-testid=action-retry]").await;
    b.find(
        "[data-testid=action-dialog] [data-testid=action-reason]",
        WAIT,
    )
    .await
    .send_keys("keymanager restored after the outage")
    .await
    .unwrap();
    b.click("[data-testid=action-confirm]").await;
    b.wait_text("[data-testid=run-status]", Duration::from_secs(60), |t| {
        t.contains("completed")
    })
    .await;
    let still = b
        .client
        .execute("return window.__notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(
        still,
        serde_json::Value::Bool(true),
        "the page was reloaded"
    );
    b.screenshot("run-completed").await;

    // The action is in the audit log with its reason.
    b.client
        .goto(&format!("{}/console/audit", app.api))
        .await
        .unwrap();
    let log = b
        .wait_text("[data-testid=audit-table]", WAIT, |t| {
            t.contains("keymanager restored")
        })
        .await;
    assert!(log.contains("operator1") && log.contains("retry"), "{log}");
    b.screenshot("audit").await;

    b.client
        .goto(&format!("{}/console/schedules", app.api))
        .await
        .unwrap();
    b.find("[data-testid=schedule-row]", WAIT).await;
    b.screenshot("schedules").await;
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn viewers_see_every_screen_and_no_action(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let failed = app.failed_onboardings(0, 1).await;
    let b = Browser::start().await;
    b.sign_in(&app.api, "viewer1", "viewer").await;
    b.client
        .goto(&format!("{}/console/runs/{}", app.api, failed[0]))
        .await
        .unwrap();
    b.wait_text("[data-testid=run-status]", WAIT, |t| t.contains("failed"))
        .await;
    b.find("[data-testid=step]", WAIT).await;
    for action in [
        "action-retry",
        "action-cancel",
        "action-republish",
        "step-skip",
        "step-retry-now",
    ] {
        let found = b
            .client
            .find_all(Locator::Css(&format!("[data-testid={action}]")))
            .await
            .unwrap();
        assert!(found.is_empty(), "a viewer sees {action}");
    }
    b.screenshot("run-viewer").await;
    b.client
        .goto(&format!("{}/console/runs?status=failed", app.api))
        .await
        .unwrap();
    b.find("[data-testid=run-row]", WAIT).await;
    let bulk = b
        .client
        .find_all(Locator::Css("[data-testid=bulk-bar]"))
        .await
        .unwrap();
    assert!(bulk.is_empty(), "a viewer sees the bulk bar");
    b.client
        .goto(&format!("{}/console/schedules", app.api))
        .await
        .unwrap();
    b.find("[data-testid=schedule-row]", WAIT).await;
    let buttons = b
        .client
        .find_all(Locator::Css(
            "[data-testid=schedule-trigger], [data-testid=schedule-pause], [data-testid=schedule-resume]",
        ))
        .await
        .unwrap();
    assert!(buttons.is_empty(), "a viewer sees schedule actions");
}

#[sqlx::test(migrator = "pmsflow_store::db::MIGRATOR")]
async fn bulk_retry_of_200_failed_runs_shows_progress_to_completion(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let failed = app.failed_onboardings(0, 200).await;
    let b = Browser::start().await;
    b.sign_in(&app.api, "operator1", "operator").await;
    b.client
        .goto(&format!(
            "{}/console/runs?status=failed&kind=onboarding",
            app.api
        ))
        .await
        .unwrap();
    b.find("[data-testid=run-row]", WAIT).await;
    b.find("[data-testid=bulk-bar]", WAIT).await;
    b.choose("[data-testid=bulk-bar] select[name=action]", "retry")
        .await;
    b.click("[data-testid=bulk-bar] input[value=filter]").await;
    b.type_into("[data-testid=bulk-reason]", "keymanager outage over")
        .await;
    b.click("[data-testid=bulk-preview]").await;
    let count = b
        .wait_text("[data-testid=bulk-count]", WAIT, |t| t.contains("200"))
        .await;
    assert!(count.contains("200"), "{count}");
    b.screenshot("bulk-preview").await;
    b.click("[data-testid=bulk-confirm]").await;
    b.find("[data-testid=bulk]", WAIT).await;
    b.find("[data-testid=bulk-progress]", WAIT).await;
    b.wait_text("[data-testid=bulk-status]", Duration::from_secs(120), |t| {
        t.contains("completed")
    })
    .await;
    let done = b
        .wait_text("[data-testid=bulk-done]", WAIT, |t| t.contains("200 / 200"))
        .await;
    assert!(done.contains("200 / 200"));
    let result = b
        .wait_text("[data-testid=bulk-result]", WAIT, |t| t.contains("200"))
        .await;
    assert!(result.contains("200 applied"), "{result}");
    b.screenshot("bulk-completed").await;
    for id in failed {
        let run = app.wait_run(id, Duration::from_secs(180)).await;
        assert_eq!(run.run.status, "completed", "{id}");
    }
}

//! The synchronous PMS endpoints' wait for their run.

use pmsflow_core::codes;
use pmsflow_core::envelope::ServiceError;
use pmsflow_store::runs;
use uuid::Uuid;

use crate::error::PmsError;
use crate::state::AppState;

/// Wait for run `run_id` up to `api.certificate_upload_wait_ms`: its detail when it completed;
/// its own error code and message when it failed or was cancelled; `PMSFLOW_RUN_PENDING`
/// naming the run (which completes anyway) when it is still going.
pub(crate) async fn wait_and_fail(
    state: &AppState,
    run_id: Uuid,
) -> Result<runs::RunDetail, PmsError> {
    let status = state
        .runs
        .wait(run_id, state.certificate_upload_wait)
        .await?;
    // Once more after a lost connection (the wait above outlived a database restart).
    let once_more = tokio::time::Instant::now() + pmsflow_store::watch::RECONNECT_PAUSE;
    let detail =
        pmsflow_store::watch::surviving_restarts(once_more, || runs::get_run(&state.pool, run_id))
            .await?
            .ok_or_else(|| PmsError::Internal("run vanished".into()))?;
    match status.as_deref() {
        Some("completed") => Ok(detail),
        // The run's own error, as the callee (keymanager, eSignet) answered it.
        Some("failed") | Some("cancelled") => Err(PmsError::from(ServiceError::new(
            detail
                .run
                .error_code
                .as_deref()
                .unwrap_or(codes::PMS_PRT_500.code),
            detail
                .run
                .error_message
                .clone()
                .unwrap_or_else(|| codes::PMS_PRT_500.message.into()),
        ))),
        _ => Err(PmsError::new(
            codes::PMSFLOW_RUN_PENDING,
            format!("Request accepted and still running as run {run_id}; follow it at /v1/runs/{run_id}"),
        )),
    }
}

/// Wait for a run that re-signs a certificate ([`wait_and_fail`]) and answer as PMS's
/// certificate uploads do: `{certificateId, signedCertificateData (the MOSIP-signed PEM),
/// timestamp}` from its `keymanager.upload_partner_certificate` step, in an envelope echoing
/// `id` and `version`.
pub(crate) async fn resigned_answer(
    state: &AppState,
    run_id: Uuid,
    id: Option<String>,
    version: Option<String>,
) -> crate::pms::envelope::PmsResult {
    let detail = wait_and_fail(state, run_id).await?;
    let resigned = detail
        .steps
        .iter()
        .find(|s| s.key == pmsflow_core::workflow::steps::UPLOAD_PARTNER_CERTIFICATE)
        .and_then(|s| s.output.clone())
        .unwrap_or(serde_json::Value::Null);
    crate::pms::envelope::ok(
        id,
        version,
        serde_json::json!({
            "certificateId": resigned["certificateId"],
            "signedCertificateData": resigned["leafPem"],
            "timestamp": pmsflow_core::envelope::mosip_datetime(time::OffsetDateTime::now_utc()),
        }),
    )
}

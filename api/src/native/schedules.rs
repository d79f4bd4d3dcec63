//! The scheduler's sweeps over HTTP (native API, problem+json errors): list every schedule
//! with its cron, next and last fire and last result; pause, resume, trigger now. Actions take
//! an optional `{reason}` body and go through the same path as the console's
//! (`crate::services::schedules::act`): each is written to the operator audit log.
//!
//! Roles: `pmsflowschedules` to read, `pmsflowschedulesmanage` to act (PARTNER_ADMIN by
//! default, configurable under `[roles]`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::RoleKey;
use crate::access::{AuthUser, NativeCaller};
use crate::error::Problem;
use crate::services::schedules::{act_on_schedule, find, view, ScheduleAction};
use crate::state::AppState;

/// Routes of `/v1/schedules`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(trigger))
}

/// List the schedules.
///
/// `GET /v1/schedules` → `[{name, cron, paused, nextFireAt, lastFire: {fireAt, outcome
/// (started|skipped|triggered), runId, runStatus} | null}]`; times in MOSIP's format, UTC.
#[utoipa::path(get, path = "/v1/schedules", tag = "schedules",
    responses((status = 200, description = "Every configured sweep with its next and last fire.", body = Vec<Value>), crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn list(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
) -> Result<Response, Problem> {
    if !state.roles.allows(RoleKey::PmsflowSchedules, &caller) {
        return Err(Problem::forbidden());
    }
    let mut out = Vec::with_capacity(state.schedules.len());
    for s in state.schedules.iter() {
        out.push(view(&state, s).await?);
    }
    Ok(Json(out).into_response())
}

/// The reason of a native schedule action: `{reason}` if a body is sent (checked as the
/// console checks it: 400 `PMS_COR_001` for a body that is not JSON, 422 for a blank or
/// over-long reason), else [`NO_REASON`]. A JSON `null` is no body, as the document says
/// (the body is optional: `null` or `{reason}`).
fn reason_of(body: &[u8]) -> Result<String, Problem> {
    let body = body.trim_ascii();
    if body.is_empty() || body == b"null" {
        return Ok(NO_REASON.to_owned());
    }
    crate::services::reason::reason_of(body)
}

/// The audit log's reason of a native action sent without one.
const NO_REASON: &str = "(no reason given: native API)";

async fn set_paused(
    state: &AppState,
    caller: &AuthUser,
    name: &str,
    body: &[u8],
    action: ScheduleAction,
) -> Result<Response, Problem> {
    if !state.roles.allows(RoleKey::PmsflowSchedulesManage, caller) {
        return Err(Problem::forbidden());
    }
    let schedule = find(state, name)?;
    let reason = reason_of(body)?;
    let (view, _) = act_on_schedule(state, &caller.user_id, schedule, action, &reason).await?;
    Ok(Json(view).into_response())
}

/// Pause a schedule: its fires start nothing until resumed (trigger now still works).
///
/// `POST /v1/schedules/{name}/pause` → the schedule; 404 `PMSFLOW_UNKNOWN_SCHEDULE`.
#[utoipa::path(post, path = "/v1/schedules/{name}/pause", tag = "schedules",
    params(("name" = String, Path, description = "Schedule name, e.g. `licence-expiry`.")),
    request_body(content = Option<crate::services::reason::ReasonBody>, content_type = "application/json",
        description = "Optional `{reason}` for the operator audit log; without a body the log says `(no reason given: native API)`."),
    responses((status = 200, description = "The schedule, paused.", body = Value),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::BadReason, crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn pause(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    set_paused(&state, &caller, &name, &body, ScheduleAction::Pause).await
}

/// Resume a paused schedule; fires missed while paused collapse into one at the next tick.
///
/// `POST /v1/schedules/{name}/resume` → the schedule; 404 `PMSFLOW_UNKNOWN_SCHEDULE`.
#[utoipa::path(post, path = "/v1/schedules/{name}/resume", tag = "schedules",
    params(("name" = String, Path, description = "Schedule name.")),
    request_body(content = Option<crate::services::reason::ReasonBody>, content_type = "application/json",
        description = "Optional `{reason}` for the operator audit log; without a body the log says `(no reason given: native API)`."),
    responses((status = 200, description = "The schedule, resumed.", body = Value),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::BadReason, crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn resume(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    set_paused(&state, &caller, &name, &body, ScheduleAction::Resume).await
}

/// Run a sweep now.
///
/// `POST /v1/schedules/{name}/trigger` → `202 {runId}`; 409 `PMSFLOW_SWEEP_RUNNING` while a
/// run of the schedule is still running; 404 `PMSFLOW_UNKNOWN_SCHEDULE`.
#[utoipa::path(post, path = "/v1/schedules/{name}/trigger", tag = "schedules",
    params(("name" = String, Path, description = "Schedule name.")),
    request_body(content = Option<crate::services::reason::ReasonBody>, content_type = "application/json",
        description = "Optional `{reason}` for the operator audit log; without a body the log says `(no reason given: native API)`."),
    responses((status = 202, description = "`{runId}` of the sweep run.", body = Value),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A run of the schedule is still running: `code: PMSFLOW_SWEEP_RUNNING`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::BadReason, crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn trigger(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    if !state.roles.allows(RoleKey::PmsflowSchedulesManage, &caller) {
        return Err(Problem::forbidden());
    }
    let schedule = find(&state, &name)?;
    let reason = reason_of(&body)?;
    let (_, entry) = act_on_schedule(
        &state,
        &caller.user_id,
        schedule,
        ScheduleAction::Trigger,
        &reason,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"runId": entry.run_id}))).into_response())
}

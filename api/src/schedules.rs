//! The scheduler's sweeps over HTTP (native API, problem+json errors): list every schedule
//! with its cron, next and last fire and last result; pause, resume, trigger now. The same
//! JSON serves the operator console later (issue 5).
//!
//! Roles: `pmsflowschedules` to read, `pmsflowschedulesmanage` to act (PARTNER_ADMIN by
//! default, configurable under `[roles]`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use pmsflow_core::{envelope::mosip_datetime, schedule::CronSchedule};
use pmsflow_store::schedules;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::auth::NativeCaller;
use crate::error::Problem;
use crate::state::AppState;

/// Routes of `/v1/schedules`.
pub fn routes() -> Router<AppState> {
    let base = "/v1/schedules";
    Router::new()
        .route(base, get(list))
        .route(&format!("{base}/{{name}}/pause"), post(pause))
        .route(&format!("{base}/{{name}}/resume"), post(resume))
        .route(&format!("{base}/{{name}}/trigger"), post(trigger))
}

pub(crate) fn find<'a>(state: &'a AppState, name: &str) -> Result<&'a CronSchedule, Problem> {
    state
        .schedules
        .iter()
        .find(|s| s.name() == name)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "Unknown schedule",
                format!("no schedule named {name}"),
            )
            .with_code("PMSFLOW_UNKNOWN_SCHEDULE")
        })
}

pub(crate) async fn view(state: &AppState, s: &CronSchedule) -> Result<Value, Problem> {
    let mut conn = state.pool.acquire().await?;
    let paused = schedules::is_paused(&mut conn, s.name()).await?;
    let last = schedules::last_fire(&mut conn, s.name()).await?;
    let now = OffsetDateTime::now_utc();
    Ok(json!({
        "name": s.name(),
        "cron": s.expr(),
        "paused": paused,
        "nextFireAt": s.next_after(now).map(mosip_datetime),
        "lastFire": last.map(|f| json!({
            "fireAt": mosip_datetime(f.fire_at),
            "outcome": f.outcome,
            "runId": f.run_id,
            "runStatus": f.run_status,
        })),
    }))
}

/// List the schedules.
///
/// `GET /v1/schedules` → `[{name, cron, paused, nextFireAt, lastFire: {fireAt, outcome
/// (started|skipped|triggered), runId, runStatus} | null}]`; times in MOSIP's format, UTC.
#[utoipa::path(get, path = "/v1/schedules", tag = "schedules",
    responses((status = 200, description = "Every configured sweep with its next and last fire.", body = Vec<Value>), crate::openapi::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn list(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
) -> Result<Response, Problem> {
    if !state.roles.allows("pmsflowschedules", &caller) {
        return Err(Problem::forbidden());
    }
    let mut out = Vec::with_capacity(state.schedules.len());
    for s in state.schedules.iter() {
        out.push(view(&state, s).await?);
    }
    Ok(Json(out).into_response())
}

async fn set_paused(
    state: &AppState,
    caller: &crate::auth::AuthUser,
    name: &str,
    paused: bool,
) -> Result<Response, Problem> {
    if !state.roles.allows("pmsflowschedulesmanage", caller) {
        return Err(Problem::forbidden());
    }
    let s = find(state, name)?;
    let mut conn = state.pool.acquire().await?;
    schedules::set_paused(&mut conn, name, paused, &caller.user_id).await?;
    drop(conn);
    Ok(Json(view(state, s).await?).into_response())
}

/// Pause a schedule: its fires start nothing until resumed (trigger now still works).
///
/// `POST /v1/schedules/{name}/pause` → the schedule; 404 `PMSFLOW_UNKNOWN_SCHEDULE`.
#[utoipa::path(post, path = "/v1/schedules/{name}/pause", tag = "schedules",
    params(("name" = String, Path, description = "Schedule name, e.g. `licence-expiry`.")),
    responses((status = 200, description = "The schedule, paused.", body = Value),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn pause(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    set_paused(&state, &caller, &name, true).await
}

/// Resume a paused schedule; fires missed while paused collapse into one at the next tick.
///
/// `POST /v1/schedules/{name}/resume` → the schedule; 404 `PMSFLOW_UNKNOWN_SCHEDULE`.
#[utoipa::path(post, path = "/v1/schedules/{name}/resume", tag = "schedules",
    params(("name" = String, Path, description = "Schedule name.")),
    responses((status = 200, description = "The schedule, resumed.", body = Value),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn resume(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    set_paused(&state, &caller, &name, false).await
}

/// Run a sweep now.
///
/// `POST /v1/schedules/{name}/trigger` → `202 {runId}`; 409 `PMSFLOW_SWEEP_RUNNING` while a
/// run of the schedule is still running; 404 `PMSFLOW_UNKNOWN_SCHEDULE`.
#[utoipa::path(post, path = "/v1/schedules/{name}/trigger", tag = "schedules",
    params(("name" = String, Path, description = "Schedule name.")),
    responses((status = 202, description = "`{runId}` of the sweep run.", body = Value),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A run of the schedule is still running: `code: PMSFLOW_SWEEP_RUNNING`.", body = crate::openapi::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn trigger(
    State(state): State<AppState>,
    NativeCaller(caller): NativeCaller,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    if !state.roles.allows("pmsflowschedulesmanage", &caller) {
        return Err(Problem::forbidden());
    }
    find(&state, &name)?;
    let started = schedules::trigger(
        &state.pool,
        &name,
        OffsetDateTime::now_utc(),
        &caller.user_id,
        &state.budgets,
    )
    .await?;
    match started {
        Some(run_id) => Ok((StatusCode::ACCEPTED, Json(json!({"runId": run_id}))).into_response()),
        None => Err(Problem::new(
            StatusCode::CONFLICT,
            "Sweep running",
            format!("a run of {name} is still running"),
        )
        .with_code("PMSFLOW_SWEEP_RUNNING")),
    }
}

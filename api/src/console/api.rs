//! The operator console's JSON API under `/v1/admin` (native: plain JSON, problem+json
//! errors). Every view and action of the console (`/console`, [`crate::console`]) is one of
//! these endpoints, so operators can script them with a Bearer token.
//!
//! Access: any console role reads ([`ConsoleCaller`]); operators and admins act
//! ([`ConsoleOperator`]); only admins pause and resume schedules ([`ConsoleAdmin`]). Actions
//! need a reason and are written to the operator audit log with who, when, what, why, before
//! and after (`pmsflow_store::operator`).

use pmsflow_core::codes;
use std::convert::Infallible;
use std::time::Duration;
use utoipa_axum::{router::OpenApiRouter, routes};

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures::{Stream, StreamExt};
use pmsflow_core::{
    operator::{self as rules, BulkInput, RunAction, MAX_BULK_RUNS},
    republish::{self, Selection},
    workflow::WorkflowKind,
};
use pmsflow_store::{
    bulk,
    console::{self, ConsoleFilter},
    operator::{self, ActionError, Actor, AuditFilter, NewEntry},
    runs,
};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::access::{ConsoleAdmin, ConsoleCaller, ConsoleOperator};
use crate::error::{parse_json, Problem};
use crate::services::reason::{reason_of, ReasonBody};
use crate::services::schedules::{act_on_schedule, find, view, ScheduleAction};
use crate::state::AppState;
use pmsflow_store::watch::RunNotice;

/// Routes of `/v1/admin` (besides the re-publication of [`crate::republish`]).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session))
        .routes(routes!(overview))
        .routes(routes!(list_runs))
        .routes(routes!(run_detail))
        .routes(routes!(retry_run))
        .routes(routes!(cancel_run))
        .routes(routes!(retry_step_now))
        .routes(routes!(skip_step))
        .routes(routes!(republish_partner))
        .routes(routes!(start_bulk))
        .routes(routes!(bulk_progress))
        .routes(routes!(audit))
        .routes(routes!(list_schedules))
        .routes(routes!(pause_schedule))
        .routes(routes!(resume_schedule))
        .routes(routes!(trigger_schedule))
        .routes(routes!(events))
}

fn bad_query(e: axum::extract::rejection::QueryRejection) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "Invalid query", e.body_text())
        .with_code(codes::PMS_COR_001)
}

fn run_id(raw: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(raw).map_err(|_| Problem::not_found("run"))
}

impl From<ActionError> for Problem {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::UnknownRun => Problem::not_found("run"),
            ActionError::UnknownStep => Problem::not_found("step"),
            ActionError::NotApplicable(why) => {
                Problem::new(StatusCode::CONFLICT, "Not applicable", why)
                    .with_code(codes::PMSFLOW_NOT_APPLICABLE)
            }
            ActionError::Db(e) => e.into(),
        }
    }
}

/// Who is signed in and what they may do.
///
/// `{user, role: viewer|operator|admin, canAct, canAdmin, csrfToken}`. A browser session
/// (cookie) sends `csrfToken` as the `X-CSRF-Token` header with every action.
#[utoipa::path(get, path = "/v1/admin/session", tag = "admin",
    responses((status = 200, description = "The session.", body = crate::openapi::schemas::ConsoleSession),
        (status = 403, description = "The token's roles give no console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn session(State(state): State<AppState>, caller: ConsoleCaller) -> Response {
    Json(json!({
        "user": caller.user.user_id,
        "role": caller.role.as_str(),
        "canAct": caller.role.can_act(),
        "canAdmin": caller.role.can_admin(),
        "csrfToken": caller.csrf_token(&state.console),
    }))
    .into_response()
}

/// Query of `GET /v1/admin/overview`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// `1h` (60 one-minute buckets) or `24h` (24 one-hour buckets, the default).
    pub window: Option<String>,
}

/// The overview: runs by kind and status, throughput and failure rate over a window, oldest
/// ready step, outbox lag, workers with their last heartbeat.
#[utoipa::path(get, path = "/v1/admin/overview", tag = "admin", params(OverviewQuery),
    responses((status = 200, description = "`{byKindStatus, throughput, bucketSeconds, failureRate, oldestReadyStep, outbox, workers, workersAlive}`.", body = crate::openapi::schemas::ConsoleOverview),
        (status = 400, description = "`window` is not `1h` or `24h`: `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "No console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn overview(
    State(state): State<AppState>,
    _caller: ConsoleCaller,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(bad_query)?;
    let (window, buckets) = match q.window.as_deref().unwrap_or("24h") {
        "1h" => (3600, 60),
        "24h" => (86_400, 24),
        other => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "Invalid query",
                format!("window must be 1h or 24h, not {other}"),
            )
            .with_code(codes::PMS_COR_001))
        }
    };
    let alive_within = 3.0 * state.heartbeat.as_secs_f64();
    let o = console::overview(&state.pool, window, buckets, alive_within).await?;
    Ok(Json(o).into_response())
}

/// Query of `GET /v1/admin/runs`: the console's filters, kept in its URL.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RunsQuery {
    /// Workflow kind, e.g. `onboarding`.
    pub kind: Option<String>,
    /// `running`, `completed`, `failed`, `cancelled`.
    pub status: Option<String>,
    /// Partner id.
    pub partner_id: Option<String>,
    /// Partner type, e.g. `Auth_Partner`.
    pub partner_type: Option<String>,
    /// Key of the step the run is at (its failed step when failed).
    pub step: Option<String>,
    /// Error code of the run.
    pub error_code: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<String>,
    /// Created before (RFC 3339).
    pub to: Option<String>,
    /// Free text: run id or its first or last characters, partner id, idempotency key.
    pub q: Option<String>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<Uuid>,
    /// Page size 1..=500, default 50.
    pub limit: Option<i64>,
}

fn time_param(name: &str, v: &Option<String>) -> Result<Option<OffsetDateTime>, Problem> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(Some)
            .map_err(|_| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "Invalid query",
                    format!("{name} must be an RFC 3339 time, e.g. 2026-11-22T10:00:00Z"),
                )
                .with_code(codes::PMS_COR_001)
            }),
    }
}

impl RunsQuery {
    fn filter(&self) -> Result<ConsoleFilter, Problem> {
        Ok(ConsoleFilter {
            kind: self.kind.clone(),
            status: self.status.clone(),
            partner_id: self.partner_id.clone(),
            partner_type: self.partner_type.clone(),
            step: self.step.clone(),
            error_code: self.error_code.clone(),
            from: time_param("from", &self.from)?,
            to: time_param("to", &self.to)?,
            q: self.q.clone(),
        })
    }
}

/// Runs matching the filters, newest first, keyset-paged (stable while runs are added).
#[utoipa::path(get, path = "/v1/admin/runs", operation_id = "admin_list_runs", tag = "admin", params(RunsQuery),
    responses((status = 200, description = "`{runs: [RunRow], nextCursor, kinds}`.", body = crate::openapi::schemas::ConsoleRunPage),
        (status = 400, description = "Invalid query (`from`/`to` not RFC 3339, `cursor` not a UUID): `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "No console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn list_runs(
    State(state): State<AppState>,
    _caller: ConsoleCaller,
    query: Result<Query<RunsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(bad_query)?;
    let filter = q.filter()?;
    let (rows, next) =
        console::list_runs(&state.pool, &filter, q.cursor, q.limit.unwrap_or(50)).await?;
    let kinds = console::kinds(&state.pool).await?;
    Ok(Json(json!({"runs": rows, "nextCursor": next, "kinds": kinds})).into_response())
}

fn millis(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some((b - a).whole_milliseconds() as i64),
        _ => None,
    }
}

/// RFC 3339, as every time of the console's JSON.
fn ts(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
}

fn run_view(d: &runs::RunDetail) -> Value {
    let r = &d.run;
    let steps: Vec<Value> = d
        .steps
        .iter()
        .map(|s| {
            let attempts: Vec<Value> = s
                .attempts
                .iter()
                .map(|a| {
                    json!({
                        "attempt": a.attempt, "outcome": a.outcome, "error": a.error,
                        "worker": a.worker, "startedAt": ts(a.started_at), "finishedAt": ts(Some(a.finished_at)),
                        "durationMs": millis(a.started_at, Some(a.finished_at)),
                    })
                })
                .collect();
            json!({
                "id": s.id, "key": s.key, "seq": s.seq, "status": s.status, "required": s.required,
                "attempt": s.attempt, "maxAttempts": s.max_attempts, "nextAttemptAt": ts(s.next_attempt_at),
                "startedAt": ts(s.started_at), "finishedAt": ts(s.finished_at),
                "durationMs": millis(s.started_at, s.finished_at),
                "output": s.output, "lastError": s.last_error, "attempts": attempts,
            })
        })
        .collect();
    let mut view = json!({
        "id": r.id, "kind": r.kind, "subject": r.subject, "status": r.status,
        "errorCode": r.error_code, "errorMessage": r.error_message, "createdBy": r.created_by,
        "createdAt": ts(Some(r.created_at)), "finishedAt": ts(r.finished_at), "input": d.input, "steps": steps,
        "allowed": {"retry": RunAction::Retry.applies(&r.status), "cancel": RunAction::Cancel.applies(&r.status)},
    });
    // Run inputs and outputs carry licence keys and other credentials: never shown.
    pmsflow_core::redact::redact_json(&mut view);
    view
}

/// A run with its step timeline (status, attempt n of N, next retry, duration), every
/// attempt's error with the callee's (redacted) response, input and outputs, the partner it
/// concerns with up to 20 of its other runs, the operator actions on it, and what it waits for
/// when it waits for its ordering key.
#[utoipa::path(get, path = "/v1/admin/runs/{id}", tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Run id")),
    responses((status = 200, description = "The run with `steps`, `partner`, `otherRuns`, `actions`, `allowed`, `waitingFor`.", body = crate::openapi::schemas::ConsoleRunDetail),
        (status = 403, description = "No console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such run.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 410, description = "`PMSFLOW_RUN_PRUNED`: the run-retention sweep deleted the run.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn run_detail(
    State(state): State<AppState>,
    _caller: ConsoleCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = run_id(&id)?;
    let Some(detail) = runs::get_run(&state.pool, id).await? else {
        if pmsflow_store::sweeps::was_pruned(&state.pool, id).await? {
            return Err(Problem::pruned(id));
        }
        return Err(Problem::not_found("run"));
    };
    let mut v = run_view(&detail);
    let partner = match detail.run.subject.as_deref() {
        Some(s) => console::partner_card(&state.pool, s).await?,
        None => None,
    };
    let other_runs = match &partner {
        Some(p) => {
            let filter = ConsoleFilter {
                partner_id: Some(p.partner_id.clone()),
                ..ConsoleFilter::default()
            };
            let (rows, _) = console::list_runs(&state.pool, &filter, None, 21).await?;
            rows.into_iter().filter(|r| r.id != id).take(20).collect()
        }
        None => Vec::new(),
    };
    let actions = operator::actions_of_run(&state.pool, id).await?;
    v["partner"] = json!(partner);
    v["otherRuns"] = json!(other_runs);
    v["actions"] = json!(actions);
    v["waitingFor"] = json!(console::waiting_for(&state.pool, id).await?);
    v["updatedAt"] = json!(updated_at(&state, id).await?);
    Ok(Json(v).into_response())
}

async fn updated_at(state: &AppState, id: Uuid) -> Result<Option<String>, Problem> {
    let t: Option<OffsetDateTime> =
        sqlx::query_scalar("SELECT updated_at FROM workflow_run WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
    Ok(ts(t))
}

async fn act<F>(state: &AppState, f: F) -> Result<Response, Problem>
where
    F: for<'c> FnOnce(
        &'c mut sqlx::PgConnection,
    )
        -> futures::future::BoxFuture<'c, Result<operator::AuditEntry, ActionError>>,
{
    let mut tx = state.pool.begin().await?;
    let entry = f(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(entry).into_response())
}

/// The operator and the reason of an action request.
fn who_and_why(caller: ConsoleCaller, body: &[u8]) -> Result<(String, String), Problem> {
    Ok((caller.user.user_id, reason_of(body)?))
}

fn actor<'a>(name: &'a str, reason: &'a str) -> Actor<'a> {
    Actor {
        name,
        reason,
        bulk_id: None,
    }
}

fn step_uuid(raw: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(raw).map_err(|_| Problem::not_found("step"))
}

/// Retry a failed run from its failed step, with a fresh attempt budget.
#[utoipa::path(post, path = "/v1/admin/runs/{id}/retry", tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Run id")),
    request_body = ReasonBody,
    responses((status = 200, description = "The audit entry (`before` / `after`: run and step status, attempts).", body = crate::openapi::schemas::AuditEntry),
        (status = 409, description = "The run is not failed: `code: PMSFLOW_NOT_APPLICABLE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::ActionRefused, crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn retry_run(
    State(state): State<AppState>,
    ConsoleOperator(caller): ConsoleOperator,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (id, (name, reason)) = (run_id(&id)?, who_and_why(caller, &body)?);
    act(&state, move |c| {
        Box::pin(async move { operator::retry_run(c, id, actor(&name, &reason)).await })
    })
    .await
}

/// Cancel a running or failed run: its pending and queued steps are skipped.
#[utoipa::path(post, path = "/v1/admin/runs/{id}/cancel", tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Run id")),
    request_body = ReasonBody,
    responses((status = 200, description = "The audit entry (`after.skippedSteps`).", body = crate::openapi::schemas::AuditEntry),
        (status = 409, description = "The run is completed or cancelled: `code: PMSFLOW_NOT_APPLICABLE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::ActionRefused, crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn cancel_run(
    State(state): State<AppState>,
    ConsoleOperator(caller): ConsoleOperator,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (id, (name, reason)) = (run_id(&id)?, who_and_why(caller, &body)?);
    act(&state, move |c| {
        Box::pin(async move { operator::cancel_run(c, id, actor(&name, &reason)).await })
    })
    .await
}

/// Dispatch a step waiting for its backoff now.
#[utoipa::path(post, path = "/v1/admin/runs/{id}/steps/{step_id}/retry-now", tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Run id"), ("step_id" = uuid::Uuid, Path, description = "Step id")),
    request_body = ReasonBody,
    responses((status = 200, description = "The audit entry.", body = crate::openapi::schemas::AuditEntry),
        (status = 409, description = "The step is not waiting for a retry: `code: PMSFLOW_NOT_APPLICABLE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::ActionRefused, crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn retry_step_now(
    State(state): State<AppState>,
    ConsoleOperator(caller): ConsoleOperator,
    Path((id, step_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (id, step) = (run_id(&id)?, step_uuid(&step_id)?);
    let (name, reason) = who_and_why(caller, &body)?;
    act(&state, move |c| {
        Box::pin(async move { operator::retry_step_now(c, id, step, actor(&name, &reason)).await })
    })
    .await
}

/// Skip a pending, queued or failed step; the run goes on with the next step (or completes).
#[utoipa::path(post, path = "/v1/admin/runs/{id}/steps/{step_id}/skip", tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Run id"), ("step_id" = uuid::Uuid, Path, description = "Step id")),
    request_body = ReasonBody,
    responses((status = 200, description = "The audit entry (`after.run`, `after.nextStep`).", body = crate::openapi::schemas::AuditEntry),
        (status = 409, description = "The step is running, finished, or its run is: `code: PMSFLOW_NOT_APPLICABLE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::ActionRefused, crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn skip_step(
    State(state): State<AppState>,
    ConsoleOperator(caller): ConsoleOperator,
    Path((id, step_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (id, step) = (run_id(&id)?, step_uuid(&step_id)?);
    let (name, reason) = who_and_why(caller, &body)?;
    act(&state, move |c| {
        Box::pin(async move { operator::skip_step(c, id, step, actor(&name, &reason)).await })
    })
    .await
}

/// Re-publish one partner's events (`PARTNER_UPDATED`, `CA_CERTIFICATE_UPLOADED` with its
/// datashare, API-key and MISP events) as a tracked re-publication run.
#[utoipa::path(post, path = "/v1/admin/partners/{partner_id}/republish", tag = "admin",
    params(("partner_id" = String, Path, description = "Partner id")),
    request_body = ReasonBody,
    responses((status = 202, description = "`{runId, action}`: the re-publication run and the audit entry.", body = Value),
        (status = 404, description = "Unknown partner: `code: PMS_PRT_005`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::BadReason, crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn republish_partner(
    State(state): State<AppState>,
    ConsoleOperator(caller): ConsoleOperator,
    Path(partner_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let reason = reason_of(&body)?;
    let selection = Selection::Partner {
        partner_id: partner_id.clone(),
    };
    let topics = republish::topics(&[]).map_err(|e| Problem::invalid(e.to_string()))?;
    let mut tx = state.pool.begin().await?;
    let (run_id, _) = crate::services::republish::enqueue(
        &mut tx,
        &state,
        &caller.user.user_id,
        selection,
        topics,
    )
    .await?;
    let entry = operator::record(
        &mut tx,
        NewEntry {
            actor: actor(&caller.user.user_id, &reason),
            action: "republish",
            run_id: Some(run_id),
            step_id: None,
            subject: Some(&partner_id),
            before: None,
            after: Some(json!({"run": "running", "kind": WorkflowKind::Republish.as_str()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"runId": run_id, "action": entry})),
    )
        .into_response())
}

/// Body of `POST /v1/admin/bulk`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkRequest {
    /// `retry` (failed runs, from their failed step) or `cancel` (running or failed runs).
    pub action: String,
    /// Why; written to the audit log for every run acted on.
    pub reason: String,
    /// Only count what would be acted on (`{matched}`), change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Explicit selection (exclusive with `filter`).
    #[serde(default)]
    pub run_ids: Option<Vec<Uuid>>,
    /// Everything the console's filter matches (`GET /v1/admin/runs` query keys).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<ConsoleFilter>,
    /// The `asOf` of the dry run being confirmed: runs created after it are left out, so the
    /// confirmation acts on what the preview could have counted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub as_of: Option<time::OffsetDateTime>,
    /// The `matched` of the dry run being confirmed: when another number of runs matches now,
    /// nothing changes and the answer is 409 (preview again).
    #[serde(default)]
    pub expected: Option<i64>,
}

/// A bulk retry or cancel over a selection or a filter, as a tracked `bulk_action` run.
///
/// Only runs the action applies to are chosen (retry: `failed`; cancel: `running` or
/// `failed`), at most 10,000. `dryRun: true` answers `{matched, asOf, dryRun: true}` and
/// changes nothing; otherwise the chosen runs are fixed and `202 {bulkId, matched}` is
/// answered; follow `GET /v1/admin/bulk/{bulkId}`. A confirmation that sends the preview's
/// `asOf` and `matched` (as `expected`) acts on no run created after the preview, and on
/// nothing at all (409) when the count changed meanwhile.
#[utoipa::path(post, path = "/v1/admin/bulk", tag = "admin",
    request_body = BulkRequest,
    responses((status = 200, description = "Dry run: `{matched, asOf, dryRun: true}`.", body = Value),
        (status = 202, description = "`{bulkId, matched}`.", body = Value),
        (status = 409, description = "`expected` differs from the runs matching now: `code: PMSFLOW_BULK_CHANGED`; nothing changed.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 400, description = "Body is not JSON of this shape: `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Unknown action, blank reason, both or neither of `runIds` and `filter`, nothing matched, or more than 10,000 runs: `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied, crate::openapi::schemas::NativeForbidden),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn start_bulk(
    State(state): State<AppState>,
    ConsoleOperator(caller): ConsoleOperator,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let req: BulkRequest = parse_json(&body)?;
    let action = RunAction::parse(&req.action).ok_or_else(|| {
        Problem::invalid(format!(
            "action must be retry or cancel, not {}",
            req.action
        ))
    })?;
    let reason = rules::reason(&req.reason).map_err(|e| Problem::invalid(e.to_string()))?;
    let mut tx = state.pool.begin().await?;
    let limit = MAX_BULK_RUNS as i64;
    let (ids, matched, filter) = match (&req.run_ids, &req.filter) {
        (Some(ids), None) => {
            if ids.len() > MAX_BULK_RUNS {
                return Err(Problem::invalid(format!(
                    "at most {MAX_BULK_RUNS} runIds per bulk action, not {}",
                    ids.len()
                )));
            }
            let chosen: Vec<Uuid> = sqlx::query_scalar(
                "SELECT id FROM workflow_run WHERE id = ANY($1) AND status = ANY($2)
                  ORDER BY created_at, id",
            )
            .bind(ids)
            .bind(action.applies_to())
            .fetch_all(&mut *tx)
            .await?;
            let n = chosen.len() as i64;
            (chosen, n, None)
        }
        (None, Some(f)) => {
            let mut f = f.clone();
            if let Some(as_of) = req.as_of {
                f.to = Some(f.to.map_or(as_of, |to| to.min(as_of)));
            }
            let (ids, total) =
                console::matching_runs(&mut tx, &f, action.applies_to(), limit + 1).await?;
            (ids, total, serde_json::to_value(&f).ok())
        }
        _ => return Err(Problem::invalid("give exactly one of runIds and filter")),
    };
    if matched > limit {
        return Err(Problem::invalid(format!(
            "{matched} runs match; a bulk action takes at most {MAX_BULK_RUNS}: narrow the filter"
        )));
    }
    if req.dry_run {
        let as_of: time::OffsetDateTime = sqlx::query_scalar("SELECT clock_timestamp()")
            .fetch_one(&mut *tx)
            .await?;
        let as_of = as_of
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        return Ok(
            Json(json!({"matched": matched, "asOf": as_of, "dryRun": true})).into_response(),
        );
    }
    if let Some(expected) = req.expected.filter(|e| *e != matched) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!("{matched} runs match now; the preview counted {expected}: preview again"),
        )
        .with_code(codes::PMSFLOW_BULK_CHANGED));
    }
    if ids.is_empty() {
        return Err(Problem::invalid(format!(
            "no run the {} action applies to matches",
            action.as_str()
        )));
    }
    let input = BulkInput {
        action,
        actor: caller.user.user_id.clone(),
        reason: reason.clone(),
        batch: state.console.bulk_batch,
    };
    let created = runs::create_run(
        &mut tx,
        runs::NewRun {
            kind: WorkflowKind::BulkAction,
            subject: None,
            input: serde_json::to_value(&input).map_err(|e| {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    e.to_string(),
                )
            })?,
            idempotency_key: None,
            created_by: caller.user.user_id.clone(),
            owner_partner_id: None,
            steps: rules::bulk_steps(&state.budgets),
            ordering_key: None,
        },
    )
    .await?;
    let bulk_id = created.run_id;
    bulk::create(&mut tx, bulk_id, &input, filter.clone(), &ids).await?;
    operator::record(
        &mut tx,
        NewEntry {
            actor: actor(&caller.user.user_id, &reason),
            action: "bulk",
            run_id: Some(bulk_id),
            step_id: None,
            subject: None,
            before: Some(json!({"filter": filter, "runIds": req.run_ids})),
            after: Some(json!({"action": action.as_str(), "matched": ids.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"bulkId": bulk_id, "matched": ids.len(), "links": {"self": format!("/v1/admin/bulk/{bulk_id}")}})),
    )
        .into_response())
}

/// Progress of a bulk action: `done` of `total`, `applied`, `skipped`, and its run's status.
#[utoipa::path(get, path = "/v1/admin/bulk/{id}", tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "Bulk action id")),
    responses((status = 200, description = "`{id, action, actor, reason, filter, status, total, done, applied, skipped, createdAt, finishedAt}`.", body = crate::openapi::schemas::BulkProgress),
        (status = 403, description = "No console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such bulk action.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn bulk_progress(
    State(state): State<AppState>,
    _caller: ConsoleCaller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = Uuid::parse_str(&id).map_err(|_| Problem::not_found("bulk action"))?;
    let view = bulk::get(&state.pool, id)
        .await?
        .ok_or_else(|| Problem::not_found("bulk action"))?;
    Ok(Json(view).into_response())
}

/// Query of `GET /v1/admin/audit`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    /// Who acted.
    pub actor: Option<String>,
    /// `retry`, `retry-now`, `skip`, `cancel`, `republish`, `bulk`, `pause`, `resume`, `trigger`.
    pub action: Option<String>,
    /// The run acted on.
    pub run_id: Option<Uuid>,
    /// At or after (RFC 3339).
    pub from: Option<String>,
    /// Before (RFC 3339).
    pub to: Option<String>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size 1..=500, default 50.
    pub limit: Option<i64>,
}

/// The operator audit log, newest first, filterable.
#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, description = "`{entries: [AuditEntry], nextCursor}`.", body = Value),
        (status = 400, description = "Invalid query: `code: PMS_COR_001`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "No console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn audit(
    State(state): State<AppState>,
    _caller: ConsoleCaller,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(bad_query)?;
    let blank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let filter = AuditFilter {
        actor: blank(&q.actor),
        action: blank(&q.action),
        run_id: q.run_id,
        from: time_param("from", &q.from)?,
        to: time_param("to", &q.to)?,
    };
    let (entries, next) =
        operator::list_audit(&state.pool, &filter, q.cursor, q.limit.unwrap_or(50)).await?;
    Ok(Json(json!({"entries": entries, "nextCursor": next})).into_response())
}

/// Every sweep with its cron, next and last fire and last result.
#[utoipa::path(get, path = "/v1/admin/schedules", tag = "admin",
    responses((status = 200, description = "`{schedules: [{name, cron, paused, nextFireAt, lastFire: {fireAt, outcome, runId, runStatus} | null}]}`.", body = Value),
        (status = 403, description = "No console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn list_schedules(
    State(state): State<AppState>,
    _caller: ConsoleCaller,
) -> Result<Response, Problem> {
    let mut out = Vec::with_capacity(state.schedules.len());
    for s in state.schedules.iter() {
        let mut v = view(&state, s).await?;
        if let Some(run) = v["lastFire"]["runId"]
            .as_str()
            .and_then(|r| Uuid::parse_str(r).ok())
        {
            v["lastFire"]["result"] = last_result(&state, run).await?;
        }
        out.push(v);
    }
    Ok(Json(json!({"schedules": out})).into_response())
}

/// The output of a sweep run's step (counts of what it did), or its error.
async fn last_result(state: &AppState, run: Uuid) -> Result<Value, Problem> {
    let row: Option<(Option<Value>, Option<String>)> = sqlx::query_as(
        "SELECT s.output, r.error_code FROM workflow_run r
           LEFT JOIN workflow_step s ON s.run_id = r.id AND s.seq = 1 WHERE r.id = $1",
    )
    .bind(run)
    .fetch_optional(&state.pool)
    .await?;
    Ok(match row {
        Some((Some(out), _)) => out,
        Some((None, Some(code))) => json!({"errorCode": code}),
        _ => Value::Null,
    })
}

async fn schedule_action(
    state: &AppState,
    caller: &ConsoleCaller,
    name: &str,
    body: &[u8],
    action: ScheduleAction,
) -> Result<Response, Problem> {
    let schedule = find(state, name)?;
    let reason = reason_of(body)?;
    let (view, entry) =
        act_on_schedule(state, &caller.user.user_id, schedule, action, &reason).await?;
    Ok(Json(json!({"schedule": view, "action": entry})).into_response())
}

/// Pause a schedule (admins): its fires start nothing until resumed.
#[utoipa::path(post, path = "/v1/admin/schedules/{name}/pause", tag = "admin",
    params(("name" = String, Path, description = "Schedule name, e.g. `licence-expiry`.")),
    request_body = ReasonBody,
    responses((status = 200, description = "`{schedule, action}`.", body = Value),
        (status = 403, description = "Not a console admin, or missing CSRF token.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::BadReason, crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn pause_schedule(
    State(state): State<AppState>,
    ConsoleAdmin(caller): ConsoleAdmin,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    schedule_action(&state, &caller, &name, &body, ScheduleAction::Pause).await
}

/// Resume a paused schedule (admins).
#[utoipa::path(post, path = "/v1/admin/schedules/{name}/resume", tag = "admin",
    params(("name" = String, Path, description = "Schedule name.")),
    request_body = ReasonBody,
    responses((status = 200, description = "`{schedule, action}`.", body = Value),
        (status = 403, description = "Not a console admin, or missing CSRF token.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::BadReason, crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn resume_schedule(
    State(state): State<AppState>,
    ConsoleAdmin(caller): ConsoleAdmin,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    schedule_action(&state, &caller, &name, &body, ScheduleAction::Resume).await
}

/// Run a sweep now (operators).
#[utoipa::path(post, path = "/v1/admin/schedules/{name}/trigger", tag = "admin",
    params(("name" = String, Path, description = "Schedule name.")),
    request_body = ReasonBody,
    responses((status = 200, description = "`{schedule, action}`; `action.runId` is the sweep run.", body = Value),
        (status = 404, description = "Unknown schedule: `code: PMSFLOW_UNKNOWN_SCHEDULE`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A run of the schedule is still running: `code: PMSFLOW_SWEEP_RUNNING`.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::ActionRefused, crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn trigger_schedule(
    State(state): State<AppState>,
    ConsoleOperator(caller): ConsoleOperator,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    schedule_action(&state, &caller, &name, &body, ScheduleAction::Trigger).await
}

/// Live updates (server-sent events) fed by Postgres notifications.
///
/// `event: run`, `data: {runId, status}` (a run status, or `step` for bulk progress) for
/// every change; `event: lagged` when this stream fell behind and should refetch; a comment
/// keep-alive every 15 s. The stream ends when the caller's token expires (`exp`): an
/// `EventSource` then reconnects with the session it has now.
#[utoipa::path(get, path = "/v1/admin/events", tag = "admin",
    responses((status = 200, description = "`text/event-stream` of `run` events.", body = String, content_type = "text/event-stream"),
        (status = 403, description = "No console role.", body = crate::openapi::schemas::ProblemDetails, content_type = "application/problem+json"),
        crate::openapi::schemas::NativeDenied),
    security(("bearerAuth" = []), ("cookieAuth" = [])))]
async fn events(
    State(state): State<AppState>,
    caller: ConsoleCaller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // The stream ends when the session's token does: the browser reconnects and is asked for
    // a valid token again, so a signed-out or expired session stops receiving run changes.
    let left = caller.user.expires_at - OffsetDateTime::now_utc().unix_timestamp();
    let expiry = tokio::time::sleep(Duration::from_secs(left.max(0) as u64));
    let rx = state.runs.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        use tokio::sync::broadcast::error::RecvError;
        let run = |run_id: Uuid, status: &str| {
            Event::default()
                .event("run")
                .data(json!({"runId": run_id, "status": status}).to_string())
        };
        let events = match rx.recv().await {
            Ok(RunNotice::Run { run_id, status }) => vec![run(run_id, &status)],
            // A bulk action progressed: one event per run it is made of.
            Ok(RunNotice::Progress(ids)) => ids.into_iter().map(|id| run(id, "step")).collect(),
            // Changes were missed (this stream fell behind, or the watcher reconnected to
            // Postgres): the console refetches.
            Ok(RunNotice::Resync) | Err(RecvError::Lagged(_)) => {
                vec![Event::default().event("lagged").data("{}")]
            }
            Err(RecvError::Closed) => return None,
        };
        Some((futures::stream::iter(events.into_iter().map(Ok)), rx))
    })
    .flatten()
    .take_until(futures::future::select(
        Box::pin(expiry),
        Box::pin(state.draining.cancelled_owned()),
    ))
    // Ended by the token's expiry or the server's drain: the browser should reconnect soon
    // (to another replica, or with a fresh session).
    .chain(futures::stream::once(async {
        Ok(Event::default()
            .retry(Duration::from_secs(1))
            .comment("reconnect"))
    }));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

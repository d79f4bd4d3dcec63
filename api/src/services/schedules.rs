//! The sweeps' schedules as both the native API (`/v1/schedules`) and the console
//! (`/v1/admin/schedules`) show and change them: one view, one path for every action, each
//! action written to the operator audit log with its reason.

use axum::http::StatusCode;
use pmsflow_core::{codes, envelope::mosip_datetime, schedule::CronSchedule};
use pmsflow_store::{
    operator::{self, Actor, AuditEntry, NewEntry},
    schedules,
};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::error::Problem;
use crate::state::AppState;

/// What an operator does to a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScheduleAction {
    /// Its fires start nothing until resumed.
    Pause,
    /// Fires start runs again.
    Resume,
    /// Start a run now.
    Trigger,
}

impl ScheduleAction {
    /// The audit log's action name: `pause`, `resume`, `trigger`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Trigger => "trigger",
        }
    }
}

/// Apply `action` to `schedule` (found with [`find`]) for user `actor`, with `reason`
/// (already checked), and
/// record it in the operator audit log (before and after: `paused`, and the run a trigger
/// started). Returns the schedule's view after the action and the audit entry. A trigger
/// while a run of the schedule is still running is 409
/// `PMSFLOW_SWEEP_RUNNING` and records nothing.
pub(crate) async fn act_on_schedule(
    state: &AppState,
    actor: &str,
    schedule: &CronSchedule,
    action: ScheduleAction,
    reason: &str,
) -> Result<(Value, AuditEntry), Problem> {
    let name = schedule.name();
    let mut tx = state.pool.begin().await?;
    let before = schedules::is_paused(&mut tx, name).await?;
    let mut run_id = None;
    match action {
        ScheduleAction::Pause | ScheduleAction::Resume => {
            schedules::set_paused(&mut tx, name, action == ScheduleAction::Pause, actor).await?
        }
        ScheduleAction::Trigger => {
            // The trigger commits its own fire; the audit entry follows it.
            tx.commit().await?;
            run_id = schedules::trigger(
                &state.pool,
                name,
                OffsetDateTime::now_utc(),
                actor,
                &state.budgets,
            )
            .await?;
            if run_id.is_none() {
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    "Sweep running",
                    format!("a run of {name} is still running"),
                )
                .with_code(codes::PMSFLOW_SWEEP_RUNNING));
            }
            tx = state.pool.begin().await?;
        }
    }
    let after = match action {
        ScheduleAction::Pause => true,
        ScheduleAction::Resume => false,
        ScheduleAction::Trigger => before,
    };
    let entry = operator::record(
        &mut tx,
        NewEntry {
            actor: Actor {
                name: actor,
                reason,
                bulk_id: None,
            },
            action: action.as_str(),
            run_id,
            step_id: None,
            subject: Some(name),
            before: Some(json!({"paused": before})),
            after: Some(json!({"paused": after, "runId": run_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((view(state, schedule).await?, entry))
}

/// The configured schedule `name`; 404 `PMSFLOW_UNKNOWN_SCHEDULE` otherwise.
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
            .with_code(codes::PMSFLOW_UNKNOWN_SCHEDULE)
        })
}

/// `{name, cron, paused, nextFireAt, lastFire: {fireAt, outcome, runId, runStatus} | null}`
/// of schedule `s`; times in MOSIP's format, UTC.
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

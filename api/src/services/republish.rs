//! Starting a re-publication run, shared by `POST /v1/admin/republish` and the console's
//! re-publish action on a partner.

use axum::http::StatusCode;
use pmsflow_core::codes;
use pmsflow_core::{
    republish::{self, RepublishInput, Selection},
    workflow::WorkflowKind,
};
use pmsflow_store::{
    republish::{select, Unknown},
    runs,
};
use uuid::Uuid;

use crate::error::Problem;
use crate::state::AppState;

/// Create the re-publication run of `selection` for `topics` in `tx` (partner ids resolved
/// now, batched by `republish.batch`); returns its id and input. A re-publication of one
/// partner takes the partner's ordering key, like the runs of its live events: it waits while
/// one of them is at work, and events written after it wait for it, so IDA ends with the
/// state it replays (the remedy after retrying a run that a later one had overtaken). Errors: unknown partner
/// (`PMS_PRT_005`) or partner type (`PMSFLOW_UNKNOWN_PARTNER_TYPE`), both 404.
pub(crate) async fn enqueue(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    created_by: &str,
    selection: Selection,
    topics: Vec<String>,
) -> Result<(Uuid, RepublishInput), Problem> {
    let ids = match select(&mut *tx, &selection).await? {
        Ok(ids) => ids,
        Err(Unknown::Partner(id)) => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "Unknown partner",
                format!("no partner {id}"),
            )
            .with_code(codes::PMS_PRT_005))
        }
        Err(Unknown::PartnerType(t)) => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "Unknown partner type",
                format!("no partner type {t}"),
            )
            .with_code(codes::PMSFLOW_UNKNOWN_PARTNER_TYPE))
        }
    };
    let input = RepublishInput::new(selection, topics, ids, state.republish_batch);
    let created = runs::create_run(
        &mut *tx,
        runs::NewRun {
            kind: WorkflowKind::Republish,
            subject: match &input.selection {
                Selection::Partner { partner_id } => Some(partner_id.clone()),
                _ => None,
            },
            input: serde_json::to_value(&input).map_err(|e| {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    e.to_string(),
                )
            })?,
            idempotency_key: None,
            created_by: created_by.to_owned(),
            owner_partner_id: None,
            steps: republish::republish_steps(&input, &state.budgets),
            ordering_key: match &input.selection {
                Selection::Partner { partner_id } => Some(runs::partner_ordering_key(partner_id)),
                _ => None,
            },
        },
    )
    .await?;
    Ok((created.run_id, input))
}

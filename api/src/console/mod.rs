//! The operator console: its pages under `/console` ([`pages`], built into the binary from
//! `api/console/`) and its JSON API under `/v1/admin` ([`api`]: overview, runs, actions, bulk
//! actions, audit log, schedules, live events). Who may see and do what is decided in
//! [`crate::access`].

pub mod api;
pub mod pages;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every console route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(pages::routes())
        .merge(api::routes())
}

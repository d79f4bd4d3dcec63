//! The native surface (`/v1/onboardings`, `/v1/runs`, `/v1/partners/{id}/certificates`,
//! `/v1/schedules`, `/v1/admin/republish`): plain JSON in and out, RFC 9457 problem+json
//! errors with the PMS code in `code`.
//!
//! # Layout
//! - [`onboardings`]: one-request onboarding.
//! - [`runs`]: runs with their steps and attempts; a partner's certificate history.
//! - [`republish`]: re-publication of partners' events.
//! - [`schedules`]: the sweeps' schedules.

pub mod onboardings;
pub mod republish;
pub mod runs;
pub mod schedules;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every native route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(onboardings::routes())
        .merge(runs::routes())
        .merge(republish::routes())
        .merge(schedules::routes())
}

//! MOSIP's partner portal (pmp-ui 1.2.0.x) against pmsflow: the session calls it makes
//! before anything else ([`session`]: PMS's authcodeflowproxy endpoints `login`,
//! `authorize/admin/validateToken`, `logout/user`) and, with `[portal] dir` set, the built
//! portal itself under `/pmp/` with its `config.json` ([`hosting`]). See `docs/portal.md`.

pub mod hosting;
pub mod session;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// The portal's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(session::routes())
        .merge(hosting::routes())
}

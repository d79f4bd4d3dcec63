//! tracing initialisation: an env filter (from `RUST_LOG`, else `log.filter`) and text or JSON
//! output (`log.format`).

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::LogSettings;

/// Install the global subscriber once; later calls are ignored (tests call it freely).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.filter.clone()));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if settings.format == "json" {
        registry.with(fmt::layer().json()).try_init()
    } else {
        registry.with(fmt::layer()).try_init()
    };
}

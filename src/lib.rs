//! Composition root of pmsflow: wires the store, the workers, the API and the sandbox into the
//! roles `pmsflow serve` runs, and the benchmarks. The `pmsflow` binary is a thin CLI over it;
//! the end-to-end tests use it too, so they run exactly what production runs.

pub mod bench;
pub mod ops;
pub mod seed;
pub mod serve;
pub mod usage;

use pmsflow_store::config::Settings;

/// The sandbox's service account, matching `[mosip]` so the clients can log in.
pub fn sandbox_config(settings: &Settings) -> pmsflow_sandbox::SandboxConfig {
    pmsflow_sandbox::SandboxConfig {
        client_id: settings.mosip.client_id.clone(),
        secret_key: settings.mosip.secret_key.clone(),
        app_id: settings.mosip.app_id.clone(),
        public_base_url: None,
    }
}

/// A URL with its password removed, for printing.
pub fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((creds, host)) if creds.contains(':') && creds.matches(':').count() > 1 => {
            let scheme_user = creds.rsplit_once(':').map(|(a, _)| a).unwrap_or(creds);
            format!("{scheme_user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

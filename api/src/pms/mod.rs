//! The PMS-compatible surface (`/v1/partnermanager`, `/v1/policymanager`; mosip-pms.md §4):
//! PMS 1.2.0.1's paths, request and response envelopes ([`envelope`]), validation order and
//! error codes, business errors answered with HTTP 200. Every handler checks its
//! `mosip.role.pms.*` list and the own-partner rule ([`guard`]).
//!
//! # Layout
//! - [`envelope`]: parsing request envelopes, building response envelopes.
//! - [`guard`]: the own-partner rule, locking the partner, usable policies.
//! - [`views`]: response parts shared by several endpoints (partner data, policy DTOs).
//! - [`registration`]: partner self-registration, reading a partner.
//! - [`certificates`]: CA and partner certificate uploads (durable runs), certificate reads.
//! - [`partners`]: partner listing, update, contacts, policy group, activation.
//! - [`api_keys`]: policy mapping requests and API keys.
//! - [`policy`]: the policy manager (groups, policies).
//! - [`config_key`]: the values of PMS configuration keys (`policies/config/{key}`).
//! - [`misp`]: MISP licence keys.
//! - [`oidc`]: eSignet OIDC clients.
//! - [`devices`]: device providers' devices and SBIs (register, change, approve, map).
//! - [`ftm_chips`]: FTM providers' chips and their certificates (a durable run).
//! - [`credentials`]: bio-extractors and credential-type mappings of credential partners.
//! - [`lookups`]: e-mail check, portal roles, request and API-key lookups.
//! - [`search`]: searches and filter values.

pub mod api_keys;
pub mod certificates;
pub mod config_key;
pub mod credentials;
pub mod devices;
pub mod envelope;
pub mod ftm_chips;
pub mod guard;
pub mod lookups;
pub mod misp;
pub mod oidc;
pub mod partners;
pub mod policy;
pub mod registration;
pub mod search;
pub mod views;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every PMS-compatible route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(registration::routes())
        .merge(certificates::routes())
        .merge(partners::routes())
        .merge(api_keys::routes())
        .merge(policy::routes())
        .merge(config_key::routes())
        .merge(misp::routes())
        .merge(oidc::routes())
        .merge(search::routes())
        .merge(credentials::routes())
        .merge(devices::routes())
        .merge(ftm_chips::routes())
        .merge(lookups::routes())
}

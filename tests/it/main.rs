//! The end-to-end suite, as one test binary (one link instead of one per file): every
//! module runs against real PostgreSQL (a fresh database per test), Redis (a namespace per
//! test), the sandbox over HTTP and, for the console, headless Chromium.

mod helpers;

mod access;
mod apitest_replay;
mod auth_jwks;
mod compat;
mod console_api;
mod console_browser;
mod crash;
mod deploy;
mod devices;
mod oidc;
mod onboarder;
mod onboarding;
mod openapi;
mod operations;
mod partner_management;
mod policies;
mod portal;
mod republish;
mod resilience;
mod roles;
mod scheduler;
mod search;
mod secrets;
mod startup;

//! # pmsflow-workers
//!
//! The worker role: apalis workers on Redis that run workflow steps, the outbox relay that
//! moves ready steps from Postgres into Redis, the reconciler that takes back lost steps, and
//! the typed MOSIP clients the steps call.
//!
//! # Layout
//! - [`engine`]: claim -> call (no transaction open) -> commit, retries and the fast path.
//! - [`steps`]: the steps, one type each (the `Step` trait), registered in one table per
//!   workflow kind.
//! - [`dispatch`]: pushing step messages into apalis-redis and ringing the workers' doorbell.
//! - [`relay`]: the outbox relay (LISTEN/NOTIFY, poll fallback).
//! - [`reconciler`]: expired leases and lost dispatches (one leader, advisory lock).
//! - [`runtime`]: wiring of the apalis Monitor and the background loops.
//! - [`mosip`]: MOSIP HTTP clients.

pub mod dispatch;
pub mod engine;
pub mod mosip;
pub mod reconciler;
pub mod relay;
pub mod runtime;
pub mod steps;

//! pmsflow-workers: step executors, outbox relay, reconciler and MOSIP clients.

pub mod mosip;

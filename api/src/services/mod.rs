//! Work shared by handlers of more than one module, kept out of the handler modules so that no
//! handler imports another: partner registration, effects runs, the synchronous wait for a
//! run, re-publication, schedules, the operator's reason, eSignet's directory, and built-in
//! HTML pages.

pub mod effects;
pub mod esignet;
pub mod html;
pub mod reason;
pub mod registration;
pub mod republish;
pub mod run_wait;
pub mod schedules;

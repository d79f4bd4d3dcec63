//! Work shared by handlers of more than one module, kept out of the handler modules so that no
//! handler imports another: partner registration, effects runs, the synchronous wait for a
//! run, re-publication, schedules, eSignet's directory and the console's live feed.

pub mod effects;
pub mod esignet;
pub mod live;
pub mod registration;
pub mod republish;
pub mod run_wait;
pub mod schedules;

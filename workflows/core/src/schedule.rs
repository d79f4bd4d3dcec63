//! Cron schedules of the sweeps and when one is due (DESIGN.md §3, issue 4 "Scheduler").
//!
//! A schedule is a name and a cron expression (5 fields, POSIX/Vixie semantics, UTC; parsed
//! with the `croner` crate). The scheduler asks [`CronSchedule::due`] on each tick: the fire to
//! start is the **latest** fire time not after now that is later than the last fire recorded.
//! Fires missed while no scheduler ran therefore collapse into one, caught up once on start.
//! Whether that fire then starts a run (not paused, no earlier run of the schedule still
//! running, not claimed by another replica) is decided by the store, which records every fire
//! once per `(schedule, fire time)`.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use time::OffsetDateTime;

use crate::workflow::{Budgets, StepSpec};

/// Prefix of the one step of a sweep run: `sweep.<schedule name>`.
pub const SWEEP_STEP_PREFIX: &str = "sweep.";

/// The step of a sweep run of `schedule`: required, with the external budget (a sweep is
/// idempotent: a retried attempt continues with the rows still to do).
pub fn sweep_steps(schedule: &str, budgets: &Budgets) -> Vec<StepSpec> {
    vec![StepSpec {
        key: format!("{SWEEP_STEP_PREFIX}{schedule}"),
        max_attempts: budgets.external,
        required: true,
        backoff: budgets.backoff,
    }]
}

/// The names of pmsflow's sweeps, as configured under `[scheduler.schedules]`.
pub mod sweeps {
    /// Licence expiry: mark MISP licences past their validity inactive, publish
    /// `MISP_LICENSE_UPDATED`, email the MISP.
    pub const LICENCE_EXPIRY: &str = "licence-expiry";
    /// API-key expiry: mark API keys past their validity inactive.
    pub const API_KEY_EXPIRY: &str = "api-key-expiry";
    /// Certificate expiry reminders: email a partner as its re-signed certificate nears its
    /// end (`scheduler.certificate_reminder_days`, 30, 7 and 1 days by default).
    pub const CERTIFICATE_EXPIRY: &str = "certificate-expiry";
    /// API-key expiry reminders (`scheduler.api_key_reminder_days`, PMS's 3 days by default).
    pub const API_KEY_REMINDER: &str = "api-key-reminder";
    /// MISP licence renewal: a new licence `scheduler.licence_renewal_lead_days` before the
    /// current one ends; both stay valid until the old one expires (the overlap), then
    /// `licence-expiry` deactivates the old one.
    pub const LICENCE_RENEWAL: &str = "licence-renewal";
    /// Run retention: delete finished runs, their steps and attempts, older than
    /// `engine.retention_days` (Oban's pruner, Temporal's namespace retention); each pruned
    /// run leaves a tombstone so that asking for it answers "pruned".
    pub const RUN_RETENTION: &str = "run-retention";
    /// Every sweep pmsflow knows.
    pub const ALL: &[&str] = &[
        LICENCE_EXPIRY,
        API_KEY_EXPIRY,
        CERTIFICATE_EXPIRY,
        API_KEY_REMINDER,
        LICENCE_RENEWAL,
        RUN_RETENTION,
    ];
}

/// A schedule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The cron expression does not parse.
    #[error("schedule {name}: invalid cron expression {expr:?}: {reason}")]
    InvalidCron {
        /// Schedule name.
        name: String,
        /// The expression.
        expr: String,
        /// The parser's reason.
        reason: String,
    },
    /// No sweep has this name.
    #[error("unknown schedule {0} (known: licence-expiry, api-key-expiry, certificate-expiry, api-key-reminder, licence-renewal, run-retention)")]
    UnknownSweep(String),
}

/// A named cron schedule (UTC).
#[derive(Debug, Clone)]
pub struct CronSchedule {
    name: String,
    expr: String,
    cron: Cron,
}

/// `t` to whole seconds (cron has no finer unit; croner keeps the fraction it is given).
fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    Utc.timestamp_opt(t.unix_timestamp(), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn to_time(t: DateTime<Utc>) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.timestamp_nanos_opt()?)).ok()
}

impl CronSchedule {
    /// Parse `expr` for the sweep `name`.
    ///
    /// # Errors
    /// [`ScheduleError::UnknownSweep`] for a name not in [`sweeps::ALL`],
    /// [`ScheduleError::InvalidCron`] for an expression croner refuses.
    pub fn parse(name: &str, expr: &str) -> Result<Self, ScheduleError> {
        if !sweeps::ALL.contains(&name) {
            return Err(ScheduleError::UnknownSweep(name.to_owned()));
        }
        let cron = Cron::from_str(expr).map_err(|e| ScheduleError::InvalidCron {
            name: name.to_owned(),
            expr: expr.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            name: name.to_owned(),
            expr: expr.to_owned(),
            cron,
        })
    }

    /// The schedule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cron expression as configured.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The first fire time strictly after `t`.
    pub fn next_after(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        self.cron
            .find_next_occurrence(&to_chrono(t), false)
            .ok()
            .and_then(to_time)
    }

    /// The latest fire time at or before `t`.
    pub fn latest_at_or_before(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        self.cron
            .find_previous_occurrence(&to_chrono(t), true)
            .ok()
            .and_then(to_time)
    }

    /// The fire to start at `now`, given the last fire recorded for this schedule: the latest
    /// fire time `≤ now` when it is later than `last` (or when nothing was ever recorded).
    /// Several missed fires give one: the latest.
    pub fn due(&self, last: Option<OffsetDateTime>, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let latest = self.latest_at_or_before(now)?;
        match last {
            Some(l) if l >= latest => None,
            _ => Some(latest),
        }
    }
}

/// The reminder due for something that expires at `expires_at`, seen at `now`, with reminders
/// `days` before the end: the smallest threshold `t` with `expires_at - now ≤ t days`, while
/// it has not expired. Only that one is sent (a reminder missed while nothing ran is not sent
/// late); the sweep records `(subject, t, expires_at)` so each is sent once, and a renewed
/// certificate or key (another `expires_at`) starts over.
pub fn reminder_due(expires_at: OffsetDateTime, now: OffsetDateTime, days: &[u32]) -> Option<u32> {
    if expires_at <= now {
        return None;
    }
    let left = expires_at - now;
    days.iter()
        .copied()
        .filter(|t| left <= time::Duration::days(i64::from(*t)))
        .min()
}

/// Whether a licence ending at `valid_to` is renewed at `now` with `lead_days` of lead time:
/// it has not ended and ends within the lead time. The sweep renews a licence once: only
/// while no later licence of the same MISP exists.
pub fn renewal_due(valid_to: OffsetDateTime, now: OffsetDateTime, lead_days: u32) -> bool {
    valid_to > now && valid_to - now <= time::Duration::days(i64::from(lead_days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn nightly() -> CronSchedule {
        CronSchedule::parse(sweeps::LICENCE_EXPIRY, "0 3 * * *").unwrap()
    }

    #[test]
    fn next_and_latest() {
        let s = nightly();
        let t = datetime!(2026-11-22 10:15:30 UTC);
        assert_eq!(s.next_after(t), Some(datetime!(2026-11-23 03:00 UTC)));
        assert_eq!(
            s.latest_at_or_before(t),
            Some(datetime!(2026-11-22 03:00 UTC))
        );
        // Fractions of a second never leak into fire times.
        let late = datetime!(2026-11-22 10:15:30.688 UTC);
        assert_eq!(s.next_after(late), Some(datetime!(2026-11-23 03:00 UTC)));
        let on = datetime!(2026-11-22 03:00 UTC);
        assert_eq!(s.latest_at_or_before(on), Some(on));
        assert_eq!(s.next_after(on), Some(datetime!(2026-11-23 03:00 UTC)));
    }

    #[test]
    fn due_once_per_fire_and_missed_fires_collapse() {
        let s = nightly();
        let now = datetime!(2026-11-22 10:00 UTC);
        // Never fired: the latest fire is caught up.
        assert_eq!(s.due(None, now), Some(datetime!(2026-11-22 03:00 UTC)));
        // Already recorded: nothing until the next fire time.
        assert_eq!(s.due(Some(datetime!(2026-11-22 03:00 UTC)), now), None);
        assert_eq!(
            s.due(
                Some(datetime!(2026-11-22 03:00 UTC)),
                datetime!(2026-11-23 03:00 UTC)
            ),
            Some(datetime!(2026-11-23 03:00 UTC))
        );
        // Down for three days: one fire, the latest.
        assert_eq!(
            s.due(Some(datetime!(2026-11-19 03:00 UTC)), now),
            Some(datetime!(2026-11-22 03:00 UTC))
        );
    }

    #[test]
    fn reminders_pick_the_nearest_threshold() {
        let now = datetime!(2026-11-22 04:00 UTC);
        let days = [30, 7, 1];
        let at = |d: i64, h: i64| now + time::Duration::days(d) + time::Duration::hours(h);
        assert_eq!(reminder_due(at(45, 0), now, &days), None);
        assert_eq!(reminder_due(at(30, 0), now, &days), Some(30));
        assert_eq!(reminder_due(at(29, 23), now, &days), Some(30));
        assert_eq!(reminder_due(at(6, 0), now, &days), Some(7));
        assert_eq!(reminder_due(at(0, 20), now, &days), Some(1));
        assert_eq!(reminder_due(at(0, 0), now, &days), None);
        assert_eq!(reminder_due(at(-1, 0), now, &days), None);
        assert_eq!(reminder_due(at(2, 0), now, &[3]), Some(3));
    }

    #[test]
    fn renewal_within_the_lead_time_only() {
        let now = datetime!(2026-11-22 02:30 UTC);
        assert!(!renewal_due(now + time::Duration::days(15), now, 14));
        assert!(renewal_due(now + time::Duration::days(14), now, 14));
        assert!(renewal_due(now + time::Duration::hours(1), now, 14));
        assert!(!renewal_due(now, now, 14));
        assert!(!renewal_due(now - time::Duration::days(1), now, 14));
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert!(matches!(
            CronSchedule::parse("nightly-cleanup", "0 3 * * *"),
            Err(ScheduleError::UnknownSweep(_))
        ));
        assert!(matches!(
            CronSchedule::parse(sweeps::API_KEY_EXPIRY, "61 * * * *"),
            Err(ScheduleError::InvalidCron { .. })
        ));
    }
}

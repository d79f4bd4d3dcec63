//! What operators may do to runs, decided without IO (the console and `/v1/admin/...`).
//!
//! - [`ConsoleRole`]: the console role of a caller, from its JWT realm roles through a
//!   configurable mapping (`[console]` `viewer_roles`, `operator_roles`, `admin_roles`).
//! - [`RunAction`] and [`StepAction`]: the operator actions, when each applies, and the words
//!   written to the operator audit log.
//! - [`BulkInput`] / [`bulk_steps`]: a bulk action over many runs, run as a tracked
//!   `bulk_action` run.

use serde::{Deserialize, Serialize};

use crate::workflow::{steps, Budgets, StepSpec};

/// Console role, lowest to highest: each role may do what the ones below it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleRole {
    /// Sees every screen; acts on nothing.
    Viewer,
    /// Retries, skips, cancels, re-publishes, runs bulk actions, triggers sweeps.
    Operator,
    /// Also pauses and resumes schedules.
    Admin,
}

impl ConsoleRole {
    /// Name as shown and as accepted by the dev sign-in form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// Inverse of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "operator" => Some(Self::Operator),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// May act on runs (retry, skip, cancel, re-publish, bulk, trigger a sweep)?
    pub fn can_act(self) -> bool {
        self >= Self::Operator
    }

    /// May pause and resume schedules?
    pub fn can_admin(self) -> bool {
        self == Self::Admin
    }
}

/// Which JWT realm roles give which console role (`[console]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// Roles that give [`ConsoleRole::Viewer`].
    pub viewer_roles: Vec<String>,
    /// Roles that give [`ConsoleRole::Operator`].
    pub operator_roles: Vec<String>,
    /// Roles that give [`ConsoleRole::Admin`].
    pub admin_roles: Vec<String>,
}

impl Default for RoleMapping {
    fn default() -> Self {
        Self {
            viewer_roles: vec!["PMSFLOW_VIEWER".into()],
            operator_roles: vec!["PMSFLOW_OPERATOR".into()],
            admin_roles: vec!["PMSFLOW_ADMIN".into(), "PARTNER_ADMIN".into()],
        }
    }
}

impl RoleMapping {
    /// The highest console role any of `roles` gives; `None`: no console access.
    pub fn role_of<'a>(&self, roles: impl IntoIterator<Item = &'a str>) -> Option<ConsoleRole> {
        let has = |list: &[String], r: &str| list.iter().any(|l| l == r);
        roles
            .into_iter()
            .filter_map(|r| {
                if has(&self.admin_roles, r) {
                    Some(ConsoleRole::Admin)
                } else if has(&self.operator_roles, r) {
                    Some(ConsoleRole::Operator)
                } else if has(&self.viewer_roles, r) {
                    Some(ConsoleRole::Viewer)
                } else {
                    None
                }
            })
            .max()
    }

    /// The realm roles a dev sign-in as `role` gets: the first role mapped to it.
    pub fn realm_role_for(&self, role: ConsoleRole) -> Option<&str> {
        match role {
            ConsoleRole::Viewer => self.viewer_roles.first(),
            ConsoleRole::Operator => self.operator_roles.first(),
            ConsoleRole::Admin => self.admin_roles.first(),
        }
        .map(String::as_str)
    }
}

/// An action on a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunAction {
    /// Retry from the failed step, with a fresh attempt budget: the run is `failed`.
    Retry,
    /// Cancel: the run is `running` or `failed`; its unfinished steps are skipped.
    Cancel,
}

impl RunAction {
    /// Audit-log word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Cancel => "cancel",
        }
    }

    /// Inverse of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "retry" => Some(Self::Retry),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }

    /// Run statuses (`workflow_run.status`) this action applies to.
    pub fn applies_to(self) -> &'static [&'static str] {
        match self {
            Self::Retry => &["failed"],
            Self::Cancel => &["running", "failed"],
        }
    }

    /// Does this action apply to a run in `status`?
    pub fn applies(self, status: &str) -> bool {
        self.applies_to().contains(&status)
    }
}

/// An action on one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepAction {
    /// Dispatch a step waiting for its backoff now (`queued`, at least one attempt made, run
    /// `running`).
    RetryNow,
    /// Mark a step `skipped` and go on with the next one (`pending`, `queued` or `failed`, run
    /// `running` or `failed`); a leased (`running`) step cannot be skipped.
    Skip,
}

impl StepAction {
    /// Audit-log word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RetryNow => "retry-now",
            Self::Skip => "skip",
        }
    }

    /// Does this action apply to a step in `step_status` (after `attempt` attempts) of a run
    /// in `run_status`?
    pub fn applies(self, run_status: &str, step_status: &str, attempt: i32) -> bool {
        match self {
            Self::RetryNow => run_status == "running" && step_status == "queued" && attempt > 0,
            Self::Skip => {
                matches!(run_status, "running" | "failed")
                    && matches!(step_status, "pending" | "queued" | "failed")
            }
        }
    }
}

/// Longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// Why a reason is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    /// Empty or only whitespace.
    #[error("a reason is required")]
    Missing,
    /// Longer than [`MAX_REASON_CHARS`].
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    TooLong,
}

/// The trimmed reason of an operator action.
pub fn reason(raw: &str) -> Result<String, ReasonError> {
    let r = raw.trim();
    if r.is_empty() {
        Err(ReasonError::Missing)
    } else if r.chars().count() > MAX_REASON_CHARS {
        Err(ReasonError::TooLong)
    } else {
        Ok(r.to_owned())
    }
}

/// Most runs one bulk action may select.
pub const MAX_BULK_RUNS: usize = 10_000;

/// Input of a `bulk_action` run; the runs themselves are in its `bulk_action` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkInput {
    /// The action applied to each run.
    pub action: RunAction,
    /// Who confirmed it.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// Runs per transaction.
    pub batch: u32,
}

/// Steps of a bulk action: one step that works through the runs in batches; each batch
/// commits its actions, their audit entries and the progress together, so a retried step
/// resumes after the last committed batch.
pub fn bulk_steps(budgets: &Budgets) -> Vec<StepSpec> {
    vec![StepSpec {
        key: steps::BULK_APPLY.to_owned(),
        max_attempts: budgets.external,
        required: true,
        backoff: budgets.backoff,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_mapped_role_wins_and_unmapped_roles_give_nothing() {
        let m = RoleMapping::default();
        assert_eq!(m.role_of(["AUTH_PARTNER"]), None);
        assert_eq!(m.role_of(["PMSFLOW_VIEWER"]), Some(ConsoleRole::Viewer));
        assert_eq!(
            m.role_of(["PMSFLOW_VIEWER", "PMSFLOW_OPERATOR"]),
            Some(ConsoleRole::Operator)
        );
        assert_eq!(
            m.role_of(["PARTNER_ADMIN", "PMSFLOW_VIEWER"]),
            Some(ConsoleRole::Admin)
        );
        assert_eq!(
            m.realm_role_for(ConsoleRole::Operator),
            Some("PMSFLOW_OPERATOR")
        );
    }

    #[test]
    fn viewers_cannot_act_and_only_admins_administer() {
        assert!(!ConsoleRole::Viewer.can_act());
        assert!(ConsoleRole::Operator.can_act() && !ConsoleRole::Operator.can_admin());
        assert!(ConsoleRole::Admin.can_act() && ConsoleRole::Admin.can_admin());
        for r in [
            ConsoleRole::Viewer,
            ConsoleRole::Operator,
            ConsoleRole::Admin,
        ] {
            assert_eq!(ConsoleRole::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn actions_apply_to_their_states_only() {
        assert!(RunAction::Retry.applies("failed"));
        assert!(!RunAction::Retry.applies("running") && !RunAction::Retry.applies("cancelled"));
        assert!(RunAction::Cancel.applies("running") && RunAction::Cancel.applies("failed"));
        assert!(!RunAction::Cancel.applies("completed"));
        assert!(StepAction::RetryNow.applies("running", "queued", 1));
        assert!(!StepAction::RetryNow.applies("running", "queued", 0));
        assert!(!StepAction::RetryNow.applies("failed", "failed", 3));
        assert!(StepAction::Skip.applies("failed", "failed", 3));
        assert!(StepAction::Skip.applies("running", "pending", 0));
        assert!(!StepAction::Skip.applies("running", "running", 1));
        assert!(!StepAction::Skip.applies("completed", "succeeded", 1));
        assert!(!StepAction::Skip.applies("cancelled", "skipped", 0));
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(reason("  "), Err(ReasonError::Missing));
        assert_eq!(reason(" hub back ").as_deref(), Ok("hub back"));
        assert_eq!(reason(&"x".repeat(1001)), Err(ReasonError::TooLong));
        assert!(reason(&"é".repeat(1000)).is_ok());
    }
}

//! Who did something, when it was not a caller with a token: pmsflow's own actors.
//!
//! Their ids live in a reserved namespace, `system:` followed by a name. No token may carry
//! a user id in it (`api::access::token` refuses such tokens with 401), so nobody can pose
//! as the scheduler to read what it created, and an audit trail never mixes a person with a
//! process.

/// Prefix of every system actor's id; reserved: a token whose user id starts with it is refused.
pub const SYSTEM_ACTOR_PREFIX: &str = "system:";

/// The scheduler: creator of sweep runs and of the effects runs and rows the sweeps write
/// (`workflow_run.created_by`, `upd_by` of expired licences and API keys).
pub const SCHEDULER: &str = "system:scheduler";

/// `true` when `user_id` is in the system actors' namespace.
pub fn is_system_actor(user_id: &str) -> bool {
    user_id.starts_with(SYSTEM_ACTOR_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduler_is_a_system_actor_and_a_partner_is_not() {
        assert!(is_system_actor(SCHEDULER));
        assert!(!is_system_actor("pmsflow-scheduler"));
        assert!(!is_system_actor("movp"));
    }
}

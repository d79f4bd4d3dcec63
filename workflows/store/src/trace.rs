//! W3C Trace Context across the engine: the `traceparent` a request came with is kept on the
//! runs it creates (`workflow_run.traceparent`) and sent, with the same trace id and a new
//! parent id, on every MOSIP call those runs' steps make, so a tracing backend joins the
//! request, its steps and MOSIP's side into one trace.
//!
//! The value travels in a task-local ([`TRACEPARENT`]): the API sets it around a request
//! ([`scope`]), [`crate::runs::create_run`] stores it, the worker sets it around a step's
//! attempt, and the MOSIP clients read it ([`outgoing`]).

use std::future::Future;

tokio::task_local! {
    /// The `traceparent` of the request or step being served, if it came with one.
    pub static TRACEPARENT: Option<String>;
}

/// `value` if it is a valid W3C `traceparent` (`00-<32 hex trace id>-<16 hex parent id>-<2
/// hex flags>`, ids not all zero), normalised to lower case.
pub fn parse(value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    let parts: Vec<&str> = v.split('-').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let nonzero = |s: &str| s.bytes().any(|b| b != b'0');
    match parts.as_slice() {
        [version, trace, parent, flags]
            if hex(version, 2)
                && *version != "ff"
                && hex(trace, 32)
                && nonzero(trace)
                && hex(parent, 16)
                && nonzero(parent)
                && hex(flags, 2) =>
        {
            Some(v)
        }
        _ => None,
    }
}

/// Run `fut` with `traceparent` as the current one.
pub async fn scope<F: Future>(traceparent: Option<String>, fut: F) -> F::Output {
    TRACEPARENT.scope(traceparent, fut).await
}

/// The current `traceparent` (`None` outside a [`scope`] or without one).
pub fn current() -> Option<String> {
    TRACEPARENT.try_with(Clone::clone).ok().flatten()
}

/// The `traceparent` of an outgoing call: the current trace id and flags with a new parent id
/// (`parent_id`, 16 hex digits, e.g. random), or `None` without a current trace.
pub fn outgoing(parent_id: u64) -> Option<String> {
    let current = current()?;
    let mut parts = current.split('-');
    let (version, trace, _, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some(format!(
        "{version}-{trace}-{:016x}-{flags}",
        parent_id.max(1)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_traceparents_are_kept() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(parse(tp).as_deref(), Some(tp));
        assert_eq!(parse(&tp.to_uppercase()).as_deref(), Some(tp));
        assert_eq!(
            parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(parse("00-4bf92f35-00f067aa0ba902b7-01"), None);
        assert_eq!(parse("garbage"), None);
    }

    #[tokio::test]
    async fn outgoing_calls_keep_the_trace_with_a_new_parent() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(outgoing(7), None);
        let out = scope(Some(tp.to_owned()), async { outgoing(0xabc) }).await;
        assert_eq!(
            out.as_deref(),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000abc-01")
        );
    }
}

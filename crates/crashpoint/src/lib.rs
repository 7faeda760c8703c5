//! Named points where a test has the process killed, to prove that a run resumes from any of them.
//!
//! The kill matrix (`crates/cli/tests/it/kill_matrix.rs`) sets `PACER_CRASH_AT=NAME` or
//! `PACER_CRASH_AT=NAME@N` on a `pacer` child; the N-th time (the first by default) the run passes
//! [`hit`]`(NAME)`, the process sends itself SIGKILL: no destructor runs, no buffer is flushed, no
//! transaction is finished, as with `kill -9` or a lost machine. Unset (always, outside tests),
//! each point costs one relaxed atomic load.
//!
//! The points: `per-agent.start` (journal open, token minted, nothing sent), `request` (a
//! request is about to leave), `journal.batch` (a batch of the journal's changes is written but
//! not committed), `bulk.upload`, `bulk.uploaded` (stored, not yet journaled), `bulk.update`,
//! `bulk.accepted` (the update's 202 is in, not yet journaled), `bulk.wait`, `bulk.verify`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that names the point.
pub const ENV: &str = "PACER_CRASH_AT";

/// The point armed, if any, and the hit that kills.
struct Armed {
    name: String,
    at: u64,
    hits: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let value = std::env::var(ENV).ok()?;
            let (name, at) = parse(&value)?;
            Some(Armed {
                name: name.to_string(),
                at,
                hits: AtomicU64::new(0),
            })
        })
        .as_ref()
}

/// Passes the point `name`: kills the process if it is the armed point's N-th hit.
pub fn hit(name: &str) {
    let Some(armed) = armed() else {
        return;
    };
    if armed.name == name && armed.hits.fetch_add(1, Ordering::SeqCst) + 1 == armed.at {
        // SAFETY: getpid and kill have no preconditions; SIGKILL cannot be caught, so the call
        // does not return.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Reads `NAME` or `NAME@N` (N from 1); anything else arms nothing.
fn parse(value: &str) -> Option<(&str, u64)> {
    let (name, at) = match value.split_once('@') {
        Some((name, at)) => (name, at.parse().ok().filter(|&n| n > 0)?),
        None => (value, 1),
    };
    (!name.is_empty()).then_some((name, at))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn a_point_is_named_alone_or_with_the_hit_that_kills() {
        assert_eq!(parse("journal.batch"), Some(("journal.batch", 1)));
        assert_eq!(parse("request@250"), Some(("request", 250)));
        assert_eq!(parse("request@0"), None);
        assert_eq!(parse("request@x"), None);
        assert_eq!(parse("@3"), None);
        assert_eq!(parse(""), None);
    }
}

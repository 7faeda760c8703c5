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
            let (name, at) = match value.split_once('@') {
                Some((name, at)) => (name, at.parse().ok()?),
                None => (value.as_str(), 1),
            };
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

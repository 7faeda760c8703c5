//! What the executor sends: one job per agent, and the job between its attempts.

use pacer_core::retry::Attempts;

/// One unit of work: a request for one agent.
#[derive(Debug, Clone)]
pub struct Job {
    /// The input line it came from, which identifies it in the journal.
    pub line: u64,
    /// The agent, substituted for `{userId}` in the path.
    pub user_id: String,
    /// The request body, shared by every attempt without a copy.
    pub body: bytes::Bytes,
}

/// An item between attempts.
#[derive(Debug)]
pub(super) struct Work {
    pub(super) job: Job,
    pub(super) attempts: Attempts,
}

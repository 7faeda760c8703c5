//! The coordinator's one error type.

use std::time::Duration;

/// What can go wrong between a runner and its coordinator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL does not read as a Redis URL.
    #[error("bad coordinator URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    /// Redis could not be reached.
    #[error("cannot reach the coordinator at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// Redis was lost mid-run and is not back yet.
    #[error("the coordinator at {url} is unreachable: {reason}")]
    Offline { url: String, reason: String },
    /// Redis answered a command with an error.
    #[error("the coordinator refused a command")]
    Redis(#[source] redis::RedisError),
    /// Another input was loaded into the run.
    #[error(
        "run `{run}` holds another input (fingerprint {theirs}; this file's is {ours}): every runner of a run must read the same file, or name another run"
    )]
    OtherInput {
        run: String,
        theirs: String,
        ours: String,
    },
    /// The runner that loads the queue did not finish loading it.
    #[error(
        "run `{run}` is still not loaded after {waited:?}: its first runner may have stopped while loading it"
    )]
    NotLoaded { run: String, waited: Duration },
    /// A reply that does not have the shape Redis gives.
    #[error("the coordinator gave an unexpected reply: {0}")]
    Reply(String),
    /// The local redis-server (tests, the demo) could not be started.
    #[error("redis-server: {0}")]
    Server(String),
}

pub type Result<T> = std::result::Result<T, Error>;
